"""The event broker: tells every subscription that an event was stored.

Only a notice travels (the event's id, kind and audience); subscriptions read the event
itself from the database, which is also where a reconnecting client's replay comes from.
Without `REDIS_URL` an in-process broker serves one process; with it, `RedisBroker` carries
the notices to every server process through Redis pub/sub.

Each process keeps its listeners by `Key`: the kind of event and the audience they serve.
A notice is put only into the listeners of the keys it names, so an event wakes the
subscriptions of its own establishment, seeker or office, not every subscription of the
process. The key is an index, not a permission: each subscription still checks every notice
it is given against its audience.

The broker also tells every process which sessions have just ended (logout, a login removed,
a password reset, a withdrawal), so that each closes the WebSockets opened with them. Such a
notice may be lost like any other; the sockets check their session again before every
operation and when it would time out (`app.sockets`).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Literal, NamedTuple, Protocol

import orjson
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from app.observability import observe_broker_lag

log = logging.getLogger(__name__)

CHANNEL = "hellowork:events"
SESSIONS_CHANNEL = "hellowork:sessions"

SessionsEndedCallback = Callable[[list[int]], None]
"""Told the ids of sessions that ended (in any process); must not block."""

Side = Literal["establishment", "seeker", "office"]


class Key(NamedTuple):
    """What one listener hears: the notices of one kind of event that name one establishment,
    seeker or office, e.g. `Key("MESSAGE_RECEIVED", "establishment", 42)`. No notice names
    an id of None (the key of an audience that names nobody)."""

    kind: str
    side: Side
    id: int | None


@dataclass(frozen=True)
class Notice:
    event_id: int
    kind: str
    establishment_id: int
    seeker_id: int
    office_id: int | None = None
    """The office whose staff see the event (a change of its review queue), else None."""
    published_at: float | None = field(default_factory=time.time, compare=False)
    """When the notice was made (Unix time, for the broker lag metric; not part of what the
    notice says). The wall clock, not the service's: it is compared across processes, and
    tests move the service's clock. None when the publisher did not send it."""

    def listener_keys(self) -> tuple[Key, ...]:
        """The keys whose listeners this notice is for: its establishment's and its seeker's,
        and its office's when it names one."""
        keys = (
            Key(self.kind, "establishment", self.establishment_id),
            Key(self.kind, "seeker", self.seeker_id),
        )
        if self.office_id is None:
            return keys
        return (*keys, Key(self.kind, "office", self.office_id))


class BrokerUnavailable(RuntimeError):
    """The broker lost its connection; listeners must reconnect later."""


class Broker(Protocol):
    async def start(self) -> None: ...

    async def publish(self, notice: Notice) -> None: ...

    def listen(
        self, key: Key | None = None
    ) -> contextlib.AbstractAsyncContextManager[AsyncIterator[Notice]]:
        """The notices of `key` from now on, in publish order; without a key, every notice."""
        ...

    @property
    def listener_count(self) -> int:
        """The listeners of this process."""
        ...

    @property
    def parked_count(self) -> int:
        """The listeners of this process waiting for a notice, with none held for them."""
        ...

    def listened_keys(self) -> dict[Key | None, int]:
        """How many listeners of this process listen under each key (None: to every notice)."""
        ...

    async def publish_sessions_ended(self, session_ids: Sequence[int]) -> None: ...

    def on_sessions_ended(self, callback: SessionsEndedCallback) -> Callable[[], None]:
        """Call `callback` with every notice of ended sessions; returns the way to stop."""
        ...

    async def close(self) -> None: ...


@contextlib.asynccontextmanager
async def running(broker: Broker) -> AsyncIterator[Broker]:
    """The broker, started for the lifetime of the application."""
    await broker.start()
    try:
        yield broker
    finally:
        await broker.close()


@dataclass(frozen=True)
class _Lost:
    reason: str


