"""A small world for the fuzzer, made through the public API of a running server.

Everything goes the way a user would: the demo's staff login and account creation code, the
employer's registration with the key from the mail, logins with the one-time password from the
mail, postings drafted, submitted and accepted, a seeker who registers, publishes a profile and
applies, messages both ways, an office event, a pending profile change and an invitation.
The result is the employer's session token and the global IDs (and other values) the fuzzer
should try, so that it reaches past "not found".
"""

from __future__ import annotations

import io
import json
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import policy
from email.parser import BytesParser
from pathlib import Path
from typing import Any

import httpx
from PIL import Image

STAFF_EMAIL = "staff@iidabashi.example.jp"
STAFF_PASSWORD = "Counter#2026"  # noqa: S105 - the published demo login (app/demo.py)
ESTABLISHMENT_NUMBER = "1301-123456-7"
PHONE_NUMBER = "03-3812-0001"
EMPLOYER_EMAIL = "fuzz-employer@example.jp"
EMPLOYER_PASSWORD = "Fuzz#employer1"  # noqa: S105 - a throwaway login of a throwaway database
SEEKER_EMAIL = "fuzz-seeker@example.jp"
SEEKER_PASSWORD = "Fuzz#seeker1"  # noqa: S105 - likewise
INVITED_EMAIL = "fuzz-invited@example.jp"

_PAYLOAD_ERRORS = "errors { field code message }"


class SetupError(RuntimeError):
    """The world could not be made: the service refused a step a user can take."""


@dataclass
class World:
    """What the fuzzer gets: a session, and values that name real things, by kind."""

    employer_token: str
    ids: set[str] = field(default_factory=set)
    """Global IDs of every kind of object the employer can see or name."""
    emails: set[str] = field(default_factory=set)
    posting_numbers: set[str] = field(default_factory=set)
    cursors: set[str] = field(default_factory=set)
    """Cursors of the connections the employer reads, for `after`."""


# The employer's connections, read once the world is made to collect their cursors.
CONNECTIONS = """query ($thread: ID!) {
  messages(threadId: $thread, first: 1) { pageInfo { endCursor } }
  postings(first: 2) { pageInfo { endCursor } }
  applications(first: 1) { pageInfo { endCursor } }
  messageThreads(first: 1) { pageInfo { endCursor } }
  seekerSearch(first: 1) { pageInfo { endCursor } }
  postingSearch(first: 1) { pageInfo { endCursor } }
  officeEvents(first: 1) { pageInfo { endCursor } }
}"""


