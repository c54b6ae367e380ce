"""One execution per event for the subscriptions of one audience with the same document, where
nothing they select depends on the viewer (`app.schema.shared`).

Shared, each subscription still gets exactly what its own execution would have given it, byte
for byte; another audience never shares; a document that may select a field depending on the
viewer is executed for each subscription.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable
from contextlib import AsyncExitStack
from inspect import isawaitable
from typing import Any

import orjson
import pytest
from graphql import (
    ExecutionResult,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLUnionType,
    get_named_type,
)
from strawberry import relay

from app.models import Application, Event, PersonalDataAccess, Portal, Posting, User
from app.models.applications import ApplicationSource, ApplicationStatus
from app.models.messages import MessageSender
from app.persisted import BUILT_IN_MANIFEST
from app.resolvers import events
from app.schema import build_schema
from app.schema.shared import (
    AUDITED,
    READS_THE_AUDIENCE,
    READS_THE_VIEWER,
    SharedDeliveries,
)
from app.schema.subscriptions import event_cursor
from app.settings import Settings
from app.viewer import Viewer
from tests import flows
from tests.conftest import (
    Counter,
    GraphQLClient,
    Server,
    new_code,
    new_employer_login,
    open_session,
)
from tests.test_fanout import extra_sessions, store_message
from tests.test_posting_queries import counting_queries
from tests.test_subscriptions import Employer, World, change_status, world
from tests.ws_client import GraphQLWebSocket

__all__ = ["world"]  # the fixture, shared with tests/test_subscriptions.py

THREAD = """id unreadCount lastMessageAt
  lastMessage { id body sender createdAt }
  counterpart { ... on MessageSeeker { id label } ... on MessageEstablishment { id name } }"""

DASHBOARD = f"""subscription DashboardMessageReceived($after: String) {{
  messageReceived(after: $after) {{
    cursor
    message {{ id body sender createdAt readAt thread {{ {THREAD} }} }}
  }}
}}"""
"""The dashboard's (web/src/dashboard/threads.js): its thread is read from the database, and
`unreadCount` and `counterpart` depend on the viewer's side."""

OWN = DASHBOARD.replace("DashboardMessageReceived", "OwnMessageReceived")
"""The same selection, another document: never shared with DASHBOARD, so executed alone."""

WHO_APPLIED = """subscription WhoApplied($after: String) {
  applicationStatusChanged(after: $after) { cursor toStatus application { id person { name } } }
}"""
"""Selects `person`, whose every read is recorded for the login that reads it."""


def _reachable() -> dict[str, GraphQLObjectType]:
    """The object types a subscription's selection may meet, by name."""
    schema = build_schema()._schema
    assert schema.subscription_type is not None
    found: dict[str, GraphQLObjectType] = {}
    waiting: list[GraphQLNamedType] = [schema.subscription_type]
    while waiting:
        named = waiting.pop()
        if isinstance(named, GraphQLInterfaceType | GraphQLUnionType):
            waiting += schema.get_possible_types(named)
        if isinstance(named, GraphQLInterfaceType):
            waiting += [get_named_type(f.type) for f in named.fields.values()]
        if isinstance(named, GraphQLObjectType) and named.name not in found:
            found[named.name] = named
            waiting += [get_named_type(f.type) for f in named.fields.values()]
    return found


def test_every_field_a_subscription_reaches_has_one_verdict() -> None:
    reachable = _reachable()
    viewer_fields: dict[str, set[str]] = {}
    for coordinate in READS_THE_VIEWER:
        type_name, field = coordinate.split(".")
        viewer_fields.setdefault(type_name, set()).add(field)

    for name, object_type in reachable.items():
        fields = set(object_type.fields)
        audited = AUDITED.get(name, frozenset())
        reads_viewer = viewer_fields.get(name, set())
        assert not audited & reads_viewer, name
        assert audited | reads_viewer == fields, (
            f"{name}: no verdict for {sorted(fields - audited - reads_viewer)}, "
            f"no such field {sorted((audited | reads_viewer) - fields)}"
        )
    assert set(AUDITED) == set(reachable), set(AUDITED) ^ set(reachable)
    for coordinate in READS_THE_AUDIENCE:
        type_name, field = coordinate.split(".")
        assert field in AUDITED[type_name], coordinate


# --- Which operations share -------------------------------------------------------------------


def _employer(establishment_id: int, user_id: int = 1) -> Viewer:
    return Viewer(user=User(id=user_id, portal=Portal.EMPLOYER, establishment_id=establishment_id))


@pytest.fixture(scope="module")
def deliveries() -> SharedDeliveries:
    return SharedDeliveries(build_schema(), max_tokens=Settings().query_max_tokens)


