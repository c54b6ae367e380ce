"""Job postings over real HTTP: the state machine, review, validity, renewal and reuse."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from typing import Any

import pytest

from app.clock import TOKYO
from app.models import Posting, PostingEvent
from app.resolvers import postings
from tests import flows
from tests.conftest import GraphQLClient, Server, new_staff, reopen_session

HOME = """{ employerHome { activePostings { category postingCount hiringCount } } }"""
NODE = """query ($id: ID!) { node(id: $id) { ... on Posting { id status } } }"""
QUEUE = """{ postingReviewQueue(first: 20) { edges { node { id status pendingContent
  { jobTitle } } } } }"""


def tokyo(year: int, month: int, day: int, hour: int = 10) -> dt.datetime:
    return dt.datetime(year, month, day, hour, tzinfo=TOKYO)


async def move_clock(server: Server, moment: dt.datetime, *clients: GraphQLClient) -> None:
    """Sessions last hours; after moving weeks ahead the clients log in again."""
    server.clock.set(moment)
    for client in clients:
        await reopen_session(server, client)


def actions(posting: dict) -> list[tuple]:
    return [
        (e["action"], e["actorPortal"], e["fromStatus"], e["toStatus"]) for e in posting["history"]
    ]


# --- Pure rules -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("accepted_on", "deadline"),
    [
        (dt.date(2026, 11, 25), dt.date(2027, 1, 31)),
        (dt.date(2026, 12, 1), dt.date(2027, 2, 28)),
        (dt.date(2026, 12, 31), dt.date(2027, 2, 28)),
        (dt.date(2027, 12, 15), dt.date(2028, 2, 29)),
        (dt.date(2027, 12, 31), dt.date(2028, 2, 29)),
        (dt.date(2026, 1, 31), dt.date(2026, 3, 31)),
        (dt.date(2026, 2, 28), dt.date(2026, 4, 30)),
        (dt.date(2026, 6, 30), dt.date(2026, 8, 31)),
        (dt.date(2027, 11, 1), dt.date(2028, 1, 31)),
    ],
)
def test_referral_deadline_is_the_last_day_of_the_month_after_next(
    accepted_on: dt.date, deadline: dt.date
) -> None:
    assert postings.referral_deadline(accepted_on) == deadline


def test_posting_number_format() -> None:
    assert postings.format_posting_number("13010", 42) == "13010-00000042"


# --- The life of a posting ------------------------------------------------------------------


async def test_draft_submit_accept_shows_on_home_with_history(
    server: Server, staff: GraphQLClient, employer: GraphQLClient
) -> None:
    draft = await flows.create_posting(employer, numberToHire=3)
    assert draft["status"] == "DRAFT"
    assert draft["postingNumber"] is None

    submitted = await flows.posting_step(employer, "postingSubmit", {"id": draft["id"]})
    assert submitted["status"] == "SUBMITTED"
    # The establishment's first posting through My Page: 本登録 within 14 days of 2026-11-25,
    # 2026-12-09 (a Wednesday, open).
    assert submitted["counterRegistration"] == {
        "reasons": ["FIRST_POSTING"],
        "dueOn": "2026-12-09",
        "confirmedAt": None,
    }
    queue = await staff.execute(QUEUE)
    assert [e["node"]["id"] for e in queue["postingReviewQueue"]["edges"]] == [draft["id"]]
    confirmed = await flows.posting_step(staff, "postingCounterConfirm", {"id": draft["id"]})
    assert confirmed["counterRegistration"]["confirmedAt"] is not None

    accepted = await flows.posting_step(staff, "postingAccept", {"id": draft["id"]})

    assert accepted["status"] == "ACTIVE"
    assert re.fullmatch(r"13010-\d{8}", accepted["postingNumber"])
    assert accepted["referralDeadline"] == "2027-01-31"  # accepted 2026-11-25 in Tokyo
    assert accepted["renewalOpensOn"] == "2027-01-17"
    assert actions(accepted) == [
        ("CREATED", "EMPLOYER", None, "DRAFT"),
        ("SUBMITTED", "EMPLOYER", "DRAFT", "SUBMITTED"),
        ("COUNTER_CONFIRMED", "STAFF", "SUBMITTED", "SUBMITTED"),
        ("ACCEPTED", "STAFF", "SUBMITTED", "ACTIVE"),
    ]
    home = await employer.execute(HOME)
    assert home["employerHome"]["activePostings"][0] == {
        "category": "GENERAL",
        "postingCount": 1,
        "hiringCount": 3,
    }
    queue = await staff.execute(QUEUE)
    assert queue["postingReviewQueue"]["edges"] == []


async def test_withdraw_then_return_for_correction_then_resubmit(
    staff: GraphQLClient, employer: GraphQLClient
) -> None:
    draft = await flows.create_posting(employer)
    await flows.posting_step(employer, "postingSubmit", {"id": draft["id"]})
    withdrawn = await flows.posting_step(employer, "postingWithdraw", {"id": draft["id"]})
    assert withdrawn["status"] == "DRAFT"
    await flows.posting_step(employer, "postingSubmit", {"id": draft["id"]})

    returned = await flows.posting_step(
        staff, "postingReturn", {"id": draft["id"], "reason": "賃金の記載を確認してください。"}
    )
    assert returned["status"] == "RETURNED"
    assert returned["returnReason"] == "賃金の記載を確認してください。"
    assert returned["history"][-1]["reason"] == "賃金の記載を確認してください。"

    corrected = await flows.posting_step(
        employer,
        "postingUpdate",
        {"id": draft["id"], "content": flows.posting_content(baseWageMin=230000)},
    )
    assert corrected["content"]["baseWageMin"] == 230000
    await flows.submit_and_register(employer, staff, draft["id"])
    accepted = await flows.posting_step(staff, "postingAccept", {"id": draft["id"]})
    assert accepted["status"] == "ACTIVE"
    assert accepted["returnReason"] is None
    assert [a[0] for a in actions(accepted)] == [
        "CREATED",
        "SUBMITTED",
        "WITHDRAWN",
        "SUBMITTED",
        "RETURNED",
        "SUBMITTED",
        "COUNTER_CONFIRMED",
        "ACCEPTED",
    ]


async def test_stop_ends_an_active_posting_with_its_reason(
    staff: GraphQLClient, employer: GraphQLClient
) -> None:
    posting = await flows.active_posting(employer, staff)
    missing = await flows.posting_mutation(
        employer, "postingStop", {"id": posting["id"], "reason": " "}
    )
    assert [(e["field"], e["code"]) for e in missing["errors"]] == [("reason", "REQUIRED")]

    stopped = await flows.posting_step(
        employer, "postingStop", {"id": posting["id"], "reason": "充足のため"}
    )

    assert stopped["status"] == "INVALID"
    assert stopped["stopReason"] == "充足のため"
    assert actions(stopped)[-1] == ("STOPPED", "EMPLOYER", "ACTIVE", "INVALID")
    home = await employer.execute(HOME)
    assert home["employerHome"]["activePostings"][0]["postingCount"] == 0


async def test_change_to_active_posting_waits_for_review(
    staff: GraphQLClient, employer: GraphQLClient
) -> None:
    posting = await flows.active_posting(employer, staff)
    changed = await flows.posting_step(
        employer,
        "postingChangeRequest",
        {"id": posting["id"], "content": flows.posting_content(jobTitle="介護リーダー")},
    )
    assert changed["status"] == "ACTIVE"
    assert changed["content"]["jobTitle"] == "介護職員"
    assert changed["pendingContent"]["jobTitle"] == "介護リーダー"
    queue = await staff.execute(QUEUE)
    assert [e["node"]["id"] for e in queue["postingReviewQueue"]["edges"]] == [posting["id"]]

    refused = await flows.posting_step(
        staff, "postingReturn", {"id": posting["id"], "reason": "職種名が不明確です。"}
    )
    assert refused["status"] == "ACTIVE"
    assert refused["pendingContent"] is None
    assert refused["content"]["jobTitle"] == "介護職員"

    await flows.posting_step(
        employer,
        "postingChangeRequest",
        {"id": posting["id"], "content": flows.posting_content(jobTitle="介護職員（日勤）")},
    )
    accepted = await flows.posting_step(staff, "postingAccept", {"id": posting["id"]})

    assert accepted["content"]["jobTitle"] == "介護職員（日勤）"
    assert accepted["pendingContent"] is None
    assert accepted["postingNumber"] == posting["postingNumber"]
    assert [a[0] for a in actions(accepted)][-4:] == [
        "CHANGE_REQUESTED",
        "CHANGE_RETURNED",
        "CHANGE_REQUESTED",
        "CHANGE_ACCEPTED",
    ]


async def test_reuse_copies_an_earlier_posting_into_a_new_draft(
    staff: GraphQLClient, employer: GraphQLClient
) -> None:
    posting = await flows.active_posting(employer, staff, jobTitle="調理師", numberToHire=4)
    await flows.posting_step(employer, "postingStop", {"id": posting["id"], "reason": "充足"})

    copy = await flows.posting_step(employer, "postingReuse", {"id": posting["id"]})

    assert copy["id"] != posting["id"]
    assert copy["status"] == "DRAFT"
    assert copy["postingNumber"] is None
    assert copy["reusedFrom"] == {"id": posting["id"]}
    assert copy["content"]["jobTitle"] == "調理師"
    assert copy["content"]["numberToHire"] == 4
    assert actions(copy) == [("REUSED", "EMPLOYER", None, "DRAFT")]


# --- Illegal moves --------------------------------------------------------------------------


async def test_every_illegal_move_is_refused_and_changes_nothing(
    staff: GraphQLClient, employer: GraphQLClient
) -> None:
    draft = await flows.create_posting(employer)
    active = await flows.active_posting(employer, staff)
    submitted = await flows.create_posting(employer)
    await flows.posting_step(employer, "postingSubmit", {"id": submitted["id"]})

    refused = [
        (employer, "postingSubmit", {"id": active["id"]}),
        (employer, "postingWithdraw", {"id": draft["id"]}),
        (employer, "postingWithdraw", {"id": active["id"]}),
        (employer, "postingStop", {"id": draft["id"], "reason": "停止"}),
        (employer, "postingStop", {"id": submitted["id"], "reason": "停止"}),
        (employer, "postingUpdate", {"id": active["id"], "content": flows.posting_content()}),
        (employer, "postingUpdate", {"id": submitted["id"], "content": flows.posting_content()}),
        (employer, "postingChangeRequest", {"id": draft["id"], "content": flows.posting_content()}),
        (employer, "postingRenewalReserve", {"id": draft["id"]}),
        (staff, "postingAccept", {"id": draft["id"]}),
        (staff, "postingAccept", {"id": active["id"]}),
        (staff, "postingReturn", {"id": draft["id"], "reason": "修正"}),
        (staff, "postingReturn", {"id": active["id"], "reason": "修正"}),
        (staff, "postingCounterConfirm", {"id": draft["id"]}),
        (staff, "postingCounterConfirm", {"id": active["id"]}),
    ]
    for client, name, input in refused:
        payload = await flows.posting_mutation(client, name, input)
        assert payload["posting"] is None, name
        assert [e["code"] for e in payload["errors"]] == ["INVALID_STATE"], (name, payload)

    after = {p.id: p.status for p in await Posting.all()}
    assert sorted(after.values()) == ["ACTIVE", "DRAFT", "SUBMITTED"]
    # Nothing recorded by the refusals: the active posting's four entries include 本登録.
    assert await PostingEvent.all().count() == 1 + 4 + 2


async def test_another_establishments_posting_is_not_found(
    staff: GraphQLClient, employer: GraphQLClient, other_employer: GraphQLClient
) -> None:
    draft = await flows.create_posting(employer)
    active = await flows.active_posting(employer, staff)

    for name, input in [
        ("postingSubmit", {"id": draft["id"]}),
        ("postingUpdate", {"id": draft["id"], "content": flows.posting_content()}),
        ("postingStop", {"id": active["id"], "reason": "停止"}),
        ("postingReuse", {"id": active["id"]}),
        ("postingChangeRequest", {"id": active["id"], "content": flows.posting_content()}),
    ]:
        payload = await flows.posting_mutation(other_employer, name, input)
        assert [(e["field"], e["code"]) for e in payload["errors"]] == [("id", "NOT_FOUND")], name

    data = await other_employer.execute(NODE, {"id": active["id"]})
    assert data["node"] is None
    data = await employer.execute(NODE, {"id": active["id"]})
    assert data["node"] == {"id": active["id"], "status": "ACTIVE"}
    listed = await other_employer.execute("{ postings(first: 10) { edges { node { id } } } }")
    assert listed["postings"]["edges"] == []


async def test_staff_of_another_office_may_not_review(
    server: Server, employer: GraphQLClient, new_client
) -> None:
    other_staff = await new_staff(server, new_client(), office_code="27010")
    posting = await flows.create_posting(employer)
    await flows.posting_step(employer, "postingSubmit", {"id": posting["id"]})

    for name, input in [
        ("postingAccept", {"id": posting["id"]}),
        ("postingReturn", {"id": posting["id"], "reason": "修正"}),
    ]:
        response = await other_staff.post(
            f"mutation ($input: {name[0].upper() + name[1:]}Input!) "
            f"{{ {name}(input: $input) {{ errors {{ code }} }} }}",
            {"input": input},
        )
        assert flows.not_found_for_another_office(response, name), name

    queue = await other_staff.execute(QUEUE)
    assert queue["postingReviewQueue"]["edges"] == []
    data = await other_staff.execute(NODE, {"id": posting["id"]})
    assert data["node"] is None


async def test_employers_cannot_review_and_anonymous_cannot_create(
    gql: GraphQLClient, employer: GraphQLClient
) -> None:
    posting = await flows.create_posting(employer)
    response = await employer.post(
        "mutation ($id: ID!) { postingAccept(input: {id: $id}) { errors { code } } }",
        {"id": posting["id"]},
    )
    assert flows.top_level_codes(response) == ["FORBIDDEN"]
    response = await gql.post(
        "mutation ($c: PostingContentInput!) { postingCreate(input: {content: $c}) "
        "{ errors { code } } }",
        {"c": flows.posting_content()},
    )
    assert flows.top_level_codes(response) == ["UNAUTHENTICATED"]


# --- Validation -----------------------------------------------------------------------------


CHECK = """query ($input: PostingCheckInput!) {
  postingCheck(input: $input) {
    errors { field code message } warnings { field code message }
    minimumWage { prefecture hourlyWage effectiveFrom } checkedOn
  }
}"""


async def test_a_draft_is_saved_with_only_what_its_columns_cannot_hold_refused(
    employer: GraphQLClient,
) -> None:
    payload = await flows.posting_mutation(
        employer,
        "postingCreate",
        {
            "content": flows.posting_content(
                jobTitle="職" * 51,
                numberToHire=0,
                workplacePrefecture="東京",
                workplacePostalCode="1128577",
                fixedAllowances=[{"name": "手当", "amount": 1000}] * 11,
                ageLimit={"upper": 14},
            )
        },
    )

    assert payload["posting"] is None
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [
        ("content.jobTitle", "TOO_LONG"),
        ("content.workplacePostalCode", "INVALID_FORMAT"),
        ("content.workplacePrefecture", "INVALID_FORMAT"),
        ("content.numberToHire", "OUT_OF_RANGE"),
        ("content.ageLimit.upper", "OUT_OF_RANGE"),
        ("content.fixedAllowances", "OUT_OF_RANGE"),
    ]
    assert all(re.search(r"[ぁ-んァ-ン一-龥]", e["message"]) for e in payload["errors"])
    assert await Posting.all().count() == 0


async def test_an_incomplete_draft_is_kept_and_the_check_names_what_is_missing(
    staff: GraphQLClient, employer: GraphQLClient
) -> None:
    """一時保存: a draft of the form's first items only is saved; the check lists each item
    still missing, in the form's order, and the submission is refused until they are given."""
    sent = {
        key: value
        for key, value in flows.posting_content(jobTitle="", employmentPeriod="FIXED_TERM").items()
        if key in FIRST_VERSION_ITEMS
    }
    draft = await flows.posting_step(employer, "postingCreate", {"content": sent})
    assert draft["status"] == "DRAFT"

    result = (await employer.execute(CHECK, {"input": {"id": draft["id"]}}))["postingCheck"]
    missing = [e["field"] for e in result["errors"] if e["code"] == "REQUIRED"]
    assert missing == [
        "content.contractingWork",
        "content.trialEmployment",
        "content.workplaceEmployees",
        "content.hasWorkRules",
        "content.jobTitle",
        "content.passiveSmokingMeasure",
        "content.employmentPeriodDetail",
        "content.contractRenewal",
        "content.trialPeriod",
        "content.educationRequirement",
        "content.workplaceChangeScope",
        "content.jobChangeScope",
        "content.commuteAllowance",
        "content.payRaise",
        "content.bonus",
        "content.dailyWorkingMinutes",
        "content.weeklyWorkingDays",
        "content.variableWorkingHours",
        "content.breakMinutes",
        "content.overtime",
        "content.annualPaidLeaveDays",
        "content.retirementAllowance",
        "content.resultNoticeDays",
        "content.resultNoticeMethod",
    ]
    assert all(e["message"].endswith("してください。") for e in result["errors"])

    refused = await flows.posting_mutation(employer, "postingSubmit", {"id": draft["id"]})
    assert refused["posting"] is None
    assert [e["field"] for e in refused["errors"]] == [e["field"] for e in result["errors"]]
    still = await employer.execute(NODE, {"id": draft["id"]})
    assert still["node"]["status"] == "DRAFT"

    staff_view = (await staff.execute(CHECK, {"input": {"id": draft["id"]}}))["postingCheck"]
    assert staff_view["errors"] == result["errors"]


