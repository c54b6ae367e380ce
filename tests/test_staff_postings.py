"""Postings staff enter for an establishment from its paper 求人申込書 (代理入力), over real HTTP:
who may enter, rewrite, submit and accept them, the acceptance note, and FOUR_EYES_REVIEW."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.models import AuditAction, AuditEvent, Posting, PostingEvent
from app.models.postings import PostingAction
from app.schema.nodes import decode_id
from tests import flows
from tests.conftest import (
    STAFF_PASSWORD,
    Counter,
    GraphQLClient,
    Server,
    create_staff,
    new_staff,
    user_of,
)
from tests.processes import UvicornProcess, service_env

ENTERED = """query ($id: ID!) { node(id: $id) { ... on Posting { id status enteredByStaff
  content { jobTitle numberToHire } counterRegistration { reasons }
  history { action actorPortal reason } } } }"""

OWN_POSTINGS = """{ postings(first: 10) { edges { node { id enteredByStaff status
  history { action actorPortal } } } } }"""

ACCEPT_NOTE_REQUIRED = "職員が代理入力した求人の受理には確認メモが必要です。"


async def enter(staff: GraphQLClient, establishment_id: str, **overrides: Any) -> dict[str, Any]:
    """postingEnterForEstablishment; the payload."""
    return await flows.posting_mutation(
        staff,
        "postingEnterForEstablishment",
        {"establishmentId": establishment_id, "content": flows.posting_content(**overrides)},
    )


async def entered_and_submitted(
    staff: GraphQLClient, counter: Counter, **overrides: Any
) -> dict[str, Any]:
    payload = await enter(staff, counter.establishment_id, **overrides)
    assert payload["errors"] == [], payload
    return await flows.posting_step(staff, "postingSubmit", {"id": payload["posting"]["id"]})


def codes(payload: dict[str, Any]) -> list[tuple[str | None, str]]:
    return [(error["field"], error["code"]) for error in payload["errors"]]


# --- Entering, rewriting, submitting ----------------------------------------------------------


async def test_staff_enter_rewrite_and_submit_a_posting_the_employer_sees_as_its_own(
    server: Server, staff: GraphQLClient, counter: Counter, employer: GraphQLClient
) -> None:
    entered = await enter(staff, counter.establishment_id, jobTitle="調理員")
    assert entered["errors"] == []
    posting_id = entered["posting"]["id"]
    assert entered["posting"]["status"] == "DRAFT"
    assert entered["posting"]["history"] == [
        {
            "action": "CREATED",
            "actorPortal": "STAFF",
            "fromStatus": None,
            "toStatus": "DRAFT",
            "reason": None,
        }
    ]
    staff_user = await user_of(server, staff)
    row = await Posting.get(id=decode_id(posting_id, "Posting", "id"))
    assert row.entered_by_id == staff_user.id
    [audited] = await AuditEvent.filter(action=AuditAction.POSTING_ENTERED_BY_STAFF)
    assert (audited.actor_id, audited.establishment_id) == (staff_user.id, row.establishment_id)
    assert audited.detail == {"posting": row.id}

    # Staff rewrite it (the paper said 3), and submit it once the warning is acknowledged.
    updated = await flows.posting_step(
        staff,
        "postingUpdate",
        {
            "id": posting_id,
            "content": flows.posting_content(
                jobTitle="調理員", numberToHire=3, baseWageMin=220000, baseWageMax=480000
            ),
        },
    )
    assert updated["content"]["numberToHire"] == 3
    refused = await flows.posting_mutation(staff, "postingSubmit", {"id": posting_id})
    assert codes(refused) == [("acknowledgedWarnings", "WARNINGS_NOT_ACKNOWLEDGED")]
    submitted = await flows.posting_step(
        staff, "postingSubmit", {"id": posting_id, "acknowledgedWarnings": ["WIDE_WAGE_RANGE"]}
    )
    assert submitted["status"] == "SUBMITTED"
    # The establishment's first posting, yet no 本登録: its paper came to the counter.
    assert submitted["counterRegistration"] is None
    assert [(e["action"], e["actorPortal"]) for e in submitted["history"]] == [
        ("CREATED", "STAFF"),
        ("SUBMITTED", "STAFF"),
    ]

    # The employer sees it among its own, entered by Hello Work, and nothing of who did it.
    response = await employer.post(OWN_POSTINGS)
    assert staff_user.email not in response.text
    [node] = [edge["node"] for edge in response.json()["data"]["postings"]["edges"]]
    assert node == {
        "id": posting_id,
        "enteredByStaff": True,
        "status": "SUBMITTED",
        "history": [
            {"action": "CREATED", "actorPortal": "STAFF"},
            {"action": "SUBMITTED", "actorPortal": "STAFF"},
        ],
    }
    # The same form sent by the employer is its own, and needs 本登録 (its first posting).
    own = await flows.create_posting(employer)
    seen = await employer.execute(ENTERED, {"id": own["id"]})
    assert seen["node"]["enteredByStaff"] is False
    own_submitted = await flows.posting_step(employer, "postingSubmit", {"id": own["id"]})
    assert own_submitted["counterRegistration"]["reasons"] == ["FIRST_POSTING"]


async def test_the_check_of_an_entered_posting_is_open_to_staff_of_the_office(
    staff: GraphQLClient, counter: Counter
) -> None:
    entered = await enter(staff, counter.establishment_id, baseWageMin=220000, baseWageMax=480000)
    check = await staff.execute(
        """query ($input: PostingCheckInput!) { postingCheck(input: $input) {
          errors { code } warnings { code } } }""",
        {"input": {"id": entered["posting"]["id"]}},
    )
    assert check["postingCheck"] == {"errors": [], "warnings": [{"code": "WIDE_WAGE_RANGE"}]}


async def test_an_employers_draft_stays_the_employers(
    staff: GraphQLClient, employer: GraphQLClient
) -> None:
    draft = await flows.create_posting(employer, jobTitle="介護職員")
    for name, input in (
        ("postingUpdate", {"id": draft["id"], "content": flows.posting_content(jobTitle="X")}),
        ("postingSubmit", {"id": draft["id"]}),
    ):
        response = await staff.post(flows.posting_mutation_document(name), {"input": input})
        assert flows.top_level_codes(response) == ["FORBIDDEN"], name
    seen = await employer.execute(ENTERED, {"id": draft["id"]})
    assert seen["node"]["status"] == "DRAFT"
    assert seen["node"]["content"]["jobTitle"] == "介護職員"
    # The employer still writes and submits it.
    await flows.posting_step(employer, "postingSubmit", {"id": draft["id"]})


async def test_employers_may_not_enter_postings_for_an_establishment(
    employer: GraphQLClient, counter: Counter, gql: GraphQLClient
) -> None:
    document = flows.posting_mutation_document("postingEnterForEstablishment")
    variables = {
        "input": {"establishmentId": counter.establishment_id, "content": flows.posting_content()}
    }
    assert flows.top_level_codes(await employer.post(document, variables)) == ["FORBIDDEN"]
    assert flows.top_level_codes(await gql.post(document, variables)) == ["UNAUTHENTICATED"]
    assert await Posting.all().count() == 0


async def test_staff_of_another_office_cannot_enter_submit_or_accept(
    server: Server, staff: GraphQLClient, counter: Counter, new_client: Any
) -> None:
    other = await new_staff(server, new_client(), office_code="13020")
    refused = await enter(other, counter.establishment_id)
    assert codes(refused) == [("establishmentId", "NOT_FOUND")]
    assert await Posting.all().count() == 0
    assert not await AuditEvent.filter(action=AuditAction.POSTING_ENTERED_BY_STAFF).exists()

    entered = await enter(staff, counter.establishment_id)
    posting_id = entered["posting"]["id"]
    for name, input in (
        ("postingUpdate", {"id": posting_id, "content": flows.posting_content(jobTitle="X")}),
        ("postingSubmit", {"id": posting_id}),
    ):
        response = await other.post(flows.posting_mutation_document(name), {"input": input})
        assert flows.not_found_for_another_office(response, name), response.text
    await flows.posting_step(staff, "postingSubmit", {"id": posting_id})
    response = await other.post(
        flows.posting_mutation_document("postingAccept"),
        {"input": {"id": posting_id, "note": "申込書と照合済み"}},
    )
    assert flows.not_found_for_another_office(response, "postingAccept")
    seen = await staff.execute(ENTERED, {"id": posting_id})
    assert seen["node"]["status"] == "SUBMITTED"
    assert seen["node"]["content"]["jobTitle"] == "介護職員"


# --- Acceptance: the note, and the second pair of eyes ------------------------------------


@pytest.mark.parametrize(
    ("note", "problem"),
    [
        ("", ("note", "REQUIRED")),
        ("   ", ("note", "REQUIRED")),
        ("あ" * 501, ("note", "TOO_LONG")),
    ],
)
async def test_accepting_an_entered_posting_needs_a_note_of_at_most_500_characters(
    staff: GraphQLClient, counter: Counter, note: str, problem: tuple[str, str]
) -> None:
    submitted = await entered_and_submitted(staff, counter)
    refused = await flows.posting_mutation(
        staff, "postingAccept", {"id": submitted["id"], "note": note}
    )
    assert codes(refused) == [problem]
    if problem[1] == "REQUIRED":
        assert refused["errors"][0]["message"] == ACCEPT_NOTE_REQUIRED
    seen = await staff.execute(ENTERED, {"id": submitted["id"]})
    assert seen["node"]["status"] == "SUBMITTED"
    assert not await PostingEvent.filter(action=PostingAction.ACCEPTED).exists()


async def test_without_four_eyes_the_staff_who_entered_it_accepts_it_with_a_note(
    server: Server, staff: GraphQLClient, counter: Counter, employer: GraphQLClient
) -> None:
    assert server.settings.four_eyes_review is False
    submitted = await entered_and_submitted(staff, counter)
    note = "申" * 500
    accepted = await flows.posting_step(
        staff, "postingAccept", {"id": submitted["id"], "note": note}
    )
    assert accepted["status"] == "ACTIVE"
    assert accepted["history"][-1] == {
        "action": "ACCEPTED",
        "actorPortal": "STAFF",
        "fromStatus": "SUBMITTED",
        "toStatus": "ACTIVE",
        "reason": note,
    }
    seen = await employer.execute(ENTERED, {"id": submitted["id"]})
    assert seen["node"]["history"][-1]["reason"] == note


async def test_an_employers_posting_is_accepted_with_or_without_a_note(
    staff: GraphQLClient, employer: GraphQLClient
) -> None:
    first = await flows.create_posting(employer)
    await flows.submit_and_register(employer, staff, first["id"])
    accepted = await flows.posting_step(staff, "postingAccept", {"id": first["id"]})
    assert accepted["history"][-1]["reason"] is None

    second = await flows.create_posting(employer)
    await flows.submit_and_register(employer, staff, second["id"])
    too_long = await flows.posting_mutation(
        staff, "postingAccept", {"id": second["id"], "note": "x" * 501}
    )
    assert codes(too_long) == [("note", "TOO_LONG")]
    accepted = await flows.posting_step(
        staff, "postingAccept", {"id": second["id"], "note": "  電話で確認  "}
    )
    assert accepted["history"][-1]["reason"] == "電話で確認"


FIRST_STAFF = "four.eyes.first@iidabashi.example.jp"
SECOND_STAFF = "four.eyes.second@iidabashi.example.jp"


@pytest.mark.slow
async def test_with_four_eyes_another_staff_member_accepts_an_entered_posting(
    server: Server, tmp_path: Path
) -> None:
    """A server started with FOUR_EYES_REVIEW=on, on the test database and its maildir."""
    first_user = await create_staff(server, "13010", FIRST_STAFF)
    second_user = await create_staff(server, "13010", SECOND_STAFF)
    env = service_env(
        tmp_path / "var",
        DATABASE_URL=server.settings.database_url,
        MAIL_URL=f"maildir://{server.mail_dir}",
        RATE_LIMITS="off",
        FOUR_EYES_REVIEW="on",
    )
    process = UvicornProcess(env, tmp_path / "uvicorn.log")
    await asyncio.to_thread(process.__enter__)
    remote = dataclasses.replace(server, url=process.url)
    try:
        async with (
            httpx.AsyncClient(base_url=process.url, timeout=30) as first_http,
            httpx.AsyncClient(base_url=process.url, timeout=30) as second_http,
        ):
            first = GraphQLClient(first_http)
            second = GraphQLClient(second_http)
            await flows.log_in(remote, first, "STAFF", FIRST_STAFF, STAFF_PASSWORD)
            await flows.log_in(remote, second, "STAFF", SECOND_STAFF, STAFF_PASSWORD)
            counter = await flows.register_at_counter(first)
            submitted = await entered_and_submitted(first, counter)

            same = await flows.posting_mutation(
                first, "postingAccept", {"id": submitted["id"], "note": "申込書と照合済み"}
            )
            assert codes(same) == [("id", "SAME_STAFF_REVIEW")]
            assert same["errors"][0]["message"] == (
                "この求人を入力した職員は受理できません。別の職員が受理してください。"
            )
            without_note = await flows.posting_mutation(
                second, "postingAccept", {"id": submitted["id"]}
            )
            assert codes(without_note) == [("note", "REQUIRED")]
            assert not await PostingEvent.filter(action=PostingAction.ACCEPTED).exists()

            accepted = await flows.posting_step(
                second, "postingAccept", {"id": submitted["id"], "note": "申込書と照合済み"}
            )
            assert accepted["status"] == "ACTIVE"
            assert accepted["history"][-1]["reason"] == "申込書と照合済み"
            assert [(e["action"], e["actorPortal"]) for e in accepted["history"]] == [
                ("CREATED", "STAFF"),
                ("SUBMITTED", "STAFF"),
                ("ACCEPTED", "STAFF"),
            ]
            row = await Posting.get(id=decode_id(submitted["id"], "Posting", "id"))
            events = await PostingEvent.filter(posting_id=row.id).order_by("id")
            assert row.entered_by_id == first_user.id
            assert [event.actor_id for event in events] == [first_user.id] * 2 + [second_user.id]
    finally:
        await asyncio.to_thread(process.stop)
    assert "Traceback" not in process.log