@pytest.mark.parametrize(
    "document",
    [
        DASHBOARD,
        WHO_APPLIED.replace("person { name }", "postingSummary { id establishmentName }"),
        """subscription { reviewQueueChanged { cursor change item { __typename
          ... on Posting { id content { jobTitle } establishment { id name } }
          ... on EstablishmentImage { id establishment { name } } } } }""",
        # On an interface, narrowed to what the message is.
        "subscription { messageReceived { message { ... on Node { id } } } }",
        """subscription S($on: Boolean!) { noticeReceived { ...Notice @include(if: $on) } }
        fragment Notice on NoticeReceivedEvent { cursor notice { id readAt } }""",
    ],
)
def test_a_selection_that_reads_no_viewer_is_shared(
    deliveries: SharedDeliveries, document: str
) -> None:
    assert deliveries.operation(document, None, {"on": True}, _employer(1)) is not None


@pytest.mark.parametrize(
    "document",
    [
        text
        for text in orjson.loads(BUILT_IN_MANIFEST.read_bytes()).values()
        if text.lstrip().startswith("subscription")
    ],
)
def test_the_pages_live_documents_are_shared(deliveries: SharedDeliveries, document: str) -> None:
    """The dashboard's and the counter's subscriptions select nothing that depends on the
    viewer: each event is executed once per establishment (per office at the counter)."""
    staff = Viewer(user=User(id=9, portal=Portal.STAFF, office_id=3))
    viewer = staff if "reviewQueueChanged" in document else _employer(1)
    assert deliveries.operation(document, None, {"after": None}, viewer) is not None


@pytest.mark.parametrize(
    "document",
    [
        WHO_APPLIED,
        # The same field, reached through a fragment.
        """subscription { applicationStatusChanged { ...A } }
        fragment A on ApplicationStatusChangedEvent { application { notes { authoredByMe } } }""",
        # Not a field of the type: unknown (and refused by validation, as without sharing).
        "subscription { messageReceived { message { nope } } }",
        "query { eventCursor }",
        "subscription { messageReceived { cursor } ",
    ],
)
def test_a_selection_that_may_read_the_viewer_is_not_shared(
    deliveries: SharedDeliveries, document: str
) -> None:
    assert deliveries.operation(document, None, {}, _employer(1)) is None


def test_fragments_spreading_fragments_are_walked_once_each(
    deliveries: SharedDeliveries,
) -> None:
    # Expanded, 2**40 selections: a document has to be refused by its limits, not analysed.
    fragments = "\n".join(
        f"fragment F{n} on MessageReceivedEvent {{ ...F{n + 1} ...F{n + 1} }}" for n in range(40)
    )
    document = (
        f"subscription {{ messageReceived {{ ...F0 }} }}\n{fragments}\n"
        "fragment F40 on MessageReceivedEvent { cursor }"
    )
    assert deliveries.operation(document, None, {}, _employer(1)) is not None


def test_the_key_is_the_document_the_variables_the_execution_reads_and_the_audience(
    deliveries: SharedDeliveries,
) -> None:
    def key(document: str, variables: dict[str, Any], viewer: Viewer) -> object:
        shared = deliveries.operation(document, None, variables, viewer)
        assert shared is not None
        return shared.key

    # `after` only starts each subscription's own stream: not part of the key.
    assert key(DASHBOARD, {"after": "a"}, _employer(1, 1)) == key(DASHBOARD, {}, _employer(1, 2))
    assert key(DASHBOARD, {}, _employer(1)) != key(DASHBOARD, {}, _employer(2))
    assert key(DASHBOARD, {}, _employer(1)) != key(OWN, {}, _employer(1))
    with_first = """subscription ($first: Int) { reviewQueueChanged {
      item { ... on Posting { establishment { postings(first: $first) { totalCount } } } } } }"""
    staff = Viewer(user=User(id=9, portal=Portal.STAFF, office_id=3))
    assert key(with_first, {"first": 1}, staff) != key(with_first, {"first": 2}, staff)
    assert key(with_first, {}, staff) != key(with_first, {"first": None}, staff)
    # A seeker is an audience alone.
    seeker = Viewer(user=User(id=5, portal=Portal.SEEKER))
    other_seeker = Viewer(user=User(id=6, portal=Portal.SEEKER))
    assert key(DASHBOARD, {}, seeker) != key(DASHBOARD, {}, other_seeker)
    assert deliveries.operation(DASHBOARD, None, {}, Viewer.anonymous()) is None


# --- The executions of one key ----------------------------------------------------------------


def _result(n: int) -> ExecutionResult:
    return ExecutionResult(data={"n": n})