class _Listener:
    """One listener's notices, in arrival order, none dropped: handed straight to it when it
    waits, else held until it asks. Lighter than an `asyncio.Queue` (no task accounting, no
    putters), which matters with thousands of idle subscriptions; it is its own context
    manager (registered while entered), so no generator frames are held per listener either.
    """

    __slots__ = ("_fanout", "_held", "_key", "_waiter")

    def __init__(self, fanout: _Fanout, key: Key | None) -> None:
        self._fanout = fanout
        self._key = key
        self._held: deque[Notice | _Lost] | None = None
        self._waiter: asyncio.Future[Notice | _Lost] | None = None

    @property
    def parked(self) -> bool:
        return self._waiter is not None and not self._waiter.done()

    def put(self, item: Notice | _Lost) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(item)
        elif self._held is None:
            self._held = deque((item,))
        else:
            self._held.append(item)

    async def __aenter__(self) -> _Listener:
        self._fanout.add(self._key, self)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._fanout.remove(self._key, self)

    def __aiter__(self) -> _Listener:
        return self

    async def __anext__(self) -> Notice:
        if self._held:
            item = self._held.popleft()
        else:
            self._held = None  # a listener that caught up holds no buffer
            waiter = self._waiter = asyncio.get_running_loop().create_future()
            try:
                item = await waiter
            except asyncio.CancelledError:
                # Cancelled after the notice was handed over: keep it, first in line.
                if waiter.done() and not waiter.cancelled():
                    self._held = deque((waiter.result(), *(self._held or ())))
                raise
            finally:
                self._waiter = None
        if isinstance(item, _Lost):
            raise BrokerUnavailable(item.reason)
        observe_broker_lag(item.published_at)
        return item


class _Fanout:
    """The listeners of this process by key, each fed in arrival order."""

    def __init__(self) -> None:
        self._by_key: dict[Key, set[_Listener]] = {}
        self._of_every_notice: set[_Listener] = set()

    def _all(self) -> list[_Listener]:
        return [
            listener
            for listeners in (self._of_every_notice, *self._by_key.values())
            for listener in listeners
        ]

    def __len__(self) -> int:
        return len(self._all())

    @property
    def parked_count(self) -> int:
        return sum(listener.parked for listener in self._all())

    def key_counts(self) -> dict[Key | None, int]:
        found: dict[Key | None, int] = {key: len(ls) for key, ls in self._by_key.items()}
        if self._of_every_notice:
            found[None] = len(self._of_every_notice)
        return found

    def listener(self, key: Key | None) -> _Listener:
        """A listener to the notices of `key` (of every notice without), while entered."""
        return _Listener(self, key)

    def add(self, key: Key | None, listener: _Listener) -> None:
        if key is None:
            self._of_every_notice.add(listener)
        else:
            self._by_key.setdefault(key, set()).add(listener)

    def remove(self, key: Key | None, listener: _Listener) -> None:
        if key is None:
            self._of_every_notice.discard(listener)
            return
        listeners = self._by_key.get(key)
        if listeners is not None:
            listeners.discard(listener)
            if not listeners:
                del self._by_key[key]

    def deliver(self, notice: Notice) -> None:
        for key in notice.listener_keys():
            for listener in self._by_key.get(key, ()):
                listener.put(notice)
        for listener in self._of_every_notice:
            listener.put(notice)

    def fail(self, reason: str) -> None:
        """End every current listener with `BrokerUnavailable` (after what it already has)."""
        lost = _Lost(reason)
        for listener in self._all():
            listener.put(lost)
        self._by_key.clear()
        self._of_every_notice.clear()


class _SessionEndings:
    """The callbacks told of ended sessions in this process."""

    def __init__(self) -> None:
        self._callbacks: list[SessionsEndedCallback] = []

    def add(self, callback: SessionsEndedCallback) -> Callable[[], None]:
        self._callbacks.append(callback)
        return lambda: self._callbacks.remove(callback)

    def deliver(self, session_ids: list[int]) -> None:
        for callback in list(self._callbacks):
            try:
                callback(session_ids)
            except Exception:  # one broken listener must not keep the others from hearing
                log.exception("a listener of ended sessions failed")


