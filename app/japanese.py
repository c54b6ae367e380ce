"""Japanese-specific formatting and input checks."""

from __future__ import annotations

import datetime as dt

from app.clock import TOKYO

# (first day, era name), newest first.
_ERAS = (
    (dt.date(2019, 5, 1), "令和"),
    (dt.date(1989, 1, 8), "平成"),
    (dt.date(1926, 12, 25), "昭和"),
)


def japanese_era_date(day: dt.date) -> str:
    """`2026-12-15` → `令和8年12月15日`; the first year of an era is 元年."""
    for first_day, era in _ERAS:
        if day >= first_day:
            year = day.year - first_day.year + 1
            year_text = "元" if year == 1 else str(year)
            return f"{era}{year_text}年{day.month}月{day.day}日"
    raise ValueError(f"no era for {day}")


def tokyo_minute(moment: dt.datetime) -> str:
    """A moment as mails tell it, in Tokyo to the minute: `2026年12月15日 10時30分`."""
    return f"{moment.astimezone(TOKYO):%Y年%m月%d日 %H時%M分}"


def is_half_width(text: str) -> bool:
    """Printable ASCII without spaces: what the forms call 半角."""
    return all("!" <= ch <= "~" for ch in text)