def _run(value: ExecutionResult | Awaitable[ExecutionResult]) -> asyncio.Task[ExecutionResult]:
    async def run() -> ExecutionResult:
        return await value if isawaitable(value) else value

    return asyncio.create_task(run())


async def test_one_execution_for_the_callers_of_one_event_loop_iteration(
    deliveries: SharedDeliveries,
) -> None:
    calls: list[int] = []

    def execute() -> ExecutionResult:
        calls.append(1)
        return _result(len(calls))

    results = [deliveries.result(("k", "e1"), execute) for _ in range(3)]
    assert results == [_result(1)] * 3
    assert calls == [1]
    await asyncio.sleep(0)  # forgotten in the next iteration: a later delivery runs its own
    assert deliveries.result(("k", "e1"), execute) == _result(2)


async def test_followers_wait_for_the_running_execution_and_run_their_own_when_it_fails(
    deliveries: SharedDeliveries,
) -> None:
    release = asyncio.Event()
    calls: list[str] = []

    async def slow() -> ExecutionResult:
        calls.append("slow")
        await release.wait()
        return _result(1)

    def own() -> ExecutionResult:
        calls.append("own")
        return _result(2)

    leader = _run(deliveries.result(("k", "e2"), slow))
    await asyncio.sleep(0)
    followers = [_run(deliveries.result(("k", "e2"), own)) for _ in range(3)]
    await asyncio.sleep(0)
    followers[0].cancel()  # its socket closed: the others keep waiting
    release.set()
    assert await leader == _result(1)
    assert await asyncio.gather(*followers[1:]) == [_result(1)] * 2
    assert calls == ["slow"]

    async def failing() -> ExecutionResult:
        await asyncio.sleep(0)
        raise RuntimeError("the leader's execution failed")

    leader = _run(deliveries.result(("k", "e3"), failing))
    await asyncio.sleep(0)
    follower = _run(deliveries.result(("k", "e3"), own))
    with pytest.raises(RuntimeError):
        await leader
    assert await follower == _result(2)


# --- Through real WebSockets ------------------------------------------------------------------


async def _login_of(
    server: Server, staff: GraphQLClient, counter: Counter, client: GraphQLClient, email: str
) -> str:
    """Another login of the counter's establishment, logged in with `client`; its token."""
    user = await new_employer_login(server, await new_code(server, staff, counter), email)
    return await open_session(server, client, user)


async def _from_now() -> dict[str, str]:
    latest = await Event.all().order_by("-id").first()
    return {"after": event_cursor(latest.id if latest else 0)}


async def _payload(ws: GraphQLWebSocket, operation_id: str) -> str:
    """The `payload` of the operation's next message, as the server wrote it."""
    frame = await ws.connection.recv()
    assert isinstance(frame, str)
    envelope = f'{{"id":{json.dumps(operation_id)},"type":"next","payload":'
    assert frame.startswith(envelope), frame
    assert frame.endswith("}"), frame
    return frame[len(envelope) : -1]


def _reads_of_threads(statements: list[str]) -> int:
    return sum(' FROM "MESSAGE_THREAD"' in s or " FROM MESSAGE_THREAD" in s for s in statements)


async def test_dashboards_of_one_establishment_share_one_execution_each_its_own_answer(
    server: Server,
    world: World,
    staff: GraphQLClient,
    counter: Counter,
    new_client: Any,
) -> None:
    tokens = [world.a.token] + [
        await _login_of(server, staff, counter, new_client(), f"hr{n}@care.example.jp")
        for n in (2, 3)
    ]
    async with AsyncExitStack() as stack:
        dashboards = [
            await stack.enter_async_context(GraphQLWebSocket.connected(server.url, token))
            for token in tokens
        ]
        alone = await stack.enter_async_context(GraphQLWebSocket.connected(server.url, tokens[1]))
        other = await stack.enter_async_context(
            GraphQLWebSocket.connected(server.url, world.b.token)
        )
        after = await _from_now()
        ops = [await ws.subscribe(DASHBOARD, after) for ws in dashboards]
        alone_op = await alone.subscribe(OWN, after)
        other_op = await other.subscribe(DASHBOARD, after)
        # The first message proves every subscription live and past its first read.
        first = await store_message(server, world.a, world.seeker, MessageSender.SEEKER, "1")
        await events.publish(server.rt, first)
        for ws, op in zip([*dashboards, alone], [*ops, alone_op], strict=True):
            await _payload(ws, op)

        a_event = await store_message(server, world.a, world.seeker, MessageSender.SEEKER, "A宛")
        with counting_queries() as statements:
            await events.publish(server.rt, a_event)
            shared = await asyncio.gather(
                *(_payload(ws, op) for ws, op in zip(dashboards, ops, strict=True))
            )
            own = await _payload(alone, alone_op)

        # Byte for byte what the subscription's own execution gives.
        assert shared == [own] * len(dashboards)
        received = json.loads(own)
        assert "errors" not in received
        message = received["data"]["messageReceived"]["message"]
        assert message["body"] == "A宛"
        assert message["thread"]["counterpart"]["label"].startswith("求職者 ")
        assert message["thread"]["unreadCount"] == 2
        # The thread read once by the dashboards together, once by the document alone.
        assert _reads_of_threads(statements) == 2, statements
        await other.nothing_within(0.3)

        # Another establishment: its own execution, its own answer (its own label of the seeker).
        b_event = await store_message(server, world.b, world.seeker, MessageSender.SEEKER, "B宛")
        await events.publish(server.rt, b_event)
        b_message = json.loads(await _payload(other, other_op))["data"]["messageReceived"]
        assert b_message["message"]["body"] == "B宛"
        assert (
            b_message["message"]["thread"]["counterpart"]["label"]
            != (message["thread"]["counterpart"]["label"])
        )
        for ws in (*dashboards, alone):
            await ws.nothing_within(0.3)


