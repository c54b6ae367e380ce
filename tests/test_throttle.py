"""Throttling (app/throttle.py): the in-memory and Redis counters at their limits, the
fallback when Redis is away, the settings, and a real server answering 429."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import mailbox
import secrets
import sqlite3
import time
import uuid
from pathlib import Path

import httpx
import pytest
from strawberry import relay

from app.clock import MovableClock
from app.errors import Throttled
from app.settings import ConfigurationError, RateLimit, RateLimits, Settings
from app.throttle import Action, MemoryCounter, RedisCounter, Throttle
from tests import flows
from tests.conftest import GraphQLClient, Server
from tests.processes import UvicornProcess, free_port, run_app_ok, service_env

# On a window's edge (a multiple of 60 s), so the windows of a test are easy to reason about.
WINDOW_START = dt.datetime(2026, 11, 25, 1, 0, tzinfo=dt.UTC)

LIMITS = RateLimits(
    login_per_address=RateLimit(10, 60),
    login_per_account=RateLimit(5, 60),
    requests_per_session=RateLimit(3, 60),
)


def throttle(clock: MovableClock, counter: MemoryCounter | RedisCounter, key: str) -> Throttle:
    return Throttle(LIMITS, clock, counter, secret_key=key)


async def test_per_account_limit_allows_n_then_refuses_until_the_window_ends() -> None:
    clock = MovableClock(WINDOW_START)
    limiter = throttle(clock, MemoryCounter(), "k")
    for _ in range(5):
        await limiter.hit(Action.LOGIN, client="192.0.2.1", subject="a@example.jp")
    clock.advance(seconds=20)
    with pytest.raises(Throttled) as refused:
        # The same account, whatever the spelling of its address.
        await limiter.hit(Action.LOGIN, client="192.0.2.2", subject=" A@Example.jp ")
    assert refused.value.retry_after == 40
    await limiter.hit(Action.LOGIN, client="192.0.2.3", subject="b@example.jp")
    clock.advance(seconds=40)
    await limiter.hit(Action.LOGIN, client="192.0.2.1", subject="a@example.jp")


async def test_per_address_limit_counts_every_account() -> None:
    clock = MovableClock(WINDOW_START)
    limiter = throttle(clock, MemoryCounter(), "k")
    for n in range(10):
        await limiter.hit(Action.LOGIN, client="192.0.2.1", subject=f"user{n}@example.jp")
    with pytest.raises(Throttled) as refused:
        await limiter.hit(Action.LOGIN, client="192.0.2.1", subject="other@example.jp")
    assert refused.value.retry_after == 60
    await limiter.hit(Action.LOGIN, client="192.0.2.9", subject="other@example.jp")
    clock.advance(seconds=59.5)
    with pytest.raises(Throttled) as refused:
        await limiter.hit(Action.LOGIN, client="192.0.2.1", subject="other@example.jp")
    assert refused.value.retry_after == 1
    clock.advance(seconds=0.5)
    await limiter.hit(Action.LOGIN, client="192.0.2.1", subject="other@example.jp")


async def test_request_budget_is_per_session_and_per_address_when_anonymous() -> None:
    clock = MovableClock(WINDOW_START)
    limiter = throttle(clock, MemoryCounter(), "k")
    for _ in range(3):
        await limiter.hit_request(session_id=1, client="192.0.2.1")
    with pytest.raises(Throttled):
        await limiter.hit_request(session_id=1, client="192.0.2.1")
    # Another session from the same address has its own budget, and so has the anonymous one.
    await limiter.hit_request(session_id=2, client="192.0.2.1")
    for _ in range(3):
        await limiter.hit_request(session_id=None, client="192.0.2.1")
    with pytest.raises(Throttled):
        await limiter.hit_request(session_id=None, client="192.0.2.1")


async def test_off_counts_nothing() -> None:
    limiter = Throttle(LIMITS, MovableClock(WINDOW_START), MemoryCounter(), secret_key="k")
    limiter.enabled = False
    for _ in range(20):
        await limiter.hit(Action.LOGIN, client="192.0.2.1", subject="a@example.jp")
        await limiter.hit_request(session_id=None, client="192.0.2.1")
    assert len(limiter.counter) == 0  # type: ignore[arg-type]


async def test_memory_counter_drops_expired_counters() -> None:
    clock = MovableClock(WINDOW_START)
    counter = MemoryCounter()
    limiter = throttle(clock, counter, "k")
    for n in range(50):
        await limiter.hit(Action.LOGIN, client=f"192.0.2.{n}", subject=f"u{n}@example.jp")
    assert len(counter) == 100
    clock.advance(minutes=2)
    await limiter.hit(Action.LOGIN, client="192.0.2.1", subject="a@example.jp")
    assert len(counter) == 2


def test_every_action_names_two_limits() -> None:
    limits = RateLimits()
    for action in Action:
        for name in action.value:
            assert isinstance(getattr(limits, name), RateLimit), (action, name)


def test_settings_switch_and_override_limits() -> None:
    assert Settings.from_env({}).rate_limits is True
    assert Settings.from_env({"RATE_LIMITS": "off"}).rate_limits is False
    settings = Settings.from_env({"RATE_LIMIT_LOGIN_PER_ADDRESS": "20/120"})
    assert settings.rate_limit_table.login_per_address == RateLimit(20, 120)
    assert settings.rate_limit_table.login_per_account == RateLimit(5, 60)
    for env in (
        {"RATE_LIMITS": "maybe"},
        {"RATE_LIMIT_LOGIN_PER_ADDRESS": "20"},
        {"RATE_LIMIT_OTP_PER_CHALLENGE": "0/60"},
    ):
        with pytest.raises(ConfigurationError):
            Settings.from_env(env)


# --- Redis -------------------------------------------------------------------------------------


async def test_redis_counts_are_shared_by_every_process(redis_url: str) -> None:
    clock = MovableClock(WINDOW_START)
    key = secrets.token_hex(8)  # a fresh key space, whatever earlier runs left in Redis
    first, second = RedisCounter(redis_url), RedisCounter(redis_url)
    try:
        one, two = throttle(clock, first, key), throttle(clock, second, key)
        for n in range(5):
            await (one if n % 2 else two).hit(
                Action.LOGIN, client=f"192.0.2.{n}", subject="a@example.jp"
            )
        with pytest.raises(Throttled):
            await one.hit(Action.LOGIN, client="192.0.2.9", subject="a@example.jp")
        with pytest.raises(Throttled):
            await two.hit(Action.LOGIN, client="192.0.2.9", subject="a@example.jp")
        assert first.available
        assert second.available
        assert len(first.fallback) == len(second.fallback) == 0
        clock.advance(minutes=1)
        await two.hit(Action.LOGIN, client="192.0.2.9", subject="a@example.jp")
    finally:
        await first.close()
        await second.close()


async def test_redis_away_falls_back_to_memory_and_says_so(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = MovableClock(WINDOW_START)
    counter = RedisCounter(f"redis://127.0.0.1:{free_port()}/0", timeout=0.2)
    try:
        limiter = throttle(clock, counter, "k")
        with caplog.at_level(logging.WARNING, logger="app.throttle"):
            for _ in range(5):
                await limiter.hit(Action.LOGIN, client="192.0.2.1", subject="a@example.jp")
            with pytest.raises(Throttled):
                await limiter.hit(Action.LOGIN, client="192.0.2.1", subject="a@example.jp")
        assert not counter.available
        warnings = [r for r in caplog.records if "throttling in memory" in r.getMessage()]
        assert len(warnings) == 1
    finally:
        await counter.close()


# --- A real server -------------------------------------------------------------------------------

LOGIN = """
mutation ($email: String!) {
  login(input: {portal: STAFF, email: $email, password: "staff-password-1234"}) {
    otpChallenge { id }
    errors { code }
  }
}
"""


def _mails(mail_dir: Path) -> int:
    box = mailbox.Maildir(mail_dir, create=True)
    try:
        return len(box)
    finally:
        box.close()


def _stored_mails(var_dir: Path) -> int:
    """Mails in the child's outbox: written with the change, before its answer."""
    with contextlib.closing(sqlite3.connect(var_dir / "hellowork.sqlite3")) as db:
        (count,) = db.execute("SELECT count(*) FROM outgoing_mail").fetchone()
    return int(count)