# The items of the form's first version: what a posting stored before the whole 求人票 has.
FIRST_VERSION_ITEMS = {
    "category", "workStyle", "employmentType", "publicationRange", "acceptsOnlineApplications",
    "jobTitle", "jobDescription", "workplacePostalCode", "workplacePrefecture",
    "workplaceAddress", "employmentPeriod", "employmentPeriodDetail", "numberToHire",
    "requiredExperience", "requiredLicenses", "wageForm", "baseWageMin", "baseWageMax",
    "allowances", "payDay", "workingHours", "hasOvertime", "overtimeDetail", "annualHolidays",
    "weeklyTwoDaysOff", "holidaysDetail", "insurances", "insurance", "retirementAge", "pr",
    "selectionMethod", "documents", "contact",
}  # fmt: skip


async def test_warnings_are_submitted_only_once_acknowledged(
    staff: GraphQLClient, employer: GraphQLClient
) -> None:
    draft = await flows.create_posting(employer, baseWageMax=500000, insurances=[])
    result = (await employer.execute(CHECK, {"input": {"id": draft["id"]}}))["postingCheck"]
    assert result["errors"] == []
    assert [(w["field"], w["code"]) for w in result["warnings"]] == [
        ("content.baseWageMax", "WIDE_WAGE_RANGE"),
        ("content.insurances", "INSURANCE_LIKELY_REQUIRED"),
        ("content.insurances", "INSURANCE_LIKELY_REQUIRED"),
    ]

    submit = """mutation ($input: PostingSubmitInput!) { postingSubmit(input: $input) {
      posting { id } errors { field code message } warnings { field code message } } }"""
    partly = (
        await employer.execute(
            submit, {"input": {"id": draft["id"], "acknowledgedWarnings": ["WIDE_WAGE_RANGE"]}}
        )
    )["postingSubmit"]
    assert partly["posting"] is None
    assert [(e["field"], e["code"]) for e in partly["errors"]] == [
        ("acknowledgedWarnings", "WARNINGS_NOT_ACKNOWLEDGED")
    ]
    assert "INSURANCE_LIKELY_REQUIRED" in partly["errors"][0]["message"]
    assert partly["warnings"] == result["warnings"][1:]

    submitted = await flows.posting_step(
        employer,
        "postingSubmit",
        {
            "id": draft["id"],
            "acknowledgedWarnings": ["WIDE_WAGE_RANGE", "INSURANCE_LIKELY_REQUIRED"],
        },
    )
    assert submitted["status"] == "SUBMITTED"


