"""The life of a posting as Hello Work names it, over real HTTP: 本登録 at the counter and its
due date, the lapse of a submission, 大卒等 postings, the publication range, renewal review."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from app.models import Posting
from app.resolvers import postings
from app.schema.nodes import decode_id
from tests import flows
from tests import seeker_flows as sf
from tests.conftest import GraphQLClient, Seeker, Server, new_staff
from tests.test_postings import CHECK, NODE, move_clock, tokyo

SEARCH = """query ($keyword: String) { postingSearch(keyword: $keyword, first: 20) {
  edges { node { postingNumber jobTitle establishmentName } } } }"""

REVIEW_QUEUE = """{ reviewQueue(first: 10) { edges { waitingSince node {
  ... on Posting { id renewalContent { jobTitle } } } } } }"""

POSTING = f"query ($id: ID!) {{ node(id: $id) {{ ... on Posting {{ {flows.POSTING_FIELDS} }} }} }}"


async def submitted_on(
    server: Server, employer: GraphQLClient, day: dt.datetime, **overrides: Any
) -> dict[str, Any]:
    await move_clock(server, day, employer)
    posting = await flows.create_posting(employer, **overrides)
    return await flows.posting_step(employer, "postingSubmit", {"id": posting["id"]})


# --- 本登録 ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("submitted", "due"),
    [
        # 14 days later is a Wednesday: open.
        (tokyo(2026, 11, 25), "2026-12-09"),
        # 2026-12-19 is a Saturday: back to Friday the 18th.
        (tokyo(2026, 12, 5), "2026-12-18"),
        # 2027-01-01 is in the year-end closure (12/29–1/3): back to Monday 2026-12-28.
        (tokyo(2026, 12, 18), "2026-12-28"),
        # 2027-05-05 (こどもの日) closes 5/3–5/5, 5/1–5/2 are a weekend: back to 2027-04-30.
        (tokyo(2027, 4, 21), "2027-04-30"),
    ],
)
async def test_counter_registration_is_due_in_14_days_on_an_opening_day(
    server: Server, employer: GraphQLClient, submitted: dt.datetime, due: str
) -> None:
    posting = await submitted_on(server, employer, submitted)
    assert posting["counterRegistration"]["dueOn"] == due


async def test_who_needs_counter_registration(
    server: Server, staff: GraphQLClient, employer: GraphQLClient
) -> None:
    first = await flows.active_posting(employer, staff)
    assert first["counterRegistration"]["reasons"] == ["FIRST_POSTING"]

    async def reasons(**overrides: Any) -> list[str] | None:
        posting = await submitted_on(server, employer, server.clock.now(), **overrides)
        registration = posting["counterRegistration"]
        return None if registration is None else registration["reasons"]

    assert await reasons() is None
    assert await reasons(category="DISABILITY") == ["FIRST_DISABILITY_POSTING"]
    assert await reasons(trialEmployment=True) == ["FIRST_TRIAL_EMPLOYMENT"]
    assert await reasons(employmentType="INDEFINITE_DISPATCH", contractingWork=False) == [
        "DISPATCH_OR_CONTRACTING"
    ]
    assert await reasons(contractingWork=True) == ["DISPATCH_OR_CONTRACTING"]

    # A year with no active posting: the first one stopped, a year and a day later.
    await flows.posting_step(employer, "postingStop", {"id": first["id"], "reason": "充足"})
    await move_clock(server, server.clock.now() + dt.timedelta(days=364), employer, staff)
    assert await reasons() is None
    await move_clock(server, server.clock.now() + dt.timedelta(days=2), employer, staff)
    assert await reasons() == ["NO_POSTING_FOR_A_YEAR"]


async def test_acceptance_waits_for_counter_registration_by_staff_of_the_office(
    server: Server, staff: GraphQLClient, employer: GraphQLClient, new_client: Any
) -> None:
    posting = await submitted_on(server, employer, tokyo(2026, 11, 25))
    refused = await flows.posting_mutation(staff, "postingAccept", {"id": posting["id"]})
    assert [e["code"] for e in refused["errors"]] == ["COUNTER_REGISTRATION_PENDING"]
    assert "12月9日" in refused["errors"][0]["message"]

    other_office = await new_staff(server, new_client(), office_code="27010")
    response = await other_office.post(
        flows.posting_mutation_document("postingCounterConfirm"), {"input": {"id": posting["id"]}}
    )
    assert flows.not_found_for_another_office(response, "postingCounterConfirm")
    denied = await employer.post(
        flows.posting_mutation_document("postingCounterConfirm"), {"input": {"id": posting["id"]}}
    )
    assert flows.top_level_codes(denied) == ["FORBIDDEN"]

    confirmed = await flows.posting_step(
        staff, "postingCounterConfirm", {"id": posting["id"], "note": "来所、代表者確認済み"}
    )
    assert confirmed["history"][-1] == {
        "action": "COUNTER_CONFIRMED",
        "actorPortal": "STAFF",
        "fromStatus": "SUBMITTED",
        "toStatus": "SUBMITTED",
        "reason": "来所、代表者確認済み",
    }
    twice = await flows.posting_mutation(staff, "postingCounterConfirm", {"id": posting["id"]})
    assert [e["code"] for e in twice["errors"]] == ["INVALID_STATE"]
    accepted = await flows.posting_step(staff, "postingAccept", {"id": posting["id"]})
    assert accepted["status"] == "ACTIVE"


async def test_a_submission_lapses_after_its_due_date(
    server: Server, staff: GraphQLClient, employer: GraphQLClient
) -> None:
    posting = await submitted_on(server, employer, tokyo(2026, 11, 25))
    confirmed = await submitted_on(server, employer, tokyo(2026, 11, 25))
    await flows.posting_step(staff, "postingCounterConfirm", {"id": confirmed["id"]})

    server.clock.set(tokyo(2026, 12, 9, 23))  # the due date itself: still waiting
    assert (await postings.expire_postings(server.rt)).lapsed == 0
    server.clock.set(tokyo(2026, 12, 10, 0))
    first = await postings.expire_postings(server.rt)
    second = await postings.expire_postings(server.rt)

    assert (first.lapsed, second.lapsed) == (1, 0)
    await move_clock(server, tokyo(2026, 12, 10, 9), employer)
    lapsed = (await employer.execute(POSTING, {"id": posting["id"]}))["node"]
    assert lapsed["status"] == "DRAFT"
    assert lapsed["counterRegistration"] is None
    assert lapsed["history"][-1] == {
        "action": "LAPSED",
        "actorPortal": None,
        "fromStatus": "SUBMITTED",
        "toStatus": "DRAFT",
        "reason": "本登録の期限（2026年12月9日）の経過",
    }
    kept = (await employer.execute(NODE, {"id": confirmed["id"]}))["node"]
    assert kept["status"] == "SUBMITTED"
    again = await flows.posting_step(employer, "postingSubmit", {"id": posting["id"]})
    assert again["counterRegistration"]["dueOn"] == "2026-12-24"


# --- 大卒等 ---------------------------------------------------------------------------------

GRADUATE = {
    "category": "GRADUATE",
    "graduateClassOf": 2028,
    "youthEmploymentInfo": {
        "graduateHiresLastYear": 3,
        "graduateHiresTwoYearsAgo": 2,
        "graduateHiresThreeYearsAgo": 4,
        "leaversLastYear": 0,
        "leaversTwoYearsAgo": 1,
        "leaversThreeYearsAgo": 0,
        "training": "新入社員研修 (2週間)",
        "averageMonthlyOvertimeHours": 10,
        "averagePaidLeaveDaysTaken": 12,
    },
}


async def test_graduate_postings_from_acceptance_to_selection(
    server: Server, staff: GraphQLClient, employer: GraphQLClient, seeker: Seeker
) -> None:
    await move_clock(server, tokyo(2027, 1, 31), employer)
    early = await flows.create_posting(employer, jobTitle="総合職", **GRADUATE)
    refused = await flows.posting_mutation(employer, "postingSubmit", {"id": early["id"]})
    assert [(e["field"], e["code"]) for e in refused["errors"]] == [
        ("content.graduateClassOf", "GRADUATE_NOT_YET_ACCEPTED")
    ]

    await move_clock(server, tokyo(2027, 2, 1), employer, staff, seeker.client)
    posting = await flows.active_posting(employer, staff, jobTitle="総合職", **GRADUATE)
    assert posting["referralDeadline"] == "2028-03-31"
    found = (await seeker.client.execute(SEARCH, {"keyword": "総合職"}))["postingSearch"]
    assert found["edges"] == []  # published from 1 April
    await move_clock(server, tokyo(2027, 3, 31, 23), seeker.client)
    found = (await seeker.client.execute(SEARCH, {"keyword": "総合職"}))["postingSearch"]
    assert found["edges"] == []

    await move_clock(server, tokyo(2027, 4, 1), employer, staff, seeker.client)
    found = (await seeker.client.execute(SEARCH, {"keyword": "総合職"}))["postingSearch"]
    assert [e["node"]["jobTitle"] for e in found["edges"]] == ["総合職"]
    application = await sf.apply(seeker.client, posting["id"])

    await move_clock(server, tokyo(2027, 5, 31), employer)
    early_move = await sf.move(employer, application["id"], "SCREENING")
    assert sf.error_codes(early_move) == ["SELECTION_NOT_OPEN"]
    assert "2027年6月1日" in early_move["errors"][0]["message"]
    await move_clock(server, tokyo(2027, 6, 1), employer)
    assert (await sf.move(employer, application["id"], "SCREENING"))["errors"] == []


# --- 公開範囲 -------------------------------------------------------------------------------


async def test_publication_range_in_search_apply_and_request(
    server: Server,
    staff: GraphQLClient,
    employer: GraphQLClient,
    seeker: Seeker,
    gql: GraphQLClient,
) -> None:
    named = await flows.active_posting(employer, staff, jobTitle="公開一")
    unnamed = await flows.active_posting(
        employer, staff, jobTitle="公開二", publicationRange="WITHOUT_NAME"
    )
    limited = await flows.active_posting(
        employer,
        staff,
        jobTitle="公開三",
        publicationRange="NAME_TO_SEEKERS_ONLY",
        acceptsOnlineApplications=False,
    )
    hidden = await flows.active_posting(
        employer,
        staff,
        jobTitle="公開四",
        publicationRange="NOT_PUBLISHED",
        acceptsOnlineApplications=False,
    )

    async def titles(client: GraphQLClient) -> dict[str, str | None]:
        data = await client.execute(SEARCH, {"keyword": "公開"})
        return {
            e["node"]["jobTitle"]: e["node"]["establishmentName"]
            for e in data["postingSearch"]["edges"]
        }

    assert await titles(gql) == {"公開一": "ハローワークケア", "公開二": None}
    assert await titles(seeker.client) == {
        "公開一": "ハローワークケア",
        "公開二": None,
        "公開三": "ハローワークケア",
    }

    # Online applications only with the first two ranges, whatever the flag says.
    refused = await flows.posting_mutation(
        employer,
        "postingCreate",
        {
            "content": flows.posting_content(
                publicationRange="NAME_TO_SEEKERS_ONLY", acceptsOnlineApplications=True
            )
        },
    )
    check = (await employer.execute(CHECK, {"input": {"id": refused["posting"]["id"]}}))[
        "postingCheck"
    ]
    assert [(e["field"], e["code"]) for e in check["errors"]] == [
        ("content.acceptsOnlineApplications", "ONLINE_APPLICATIONS_NOT_ALLOWED")
    ]
    assert (await sf.apply(seeker.client, unnamed["id"]))["status"] == "APPLIED"
    for posting, code in [(limited, "NOT_ACCEPTING_APPLICATIONS"), (hidden, "NOT_FOUND")]:
        payload = await sf.mutate(
            seeker.client, sf.APPLICATION_CREATE, "applicationCreate", {"postingId": posting["id"]}
        )
        assert sf.error_codes(payload) == [code], posting["content"]["jobTitle"]

    # A direct request only for a posting that accepts online applications.
    await sf.update_profile(seeker.client, published=True)
    request = """mutation ($input: SeekerRequestSendInput!) {
      seekerRequestSend(input: $input) { errors { field code } } }"""
    for posting, codes in [(limited, ["NOT_ACCEPTING_APPLICATIONS"]), (named, [])]:
        data = await employer.execute(
            request,
            {
                "input": {
                    "postingId": posting["id"],
                    "seekerProfileId": seeker.profile_id,
                    "message": "ご応募をお待ちしています。",
                }
            },
        )
        assert [e["code"] for e in data["seekerRequestSend"]["errors"]] == codes
    assert await Posting.all().count() == 5


# --- Renewal under today's rules ------------------------------------------------------------


async def test_a_renewal_is_checked_against_the_rules_in_force(
    server: Server, staff: GraphQLClient, employer: GraphQLClient
) -> None:
    posting = await flows.active_posting(employer, staff)
    await move_clock(server, tokyo(2027, 1, 20), employer, staff)
    # The renewal's own content, checked as a submission is: a warning to confirm.
    renewed = flows.posting_content(jobTitle="介護職員（夜勤あり）", baseWageMax=500000)
    refused = await flows.posting_mutation(
        employer, "postingRenewalReserve", {"id": posting["id"], "content": renewed}
    )
    assert [(e["field"], e["code"]) for e in refused["errors"]] == [
        ("acknowledgedWarnings", "WARNINGS_NOT_ACKNOWLEDGED")
    ]
    reserved = await flows.posting_step(
        employer,
        "postingRenewalReserve",
        {"id": posting["id"], "content": renewed, "acknowledgedWarnings": ["WIDE_WAGE_RANGE"]},
    )
    assert reserved["renewalReservedAt"] is not None
    assert reserved["content"]["jobTitle"] == "介護職員"  # until the deadline
    queue = (await staff.execute(REVIEW_QUEUE))["reviewQueue"]["edges"]
    assert [(e["node"]["id"], e["waitingSince"]) for e in queue] == [
        (posting["id"], reserved["renewalReservedAt"])
    ]
    assert queue[0]["node"]["renewalContent"] == {"jobTitle": "介護職員（夜勤あり）"}
    await flows.posting_step(staff, "postingAccept", {"id": posting["id"]})
    assert (await staff.execute(REVIEW_QUEUE))["reviewQueue"]["edges"] == []

    server.clock.set(tokyo(2027, 2, 1, 0))
    assert (await postings.expire_postings(server.rt)).renewed == 1
    renewal = await Posting.get(renewed_from_id=decode_id(posting["id"], "Posting", "id"))
    assert renewal.job_title == "介護職員（夜勤あり）"
    assert renewal.referral_deadline == dt.date(2027, 4, 30)


async def test_a_reused_copy_is_checked_against_todays_rules(
    staff: GraphQLClient, employer: GraphQLClient
) -> None:
    """An earlier posting with a choice Hello Work no longer takes (派遣 without 有期 or 無期) is
    copied as it was; the check of the copy names what today's rules refuse."""
    posting = await flows.active_posting(employer, staff)
    await Posting.filter(id=decode_id(posting["id"], "Posting", "id")).update(
        employment_type="DISPATCH"
    )
    copy = await flows.posting_step(employer, "postingReuse", {"id": posting["id"]})
    result = (await employer.execute(CHECK, {"input": {"id": copy["id"]}}))["postingCheck"]
    assert [(e["field"], e["code"]) for e in result["errors"]] == [
        ("content.employmentType", "INVALID_FORMAT")
    ]
    refused = await flows.posting_mutation(employer, "postingSubmit", {"id": copy["id"]})
    assert [e["code"] for e in refused["errors"]] == ["INVALID_FORMAT"]


