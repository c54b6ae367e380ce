"""The selection's lists page both ways and count: the reports due (選考結果の報告待ち, on two
columns: establishment by establishment, ties on the establishment broken by the application)
and the record of reads of personal data (個人情報の閲覧記録, newest first), each with its
filter. And the global IDs of the selection's objects that clients cache: the status history's
entries, the reports due and the counts per posting."""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest
from strawberry import relay

from app.models import ApplicationEvent, Posting
from app.schema.nodes import decode_id
from tests import flows
from tests import seeker_flows as sf
from tests.conftest import GraphQLClient, Server, new_staff

PAGE = "totalCount pageInfo { hasPreviousPage hasNextPage startCursor endCursor }"
ARGS = "first: $first, after: $after, last: $last, before: $before"
VARS = "$first: Int, $after: String, $last: Int, $before: String"

DUE = f"""query ReportsDuePage({VARS}, $establishmentId: ID) {{
  resultReportsDue({ARGS}, establishmentId: $establishmentId) {{
    {PAGE} edges {{ cursor node {{ id application {{ id }} establishment {{ id }} }} }}
  }}
}}"""

LOG = f"""query AccessLogPage({VARS}, $applicationId: ID) {{
  personalDataAccessLog({ARGS}, applicationId: $applicationId) {{
    {PAGE} edges {{ cursor node {{ id applicationId }} }}
  }}
}}"""

PERSON = """query ApplicantPersonRead($id: ID!) {
  node(id: $id) { ... on Application { id person { name } } }
}"""

HISTORY = """query ApplicationHistoryIds($id: ID!) {
  node(id: $id) { ... on Application { id statusHistory { id toStatus } } }
}"""

COUNTS = """query ApplicationCountIds {
  applicationCounts { id posting { id } total }
}"""

NODES = """query SelectionKeysAreNoNodes($ids: [ID!]!) { nodes(ids: $ids) { id } }"""

MOVE = """mutation ApplicationMoveForIds($input: ApplicationStatusUpdateInput!) {
  applicationStatusUpdate(input: $input) {
    application { id status }
    errors { field code message }
  }
}"""

REPORT = """mutation ApplicationReportForPaging($input: ApplicationResultReportInput!) {
  applicationResultReport(input: $input) {
    application { id }
    errors { field code message }
  }
}"""

Fetch = Callable[..., Awaitable[dict[str, Any]]]
Key = Callable[[dict[str, Any]], str]


def _node_id(node: dict[str, Any]) -> str:
    found: str = node["id"]
    return found


def _application_id(node: dict[str, Any]) -> str:
    found: str = node["application"]["id"]
    return found


def _ids(page: dict[str, Any], key: Key = _node_id) -> list[str]:
    return [key(edge["node"]) for edge in page["edges"]]


async def _walk_both_ways(fetch: Fetch, expected: list[str], key: Key = _node_id) -> None:
    """Forward by two from the start, then backward by two from the end: each way the pages
    hold `expected` once, in order, and say truly what lies on either side."""
    assert len(expected) >= 3
    seen: list[str] = []
    after = None
    while True:
        page = await fetch(first=2, after=after)
        assert page["totalCount"] == len(expected)
        assert page["pageInfo"]["hasPreviousPage"] is (after is not None)
        seen += _ids(page, key)
        assert page["pageInfo"]["hasNextPage"] is (len(seen) < len(expected))
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == expected

    seen = []
    before = None
    while True:
        page = await fetch(last=2, before=before)
        assert page["totalCount"] == len(expected)
        assert page["pageInfo"]["hasNextPage"] is (before is not None)
        seen = _ids(page, key) + seen
        assert page["pageInfo"]["hasPreviousPage"] is (len(seen) < len(expected))
        if not page["pageInfo"]["hasPreviousPage"]:
            break
        before = page["pageInfo"]["startCursor"]
    assert seen == expected


def _fetch(client: GraphQLClient, query: str, field: str, **fixed: Any) -> Fetch:
    async def fetch(**variables: Any) -> dict[str, Any]:
        found: dict[str, Any] = (await client.execute(query, fixed | variables))[field]
        return found

    return fetch


