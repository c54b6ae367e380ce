"""Which Hello Work office's jurisdiction (管轄区域) holds a municipality (市区町村), as shipped in
`app/data/jurisdictions.json`.

The file is read and checked once, at import, so a mistake in it stops the service from
starting: each office a 5-digit code, a prefecture of `app.wages.PREFECTURES`, and no
municipality under two offices. Its `source.note` says what has still to be checked.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from importlib.resources import files
from typing import Any

from app.wages import PREFECTURES

DATA_FILE = "data/jurisdictions.json"
_OFFICE_CODE = re.compile(r"^[0-9]{5}$")


@dataclass(frozen=True)
class Jurisdiction:
    """The office whose jurisdiction holds a municipality, and the municipality's name as the
    table spells it (青ヶ島村, not 青ケ島村)."""

    office_code: str
    office_name: str
    prefecture: str
    city: str


def _require(condition: bool, problem: str) -> None:
    if not condition:
        raise ValueError(f"{DATA_FILE}: {problem}")


def _key(prefecture: str, city: str) -> tuple[str, str]:
    """How a municipality is looked up: NFKC, without spaces, the prefecture not repeated,
    and ケ read as ヶ (both spellings of 青ヶ島村 are in use)."""
    prefecture = unicodedata.normalize("NFKC", prefecture).strip()
    city = re.sub(r"\s", "", unicodedata.normalize("NFKC", city))
    city = city.removeprefix(prefecture).replace("ケ", "ヶ")
    return prefecture, city


def _parse(document: Any) -> tuple[str, dict[tuple[str, str], Jurisdiction]]:
    _require(isinstance(document, dict), "not a JSON object")
    source = document.get("source")
    _require(
        isinstance(source, dict)
        and all(isinstance(source.get(part), str) for part in ("name", "url", "note")),
        "source needs a name, a url and a note",
    )
    offices = document.get("offices")
    _require(isinstance(offices, list) and bool(offices), "offices is not a list")
    table: dict[tuple[str, str], Jurisdiction] = {}
    codes: set[str] = set()
    for office in offices:
        _require(isinstance(office, dict), "an office is not an object")
        code, name = office.get("code"), office.get("name")
        _require(isinstance(code, str) and bool(_OFFICE_CODE.match(code)), f"code {code!r}")
        _require(code not in codes, f"{code} appears twice")
        _require(isinstance(name, str) and bool(name), f"{code}: no name")
        codes.add(code)
        prefecture = office.get("prefecture")
        _require(prefecture in PREFECTURES, f"{code}: prefecture {prefecture!r}")
        cities = office.get("cities")
        _require(isinstance(cities, list) and bool(cities), f"{code}: no cities")
        for city in cities:
            _require(isinstance(city, str) and bool(city), f"{code}: a city is not a name")
            key = _key(prefecture, city)
            _require(key not in table, f"{prefecture}{city} is under two offices")
            table[key] = Jurisdiction(code, name, prefecture, city)
    return f"{source['name']} {source['url']}", table


SOURCE, _TABLE = _parse(json.loads(files("app").joinpath(DATA_FILE).read_text(encoding="utf-8")))
"""Where the table comes from (its name and address), and the table."""


def is_prefecture(name: str) -> bool:
    """One of the 47 prefectures, by its full name (東京都, 北海道)."""
    return name in PREFECTURES


def jurisdiction(prefecture: str, city: str) -> Jurisdiction | None:
    """The office whose jurisdiction holds `city` of `prefecture`; None when the table has no
    office for it."""
    return _TABLE.get(_key(prefecture, city))


def cities(office_code: str) -> list[str]:
    """The municipalities of the office's jurisdiction, in the table's order."""
    return [found.city for found in _TABLE.values() if found.office_code == office_code]