async def test_the_lists_and_notes_of_a_review_are_bounded(
    staff: GraphQLClient, employer: GraphQLClient
) -> None:
    """At most 20 acknowledged warnings; a counter note of at most 500 characters."""
    draft = await flows.create_posting(employer)
    many = await flows.posting_mutation(
        employer,
        "postingSubmit",
        {"id": draft["id"], "acknowledgedWarnings": ["WIDE_WAGE_RANGE"] * 21},
    )
    assert [(e["field"], e["code"]) for e in many["errors"]] == [
        ("acknowledgedWarnings", "OUT_OF_RANGE")
    ]
    submitted = await flows.posting_step(
        employer,
        "postingSubmit",
        {"id": draft["id"], "acknowledgedWarnings": ["WIDE_WAGE_RANGE"] * 20},
    )
    assert submitted["status"] == "SUBMITTED"

    long_note = await flows.posting_mutation(
        staff, "postingCounterConfirm", {"id": draft["id"], "note": "確" * 501}
    )
    assert [(e["field"], e["code"]) for e in long_note["errors"]] == [("note", "TOO_LONG")]
    confirmed = await flows.posting_step(
        staff, "postingCounterConfirm", {"id": draft["id"], "note": "確" * 500}
    )
    assert confirmed["history"][-1]["reason"] == "確" * 500