class _Listeners:
    """What a broker tells of its listeners (`Broker.listener_count` and the rest)."""

    _fanout: _Fanout

    @property
    def listener_count(self) -> int:
        return len(self._fanout)

    @property
    def parked_count(self) -> int:
        return self._fanout.parked_count

    def listened_keys(self) -> dict[Key | None, int]:
        return self._fanout.key_counts()


class InProcessBroker(_Listeners):
    """Fans notices out to the listeners of this process, in publish order."""

    def __init__(self) -> None:
        self._fanout = _Fanout()
        self._session_endings = _SessionEndings()

    async def start(self) -> None:
        pass

    async def publish(self, notice: Notice) -> None:
        self._fanout.deliver(notice)

    def listen(
        self, key: Key | None = None
    ) -> contextlib.AbstractAsyncContextManager[AsyncIterator[Notice]]:
        return self._fanout.listener(key)

    async def publish_sessions_ended(self, session_ids: Sequence[int]) -> None:
        if session_ids:
            self._session_endings.deliver(list(session_ids))

    def on_sessions_ended(self, callback: SessionsEndedCallback) -> Callable[[], None]:
        return self._session_endings.add(callback)

    async def close(self) -> None:
        self._fanout.fail("the broker was closed")


def encode_notice(notice: Notice) -> bytes:
    return orjson.dumps(dataclasses.asdict(notice))


def decode_notice(data: bytes | str) -> Notice:
    fields: dict[str, Any] = orjson.loads(data)
    return Notice(
        event_id=int(fields["event_id"]),
        kind=str(fields["kind"]),
        establishment_id=int(fields["establishment_id"]),
        seeker_id=int(fields["seeker_id"]),
        office_id=None if fields.get("office_id") is None else int(fields["office_id"]),
        published_at=float(fields["published_at"]) if "published_at" in fields else None,
    )


def decode_session_ids(data: bytes | str) -> list[int]:
    ids = orjson.loads(data)
    if not isinstance(ids, list) or not all(type(i) is int for i in ids):
        raise ValueError("not a list of session ids")
    return ids