async def test_the_check_of_a_form_not_saved_uses_todays_minimum_wage_of_its_prefecture(
    employer: GraphQLClient,
) -> None:
    # Tokyo ¥1,226 from 2025-10-03. 125 holidays of 8 hours: 160 hours a month, ¥196,160.
    content = flows.posting_content(
        annualHolidays=125, baseWageMin=196159, baseWageMax=200000, fixedAllowances=[]
    )
    below = (await employer.execute(CHECK, {"input": {"content": content}}))["postingCheck"]
    assert [(e["field"], e["code"]) for e in below["errors"]] == [
        ("content.baseWageMin", "BELOW_MINIMUM_WAGE")
    ]
    assert "196,160円" in below["errors"][0]["message"]
    assert below["minimumWage"] == {
        "prefecture": "東京都",
        "hourlyWage": 1226,
        "effectiveFrom": "2025-10-03",
    }
    content["baseWageMin"] = 196160
    exact = (await employer.execute(CHECK, {"input": {"content": content}}))["postingCheck"]
    assert exact["errors"] == []
    assert await Posting.all().count() == 0


async def test_insurances_are_a_closed_list_kept_once_each_in_form_order(
    employer: GraphQLClient,
) -> None:
    payload = await flows.posting_mutation(
        employer,
        "postingCreate",
        {
            "content": flows.posting_content(
                insurances=["PENSION", "EMPLOYMENT", "PENSION"], insurance="退職金共済"
            )
        },
    )
    assert payload["errors"] == []
    posting = await employer.execute(
        "query ($id: ID!) { node(id: $id) { ... on Posting { content { insurances insurance } } } }",  # noqa: E501
        {"id": payload["posting"]["id"]},
    )
    assert posting["node"]["content"] == {
        "insurances": ["EMPLOYMENT", "PENSION"],
        "insurance": "退職金共済",
    }

    unknown = await employer.post(
        flows.posting_mutation_document("postingCreate"),
        {"input": {"content": flows.posting_content(insurances=["UNEMPLOYMENT"])}},
    )
    assert unknown.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


