"""The Redis broker: one connection per process fanning out, delivery across uvicorn processes,
and nothing lost when Redis goes away and comes back.

They need `REDIS_URL` (the `redis_url` fixture skips without it, but never in CI). The tests
that stop Redis start their own `redis-server` on a free loopback port.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import shutil
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis
from strawberry import relay

from app.broker import BrokerUnavailable, Notice, RedisBroker
from app.models import Application, Event, Portal, Posting, Session, User
from app.models.applications import ApplicationSource, ApplicationStatus
from app.resolvers.accounts import SESSION_PURPOSE
from app.schema.subscriptions import RETRY_LATER_CLOSE_CODE, event_cursor
from app.security import hash_password, keyed_hash, new_token
from tests import flows
from tests.conftest import GraphQLClient, Server, user_of
from tests.processes import TEST_SECRET_KEY, free_port, two_processes
from tests.ws_client import Closed, GraphQLWebSocket

MESSAGE_RECEIVED = """
subscription ($after: String) {
  messageReceived(after: $after) { cursor message { body sender } }
}"""

MESSAGE_SEND = """
mutation ($input: MessageSendInput!) {
  messageSend(input: $input) { message { id } errors { field code message } }
}"""


class RedisServer:
    """A `redis-server` of one test, on loopback, that the test can stop and start again."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        binary = shutil.which("redis-server")
        assert binary, "redis-server is not installed (apt-get install redis-server)"
        self.directory.mkdir(parents=True, exist_ok=True)
        command = [binary, "--bind", "127.0.0.1", "--port", str(self.port), "--save", ""]
        command += ["--appendonly", "no", "--dir", str(self.directory)]
        with (self.directory / "redis.log").open("ab") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            ping = subprocess.run(
                ["redis-cli", "-p", str(self.port), "ping"],
                capture_output=True,
                text=True,
                check=False,
            )
            if ping.stdout.strip() == "PONG":
                return
            time.sleep(0.05)
        self.stop()
        raise AssertionError("redis-server did not start")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


@pytest.fixture
def own_redis(redis_url: str, tmp_path: Path) -> Iterator[RedisServer]:
    """A Redis this test may stop (gated like every Redis test by `redis_url`)."""
    redis = RedisServer(tmp_path / "redis")
    redis.start()
    try:
        yield redis
    finally:
        redis.stop()


@contextlib.asynccontextmanager
async def started(broker: RedisBroker) -> AsyncIterator[RedisBroker]:
    await broker.start()
    try:
        yield broker
    finally:
        await broker.close()


def _notice(event_id: int) -> Notice:
    return Notice(event_id=event_id, kind="MESSAGE_RECEIVED", establishment_id=1, seeker_id=2)


async def _eventually(condition: Any, seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)


# --- The broker itself ------------------------------------------------------------------------


async def test_one_connection_fans_out_to_every_listener_of_the_process(redis_url: str) -> None:
    channel = f"test:{uuid.uuid4()}"
    async with (
        started(RedisBroker(redis_url, channel=channel)) as receiving,
        started(RedisBroker(redis_url, channel=channel)) as sending,
        receiving.listen() as first,
        receiving.listen() as second,
        Redis.from_url(redis_url) as redis,
    ):
        # Two listeners, one subscriber connection for the process (the other is `sending`).
        assert receiving.listener_count == 2
        assert await redis.pubsub_numsub(channel) == [(channel.encode(), 2)]

        await sending.publish(_notice(7))
        await sending.publish(_notice(8))

        for notices in (first, second):
            assert [await anext(notices), await anext(notices)] == [_notice(7), _notice(8)]


async def test_losing_redis_ends_listeners_and_fails_publishing_until_it_is_back(
    own_redis: RedisServer,
) -> None:
    async with started(
        RedisBroker(own_redis.url, reconnect_delay=0.05, max_reconnect_delay=0.2)
    ) as broker:
        async with broker.listen() as notices:
            await asyncio.to_thread(own_redis.stop)
            with pytest.raises(BrokerUnavailable):
                await asyncio.wait_for(anext(notices), 10)
        assert not broker.connected
        with pytest.raises(BrokerUnavailable):
            await broker.publish(_notice(1))
        with pytest.raises(BrokerUnavailable):
            async with broker.listen():
                pass

        await asyncio.to_thread(own_redis.start)
        await _eventually(lambda: broker.connected)
        async with broker.listen() as notices:
            await broker.publish(_notice(2))
            assert await asyncio.wait_for(anext(notices), 10) == _notice(2)


