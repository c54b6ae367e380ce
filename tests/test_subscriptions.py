"""Subscriptions over real WebSockets against uvicorn: who sees what, replay, authentication.

Events are produced the way the service produces them: the change and its event stored in one
transaction, then the event published through the server's broker.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from strawberry import relay
from tortoise.transactions import in_transaction
from websockets.exceptions import InvalidStatus

from app.models import (
    Application,
    ApplicationEvent,
    Event,
    Message,
    MessageThread,
    Portal,
    Posting,
    User,
)
from app.models.applications import ApplicationSource, ApplicationStatus
from app.models.events import EventKind
from app.models.messages import MessageSender
from app.resolvers import events
from app.schema.subscriptions import event_cursor
from tests import flows
from tests.conftest import GraphQLClient, Seeker, Server, new_seeker, user_of
from tests.processes import UvicornProcess, service_env
from tests.ws_client import Closed, GraphQLWebSocket

MESSAGE_RECEIVED = """
subscription ($after: String) {
  messageReceived(after: $after) { cursor message { body sender } }
}"""

STATUS_CHANGED = """
subscription ($after: String) {
  applicationStatusChanged(after: $after) {
    cursor fromStatus toStatus reason at
    application { id }
  }
}"""


@dataclass
class Party:
    """A logged-in user with their session token."""

    user: User
    token: str
    client: GraphQLClient


@dataclass
class Employer(Party):
    establishment_id: int


async def _party(server: Server, client: GraphQLClient) -> Party:
    assert client.token is not None
    return Party(await user_of(server, client), client.token, client)


async def _employer(server: Server, client: GraphQLClient) -> Employer:
    party = await _party(server, client)
    assert party.user.establishment_id is not None
    return Employer(party.user, party.token, client, party.user.establishment_id)


@dataclass
class World:
    staff: GraphQLClient
    a: Employer
    b: Employer
    seeker: Party
    other_seeker: Party


@pytest.fixture
async def world(
    server: Server,
    staff: GraphQLClient,
    employer: GraphQLClient,
    other_employer: GraphQLClient,
    seeker: Seeker,
    new_client: Any,
) -> World:
    """Establishments A and B of one office, each with a logged-in employer; two seekers."""
    other = await new_seeker(server, new_client(), "other.seeker@example.jp")
    return World(
        staff,
        await _employer(server, employer),
        await _employer(server, other_employer),
        await _party(server, seeker.client),
        await _party(server, other.client),
    )


async def send_message(
    server: Server, sender: Party, employer: Employer, seeker: Party, body: str
) -> None:
    """Store a message and its event in one transaction, then publish (as `messageSend`)."""
    now = server.clock.now()
    side = MessageSender.SEEKER if sender.user.portal == Portal.SEEKER else MessageSender.EMPLOYER
    async with in_transaction():
        thread, _ = await MessageThread.get_or_create(
            establishment_id=employer.establishment_id,
            seeker_id=seeker.user.id,
            defaults={"created_at": now},
        )
        message = await Message.create(
            thread_id=thread.id,
            establishment_id=employer.establishment_id,
            sender=side,
            sender_user_id=sender.user.id,
            body=body,
            created_at=now,
        )
        event = await events.record(
            EventKind.MESSAGE_RECEIVED,
            establishment_id=employer.establishment_id,
            seeker_id=seeker.user.id,
            now=now,
            message_id=message.id,
        )
    await events.publish(server.rt, event)


async def _application(world: World, server: Server, employer: Employer, seeker: Party) -> int:
    posting = await flows.active_posting(employer.client, world.staff)
    row = await Posting.get(posting_number=posting["postingNumber"])
    now = server.clock.now()
    application = await Application.create(
        posting_id=row.id,
        establishment_id=row.establishment_id,
        seeker_id=seeker.user.id,
        source=ApplicationSource.ONLINE,
        status=ApplicationStatus.APPLIED,
        created_at=now,
        updated_at=now,
    )
    return application.id


async def change_status(
    server: Server,
    actor: Party,
    application_id: int,
    establishment_id: int,
    to: ApplicationStatus,
    reason: str = "",
) -> None:
    """Store a status change and its event in one transaction, then publish."""
    now = server.clock.now()
    async with in_transaction():
        application = await Application.get(id=application_id)
        change = await ApplicationEvent.create(
            application_id=application_id,
            actor_id=actor.user.id,
            from_status=application.status,
            to_status=to,
            reason=reason,
            at=now,
        )
        application.status = to
        application.updated_at = now
        await application.save(update_fields=["status", "updated_at"])
        event = await events.record(
            EventKind.APPLICATION_STATUS_CHANGED,
            establishment_id=establishment_id,
            seeker_id=application.seeker_id,
            now=now,
            application_event_id=change.id,
        )
    await events.publish(server.rt, event)


async def _subscribed(ws: GraphQLWebSocket, query: str) -> str:
    """Subscribe from the current end of the stored events: whatever is stored from now on
    is delivered, however long the server takes to start the subscription."""
    latest = await Event.all().order_by("-id").first()
    return await ws.subscribe(query, {"after": event_cursor(latest.id if latest else 0)})


# --- Who sees what ----------------------------------------------------------------------------


async def test_a_seekers_message_reaches_its_establishment_and_no_other(
    server: Server, world: World
) -> None:
    async with (
        GraphQLWebSocket.connected(server.url, world.a.token) as a,
        GraphQLWebSocket.connected(server.url, world.b.token) as b,
    ):
        a_op = await _subscribed(a, MESSAGE_RECEIVED)
        b_op = await _subscribed(b, MESSAGE_RECEIVED)

        await send_message(server, world.seeker, world.a, world.seeker, "面接の日程について")

        data = await a.next(a_op)
        assert data["messageReceived"]["message"] == {
            "body": "面接の日程について",
            "sender": "SEEKER",
        }
        assert data["messageReceived"]["cursor"]
        await b.nothing_within(0.5)
        assert b_op


async def test_an_employer_does_not_receive_its_own_messages_the_seeker_does(
    server: Server, world: World
) -> None:
    async with (
        GraphQLWebSocket.connected(server.url, world.a.token) as employer,
        GraphQLWebSocket.connected(server.url, world.seeker.token) as seeker,
    ):
        employer_op = await _subscribed(employer, MESSAGE_RECEIVED)
        seeker_op = await _subscribed(seeker, MESSAGE_RECEIVED)

        await send_message(server, world.a, world.a, world.seeker, "ご応募ありがとうございます")

        data = await seeker.next(seeker_op)
        assert data["messageReceived"]["message"]["sender"] == "EMPLOYER"
        await employer.nothing_within(0.5)
        assert employer_op


async def test_a_seeker_receives_only_their_own_messages(server: Server, world: World) -> None:
    async with (
        GraphQLWebSocket.connected(server.url, world.seeker.token) as mine,
        GraphQLWebSocket.connected(server.url, world.other_seeker.token) as theirs,
    ):
        mine_op = await _subscribed(mine, MESSAGE_RECEIVED)
        await _subscribed(theirs, MESSAGE_RECEIVED)

        await send_message(server, world.a, world.a, world.seeker, "書類選考の結果")

        data = await mine.next(mine_op)
        assert data["messageReceived"]["message"]["body"] == "書類選考の結果"
        await theirs.nothing_within(0.5)


async def test_status_changes_reach_the_establishment_and_the_seeker_only(
    server: Server, world: World
) -> None:
    application_id = await _application(world, server, world.a, world.seeker)
    async with (
        GraphQLWebSocket.connected(server.url, world.a.token) as employer,
        GraphQLWebSocket.connected(server.url, world.seeker.token) as seeker,
        GraphQLWebSocket.connected(server.url, world.b.token) as other_employer,
        GraphQLWebSocket.connected(server.url, world.other_seeker.token) as other_seeker,
    ):
        employer_op = await _subscribed(employer, STATUS_CHANGED)
        seeker_op = await _subscribed(seeker, STATUS_CHANGED)
        await _subscribed(other_employer, STATUS_CHANGED)
        await _subscribed(other_seeker, STATUS_CHANGED)

        await change_status(
            server,
            world.a,
            application_id,
            world.a.establishment_id,
            ApplicationStatus.SCREENING,
            "書類選考に進みます",
        )

        for ws, op in ((employer, employer_op), (seeker, seeker_op)):
            change = (await ws.next(op))["applicationStatusChanged"]
            assert change["fromStatus"] == "APPLIED"
            assert change["toStatus"] == "SCREENING"
            assert change["reason"] == "書類選考に進みます"
            assert change["application"]["id"]
            assert dt.datetime.fromisoformat(change["at"]) == server.clock.now()
        await other_employer.nothing_within(0.3)
        await other_seeker.nothing_within(0.3)


async def test_the_status_update_mutation_reaches_the_seeker_live(
    server: Server, world: World
) -> None:
    application_id = await _application(world, server, world.a, world.seeker)
    global_id = str(relay.GlobalID("Application", str(application_id)))
    async with GraphQLWebSocket.connected(server.url, world.seeker.token) as seeker:
        op = await _subscribed(seeker, STATUS_CHANGED)
        data = await world.a.client.execute(
            """mutation ($input: ApplicationStatusUpdateInput!) {
              applicationStatusUpdate(input: $input) { errors { code } }
            }""",
            {"input": {"applicationId": global_id, "status": "INTERVIEW", "reason": "面接へ"}},
        )
        assert data["applicationStatusUpdate"]["errors"] == []

        change = (await seeker.next(op))["applicationStatusChanged"]
        assert (change["fromStatus"], change["toStatus"]) == ("APPLIED", "INTERVIEW")
        assert change["application"]["id"] == global_id


# --- Replay -----------------------------------------------------------------------------------


async def test_reconnecting_with_the_cursor_delivers_exactly_what_was_missed(
    server: Server, world: World
) -> None:
    async with GraphQLWebSocket.connected(server.url, world.a.token) as ws:
        op = await _subscribed(ws, MESSAGE_RECEIVED)
        await send_message(server, world.seeker, world.a, world.seeker, "1通目")
        first = (await ws.next(op))["messageReceived"]
        assert first["message"]["body"] == "1通目"

    # Away: three messages to A, and others that A must not get.
    for body in ("2通目", "3通目", "4通目"):
        await send_message(server, world.seeker, world.a, world.seeker, body)
        await send_message(server, world.a, world.a, world.seeker, f"返信: {body}")
        await send_message(server, world.other_seeker, world.b, world.other_seeker, "B宛て")

    async with GraphQLWebSocket.connected(server.url, world.a.token) as ws:
        op = await ws.subscribe(MESSAGE_RECEIVED, {"after": first["cursor"]})
        replayed = [(await ws.next(op))["messageReceived"] for _ in range(3)]
        assert [r["message"]["body"] for r in replayed] == ["2通目", "3通目", "4通目"]
        await ws.nothing_within(0.5)

        # Then live, without a duplicate of the replayed ones.
        await send_message(server, world.seeker, world.a, world.seeker, "5通目")
        live = (await ws.next(op))["messageReceived"]
        assert live["message"]["body"] == "5通目"
        await ws.nothing_within(0.3)

    cursors = [first["cursor"], *(r["cursor"] for r in replayed), live["cursor"]]
    assert len(set(cursors)) == 5


async def test_events_stored_while_the_replay_runs_are_delivered_once_in_order(
    server: Server, world: World
) -> None:
    async with GraphQLWebSocket.connected(server.url, world.a.token) as ws:
        op = await _subscribed(ws, MESSAGE_RECEIVED)
        await send_message(server, world.seeker, world.a, world.seeker, "0")
        cursor = (await ws.next(op))["messageReceived"]["cursor"]
    for i in range(1, 21):
        await send_message(server, world.seeker, world.a, world.seeker, str(i))

    async with GraphQLWebSocket.connected(server.url, world.a.token) as ws:
        op = await ws.subscribe(MESSAGE_RECEIVED, {"after": cursor})
        for i in range(21, 31):  # while the replay is read and sent
            await send_message(server, world.seeker, world.a, world.seeker, str(i))
        bodies = [(await ws.next(op))["messageReceived"]["message"]["body"] for _ in range(30)]
        assert bodies == [str(i) for i in range(1, 31)]
        await ws.nothing_within(0.5)


async def test_without_a_cursor_only_new_events_are_delivered(server: Server, world: World) -> None:
    await send_message(server, world.seeker, world.a, world.seeker, "以前のメッセージ")
    async with GraphQLWebSocket.connected(server.url, world.a.token) as ws:
        op = await ws.subscribe(MESSAGE_RECEIVED)
        await asyncio.sleep(0.3)  # the subscription starts from the moment it listens
        await send_message(server, world.seeker, world.a, world.seeker, "新しいメッセージ")
        data = await ws.next(op)
        assert data["messageReceived"]["message"]["body"] == "新しいメッセージ"
        await ws.nothing_within(0.3)


async def test_event_cursor_lets_a_client_miss_nothing_from_the_moment_it_asked(
    server: Server, world: World
) -> None:
    await send_message(server, world.seeker, world.a, world.seeker, "以前のメッセージ")
    cursor = (await world.a.client.execute("{ eventCursor }"))["eventCursor"]
    # Stored (and announced to nobody) before the server began to listen for this client.
    await send_message(server, world.seeker, world.a, world.seeker, "購読の直前")
    await send_message(server, world.other_seeker, world.b, world.other_seeker, "B宛て")

    async with GraphQLWebSocket.connected(server.url, world.a.token) as ws:
        op = await ws.subscribe(MESSAGE_RECEIVED, {"after": cursor})
        await send_message(server, world.seeker, world.a, world.seeker, "購読の直後")
        bodies = [(await ws.next(op))["messageReceived"]["message"]["body"] for _ in range(2)]
        assert bodies == ["購読の直前", "購読の直後"]
        await ws.nothing_within(0.3)


async def test_event_cursor_moves_only_with_the_viewers_own_events(
    server: Server, world: World
) -> None:
    async def cursor() -> str:
        return str((await world.a.client.execute("{ eventCursor }"))["eventCursor"])

    before = await cursor()
    await send_message(server, world.other_seeker, world.b, world.other_seeker, "B宛て")
    assert await cursor() == before
    await send_message(server, world.seeker, world.a, world.seeker, "A宛て")
    assert await cursor() != before


async def test_a_malformed_cursor_is_a_coded_error(server: Server, world: World) -> None:
    async with GraphQLWebSocket.connected(server.url, world.a.token) as ws:
        op = await ws.subscribe(MESSAGE_RECEIVED, {"after": "not-a-cursor"})
        message = await ws.receive()
        assert message["id"] == op
        errors = message["payload"]["errors"]
        assert errors[0]["extensions"]["code"] == "BAD_USER_INPUT"


# --- Authentication and origin ----------------------------------------------------------------


async def test_staff_may_not_subscribe(server: Server, world: World) -> None:
    assert world.staff.token
    async with GraphQLWebSocket.connected(server.url, world.staff.token) as ws:
        op = await ws.subscribe(MESSAGE_RECEIVED)
        message = await ws.receive()
        assert message["id"] == op
        assert message["payload"]["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_an_invalid_token_is_closed_with_4403(server: Server) -> None:
    async with GraphQLWebSocket.open(server.url) as ws:
        await ws.send({"type": "connection_init", "payload": {"authorization": "Bearer nope"}})
        closed = await ws.closed()
        assert closed.code == 4403


async def test_connection_init_without_a_token_is_closed_with_4403(server: Server) -> None:
    async with GraphQLWebSocket.open(server.url) as ws:
        await ws.send({"type": "connection_init", "payload": {}})
        closed = await ws.closed()
        assert closed.code == 4403


async def test_a_logged_out_session_is_closed_with_4403(server: Server, world: World) -> None:
    response = await world.a.client.execute("mutation { logout { errors { code } } }")
    assert response["logout"]["errors"] == []
    async with GraphQLWebSocket.open(server.url) as ws:
        await ws.send({"type": "connection_init", "payload": {"token": world.a.token}})
        assert (await ws.closed()).code == 4403


async def test_an_open_subscription_ends_when_its_session_ends(
    server: Server, world: World
) -> None:
    async with GraphQLWebSocket.connected(server.url, world.a.token) as ws:
        op = await _subscribed(ws, MESSAGE_RECEIVED)
        await send_message(server, world.seeker, world.a, world.seeker, "ログアウト前")
        assert (await ws.next(op))["messageReceived"]["message"]["body"] == "ログアウト前"

        logout = await world.a.client.execute("mutation { logout { errors { code } } }")
        assert logout["logout"]["errors"] == []
        await send_message(server, world.seeker, world.a, world.seeker, "ログアウト後")

        # The socket closes with its session (tests/test_socket_sessions.py has every way).
        with pytest.raises(Closed) as closed:
            await ws.receive()  # and nothing of what came after the logout
        assert (closed.value.code, closed.value.reason) == (4403, "session ended")


async def test_subscribing_before_connection_init_is_refused(server: Server) -> None:
    async with GraphQLWebSocket.open(server.url) as ws:
        await ws.subscribe(MESSAGE_RECEIVED)
        assert (await ws.closed()).code == 4401


async def test_the_token_may_come_as_token_or_from_the_session_cookie(
    server: Server, world: World
) -> None:
    async with GraphQLWebSocket.open(server.url) as ws:
        await ws.init({"token": world.a.token})
        op = await _subscribed(ws, MESSAGE_RECEIVED)
        await send_message(server, world.seeker, world.a, world.seeker, "token")
        assert (await ws.next(op))["messageReceived"]["message"]["body"] == "token"

    async with GraphQLWebSocket.open(server.url, cookie=f"hw_session={world.a.token}") as ws:
        await ws.init()
        op = await _subscribed(ws, MESSAGE_RECEIVED)
        await send_message(server, world.seeker, world.a, world.seeker, "cookie")
        assert (await ws.next(op))["messageReceived"]["message"]["body"] == "cookie"


async def test_a_foreign_origin_is_refused_at_the_handshake(server: Server) -> None:
    with pytest.raises(InvalidStatus) as refused:
        async with GraphQLWebSocket.open(server.url, origin="https://evil.example.com"):
            pass
    assert refused.value.response.status_code == 403


@pytest.mark.slow
async def test_an_allowed_origin_connects(server: Server, tmp_path: Path) -> None:
    """A server with ALLOWED_ORIGINS (its own process) lets that dashboard open the WebSocket
    (then asks for a token like any other) and refuses other origins."""
    dashboard = "https://dashboard.hellowork.example.jp"
    env = service_env(
        tmp_path, DATABASE_URL=server.settings.database_url, ALLOWED_ORIGINS=dashboard
    )
    process = UvicornProcess(env, tmp_path / "uvicorn.log")
    await asyncio.to_thread(process.__enter__)
    try:
        async with GraphQLWebSocket.open(process.url, origin=dashboard) as ws:
            await ws.send({"type": "connection_init", "payload": {}})
            assert (await ws.closed()).code == 4403
        with pytest.raises(InvalidStatus):
            async with GraphQLWebSocket.open(process.url, origin="https://evil.example.com"):
                pass
    finally:
        await asyncio.to_thread(process.stop)