async def test_dashboards_resuming_from_different_cursors_each_get_their_own_slice(
    server: Server, world: World
) -> None:
    stored = [
        await store_message(server, world.a, world.seeker, MessageSender.SEEKER, f"m{n}")
        for n in range(3)
    ]
    tokens = await extra_sessions(server, world.a, 2)
    async with (
        GraphQLWebSocket.connected(server.url, tokens[0]) as early,
        GraphQLWebSocket.connected(server.url, tokens[1]) as late,
    ):
        early_op = await early.subscribe(DASHBOARD, {"after": event_cursor(stored[0].id - 1)})
        late_op = await late.subscribe(DASHBOARD, {"after": event_cursor(stored[1].id)})
        early_got = [await _payload(early, early_op) for _ in stored]
        late_got = [await _payload(late, late_op)]

        live = await store_message(server, world.a, world.seeker, MessageSender.SEEKER, "live")
        await events.publish(server.rt, live)
        early_got.append(await _payload(early, early_op))
        late_got.append(await _payload(late, late_op))
        await early.nothing_within(0.3)
        await late.nothing_within(0.3)

    def delivered(payloads: list[str]) -> list[tuple[str, str]]:
        received = [json.loads(payload)["data"]["messageReceived"] for payload in payloads]
        return [(event["cursor"], event["message"]["body"]) for event in received]

    cursors = [event_cursor(event.id) for event in [*stored, live]]
    assert delivered(early_got) == list(zip(cursors, ["m0", "m1", "m2", "live"], strict=True))
    assert delivered(late_got) == list(zip(cursors[2:], ["m2", "live"], strict=True))
    assert early_got[2:] == late_got


async def _application(server: Server, world: World, employer: Employer) -> int:
    posting = await flows.active_posting(employer.client, world.staff)
    row = await Posting.get(posting_number=posting["postingNumber"])
    now = server.clock.now()
    application = await Application.create(
        posting_id=row.id,
        establishment_id=row.establishment_id,
        seeker_id=world.seeker.user.id,
        source=ApplicationSource.ONLINE,
        status=ApplicationStatus.APPLIED,
        created_at=now,
        updated_at=now,
    )
    return application.id


async def test_a_document_that_selects_who_applied_runs_for_each_login(
    server: Server,
    world: World,
    staff: GraphQLClient,
    counter: Counter,
    new_client: Any,
) -> None:
    application_id = await _application(server, world, world.a)
    second = new_client()
    second_token = await _login_of(server, staff, counter, second, "hr2@care.example.jp")
    second_user = await User.get(email="hr2@care.example.jp")
    async with (
        GraphQLWebSocket.connected(server.url, world.a.token) as first_ws,
        GraphQLWebSocket.connected(server.url, second_token) as second_ws,
    ):
        after = await _from_now()
        first_op = await first_ws.subscribe(WHO_APPLIED, after)
        second_op = await second_ws.subscribe(WHO_APPLIED, after)
        await asyncio.sleep(0.3)

        await change_status(
            server,
            world.a,
            application_id,
            world.a.establishment_id,
            ApplicationStatus.SCREENING,
        )
        for ws, op in ((first_ws, first_op), (second_ws, second_op)):
            data = await ws.next(op)
            change = data["applicationStatusChanged"]
            assert change["application"]["id"] == relay.to_base64("Application", application_id)
            assert change["application"]["person"]["name"]

    # Each login read who applied, and each read is recorded as its own.
    readers = await PersonalDataAccess.filter(application_id=application_id).values_list(
        "reader_id", flat=True
    )
    assert sorted(readers) == sorted([world.a.user.id, second_user.id])
