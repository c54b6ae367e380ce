"""The one clock of the service; tests move it instead of sleeping."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

TOKYO = ZoneInfo("Asia/Tokyo")


class Clock:
    """Wall-clock time. "Today" is always the date in Asia/Tokyo."""

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)

    def today(self) -> dt.date:
        return self.now().astimezone(TOKYO).date()


class MovableClock(Clock):
    """A clock that stands still until told to move; for tests and demos."""

    def __init__(self, start: dt.datetime | None = None) -> None:
        self._now = dt.datetime.now(dt.UTC)
        if start is not None:
            self.set(start)

    def now(self) -> dt.datetime:
        return self._now

    def set(self, moment: dt.datetime) -> None:
        if moment.tzinfo is None:
            raise ValueError("MovableClock needs an aware datetime")
        # Always UTC, like the real clock: SQLite compares stored datetimes as text.
        self._now = moment.astimezone(dt.UTC)

    def advance(self, **delta: float) -> None:
        self._now += dt.timedelta(**delta)
