"""Regional minimum wages (地域別最低賃金): the shipped data, the figure in force on a day, and
the `minimumWages` query through the server."""

from __future__ import annotations

import datetime as dt
import json
from importlib.resources import files
from typing import Any

import pytest

from app import wages
from app.clock import TOKYO
from tests import flows
from tests.conftest import GraphQLClient, Server

TOKYO_2025 = dt.date(2025, 10, 3)
AKITA_2025 = dt.date(2026, 3, 31)
"""秋田県's 令和7年度 figure takes effect last of all, almost half a year after Tokyo's."""

QUERY = """query ($prefecture: String, $on: Date) {
  minimumWages(prefecture: $prefecture, on: $on) {
    prefecture hourlyWage effectiveFrom revisions { hourlyWage effectiveFrom } source
  }
}"""


def shipped() -> Any:
    """The data file as the installed package holds it."""
    return json.loads(files("app").joinpath(wages.DATA_FILE).read_text(encoding="utf-8"))


# --- The data -------------------------------------------------------------------------------


def test_the_file_lists_the_47_prefectures_in_jis_order() -> None:
    names = [entry["name"] for entry in shipped()["prefectures"]]
    assert len(names) == 47
    assert names[0] == "北海道"
    assert names[12] == "東京都"
    assert names[-1] == "沖縄県"
    assert tuple(names) == wages.PREFECTURES


def test_the_file_holds_the_current_and_the_previous_revision() -> None:
    document = shipped()
    assert document["as_of"] == 2025
    assert document["unverified"] == []
    for entry in document["prefectures"]:
        current, previous = entry["revisions"][:2]
        # 令和7年度 takes effect between October 2025 and March 2026, 令和6年度 in autumn 2024.
        assert "2025-10-01" <= current["effective_from"] <= "2026-03-31", entry["name"]
        assert "2024-10-01" <= previous["effective_from"] <= "2024-11-30", entry["name"]
        assert current["yen"] > previous["yen"] >= 950, entry["name"]
        assert current["yen"] >= 1000, entry["name"]


def test_the_file_names_its_source() -> None:
    source = shipped()["source"]
    assert "厚生労働省" in source["name"]
    assert "地域別最低賃金の全国一覧" in source["name"]
    assert source["url"].startswith("https://www.mhlw.go.jp/")
    assert f"{source['name']} {source['url']}" == wages.SOURCE


def test_known_figures() -> None:
    assert wages.revisions("東京都") == (
        wages.Revision(yen=1226, effective_from=TOKYO_2025),
        wages.Revision(yen=1163, effective_from=dt.date(2024, 10, 1)),
    )
    assert wages.revisions("秋田県")[0] == wages.Revision(yen=1031, effective_from=AKITA_2025)
    assert [r.yen for r in wages.revisions("沖縄県")] == [1023, 952]


def test_a_malformed_file_is_refused() -> None:
    wages._parse(shipped())

    short = shipped()
    del short["prefectures"][-1]
    with pytest.raises(ValueError, match="46 prefectures"):
        wages._parse(short)

    twice = shipped()
    twice["prefectures"][-1]["name"] = "北海道"
    with pytest.raises(ValueError, match="北海道 appears twice"):
        wages._parse(twice)

    oldest_first = shipped()
    oldest_first["prefectures"][12]["revisions"].reverse()
    with pytest.raises(ValueError, match="東京都: revisions are not newest first"):
        wages._parse(oldest_first)

    for yen in ("1226", 0, True, 1226.0):
        bad_yen = shipped()
        bad_yen["prefectures"][12]["revisions"][0]["yen"] = yen
        with pytest.raises(ValueError, match="東京都: yen"):
            wages._parse(bad_yen)

    bad_day = shipped()
    bad_day["prefectures"][12]["revisions"][0]["effective_from"] = "2025-02-30"
    with pytest.raises(ValueError, match="東京都: effective_from"):
        wages._parse(bad_day)

    no_source = shipped()
    del no_source["source"]["url"]
    with pytest.raises(ValueError, match="source"):
        wages._parse(no_source)


# --- In force on a day ----------------------------------------------------------------------


