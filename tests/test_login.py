"""Login with a one-time password, remembered devices, sessions and logout, over real HTTP."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import httpx
import pytest
from strawberry import relay

from app.models import OtpChallenge
from tests import flows
from tests.conftest import (
    START,
    Counter,
    GraphQLClient,
    Server,
    create_staff,
    new_employer_login,
    new_establishment,
    new_staff,
)

EMAIL = "hr@care.example.jp"
PASSWORD = flows.EMPLOYER_PASSWORD
HOME = "{ employerHome { establishmentName } }"


@pytest.fixture
async def employer(server: Server, new_client: Any) -> Counter:
    """An establishment with an opened (not yet logged-in) employer account EMAIL."""
    counter = await new_establishment(server, await new_staff(server, new_client()))
    await new_employer_login(server, counter, EMAIL, PASSWORD)
    return counter


async def start_login(
    client: GraphQLClient,
    email: str = EMAIL,
    password: str = PASSWORD,
    portal: str = "EMPLOYER",
    device_token: str | None = None,
) -> dict[str, Any]:
    login_input: dict[str, Any] = {"portal": portal, "email": email, "password": password}
    if device_token is not None:
        login_input["deviceToken"] = device_token
    data = await client.execute(flows.LOGIN, {"input": login_input})
    payload: dict[str, Any] = data["login"]
    return payload


async def verify(
    client: GraphQLClient, challenge_id: str, otp: str, remember_device: bool = False
) -> dict[str, Any]:
    data = await client.execute(
        flows.VERIFY_OTP,
        {"input": {"challengeId": challenge_id, "otp": otp, "rememberDevice": remember_device}},
    )
    payload: dict[str, Any] = data["loginVerifyOtp"]
    return payload


def wrong_otp(otp: str) -> str:
    return f"{(int(otp) + 1) % 1_000_000:06d}"


async def challenge(server: Server, client: GraphQLClient) -> tuple[str, str]:
    """The password step: the challenge id and the OTP read from the mail."""
    payload = await start_login(client)
    assert payload["errors"] == [], payload
    return payload["otpChallenge"]["id"], await flows.otp_from_mail(server, EMAIL)


# --- The one-time password ---------------------------------------------------------------------


@pytest.mark.usefixtures("employer")
async def test_a_correct_password_mails_a_six_digit_otp_and_no_session(
    server: Server, gql: GraphQLClient
) -> None:
    mails_before = await flows.mail_count(server, EMAIL)

    payload = await start_login(gql)

    assert payload["errors"] == []
    assert payload["session"] is None
    assert dt.datetime.fromisoformat(payload["otpChallenge"]["expiresAt"]) == START + dt.timedelta(
        minutes=10
    )
    assert await flows.mail_count(server, EMAIL) == mails_before + 1
    otp = await flows.otp_from_mail(server, EMAIL)
    assert len(otp) == 6
    assert otp.isdigit()
    # Not logged in until the OTP is given.
    assert (await gql.execute("{ viewer { email } }"))["viewer"] is None

    verified = await verify(gql, payload["otpChallenge"]["id"], otp)

    assert verified["errors"] == []
    assert verified["rememberedDevice"] is None
    gql.token = verified["session"]["token"]
    assert (await gql.execute("{ viewer { email } }"))["viewer"] == {"email": EMAIL}


@pytest.mark.usefixtures("employer")
async def test_an_otp_can_be_used_only_once(server: Server, new_client: Any) -> None:
    client = new_client()
    challenge_id, otp = await challenge(server, client)
    assert (await verify(client, challenge_id, otp))["errors"] == []

    again = await verify(new_client(), challenge_id, otp)

    assert again["session"] is None
    assert again["errors"][0]["code"] in {"OTP_INVALID", "OTP_EXPIRED"}


@pytest.mark.usefixtures("employer")
async def test_four_wrong_otps_leave_the_challenge_usable(
    server: Server, gql: GraphQLClient
) -> None:
    challenge_id, otp = await challenge(server, gql)
    for _ in range(4):
        payload = await verify(gql, challenge_id, wrong_otp(otp))
        assert payload["session"] is None
        assert [(e["field"], e["code"]) for e in payload["errors"]] == [("otp", "OTP_INVALID")]

    payload = await verify(gql, challenge_id, otp)

    assert payload["errors"] == []
    assert payload["session"]["token"]


@pytest.mark.usefixtures("employer")
async def test_five_wrong_otps_void_the_challenge(server: Server, gql: GraphQLClient) -> None:
    challenge_id, otp = await challenge(server, gql)
    for _ in range(5):
        payload = await verify(gql, challenge_id, wrong_otp(otp))
        assert payload["errors"][0]["code"] == "OTP_INVALID"

    payload = await verify(gql, challenge_id, otp)

    assert payload["session"] is None
    assert payload["errors"][0]["code"] == "OTP_EXPIRED"
    assert "もう一度ログイン" in payload["errors"][0]["message"]
    row = await OtpChallenge.get(id=relay.GlobalID.from_id(challenge_id).node_id)
    assert row.failed_attempts == 5
    assert row.closed_at is not None


@pytest.mark.usefixtures("employer")
async def test_the_otp_works_at_9_minutes(server: Server, gql: GraphQLClient) -> None:
    challenge_id, otp = await challenge(server, gql)
    server.clock.advance(minutes=9)

    payload = await verify(gql, challenge_id, otp)

    assert payload["errors"] == []


@pytest.mark.usefixtures("employer")
async def test_the_otp_is_expired_at_11_minutes(server: Server, gql: GraphQLClient) -> None:
    challenge_id, otp = await challenge(server, gql)
    server.clock.advance(minutes=11)

    payload = await verify(gql, challenge_id, otp)

    assert payload["session"] is None
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("otp", "OTP_EXPIRED")]


@pytest.mark.usefixtures("employer")
async def test_an_unknown_challenge_is_refused(gql: GraphQLClient) -> None:
    for challenge_id in ("not-a-uuid", "00000000-0000-4000-8000-000000000000"):
        payload = await verify(gql, challenge_id, "123456")
        assert payload["session"] is None
        assert payload["errors"], challenge_id


@pytest.mark.usefixtures("employer")
async def test_a_newer_login_does_not_accept_the_older_otp_for_its_challenge(
    server: Server, gql: GraphQLClient
) -> None:
    first_id, first_otp = await challenge(server, gql)
    # The mails are told apart by their file times: let the filesystem clock tick.
    await asyncio.sleep(0.05)
    second_id, second_otp = await challenge(server, gql)
    if first_otp == second_otp:  # one chance in a million
        pytest.skip("the two OTPs happen to be equal")

    payload = await verify(gql, second_id, first_otp)

    assert payload["errors"][0]["code"] == "OTP_INVALID"
    assert (await verify(gql, second_id, second_otp))["errors"] == []
    assert first_id != second_id


# --- Remembered devices ------------------------------------------------------------------------


async def remembered_device_token(server: Server, client: GraphQLClient) -> str:
    challenge_id, otp = await challenge(server, client)
    payload = await verify(client, challenge_id, otp, remember_device=True)
    assert payload["errors"] == []
    device = payload["rememberedDevice"]
    assert dt.datetime.fromisoformat(device["expiresAt"]) == START + dt.timedelta(days=30)
    token: str = device["token"]
    assert token
    return token


@pytest.mark.usefixtures("employer")
async def test_a_remembered_device_skips_the_otp_at_29_days(
    server: Server, new_client: Any
) -> None:
    device_token = await remembered_device_token(server, new_client())
    server.clock.advance(days=29)
    mails_before = await flows.mail_count(server, EMAIL)
    client = new_client()  # no cookies: the token alone

    payload = await start_login(client, device_token=device_token)

    assert payload["errors"] == []
    assert payload["otpChallenge"] is None
    assert await flows.mail_count(server, EMAIL) == mails_before
    client.token = payload["session"]["token"]
    assert (await client.execute("{ viewer { email } }"))["viewer"] == {"email": EMAIL}


@pytest.mark.usefixtures("employer")
async def test_a_remembered_device_needs_the_otp_again_at_31_days(
    server: Server, new_client: Any
) -> None:
    device_token = await remembered_device_token(server, new_client())
    server.clock.advance(days=31)

    payload = await start_login(new_client(), device_token=device_token)

    assert payload["errors"] == []
    assert payload["session"] is None
    assert payload["otpChallenge"]["id"]


@pytest.mark.usefixtures("employer")
async def test_a_browser_is_remembered_by_its_cookie(server: Server, gql: GraphQLClient) -> None:
    await remembered_device_token(server, gql)
    server.clock.advance(days=29)

    payload = await start_login(gql)

    assert payload["otpChallenge"] is None
    assert payload["session"]["token"]


@pytest.mark.usefixtures("employer")
async def test_a_device_token_does_not_replace_the_password(
    server: Server, new_client: Any
) -> None:
    device_token = await remembered_device_token(server, new_client())

    payload = await start_login(new_client(), password="Wrong#pass1", device_token=device_token)

    assert payload["session"] is None
    assert payload["errors"][0]["code"] == "INVALID_CREDENTIALS"


async def test_a_device_remembered_for_one_user_does_not_skip_the_otp_of_another(
    server: Server, new_client: Any, employer: Counter
) -> None:
    device_token = await remembered_device_token(server, new_client())
    staff = await create_staff(server, "13010", "counter@example.jp")

    payload = await start_login(
        new_client(),
        email=staff.email,
        password=flows.STAFF_PASSWORD,
        portal="STAFF",
        device_token=device_token,
    )

    assert payload["session"] is None
    assert payload["otpChallenge"]["id"]


# --- Wrong credentials -------------------------------------------------------------------------


@pytest.mark.usefixtures("employer")
async def test_unknown_email_and_wrong_password_get_the_same_answer(
    server: Server, gql: GraphQLClient
) -> None:
    mails_before = await flows.mail_count(server, EMAIL)

    wrong_password = await start_login(gql, password="Wrong#pass1")
    unknown_email = await start_login(gql, email="nobody@care.example.jp")
    wrong_portal = await start_login(gql, portal="SEEKER")

    assert wrong_password["errors"][0]["code"] == "INVALID_CREDENTIALS"
    assert wrong_password["errors"] == unknown_email["errors"] == wrong_portal["errors"]
    assert len(wrong_password["errors"]) == 1
    assert wrong_password["errors"][0]["field"] is None
    for payload in (wrong_password, unknown_email, wrong_portal):
        assert payload["session"] is None
        assert payload["otpChallenge"] is None
    assert await flows.mail_count(server, EMAIL) == mails_before


@pytest.mark.usefixtures("employer")
@pytest.mark.parametrize(
    ("email", "password"),
    [
        pytest.param(EMAIL, "a" * 73, id="73-ascii-bytes"),
        pytest.param(EMAIL, PASSWORD + "x" * 72, id="right-prefix-then-long"),
        pytest.param(EMAIL, "パスワード" * 10, id="multibyte"),
        pytest.param("nobody@care.example.jp", "a" * 200, id="unknown-email"),
        pytest.param(EMAIL, "", id="empty"),
        pytest.param("", PASSWORD, id="empty-email"),
    ],
)
async def test_odd_passwords_at_login_are_invalid_credentials_never_a_500(
    gql: GraphQLClient, email: str, password: str
) -> None:
    response = await gql.post(
        flows.LOGIN, {"input": {"portal": "EMPLOYER", "email": email, "password": password}}
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    assert [e["code"] for e in body["data"]["login"]["errors"]] == ["INVALID_CREDENTIALS"]


@pytest.mark.usefixtures("employer")
async def test_a_nul_in_the_password_is_refused_before_login_runs(gql: GraphQLClient) -> None:
    """NUL is refused in every input before anything runs (`app.transport`): never a 500."""
    response = await gql.post(
        flows.LOGIN,
        {"input": {"portal": "EMPLOYER", "email": EMAIL, "password": "Employer#pa\x00ss1"}},
    )

    assert flows.top_level_codes(response) == ["BAD_USER_INPUT"]


@pytest.mark.usefixtures("employer")
async def test_login_ignores_case_and_surrounding_spaces_of_the_email(
    server: Server, gql: GraphQLClient
) -> None:
    payload = await start_login(gql, email="  HR@Care.Example.JP ")

    assert payload["errors"] == []
    assert payload["otpChallenge"]["id"]


# --- Viewer, logout, cookies, expiry -----------------------------------------------------------


async def test_viewer_is_null_when_anonymous(gql: GraphQLClient) -> None:
    assert (await gql.execute(flows.VIEWER))["viewer"] is None


async def test_viewer_says_which_employer_is_logged_in(
    server: Server, gql: GraphQLClient, employer: Counter
) -> None:
    await flows.log_in(server, gql, "EMPLOYER", EMAIL, PASSWORD)

    data = await gql.execute(flows.VIEWER)

    assert data["viewer"] == {
        "portal": "EMPLOYER",
        "email": EMAIL,
        "establishment": {
            "establishmentNumber": employer.establishment_number,
            "name": "ハローワークケア",
        },
        "office": {"code": "13010", "name": "テスト13010公共職業安定所"},
    }


async def test_viewer_says_which_staff_is_logged_in(server: Server, gql: GraphQLClient) -> None:
    await flows.staff_client(server, gql, "13020")

    data = await gql.execute(flows.VIEWER)

    assert data["viewer"] == {
        "portal": "STAFF",
        "email": "staff13020@example.jp",
        "establishment": None,
        "office": {"code": "13020", "name": "テスト13020公共職業安定所"},
    }


@pytest.mark.usefixtures("employer")
async def test_logout_ends_the_session_at_once(server: Server, new_client: Any) -> None:
    client = new_client()
    token = await flows.log_in(server, client, "EMPLOYER", EMAIL, PASSWORD)
    other = new_client()
    await flows.log_in(server, other, "EMPLOYER", EMAIL, PASSWORD)
    assert (await client.execute(HOME))["employerHome"]["establishmentName"] == "ハローワークケア"

    data = await client.execute("mutation { logout { errors { code } } }")

    assert data["logout"]["errors"] == []
    # A fresh client with only the old token: the session itself has ended.
    stale = new_client()
    stale.token = token
    response = await stale.post(HOME)
    assert flows.top_level_codes(response) == ["UNAUTHENTICATED"]
    assert response.json()["data"] is None
    assert (await stale.execute(flows.VIEWER))["viewer"] is None
    # The same user's other session goes on.
    assert (await other.execute(HOME))["employerHome"]["establishmentName"] == "ハローワークケア"


@pytest.mark.usefixtures("employer")
async def test_logout_clears_the_session_cookie(server: Server, gql: GraphQLClient) -> None:
    await flows.log_in(server, gql, "EMPLOYER", EMAIL, PASSWORD)

    response = await gql.post("mutation { logout { errors { code } } }")

    cookie = response.headers["set-cookie"]
    assert cookie.startswith("hw_session=")
    assert "max-age=0" in cookie.lower() or "expires=thu, 01 jan 1970" in cookie.lower()
    gql.token = None
    assert (await gql.execute(flows.VIEWER))["viewer"] is None


async def test_logout_when_anonymous_is_unauthenticated(gql: GraphQLClient) -> None:
    response = await gql.post("mutation { logout { errors { code } } }")

    assert flows.top_level_codes(response) == ["UNAUTHENTICATED"]


@pytest.mark.usefixtures("employer")
async def test_home_needs_a_login(gql: GraphQLClient) -> None:
    response = await gql.post(HOME)

    assert flows.top_level_codes(response) == ["UNAUTHENTICATED"]


@pytest.mark.usefixtures("employer")
async def test_the_session_cookie_is_httponly_and_samesite_lax(
    server: Server, gql: GraphQLClient
) -> None:
    challenge_id, otp = await challenge(server, gql)

    response = await gql.post(
        flows.VERIFY_OTP, {"input": {"challengeId": challenge_id, "otp": otp}}
    )

    token = response.json()["data"]["loginVerifyOtp"]["session"]["token"]
    cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith("hw_session="))
    attributes = [part.strip().lower() for part in cookie.split(";")]
    assert attributes[0] == f"hw_session={token}".lower()
    assert "httponly" in attributes
    assert "samesite=lax" in attributes
    assert "path=/" in attributes
    assert "secure" not in attributes  # development; production adds Secure
    max_age = next(a for a in attributes if a.startswith("max-age="))
    assert int(max_age.removeprefix("max-age=")) == 720 * 60

    # Only the cookie, no Authorization header: authenticated all the same.
    async with httpx.AsyncClient(base_url=server.url, cookies={"hw_session": token}) as browser:
        only_cookie = await browser.post("/graphql", json={"query": "{ viewer { email } }"})
    assert only_cookie.json()["data"] == {"viewer": {"email": EMAIL}}


@pytest.mark.usefixtures("employer")
async def test_a_bearer_token_that_is_not_a_session_is_anonymous(
    new_client: Any,
) -> None:
    client = new_client()
    client.token = "not-a-session-token"

    assert (await client.execute(flows.VIEWER))["viewer"] is None
    assert flows.top_level_codes(await client.post(HOME)) == ["UNAUTHENTICATED"]


@pytest.mark.usefixtures("employer")
async def test_a_session_lasts_720_minutes(server: Server, new_client: Any) -> None:
    client = new_client()
    challenge_id, otp = await challenge(server, client)
    payload = await verify(client, challenge_id, otp)
    client.token = payload["session"]["token"]
    assert dt.datetime.fromisoformat(payload["session"]["expiresAt"]) == START + dt.timedelta(
        minutes=720
    )

    for _ in range(35):  # a request every 20 minutes, so never idle (SESSION_IDLE_MINUTES)
        server.clock.advance(minutes=20)
        await client.execute(HOME)
    server.clock.advance(minutes=19)
    assert (await client.execute(HOME))["employerHome"]["establishmentName"]

    server.clock.advance(minutes=2)
    assert flows.top_level_codes(await client.post(HOME)) == ["UNAUTHENTICATED"]
    assert (await client.execute(flows.VIEWER))["viewer"] is None
