"""Sessions end after SESSION_IDLE_MINUTES without a request and, at the latest,
SESSION_TTL_MINUTES after the login; the session cookie's flags in development.

The production flags (`Secure`) are checked against a production server in
`tests/test_browser_safety.py`.
"""

from __future__ import annotations

from http.cookies import SimpleCookie
from typing import Any

import httpx
import pytest

from app.models import Portal, Session, User
from app.settings import Settings
from tests import flows
from tests.conftest import (
    START,
    Counter,
    GraphQLClient,
    Server,
    new_employer_login,
    new_establishment,
    open_session,
)

EMAIL = "hr@care.example.jp"
HOME = "{ employerHome { establishmentName } }"


@pytest.fixture
async def counter(server: Server, staff: GraphQLClient) -> Counter:
    """The establishment, with an opened (not yet logged-in) employer account EMAIL."""
    counter = await new_establishment(server, staff)
    await new_employer_login(server, counter, EMAIL)
    server.clock.set(START)
    return counter


@pytest.fixture
async def employer(server: Server, new_client: Any, counter: Counter) -> GraphQLClient:
    """An employer logged in at START, with a bearer token."""
    client: GraphQLClient = new_client()
    await open_session(server, client, await User.get(portal=Portal.EMPLOYER, email=EMAIL))
    return client


async def is_authenticated(client: GraphQLClient) -> bool:
    response = await client.post(HOME)
    codes = flows.top_level_codes(response)
    assert codes in ([], ["UNAUTHENTICATED"]), response.text
    return codes == []


async def last_seen() -> Any:
    session = await Session.get(user__email=EMAIL, ended_at__isnull=True)
    return session.last_seen_at


# --- Idle timeout ------------------------------------------------------------------------------


async def test_a_session_holds_after_29_idle_minutes(
    server: Server, employer: GraphQLClient
) -> None:
    server.clock.advance(minutes=29)
    assert await is_authenticated(employer)


async def test_a_session_ends_after_31_idle_minutes(
    server: Server, employer: GraphQLClient
) -> None:
    server.clock.advance(minutes=31)
    assert not await is_authenticated(employer)
    assert (await employer.execute(flows.VIEWER))["viewer"] is None


async def test_the_idle_timeout_ends_just_after_30_minutes(
    server: Server, employer: GraphQLClient
) -> None:
    server.clock.advance(minutes=30)
    assert await is_authenticated(employer)
    server.clock.advance(minutes=30, seconds=1)
    assert not await is_authenticated(employer)


async def test_each_request_restarts_the_idle_timeout(
    server: Server, employer: GraphQLClient
) -> None:
    for _ in range(3):
        server.clock.advance(minutes=29)
        assert await is_authenticated(employer)
    server.clock.advance(minutes=31)
    assert not await is_authenticated(employer)


async def test_an_idle_session_stays_ended_when_the_user_comes_back(
    server: Server, employer: GraphQLClient
) -> None:
    server.clock.advance(minutes=31)
    assert not await is_authenticated(employer)
    server.clock.advance(minutes=1)
    assert not await is_authenticated(employer)


async def test_last_seen_is_written_at_most_once_a_minute(
    server: Server, employer: GraphQLClient
) -> None:
    assert await last_seen() == START

    server.clock.advance(seconds=59)
    assert await is_authenticated(employer)
    assert await is_authenticated(employer)
    assert await last_seen() == START

    server.clock.advance(seconds=1)
    assert await is_authenticated(employer)
    assert await last_seen() == START.replace(minute=1)


async def test_the_idle_timeout_is_configurable() -> None:
    assert Settings.from_env({}).session_idle_minutes == 30
    assert Settings.from_env({"SESSION_IDLE_MINUTES": "5"}).session_idle_minutes == 5


# --- Absolute timeout ---------------------------------------------------------------------------


async def test_an_active_session_holds_at_719_minutes(
    server: Server, employer: GraphQLClient
) -> None:
    for _ in range(35):  # a request every 20 minutes: never idle
        server.clock.advance(minutes=20)
        assert await is_authenticated(employer)
    server.clock.advance(minutes=19)
    assert await is_authenticated(employer)


async def test_an_active_session_ends_at_721_minutes(
    server: Server, employer: GraphQLClient
) -> None:
    for _ in range(35):
        server.clock.advance(minutes=20)
        assert await is_authenticated(employer)
    server.clock.advance(minutes=19)
    assert await is_authenticated(employer)
    server.clock.advance(minutes=2)
    assert not await is_authenticated(employer)
    assert (await employer.execute(flows.VIEWER))["viewer"] is None


# --- The session cookie --------------------------------------------------------------------------


async def test_the_session_cookie_is_httponly_lax_and_site_wide(
    server: Server, counter: Counter, http: httpx.AsyncClient
) -> None:
    client = GraphQLClient(http)
    data = await client.execute(
        flows.LOGIN,
        {"input": {"portal": "EMPLOYER", "email": EMAIL, "password": flows.EMPLOYER_PASSWORD}},
    )
    challenge_id = data["login"]["otpChallenge"]["id"]
    response = await client.post(
        flows.VERIFY_OTP,
        {"input": {"challengeId": challenge_id, "otp": await flows.otp_from_mail(server, EMAIL)}},
    )
    assert response.status_code == 200, response.text

    cookie = session_cookie(response)
    assert cookie["httponly"] is True
    assert cookie["samesite"].lower() == "lax"
    assert cookie["path"] == "/"
    assert not cookie["secure"], "Secure only in production: development runs on plain HTTP"
    assert int(cookie["max-age"]) == 720 * 60

    # The browser sends it back: the cookie alone authenticates a JSON POST.
    assert (await client.execute(flows.VIEWER))["viewer"]["email"] == EMAIL


def session_cookie(response: httpx.Response) -> Any:
    """The attributes of the `hw_session` Set-Cookie of a response."""
    for header in response.headers.get_list("set-cookie"):
        cookies = SimpleCookie()
        cookies.load(header)
        if "hw_session" in cookies:
            return cookies["hw_session"]
    raise AssertionError(f"no hw_session cookie in {response.headers}")