def _cursor(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode()


async def _refuses_bad_cursors(client: GraphQLClient, query: str, cursors: list[str]) -> None:
    for cursor in cursors:
        for variables in ({"last": 2, "before": cursor}, {"first": 2, "after": cursor}):
            response = await client.post(query, variables)
            assert flows.top_level_codes(response) == ["BAD_USER_INPUT"], cursor
            assert response.json()["errors"][0]["message"] == (
                "after または before に指定されたカーソルが正しくありません。"
            )


@dataclass(frozen=True)
class Office:
    """The applicants of two establishments of one office, none reported yet."""

    mine: list[str]
    """The applications to the establishment of `employer`, oldest first."""
    theirs: list[str]
    """The applications to the establishment of `other_employer`, oldest first."""
    in_order: list[str]
    """All of them as the reports due list them: establishment by establishment."""


@pytest.fixture
async def office(
    server: Server, staff: GraphQLClient, employer: GraphQLClient, other_employer: GraphQLClient
) -> Office:
    """Three applicants to each establishment, made alternately so that the order by
    establishment is not the order of arrival."""
    mine = await flows.active_posting(employer, staff)
    theirs = await flows.active_posting(other_employer, staff)
    made: dict[str, list[str]] = {mine["id"]: [], theirs["id"]: []}
    for _ in range(3):
        for posting in (theirs, mine):
            made[posting["id"]] += await sf.seed_applicants(server, posting["id"], ["APPLIED"])
    establishment_of = {
        posting_id: (await Posting.get(id=decode_id(posting_id, "Posting", "id"))).establishment_id
        for posting_id in made
    }
    in_order = [
        application_id
        for posting_id in sorted(made, key=lambda posting_id: establishment_of[posting_id])
        for application_id in made[posting_id]
    ]
    return Office(mine=made[mine["id"]], theirs=made[theirs["id"]], in_order=in_order)


# --- resultReportsDue ------------------------------------------------------------------------


async def test_the_reports_due_page_both_ways_across_establishments(
    staff: GraphQLClient, employer: GraphQLClient, office: Office
) -> None:
    # Ties on the establishment (three each) are broken by the application.
    await _walk_both_ways(_fetch(staff, DUE, "resultReportsDue"), office.in_order, _application_id)
    await _walk_both_ways(_fetch(employer, DUE, "resultReportsDue"), office.mine, _application_id)
    # Between two cursors, across the two establishments.
    every = await _fetch(staff, DUE, "resultReportsDue")(first=6)
    cursors = [edge["cursor"] for edge in every["edges"]]
    between = await _fetch(staff, DUE, "resultReportsDue")(after=cursors[1], before=cursors[5])
    assert _ids(between, _application_id) == office.in_order[2:5]
    assert between["pageInfo"]["hasPreviousPage"] is True


async def test_the_reports_due_count_with_their_filter(
    staff: GraphQLClient, employer: GraphQLClient, new_client: Any, server: Server, office: Office
) -> None:
    everything = await _fetch(staff, DUE, "resultReportsDue")(first=1)
    assert everything["totalCount"] == 6
    establishment_id = everything["edges"][0]["node"]["establishment"]["id"]
    one = _fetch(staff, DUE, "resultReportsDue", establishmentId=establishment_id)
    page = await one(last=1)
    assert page["totalCount"] == 3
    assert _ids(page, _application_id) == office.in_order[2:3]
    assert page["pageInfo"]["hasPreviousPage"] is True
    assert page["pageInfo"]["hasNextPage"] is False
    # The employer's own only; `first: 0` counts without a row.
    own = await _fetch(employer, DUE, "resultReportsDue")(first=0)
    assert (own["totalCount"], own["edges"]) == (3, [])
    # A reported result leaves the list and its count.
    reported = office.mine[1]
    payload = (
        await employer.execute(
            REPORT, {"input": {"applicationId": reported, "result": "WITHDRAWN"}}
        )
    )["applicationResultReport"]
    assert payload["errors"] == []
    remaining = [i for i in office.in_order if i != reported]
    await _walk_both_ways(_fetch(staff, DUE, "resultReportsDue"), remaining, _application_id)
    assert (await _fetch(employer, DUE, "resultReportsDue")(last=5))["totalCount"] == 2
    # Another office's staff: nothing, counted as nothing; an ID of no establishment too.
    other_office = await new_staff(server, new_client(), "27010")
    nothing = await _fetch(other_office, DUE, "resultReportsDue")(last=5)
    assert (nothing["totalCount"], nothing["edges"]) == (0, [])
    nothing = await _fetch(
        staff, DUE, "resultReportsDue", establishmentId=relay.to_base64("Posting", 1)
    )()
    assert (nothing["totalCount"], nothing["edges"]) == (0, [])
    assert nothing["pageInfo"]["hasPreviousPage"] is False


async def test_a_cursor_not_of_the_reports_due_is_bad_input(
    staff: GraphQLClient, office: Office
) -> None:
    await _refuses_bad_cursors(
        staff,
        DUE,
        [
            "not base64!",
            _cursor("report-due:1"),  # one column, not two
            _cursor("report-due:1:x"),
            _cursor("report-due:1:-2"),
            _cursor("application:1:2"),
            _cursor(f"report-due:1:{2**63}"),
        ],
    )


# --- personalDataAccessLog ------------------------------------------------------------------


async def test_the_reads_of_personal_data_page_both_ways_with_their_filter(
    staff: GraphQLClient, employer: GraphQLClient, office: Office
) -> None:
    # Read in one moment (the clock stands still): ordered by the record, newest first.
    reads = [office.mine[0], office.mine[1], office.mine[2], office.mine[0]]
    for application_id in reads:
        data = await employer.execute(PERSON, {"id": application_id})
        assert data["node"]["person"]["name"]
    every = await _fetch(staff, LOG, "personalDataAccessLog")(first=10)
    assert _ids(every, lambda node: node["applicationId"]) == list(reversed(reads))
    records = _ids(every)
    await _walk_both_ways(_fetch(staff, LOG, "personalDataAccessLog"), records)

    one = _fetch(staff, LOG, "personalDataAccessLog", applicationId=office.mine[0])
    page = await one(last=1)
    assert page["totalCount"] == 2
    assert _ids(page) == [records[3]]
    assert page["pageInfo"]["hasPreviousPage"] is True
    page = await one(last=1, before=page["pageInfo"]["startCursor"])
    assert (_ids(page), page["pageInfo"]["hasPreviousPage"]) == ([records[0]], False)
    assert page["pageInfo"]["hasNextPage"] is True
    nothing = await _fetch(
        staff, LOG, "personalDataAccessLog", applicationId=relay.to_base64("Posting", 1)
    )()
    assert (nothing["totalCount"], nothing["edges"]) == (0, [])


async def test_a_cursor_not_of_the_reads_is_bad_input(staff: GraphQLClient) -> None:
    await _refuses_bad_cursors(
        staff,
        LOG,
        [
            "not base64!",
            _cursor("personal-data-access:x"),
            _cursor("personal-data-access:1:2"),
            _cursor("application:1"),
            _cursor(f"personal-data-access:{2**63}"),
        ],
    )


# --- Global IDs -------------------------------------------------------------------------------


def _type_of(global_id: str) -> tuple[str, str]:
    return relay.from_base64(global_id)


async def test_the_selections_objects_have_global_ids(
    staff: GraphQLClient, employer: GraphQLClient, office: Office
) -> None:
    application_id = office.mine[0]
    payload = (
        await employer.execute(
            MOVE, {"input": {"applicationId": application_id, "status": "SCREENING"}}
        )
    )["applicationStatusUpdate"]
    assert payload["errors"] == []

    history = (await employer.execute(HISTORY, {"id": application_id}))["node"]["statusHistory"]
    assert [entry["toStatus"] for entry in history] == ["APPLIED", "SCREENING"]
    events = await ApplicationEvent.filter(
        application_id=decode_id(application_id, "Application", "id")
    ).order_by("id")
    assert [_type_of(entry["id"]) for entry in history] == [
        ("ApplicationStatusChange", str(event.id)) for event in events
    ]
    # The same entry has the same ID for every viewer who sees it.
    seen_by_staff = (await staff.execute(HISTORY, {"id": application_id}))["node"]
    assert [entry["id"] for entry in seen_by_staff["statusHistory"]] == [
        entry["id"] for entry in history
    ]

    due = (await _fetch(staff, DUE, "resultReportsDue")(first=10))["edges"]
    assert [_type_of(edge["node"]["id"]) for edge in due] == [
        ("ResultReportDue", _type_of(edge["node"]["application"]["id"])[1]) for edge in due
    ]

    counts = (await employer.execute(COUNTS))["applicationCounts"]
    assert [_type_of(item["id"]) for item in counts] == [
        ("ApplicationCounts", _type_of(item["posting"]["id"])[1]) for item in counts
    ]
    assert [item["total"] for item in counts] == [3]
    # Keys for caches, not nodes: `node` names nothing by them.
    ids = [history[0]["id"], due[0]["node"]["id"], counts[0]["id"]]
    data = await staff.execute(NODES, {"ids": ids})
    assert data["nodes"] == [None, None, None]
