"""Closed days of Hello Work offices (閉庁日) and the due date of 本登録 that steps back over
them."""

from __future__ import annotations

import datetime as dt

import pytest

from app.closed_days import counter_due_date, is_closed, previous_opening_day


def day(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


@pytest.mark.parametrize(
    ("closed", "why"),
    [
        ("2026-11-28", "Saturday"),
        ("2026-11-29", "Sunday"),
        ("2026-11-03", "文化の日, a Tuesday"),
        ("2026-11-23", "勤労感謝の日, a Monday"),
        ("2025-11-24", "振替休日 for 勤労感謝の日 on a Sunday"),
        ("2026-05-06", "振替休日 for 憲法記念日 on a Sunday"),
        ("2026-09-22", "国民の休日 between 敬老の日 and 秋分の日"),
        ("2026-12-29", "year-end closure, a Tuesday"),
        ("2026-12-31", "year-end closure, a Thursday"),
        ("2027-01-01", "元日"),
        ("2025-01-03", "year-end closure, a Friday"),
    ],
)
def test_closed(closed: str, why: str) -> None:
    assert is_closed(day(closed)), why


@pytest.mark.parametrize(
    ("open_", "why"),
    [
        ("2026-11-27", "a Friday"),
        ("2026-11-02", "the Monday before 文化の日"),
        ("2026-12-28", "a Monday, the last day before the year-end closure"),
        ("2027-01-04", "a Monday, the first day after it"),
        ("2025-12-26", "a Friday, the last opening day before 2025's closure"),
    ],
)
def test_open(open_: str, why: str) -> None:
    assert not is_closed(day(open_)), why


def test_golden_week() -> None:
    days = [day("2026-04-28") + dt.timedelta(days=n) for n in range(10)]  # to 7 May
    closed = [d.isoformat() for d in days if is_closed(d)]
    # 昭和の日 (Wed), then Thursday and Friday open, then Saturday to 振替休日 on Wednesday.
    assert closed == [
        "2026-04-29",
        "2026-05-02",
        "2026-05-03",
        "2026-05-04",
        "2026-05-05",
        "2026-05-06",
    ]


def test_the_whole_year_end_closure() -> None:
    closure = [day("2026-12-29") + dt.timedelta(days=n) for n in range(6)]  # to 3 January
    assert all(is_closed(d) for d in closure)


def test_previous_opening_day() -> None:
    assert previous_opening_day(day("2026-11-27")) == day("2026-11-27")
    assert previous_opening_day(day("2026-11-29")) == day("2026-11-27")
    assert previous_opening_day(day("2026-05-06")) == day("2026-05-01")
    assert previous_opening_day(day("2027-01-03")) == day("2026-12-28")


@pytest.mark.parametrize(
    ("submitted", "due", "landing"),
    [
        ("2026-11-02", "2026-11-16", "an open Monday: the day itself"),
        ("2026-11-14", "2026-11-27", "a Saturday"),
        ("2026-11-01", "2026-11-13", "a Sunday"),
        ("2026-10-20", "2026-11-02", "文化の日"),
        ("2025-11-10", "2025-11-21", "振替休日, then the weekend before it"),
        ("2026-09-08", "2026-09-18", "国民の休日, then 敬老の日 and the weekend"),
        ("2026-04-22", "2026-05-01", "Golden Week's 振替休日"),
        ("2026-12-15", "2026-12-28", "the first day of the year-end closure"),
        ("2026-12-20", "2026-12-28", "its last day, a Sunday"),
    ],
)
def test_counter_due_date(submitted: str, due: str, landing: str) -> None:
    assert counter_due_date(day(submitted)) == day(due), landing


def test_years_without_known_holidays_are_refused() -> None:
    with pytest.raises(ValueError, match="2100"):
        is_closed(day("2100-01-05"))
