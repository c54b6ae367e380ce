"""Answering many subscribers at once: what they ask in the same event-loop tick is answered
by one call.

One notice wakes every subscription of its audience in the same tick, and each then asks the
same questions of the database. `Coalescer.ask` parks the question; once the tick is over, one
call of the answering function gets every question parked meanwhile, and each caller gets its
own answer. There is no cache: a question asked later is asked again.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class Coalescer(Generic[K, V]):
    """Calls of `ask` made in one event-loop tick, answered together by `answer`.

    `answer` gets the questions in the order they were asked (without those whose caller has
    gone meanwhile) and returns one answer for each, in that order. When it fails, every caller
    of the batch gets its exception. Each event loop has its own batches, so one object may
    serve a whole process (tests run many apps and loops one after the other).
    """

    def __init__(self, answer: Callable[[list[K]], Awaitable[Sequence[V]]]) -> None:
        self._answer = answer
        self._parked: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, list[tuple[K, asyncio.Future[V]]]
        ] = weakref.WeakKeyDictionary()
        self._running: set[asyncio.Task[None]] = set()

    async def ask(self, question: K) -> V:
        loop = asyncio.get_running_loop()
        parked = self._parked.get(loop)
        if parked is None:
            parked = self._parked[loop] = []
            # The task's first step runs after everything already woken in this tick.
            task = loop.create_task(self._answer_parked(loop))
            self._running.add(task)
            task.add_done_callback(self._running.discard)
        answer: asyncio.Future[V] = loop.create_future()
        parked.append((question, answer))
        return await answer

    async def _answer_parked(self, loop: asyncio.AbstractEventLoop) -> None:
        waiting = [(q, answer) for q, answer in self._parked.pop(loop) if not answer.done()]
        if not waiting:
            return
        try:
            answers = await self._answer([question for question, _ in waiting])
            if len(answers) != len(waiting):
                raise RuntimeError(f"{len(answers)} answers to {len(waiting)} questions")
        except asyncio.CancelledError:
            for _, future in waiting:
                future.cancel()
            raise
        except Exception as exc:
            for _, future in waiting:
                if not future.done():
                    future.set_exception(exc)
            return
        for (_, future), value in zip(waiting, answers, strict=True):
            if not future.done():
                future.set_result(value)
