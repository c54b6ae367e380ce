"""Concurrent requests against the real server: counters and claims must not lose updates.

Each test fires its requests at once from several HTTP clients (asyncio.gather), so the
server handles them as interleaved tasks: on SQLite one connection, on PostgreSQL a pool.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections import Counter as Tally
from typing import Any

import pytest

from app.models import AccountCreationCode, EmployerRegistration, Portal, User
from app.models.accounts import RegistrationStatus
from app.models.establishments import AccountCodeStatus
from app.resolvers.accounts import registration as employer_registration
from tests import flows
from tests.conftest import Counter, GraphQLClient, Server, new_establishment, new_staff

WRONG_TRIES = 10
ON_POSTGRES = os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))


def error_codes(payload: dict[str, Any]) -> list[str]:
    return [error["code"] for error in payload["errors"]]


async def staff_and_counter(server: Server, new_client: Any) -> tuple[GraphQLClient, Counter]:
    staff = await new_staff(server, new_client())
    return staff, await new_establishment(server, staff)


async def test_concurrent_wrong_tries_are_all_counted(server: Server, new_client: Any) -> None:
    _, counter = await staff_and_counter(server, new_client)
    # Every kind of mismatch counts against the same code: the phone, the number, the code.
    wrong = [
        {"phoneNumber": "03-3812-9999"},
        {"establishmentNumber": "1301-654321-0"},
        {"accountCreationCode": "wrong#cod1"},
    ]
    tries = [
        flows.request_registration(
            new_client(), counter, f"hr{i}@care.example.jp", **wrong[i % len(wrong)]
        )
        for i in range(WRONG_TRIES)
    ]

    payloads = await asyncio.gather(*tries)

    answers = Tally(code for payload in payloads for code in error_codes(payload))
    expected = {"REGISTRATION_DETAILS_INVALID": WRONG_TRIES - 1, "ACCOUNT_CREATION_CODE_VOID": 1}
    assert answers == expected, payloads
    code = await AccountCreationCode.get(establishment__number=counter.establishment_number)
    assert code.failed_attempts == WRONG_TRIES
    assert code.status == AccountCodeStatus.VOID
    assert await EmployerRegistration.all().count() == 0
    # The right details no longer open anything.
    payload = await flows.request_registration(new_client(), counter, "hr@care.example.jp")
    assert error_codes(payload) == ["ACCOUNT_CREATION_CODE_VOID"]


async def test_concurrent_wrong_tries_past_the_limit_stop_counting(
    server: Server, new_client: Any
) -> None:
    _, counter = await staff_and_counter(server, new_client)
    tries = [
        flows.request_registration(
            new_client(), counter, f"hr{i}@care.example.jp", phoneNumber="03-3812-9999"
        )
        for i in range(WRONG_TRIES + 3)
    ]

    payloads = await asyncio.gather(*tries)

    answers = Tally(code for payload in payloads for code in error_codes(payload))
    expected = {"REGISTRATION_DETAILS_INVALID": WRONG_TRIES - 1, "ACCOUNT_CREATION_CODE_VOID": 4}
    assert answers == expected, payloads
    code = await AccountCreationCode.get(establishment__number=counter.establishment_number)
    assert code.failed_attempts == WRONG_TRIES
    assert code.status == AccountCodeStatus.VOID


class HashingGate:
    """Holds each password hashing until `parties` requests reach it (or a second passes).

    Completion checks the key and the code, hashes the password, then opens the account in a
    transaction. Holding every request at the hashing makes all of them pass the checks before
    any opens the account: the worst interleaving, every time.
    """

    def __init__(self, monkeypatch: pytest.MonkeyPatch, parties: int) -> None:
        self.parties = parties
        self.arrived = 0
        self._everyone = asyncio.Event()
        self._hash_password = employer_registration.hash_password
        monkeypatch.setattr(employer_registration, "hash_password", self._gated_hash_password)

    async def _gated_hash_password(self, password: str, rounds: int) -> str:
        self.arrived += 1
        if self.arrived >= self.parties:
            self._everyone.set()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._everyone.wait(), timeout=1)
        return await self._hash_password(password, rounds)


async def test_concurrent_completions_open_one_account(
    server: Server, new_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, counter = await staff_and_counter(server, new_client)
    email = "hr@care.example.jp"
    payload = await flows.request_registration(new_client(), counter, email)
    assert payload["errors"] == [], payload
    key = await flows.auth_key_from_mail(server, email)
    gate = HashingGate(monkeypatch, parties=2)

    payloads = await asyncio.gather(
        flows.complete_registration(new_client(), email, key),
        flows.complete_registration(new_client(), email, key),
    )

    assert gate.arrived == 2, "both requests passed the checks before either opened the account"
    assert sorted(len(p["errors"]) for p in payloads) == [0, 1], payloads
    assert await User.filter(portal=Portal.EMPLOYER).count() == 1
    code = await AccountCreationCode.get(establishment__number=counter.establishment_number)
    assert code.status == AccountCodeStatus.USED
    registration = await EmployerRegistration.get(email=email)
    assert registration.status == RegistrationStatus.COMPLETED
    # The account that was opened works.
    await flows.log_in(server, new_client(), "EMPLOYER", email, flows.EMPLOYER_PASSWORD)


async def test_two_pending_applicants_on_one_code_open_one_account(
    server: Server, new_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, counter = await staff_and_counter(server, new_client)
    emails = ["hr1@care.example.jp", "hr2@care.example.jp"]
    for email in emails:
        payload = await flows.request_registration(new_client(), counter, email)
        assert payload["errors"] == [], payload
    keys = [await flows.auth_key_from_mail(server, email) for email in emails]
    # The second application voided the first; concurrent applications on PostgreSQL can
    # leave both pending, so make it so here: the code itself must still open one account.
    await EmployerRegistration.filter(email=emails[0]).update(
        status=RegistrationStatus.PENDING, closed_at=None
    )
    gate = HashingGate(monkeypatch, parties=2)

    payloads = await asyncio.gather(
        *(
            flows.complete_registration(new_client(), email, key)
            for email, key in zip(emails, keys, strict=True)
        )
    )

    assert gate.arrived == 2, "both requests passed the checks before either opened the account"
    assert sorted(error_codes(p) for p in payloads) == [[], ["ACCOUNT_CREATION_CODE_VOID"]]
    assert await User.filter(portal=Portal.EMPLOYER).count() == 1
    code = await AccountCreationCode.get(establishment__number=counter.establishment_number)
    assert code.status == AccountCodeStatus.USED


async def test_concurrent_issues_leave_one_active_code(server: Server, new_client: Any) -> None:
    staff, counter = await staff_and_counter(server, new_client)
    clients = []
    for _ in range(5):
        client = new_client()
        client.token = staff.token
        clients.append(client)

    codes = await asyncio.gather(
        *(flows.issue_code(client, counter.establishment_id) for client in clients)
    )

    assert len(set(codes)) == len(codes)
    issued = await AccountCreationCode.filter(establishment__number=counter.establishment_number)
    assert len(issued) == 1 + len(codes)
    statuses = Tally(code.status for code in issued)
    assert statuses == {AccountCodeStatus.ACTIVE: 1, AccountCodeStatus.REPLACED: len(codes)}
    # The one code still active is the last one issued, and it opens the account.
    active = next(code for code in issued if code.status == AccountCodeStatus.ACTIVE)
    assert active.id == max(code.id for code in issued)
    survivors = []
    for plain in codes:
        payload = await flows.request_registration(
            new_client(), counter, "hr@care.example.jp", accountCreationCode=plain
        )
        if payload["errors"] == []:
            survivors.append(plain)
    assert len(survivors) == 1
