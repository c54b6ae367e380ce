"""The security audit trail (issue 6): what is recorded, who may read it, and that it only grows."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from asyncpg.exceptions import PostgresError
from tortoise.exceptions import BaseORMException

from app.models import AuditEvent
from tests import flows
from tests import login_flows as lf
from tests.conftest import START, GraphQLClient, Place, Server

WRONG = "Wrong#pass1"

AUDIT = """
query ($actions: [AuditAction!], $since: DateTime, $until: DateTime, $first: Int,
       $after: String, $establishmentId: ID) {
  auditEvents(actions: $actions, since: $since, until: $until, first: $first, after: $after,
              establishmentId: $establishmentId) {
    pageInfo { hasNextPage endCursor }
    edges { node {
      id action occurredAt clientAddress actorEmail subjectEmail detail
      establishment { establishmentNumber }
    } }
  }
}"""


async def audit(staff: GraphQLClient, **variables: Any) -> list[dict[str, Any]]:
    """The events staff see, newest first (one page of up to 100)."""
    variables.setdefault("first", 100)
    data = await staff.execute(AUDIT, variables)
    return [edge["node"] for edge in data["auditEvents"]["edges"]]


def actions(events: list[dict[str, Any]]) -> list[str]:
    return [event["action"] for event in events]


@pytest.fixture
async def owner(server: Server, new_client: Any) -> Place:
    """Made through the API: the first test reads what those requests recorded."""
    staff = await flows.staff_client(server, new_client())
    counter = await flows.register_at_counter(staff)
    owner: GraphQLClient = new_client()
    await flows.open_employer_account(server, owner, counter)
    return Place(counter, staff, owner)


async def test_account_opening_and_login_are_recorded_for_the_office(
    owner: Place,
) -> None:
    events = await audit(owner.staff)

    # Newest first, back to the staff login made on the command line.
    assert actions(events) == [
        "LOGIN_SUCCEEDED",
        "ACCOUNT_OPENED",
        "ACCOUNT_CODE_ISSUED",
        "ESTABLISHMENT_REGISTERED",
        "LOGIN_SUCCEEDED",
        "STAFF_CREATED",
    ]
    login, opened, issued, registered, staff_login, created = events
    assert login["subjectEmail"] == lf.OWNER
    assert login["detail"] == {"method": "otp"}
    assert login["clientAddress"] == "127.0.0.1"
    assert login["establishment"] == {"establishmentNumber": "1301-123456-7"}
    assert opened["subjectEmail"] == lf.OWNER
    assert issued["actorEmail"] == "staff13010@example.jp"
    assert issued["detail"] == {"expires_on": "2026-12-25"}
    assert registered["actorEmail"] == "staff13010@example.jp"
    assert staff_login["subjectEmail"] == "staff13010@example.jp"
    assert staff_login["establishment"] is None
    assert created["detail"] == {"via": "command_line"}
    # Nothing secret is ever part of an event.
    assert owner.counter.code not in json.dumps(events)


async def test_wrong_passwords_lock_and_unlock_are_recorded(
    server: Server, owner: Place, gql: GraphQLClient
) -> None:
    for _ in range(4):
        await lf.try_login(gql, lf.OWNER, WRONG)
    assert (
        actions(await audit(owner.staff, actions=["LOGIN_FAILED", "LOGIN_LOCKED"]))
        == ["LOGIN_FAILED"] * 4
    )

    await lf.try_login(gql, lf.OWNER, WRONG)  # the fifth locks
    await lf.try_login(gql, lf.OWNER, lf.PASSWORD)  # refused while locked

    events = await audit(
        owner.staff, actions=["LOGIN_FAILED", "LOGIN_LOCKED", "LOGIN_UNLOCKED", "LOGIN_SUCCEEDED"]
    )
    assert actions(events)[:3] == ["LOGIN_FAILED", "LOGIN_LOCKED", "LOGIN_FAILED"]
    refused_while_locked, locked, fifth = events[:3]
    assert refused_while_locked["detail"] == {"step": "login", "reason": "locked"}
    assert fifth["detail"] == {"step": "login", "reason": "wrong_password"}
    assert fifth["subjectEmail"] == lf.OWNER
    assert fifth["actorEmail"] is None
    assert locked["detail"]["until"].startswith(str((START + dt.timedelta(minutes=30)).date()))
    assert WRONG not in json.dumps(events)
    assert lf.PASSWORD not in json.dumps(events)

    unlocked = await lf.mutate(
        gql, "loginUnlock", email=lf.OWNER, key=await lf.unlock_key_from_mail(server, lf.OWNER)
    )
    assert unlocked["errors"] == []
    assert actions(await audit(owner.staff, first=1)) == ["LOGIN_UNLOCKED"]


async def test_a_wrong_one_time_password_is_recorded(
    server: Server, owner: Place, gql: GraphQLClient
) -> None:
    data = await gql.execute(
        flows.LOGIN,
        {"input": {"portal": "EMPLOYER", "email": lf.OWNER, "password": lf.PASSWORD}},
    )
    challenge = data["login"]["otpChallenge"]["id"]
    right = await flows.otp_from_mail(server, lf.OWNER)
    wrong = "000000" if right != "000000" else "111111"

    await gql.execute(flows.VERIFY_OTP, {"input": {"challengeId": challenge, "otp": wrong}})

    [event] = await audit(owner.staff, first=1)
    assert event["action"] == "OTP_FAILED"
    assert event["subjectEmail"] == lf.OWNER
    assert event["detail"] == {"closed": False}


async def test_code_voided_at_the_tenth_wrong_try_and_when_replaced(
    server: Server, new_client: Any
) -> None:
    staff = await flows.staff_client(server, new_client())
    counter = await flows.register_at_counter(staff)
    applicant = new_client()
    wrong = {"accountCreationCode": "WRONG0CODE"}

    for _ in range(9):
        await flows.request_registration(applicant, counter, "hr@care.example.jp", **wrong)
    assert "ACCOUNT_CODE_VOIDED" not in actions(await audit(staff))

    await flows.request_registration(applicant, counter, "hr@care.example.jp", **wrong)
    [voided] = await audit(staff, actions=["ACCOUNT_CODE_VOIDED"])
    assert voided["detail"] == {"reason": "too_many_failed_tries"}
    assert voided["clientAddress"] == "127.0.0.1"
    assert voided["establishment"] == {"establishmentNumber": counter.establishment_number}

    await flows.issue_code(staff, counter.establishment_id)  # nothing active: nothing replaced
    assert len(await audit(staff, actions=["ACCOUNT_CODE_VOIDED"])) == 1
    await flows.issue_code(staff, counter.establishment_id)  # replaces the active one
    events = await audit(staff, actions=["ACCOUNT_CODE_VOIDED", "ACCOUNT_CODE_ISSUED"])
    assert actions(events)[:2] == ["ACCOUNT_CODE_ISSUED", "ACCOUNT_CODE_VOIDED"]
    assert events[1]["detail"] == {"reason": "replaced"}
    assert events[1]["actorEmail"] == "staff13010@example.jp"


async def test_logins_added_removed_and_their_credentials_are_recorded(
    server: Server, owner: Place, new_client: Any
) -> None:
    second, third, moved = "second@care.example.jp", "third@care.example.jp", "new@care.example.jp"
    await lf.add_login(server, owner.owner, new_client(), second)
    await lf.add_login(server, owner.owner, new_client(), third)

    # Password reset of the second login.
    anonymous = new_client()
    await lf.mutate(anonymous, "passwordResetRequest", portal="EMPLOYER", email=second)
    reset = await lf.mutate(
        anonymous,
        "passwordResetComplete",
        portal="EMPLOYER",
        email=second,
        key=await lf.key_from_mail(server, second),
        password="Another#pass2",
        passwordConfirmation="Another#pass2",
    )
    assert reset["errors"] == []
    # Email change of the owner; removal of the third; withdrawal of the second.
    await lf.mutate(owner.owner, "emailChangeRequest", newEmail=moved, password=lf.PASSWORD)
    confirmed = await lf.mutate(
        owner.owner, "emailChangeConfirm", key=await lf.key_from_mail(server, moved)
    )
    assert confirmed["errors"] == []
    removed = await lf.mutate(
        owner.owner, "employerLoginRemove", userId=await lf.login_id(owner.owner, third)
    )
    assert removed["errors"] == []
    second_client = new_client()
    await flows.log_in(server, second_client, "EMPLOYER", second, "Another#pass2")
    withdrawn = await lf.mutate(second_client, "accountWithdraw", password="Another#pass2")
    assert withdrawn["errors"] == []

    events = await audit(
        owner.staff,
        actions=[
            "LOGIN_INVITED",
            "LOGIN_ADDED",
            "PASSWORD_RESET",
            "EMAIL_CHANGED",
            "LOGIN_REMOVED",
            "WITHDRAWN",
        ],
    )
    summary = [(e["action"], e["actorEmail"], e["subjectEmail"]) for e in reversed(events)]
    assert summary == [
        # Logins are shown by their address now: the owner's is `moved` since.
        ("LOGIN_INVITED", moved, None),
        ("LOGIN_ADDED", second, second),
        ("LOGIN_INVITED", moved, None),
        ("LOGIN_ADDED", third, third),
        ("PASSWORD_RESET", None, second),
        ("EMAIL_CHANGED", moved, moved),
        ("LOGIN_REMOVED", moved, third),  # a closed login is shown by the address it had
        ("WITHDRAWN", second, second),
    ]
    changed = next(e for e in events if e["action"] == "EMAIL_CHANGED")
    assert changed["detail"] == {"from": lf.OWNER, "to": moved}
    assert "Another#pass2" not in json.dumps(events)


async def test_the_staff_actions_are_recorded(server: Server, owner: Place) -> None:
    posting = await flows.create_posting(owner.owner)
    await flows.posting_step(owner.owner, "postingSubmit", {"id": posting["id"]})
    await flows.posting_step(owner.staff, "postingReturn", {"id": posting["id"], "reason": "賃金"})
    await flows.submit_and_register(owner.owner, owner.staff, posting["id"])
    await flows.posting_step(owner.staff, "postingAccept", {"id": posting["id"]})

    events = await audit(owner.staff, actions=["POSTING_RETURNED", "POSTING_ACCEPTED"])

    assert actions(events) == ["POSTING_ACCEPTED", "POSTING_RETURNED"]
    for event in events:
        assert event["actorEmail"] == "staff13010@example.jp"
        assert event["establishment"] == {"establishmentNumber": "1301-123456-7"}
        assert event["detail"]["change_request"] is False


async def test_staff_see_only_their_own_office(
    server: Server, owner: Place, new_client: Any
) -> None:
    other = await flows.staff_client(server, new_client(), "27010")

    events = await audit(other)

    assert actions(events) == ["LOGIN_SUCCEEDED", "STAFF_CREATED"]  # nothing of office 13010
    assert events[0]["subjectEmail"] == "staff27010@example.jp"
    response = await owner.owner.post(AUDIT, {"first": 10})
    assert flows.top_level_codes(response) == ["FORBIDDEN"]


async def test_filters_by_time_window_and_pages(
    server: Server, owner: Place, gql: GraphQLClient
) -> None:
    later = START + dt.timedelta(minutes=20)  # within the staff session's idle timeout
    server.clock.set(later)
    await lf.try_login(gql, lf.OWNER, WRONG)

    # `since` inclusive, `until` exclusive, at the very instant of the later event.
    assert actions(await audit(owner.staff, since=later.isoformat())) == ["LOGIN_FAILED"]
    assert "LOGIN_FAILED" not in actions(await audit(owner.staff, until=later.isoformat()))
    # A time without offset is Japan time: 10:20 in Tokyo is 01:20 UTC.
    assert actions(await audit(owner.staff, since="2026-11-25T10:20:00")) == ["LOGIN_FAILED"]
    assert actions(await audit(owner.staff, since="2026-11-25T10:20:00.001")) == []

    everything = await audit(owner.staff)
    first = (await owner.staff.execute(AUDIT, {"first": 2}))["auditEvents"]
    assert [edge["node"]["id"] for edge in first["edges"]] == [e["id"] for e in everything[:2]]
    assert first["pageInfo"]["hasNextPage"] is True
    rest = (
        await owner.staff.execute(AUDIT, {"first": 100, "after": first["pageInfo"]["endCursor"]})
    )["auditEvents"]
    assert [edge["node"]["id"] for edge in rest["edges"]] == [e["id"] for e in everything[2:]]
    assert rest["pageInfo"]["hasNextPage"] is False


@pytest.mark.usefixtures("owner")
async def test_the_trail_is_append_only() -> None:
    before = [(e.id, e.action, e.detail) for e in await AuditEvent.all().order_by("id")]
    assert before

    # Tortoise wraps SQLite's refusal; asyncpg's RAISE EXCEPTION comes through as it is.
    with pytest.raises((BaseORMException, PostgresError), match="append-only"):
        await AuditEvent.filter(id=before[0][0]).update(detail={"forged": True})

    after = [(e.id, e.action, e.detail) for e in await AuditEvent.all().order_by("id")]
    assert after == before