# --- Renewal and expiry ---------------------------------------------------------------------


async def test_renewal_window_opens_14_days_before_the_deadline(
    server: Server, staff: GraphQLClient, employer: GraphQLClient
) -> None:
    posting = await flows.active_posting(employer, staff)
    assert posting["referralDeadline"] == "2027-01-31"

    await move_clock(server, tokyo(2027, 1, 16, 23), employer)  # 15 days before
    early = await flows.posting_mutation(employer, "postingRenewalReserve", {"id": posting["id"]})
    assert [(e["field"], e["code"]) for e in early["errors"]] == [("id", "RENEWAL_NOT_OPEN")]
    listed = await employer.execute(
        "{ postings(renewable: true, first: 10) { edges { node { id } } } }"
    )
    assert listed["postings"]["edges"] == []

    await move_clock(server, tokyo(2027, 1, 17, 0), employer)  # 14 days before
    listed = await employer.execute(
        "{ postings(renewable: true, first: 10) { edges { node { id } } } }"
    )
    assert [e["node"]["id"] for e in listed["postings"]["edges"]] == [posting["id"]]
    reserved = await flows.posting_step(employer, "postingRenewalReserve", {"id": posting["id"]})
    assert reserved["renewalReservedAt"] is not None
    assert actions(reserved)[-1] == ("RENEWAL_RESERVED", "EMPLOYER", "ACTIVE", "ACTIVE")

    again = await flows.posting_mutation(employer, "postingRenewalReserve", {"id": posting["id"]})
    assert [e["code"] for e in again["errors"]] == ["ALREADY_EXISTS"]


