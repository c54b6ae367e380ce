"""Minor corrections by staff (軽微な修正) of a submitted posting, over real HTTP: what may be
corrected and by whom, the note, the check, and what the employer sees (history, notice)."""

from __future__ import annotations

from typing import Any

import pytest

from app.models import AuditAction, AuditEvent, HelloWorkNotice, Posting, PostingEvent
from app.models.counter import NoticeKind
from app.models.postings import PostingAction
from app.schema.nodes import decode_id
from tests import flows
from tests.conftest import GraphQLClient, Server, new_staff, user_of

CORRECT = """mutation ($input: PostingCorrectInput!) { postingCorrect(input: $input) {
  posting { id status content { jobTitle numberToHire trialPeriod { hasTrialPeriod months }
    overtime { monthlyAverageHours } } }
  errors { field code message } } }"""

HISTORY = """query ($id: ID!) { node(id: $id) { ... on Posting { status history {
  action actorPortal fromStatus toStatus reason changes { field label before after } } } } }"""

NOTE = "申込書の記載に合わせて修正しました。"


async def correct(
    staff: GraphQLClient, posting_id: str, content: dict[str, Any], note: str = NOTE
) -> dict[str, Any]:
    data = await staff.execute(
        CORRECT, {"input": {"id": posting_id, "content": content, "note": note}}
    )
    payload: dict[str, Any] = data["postingCorrect"]
    return payload


async def submitted(
    employer: GraphQLClient, staff: GraphQLClient, **overrides: Any
) -> dict[str, Any]:
    posting = await flows.create_posting(employer, **overrides)
    return await flows.submit_and_register(employer, staff, posting["id"])


def codes(payload: dict[str, Any]) -> list[tuple[str | None, str]]:
    return [(error["field"], error["code"]) for error in payload["errors"]]


async def nothing_recorded() -> bool:
    corrected = await PostingEvent.filter(action=PostingAction.CORRECTED).exists()
    audited = await AuditEvent.filter(action=AuditAction.POSTING_CORRECTED).exists()
    noticed = await HelloWorkNotice.filter(kind=NoticeKind.POSTING_CORRECTED).exists()
    return not (corrected or audited or noticed)


async def test_a_correction_changes_the_items_and_the_employer_sees_what_who_and_why(
    server: Server, staff: GraphQLClient, employer: GraphQLClient
) -> None:
    posting = await submitted(employer, staff, jobTitle="介護職員", numberToHire=2)
    payload = await correct(
        staff,
        posting["id"],
        {
            "jobTitle": "介護職員（日勤）",
            "numberToHire": 1,
            "trialPeriod": {"hasTrialPeriod": True, "months": 2, "conditionsDiffer": False},
            # Sent as it is: not a change.
            "workplacePrefecture": "東京都",
        },
    )
    assert payload["errors"] == []
    assert payload["posting"]["status"] == "SUBMITTED"
    assert payload["posting"]["content"]["jobTitle"] == "介護職員（日勤）"
    assert payload["posting"]["content"]["numberToHire"] == 1
    assert payload["posting"]["content"]["trialPeriod"] == {"hasTrialPeriod": True, "months": 2}
    assert payload["posting"]["content"]["overtime"] == {"monthlyAverageHours": 10}

    seen = await employer.execute(HISTORY, {"id": posting["id"]})
    entry = seen["node"]["history"][-1]
    assert {k: entry[k] for k in ("action", "actorPortal", "fromStatus", "toStatus", "reason")} == {
        "action": "CORRECTED",
        "actorPortal": "STAFF",
        "fromStatus": "SUBMITTED",
        "toStatus": "SUBMITTED",
        "reason": NOTE,
    }
    changes = {change["field"]: change for change in entry["changes"]}
    assert list(changes) == ["jobTitle", "trialPeriod", "numberToHire"]  # the form's order
    assert changes["jobTitle"] == {
        "field": "jobTitle",
        "label": "職種",
        "before": "介護職員",
        "after": "介護職員（日勤）",
    }
    assert changes["numberToHire"]["before"] != changes["numberToHire"]["after"]
    assert "2" in changes["numberToHire"]["before"]
    assert "1" in changes["numberToHire"]["after"]
    assert "3" in changes["trialPeriod"]["before"]
    assert "2" in changes["trialPeriod"]["after"]
    # Other entries have no changes; staff see the same history.
    assert all(e["changes"] == [] for e in seen["node"]["history"][:-1])
    assert await staff.execute(HISTORY, {"id": posting["id"]}) == seen

    staff_user = await user_of(server, staff)
    row = await Posting.get(id=decode_id(posting["id"], "Posting", "id"))
    [audited] = await AuditEvent.filter(action=AuditAction.POSTING_CORRECTED)
    assert audited.actor_id == staff_user.id
    assert audited.detail == {
        "posting": row.id,
        "items": ["job_title", "trial_period", "number_to_hire"],
    }
    [notice] = await HelloWorkNotice.filter(kind=NoticeKind.POSTING_CORRECTED)
    assert (notice.establishment_id, notice.posting_id, notice.sent_by_id) == (
        row.establishment_id,
        row.id,
        staff_user.id,
    )
    assert notice.title == "求人の内容を修正しました"
    assert changes["numberToHire"]["label"] == "採用人数"
    assert changes["trialPeriod"]["label"] == "試用期間"
    for text in ("・職種", "・試用期間", "・採用人数", NOTE):
        assert text in notice.body, notice.body

    # Still to be accepted, as corrected.
    accepted = await flows.posting_step(staff, "postingAccept", {"id": posting["id"]})
    assert accepted["content"]["jobTitle"] == "介護職員（日勤）"