def test_in_force_on_both_sides_of_tokyos_revision() -> None:
    day_before = TOKYO_2025 - dt.timedelta(days=1)
    assert wages.in_force("東京都", day_before) == wages.revisions("東京都")[1]
    assert wages.in_force("東京都", TOKYO_2025) == wages.revisions("東京都")[0]
    assert wages.in_force("東京都", dt.date(2030, 1, 1)) == wages.revisions("東京都")[0]


def test_in_force_on_both_sides_of_a_later_revision() -> None:
    # On the day Tokyo's new figure applies, Akita's previous one is still in force.
    akita = wages.revisions("秋田県")
    assert wages.in_force("秋田県", TOKYO_2025) == akita[1]
    assert wages.in_force("秋田県", AKITA_2025 - dt.timedelta(days=1)) == akita[1]
    assert wages.in_force("秋田県", AKITA_2025) == akita[0]


def test_nothing_in_force_before_the_oldest_revision() -> None:
    assert wages.in_force("東京都", dt.date(2024, 10, 1)) is not None
    assert wages.in_force("東京都", dt.date(2024, 9, 30)) is None


def test_an_unknown_prefecture_is_a_value_error() -> None:
    for name in ("東京", "Tokyo", ""):
        with pytest.raises(ValueError, match="unknown prefecture"):
            wages.revisions(name)
        with pytest.raises(ValueError, match="unknown prefecture"):
            wages.in_force(name, TOKYO_2025)


# --- The query ------------------------------------------------------------------------------


def tokyo_moment(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=TOKYO)


async def test_all_prefectures_today_without_login(server: Server, gql: GraphQLClient) -> None:
    # 00:30 on 3 October in Tokyo is still 2 October in UTC: today is Tokyo's.
    server.clock.set(tokyo_moment(TOKYO_2025, 0, 30))
    found = (await gql.execute(QUERY))["minimumWages"]
    assert [entry["prefecture"] for entry in found] == list(wages.PREFECTURES)
    by_name = {entry["prefecture"]: entry for entry in found}
    assert by_name["東京都"] == {
        "prefecture": "東京都",
        "hourlyWage": 1226,
        "effectiveFrom": "2025-10-03",
        "revisions": [
            {"hourlyWage": 1226, "effectiveFrom": "2025-10-03"},
            {"hourlyWage": 1163, "effectiveFrom": "2024-10-01"},
        ],
        "source": wages.SOURCE,
    }
    assert by_name["秋田県"]["hourlyWage"] == 951
    assert by_name["秋田県"]["effectiveFrom"] == "2024-10-01"

    server.clock.set(tokyo_moment(TOKYO_2025, 0, 30) - dt.timedelta(hours=1))
    found = (await gql.execute(QUERY, {"prefecture": "東京都"}))["minimumWages"]
    assert [(e["hourlyWage"], e["effectiveFrom"]) for e in found] == [(1163, "2024-10-01")]


async def test_one_prefecture_on_a_day(gql: GraphQLClient) -> None:
    for day, expected in (
        ("2026-03-30", (951, "2024-10-01")),
        ("2026-03-31", (1031, "2026-03-31")),
    ):
        found = (await gql.execute(QUERY, {"prefecture": "秋田県", "on": day}))["minimumWages"]
        assert [(e["hourlyWage"], e["effectiveFrom"]) for e in found] == [expected]
        assert found[0]["revisions"] == [
            {"hourlyWage": 1031, "effectiveFrom": "2026-03-31"},
            {"hourlyWage": 951, "effectiveFrom": "2024-10-01"},
        ]


async def test_before_the_oldest_revision_nothing_is_in_force(gql: GraphQLClient) -> None:
    found = (await gql.execute(QUERY, {"prefecture": "東京都", "on": "2020-04-01"}))["minimumWages"]
    assert found[0]["hourlyWage"] is None
    assert found[0]["effectiveFrom"] is None
    assert len(found[0]["revisions"]) == 2


async def test_an_unknown_prefecture_is_bad_user_input(gql: GraphQLClient) -> None:
    response = await gql.post(QUERY, {"prefecture": "東京"})
    assert flows.top_level_codes(response) == ["BAD_USER_INPUT"]
    body = response.json()
    assert body["data"] is None
    assert "都道府県名" in body["errors"][0]["message"]
