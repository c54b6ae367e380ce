"""The broker's listeners by key: a notice goes only to the listeners of the keys it names
(its establishment's, its seeker's, its office's), each in publish order, none dropped while
a listener is slow; every subscription listens under its own audience's key.

The broker tests run on the in-process broker, and on Redis too when `REDIS_URL` is set.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack

import pytest

from app.broker import Broker, BrokerUnavailable, InProcessBroker, Key, Notice, RedisBroker
from app.models import Event
from app.models.events import EventKind
from app.schema.subscriptions import event_cursor
from tests.conftest import Server, user_of
from tests.test_subscriptions import MESSAGE_RECEIVED, STATUS_CHANGED, World, send_message, world
from tests.ws_client import GraphQLWebSocket

__all__ = ["world"]  # the fixture, shared with tests/test_subscriptions.py

MESSAGE = EventKind.MESSAGE_RECEIVED
STATUS = EventKind.APPLICATION_STATUS_CHANGED
QUEUE = EventKind.REVIEW_QUEUE_CHANGED

INTERVIEW_CHANGED = """subscription ($after: String) {
  interviewChanged(after: $after) { cursor change } }"""
NOTICE_RECEIVED = """subscription ($after: String) {
  noticeReceived(after: $after) { cursor notice { id } } }"""
REVIEW_QUEUE_CHANGED = """subscription ($after: String) {
  reviewQueueChanged(after: $after) { cursor change kind itemId } }"""


def notice(
    event_id: int,
    kind: EventKind = MESSAGE,
    *,
    establishment: int = 0,
    seeker: int = 0,
    office: int | None = None,
) -> Notice:
    return Notice(
        event_id=event_id,
        kind=kind,
        establishment_id=establishment,
        seeker_id=seeker,
        office_id=office,
    )


@pytest.fixture(params=["in_process", "redis"])
async def broker(request: pytest.FixtureRequest) -> AsyncIterator[Broker]:
    """A started broker of each kind; the Redis one on its own channel."""
    if request.param == "in_process":
        started: Broker = InProcessBroker()
    else:
        url: str = request.getfixturevalue("redis_url")
        started = RedisBroker(url, channel=f"test:{request.node.name}:events")
    await started.start()
    try:
        yield started
    finally:
        await started.close()


async def take(notices: AsyncIterator[Notice]) -> Notice:
    """The next notice (`anext` itself is no coroutine for a task to run)."""
    return await anext(notices)


async def parked(broker: Broker, count: int, *, listening: int | None = None) -> None:
    """Wait until `count` listeners wait for their next notice, of `listening` listeners in
    all (as many without: the listeners of earlier tests gone)."""
    async with asyncio.timeout(10):
        while True:
            if broker.parked_count == count and broker.listener_count == (listening or count):
                return
            await asyncio.sleep(0.01)


def test_a_notice_names_its_establishment_seeker_and_office() -> None:
    assert notice(1, establishment=4, seeker=5).listener_keys() == (
        Key(MESSAGE, "establishment", 4),
        Key(MESSAGE, "seeker", 5),
    )
    assert notice(2, QUEUE, establishment=4, office=6).listener_keys() == (
        Key(QUEUE, "establishment", 4),
        Key(QUEUE, "seeker", 0),
        Key(QUEUE, "office", 6),
    )


async def test_each_listener_gets_the_notices_of_its_key_and_no_other(broker: Broker) -> None:
    async with (
        broker.listen(Key(MESSAGE, "establishment", 1)) as a,
        broker.listen(Key(MESSAGE, "establishment", 2)) as b,
        broker.listen(Key(STATUS, "establishment", 1)) as a_status,
        broker.listen(Key(MESSAGE, "seeker", 7)) as seeker,
        broker.listen(Key(QUEUE, "office", 3)) as office,
        broker.listen() as everything,
    ):
        assert broker.listened_keys() == {
            Key(MESSAGE, "establishment", 1): 1,
            Key(MESSAGE, "establishment", 2): 1,
            Key(STATUS, "establishment", 1): 1,
            Key(MESSAGE, "seeker", 7): 1,
            Key(QUEUE, "office", 3): 1,
            None: 1,
        }
        published = [
            notice(1, establishment=1, seeker=7),
            notice(2, establishment=2, seeker=8),
            notice(3, QUEUE, establishment=1, office=3),
            notice(4, STATUS, establishment=1, seeker=7),
        ]
        for each in published:
            await broker.publish(each)

        # The first notice each takes is the first of its key: nothing else was put before it.
        assert await anext(a) == published[0]
        assert await anext(b) == published[1]
        assert await anext(office) == published[2]
        assert await anext(a_status) == published[3]
        assert await anext(seeker) == published[0]
        assert [await anext(everything) for _ in published] == published
        # And nothing after it: the next notice of A's messages is the next one published.
        last = notice(5, establishment=1, seeker=9)
        await broker.publish(last)
        assert await anext(a) == last
    assert broker.listener_count == 0
    assert broker.listened_keys() == {}


async def test_a_notice_for_one_establishment_does_not_wake_the_listener_of_another() -> None:
    broker = InProcessBroker()
    async with (
        broker.listen(Key(MESSAGE, "establishment", 1)) as a,
        broker.listen(Key(MESSAGE, "establishment", 2)) as b,
    ):
        waiting_a = asyncio.create_task(take(a))
        waiting_b = asyncio.create_task(take(b))
        await parked(broker, 2)

        await broker.publish(notice(1, establishment=1))
        # Handed to A's listener at once; B's was given nothing and still waits.
        assert broker.parked_count == 1
        assert await waiting_a == notice(1, establishment=1)
        assert not waiting_b.done()

        await broker.publish(notice(2, establishment=2))
        assert await waiting_b == notice(2, establishment=2)


async def test_a_slow_listener_gets_every_notice_in_order(broker: Broker) -> None:
    key = Key(MESSAGE, "establishment", 1)
    async with broker.listen(key) as notices, broker.listen(key) as other:
        published = [notice(i, establishment=1) for i in range(1, 201)]
        for each in published[:150]:
            await broker.publish(each)
        taken = [await anext(notices) for _ in range(100)]
        for each in published[150:]:
            await broker.publish(each)
        taken += [await anext(notices) for _ in range(100)]
        assert taken == published
        assert [await anext(other) for _ in published] == published


async def test_a_listener_cancelled_as_a_notice_reaches_it_keeps_the_notice() -> None:
    broker = InProcessBroker()
    async with broker.listen(Key(MESSAGE, "establishment", 1)) as notices:
        waiting = asyncio.create_task(take(notices))
        await parked(broker, 1)
        await broker.publish(notice(1, establishment=1))
        await broker.publish(notice(2, establishment=1))
        waiting.cancel()  # handed the first notice, not yet resumed
        with pytest.raises(asyncio.CancelledError):
            await waiting
        assert [await anext(notices), await anext(notices)] == [
            notice(1, establishment=1),
            notice(2, establishment=1),
        ]


async def test_closing_ends_each_listener_after_what_it_already_has() -> None:
    broker = InProcessBroker()
    async with (
        broker.listen(Key(MESSAGE, "establishment", 1)) as busy,
        broker.listen(Key(MESSAGE, "establishment", 2)) as idle,
    ):
        await broker.publish(notice(1, establishment=1))
        waiting = asyncio.create_task(take(idle))
        await parked(broker, 1, listening=2)
        await broker.close()
        assert broker.listener_count == 0
        assert await anext(busy) == notice(1, establishment=1)
        with pytest.raises(BrokerUnavailable):
            await anext(busy)
        with pytest.raises(BrokerUnavailable):
            await waiting


# --- Subscriptions over real WebSockets -------------------------------------------------------


async def _subscribe(ws: GraphQLWebSocket, query: str) -> str:
    latest = await Event.all().order_by("-id").first()
    return await ws.subscribe(query, {"after": event_cursor(latest.id if latest else 0)})


async def test_every_subscription_listens_under_its_audiences_key(
    server: Server, world: World
) -> None:
    staff = await user_of(server, world.staff)
    assert world.staff.token is not None
    async with AsyncExitStack() as stack:
        employer, seeker, office = [
            await stack.enter_async_context(GraphQLWebSocket.connected(server.url, token))
            for token in (world.a.token, world.seeker.token, world.staff.token)
        ]
        for query in (MESSAGE_RECEIVED, STATUS_CHANGED, INTERVIEW_CHANGED, NOTICE_RECEIVED):
            await _subscribe(employer, query)
        await _subscribe(seeker, MESSAGE_RECEIVED)
        await _subscribe(seeker, INTERVIEW_CHANGED)
        await _subscribe(office, REVIEW_QUEUE_CHANGED)
        await parked(server.rt.broker, 7)

        a = world.a.establishment_id
        assert server.rt.broker.listened_keys() == {
            Key(MESSAGE, "establishment", a): 1,
            Key(STATUS, "establishment", a): 1,
            Key(EventKind.INTERVIEW_CHANGED, "establishment", a): 1,
            Key(EventKind.NOTICE_RECEIVED, "establishment", a): 1,
            Key(MESSAGE, "seeker", world.seeker.user.id): 1,
            Key(EventKind.INTERVIEW_CHANGED, "seeker", world.seeker.user.id): 1,
            Key(QUEUE, "office", staff.office_id): 1,
        }


async def test_a_message_to_establishment_a_wakes_none_of_bs_subscriptions(
    server: Server, world: World
) -> None:
    broker = server.rt.broker
    async with (
        GraphQLWebSocket.connected(server.url, world.a.token) as a,
        GraphQLWebSocket.connected(server.url, world.b.token) as b,
    ):
        a_op = await _subscribe(a, MESSAGE_RECEIVED)
        await _subscribe(a, STATUS_CHANGED)
        b_op = await _subscribe(b, MESSAGE_RECEIVED)
        await _subscribe(b, STATUS_CHANGED)
        await parked(broker, 4)

        # Publishing hands the notice over before anything else runs: to A's messages only.
        await send_message(server, world.seeker, world.a, world.seeker, "A宛て")
        assert broker.parked_count == 3
        assert (await a.next(a_op))["messageReceived"]["message"]["body"] == "A宛て"

        await send_message(server, world.seeker, world.b, world.seeker, "B宛て")
        assert (await b.next(b_op))["messageReceived"]["message"]["body"] == "B宛て"
