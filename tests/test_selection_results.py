"""The selection and its results (選考・採否): a result from any stage, 辞退 recorded by the
employer or staff with its reason, reaching the number to hire, bulk changes, the result
reported to Hello Work (選考結果登録) and its lock, telling the applicant (選考結果連絡), the
reports due and the counts per posting."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from app.clock import TOKYO
from app.models import Application, ApplicationEvent, Message, Posting
from app.models.applications import ApplicationStatus
from app.schema.nodes import decode_id
from tests import flows
from tests import seeker_flows as sf
from tests.conftest import (
    START,
    GraphQLClient,
    Seeker,
    Server,
    new_staff,
    reopen_session,
    user_of,
)
from tests.test_applicants import refer_walk_in

REPORT_FIELDS = """resultReport { result hireDate conditionsDiffer rejectionReason note
  reportedAt reportedByPortal }"""

FIELDS = f"""id status createdAt hasMyPage {REPORT_FIELDS} resultNotice {{ method notifiedAt }}
  resultLockedFrom statusHistory {{ actorPortal fromStatus toStatus reason }}"""

MOVE = f"""mutation ($input: ApplicationStatusUpdateInput!) {{
  applicationStatusUpdate(input: $input) {{
    application {{ {FIELDS} }}
    numberToHireReached
    errors {{ field code message }}
  }}
}}"""

BULK = """mutation ($input: ApplicationStatusBulkUpdateInput!) {
  applicationStatusBulkUpdate(input: $input) {
    results { applicationId application { id status } numberToHireReached
      errors { field code message } }
    errors { field code message }
  }
}"""

REPORT = f"""mutation ($input: ApplicationResultReportInput!) {{
  applicationResultReport(input: $input) {{
    application {{ {FIELDS} }}
    errors {{ field code message }}
  }}
}}"""

NOTIFY = f"""mutation ($input: ApplicationResultNotifyInput!) {{
  applicationResultNotify(input: $input) {{
    application {{ {FIELDS} }}
    errors {{ field code message }}
  }}
}}"""

NODE = f"""query ($id: ID!) {{ node(id: $id) {{ ... on Application {{ {FIELDS} }} }} }}"""

MINE = f"""{{ myApplications(first: 20) {{ edges {{ node {{ {FIELDS} hireDate }} }} }} }}"""

DUE = """query ($establishmentId: ID, $first: Int!, $after: String) {
  resultReportsDue(establishmentId: $establishmentId, first: $first, after: $after) {
    pageInfo { hasNextPage endCursor }
    edges { cursor node { lockedFrom daysLeft application { id status }
      establishment { id establishmentNumber } } }
  }
}"""

COUNTS = """query ($postingId: ID) {
  applicationCounts(postingId: $postingId) {
    posting { id } applied screening interview hired rejected withdrawn total unreported
  }
}"""

IN_PROGRESS = ["APPLIED", "SCREENING", "INTERVIEW"]


def _pk(global_id: str, type_name: str = "Application") -> int:
    return decode_id(global_id, type_name, "id")


async def _status(application_id: str) -> str:
    return (await Application.get(id=_pk(application_id))).status.value


def _errors(payload: dict[str, Any]) -> list[tuple[str | None, str]]:
    return [(error["field"], error["code"]) for error in payload["errors"]]


async def _move(
    client: GraphQLClient, application_id: str, status: str, reason: str | None = None
) -> dict[str, Any]:
    input: dict[str, Any] = {"applicationId": application_id, "status": status}
    if reason is not None:
        input["reason"] = reason
    return await sf.mutate(client, MOVE, "applicationStatusUpdate", input)


async def _bulk(
    client: GraphQLClient, ids: list[str], status: str, reason: str | None = None
) -> dict[str, Any]:
    input: dict[str, Any] = {"applicationIds": ids, "status": status}
    if reason is not None:
        input["reason"] = reason
    return await sf.mutate(client, BULK, "applicationStatusBulkUpdate", input)


async def _report(client: GraphQLClient, application_id: str, **input: Any) -> dict[str, Any]:
    return await sf.mutate(
        client, REPORT, "applicationResultReport", {"applicationId": application_id, **input}
    )


async def _notify(client: GraphQLClient, application_id: str, **input: Any) -> dict[str, Any]:
    return await sf.mutate(
        client, NOTIFY, "applicationResultNotify", {"applicationId": application_id, **input}
    )


async def _node(client: GraphQLClient, application_id: str) -> dict[str, Any]:
    node: dict[str, Any] = (await client.execute(NODE, {"id": application_id}))["node"]
    return node


# --- Moves ----------------------------------------------------------------------------------


async def test_a_result_from_any_stage(
    server: Server, staff: GraphQLClient, employer: GraphQLClient
) -> None:
    posting = await flows.active_posting(employer, staff, numberToHire=99)
    ids = await sf.seed_applicants(server, posting["id"], IN_PROGRESS * 2 + ["WITHDRAWN"] * 2)
    for application_id, current, result in zip(
        ids[:6], IN_PROGRESS * 2, ["HIRED"] * 3 + ["REJECTED"] * 3, strict=True
    ):
        payload = await _move(employer, application_id, result)
        assert payload["errors"] == [], (current, result)
        assert payload["application"]["status"] == result
        assert payload["application"]["statusHistory"][-1] == {
            "actorPortal": "EMPLOYER",
            "fromStatus": current,
            "toStatus": result,
            "reason": "",
        }
    # After 辞退 there is no result.
    for application_id, result in zip(ids[6:], ["HIRED", "REJECTED"], strict=True):
        payload = await _move(employer, application_id, result)
        assert _errors(payload) == [("status", "ILLEGAL_TRANSITION")]
        assert await _status(application_id) == "WITHDRAWN"


async def test_the_employer_records_a_withdrawal_with_its_reason(
    server: Server, staff: GraphQLClient, employer: GraphQLClient
) -> None:
    posting = await flows.active_posting(employer, staff)
    ids = await sf.seed_applicants(server, posting["id"], [*IN_PROGRESS, "HIRED", "REJECTED"])
    events = await ApplicationEvent.all().count()
    for application_id in ids[:3]:
        for reason in (None, "", "　 "):
            payload = await _move(employer, application_id, "WITHDRAWN", reason)
            assert _errors(payload) == [("reason", "REQUIRED")], reason
        payload = await _move(employer, application_id, "WITHDRAWN", "辞" * 501)
        assert _errors(payload) == [("reason", "TOO_LONG")]
    assert [await _status(i) for i in ids[:3]] == IN_PROGRESS
    assert await ApplicationEvent.all().count() == events

    for application_id, current in zip(ids[:3], IN_PROGRESS, strict=True):
        reason = "電話で辞退の申し出" if current != "INTERVIEW" else "辞" * 500
        payload = await _move(employer, application_id, "WITHDRAWN", reason)
        assert payload["errors"] == [], current
        assert payload["application"]["statusHistory"][-1] == {
            "actorPortal": "EMPLOYER",
            "fromStatus": current,
            "toStatus": "WITHDRAWN",
            "reason": reason,
        }
    # Not once a result is decided.
    for application_id in ids[3:]:
        payload = await _move(employer, application_id, "WITHDRAWN", "電話で辞退の申し出")
        assert _errors(payload) == [("status", "ILLEGAL_TRANSITION")]


async def test_staff_record_a_withdrawal_and_the_seeker_withdraws(
    server: Server,
    staff: GraphQLClient,
    employer: GraphQLClient,
    new_client: Any,
) -> None:
    posting = await flows.active_posting(employer, staff)
    ids = await sf.seed_applicants(server, posting["id"], [*IN_PROGRESS, "HIRED", *IN_PROGRESS])
    other_office = await new_staff(server, new_client(), "27010")
    for application_id in ids[:3]:
        payload = await _move(other_office, application_id, "WITHDRAWN", "窓口で辞退")
        assert _errors(payload) == [("applicationId", "NOT_FOUND")]
        payload = await _move(staff, application_id, "WITHDRAWN")
        assert _errors(payload) == [("reason", "REQUIRED")]
        payload = await _move(staff, application_id, "WITHDRAWN", " ")
        assert _errors(payload) == [("reason", "REQUIRED")]
    # The selection itself is the employer's.
    for target in ("SCREENING", "INTERVIEW", "HIRED", "REJECTED"):
        payload = await _move(staff, ids[0], target, "窓口で")
        assert _errors(payload) == [("status", "ILLEGAL_TRANSITION")], target
    payload = await _move(staff, ids[3], "WITHDRAWN", "窓口で辞退")
    assert _errors(payload) == [("status", "ILLEGAL_TRANSITION")]
    assert [await _status(i) for i in ids[:4]] == [*IN_PROGRESS, "HIRED"]

    for application_id, current in zip(ids[:3], IN_PROGRESS, strict=True):
        payload = await _move(staff, application_id, "WITHDRAWN", "窓口で辞退の申し出")
        assert payload["errors"] == [], current
        assert payload["application"]["statusHistory"][-1] == {
            "actorPortal": "STAFF",
            "fromStatus": current,
            "toStatus": "WITHDRAWN",
            "reason": "窓口で辞退の申し出",
        }
    # The seeker withdraws without a reason.
    client = new_client()
    for application_id, current in zip(ids[4:], IN_PROGRESS, strict=True):
        await sf.seeker_session(server, client, application_id)
        payload = await _move(client, application_id, "WITHDRAWN")
        assert payload["errors"] == [], current
        assert payload["application"]["statusHistory"][-1]["actorPortal"] == "SEEKER"


async def test_reaching_the_number_to_hire_is_said_and_closes_nothing(
    server: Server, staff: GraphQLClient, employer: GraphQLClient
) -> None:
    posting = await flows.active_posting(employer, staff, numberToHire=2)
    first, second, third, other = await sf.seed_applicants(
        server, posting["id"], ["INTERVIEW", "SCREENING", "APPLIED", "APPLIED"]
    )
    payload = await _move(employer, other, "SCREENING")
    assert (payload["errors"], payload["numberToHireReached"]) == ([], False)
    payload = await _move(employer, first, "HIRED")
    assert (payload["errors"], payload["numberToHireReached"]) == ([], False)
    payload = await _move(employer, other, "REJECTED")
    assert (payload["errors"], payload["numberToHireReached"]) == ([], False)
    payload = await _move(employer, second, "HIRED")
    assert (payload["errors"], payload["numberToHireReached"]) == ([], True)
    stored = await Posting.get(id=_pk(posting["id"], "Posting"))
    assert stored.status.value == "ACTIVE"
    assert stored.invalidated_at is None
    payload = await _move(employer, third, "HIRED")
    assert (payload["errors"], payload["numberToHireReached"]) == ([], True)
    assert (await Posting.get(id=stored.id)).status.value == "ACTIVE"

    # With one to hire, the first hire reaches it.
    single = await flows.active_posting(employer, staff, numberToHire=1)
    [only] = await sf.seed_applicants(server, single["id"], ["APPLIED"])
    payload = await _move(employer, only, "HIRED")
    assert (payload["errors"], payload["numberToHireReached"]) == ([], True)


# --- Bulk -----------------------------------------------------------------------------------


async def test_a_bulk_change_moves_each_on_its_own(
    server: Server, staff: GraphQLClient, employer: GraphQLClient, other_employer: GraphQLClient
) -> None:
    posting = await flows.active_posting(employer, staff, numberToHire=2)
    applied, withdrawn, screening, interview = await sf.seed_applicants(
        server, posting["id"], ["APPLIED", "WITHDRAWN", "SCREENING", "INTERVIEW"]
    )
    theirs = await flows.active_posting(other_employer, staff)
    [foreign] = await sf.seed_applicants(server, theirs["id"], ["APPLIED"])

    # A list naming an application of another establishment is wrong as a whole.
    payload = await _bulk(employer, [applied, foreign], "SCREENING")
    assert (_errors(payload), payload["results"]) == ([("applicationIds", "NOT_FOUND")], [])
    assert [await _status(applied), await _status(foreign)] == ["APPLIED", "APPLIED"]

    ids = [interview, withdrawn, applied, interview, screening]
    payload = await _bulk(employer, ids, "HIRED")
    assert payload["errors"] == []
    results = payload["results"]
    # One per distinct id, in the order given; an illegal move leaves the others made.
    assert [r["applicationId"] for r in results] == [interview, withdrawn, applied, screening]
    assert [(r["application"] or {}).get("status") for r in results] == [
        "HIRED",
        None,
        "HIRED",
        "HIRED",
    ]
    assert [_errors(r) for r in results] == [[], [("status", "ILLEGAL_TRANSITION")], [], []]
    # The second hire reaches the number to hire, and the third still says so.
    assert [r["numberToHireReached"] for r in results] == [False, False, True, True]
    assert await _status(withdrawn) == "WITHDRAWN"
    stored = await Posting.get(id=_pk(posting["id"], "Posting"))
    assert stored.status.value == "ACTIVE"

    # 辞退 needs its reason for each.
    more = await sf.seed_applicants(server, posting["id"], ["APPLIED", "SCREENING"])
    payload = await _bulk(employer, more, "WITHDRAWN")
    assert [_errors(r) for r in payload["results"]] == [[("reason", "REQUIRED")]] * 2
    payload = await _bulk(employer, more, "WITHDRAWN", "説明会で辞退の申し出")
    assert [r["application"]["status"] for r in payload["results"]] == ["WITHDRAWN"] * 2
    entries = await ApplicationEvent.filter(application_id__in=[_pk(i) for i in more])
    assert {e.reason for e in entries if e.to_status is ApplicationStatus.WITHDRAWN} == {
        "説明会で辞退の申し出"
    }

    # Employers only.
    response = await staff.post(
        BULK, {"input": {"applicationIds": [applied], "status": "SCREENING"}}
    )
    assert flows.top_level_codes(response) == ["FORBIDDEN"]


async def test_a_bulk_change_takes_1_to_100_applications(
    server: Server, staff: GraphQLClient, employer: GraphQLClient, new_client: Any
) -> None:
    posting = await flows.active_posting(employer, staff)
    ids = await sf.seed_applicants(server, posting["id"], ["APPLIED"] * 101)
    payload = await _bulk(employer, [], "SCREENING")
    assert (_errors(payload), payload["results"]) == ([("applicationIds", "REQUIRED")], [])
    payload = await _bulk(employer, ids, "SCREENING")
    assert (_errors(payload), payload["results"]) == ([("applicationIds", "TOO_MANY_ITEMS")], [])
    assert await Application.filter(status=ApplicationStatus.APPLIED).count() == 101

    # An ID of something else.
    payload = await _bulk(employer, [ids[0], posting["id"]], "SCREENING")
    assert (_errors(payload), payload["results"]) == ([("applicationIds.1", "NOT_FOUND")], [])
    assert await Application.filter(status=ApplicationStatus.APPLIED).count() == 101

    payload = await _bulk(employer, ids[:100], "SCREENING")
    assert payload["errors"] == []
    assert [r["applicationId"] for r in payload["results"]] == ids[:100]
    assert all(r["errors"] == [] for r in payload["results"])
    assert await Application.filter(status=ApplicationStatus.SCREENING).count() == 100
    assert await _status(ids[100]) == "APPLIED"

    # A seeker cannot.
    client = new_client()
    await sf.seeker_session(server, client, ids[100])
    response = await client.post(
        BULK, {"input": {"applicationIds": [ids[100]], "status": "WITHDRAWN"}}
    )
    assert flows.top_level_codes(response) == ["FORBIDDEN"]


# --- The result reported to Hello Work ------------------------------------------------------


async def test_a_hire_is_reported_with_its_start_date(
    server: Server, staff: GraphQLClient, employer: GraphQLClient, new_client: Any
) -> None:
    posting = await flows.active_posting(employer, staff)
    # Applied at 00:30 on 25 November in Tokyo, still the 24th in UTC.
    server.clock.set(dt.datetime(2026, 11, 25, 0, 30, tzinfo=TOKYO))
    await reopen_session(server, employer)
    [application_id] = await sf.seed_applicants(server, posting["id"], ["INTERVIEW"])
    server.clock.set(dt.datetime(2026, 11, 30, 10, 0, tzinfo=TOKYO))
    await reopen_session(server, employer)

    payload = await _report(employer, application_id, result="HIRED")
    assert _errors(payload) == [("hireDate", "REQUIRED")]
    payload = await _report(employer, application_id, result="HIRED", hireDate="2026-11-24")
    assert _errors(payload) == [("hireDate", "OUT_OF_RANGE")]
    assert (await _node(employer, application_id))["resultReport"] is None

    payload = await _report(
        employer, application_id, result="HIRED", hireDate="2026-11-25", conditionsDiffer=True
    )
    assert payload["errors"] == []
    assert payload["application"]["resultReport"] == {
        "result": "HIRED",
        "hireDate": "2026-11-25",
        "conditionsDiffer": True,
        "rejectionReason": None,
        "note": "",
        "reportedAt": server.clock.now().isoformat(),
        "reportedByPortal": "EMPLOYER",
    }
    # Independent of the status, which stays.
    assert payload["application"]["status"] == "INTERVIEW"

    # The seeker sees their status, not the report.
    client = new_client()
    await sf.seeker_session(server, client, application_id)
    data = await client.execute(MINE)
    [node] = [edge["node"] for edge in data["myApplications"]["edges"]]
    assert (node["resultReport"], node["hireDate"]) == (None, None)

    # Corrected until it locks.
    server.clock.set(dt.datetime(2026, 12, 1, 9, 0, tzinfo=TOKYO))
    await reopen_session(server, employer)
    payload = await _report(employer, application_id, result="HIRED", hireDate="2027-01-05")
    assert payload["errors"] == []
    report = payload["application"]["resultReport"]
    assert (report["hireDate"], report["conditionsDiffer"]) == ("2027-01-05", False)
    assert report["reportedAt"] == server.clock.now().isoformat()


async def test_a_rejection_and_a_withdrawal_are_reported_by_their_rules(
    server: Server, staff: GraphQLClient, employer: GraphQLClient
) -> None:
    posting = await flows.active_posting(employer, staff)
    application_id, other_id = await sf.seed_applicants(
        server, posting["id"], ["REJECTED", "APPLIED"]
    )
    refused: list[tuple[dict[str, Any], tuple[str, str]]] = [
        ({"result": "REJECTED"}, ("rejectionReason", "REQUIRED")),
        ({"result": "REJECTED", "rejectionReason": "OTHER"}, ("note", "REQUIRED")),
        ({"result": "REJECTED", "rejectionReason": "OTHER", "note": "　"}, ("note", "REQUIRED")),
        (
            {"result": "REJECTED", "rejectionReason": "SKILLS", "note": "理" * 501},
            ("note", "TOO_LONG"),
        ),
        (
            {"result": "REJECTED", "rejectionReason": "SKILLS", "hireDate": "2026-12-01"},
            ("hireDate", "INCONSISTENT"),
        ),
        (
            {"result": "WITHDRAWN", "hireDate": "2026-12-01"},
            ("hireDate", "INCONSISTENT"),
        ),
        (
            {"result": "HIRED", "hireDate": "2026-12-01", "rejectionReason": "SKILLS"},
            ("rejectionReason", "INCONSISTENT"),
        ),
        (
            {"result": "WITHDRAWN", "rejectionReason": "FILLED"},
            ("rejectionReason", "INCONSISTENT"),
        ),
    ]
    for input, error in refused:
        payload = await _report(employer, application_id, **input)
        assert _errors(payload) == [error], input
    # Conditions that differ belong to a hire only.
    payload = await _report(
        employer, application_id, result="REJECTED", rejectionReason="SKILLS", conditionsDiffer=True
    )
    assert [code for _, code in _errors(payload)] == ["INCONSISTENT"]
    assert await Application.filter(reported_result__isnull=False).count() == 0

    payload = await _report(employer, application_id, result="REJECTED", rejectionReason="SKILLS")
    assert payload["errors"] == []
    assert payload["application"]["resultReport"]["rejectionReason"] == "SKILLS"
    payload = await _report(
        employer, application_id, result="REJECTED", rejectionReason="OTHER", note="理" * 500
    )
    assert payload["errors"] == []
    report = payload["application"]["resultReport"]
    assert (report["result"], report["rejectionReason"], report["note"]) == (
        "REJECTED",
        "OTHER",
        "理" * 500,
    )
    assert report["hireDate"] is None

    payload = await _report(employer, other_id, result="WITHDRAWN", note="他社に決定とのこと")
    assert payload["errors"] == []
    report = payload["application"]["resultReport"]
    assert (report["result"], report["note"], report["rejectionReason"]) == (
        "WITHDRAWN",
        "他社に決定とのこと",
        None,
    )
    assert payload["application"]["status"] == "APPLIED"


async def test_who_may_report_a_result(
    server: Server,
    staff: GraphQLClient,
    employer: GraphQLClient,
    other_employer: GraphQLClient,
    new_client: Any,
) -> None:
    posting = await flows.active_posting(employer, staff)
    [application_id] = await sf.seed_applicants(server, posting["id"], ["HIRED"])
    walk_in = await refer_walk_in(staff, posting["id"])
    hired = {"result": "HIRED", "hireDate": "2026-12-01"}

    seeker = new_client()
    await sf.seeker_session(server, seeker, application_id)
    other_office = await new_staff(server, new_client(), "27010")
    for client in (seeker, other_employer, other_office):
        payload = await _report(client, application_id, **hired)
        assert _errors(payload) == [("applicationId", "NOT_FOUND")]
    response = await new_client().post(
        REPORT, {"input": {"applicationId": application_id, **hired}}
    )
    assert flows.top_level_codes(response) == ["UNAUTHENTICATED"]
    assert await Application.filter(reported_result__isnull=False).count() == 0

    # Staff of the office enter a report the employer phoned in; a walk-in's too.
    payload = await _report(staff, application_id, **hired)
    assert payload["errors"] == []
    assert payload["application"]["resultReport"]["reportedByPortal"] == "STAFF"
    stored = await Application.get(id=_pk(application_id))
    assert stored.reported_by_id == (await user_of(server, staff)).id
    payload = await _report(staff, walk_in["id"], result="REJECTED", rejectionReason="APTITUDE")
    assert payload["errors"] == []
    assert payload["application"]["resultReport"]["reportedByPortal"] == "STAFF"
    report = (await _node(employer, walk_in["id"]))["resultReport"]
    assert (report["result"], report["reportedByPortal"]) == ("REJECTED", "STAFF")


@pytest.fixture
def february_10(server: Server) -> None:
    """The clock on 2027-02-10 before anyone logs in."""
    server.clock.set(dt.datetime(2027, 2, 10, 10, 0, tzinfo=TOKYO))


async def test_a_report_locks_after_the_third_month_end(
    server: Server, february_10: None, staff: GraphQLClient, employer: GraphQLClient
) -> None:
    posting = await flows.active_posting(employer, staff)
    first, second, third = await sf.seed_applicants(
        server, posting["id"], ["HIRED", "REJECTED", "INTERVIEW"]
    )
    node = await _node(employer, first)
    assert node["resultLockedFrom"] is None
    due = (await employer.execute(DUE, {"first": 10}))["resultReportsDue"]["edges"]
    assert [(e["node"]["lockedFrom"], e["node"]["daysLeft"]) for e in due] == [(None, None)] * 3

    await flows.posting_step(employer, "postingStop", {"id": posting["id"], "reason": "募集終了"})
    assert (await _node(employer, first))["resultLockedFrom"] == "2027-06-01"
    due = (await employer.execute(DUE, {"first": 10}))["resultReportsDue"]["edges"]
    assert [(e["node"]["lockedFrom"], e["node"]["daysLeft"]) for e in due] == [
        ("2027-06-01", 111)
    ] * 3

    server.clock.set(dt.datetime(2027, 5, 31, 23, 59, tzinfo=TOKYO))
    await reopen_session(server, employer)
    await reopen_session(server, staff)
    due = (await staff.execute(DUE, {"first": 10}))["resultReportsDue"]["edges"]
    assert [(e["node"]["lockedFrom"], e["node"]["daysLeft"]) for e in due] == [
        ("2027-06-01", 1)
    ] * 3
    payload = await _report(employer, first, result="HIRED", hireDate="2027-06-01")
    assert payload["errors"] == []
    payload = await _report(staff, second, result="REJECTED", rejectionReason="FILLED")
    assert payload["errors"] == []

    server.clock.set(dt.datetime(2027, 6, 1, 0, 0, tzinfo=TOKYO))
    await reopen_session(server, employer)
    await reopen_session(server, staff)
    for client, application_id in ((employer, first), (staff, first), (employer, third)):
        payload = await _report(client, application_id, result="HIRED", hireDate="2027-06-15")
        assert _errors(payload) == [("result", "RESULT_LOCKED")], application_id
    report = (await _node(employer, first))["resultReport"]
    assert report["hireDate"] == "2027-06-01"
    assert (await _node(employer, third))["resultReport"] is None
    assert (await _node(staff, third))["resultLockedFrom"] == "2027-06-01"
    due = (await employer.execute(DUE, {"first": 10}))["resultReportsDue"]["edges"]
    assert [(e["node"]["application"]["id"], e["node"]["daysLeft"]) for e in due] == [(third, 0)]


# --- Telling the applicant --------------------------------------------------------------------


async def test_the_result_is_told_by_message_or_recorded(
    server: Server,
    staff: GraphQLClient,
    employer: GraphQLClient,
    other_employer: GraphQLClient,
    seeker: Seeker,
) -> None:
    await sf.update_profile(seeker.client)
    posting = await flows.active_posting(employer, staff)
    application = await sf.apply(seeker.client, posting["id"])
    walk_in = await refer_walk_in(staff, posting["id"])
    ids = await sf.seed_applicants(
        server, posting["id"], ["APPLIED", "SCREENING", "INTERVIEW", "WITHDRAWN", "REJECTED"]
    )
    # Within the idle timeout of every session.
    server.clock.set(START + dt.timedelta(minutes=10))
    now = server.clock.now()

    # Only once the result is decided.
    for application_id in [application["id"], *ids[:4]]:
        payload = await _notify(employer, application_id, method="PHONE")
        assert _errors(payload) == [("applicationId", "INVALID_STATE")], application_id
    assert await Application.filter(notified_at__isnull=False).count() == 0

    # By message to a My Page holder: sent now, and the seeker reads it.
    assert (await _move(employer, application["id"], "HIRED"))["errors"] == []
    payload = await _notify(employer, application["id"], method="MESSAGE")
    assert _errors(payload) == [("message", "REQUIRED")]
    payload = await _notify(
        employer,
        application["id"],
        method="MESSAGE",
        message="採用と決定しました。",
        notifiedAt=START.isoformat(),
    )
    assert _errors(payload) == [("notifiedAt", "INCONSISTENT")]
    assert await Message.all().count() == 0
    payload = await _notify(
        employer, application["id"], method="MESSAGE", message="採用と決定しました。"
    )
    assert payload["errors"] == []
    assert payload["application"]["resultNotice"] == {
        "method": "MESSAGE",
        "notifiedAt": now.isoformat(),
    }
    threads = await seeker.client.execute(
        "{ messageThreads(first: 5) { edges { node { lastMessage { body sender } } } } }"
    )
    assert [e["node"]["lastMessage"] for e in threads["messageThreads"]["edges"]] == [
        {"body": "採用と決定しました。", "sender": "EMPLOYER"}
    ]

    # A walk-in has no My Page: the employer tells them directly and records it.
    assert (await _move(employer, walk_in["id"], "REJECTED"))["errors"] == []
    payload = await _notify(employer, walk_in["id"], method="MESSAGE", message="残念ながら")
    assert _errors(payload) == [("method", "NO_RELATION")]
    assert await Message.all().count() == 1
    payload = await _notify(employer, walk_in["id"], method="PHONE")
    assert payload["errors"] == []
    assert payload["application"]["resultNotice"] == {
        "method": "PHONE",
        "notifiedAt": now.isoformat(),
    }

    # Another method records when: not in the future, not before the application.
    [rejected] = ids[4:]
    created = START
    second = dt.timedelta(seconds=1)
    for method, moment, error in [
        ("EMAIL", now + second, "OUT_OF_RANGE"),
        ("POST", created - second, "OUT_OF_RANGE"),
    ]:
        payload = await _notify(employer, rejected, method=method, notifiedAt=moment.isoformat())
        assert _errors(payload) == [("notifiedAt", error)], moment
    assert (await _node(employer, rejected))["resultNotice"] is None
    for method, moment in [("POST", created), ("IN_PERSON", now), ("EMAIL", now - second)]:
        payload = await _notify(employer, rejected, method=method, notifiedAt=moment.isoformat())
        assert payload["errors"] == [], (method, moment)
        notice = payload["application"]["resultNotice"]
        assert notice["method"] == method
        assert dt.datetime.fromisoformat(notice["notifiedAt"]) == moment

    # Employers of the establishment only.
    payload = await _notify(other_employer, rejected, method="PHONE")
    assert _errors(payload) == [("applicationId", "NOT_FOUND")]
    for client in (staff, seeker.client):
        response = await client.post(
            NOTIFY, {"input": {"applicationId": application["id"], "method": "PHONE"}}
        )
        assert flows.top_level_codes(response) == ["FORBIDDEN"]


async def test_a_notice_time_without_an_offset_is_an_input_error(
    server: Server, staff: GraphQLClient, employer: GraphQLClient
) -> None:
    posting = await flows.active_posting(employer, staff)
    [rejected] = await sf.seed_applicants(server, posting["id"], ["REJECTED"])
    response = await employer.post(
        NOTIFY,
        {"input": {"applicationId": rejected, "method": "PHONE", "notifiedAt": "2026-11-25T10:00"}},
    )
    assert flows.top_level_codes(response) in ([], ["BAD_USER_INPUT"]), response.text
    if not flows.top_level_codes(response):
        payload = response.json()["data"]["applicationResultNotify"]
        assert [field for field, _ in _errors(payload)] == ["notifiedAt"]
    assert await Application.filter(notified_at__isnull=False).count() == 0


# --- Reports due and counts -------------------------------------------------------------------


async def test_the_employer_sees_the_reports_due_oldest_first(
    server: Server, staff: GraphQLClient, employer: GraphQLClient, new_client: Any
) -> None:
    posting = await flows.active_posting(employer, staff)
    ids = await sf.seed_applicants(server, posting["id"], ["APPLIED", "HIRED", "REJECTED"])
    later = await flows.active_posting(employer, staff)
    ids += await sf.seed_applicants(server, later["id"], ["INTERVIEW", "WITHDRAWN"])
    payload = await _report(employer, ids[1], result="HIRED", hireDate="2026-12-01")
    assert payload["errors"] == []
    due = [i for i in ids if i != ids[1]]

    data = await employer.execute(DUE, {"first": 10})
    edges = data["resultReportsDue"]["edges"]
    assert [e["node"]["application"]["id"] for e in edges] == due
    assert all(e["node"]["lockedFrom"] is None and e["node"]["daysLeft"] is None for e in edges)

    seen: list[str] = []
    after = None
    while True:
        page = (await employer.execute(DUE, {"first": 3, "after": after}))["resultReportsDue"]
        seen += [e["node"]["application"]["id"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == due

    client = new_client()
    await sf.seeker_session(server, client, ids[0])
    response = await client.post(DUE, {"first": 10})
    assert flows.top_level_codes(response) == ["FORBIDDEN"]
    response = await new_client().post(DUE, {"first": 10})
    assert flows.top_level_codes(response) == ["UNAUTHENTICATED"]


async def test_staff_see_the_reports_due_across_their_office(
    server: Server,
    staff: GraphQLClient,
    employer: GraphQLClient,
    other_employer: GraphQLClient,
    new_client: Any,
) -> None:
    theirs = await flows.active_posting(other_employer, staff)
    mine = await flows.active_posting(employer, staff)
    # Made alternately, so the order by establishment is not the order of arrival.
    ids: dict[str, list[str]] = {"mine": [], "theirs": []}
    for _ in range(2):
        ids["theirs"] += await sf.seed_applicants(server, theirs["id"], ["APPLIED"])
        ids["mine"] += await sf.seed_applicants(server, mine["id"], ["SCREENING"])
    establishments = {
        key: (await Posting.get(id=_pk(posting["id"], "Posting"))).establishment_id
        for key, posting in (("mine", mine), ("theirs", theirs))
    }
    order = sorted(ids, key=lambda key: establishments[key])
    expected = [i for key in order for i in ids[key]]

    data = await staff.execute(DUE, {"first": 10})
    edges = data["resultReportsDue"]["edges"]
    assert [e["node"]["application"]["id"] for e in edges] == expected
    numbers = {"mine": "1301-123456-7", "theirs": "1301-654321-0"}
    assert [e["node"]["establishment"]["establishmentNumber"] for e in edges] == [
        numbers[key] for key in order for _ in ids[key]
    ]
    # Paged across establishments.
    first = (await staff.execute(DUE, {"first": 3}))["resultReportsDue"]
    assert first["pageInfo"]["hasNextPage"] is True
    rest = (await staff.execute(DUE, {"first": 3, "after": first["pageInfo"]["endCursor"]}))[
        "resultReportsDue"
    ]
    assert rest["pageInfo"]["hasNextPage"] is False
    assert [e["node"]["application"]["id"] for e in first["edges"] + rest["edges"]] == expected

    # One establishment.
    establishment_id = edges[-1]["node"]["establishment"]["id"]
    data = await staff.execute(DUE, {"first": 10, "establishmentId": establishment_id})
    assert [e["node"]["application"]["id"] for e in data["resultReportsDue"]["edges"]] == ids[
        order[-1]
    ]
    # The employer sees its own only.
    data = await employer.execute(DUE, {"first": 10})
    assert [e["node"]["application"]["id"] for e in data["resultReportsDue"]["edges"]] == ids[
        "mine"
    ]

    other_office = await new_staff(server, new_client(), "27010")
    data = await other_office.execute(DUE, {"first": 10})
    assert data["resultReportsDue"]["edges"] == []
    data = await other_office.execute(DUE, {"first": 10, "establishmentId": establishment_id})
    assert data["resultReportsDue"]["edges"] == []


async def test_counts_per_posting(
    server: Server, staff: GraphQLClient, employer: GraphQLClient, other_employer: GraphQLClient
) -> None:
    first = await flows.active_posting(employer, staff)
    second = await flows.active_posting(employer, staff)
    empty = await flows.active_posting(employer, staff)
    ids = await sf.seed_applicants(
        server,
        first["id"],
        ["APPLIED", "APPLIED", "SCREENING", "INTERVIEW", "HIRED", "REJECTED"] + ["WITHDRAWN"] * 3,
    )
    await refer_walk_in(staff, first["id"])
    await sf.seed_applicants(server, second["id"], ["HIRED"])
    for application_id in ids[4:6]:
        payload = await _report(employer, application_id, result="WITHDRAWN")
        assert payload["errors"] == []

    counts_of_first = {
        "posting": {"id": first["id"]},
        "applied": 3,
        "screening": 1,
        "interview": 1,
        "hired": 1,
        "rejected": 1,
        "withdrawn": 3,
        "total": 10,
        "unreported": 8,
    }
    counts_of_second = {
        "posting": {"id": second["id"]},
        "applied": 0,
        "screening": 0,
        "interview": 0,
        "hired": 1,
        "rejected": 0,
        "withdrawn": 0,
        "total": 1,
        "unreported": 1,
    }
    data = await employer.execute(COUNTS, {"postingId": first["id"]})
    assert data["applicationCounts"] == [counts_of_first]
    data = await employer.execute(COUNTS)
    assert data["applicationCounts"] == [counts_of_second, counts_of_first]

    data = await other_employer.execute(COUNTS, {"postingId": first["id"]})
    assert data["applicationCounts"] == []
    response = await staff.post(COUNTS, {"postingId": first["id"]})
    assert flows.top_level_codes(response) == ["FORBIDDEN"]

    # Asked for a posting nobody applied to yet: nothing in any status.
    data = await employer.execute(COUNTS, {"postingId": empty["id"]})
    assert data["applicationCounts"] == [
        {**{key: 0 for key in counts_of_first}, "posting": {"id": empty["id"]}}
    ]