@pytest.mark.slow
async def test_the_eleventh_login_of_a_minute_gets_429_and_no_mail(tmp_path: Path) -> None:
    var_dir = tmp_path / "var"
    env = service_env(var_dir, RATE_LIMITS="on")
    run_app_ok(env, "migrate")
    run_app_ok(
        env,
        *("staff", "create", "--office-code", "13010", "--office-name", "飯田橋公共職業安定所"),
        *("--email", "staff@example.jp", "--password", "staff-password-1234"),
    )
    with UvicornProcess(env, tmp_path / "uvicorn.log") as process:
        # The windows are minutes of the wall clock: start the eleven tries early in one.
        into_minute = time.time() % 60
        if into_minute > 40:
            await asyncio.sleep(60.5 - into_minute)
        async with httpx.AsyncClient(base_url=process.url, timeout=30) as http:
            answers = []
            # Four tries at the staff login (under its per-account limit of 5), six elsewhere.
            emails = ["staff@example.jp"] * 4 + [f"nobody{n}@example.jp" for n in range(6)]
            for email in emails:
                response = await http.post(
                    "/graphql", json={"query": LOGIN, "variables": {"email": email}}
                )
                answers.append(response)
            assert [r.status_code for r in answers] == [200] * 10
            assert all(r.json()["data"]["login"]["otpChallenge"] for r in answers[:4])
            assert _stored_mails(var_dir) == 4
            for _ in range(250):  # sent just after the answers
                if _mails(var_dir / "mail") == 4:
                    break
                await asyncio.sleep(0.02)
            assert _mails(var_dir / "mail") == 4

            refused = await http.post(
                "/graphql", json={"query": LOGIN, "variables": {"email": "staff@example.jp"}}
            )
    assert refused.status_code == 429, refused.text
    body = refused.json()
    [error] = body["errors"]
    assert error["extensions"]["code"] == "THROTTLED"
    retry_after = error["extensions"]["retryAfter"]
    assert 1 <= retry_after <= 60
    assert refused.headers["retry-after"] == str(retry_after)
    assert "しばらくしてから" in error["message"]
    assert body["data"] is None
    assert _stored_mails(var_dir) == 4