async def test_a_broker_started_without_redis_serves_once_redis_answers(
    redis_url: str, tmp_path: Path
) -> None:
    redis = RedisServer(tmp_path / "redis")
    async with started(RedisBroker(redis.url, timeout=0.2, reconnect_delay=0.05)) as broker:
        assert not broker.connected
        await asyncio.to_thread(redis.start)
        try:
            await _eventually(lambda: broker.connected)
        finally:
            await asyncio.to_thread(redis.stop)


# --- Across uvicorn processes -----------------------------------------------------------------


@dataclass
class Scene:
    """An employer and a seeker with an application, with sessions valid by the real clock."""

    employer_token: str
    seeker_token: str
    application_id: str


async def _session(user: User) -> str:
    # The child processes run on the real clock, the test server on its movable one.
    token = new_token()
    now = dt.datetime.now(dt.UTC)
    await Session.create(
        user=user,
        token_hash=keyed_hash(TEST_SECRET_KEY, SESSION_PURPOSE, token),
        created_at=now,
        expires_at=now + dt.timedelta(hours=1),
    )
    return token


async def _latest_cursor() -> str:
    """A cursor at the end of the stored events: a subscription from it misses nothing later."""
    latest = await Event.all().order_by("-id").first()
    return event_cursor(latest.id if latest else 0)


@pytest.fixture
async def scene(server: Server, staff: GraphQLClient, employer: GraphQLClient) -> Scene:
    posting = await flows.active_posting(employer, staff)
    seeker = await User.create(
        portal=Portal.SEEKER,
        email="seeker@redis.example.jp",
        password_hash=await hash_password("Seeker#pass1", server.settings.bcrypt_rounds),
        created_at=server.clock.now(),
    )
    now = server.clock.now()
    stored_posting = await Posting.get(posting_number=posting["postingNumber"])
    application = await Application.create(
        posting=stored_posting,
        establishment_id=stored_posting.establishment_id,
        seeker=seeker,
        source=ApplicationSource.ONLINE,
        status=ApplicationStatus.APPLIED,
        created_at=now,
        updated_at=now,
    )
    employer_user = await user_of(server, employer)
    return Scene(
        employer_token=await _session(employer_user),
        seeker_token=await _session(seeker),
        application_id=str(relay.GlobalID("Application", str(application.id))),
    )


async def send(http: httpx.AsyncClient, token: str, application_id: str, body: str) -> None:
    """`messageSend` by the seeker, through the API of one process."""
    client = GraphQLClient(http)
    client.token = token
    data = await client.execute(
        MESSAGE_SEND, {"input": {"applicationId": application_id, "body": body}}
    )
    assert data["messageSend"]["errors"] == [], data


@pytest.mark.slow
async def test_a_message_sent_through_one_process_reaches_a_subscriber_of_the_other(
    server: Server, scene: Scene, tmp_path: Path, redis_url: str
) -> None:
    async with (
        two_processes(tmp_path, server.settings.database_url, REDIS_URL=redis_url) as (
            first,
            second,
        ),
        httpx.AsyncClient(base_url=first.url, timeout=30) as http,
        GraphQLWebSocket.connected(second.url, scene.employer_token) as ws,
    ):
        op = await ws.subscribe(MESSAGE_RECEIVED, {"after": await _latest_cursor()})

        await send(http, scene.seeker_token, scene.application_id, "別のプロセスから")

        data = await ws.next(op)
        assert data["messageReceived"]["message"] == {
            "body": "別のプロセスから",
            "sender": "SEEKER",
        }


STATUS_CHANGED = """
subscription ($after: String) {
  applicationStatusChanged(after: $after) { cursor fromStatus toStatus application { id } }
}"""

