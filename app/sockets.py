"""The WebSockets open in this process, by session: each is closed once its session ends.

A session ends by a change (logout, a login removed, a password reset, a withdrawal), which
the broker announces to every process, or by time (its idle or absolute timeout), which each
process watches for its own sockets: when a session's deadline passes, the database says
whether it really ended, since another process may have used it meanwhile. A notice can be
lost like any broker message; every operation over a socket checks its session again first
(`app.main.SessionBoundHandler`), so a lost notice never lets an operation through.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import AsyncIterator, Callable, Coroutine, Iterable, Iterator
from typing import Any

from app.models import Session
from app.resolvers.accounts import session_deadline, session_deadlines
from app.runtime import Runtime

log = logging.getLogger(__name__)

SESSION_ENDED_CLOSE_CODE = 4403
"""The close code of a socket whose session ended: graphql-transport-ws's Forbidden, as for a
socket that never had a valid session."""
SESSION_ENDED_CLOSE_REASON = "session ended"

SWEEP_INTERVAL_SECONDS = 0.5
"""How often the deadlines are looked at: a timed-out session's sockets close within this."""

SESSIONS_PER_STATEMENT = 500

Close = Callable[[], Coroutine[Any, Any, None]]


class OpenSockets:
    """The sockets of this process by session, with when each session would time out."""

    def __init__(self, rt: Runtime, *, interval: float = SWEEP_INTERVAL_SECONDS) -> None:
        self._rt = rt
        self._interval = interval
        self._sockets: dict[int, set[Close]] = {}
        self._deadlines: dict[int, dt.datetime] = {}
        self._closing: set[asyncio.Task[None]] = set()

    def __len__(self) -> int:
        return sum(len(sockets) for sockets in self._sockets.values())

    @contextlib.contextmanager
    def opened(self, session: Session, close: Close) -> Iterator[None]:
        """A socket authenticated with `session`, for as long as it is open; `close` closes it."""
        self._sockets.setdefault(session.id, set()).add(close)
        self.used(session)
        try:
            yield
        finally:
            sockets = self._sockets.get(session.id)
            if sockets is not None:
                sockets.discard(close)
                if not sockets:
                    del self._sockets[session.id]
                    self._deadlines.pop(session.id, None)

    def used(self, session: Session) -> None:
        """`session` was just read, live (and its use recorded): its deadline as it stands."""
        if session.id in self._sockets:
            self._deadlines[session.id] = session_deadline(self._rt, session)

    def end(self, session_ids: Iterable[int]) -> None:
        """Close every socket of these sessions (they ended; in this process or another)."""
        for session_id in session_ids:
            self._deadlines.pop(session_id, None)
            for close in self._sockets.pop(session_id, set()):
                task = asyncio.create_task(close(), name=f"close-socket-of-session-{session_id}")
                self._closing.add(task)
                task.add_done_callback(self._closing.discard)

    async def sweep(self) -> None:
        """Close the sockets of the sessions that timed out; push back the deadlines of those
        used meanwhile (in another process, or over HTTP)."""
        now = self._rt.clock.now()
        due = sorted(session_id for session_id, end in self._deadlines.items() if end <= now)
        for start in range(0, len(due), SESSIONS_PER_STATEMENT):
            asked = due[start : start + SESSIONS_PER_STATEMENT]
            live = await session_deadlines(self._rt, asked)
            for session_id, deadline in live.items():
                if session_id in self._deadlines:
                    self._deadlines[session_id] = deadline
            self.end(session_id for session_id in asked if session_id not in live)

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[OpenSockets]:
        """Listen for ended sessions and watch the deadlines, for the life of the app."""
        stop_listening = self._rt.broker.on_sessions_ended(self.end)
        watcher = asyncio.create_task(self._watch(), name="socket-sessions")
        try:
            yield self
        finally:
            stop_listening()
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            try:
                await self.sweep()
            except Exception:  # the database may be away a moment; the next round tries again
                log.exception("could not check the sessions of open WebSockets")