async def test_one_otp_challenge_has_one_budget_however_its_id_is_written(
    server: Server, gql: GraphQLClient
) -> None:
    """UUIDs parse from many spellings (case, braces, `urn:uuid:`); each must not count as
    another challenge with a budget of its own."""
    staff = await flows.create_staff(server)
    data = await gql.execute(
        flows.LOGIN,
        {"input": {"portal": "STAFF", "email": staff.email, "password": flows.STAFF_PASSWORD}},
    )
    challenge = uuid.UUID(relay.GlobalID.from_id(data["login"]["otpChallenge"]["id"]).node_id)
    spellings = [
        str(challenge),
        str(challenge).upper(),
        "{" + str(challenge) + "}",
        challenge.urn,
        challenge.hex,
        "{" + challenge.hex.upper() + "}",
    ]
    limit = server.rt.throttle.limits.otp_per_challenge
    assert len(spellings) == limit.count + 1
    server.rt.throttle.enabled = True
    try:
        answers = [
            await gql.post(flows.VERIFY_OTP, {"input": {"challengeId": spelling, "otp": "000000"}})
            for spelling in spellings
        ]
    finally:
        server.rt.throttle.enabled = False
    assert [a.status_code for a in answers] == [200] * limit.count + [429]
    assert answers[-1].json()["errors"][0]["extensions"]["code"] == "THROTTLED"
