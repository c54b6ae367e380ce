"""Days Hello Work offices are closed (閉庁日), and the due dates that step back over them.

An office is closed on the holidays of the administrative organs (行政機関の休日に関する法律,
第1条): Saturdays and Sundays, national holidays (国民の祝日, with 振替休日 and 国民の休日,
from the `holidays` package) and the year-end closure from 29 December to 3 January.
"""

from __future__ import annotations

import datetime as dt
from functools import cache

from holidays.countries.japan import Japan

COUNTER_REGISTRATION_DAYS = 14
"""本登録 at the counter is due within this many days of the online 仮登録."""

_SATURDAY = 5


@cache
def _national_holidays(year: int) -> frozenset[dt.date]:
    if not Japan.start_year <= year <= Japan.end_year:
        # Outside its years the package answers "no holidays", which would be wrong here.
        raise ValueError(f"national holidays are not known for {year}")
    return frozenset(Japan(years=year))


def _year_end_closure(day: dt.date) -> bool:
    return (day.month == 12 and day.day >= 29) or (day.month == 1 and day.day <= 3)


def is_closed(day: dt.date) -> bool:
    """Whether offices are closed on `day`."""
    return (
        day.weekday() >= _SATURDAY or _year_end_closure(day) or day in _national_holidays(day.year)
    )


def previous_opening_day(day: dt.date) -> dt.date:
    """`day` itself when offices are open then, else the nearest earlier day they are."""
    while is_closed(day):
        day -= dt.timedelta(days=1)
    return day


def counter_due_date(submitted_on: dt.date) -> dt.date:
    """The last day for 本登録 of a posting whose 仮登録 was `submitted_on`: 14 days later,
    or the opening day before that when offices are closed then."""
    return previous_opening_day(submitted_on + dt.timedelta(days=COUNTER_REGISTRATION_DAYS))