STATUS_UPDATE = """
mutation ($input: ApplicationStatusUpdateInput!) {
  applicationStatusUpdate(input: $input) { errors { code message } }
}"""


@pytest.mark.slow
async def test_a_status_change_made_through_one_process_reaches_both_sides_on_the_other(
    server: Server, scene: Scene, tmp_path: Path, redis_url: str
) -> None:
    async with (
        two_processes(tmp_path, server.settings.database_url, REDIS_URL=redis_url) as (
            first,
            second,
        ),
        httpx.AsyncClient(base_url=first.url, timeout=30) as http,
        GraphQLWebSocket.connected(second.url, scene.employer_token) as employer_ws,
        GraphQLWebSocket.connected(second.url, scene.seeker_token) as seeker_ws,
    ):
        after = await _latest_cursor()
        employer_op = await employer_ws.subscribe(STATUS_CHANGED, {"after": after})
        seeker_op = await seeker_ws.subscribe(STATUS_CHANGED, {"after": after})
        employer = GraphQLClient(http)
        employer.token = scene.employer_token

        data = await employer.execute(
            STATUS_UPDATE,
            {"input": {"applicationId": scene.application_id, "status": "SCREENING"}},
        )

        assert data["applicationStatusUpdate"]["errors"] == []
        for ws, op in ((employer_ws, employer_op), (seeker_ws, seeker_op)):
            change = (await ws.next(op))["applicationStatusChanged"]
            assert (change["fromStatus"], change["toStatus"]) == ("APPLIED", "SCREENING")
            assert change["application"]["id"] == scene.application_id


@contextlib.asynccontextmanager
async def resubscribed(
    url: str, token: str, after: str
) -> AsyncIterator[tuple[GraphQLWebSocket, str, dict[str, Any]]]:
    """Reconnect as a client does after a retryable close, until the server takes the
    subscription again; the socket, the operation and its first result."""
    deadline = time.monotonic() + 20
    while True:
        async with GraphQLWebSocket.connected(url, token) as ws:
            op = await ws.subscribe(MESSAGE_RECEIVED, {"after": after})
            try:
                first = await ws.next(op, within=5)
            except Closed as closed:
                refused = closed
            else:
                yield ws, op, first
                return
        assert refused.code == RETRY_LATER_CLOSE_CODE, refused
        assert time.monotonic() < deadline, "the subscription was not accepted again"
        await asyncio.sleep(0.2)


@pytest.mark.slow
async def test_redis_stopped_and_started_during_a_conversation_loses_nothing(
    server: Server, scene: Scene, tmp_path: Path, own_redis: RedisServer
) -> None:
    async with (
        two_processes(tmp_path, server.settings.database_url, REDIS_URL=own_redis.url) as (
            first,
            second,
        ),
        httpx.AsyncClient(base_url=first.url, timeout=30) as http,
    ):
        async with GraphQLWebSocket.connected(second.url, scene.employer_token) as ws:
            op = await ws.subscribe(MESSAGE_RECEIVED, {"after": await _latest_cursor()})
            await send(http, scene.seeker_token, scene.application_id, "1")
            cursor = (await ws.next(op))["messageReceived"]["cursor"]

            await asyncio.to_thread(own_redis.stop)
            closed = await ws.closed()
            assert closed.code == RETRY_LATER_CLOSE_CODE

        # Redis is down: writes succeed all the same.
        for body in ("2", "3", "4"):
            await send(http, scene.seeker_token, scene.application_id, body)

        await asyncio.to_thread(own_redis.start)
        async with resubscribed(second.url, scene.employer_token, cursor) as (
            ws,
            op,
            first_replayed,
        ):
            replayed = [first_replayed] + [await ws.next(op) for _ in range(2)]
            assert [r["messageReceived"]["message"]["body"] for r in replayed] == ["2", "3", "4"]
            await ws.nothing_within(0.5)

            # Live again across the processes.
            await send(http, scene.seeker_token, scene.application_id, "5")
            live = await ws.next(op)
            assert live["messageReceived"]["message"]["body"] == "5"
            await ws.nothing_within(0.3)
