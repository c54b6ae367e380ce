"""The event broker: tells every subscription that an event was stored.

Only a notice travels (the event's id, kind and audience); subscriptions read the event
itself from the database, which is also where a reconnecting client's replay comes from.
Without `REDIS_URL` an in-process broker serves one process.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Notice:
    event_id: int
    kind: str
    establishment_id: int
    seeker_id: int


class BrokerUnavailable(RuntimeError):
    """The broker lost its connection; listeners must reconnect later."""


class Broker(Protocol):
    async def publish(self, notice: Notice) -> None: ...

    def listen(self) -> contextlib.AbstractAsyncContextManager[AsyncIterator[Notice]]: ...

    async def close(self) -> None: ...


class InProcessBroker:
    """Fans notices out to the listeners of this process, in publish order."""

    def __init__(self) -> None:
        self._queues: set[asyncio.Queue[Notice]] = set()

    async def publish(self, notice: Notice) -> None:
        for queue in self._queues:
            queue.put_nowait(notice)

    @contextlib.asynccontextmanager
    async def listen(self) -> AsyncIterator[AsyncIterator[Notice]]:
        queue: asyncio.Queue[Notice] = asyncio.Queue()
        self._queues.add(queue)
        try:
            yield _drain(queue)
        finally:
            self._queues.discard(queue)

    async def close(self) -> None:
        self._queues.clear()


async def _drain(queue: asyncio.Queue[Notice]) -> AsyncIterator[Notice]:
    while True:
        yield await queue.get()
