"""Cursors (`app.schema.paging`): one codec for every connection and subscription; a cursor
that is not one of ours, in any part, is BAD_USER_INPUT and never an internal error."""

from __future__ import annotations

from typing import Any

import pytest
from graphql import GraphQLError
from strawberry.relay import to_base64

from app.schema.nodes import MAX_BIGINT_ID
from app.schema.paging import cursor_moment, cursor_number, cursor_parts, encode_cursor
from tests import flows
from tests.conftest import GraphQLClient, Server, new_employer_of, new_seeker, new_staff
from tests.malformed import malformed_cursors, no_error_logged, urlsafe
from tests.ws_client import GraphQLWebSocket

# Times that are no aware ISO 8601 time, or that leave the calendar once in UTC.
MALFORMED_MOMENTS = (
    "2026-11-25T10:00:00",
    "9999-12-31T23:59:59-23:59",
    "0001-01-01T00:00:00+23:59",
    "２０２６-11-25T10:00:00+09:00",
    "x",
    "",
)

EVENT_CREATE = """mutation ($input: OfficeEventCreateInput!) {
  officeEventCreate(input: $input) { officeEvent { id } errors { code } } }"""
REGISTRATIONS = """query ($id: ID!, $after: String) {
  node(id: $id) { ... on OfficeEvent { registrations(after: $after) { edges { cursor } } } } }"""


def connection(field: str, arguments: str = "") -> str:
    return (
        f"query ($after: String) {{ {field}({arguments}after: $after) {{ edges {{ cursor }} }} }}"
    )


def _read_review_cursor(cursor: str) -> None:
    _, at, item_id = cursor_parts(cursor, "review", 3, separator="|")
    cursor_moment(at)  # "1" where the malformed part is elsewhere: never a time
    cursor_number(item_id)


def test_the_codec_reads_back_what_it_wrote_and_nothing_else() -> None:
    cursor = encode_cursor("review", "POSTING", "2026-11-25T01:00:00+00:00", 7, separator="|")
    assert cursor_parts(cursor, "review", 3, separator="|") == [
        "POSTING",
        "2026-11-25T01:00:00+00:00",
        "7",
    ]
    assert cursor_number("0") == 0
    assert cursor_number(str(MAX_BIGINT_ID), MAX_BIGINT_ID) == MAX_BIGINT_ID
    assert cursor_moment("2026-11-25T10:00:00+09:00").isoformat() == "2026-11-25T01:00:00+00:00"
    for bad in malformed_cursors("review", "|", 3):
        with pytest.raises(GraphQLError, match="カーソル"):
            _read_review_cursor(bad)
    for moment in MALFORMED_MOMENTS:
        with pytest.raises(GraphQLError, match="カーソル"):
            cursor_moment(moment)


async def test_malformed_cursors_are_bad_user_input_on_every_connection_both_ways(
    server: Server, gql: GraphQLClient, new_client: Any, caplog: pytest.LogCaptureFixture
) -> None:
    staff = await new_staff(server, new_client())
    employer = await new_employer_of(server, staff, gql)
    await flows.active_posting(employer, staff)
    seeker = await new_seeker(server, new_client(), "seeker@example.jp")
    created = await staff.execute(
        EVENT_CREATE,
        {
            "input": {
                "kind": "JOB_FAIR",
                "title": "就職面接会",
                "startsAt": "2026-12-10T13:00:00+09:00",
                "endsAt": "2026-12-10T16:00:00+09:00",
                "venue": "文京シビックセンター",
                "prefecture": "東京都",
                "capacity": 3,
            }
        },
    )
    event_id = created["officeEventCreate"]["officeEvent"]["id"]
    moments = [urlsafe(f"officeEvent:{moment}|1") for moment in MALFORMED_MOMENTS]
    review_moments = [urlsafe(f"review:POSTING|{moment}|1") for moment in MALFORMED_MOMENTS]
    thread = to_base64("MessageThread", 1)
    # Its first part is a time in microseconds, past 32 bits since 1970-01-01T00:35:47.
    fine_time = urlsafe("thread:2147483648:1")
    thread_cursors = [c for c in malformed_cursors("thread", ":", 2) if c != fine_time]
    cases: list[tuple[GraphQLClient, str, dict[str, Any], list[str]]] = [
        (employer, connection("postings"), {}, malformed_cursors("posting")),
        (employer, connection("postingSearch"), {}, malformed_cursors("posting")),
        (employer, connection("seekerSearch"), {}, malformed_cursors("seeker-profile")),
        (employer, connection("applications"), {}, malformed_cursors("application")),
        (employer, connection("messageThreads"), {}, thread_cursors),
        (
            employer,
            "query ($id: ID!, $after: String) { messages(threadId: $id, after: $after) "
            "{ edges { cursor } } }",
            {"id": thread},
            malformed_cursors("message"),
        ),
        (
            employer,
            connection("officeEvents"),
            {},
            [*malformed_cursors("officeEvent", "|", 2), *moments],
        ),
        (seeker.client, connection("myRequests"), {}, malformed_cursors("seeker-request")),
        (seeker.client, connection("myApplications"), {}, malformed_cursors("application")),
        (staff, connection("postingReviewQueue"), {}, malformed_cursors("posting")),
        (
            staff,
            connection("reviewQueue"),
            {},
            [*malformed_cursors("review", "|", 3), *review_moments],
        ),
        (staff, connection("auditEvents"), {}, malformed_cursors("AuditEvent", bigint=True)),
        (employer, connection("helloWorkNotices"), {}, malformed_cursors("notice")),
        (employer, connection("resultReportsDue"), {}, malformed_cursors("report-due", ":", 2)),
        (
            staff,
            connection("personalDataAccessLog"),
            {},
            malformed_cursors("personal-data-access", bigint=True),
        ),
        (
            staff,
            REGISTRATIONS,
            {"id": event_id},
            malformed_cursors("officeEventRegistration"),
        ),
    ]
    with no_error_logged(caplog):
        for client, forward, variables, cursors in cases:
            # The same cursors are refused going backward (`before`).
            backward = forward.replace("after: $after", "before: $after")
            assert backward != forward
            for document in (forward, backward):
                assert flows.top_level_codes(await client.post(document, variables)) == []
                for cursor in cursors:
                    response = await client.post(document, {**variables, "after": cursor})
                    codes = flows.top_level_codes(response)
                    assert codes == ["BAD_USER_INPUT"], (document, cursor[:80], response.text)


async def test_a_subscription_refuses_a_malformed_cursor(
    server: Server, gql: GraphQLClient, new_client: Any, caplog: pytest.LogCaptureFixture
) -> None:
    staff = await new_staff(server, new_client())
    employer = await new_employer_of(server, staff, gql)
    assert employer.token
    document = "subscription ($after: String) { messageReceived(after: $after) { cursor } }"
    with no_error_logged(caplog):
        async with GraphQLWebSocket.connected(server.url, employer.token) as ws:
            for cursor in malformed_cursors("event", bigint=True):
                op = await ws.subscribe(document, {"after": cursor})
                message = await ws.receive()
                assert message["id"] == op
                errors = message["payload"]["errors"]
                assert [e["extensions"]["code"] for e in errors] == ["BAD_USER_INPUT"], cursor
                assert await ws.receive() == {"id": op, "type": "complete"}
