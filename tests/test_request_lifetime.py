"""What a request or a delivery builds is freed when it ends, by reference counting, and not
left to the garbage collector (issue 18): a cycle keeps the whole request (its context, viewer,
executor and rows) until the collector runs, and the collector's pauses grow with what it has
to free, into the latency of every page and delivery at that moment.

The collector is switched off while the requests run, with `DEBUG_SAVEALL`, so that whatever
only it could free is kept in `gc.garbage` to be looked at.
"""

from __future__ import annotations

import collections
import contextlib
import gc
from collections.abc import Iterator

from graphql.execution.executor import Executor
from starlette.requests import HTTPConnection

from app.models import Posting
from app.schema.context import Context
from app.viewer import Viewer
from tests.conftest import Server
from tests.test_messages import application_id, apply, posting
from tests.test_subscriptions import (
    MESSAGE_RECEIVED,
    World,
    _subscribed,
    send_message,
    world,
)
from tests.ws_client import GraphQLWebSocket

# The fixtures, shared with tests/test_messages.py and tests/test_subscriptions.py.
__all__ = ["posting", "world"]

SERVICE_OBJECTS = (Context, Executor, HTTPConnection, Viewer)
"""What a request or a socket of the service is built of (a WebSocket is an HTTPConnection)."""

THREADS = """query ($first: Int!) {
  messageThreads(first: $first) {
    edges { node { id unreadCount lastMessage { body } } }
  }
}"""

SEND = """mutation ($input: MessageSendInput!) {
  messageSend(input: $input) { message { id body } errors { code message } }
}"""


@contextlib.contextmanager
def left_to_the_collector() -> Iterator[list[str]]:
    """The names of the service's objects that only the garbage collector could free, of what
    ran inside the block."""
    found: list[str] = []
    gc.collect()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        yield found
        gc.collect()
        found.extend(type(o).__qualname__ for o in gc.garbage if isinstance(o, SERVICE_OBJECTS))
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()


async def test_requests_and_deliveries_leave_nothing_to_the_garbage_collector(
    server: Server, world: World, posting: Posting
) -> None:
    application = await apply(server, world.seeker.user, posting)
    first = {"input": {"applicationId": application_id(application), "body": "はじめまして"}}
    assert (await world.seeker.client.execute(SEND, first))["messageSend"]["errors"] == []
    # Once before: plans, parsed documents and loaders are kept on purpose, and are no garbage.
    [thread] = (await world.a.client.execute(THREADS, {"first": 5}))["messageThreads"]["edges"]
    thread_id = thread["node"]["id"]
    reply = {"input": {"threadId": thread_id, "body": "ご応募ありがとうございます。"}}

    with left_to_the_collector() as found:
        # A page (a planned query) and a mutation (graphql-core's executor), over HTTP.
        page = await world.a.client.execute(THREADS, {"first": 5})
        assert page["messageThreads"]["edges"][0]["node"]["unreadCount"] == 1
        sent = await world.a.client.execute(SEND, reply)
        assert sent["messageSend"]["errors"] == []
        # A delivery to a dashboard, and the dashboard closing.
        async with GraphQLWebSocket.connected(server.url, world.a.token) as dashboard:
            subscribed = await _subscribed(dashboard, MESSAGE_RECEIVED)
            await send_message(server, world.seeker, world.a, world.seeker, "日程の件です")
            delivered = await dashboard.next(subscribed)
            assert delivered["messageReceived"]["message"]["body"] == "日程の件です"

    assert found == []


LAST_DELIVERY = (
    "app.resolvers.subscriptions._Page",
    "app.resolvers.subscriptions.MessageDelivery",
    "app.models.messages.Message",
    "strawberry.dataloader.DataLoader",
)
"""What a delivery of `messageReceived` builds, and an idle dashboard need not keep. (Its
`MessageReceivedEvent`, with the `Message` built from the row, stays: graphql-core's
`map_async_iterable` holds the last value of the stream it maps until the next.)"""


def service_census() -> collections.Counter[str]:
    """The live objects of graphql-core's, Strawberry's and the service's types, by type."""
    gc.collect()
    return collections.Counter(
        f"{type(o).__module__}.{type(o).__qualname__}"
        for o in gc.get_objects()
        if type(o).__module__.startswith(("graphql.", "strawberry.", "app."))
    )


async def test_an_open_dashboard_keeps_nothing_of_its_deliveries(
    server: Server, world: World, posting: Posting
) -> None:
    """A subscription's tenth delivery leaves it holding what it held after its second: each
    event's execution state is freed (graphql-core's per-event executors shared one memo of
    collected fields, which gained about 90 objects per event until the socket closed). And
    between deliveries it holds nothing of the last one: no page, delivery, row or
    dataloader."""
    await apply(server, world.seeker.user, posting)
    async with GraphQLWebSocket.connected(server.url, world.a.token) as dashboard:
        subscribed = await _subscribed(dashboard, MESSAGE_RECEIVED)

        async def delivered(body: str) -> None:
            await send_message(server, world.seeker, world.a, world.seeker, body)
            assert (await dashboard.next(subscribed))["messageReceived"]["message"]["body"] == body

        for n in range(2):
            await delivered(f"その{n}")
        before = service_census()
        for n in range(2, 10):
            await delivered(f"その{n}")
        after = service_census()

    assert after - before == collections.Counter()
    assert {name: after[name] for name in LAST_DELIVERY if after[name]} == {}


async def test_the_check_sees_a_cycle_when_there_is_one(server: Server, world: World) -> None:
    """`left_to_the_collector` itself: a context in a cycle is reported."""
    with left_to_the_collector() as found:
        cycle: list[object] = []
        cycle.append(
            Context(request=cycle, response=cycle, rt=server.rt, viewer=Viewer.anonymous())  # type: ignore[arg-type]
        )
        del cycle
    assert sorted(found) == ["Context", "Viewer"]