async def test_expiry_at_the_deadline_renews_reserved_postings_once(
    server: Server, staff: GraphQLClient, employer: GraphQLClient
) -> None:
    renewing = await flows.active_posting(employer, staff, jobTitle="看護師")
    ending = await flows.active_posting(employer, staff, jobTitle="調理補助")
    refused = await flows.active_posting(employer, staff, jobTitle="清掃員")
    await move_clock(server, tokyo(2027, 1, 20), employer, staff)
    await flows.posting_step(employer, "postingRenewalReserve", {"id": renewing["id"]})
    await flows.posting_step(employer, "postingRenewalReserve", {"id": refused["id"]})
    # A renewal is reviewed like a submission: one accepted, one returned.
    queue = await staff.execute(QUEUE)
    assert [e["node"]["id"] for e in queue["postingReviewQueue"]["edges"]] == [
        renewing["id"],
        refused["id"],
    ]
    await flows.posting_step(staff, "postingAccept", {"id": renewing["id"]})
    await flows.posting_step(
        staff, "postingReturn", {"id": refused["id"], "reason": "仕事内容を具体的に。"}
    )
    assert (await staff.execute(QUEUE))["postingReviewQueue"]["edges"] == []

    server.clock.set(tokyo(2027, 1, 31, 23))  # the deadline day itself: still active
    assert await postings.expire_postings(server.rt) == postings.ExpiryResult(0, 0)

    await move_clock(server, tokyo(2027, 2, 1, 0), employer)
    first = await postings.expire_postings(server.rt)
    second = await postings.expire_postings(server.rt)

    assert first == postings.ExpiryResult(expired=3, renewed=1)
    assert second == postings.ExpiryResult(expired=0, renewed=0)
    assert await Posting.all().count() == 4
    ended = await employer.execute(NODE, {"id": ending["id"]})
    assert ended["node"]["status"] == "INVALID"
    listed = await employer.execute(
        "{ postings(status: ACTIVE, first: 10) { edges { node { "
        + flows.POSTING_FIELDS
        + " } } } }"
    )
    [renewal] = [e["node"] for e in listed["postings"]["edges"]]
    assert renewal["renewedFrom"] == {
        "id": renewing["id"],
        "postingNumber": renewing["postingNumber"],
    }
    assert renewal["postingNumber"] not in (renewing["postingNumber"], ending["postingNumber"])
    assert renewal["referralDeadline"] == "2027-04-30"
    assert renewal["content"]["jobTitle"] == "看護師"
    assert actions(renewal) == [("RENEWED", None, None, "ACTIVE")]
    old = await employer.execute(
        f"query ($id: ID!) {{ node(id: $id) {{ ... on Posting {{ {flows.POSTING_FIELDS} }} }} }}",
        {"id": renewing["id"]},
    )
    assert old["node"]["status"] == "INVALID"
    assert actions(old["node"])[-1] == ("EXPIRED", None, "ACTIVE", "INVALID")


