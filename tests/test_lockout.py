"""Lockout: 5 wrong passwords in a row lock a login for 30 minutes, with an unlock key by mail."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import pytest

from app.models import MailedKey
from app.resolvers.accounts import lockout
from tests import flows
from tests import login_flows as lf
from tests.conftest import START, GraphQLClient, Place, Server, new_place

WRONG = "Wrong#pass1"
LOCK_SUBJECT = "ログイン停止のお知らせ"


@pytest.fixture
async def owner(server: Server, new_client: Any) -> Place:
    return await new_place(server, new_client)


async def lock_mails(server: Server) -> int:
    return await flows.mail_count(server, lf.OWNER)


async def fail(client: GraphQLClient, times: int) -> list[list[str]]:
    """`times` wrong passwords; the codes each answer had."""
    return [lf.codes(await lf.try_login(client, lf.OWNER, WRONG)) for _ in range(times)]


@pytest.mark.usefixtures("owner")
async def test_four_failures_then_success_resets_the_count(
    server: Server, gql: GraphQLClient
) -> None:
    assert await fail(gql, 4) == [["INVALID_CREDENTIALS"]] * 4
    assert (await lf.user(lf.OWNER)).failed_logins == 4

    assert (await lf.try_login(gql, lf.OWNER, lf.PASSWORD))["errors"] == []

    assert (await lf.user(lf.OWNER)).failed_logins == 0
    # Four more are again not enough: the count started afresh.
    assert await fail(gql, 4) == [["INVALID_CREDENTIALS"]] * 4
    assert (await lf.try_login(gql, lf.OWNER, lf.PASSWORD))["errors"] == []


@pytest.mark.usefixtures("owner")
async def test_the_fifth_failure_locks_for_30_minutes_and_mails_once(
    server: Server, gql: GraphQLClient
) -> None:
    mails_before = await lock_mails(server)

    answers = await fail(gql, 5)

    assert answers == [["INVALID_CREDENTIALS"]] * 4 + [["ACCOUNT_LOCKED"]]
    user = await lf.user(lf.OWNER)
    assert user.locked_until == START + dt.timedelta(minutes=30)
    assert await lock_mails(server) == mails_before + 1
    mail = await server.last_mail_to(lf.OWNER)
    assert flows.mail_subject(mail) == LOCK_SUBJECT
    assert await lf.unlock_key_from_mail(server, lf.OWNER)
    # Further tries, right or wrong, are refused and mail nothing more.
    assert await fail(gql, 3) == [["ACCOUNT_LOCKED"]] * 3
    right = await lf.try_login(gql, lf.OWNER, lf.PASSWORD)
    assert lf.codes(right) == ["ACCOUNT_LOCKED"]
    assert right["otpChallenge"] is None
    assert "10時30分" in right["errors"][0]["message"]  # Tokyo time of START + 30 minutes
    assert await lock_mails(server) == mails_before + 1


@pytest.mark.usefixtures("owner")
async def test_a_locked_login_is_refused_without_checking_the_password(
    server: Server, gql: GraphQLClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    await fail(gql, 5)

    async def must_not_run(*args: Any, **kwargs: Any) -> bool:
        raise AssertionError("bcrypt ran for a locked login")

    monkeypatch.setattr(lockout, "check_password", must_not_run)

    assert lf.codes(await lf.try_login(gql, lf.OWNER, lf.PASSWORD)) == ["ACCOUNT_LOCKED"]


@pytest.mark.usefixtures("owner")
async def test_still_locked_at_29_minutes(server: Server, gql: GraphQLClient) -> None:
    await fail(gql, 5)
    server.clock.advance(minutes=29, seconds=59)

    assert lf.codes(await lf.try_login(gql, lf.OWNER, lf.PASSWORD)) == ["ACCOUNT_LOCKED"]


@pytest.mark.usefixtures("owner")
async def test_open_again_at_exactly_30_minutes(server: Server, gql: GraphQLClient) -> None:
    await fail(gql, 5)
    server.clock.advance(minutes=30)

    assert (await lf.try_login(gql, lf.OWNER, lf.PASSWORD))["errors"] == []


@pytest.mark.usefixtures("owner")
async def test_after_the_lock_five_new_failures_are_needed(
    server: Server, gql: GraphQLClient
) -> None:
    await fail(gql, 5)
    server.clock.advance(minutes=31)

    assert await fail(gql, 4) == [["INVALID_CREDENTIALS"]] * 4
    assert await fail(gql, 1) == [["ACCOUNT_LOCKED"]]
    assert (await lf.user(lf.OWNER)).locked_until == START + dt.timedelta(minutes=61)


@pytest.mark.usefixtures("owner")
async def test_the_unlock_key_lifts_the_lock(server: Server, gql: GraphQLClient) -> None:
    await fail(gql, 5)
    key = await lf.unlock_key_from_mail(server, lf.OWNER)
    server.clock.advance(minutes=5)

    payload = await lf.mutate(gql, "loginUnlock", email=lf.OWNER, key=key)

    assert payload["errors"] == []
    user = await lf.user(lf.OWNER)
    assert (user.failed_logins, user.locked_until) == (0, None)
    await flows.log_in(server, gql, "EMPLOYER", lf.OWNER, lf.PASSWORD)
    again = await lf.mutate(gql, "loginUnlock", email=lf.OWNER, key=key)
    assert lf.codes(again) == ["AUTH_KEY_VOID"]


@pytest.mark.usefixtures("owner")
async def test_a_wrong_unlock_key_leaves_the_lock(server: Server, gql: GraphQLClient) -> None:
    await fail(gql, 5)
    key = await lf.unlock_key_from_mail(server, lf.OWNER)
    for _ in range(4):
        wrong = await lf.mutate(gql, "loginUnlock", email=lf.OWNER, key="WRONGKEY22")
        assert [(e["field"], e["code"]) for e in wrong["errors"]] == [("key", "AUTH_KEY_INVALID")]
    assert lf.codes(await lf.mutate(gql, "loginUnlock", email=lf.OWNER, key="WRONGKEY22")) == [
        "AUTH_KEY_VOID"
    ]

    assert lf.codes(await lf.mutate(gql, "loginUnlock", email=lf.OWNER, key=key)) == [
        "AUTH_KEY_VOID"
    ]
    assert lf.codes(await lf.try_login(gql, lf.OWNER, lf.PASSWORD)) == ["ACCOUNT_LOCKED"]


@pytest.mark.usefixtures("owner")
async def test_the_unlock_key_ends_with_the_lock(server: Server, gql: GraphQLClient) -> None:
    await fail(gql, 5)
    key = await lf.unlock_key_from_mail(server, lf.OWNER)
    server.clock.advance(minutes=30)

    payload = await lf.mutate(gql, "loginUnlock", email=lf.OWNER, key=key)

    assert lf.codes(payload) == ["AUTH_KEY_EXPIRED"]


@pytest.mark.usefixtures("owner")
async def test_concurrent_failures_lock_once_and_mail_once(server: Server, new_client: Any) -> None:
    mails_before = await lock_mails(server)

    answers = await asyncio.gather(
        *(lf.try_login(new_client(), lf.OWNER, WRONG) for _ in range(12))
    )

    locked = [a for a in answers if lf.codes(a) == ["ACCOUNT_LOCKED"]]
    assert len(locked) >= 1
    assert await lock_mails(server) == mails_before + 1
    assert await MailedKey.filter(purpose="UNLOCK").count() == 1
    assert lf.codes(await lf.try_login(new_client(), lf.OWNER, lf.PASSWORD)) == ["ACCOUNT_LOCKED"]


@pytest.mark.usefixtures("owner")
async def test_an_unknown_address_locks_as_a_login_does(server: Server, new_client: Any) -> None:
    """The answers tell nobody which addresses have a login: an address without one is
    refused, locked and opened again exactly as a login is (the mail goes only to a login)."""
    nobody = "nobody@care.example.jp"

    async def six_tries_and_the_right_password(email: str) -> list[dict[str, Any]]:
        client = new_client()
        answers = [await lf.try_login(client, email, WRONG) for _ in range(6)]
        return [*answers, await lf.try_login(client, email, lf.PASSWORD)]

    real = await six_tries_and_the_right_password(lf.OWNER)
    unknown = await six_tries_and_the_right_password(nobody)

    assert unknown == real
    assert [lf.codes(answer) for answer in real] == [["INVALID_CREDENTIALS"]] * 4 + [
        ["ACCOUNT_LOCKED"]
    ] * 3
    assert "10時30分までログインできません" in real[4]["errors"][0]["message"]
    assert await flows.mail_count(server, nobody) == 0

    server.clock.advance(minutes=30)
    again = [await lf.try_login(new_client(), email, WRONG) for email in (lf.OWNER, nobody)]
    assert again[0] == again[1]
    assert lf.codes(again[0]) == ["INVALID_CREDENTIALS"]


@pytest.mark.usefixtures("owner")
async def test_a_lock_leaves_open_sessions_alone(server: Server, new_client: Any) -> None:
    """The lock stops logins; a session opened before it goes on (a reset would end it)."""
    client = new_client()
    await flows.log_in(server, client, "EMPLOYER", lf.OWNER, lf.PASSWORD)

    await fail(new_client(), 5)

    assert (await client.execute(lf.HOME))["employerHome"]


async def test_wrong_passwords_in_a_re_check_count_too(server: Server, owner: Place) -> None:
    for _ in range(4):
        payload = await lf.mutate(owner.owner, "accountWithdraw", password=WRONG)
        assert [(e["field"], e["code"]) for e in payload["errors"]] == [
            ("password", "INVALID_CREDENTIALS")
        ]

    fifth = await lf.mutate(owner.owner, "accountWithdraw", password=WRONG)

    assert lf.codes(fifth) == ["ACCOUNT_LOCKED"]
    assert lf.codes(await lf.try_login(owner.owner, lf.OWNER, lf.PASSWORD)) == ["ACCOUNT_LOCKED"]


async def test_the_establishment_sees_which_login_is_locked(
    server: Server, owner: Place, new_client: Any
) -> None:
    await lf.add_login(server, owner.owner, new_client(), "second@care.example.jp")
    for _ in range(5):
        await lf.try_login(new_client(), "second@care.example.jp", WRONG)

    listed = {login["email"]: login for login in await lf.logins(owner.owner)}

    assert listed["second@care.example.jp"]["locked"] is True
    assert dt.datetime.fromisoformat(
        listed["second@care.example.jp"]["lockedUntil"]
    ) == START + dt.timedelta(minutes=30)
    assert (listed[lf.OWNER]["locked"], listed[lf.OWNER]["lockedUntil"]) == (False, None)
    server.clock.advance(minutes=30)
    await flows.log_in(server, owner.owner, "EMPLOYER", lf.OWNER, lf.PASSWORD)
    listed = {login["email"]: login for login in await lf.logins(owner.owner)}
    assert listed["second@care.example.jp"]["locked"] is False
