"""Days and moments as the service's pages (the dashboard, the counter page) write them: in
Asia/Tokyo with the Japanese era, as the printed 求人票 does — 「令和8年12月1日」 and
「令和8年12月1日 18:12」 — while each `<time datetime=…>` keeps the ISO value."""

from __future__ import annotations

import datetime as dt
import re

from playwright.async_api import Page

from app.clock import TOKYO

REIWA = dt.date(2019, 5, 1)
"""The first day of 令和 (the pages only ever show days after it)."""

# Any other way of writing a day: ISO, slashes, a Western year in Japanese, a raw timestamp.
OTHER_FORMATS = re.compile(
    r"\b\d{4}-\d{2}-\d{2}\b|\b\d{4}/\d{1,2}/\d{1,2}\b|\b(?:19|20)\d{2}年|\d{2}:\d{2}:\d{2}"
)


def japanese_date(day: str | dt.date) -> str:
    """A GraphQL Date (a day in Tokyo) as the pages write it."""
    date = day if isinstance(day, dt.date) else dt.date.fromisoformat(day)
    assert date >= REIWA, date
    year = date.year - 2018
    # The first year of an era is 元年, as Chromium writes it too.
    return f"令和{'元' if year == 1 else year}年{date.month}月{date.day}日"


def japanese_time(moment: str | dt.datetime) -> str:
    """A GraphQL DateTime as the pages write it: the Tokyo day and a 24-hour time."""
    at = moment if isinstance(moment, dt.datetime) else dt.datetime.fromisoformat(moment)
    tokyo = at.astimezone(TOKYO)
    return f"{japanese_date(tokyo.date())} {tokyo.hour}:{tokyo.minute:02d}"


TIMES = """() => [...document.querySelectorAll("time")].map(
  (time) => [time.dateTime, time.textContent]
)"""


async def assert_dates_in_era(page: Page) -> int:
    """Every `<time>` of the page (shown or not) reads its own ISO `datetime` in the era format,
    and the text shown holds no day written another way. The number of `<time>` checked."""
    times = await page.evaluate(TIMES)
    for iso, text in times:
        assert iso, text
        expected = japanese_date(iso) if len(iso) == 10 else japanese_time(iso)
        assert text == expected, (iso, text)
    shown = await page.locator("body").inner_text()
    assert OTHER_FORMATS.findall(shown) == [], OTHER_FORMATS.findall(shown)
    return len(times)
