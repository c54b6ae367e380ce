"""Worker threads for CPU-heavy work (password hashing, image decoding), each kind within a
limit of its own so that a burst of it queues instead of taking every core from the event
loop and the requests it serves."""

from __future__ import annotations

import asyncio
import os
import weakref
from collections.abc import Callable
from typing import TypeVar

import anyio
import anyio.to_thread

T = TypeVar("T")

CORES = os.cpu_count() or 2


class ThreadLimit:
    """At most `size` threads at once run work of this kind (per event loop: anyio's limiter
    belongs to the loop it was first used in, and tests run several loops)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._limiters: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, anyio.CapacityLimiter
        ] = weakref.WeakKeyDictionary()

    async def run(self, function: Callable[..., T], *args: object) -> T:
        """`function(*args)` in a worker thread, once one of the `size` places is free."""
        loop = asyncio.get_running_loop()
        limiter = self._limiters.get(loop)
        if limiter is None:
            limiter = self._limiters[loop] = anyio.CapacityLimiter(self.size)
        return await anyio.to_thread.run_sync(function, *args, limiter=limiter)