async def test_home_lists_active_invalid_and_renewable_postings(
    server: Server, staff: GraphQLClient, employer: GraphQLClient
) -> None:
    kept = await flows.active_posting(employer, staff, jobTitle="看護師")
    stopped = await flows.active_posting(employer, staff, jobTitle="調理補助")
    await flows.posting_step(employer, "postingStop", {"id": stopped["id"], "reason": "充足"})
    await flows.create_posting(employer, jobTitle="下書き")
    home_lists = """{ employerHome {
      allActivePostings(first: 10) { edges { node { id } } }
      invalidPostings(first: 10) { edges { node { id } } }
      renewablePostings(first: 10) { edges { node { id } } } } }"""

    def ids(home: dict[str, Any], field: str) -> list[str]:
        return [e["node"]["id"] for e in home["employerHome"][field]["edges"]]

    home = await employer.execute(home_lists)
    assert ids(home, "allActivePostings") == [kept["id"]]
    assert ids(home, "invalidPostings") == [stopped["id"]]
    assert ids(home, "renewablePostings") == []

    await move_clock(server, tokyo(2027, 1, 17, 0), employer)  # 14 days before the deadline
    home = await employer.execute(home_lists)
    assert ids(home, "renewablePostings") == [kept["id"]]


# --- Posting numbers ------------------------------------------------------------------------


