"""Regional minimum wages (地域別最低賃金): each prefecture's hourly figures and the days they
took effect, as shipped in `app/data/minimum_wages.json`, and the one in force on a day.

A new revision (every autumn) is a new first entry in each prefecture's `revisions` there; the
file is read and checked once, at import, so a mistake in it stops the service from starting.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
from dataclasses import dataclass
from importlib.resources import files
from typing import Any

DATA_FILE = "data/minimum_wages.json"
PREFECTURE_COUNT = 47


@dataclass(frozen=True)
class Revision:
    """A prefecture's minimum wage: `yen` an hour from `effective_from` (発効年月日) on."""

    yen: int
    effective_from: dt.date


@dataclass(frozen=True)
class _Table:
    source: str
    revisions: dict[str, tuple[Revision, ...]]
    """Newest first, by prefecture in JIS order (北海道 … 沖縄県)."""


def _require(condition: bool, problem: str) -> None:
    if not condition:
        raise ValueError(f"{DATA_FILE}: {problem}")


def _revision(prefecture: str, entry: Any) -> Revision:
    _require(isinstance(entry, dict), f"{prefecture}: a revision is not an object")
    yen = entry.get("yen")
    _require(
        isinstance(yen, int) and not isinstance(yen, bool) and yen > 0,
        f"{prefecture}: yen {yen!r} is not a positive whole number",
    )
    effective_from = entry.get("effective_from")
    _require(isinstance(effective_from, str), f"{prefecture}: effective_from is not a string")
    try:
        day = dt.date.fromisoformat(effective_from)
    except ValueError as exc:
        raise ValueError(f"{DATA_FILE}: {prefecture}: effective_from {effective_from!r}") from exc
    return Revision(yen=yen, effective_from=day)


def _parse(document: Any) -> _Table:
    """The table of a decoded data file, checked: 47 distinct prefectures, each with at least
    one revision and their days strictly newest first (ascending from the oldest)."""
    _require(isinstance(document, dict), "not a JSON object")
    source = document.get("source")
    _require(
        isinstance(source, dict)
        and isinstance(source.get("name"), str)
        and isinstance(source.get("url"), str),
        "source needs a name and a url",
    )
    prefectures = document.get("prefectures")
    _require(isinstance(prefectures, list), "prefectures is not a list")
    _require(
        len(prefectures) == PREFECTURE_COUNT,
        f"{len(prefectures)} prefectures, not {PREFECTURE_COUNT}",
    )
    table: dict[str, tuple[Revision, ...]] = {}
    for entry in prefectures:
        _require(isinstance(entry, dict), "a prefecture is not an object")
        name = entry.get("name")
        _require(isinstance(name, str) and bool(name), "a prefecture has no name")
        _require(name not in table, f"{name} appears twice")
        listed = entry.get("revisions")
        _require(isinstance(listed, list) and bool(listed), f"{name}: no revisions")
        found = tuple(_revision(name, revision) for revision in listed)
        days = [revision.effective_from for revision in found]
        _require(
            all(newer > older for newer, older in itertools.pairwise(days)),
            f"{name}: revisions are not newest first, or two share a day",
        )
        table[name] = found
    unverified = document.get("unverified", [])
    _require(
        isinstance(unverified, list) and all(name in table for name in unverified),
        "unverified names a prefecture that is not listed",
    )
    return _Table(source=f"{source['name']} {source['url']}", revisions=table)


_TABLE = _parse(json.loads(files("app").joinpath(DATA_FILE).read_text(encoding="utf-8")))

PREFECTURES: tuple[str, ...] = tuple(_TABLE.revisions)
"""The 47 prefectures in JIS order (北海道 … 沖縄県), by their full names (東京都)."""

SOURCE: str = _TABLE.source
"""Where the figures come from: the page's name and address."""


def revisions(prefecture: str) -> tuple[Revision, ...]:
    """Every revision of `prefecture` that the data holds, newest first."""
    found = _TABLE.revisions.get(prefecture)
    if found is None:
        raise ValueError(f"unknown prefecture: {prefecture!r}")
    return found


def in_force(prefecture: str, on: dt.date) -> Revision | None:
    """The revision in force in `prefecture` on `on`: the one that took effect last, on or
    before that day; None before the oldest one the data holds."""
    return next((r for r in revisions(prefecture) if r.effective_from <= on), None)