class RedisBroker(_Listeners):
    """Notices through one Redis pub/sub channel, to every server process.

    Each process holds ONE subscriber connection, read by one task that hands each notice
    to the local listeners of its keys (the subscriptions of this process). Pub/sub is
    at-most-once: what is published while the connection is down is gone. So when the
    connection drops, every listener ends with `BrokerUnavailable` (its client reconnects
    with its cursor and replays from the stored events), and `listen()` refuses until the
    connection is back; the task reconnects by itself, with a growing delay. Publishing uses
    a separate connection and raises `BrokerUnavailable` on failure; the event is stored all
    the same.
    """

    def __init__(
        self,
        url: str,
        *,
        channel: str = CHANNEL,
        sessions_channel: str = SESSIONS_CHANNEL,
        timeout: float = 2.0,
        reconnect_delay: float = 0.1,
        max_reconnect_delay: float = 2.0,
    ) -> None:
        self.url = url
        self.channel = channel
        self.sessions_channel = sessions_channel
        self._timeout = timeout
        self._reconnect_delay = reconnect_delay
        self._max_reconnect_delay = max_reconnect_delay
        self._fanout = _Fanout()
        self._session_endings = _SessionEndings()
        self._publisher: Redis | None = None
        self._subscriber: Redis | None = None
        self._task: asyncio.Task[None] | None = None
        self._connected = asyncio.Event()

    @property
    def connected(self) -> bool:
        """Whether the subscriber connection is up (and notices reach listeners)."""
        return self._connected.is_set()

    async def start(self) -> None:
        """Connect in the background; wait a moment for the first connection, never fail:
        the service serves without Redis, subscriptions are refused until it answers."""
        # No silent retries: a dropped connection must be seen, so listeners learn of the gap.
        self._subscriber = Redis.from_url(
            self.url, socket_connect_timeout=self._timeout, retry=Retry(NoBackoff(), 0)
        )
        self._publisher = Redis.from_url(
            self.url,
            socket_connect_timeout=self._timeout,
            socket_timeout=self._timeout,
            retry=Retry(NoBackoff(), 1),
        )
        self._task = asyncio.create_task(self._run(), name="redis-broker")
        try:
            async with asyncio.timeout(self._timeout):
                await self._connected.wait()
        except TimeoutError:
            log.warning("Redis at %s does not answer yet; subscriptions wait for it", self.url)

    async def publish(self, notice: Notice) -> None:
        if self._publisher is None:
            raise BrokerUnavailable("the broker is not started")
        try:
            await self._publisher.publish(self.channel, encode_notice(notice))
        except (RedisError, OSError) as exc:
            raise BrokerUnavailable(f"could not publish event {notice.event_id}: {exc}") from exc

    def listen(
        self, key: Key | None = None
    ) -> contextlib.AbstractAsyncContextManager[AsyncIterator[Notice]]:
        if not self.connected:
            raise BrokerUnavailable("Redis is not connected")
        return self._fanout.listener(key)

    async def publish_sessions_ended(self, session_ids: Sequence[int]) -> None:
        """Tell every process, this one included (through Redis, like the others)."""
        if not session_ids:
            return
        if self._publisher is None:
            raise BrokerUnavailable("the broker is not started")
        try:
            await self._publisher.publish(self.sessions_channel, orjson.dumps(list(session_ids)))
        except (RedisError, OSError) as exc:
            raise BrokerUnavailable(f"could not publish ended sessions: {exc}") from exc

    def on_sessions_ended(self, callback: SessionsEndedCallback) -> Callable[[], None]:
        return self._session_endings.add(callback)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        self._connected.clear()
        self._fanout.fail("the broker was closed")
        for client in (self._subscriber, self._publisher):
            if client is not None:
                await client.aclose()
        self._subscriber = self._publisher = None

    async def _run(self) -> None:
        delay = self._reconnect_delay
        while True:
            try:
                await self._subscribe_and_read()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # any failure of the connection: tell, then reconnect
                if self.connected:
                    log.warning("lost the Redis connection (%s); closing subscriptions", exc)
                    delay = self._reconnect_delay
                else:
                    log.debug("Redis still unavailable: %s", exc)
            finally:
                self._connected.clear()
                self._fanout.fail("the connection to Redis was lost")
            await asyncio.sleep(delay)
            delay = min(delay * 2, self._max_reconnect_delay)

    async def _subscribe_and_read(self) -> None:
        assert self._subscriber is not None
        pubsub = self._subscriber.pubsub()
        try:
            await pubsub.subscribe(self.channel, self.sessions_channel)
            # Listeners are accepted only once Redis confirmed the subscriptions: a notice
            # published before that would otherwise be missed without anyone knowing.
            confirmed = 0
            async with asyncio.timeout(self._timeout):
                while confirmed < 2:
                    message = await pubsub.get_message(timeout=self._timeout) or {}
                    confirmed += message.get("type") == "subscribe"
            self._connected.set()
            log.info("subscribed to Redis channels %s, %s", self.channel, self.sessions_channel)
            while True:
                message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=None)
                if message is None or message.get("type") != "message":
                    continue
                self._dispatch(message)
        finally:
            # redis-py before 8.2 leaves it untyped; 8.2 types it.
            await pubsub.aclose()  # type: ignore[no-untyped-call,unused-ignore]

    def _dispatch(self, message: dict[str, Any]) -> None:
        channel = message.get("channel")
        if isinstance(channel, bytes):
            channel = channel.decode()
        try:
            if channel == self.sessions_channel:
                self._session_endings.deliver(decode_session_ids(message["data"]))
            else:
                self._fanout.deliver(decode_notice(message["data"]))
        except (ValueError, KeyError, TypeError):
            log.exception("ignoring a malformed notice on %s", channel)
