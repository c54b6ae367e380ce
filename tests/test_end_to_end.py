"""The whole account opening over real HTTP, against uvicorn in its own process and real SMTP.

Nothing runs in the test process but the HTTP client and the SMTP server (aiosmtpd): the
database is migrated and the staff login created by `python -m app`, the service is
`python -m uvicorn app.main:app`, and the key and one-time passwords are read from the mails
the service sent through SMTP.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from app.terms import TermsKind, current_version
from tests import flows
from tests.conftest import GraphQLClient
from tests.processes import (
    MailCatcher,
    UvicornProcess,
    postgres_url_from_environment,
    run_app_ok,
    service_env,
    smtp_server,
)

STAFF_EMAIL = "e2e.staff@iidabashi.example.jp"
STAFF_PASSWORD = "Counter#e2e1"
EMPLOYER_EMAIL = "e2e.hr@koishikawa.example.jp"
EMPLOYER_PASSWORD = "Koishi#kawa2026"
ESTABLISHMENT_NUMBER = "1301-987654-3"
PHONE_NUMBER = "03-5684-0002"
MAIL_FROM = "noreply@hellowork-e2e.example.jp"

VIEWER = "{ viewer { portal email office { code name } establishment { establishmentNumber } } }"
HOME = """{ employerHome { establishmentName officeName unreadMessageCount
  activePostings { category postingCount hiringCount } } }"""
LOGOUT = "mutation { logout { errors { field code message } } }"


@dataclass
class Service:
    url: str
    mails: MailCatcher
    process: UvicornProcess


@pytest.fixture
def service(tmp_path: Path, clean_database: None) -> Iterator[Service]:
    """Migrated database, a staff login from the CLI, uvicorn sending mail to aiosmtpd.

    With `DATABASE_URL` on PostgreSQL (CI's second pass) the child process shares the test
    database, which `clean_database` has just emptied; otherwise it gets an SQLite file here.
    """
    with smtp_server() as (mails, smtp_port):
        settings = {"MAIL_URL": f"smtp://127.0.0.1:{smtp_port}", "MAIL_FROM": MAIL_FROM}
        postgres = postgres_url_from_environment()
        if postgres:
            settings["DATABASE_URL"] = postgres
        env = service_env(tmp_path / "var", **settings)
        run_app_ok(env, "migrate")
        out = run_app_ok(
            env,
            "staff",
            "create",
            "--office-code",
            "13010",
            "--office-name",
            "飯田橋公共職業安定所",
            "--email",
            STAFF_EMAIL,
            "--password",
            STAFF_PASSWORD,
        )
        assert STAFF_EMAIL in out
        with UvicornProcess(env, tmp_path / "uvicorn.log") as process:
            yield Service(process.url, mails, process)


async def log_in(
    service: Service, client: GraphQLClient, portal: str, email: str, password: str
) -> str:
    """Password, then the one-time password from the mail received over SMTP."""
    mails_before = len(service.mails.received)
    data = await client.execute(
        flows.LOGIN, {"input": {"portal": portal, "email": email, "password": password}}
    )
    payload = data["login"]
    assert payload["errors"] == [], payload
    assert payload["session"] is None
    mail = await service.mails.last_to(email, since=mails_before)
    assert mail.subject == "ワンタイムパスワードのお知らせ"
    otp = re.search(r"ワンタイムパスワード: (\d{6})\n", mail.body)
    assert otp, mail.body

    response = await client.post(
        flows.VERIFY_OTP,
        {"input": {"challengeId": payload["otpChallenge"]["id"], "otp": otp.group(1)}},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    verified = body["data"]["loginVerifyOtp"]
    assert verified["errors"] == [], verified
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie
    assert "samesite" in cookie
    token: str = verified["session"]["token"]
    client.token = token
    return token


@pytest.mark.slow
async def test_account_opening_over_http_with_real_smtp(service: Service) -> None:
    async with (
        httpx.AsyncClient(base_url=service.url, timeout=30) as staff_http,
        httpx.AsyncClient(base_url=service.url, timeout=30) as employer_http,
        httpx.AsyncClient(base_url=service.url, timeout=30) as bare_http,
    ):
        # 1. Counter: the staff login made by the command line registers the establishment
        #    and issues the account creation code.
        staff = GraphQLClient(staff_http)
        await log_in(service, staff, "STAFF", STAFF_EMAIL, STAFF_PASSWORD)
        data = await staff.execute(VIEWER)
        assert data["viewer"]["portal"] == "STAFF"
        assert data["viewer"]["office"] == {"code": "13010", "name": "飯田橋公共職業安定所"}

        data = await staff.execute(
            flows.REGISTER_ESTABLISHMENT,
            {
                "input": {
                    "establishmentNumber": ESTABLISHMENT_NUMBER,
                    "name": "小石川精密工業株式会社",
                    "nameKana": "コイシカワセイミツコウギョウ",
                    "phoneNumber": PHONE_NUMBER,
                    "postalCode": "112-0002",
                    "address": "東京都文京区小石川1-2-3",
                }
            },
        )
        registered = data["establishmentRegister"]
        assert registered["errors"] == [], registered
        assert registered["establishment"]["office"]["code"] == "13010"

        data = await staff.execute(flows.ISSUE_CODE, {"id": registered["establishment"]["id"]})
        issued = data["accountCreationCodeIssue"]
        assert issued["errors"] == [], issued
        code = issued["code"]
        assert re.fullmatch(r"[\x21-\x7e]{1,10}", code), code
        assert issued["expiresOnJapanese"].startswith("令和")

        # 2-3. Terms, then the application; the 認証キー comes by mail.
        employer = GraphQLClient(employer_http)
        data = await employer.execute("{ termsDocuments { kind version } }")
        versions = {doc["kind"]: doc["version"] for doc in data["termsDocuments"]}
        assert versions == {
            "PRIVACY_POLICY": current_version(TermsKind.PRIVACY_POLICY),
            "TERMS_OF_USE": current_version(TermsKind.TERMS_OF_USE),
        }
        data = await employer.execute(
            flows.REGISTRATION_REQUEST,
            {
                "input": {
                    "email": EMPLOYER_EMAIL,
                    "emailConfirmation": EMPLOYER_EMAIL,
                    "establishmentNumber": ESTABLISHMENT_NUMBER,
                    "phoneNumber": PHONE_NUMBER,
                    "accountCreationCode": code,
                    "agreedPrivacyPolicyVersion": versions["PRIVACY_POLICY"],
                    "agreedTermsVersion": versions["TERMS_OF_USE"],
                }
            },
        )
        requested = data["employerRegistrationRequest"]
        assert requested["errors"] == [], requested
        assert requested["authKeyExpiresAt"]

        mail = await service.mails.last_to(EMPLOYER_EMAIL)
        assert mail.subject == "パスワード登録申込受付通知"
        assert mail.mail_from == MAIL_FROM
        assert mail.message["To"] == EMPLOYER_EMAIL
        key = re.search(r"認証キー: (\S+)", mail.body)
        assert key, mail.body

        # 4. Password with the key: the account opens.
        data = await employer.execute(
            flows.REGISTRATION_COMPLETE,
            {
                "input": {
                    "email": EMPLOYER_EMAIL,
                    "authKey": key.group(1),
                    "password": EMPLOYER_PASSWORD,
                    "passwordConfirmation": EMPLOYER_PASSWORD,
                }
            },
        )
        completed = data["employerRegistrationComplete"]
        assert completed["errors"] == [], completed
        assert completed["establishment"]["name"] == "小石川精密工業株式会社"

        # 5. My Page: login with the OTP from the mail, the home page, logout.
        token = await log_in(service, employer, "EMPLOYER", EMPLOYER_EMAIL, EMPLOYER_PASSWORD)
        data = await employer.execute(HOME)
        assert data["employerHome"] == {
            "establishmentName": "小石川精密工業株式会社",
            "officeName": "飯田橋公共職業安定所",
            "unreadMessageCount": 0,
            "activePostings": [
                {"category": "GENERAL", "postingCount": 0, "hiringCount": 0},
                {"category": "GRADUATE", "postingCount": 0, "hiringCount": 0},
                {"category": "DISABILITY", "postingCount": 0, "hiringCount": 0},
            ],
        }
        data = await employer.execute(VIEWER)
        assert data["viewer"]["establishment"] == {"establishmentNumber": ESTABLISHMENT_NUMBER}

        data = await employer.execute(LOGOUT)
        assert data["logout"]["errors"] == []
        # No request so far failed inside the server (the probes below are logged by design).
        assert "Traceback" not in service.process.log

        # The token is dead at once, even sent by a client without the (deleted) cookie.
        after = GraphQLClient(bare_http)
        after.token = token
        data = await after.execute(VIEWER)
        assert data["viewer"] is None
        response = await after.post(HOME)
        codes = [error["extensions"]["code"] for error in response.json()["errors"]]
        assert codes == ["UNAUTHENTICATED"]

        # Every mail went through SMTP: two OTPs and the key, none elsewhere.
        assert [m.subject for m in service.mails.received] == [
            "ワンタイムパスワードのお知らせ",
            "パスワード登録申込受付通知",
            "ワンタイムパスワードのお知らせ",
        ]