async def test_a_correction_that_changes_nothing_is_refused(
    staff: GraphQLClient, employer: GraphQLClient
) -> None:
    posting = await submitted(employer, staff, jobTitle="介護職員")
    for content in ({"jobTitle": "介護職員"}, {"jobTitle": "  介護職員  "}, {}):
        payload = await correct(staff, posting["id"], content)
        assert codes(payload) == [("content", "NOTHING_CHANGED")], content
    assert await nothing_recorded()


@pytest.mark.parametrize(
    ("note", "problem"),
    [
        ("", ("note", "REQUIRED")),
        (" \n ", ("note", "REQUIRED")),
        ("あ" * 501, ("note", "TOO_LONG")),
    ],
)
async def test_the_note_is_required_and_at_most_500_characters(
    staff: GraphQLClient, employer: GraphQLClient, note: str, problem: tuple[str, str]
) -> None:
    posting = await submitted(employer, staff)
    payload = await correct(staff, posting["id"], {"numberToHire": 1}, note=note)
    assert codes(payload) == [problem]
    assert await nothing_recorded()


async def test_a_note_of_500_characters_is_kept_whole(
    staff: GraphQLClient, employer: GraphQLClient
) -> None:
    posting = await submitted(employer, staff)
    note = "修" * 500
    payload = await correct(staff, posting["id"], {"numberToHire": 1}, note=note)
    assert payload["errors"] == []
    seen = await employer.execute(HISTORY, {"id": posting["id"]})
    assert seen["node"]["history"][-1]["reason"] == note


async def test_the_corrected_posting_must_still_pass_the_check(
    staff: GraphQLClient, employer: GraphQLClient
) -> None:
    posting = await submitted(employer, staff)
    below = await correct(staff, posting["id"], {"baseWageMin": 150000, "baseWageMax": 150000})
    assert ("content.baseWageMin", "BELOW_MINIMUM_WAGE") in codes(below)
    emptied = await correct(staff, posting["id"], {"jobTitle": ""})
    assert codes(emptied) == [("content.jobTitle", "REQUIRED")]
    not_null = await correct(staff, posting["id"], {"jobTitle": None, "category": None})
    assert codes(not_null) == [("content.category", "REQUIRED"), ("content.jobTitle", "REQUIRED")]
    too_long = await correct(staff, posting["id"], {"jobTitle": "あ" * 1000})
    assert codes(too_long) == [("content.jobTitle", "TOO_LONG")]
    assert await nothing_recorded()
    # A warning is staff's own call: it does not stop a correction.
    wide = await correct(staff, posting["id"], {"baseWageMax": 480000})
    assert wide["errors"] == []


async def test_only_a_submitted_posting_is_corrected(
    staff: GraphQLClient, employer: GraphQLClient
) -> None:
    draft = await flows.create_posting(employer)
    assert codes(await correct(staff, draft["id"], {"numberToHire": 1})) == [
        ("id", "INVALID_STATE")
    ]
    active = await flows.active_posting(employer, staff)
    assert codes(await correct(staff, active["id"], {"numberToHire": 5})) == [
        ("id", "INVALID_STATE")
    ]
    # Nor the change waiting on an active posting: that is the employer's proposal.
    await flows.posting_step(
        employer,
        "postingChangeRequest",
        {"id": active["id"], "content": flows.posting_content(numberToHire=4)},
    )
    assert codes(await correct(staff, active["id"], {"numberToHire": 5})) == [
        ("id", "INVALID_STATE")
    ]
    assert await nothing_recorded()


async def test_staff_of_another_office_find_nothing_and_employers_may_not_correct(
    server: Server, staff: GraphQLClient, employer: GraphQLClient, new_client: Any
) -> None:
    posting = await submitted(employer, staff)
    variables = {"input": {"id": posting["id"], "content": {"numberToHire": 1}, "note": NOTE}}
    other = await new_staff(server, new_client(), office_code="13020")
    assert flows.not_found_for_another_office(
        await other.post(CORRECT, variables), "postingCorrect"
    )
    assert flows.top_level_codes(await employer.post(CORRECT, variables)) == ["FORBIDDEN"]
    assert await nothing_recorded()
    row = await Posting.get(id=decode_id(posting["id"], "Posting", "id"))
    assert row.number_to_hire == 2
