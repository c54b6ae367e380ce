"""Hello Work's notices (ハローワークからのお知らせ) over real HTTP and WebSockets: the inbox
and its pages, read marks, the unread count on the home page, who sees a notice,
`noticeReceived` live and replayed, and the notices the service writes when something falls
due."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from typing import Any

import pytest
from strawberry import relay
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from app.clock import TOKYO
from app.models import Application, Event, HelloWorkNotice, Posting
from app.models.applications import ApplicationSource, ApplicationStatus, ReportedResult
from app.models.counter import NoticeKind
from app.resolvers import events, notices
from app.resolvers.due_notices import post_due_notices
from app.schema.subscriptions import event_cursor
from app.tasks import expiry_round, run_periodically
from tests import flows
from tests.conftest import (
    START,
    GraphQLClient,
    Seeker,
    Server,
    new_staff,
    reopen_session,
    user_of,
)
from tests.test_posting_queries import counting_queries
from tests.ws_client import GraphQLWebSocket

NOTICE_FIELDS = """id kind title body dueOn createdAt readAt
  posting { id content { jobTitle } } application { id }"""

INBOX = f"""query ($first: Int, $after: String, $unreadOnly: Boolean) {{
  helloWorkNotices(first: $first, after: $after, unreadOnly: $unreadOnly) {{
    totalCount
    pageInfo {{ hasNextPage endCursor }}
    edges {{ cursor node {{ {NOTICE_FIELDS} }} }}
  }}
}}"""

INBOX_WITHOUT_COUNT = """query ($first: Int) {
  helloWorkNotices(first: $first) { edges { node { id title } } }
}"""

MARK_READ = f"""mutation ($input: HelloWorkNoticeMarkReadInput!) {{
  helloWorkNoticeMarkRead(input: $input) {{
    notices {{ {NOTICE_FIELDS} }}
    errors {{ field code message }}
  }}
}}"""

HOME = "{ employerHome { unreadMessageCount unreadNoticeCount } }"

NODE = (
    f"""query ($id: ID!) {{ node(id: $id) {{ ... on HelloWorkNotice {{ {NOTICE_FIELDS} }} }} }}"""
)

NOTICE_RECEIVED = """
subscription ($after: String) {
  noticeReceived(after: $after) { cursor notice { id kind title body } }
}"""


def notice_id(notice: HelloWorkNotice) -> str:
    return relay.to_base64("HelloWorkNotice", notice.id)


async def establishment_of(server: Server, client: GraphQLClient) -> int:
    user = await user_of(server, client)
    assert user.establishment_id is not None
    return user.establishment_id


async def send_notice(
    server: Server, establishment_id: int, title: str, **fields: Any
) -> HelloWorkNotice:
    """A notice written the way the service writes one: in a transaction with its event,
    announced after the commit."""
    async with in_transaction():
        posted = await notices.post(
            establishment_id=establishment_id,
            kind=fields.pop("kind", NoticeKind.POSTING_ACCEPTED),
            title=title,
            body=fields.pop("body", f"{title}の本文"),
            now=server.clock.now(),
            **fields,
        )
    assert posted is not None
    await events.publish(server.rt, posted.event)
    return posted.notice


async def inbox(client: GraphQLClient, **variables: Any) -> dict[str, Any]:
    data = await client.execute(INBOX, variables)
    connection: dict[str, Any] = data["helloWorkNotices"]
    return connection


def titles(connection: dict[str, Any]) -> list[str]:
    return [edge["node"]["title"] for edge in connection["edges"]]


async def mark_read(client: GraphQLClient, ids: list[str]) -> dict[str, Any]:
    data = await client.execute(MARK_READ, {"input": {"ids": ids}})
    payload: dict[str, Any] = data["helloWorkNoticeMarkRead"]
    return payload


def codes(payload: dict[str, Any]) -> list[str]:
    return [error["code"] for error in payload["errors"]]


def top_level_code(response: Any) -> str:
    code: str = response.json()["errors"][0]["extensions"]["code"]
    return code


# --- The inbox -----------------------------------------------------------------------------


async def test_the_inbox_pages_newest_first_with_its_total(
    server: Server, employer: GraphQLClient, other_employer: GraphQLClient
) -> None:
    a = await establishment_of(server, employer)
    b = await establishment_of(server, other_employer)
    for n in range(25):
        server.clock.set(START + dt.timedelta(minutes=n))
        await send_notice(server, a, f"A{n}")
    await send_notice(server, b, "B宛て")

    first = await inbox(employer, first=10)
    assert titles(first) == [f"A{n}" for n in range(24, 14, -1)]
    assert first["totalCount"] == 25
    assert first["pageInfo"]["hasNextPage"] is True
    second = await inbox(employer, first=10, after=first["pageInfo"]["endCursor"])
    assert titles(second) == [f"A{n}" for n in range(14, 4, -1)]
    third = await inbox(employer, first=10, after=second["pageInfo"]["endCursor"])
    assert titles(third) == [f"A{n}" for n in range(4, -1, -1)]
    assert third["pageInfo"]["hasNextPage"] is False
    assert third["totalCount"] == 25

    assert titles(await inbox(other_employer)) == ["B宛て"]
    assert (await inbox(other_employer))["totalCount"] == 1


@pytest.mark.parametrize(("first", "allowed"), [(0, True), (100, True), (101, False), (-1, False)])
async def test_a_page_holds_at_most_100(
    server: Server, employer: GraphQLClient, first: int, allowed: bool
) -> None:
    response = await employer.post(INBOX, {"first": first})
    if allowed:
        assert "errors" not in response.json()
    else:
        assert top_level_code(response) == "BAD_USER_INPUT"


async def test_a_foreign_cursor_is_bad_input(server: Server, employer: GraphQLClient) -> None:
    response = await employer.post(INBOX, {"after": event_cursor(1)})
    assert top_level_code(response) == "BAD_USER_INPUT"


async def test_the_total_is_counted_only_when_asked_for(
    server: Server, employer: GraphQLClient
) -> None:
    a = await establishment_of(server, employer)
    for n in range(3):
        await send_notice(server, a, f"A{n}")
    with counting_queries() as without:
        await employer.execute(INBOX_WITHOUT_COUNT, {"first": 2})
    with counting_queries() as with_count:
        await employer.execute(INBOX, {"first": 2})
    assert not any("COUNT(" in statement for statement in without), without
    assert sum("COUNT(" in statement for statement in with_count) == 1, with_count
    # The session, the page with its postings and applications, and the count: no more.
    assert len(with_count) == len(without) + 1


async def test_unread_only_keeps_what_no_login_has_read(
    server: Server, employer: GraphQLClient
) -> None:
    a = await establishment_of(server, employer)
    sent = [await send_notice(server, a, f"A{n}") for n in range(4)]
    payload = await mark_read(employer, [notice_id(sent[1]), notice_id(sent[3])])
    assert payload["errors"] == []

    unread = await inbox(employer, unreadOnly=True)
    assert titles(unread) == ["A2", "A0"]
    assert unread["totalCount"] == 2
    everything = await inbox(employer)
    assert everything["totalCount"] == 4
    assert [edge["node"]["readAt"] is not None for edge in everything["edges"]] == [
        True,
        False,
        True,
        False,
    ]


async def test_a_notice_shows_its_posting_and_application(
    server: Server, staff: GraphQLClient, employer: GraphQLClient
) -> None:
    posting = await flows.active_posting(employer, staff)
    row = await Posting.get(posting_number=posting["postingNumber"])
    application = await new_application(server, row)
    await send_notice(
        server,
        row.establishment_id,
        "受理",
        posting_id=row.id,
        application_id=application.id,
        due_on=dt.date(2026, 12, 9),
    )
    await send_notice(server, row.establishment_id, "何もなし")

    nodes = [edge["node"] for edge in (await inbox(employer))["edges"]]
    assert nodes[0]["posting"] is None
    assert nodes[0]["application"] is None
    assert nodes[1]["posting"] == {
        "id": posting["id"],
        "content": {"jobTitle": posting["content"]["jobTitle"]},
    }
    assert nodes[1]["application"] == {"id": relay.to_base64("Application", application.id)}
    assert (nodes[1]["kind"], nodes[1]["dueOn"]) == ("POSTING_ACCEPTED", "2026-12-09")


# --- Read marks ----------------------------------------------------------------------------


async def test_marking_read_sets_who_and_when_once(server: Server, employer: GraphQLClient) -> None:
    a = await establishment_of(server, employer)
    notice = await send_notice(server, a, "お知らせ")
    reader = await user_of(server, employer)

    server.clock.set(START + dt.timedelta(minutes=5))
    payload = await mark_read(employer, [notice_id(notice)])
    assert payload["errors"] == []
    assert payload["notices"][0]["readAt"] == "2026-11-25T01:05:00+00:00"

    server.clock.set(START + dt.timedelta(days=1))
    await reopen_session(server, employer)
    again = await mark_read(employer, [notice_id(notice), notice_id(notice)])
    assert again["errors"] == []
    assert [n["readAt"] for n in again["notices"]] == ["2026-11-25T01:05:00+00:00"]
    row = await HelloWorkNotice.get(id=notice.id)
    assert row.read_by_id == reader.id
    assert row.read_at == START + dt.timedelta(minutes=5)


async def test_up_to_100_notices_are_marked_at_once(
    server: Server, employer: GraphQLClient
) -> None:
    a = await establishment_of(server, employer)
    sent = [await send_notice(server, a, f"A{n}") for n in range(101)]
    ids = [notice_id(notice) for notice in sent]

    refused = await mark_read(employer, ids)
    assert codes(refused) == ["TOO_MANY_ITEMS"]
    assert refused["errors"][0]["field"] == "ids"
    assert await HelloWorkNotice.filter(read_at__isnull=False).count() == 0

    marked = await mark_read(employer, ids[:100])
    assert marked["errors"] == []
    assert [n["id"] for n in marked["notices"]] == ids[:100]
    assert await HelloWorkNotice.filter(read_at__isnull=True).count() == 1


async def test_a_list_naming_another_establishments_notice_marks_nothing(
    server: Server, employer: GraphQLClient, other_employer: GraphQLClient
) -> None:
    a = await establishment_of(server, employer)
    b = await establishment_of(server, other_employer)
    mine = await send_notice(server, a, "A宛て")
    theirs = await send_notice(server, b, "B宛て")

    payload = await mark_read(employer, [notice_id(mine), notice_id(theirs)])
    assert codes(payload) == ["NOT_FOUND"]
    assert payload["errors"][0]["message"] == "お知らせが見つかりません。"
    assert await HelloWorkNotice.filter(read_at__isnull=False).count() == 0

    for bad in (relay.to_base64("Message", mine.id), relay.to_base64("HelloWorkNotice", "x")):
        assert codes(await mark_read(employer, [bad])) == ["NOT_FOUND"]
    assert codes(await mark_read(employer, [])) == ["REQUIRED"]
    assert await HelloWorkNotice.filter(read_at__isnull=False).count() == 0


async def test_the_home_page_counts_unread_notices(
    server: Server, employer: GraphQLClient, other_employer: GraphQLClient
) -> None:
    a = await establishment_of(server, employer)
    b = await establishment_of(server, other_employer)

    async def unread() -> int:
        data = await employer.execute(HOME)
        count: int = data["employerHome"]["unreadNoticeCount"]
        return count

    assert await unread() == 0
    sent = [await send_notice(server, a, f"A{n}") for n in range(3)]
    await send_notice(server, b, "B宛て")
    assert await unread() == 3
    await mark_read(employer, [notice_id(sent[0])])
    assert await unread() == 2
    assert (await employer.execute(HOME))["employerHome"]["unreadMessageCount"] == 0


# --- Who sees a notice ---------------------------------------------------------------------


async def test_only_the_establishments_employers_see_a_notice_by_its_id(
    server: Server,
    staff: GraphQLClient,
    employer: GraphQLClient,
    other_employer: GraphQLClient,
    seeker: Seeker,
    gql: GraphQLClient,
) -> None:
    a = await establishment_of(server, employer)
    notice = await send_notice(server, a, "A宛て")
    variables = {"id": notice_id(notice)}

    assert (await employer.execute(NODE, variables))["node"]["title"] == "A宛て"
    for viewer in (other_employer, staff, seeker.client, gql):
        assert (await viewer.execute(NODE, variables))["node"] is None


async def test_only_employers_have_an_inbox(
    server: Server,
    staff: GraphQLClient,
    employer: GraphQLClient,
    seeker: Seeker,
    gql: GraphQLClient,
) -> None:
    a = await establishment_of(server, employer)
    notice = await send_notice(server, a, "A宛て")
    mark = {"input": {"ids": [notice_id(notice)]}}
    for viewer, code in (
        (gql, "UNAUTHENTICATED"),
        (seeker.client, "FORBIDDEN"),
        (staff, "FORBIDDEN"),
    ):
        assert top_level_code(await viewer.post(INBOX)) == code
        assert top_level_code(await viewer.post(MARK_READ, mark)) == code
    assert await HelloWorkNotice.filter(read_at__isnull=False).count() == 0


# --- noticeReceived ------------------------------------------------------------------------


async def _subscribed(ws: GraphQLWebSocket, query: str) -> str:
    latest = await Event.all().order_by("-id").first()
    return await ws.subscribe(query, {"after": event_cursor(latest.id if latest else 0)})


async def test_a_notice_arrives_live_at_its_establishment_only(
    server: Server, employer: GraphQLClient, other_employer: GraphQLClient
) -> None:
    a = await establishment_of(server, employer)
    b = await establishment_of(server, other_employer)
    assert employer.token
    assert other_employer.token
    async with (
        GraphQLWebSocket.connected(server.url, employer.token) as ws_a,
        GraphQLWebSocket.connected(server.url, other_employer.token) as ws_b,
    ):
        op_a = await _subscribed(ws_a, NOTICE_RECEIVED)
        op_b = await _subscribed(ws_b, NOTICE_RECEIVED)
        notice = await send_notice(server, a, "受理のお知らせ", kind=NoticeKind.POSTING_RETURNED)
        received = (await ws_a.next(op_a))["noticeReceived"]
        assert received["notice"] == {
            "id": notice_id(notice),
            "kind": "POSTING_RETURNED",
            "title": "受理のお知らせ",
            "body": "受理のお知らせの本文",
        }
        await ws_b.nothing_within(0.3)
        await send_notice(server, b, "B宛て")
        assert (await ws_b.next(op_b))["noticeReceived"]["notice"]["title"] == "B宛て"
        await ws_a.nothing_within(0.3)


async def test_reconnecting_with_the_cursor_delivers_the_notices_missed(
    server: Server, employer: GraphQLClient, other_employer: GraphQLClient
) -> None:
    a = await establishment_of(server, employer)
    b = await establishment_of(server, other_employer)
    assert employer.token
    async with GraphQLWebSocket.connected(server.url, employer.token) as ws:
        op = await _subscribed(ws, NOTICE_RECEIVED)
        await send_notice(server, a, "1件目")
        first = (await ws.next(op))["noticeReceived"]

    for n in (2, 3, 4):  # away
        await send_notice(server, a, f"{n}件目")
        await send_notice(server, b, "B宛て")

    async with GraphQLWebSocket.connected(server.url, employer.token) as ws:
        op = await ws.subscribe(NOTICE_RECEIVED, {"after": first["cursor"]})
        replayed = [(await ws.next(op))["noticeReceived"] for _ in range(3)]
        assert [r["notice"]["title"] for r in replayed] == ["2件目", "3件目", "4件目"]
        await ws.nothing_within(0.3)
        await send_notice(server, a, "5件目")
        live = (await ws.next(op))["noticeReceived"]
        assert live["notice"]["title"] == "5件目"
        await ws.nothing_within(0.3)
    cursors = [first["cursor"], *(r["cursor"] for r in replayed), live["cursor"]]
    assert len(set(cursors)) == 5


async def test_only_employers_may_subscribe_to_notices(
    server: Server, staff: GraphQLClient, seeker: Seeker
) -> None:
    for client in (staff, seeker.client):
        assert client.token
        async with GraphQLWebSocket.connected(server.url, client.token) as ws:
            op = await ws.subscribe(NOTICE_RECEIVED)
            message = await ws.receive()
            assert message["id"] == op
            assert message["payload"]["errors"][0]["extensions"]["code"] == "FORBIDDEN"


# --- Notices of what falls due ---------------------------------------------------------------


async def new_application(server: Server, posting: Posting, **fields: Any) -> Application:
    now = server.clock.now()
    return await Application.create(
        posting_id=posting.id,
        establishment_id=posting.establishment_id,
        source=ApplicationSource.REFERRAL,
        status=ApplicationStatus.APPLIED,
        created_at=now,
        updated_at=now,
        **fields,
    )


async def submitted_for_counter(employer: GraphQLClient) -> dict[str, Any]:
    """A first posting, submitted: it needs 本登録 at the counter, due 2026-12-09."""
    posting = await flows.create_posting(employer)
    submitted = await flows.posting_step(employer, "postingSubmit", {"id": posting["id"]})
    assert submitted["counterRegistration"]["dueOn"] == "2026-12-09"
    return submitted


def due_notices() -> QuerySet[HelloWorkNotice]:
    """The notices the service writes by itself (others come with staff's decisions)."""
    return HelloWorkNotice.filter(
        kind__in=(NoticeKind.COUNTER_REGISTRATION_DUE, NoticeKind.RESULT_REPORT_DUE)
    )


def on(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=TOKYO)


async def test_counter_registration_due_is_noticed_once_with_its_day(
    server: Server, staff: GraphQLClient, employer: GraphQLClient
) -> None:
    submitted = await submitted_for_counter(employer)
    posting_pk = relay.GlobalID.from_id(submitted["id"]).node_id

    first = await post_due_notices(server.rt)
    second = await post_due_notices(server.rt)
    assert (first.counter_registration, second.counter_registration) == (1, 0)

    (notice,) = (await inbox(employer))["edges"]
    node = notice["node"]
    assert node["kind"] == "COUNTER_REGISTRATION_DUE"
    assert node["body"] == "令和8年12月9日までにハローワークの窓口で本登録の手続きをしてください。"
    assert node["dueOn"] == "2026-12-09"
    assert node["posting"]["id"] == submitted["id"]
    row = await due_notices().get()
    assert row.dedup_key == f"counter-registration-due:{posting_pk}"
    assert row.sent_by_id is None


async def test_a_confirmed_or_unneeded_counter_registration_is_not_noticed(
    server: Server, staff: GraphQLClient, employer: GraphQLClient
) -> None:
    submitted = await submitted_for_counter(employer)
    await flows.posting_step(staff, "postingCounterConfirm", {"id": submitted["id"]})
    assert (await post_due_notices(server.rt)).counter_registration == 0
    assert await due_notices().count() == 0


async def test_counter_registration_is_noticed_up_to_its_last_day(
    server: Server, employer: GraphQLClient
) -> None:
    await submitted_for_counter(employer)
    server.clock.set(on(dt.date(2026, 12, 10), 0))  # past the due day: it lapses instead
    assert (await post_due_notices(server.rt)).counter_registration == 0
    server.clock.set(on(dt.date(2026, 12, 9), 23))  # the last day itself
    assert (await post_due_notices(server.rt)).counter_registration == 1


async def _stopped_with_applicants(
    server: Server, staff: GraphQLClient, employer: GraphQLClient
) -> tuple[Posting, Application, Application]:
    """An active posting with two applicants, one of them reported, stopped on 2026-11-25."""
    posting = await flows.active_posting(employer, staff)
    row = await Posting.get(posting_number=posting["postingNumber"])
    open_report = await new_application(server, row)
    reported = await new_application(
        server, row, reported_result=ReportedResult.WITHDRAWN, reported_at=server.clock.now()
    )
    await flows.posting_step(employer, "postingStop", {"id": posting["id"], "reason": "充足"})
    return await Posting.get(id=row.id), open_report, reported


async def test_a_result_report_due_is_noticed_once_until_it_locks(
    server: Server, staff: GraphQLClient, employer: GraphQLClient
) -> None:
    posting, open_report, _ = await _stopped_with_applicants(server, staff, employer)
    assert posting.invalidated_at is not None
    # Invalid in November 2026: the result locks from 2027-03-01, the last day is 2027-02-28.
    assert (await post_due_notices(server.rt)).result_report == 1
    assert (await post_due_notices(server.rt)).result_report == 0

    (edge,) = [
        e for e in (await inbox(employer))["edges"] if e["node"]["kind"] == "RESULT_REPORT_DUE"
    ]
    node = edge["node"]
    assert node["dueOn"] == "2027-02-28"
    assert "令和9年2月28日までに登録してください。" in node["body"]
    assert node["application"]["id"] == relay.to_base64("Application", open_report.id)
    row = await HelloWorkNotice.get(kind=NoticeKind.RESULT_REPORT_DUE)
    assert row.dedup_key == f"result-report-due:{open_report.id}"


async def test_a_result_report_is_noticed_on_its_last_day_not_once_locked(
    server: Server, staff: GraphQLClient, employer: GraphQLClient
) -> None:
    await _stopped_with_applicants(server, staff, employer)
    server.clock.set(on(dt.date(2027, 3, 1), 0))  # locked
    assert (await post_due_notices(server.rt)).result_report == 0
    server.clock.set(on(dt.date(2027, 2, 28), 23))  # the last day
    assert (await post_due_notices(server.rt)).result_report == 1


async def test_a_posting_still_valid_has_no_result_report_due(
    server: Server, staff: GraphQLClient, employer: GraphQLClient
) -> None:
    posting = await flows.active_posting(employer, staff)
    await new_application(server, await Posting.get(posting_number=posting["postingNumber"]))
    assert (await post_due_notices(server.rt)).result_report == 0


async def test_rounds_racing_write_each_notice_once(
    server: Server, staff: GraphQLClient, employer: GraphQLClient
) -> None:
    await submitted_for_counter(employer)
    await _stopped_with_applicants(server, staff, employer)
    rounds = await asyncio.gather(*(post_due_notices(server.rt) for _ in range(4)))
    assert sum(r.counter_registration for r in rounds) == 1
    assert sum(r.result_report for r in rounds) == 1
    assert await due_notices().count() == 2


async def test_a_due_notice_reaches_a_subscriber(server: Server, employer: GraphQLClient) -> None:
    assert employer.token
    await submitted_for_counter(employer)
    async with GraphQLWebSocket.connected(server.url, employer.token) as ws:
        op = await _subscribed(ws, NOTICE_RECEIVED)
        await post_due_notices(server.rt)
        received = (await ws.next(op))["noticeReceived"]
        assert received["notice"]["kind"] == "COUNTER_REGISTRATION_DUE"


async def test_the_periodic_round_writes_due_notices(
    server: Server, employer: GraphQLClient
) -> None:
    await submitted_for_counter(employer)
    task = asyncio.create_task(
        run_periodically("test-round", 0.01, lambda: expiry_round(server.rt))
    )
    try:
        for _ in range(200):
            if await due_notices().exists():
                break
            await asyncio.sleep(0.01)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    assert await due_notices().count() == 1


async def test_staff_see_no_notice_written_for_an_establishment(
    server: Server, staff: GraphQLClient, employer: GraphQLClient, new_client: Any
) -> None:
    await submitted_for_counter(employer)
    await post_due_notices(server.rt)
    other = await new_staff(server, new_client(), office_code="13020")
    notice = await due_notices().get()
    for viewer in (staff, other):
        assert (await viewer.execute(NODE, {"id": notice_id(notice)}))["node"] is None