class Api:
    """GraphQL over HTTP as one client (one token); every answer must have no top-level error."""

    def __init__(self, http: httpx.Client, token: str | None = None) -> None:
        self.http = http
        self.token = token

    def execute(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        response = self.http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
        if response.status_code != 200:
            raise SetupError(f"HTTP {response.status_code}: {response.text[:2000]}")
        body = response.json()
        if body.get("errors"):
            raise SetupError(f"{query.split('(')[0].strip()}: {body['errors']}")
        data: dict[str, Any] = body["data"]
        return data

    def mutate(self, name: str, input: dict[str, Any], selection: str) -> dict[str, Any]:
        """Run `name(input: …)`, which must answer no `errors`; its payload."""
        type_name = name[0].upper() + name[1:] + "Input"
        query = (
            f"mutation ($input: {type_name}!) "
            f"{{ {name}(input: $input) {{ {selection} {_PAYLOAD_ERRORS} }} }}"
        )
        payload: dict[str, Any] = self.execute(query, {"input": input})[name]
        if payload["errors"]:
            raise SetupError(f"{name}: {payload['errors']}")
        return payload


class Mailbox:
    """The service's maildir (MAIL_URL=maildir://…), read as the recipients would."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def _bodies_to(self, address: str) -> Iterator[tuple[int, str]]:
        """(time written, plain-text body) of every mail to `address`."""
        for path in [*self.directory.glob("new/*"), *self.directory.glob("cur/*")]:
            message = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
            if message["To"] != address:
                continue
            part = message.get_body(preferencelist=("plain",))
            if part is not None:
                yield path.stat().st_mtime_ns, str(part.get_content())

    def find(self, address: str, pattern: str, timeout: float = 10) -> str:
        """The first group of `pattern` in the newest mail to `address` that has it."""
        deadline = time.monotonic() + timeout
        while True:
            for _, body in sorted(self._bodies_to(address), reverse=True):
                match = re.search(pattern, body)
                if match:
                    return match.group(1)
            if time.monotonic() > deadline:
                raise SetupError(f"no mail to {address} matching {pattern!r}")
            time.sleep(0.1)


def log_in(api: Api, mail: Mailbox, portal: str, email: str, password: str) -> str:
    """Password, then the OTP from the newest mail; the session token, also kept by `api`."""
    login = api.mutate(
        "login",
        {"portal": portal, "email": email, "password": password},
        "otpChallenge { id }",
    )
    otp = mail.find(email, r"ワンタイムパスワード: (\d{6})")
    payload = api.mutate(
        "loginVerifyOtp",
        {"challengeId": login["otpChallenge"]["id"], "otp": otp},
        "session { token }",
    )
    token: str = payload["session"]["token"]
    api.token = token
    return token


def posting_content(job_title: str, number_to_hire: int = 2) -> dict[str, Any]:
    """A complete, valid 求人票 (`PostingContentInput`)."""
    return {
        "category": "GENERAL",
        "workStyle": "FULL_TIME",
        "employmentType": "REGULAR",
        "publicationRange": "WITH_NAME",
        "acceptsOnlineApplications": True,
        "jobTitle": job_title,
        "jobDescription": "特別養護老人ホームでの入居者の生活支援、食事・入浴の介助。",
        "workplacePostalCode": "112-8577",
        "workplacePrefecture": "東京都",
        "workplaceAddress": "東京都文京区後楽1-9-20",
        "employmentPeriod": "INDEFINITE",
        "numberToHire": number_to_hire,
        "wageForm": "MONTHLY",
        "baseWageMin": 220000,
        "baseWageMax": 280000,
        "payDay": "月末締切 翌月25日支払",
        "workingHours": "8時30分〜17時30分（休憩60分）",
        "hasOvertime": True,
        "overtimeDetail": "月平均10時間",
        "annualHolidays": 120,
        "weeklyTwoDaysOff": "EVERY_WEEK",
        "insurances": ["EMPLOYMENT", "WORKERS_ACCIDENT", "HEALTH", "PENSION"],
        "retirementAge": 65,
        "selectionMethod": "書類選考、面接",
        "contact": "人事課 03-3812-0001",
        "contractingWork": False,
        "trialEmployment": False,
        "workplaceEmployees": 45,
        "hasWorkRules": True,
        "passiveSmokingMeasure": {"measure": "NO_SMOKING_INDOORS", "smokingAllowed": False},
        "trialPeriod": {"hasTrialPeriod": True, "months": 3, "conditionsDiffer": False},
        "educationRequirement": {"level": "ANY"},
        "workplaceChangeScope": "変更なし",
        "jobChangeScope": "会社の定める介護業務",
        "fixedAllowances": [{"name": "資格手当", "amount": 10000}],
        "commuteAllowance": {"payment": "CAPPED", "monthlyAmount": 30000},
        "payRaise": {"hasRaise": True, "lastYear": "月額3,000円"},
        "bonus": {"hasBonus": True, "timesLastYear": 2, "lastYear": "計4.00か月分"},
        "dailyWorkingMinutes": 480,
        "weeklyWorkingDays": 5,
        "variableWorkingHours": "NONE",
        "breakMinutes": 60,
        "overtime": {"monthlyAverageHours": 10, "specialClause": False},
        "annualPaidLeaveDays": 10,
        "retirementAllowance": True,
        "reemployment": {"available": True, "upperAge": 70},
        "resultNoticeDays": 7,
        "resultNoticeMethod": "EMAIL",
    }


UPLOAD = """mutation ($file: Upload!, $caption: String) {
  establishmentImageUpload(input: {file: $file, caption: $caption}) { image { id } errors { code } }
}"""


def upload_image(http: httpx.Client, token: str, caption: str, colour: tuple[int, int, int]) -> str:
    """Upload a small PNG of one colour as the establishment's image (GraphQL multipart
    request); its ID."""
    png = io.BytesIO()
    Image.new("RGB", (8, 8), colour).save(png, format="PNG")
    operations = {"query": UPLOAD, "variables": {"file": None, "caption": caption}}
    response = http.post(
        "/graphql",
        headers={"Authorization": f"Bearer {token}"},
        data={"operations": json.dumps(operations), "map": json.dumps({"0": ["variables.file"]})},
        files={"0": ("shop.png", png.getvalue(), "image/png")},
    )
    body = response.json()
    payload = (body.get("data") or {}).get("establishmentImageUpload")
    if response.status_code != 200 or not payload or payload["errors"]:
        raise SetupError(f"establishmentImageUpload: {response.status_code} {body}")
    image_id: str = payload["image"]["id"]
    return image_id


def build(base_url: str, mail_dir: Path, account_creation_code: str) -> World:
    """Make the world on the server at `base_url`, whose demo data issued the code given."""
    mail = Mailbox(mail_dir)
    with httpx.Client(base_url=base_url, timeout=30) as http:
        anonymous = Api(http)
        staff = Api(http)
        employer = Api(http)
        seeker = Api(http)
        ids: set[str] = set()
        posting_numbers: set[str] = set()

        terms = {
            doc["kind"]: doc["version"]
            for doc in anonymous.execute("{ termsDocuments { kind version } }")["termsDocuments"]
        }
        log_in(staff, mail, "STAFF", STAFF_EMAIL, STAFF_PASSWORD)

        # The employer opens the account with the demo establishment's code (the README's steps).
        anonymous.mutate(
            "employerRegistrationRequest",
            {
                "email": EMPLOYER_EMAIL,
                "emailConfirmation": EMPLOYER_EMAIL,
                "establishmentNumber": ESTABLISHMENT_NUMBER,
                "phoneNumber": PHONE_NUMBER,
                "accountCreationCode": account_creation_code,
                "agreedPrivacyPolicyVersion": terms["PRIVACY_POLICY"],
                "agreedTermsVersion": terms["TERMS_OF_USE"],
            },
            "authKeyExpiresAt",
        )
        auth_key = mail.find(EMPLOYER_EMAIL, r"認証キー: (\S+)")
        registered = anonymous.mutate(
            "employerRegistrationComplete",
            {
                "email": EMPLOYER_EMAIL,
                "authKey": auth_key,
                "password": EMPLOYER_PASSWORD,
                "passwordConfirmation": EMPLOYER_PASSWORD,
            },
            "establishment { id }",
        )
        ids.add(registered["establishment"]["id"])
        token = log_in(employer, mail, "EMPLOYER", EMPLOYER_EMAIL, EMPLOYER_PASSWORD)

        # Postings in several states: active (two), submitted, draft.
        posting_ids = []
        for title in ("介護職員", "看護師", "調理員", "事務員"):
            created = employer.mutate(
                "postingCreate", {"content": posting_content(title)}, "posting { id }"
            )
            posting_ids.append(created["posting"]["id"])
        ids.update(posting_ids)
        active, second_active, submitted, _draft = posting_ids
        for posting_id in (active, second_active, submitted):
            employer.mutate("postingSubmit", {"id": posting_id}, "posting { id }")
        # The establishment's first postings through My Page: 本登録 at the counter first.
        for posting_id in (active, second_active):
            staff.mutate("postingCounterConfirm", {"id": posting_id}, "posting { id }")
        for posting_id in (active, second_active):
            accepted = staff.mutate(
                "postingAccept", {"id": posting_id}, "posting { postingNumber }"
            )
            posting_numbers.add(accepted["posting"]["postingNumber"])

        # A seeker who publishes a profile and applies online.
        anonymous.mutate(
            "seekerRegister",
            {
                "email": SEEKER_EMAIL,
                "emailConfirmation": SEEKER_EMAIL,
                "password": SEEKER_PASSWORD,
                "passwordConfirmation": SEEKER_PASSWORD,
                "displayName": "求職 太郎",
            },
            "verificationKeyExpiresAt",
        )
        verified = anonymous.mutate(
            "seekerVerifyEmail",
            {"email": SEEKER_EMAIL, "key": mail.find(SEEKER_EMAIL, r"認証キー: (\S+)")},
            "seekerProfile { id }",
        )
        ids.add(verified["seekerProfile"]["id"])
        log_in(seeker, mail, "SEEKER", SEEKER_EMAIL, SEEKER_PASSWORD)
        seeker.mutate(
            "seekerProfileUpdate",
            {
                "desiredJob": "介護職員",
                "desiredPrefecture": "東京都",
                "desiredEmploymentType": "REGULAR",
                "desiredWorkStyle": "FULL_TIME",
                "experience": "特別養護老人ホームで5年",
                "licenses": "介護福祉士",
                "published": True,
                "phoneNumber": "090-1234-5678",
            },
            "seekerProfile { id }",
        )
        applied = seeker.mutate("applicationCreate", {"postingId": active}, "application { id }")
        application_id = applied["application"]["id"]
        ids.add(application_id)

        # What the employer sees of the seeker, a direct request on the other posting, messages.
        found = employer.execute("{ seekerSearch(first: 5) { edges { node { profileId } } } }")
        profile_ids = [edge["node"]["profileId"] for edge in found["seekerSearch"]["edges"]]
        if not profile_ids:
            raise SetupError("the published profile is not found by seekerSearch")
        ids.update(profile_ids)
        request = employer.mutate(
            "seekerRequestSend",
            {"postingId": second_active, "seekerProfileId": profile_ids[0], "message": "ぜひ"},
            "request { id }",
        )
        ids.add(request["request"]["id"])
        sent = employer.mutate(
            "messageSend",
            {"applicationId": application_id, "body": "面接の日程をご相談させてください。"},
            "message { id thread { id } }",
        )
        thread_id = sent["message"]["thread"]["id"]
        ids.update({sent["message"]["id"], thread_id})
        reply = seeker.mutate(
            "messageSend",
            {"threadId": thread_id, "body": "よろしくお願いいたします。"},
            "message { id }",
        )
        ids.add(reply["message"]["id"])
        employer.mutate(
            "applicationStatusUpdate",
            {"applicationId": application_id, "status": "SCREENING"},
            "application { id }",
        )

        # The office's job fair, the employer's interest, a pending profile change, an invitation.
        event = staff.mutate(
            "officeEventCreate",
            {
                "kind": "JOB_FAIR",
                "title": "就職面接会",
                "startsAt": "2099-04-10T13:00:00+09:00",
                "endsAt": "2099-04-10T16:00:00+09:00",
                "venue": "飯田橋公共職業安定所 2階",
                "prefecture": "東京都",
                "capacity": 20,
            },
            "officeEvent { id }",
        )
        event_id = event["officeEvent"]["id"]
        ids.add(event_id)
        employer.mutate("officeEventRegisterInterest", {"eventId": event_id}, "")
        employer.mutate(
            "establishmentUpdate",
            {
                "name": "ハローワークケア",
                "nameKana": "ハローワークケア",
                "postalCode": "112-8577",
                "address": "東京都文京区後楽1-9-20",
                "phoneNumber": PHONE_NUMBER,
                "businessContent": "介護サービス",
            },
            "",
        )
        employer.mutate("employerLoginAdd", {"email": INVITED_EMAIL}, "")
        for caption, colour in (("店舗外観", (200, 120, 40)), ("職場の様子", (40, 120, 200))):
            ids.add(upload_image(http, token, caption, colour))
        logins = employer.execute("{ employerLogins { id } }")["employerLogins"]
        ids.update(login["id"] for login in logins)
        cursors = {
            connection["pageInfo"]["endCursor"]
            for connection in employer.execute(CONNECTIONS, {"thread": thread_id}).values()
            if connection and connection["pageInfo"]["endCursor"]
        }
        return World(
            employer_token=token,
            ids=ids,
            emails={EMPLOYER_EMAIL, SEEKER_EMAIL, INVITED_EMAIL, STAFF_EMAIL},
            posting_numbers=posting_numbers,
            cursors=cursors,
        )