async def test_concurrent_accepts_get_distinct_serials(
    server: Server, staff: GraphQLClient, employer: GraphQLClient, new_client
) -> None:
    ids = []
    for _ in range(5):
        posting = await flows.create_posting(employer)
        await flows.submit_and_register(employer, staff, posting["id"])
        ids.append(posting["id"])
    clients = []
    for _ in range(5):
        client = new_client()
        client.token = staff.token
        clients.append(client)

    accepted = await asyncio.gather(
        *(
            flows.posting_step(client, "postingAccept", {"id": posting_id})
            for client, posting_id in zip(clients, ids, strict=True)
        )
    )

    numbers = sorted(p["postingNumber"] for p in accepted)
    assert numbers == [f"13010-{serial:08d}" for serial in range(1, 6)]
    later = await flows.active_posting(employer, staff)
    assert later["postingNumber"] == "13010-00000006"


async def test_the_same_posting_accepted_twice_at_once_gets_one_number(
    staff: GraphQLClient, employer: GraphQLClient, new_client
) -> None:
    posting = await flows.create_posting(employer)
    await flows.submit_and_register(employer, staff, posting["id"])
    second = new_client()
    second.token = staff.token

    payloads = await asyncio.gather(
        flows.posting_mutation(staff, "postingAccept", {"id": posting["id"]}),
        flows.posting_mutation(second, "postingAccept", {"id": posting["id"]}),
    )

    assert sorted(len(p["errors"]) for p in payloads) == [0, 1]
    assert await PostingEvent.filter(action="ACCEPTED").count() == 1
    stored = await Posting.get()
    assert stored.posting_number == "13010-00000001"


async def test_the_minimum_wage_follows_the_clock_and_the_workplaces_prefecture(
    server: Server, employer: GraphQLClient
) -> None:
    """秋田県 moves from ¥951 to ¥1,031 on 2026-03-31, months after Tokyo's 2025-10-03."""
    content = flows.posting_content(
        workplacePrefecture="秋田県", wageForm="HOURLY", baseWageMin=1030, baseWageMax=1500
    )

    async def codes_on(day: dt.datetime) -> list[str]:
        await move_clock(server, day, employer)
        result = (await employer.execute(CHECK, {"input": {"content": content}}))["postingCheck"]
        return [e["code"] for e in result["errors"]]

    assert await codes_on(tokyo(2026, 3, 30)) == []
    assert await codes_on(tokyo(2026, 3, 31)) == ["BELOW_MINIMUM_WAGE"]
    content["baseWageMin"] = 1031
    assert await codes_on(tokyo(2026, 3, 31)) == []
