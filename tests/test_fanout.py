"""One event, many subscribers: the reads are shared by the subscriptions of the process.

What the subscribers of one process ask in the same event-loop tick is read once — the events
per audience, the rows they name, the sessions — so an event costs a few statements however
many subscribe; and each still gets exactly its own: its audience only, after its own cursor,
in order, once, and nothing once its session has ended.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import secrets
from collections.abc import AsyncGenerator
from contextlib import AsyncExitStack
from typing import Any

import pytest
from tortoise.transactions import in_transaction

from app.errors import NotAuthenticated
from app.models import Event, Message, MessageThread, Session
from app.models.events import EventKind
from app.models.messages import MessageSender
from app.resolvers import events, subscriptions
from app.resolvers.accounts import SESSION_PURPOSE, viewer_for_token
from app.resolvers.subscriptions import BATCH_SIZE, MessageDelivery
from app.schema.subscriptions import event_cursor
from app.viewer import Viewer
from tests.conftest import Server
from tests.test_posting_queries import counting_queries
from tests.test_subscriptions import MESSAGE_RECEIVED, Employer, Party, World, world
from tests.ws_client import GraphQLWebSocket

__all__ = ["world"]  # the fixture, shared with tests/test_subscriptions.py


async def store_message(
    server: Server, employer: Employer, seeker: Party, sender: MessageSender, body: str
) -> Event:
    """A message and its event, stored in one transaction and not yet announced."""
    now = server.clock.now()
    async with in_transaction():
        thread, _ = await MessageThread.get_or_create(
            establishment_id=employer.establishment_id,
            seeker_id=seeker.user.id,
            defaults={"created_at": now},
        )
        message = await Message.create(
            thread_id=thread.id,
            establishment_id=employer.establishment_id,
            sender=sender,
            sender_user_id=(seeker if sender == MessageSender.SEEKER else employer).user.id,
            body=body,
            created_at=now,
        )
        return await events.record(
            EventKind.MESSAGE_RECEIVED,
            establishment_id=employer.establishment_id,
            seeker_id=seeker.user.id,
            now=now,
            message_id=message.id,
        )


async def extra_sessions(server: Server, party: Party, count: int) -> list[str]:
    """`count` more sessions of the same login (other tabs, other browsers); their tokens."""
    now = server.clock.now()
    tokens = [secrets.token_urlsafe(32) for _ in range(count)]
    await Session.bulk_create(
        [
            Session(
                user_id=party.user.id,
                token_hash=server.rt.secret_hash(SESSION_PURPOSE, token),
                created_at=now,
                expires_at=now + dt.timedelta(hours=1),
            )
            for token in tokens
        ]
    )
    return tokens


def tables(statements: list[str]) -> list[str]:
    """The table each SELECT reads first, in order."""
    return [s.split(" FROM ", 1)[1].split()[0].strip('"`').lower() for s in statements]


# --- Through real WebSockets --------------------------------------------------------------------


async def statements_for_one_event(server: Server, world: World, subscribers: int) -> list[str]:
    """The statements the server sends while one seeker's message reaches `subscribers`
    WebSockets of establishment A, each with its own session."""
    tokens = await extra_sessions(server, world.a, subscribers)
    latest = await Event.all().order_by("-id").first()
    after = event_cursor(latest.id if latest else 0)
    async with AsyncExitStack() as stack:
        sockets = await asyncio.gather(
            *(
                stack.enter_async_context(GraphQLWebSocket.connected(server.url, token))
                for token in tokens
            )
        )
        ops = await asyncio.gather(
            *(ws.subscribe(MESSAGE_RECEIVED, {"after": after}) for ws in sockets)
        )

        async def everyone_receives(body: str) -> None:
            received = await asyncio.gather(
                *(ws.next(op) for ws, op in zip(sockets, ops, strict=True))
            )
            assert {r["messageReceived"]["message"]["body"] for r in received} == {body}

        # The first message proves every subscription live and past its first read.
        first = await store_message(server, world.a, world.seeker, MessageSender.SEEKER, "1")
        await events.publish(server.rt, first)
        await everyone_receives("1")

        second = await store_message(server, world.a, world.seeker, MessageSender.SEEKER, "2")
        with counting_queries() as statements:
            # Announcing runs no subscriber yet: they all wake once this test waits.
            await events.publish(server.rt, second)
            await everyone_receives("2")
    return statements


async def test_one_event_costs_the_same_few_statements_for_20_or_200_subscribers(
    server: Server, world: World
) -> None:
    few = await statements_for_one_event(server, world, 20)
    many = await statements_for_one_event(server, world, 200)

    # The events of the audience after the cursors, the messages they name, the sessions.
    assert tables(few) == tables(many) == ["event", "message", "session"], (few, many)


# --- Through the use case, many subscriptions in one tick -------------------------------------


async def viewer_of(server: Server, token: str) -> Viewer:
    viewer = await viewer_for_token(server.rt, token)
    assert viewer.user is not None
    return viewer


async def collect(
    deliveries: AsyncGenerator[MessageDelivery, None],
    count: int,
    into: list[str],
    waiting_for_the_last: asyncio.Event,
) -> None:
    """Take `count` deliveries (their message bodies), then close the subscription."""
    try:
        while len(into) < count:
            if len(into) == count - 1:
                waiting_for_the_last.set()
            into.append((await anext(deliveries)).message.body)
    finally:
        await deliveries.aclose()


async def test_mixed_audiences_cursors_and_an_ended_session_in_one_tick(
    server: Server, world: World
) -> None:
    seeker, other = world.seeker, world.other_seeker
    # A's stream: more than a batch of seekers' messages, among them A's own replies.
    a_events: list[tuple[int, str]] = []
    for i in range(BATCH_SIZE + 30):
        sender = MessageSender.EMPLOYER if i % 10 == 9 else MessageSender.SEEKER
        event = await store_message(server, world.a, seeker, sender, f"A{i}")
        a_events.append((event.id, f"A{i}" if sender == MessageSender.SEEKER else ""))
        if i % 20 == 0:
            await store_message(server, world.b, other, MessageSender.SEEKER, f"B{i}")
    b_latest = await store_message(server, world.b, other, MessageSender.SEEKER, "B-last")

    def a_after(event_id: int) -> list[str]:
        return [body for eid, body in a_events if eid > event_id and body]

    a_token, dead_token = await extra_sessions(server, world.a, 2)
    a_viewer = await viewer_of(server, a_token)
    dead_viewer = await viewer_of(server, dead_token)
    b_viewer = await viewer_of(server, world.b.token)
    seeker_viewer = await viewer_of(server, seeker.token)

    # Cursors: from the start, mid-stream, a full batch further on, at the end.
    cursors = {
        "from_start": 0,
        "mid": a_events[40][0],
        "near_end": a_events[BATCH_SIZE + 10][0],
        "caught_up": a_events[-1][0],
    }
    expected: dict[str, list[str]] = {
        name: [*a_after(cursor), "live to A"] for name, cursor in cursors.items()
    }
    expected["b"] = ["live to B"]
    expected["seeker"] = ["live to the seeker"]
    received: dict[str, list[str]] = {name: [] for name in expected}
    streams = {
        **{
            name: subscriptions.messages_received(server.rt, a_viewer, after=cursor)
            for name, cursor in cursors.items()
        },
        "b": subscriptions.messages_received(server.rt, b_viewer, after=b_latest.id),
        "seeker": subscriptions.messages_received(server.rt, seeker_viewer, after=a_events[-1][0]),
    }
    dead = subscriptions.messages_received(server.rt, dead_viewer, after=a_events[-1][0])
    dead_first = asyncio.create_task(anext(dead))
    replayed = {name: asyncio.Event() for name in expected}
    collectors = [
        asyncio.create_task(
            collect(streams[name], len(expected[name]), received[name], replayed[name])
        )
        for name in expected
    ]
    async with asyncio.timeout(10):
        await asyncio.gather(*(event.wait() for event in replayed.values()))
    await asyncio.sleep(0.1)  # every subscription waits for a notice now

    assert dead_viewer.session is not None
    await Session.filter(id=dead_viewer.session.id).update(ended_at=server.clock.now())
    stored = [
        await store_message(server, world.a, seeker, MessageSender.SEEKER, "live to A"),
        await store_message(server, world.b, other, MessageSender.SEEKER, "live to B"),
        await store_message(server, world.a, seeker, MessageSender.EMPLOYER, "live to the seeker"),
    ]
    with counting_queries() as statements:
        for event in stored:  # in one tick: every subscription wakes at once
            await events.publish(server.rt, event)
        async with asyncio.timeout(10):
            await asyncio.gather(*collectors)
            with pytest.raises(NotAuthenticated):  # instead of "live to A"
                await dead_first

    assert received == expected
    # One read of events per audience (A, B, the seeker), one of messages, one of sessions.
    assert sorted(tables(statements)) == ["event", "event", "event", "message", "session"], (
        statements
    )


async def test_deliveries_from_one_read_are_not_shared_across_audiences(
    server: Server, world: World
) -> None:
    """Two establishments and two seekers asking in one tick: each gets only its own."""
    a_msg = await store_message(server, world.a, world.seeker, MessageSender.SEEKER, "to A")
    b_msg = await store_message(server, world.b, world.other_seeker, MessageSender.SEEKER, "to B")
    to_seeker = await store_message(
        server, world.a, world.seeker, MessageSender.EMPLOYER, "to the seeker"
    )
    to_other = await store_message(
        server, world.b, world.other_seeker, MessageSender.EMPLOYER, "to the other seeker"
    )
    viewers: dict[str, tuple[str, str]] = {
        "a": (world.a.token, "to A"),
        "b": (world.b.token, "to B"),
        "seeker": (world.seeker.token, "to the seeker"),
        "other": (world.other_seeker.token, "to the other seeker"),
    }
    streams = {
        name: subscriptions.messages_received(
            server.rt, await viewer_of(server, token), after=a_msg.id - 1
        )
        for name, (token, _) in viewers.items()
    }
    firsts: list[Any] = await asyncio.gather(*(anext(s) for s in streams.values()))
    for stream in streams.values():
        await stream.aclose()
    assert {name: d.message.body for name, d in zip(streams, firsts, strict=True)} == {
        name: body for name, (_, body) in viewers.items()
    }
    assert {d.event_id for d in firsts} == {a_msg.id, b_msg.id, to_seeker.id, to_other.id}


@pytest.mark.parametrize(
    "count", [subscriptions.IDS_PER_STATEMENT, subscriptions.IDS_PER_STATEMENT + 1]
)
async def test_session_checks_are_split_at_the_statement_limit(
    server: Server, world: World, count: int
) -> None:
    now = server.clock.now()
    await Session.bulk_create(
        [
            Session(
                user_id=world.a.user.id,
                token_hash=secrets.token_hex(32),
                created_at=now,
                expires_at=now + dt.timedelta(hours=1),
                last_seen_at=now,
            )
            for _ in range(count)
        ]
    )
    ids = [s.id for s in await Session.filter(user_id=world.a.user.id).order_by("-id").limit(count)]
    await Session.filter(id=ids[0]).update(ended_at=now)
    audience = subscriptions.audience_of(Viewer(user=world.a.user))
    asks = [subscriptions._Ask(server.rt, i, audience, after=0) for i in ids]

    with counting_queries() as statements:
        live = await subscriptions._sessions_live(asks)

    assert live == [False] + [True] * (count - 1)
    assert len(statements) == (1 if count <= subscriptions.IDS_PER_STATEMENT else 2)
