"""事業所情報設定: the employer proposes a profile, staff of the office approve or reject it."""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any

import pytest

from app.models import Establishment, EstablishmentChange
from app.models.establishments import ReviewStatus
from tests import flows
from tests.conftest import Counter, GraphQLClient, Server, new_employer_of, new_place, new_staff

THIS_YEAR = 2026  # conftest.START, in Tokyo

PROFILE_FIELDS = """name nameKana postalCode address phoneNumber businessContent features
  representativeTitle representativeName employeeCount workplaceEmployeeCount foundedYear
  capitalYen website notificationEmail"""

ESTABLISHMENT_FIELDS = f"""id establishmentNumber {PROFILE_FIELDS}
  pendingChange {{ id status requestedAt proposed {{ {PROFILE_FIELDS} }} }}"""

UPDATE = f"""
mutation ($input: EstablishmentUpdateInput!) {{
  establishmentUpdate(input: $input) {{
    change {{ id status requestedAt reviewedAt reviewReason proposed {{ {PROFILE_FIELDS} }} }}
    establishment {{ {ESTABLISHMENT_FIELDS} }}
    errors {{ field code message }}
  }}
}}"""

REVIEW = f"""
mutation ($input: EstablishmentChangeReviewInput!) {{
  establishmentChangeReview(input: $input) {{
    change {{ id status reviewedAt reviewReason }}
    establishment {{ {ESTABLISHMENT_FIELDS} }}
    errors {{ field code message }}
  }}
}}"""

MY_ESTABLISHMENT = f"{{ viewer {{ establishment {{ {ESTABLISHMENT_FIELDS} }} }} }}"

HOME = "{ employerHome { establishmentName establishment { name website } } }"

NODE = f"""query ($id: ID!) {{ node(id: $id) {{
  __typename ... on Establishment {{ {ESTABLISHMENT_FIELDS} }}
  ... on EstablishmentChange {{ id status proposed {{ name }} }} }} }}"""

SEARCH = "{ postingSearch(first: 10) { edges { node { establishmentName } } } }"

POSTING = """query ($id: ID!) { node(id: $id) { ... on Posting { establishment { name } } } }"""


def profile(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "name": "株式会社ハローワークケア",
        "nameKana": "カブシキガイシャハローワークケア",
        "postalCode": "112-8577",
        "address": "東京都文京区後楽1-9-20",
        "phoneNumber": "03-3812-0001",
        "businessContent": "特別養護老人ホームの運営",
        "features": "職員の定着率が高い職場です。",
        "representativeTitle": "代表取締役",
        "representativeName": "後楽 一郎",
        "employeeCount": 120,
        "workplaceEmployeeCount": 45,
        "foundedYear": 1998,
        "capitalYen": 30_000_000_000,
        "website": "https://care.example.jp/",
        "notificationEmail": "notice@care.example.jp",
    }
    values.update(overrides)
    return values


def error_fields(payload: dict[str, Any]) -> list[tuple[str, str]]:
    return [(error["field"], error["code"]) for error in payload["errors"]]


async def update(employer: GraphQLClient, **overrides: Any) -> dict[str, Any]:
    data = await employer.execute(UPDATE, {"input": profile(**overrides)})
    payload: dict[str, Any] = data["establishmentUpdate"]
    return payload


async def review(
    staff: GraphQLClient, change_id: str, *, approve: bool, reason: str = ""
) -> dict[str, Any]:
    data = await staff.execute(
        REVIEW, {"input": {"changeId": change_id, "approve": approve, "reason": reason}}
    )
    payload: dict[str, Any] = data["establishmentChangeReview"]
    return payload


async def my_establishment(employer: GraphQLClient) -> dict[str, Any]:
    data = await employer.execute(MY_ESTABLISHMENT)
    establishment: dict[str, Any] = data["viewer"]["establishment"]
    return establishment


async def employer_and_staff(
    server: Server, new_client: Any, office_code: str = "13010", number: str = "1301-123456-7"
) -> tuple[GraphQLClient, GraphQLClient, Counter]:
    place = await new_place(server, new_client, number=number, office_code=office_code)
    return place.owner, place.staff, place.counter


# --- The approved profile stays until staff approve ---------------------------------------------


async def test_a_change_waits_and_the_approved_profile_stays_until_approval(
    server: Server, new_client: Any
) -> None:
    employer, staff, counter = await employer_and_staff(server, new_client)
    posting = await flows.active_posting(employer, staff)

    payload = await update(employer)

    assert payload["errors"] == [], payload
    change = payload["change"]
    assert change["status"] == "PENDING"
    assert change["proposed"] == profile()
    establishment = payload["establishment"]
    assert establishment["name"] == "ハローワークケア"
    assert establishment["website"] == ""
    assert establishment["capitalYen"] is None
    assert establishment["pendingChange"]["id"] == change["id"]
    # Everywhere the establishment shows, the approved (old) profile is in use.
    assert (await my_establishment(employer))["pendingChange"]["proposed"]["name"] == (
        "株式会社ハローワークケア"
    )
    home = (await employer.execute(HOME))["employerHome"]
    assert home == {
        "establishmentName": "ハローワークケア",
        "establishment": {"name": "ハローワークケア", "website": ""},
    }
    found = await employer.execute(POSTING, {"id": posting["id"]})
    assert found["node"]["establishment"]["name"] == "ハローワークケア"
    search = await new_client().execute(SEARCH)
    assert search["postingSearch"]["edges"][0]["node"]["establishmentName"] == "ハローワークケア"
    # Staff see the waiting change on the establishment.
    seen = await staff.execute(NODE, {"id": counter.establishment_id})
    assert seen["node"]["pendingChange"]["proposed"]["name"] == "株式会社ハローワークケア"

    reviewed = await review(staff, change["id"], approve=True)

    assert reviewed["errors"] == [], reviewed
    assert reviewed["change"]["status"] == "APPROVED"
    assert reviewed["change"]["reviewedAt"] is not None
    applied = reviewed["establishment"]
    assert {key: applied[key] for key in profile()} == profile()
    assert applied["pendingChange"] is None
    assert applied["establishmentNumber"] == counter.establishment_number
    home = (await employer.execute(HOME))["employerHome"]
    assert home["establishmentName"] == "株式会社ハローワークケア"
    found = await employer.execute(POSTING, {"id": posting["id"]})
    assert found["node"]["establishment"]["name"] == "株式会社ハローワークケア"
    search = await new_client().execute(SEARCH)
    assert search["postingSearch"]["edges"][0]["node"]["establishmentName"] == (
        "株式会社ハローワークケア"
    )
    # Applied once: a second review of the same change is refused.
    again = await review(staff, change["id"], approve=False, reason="重複")
    assert error_fields(again) == [("changeId", "INVALID_STATE")]


async def test_staff_reject_with_a_reason_and_nothing_changes(
    server: Server, new_client: Any
) -> None:
    employer, staff, _ = await employer_and_staff(server, new_client)
    change = (await update(employer))["change"]

    without_reason = await review(staff, change["id"], approve=False, reason="  ")
    rejected = await review(staff, change["id"], approve=False, reason="代表者名をご確認ください。")

    assert error_fields(without_reason) == [("reason", "REQUIRED")]
    assert rejected["errors"] == []
    assert rejected["change"]["status"] == "REJECTED"
    assert rejected["change"]["reviewReason"] == "代表者名をご確認ください。"
    assert rejected["establishment"]["name"] == "ハローワークケア"
    assert rejected["establishment"]["pendingChange"] is None
    seen = await employer.execute(NODE, {"id": change["id"]})
    assert seen["node"] == {
        "__typename": "EstablishmentChange",
        "id": change["id"],
        "status": "REJECTED",
        "proposed": {"name": "株式会社ハローワークケア"},
    }
    stored = await Establishment.get(number="1301-123456-7")
    assert stored.name == "ハローワークケア"


async def test_a_newer_change_replaces_the_waiting_one(server: Server, new_client: Any) -> None:
    employer, staff, _ = await employer_and_staff(server, new_client)
    first = (await update(employer, name="第一案"))["change"]
    server.clock.advance(minutes=5)

    second = (await update(employer, name="第二案"))["change"]

    assert second["id"] != first["id"]
    assert await EstablishmentChange.filter(status=ReviewStatus.PENDING).count() == 1
    assert (await my_establishment(employer))["pendingChange"]["proposed"]["name"] == "第二案"
    stale = await review(staff, first["id"], approve=True)
    assert error_fields(stale) == [("changeId", "NOT_FOUND")]
    assert (await review(staff, second["id"], approve=True))["establishment"]["name"] == "第二案"


async def test_the_establishment_number_is_not_part_of_the_form(
    server: Server, new_client: Any
) -> None:
    employer, _, counter = await employer_and_staff(server, new_client)

    response = await employer.post(UPDATE, {"input": profile(establishmentNumber="1301-999999-9")})

    assert flows.top_level_codes(response) == ["GRAPHQL_VALIDATION_FAILED"]
    assert await EstablishmentChange.all().count() == 0
    assert await Establishment.exists(number=counter.establishment_number)


# --- Validation, at each boundary ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"name": "名" * 100}, []),
        ({"name": "名" * 101}, [("name", "TOO_LONG")]),
        ({"name": " "}, [("name", "REQUIRED")]),
        ({"nameKana": "カ" * 200}, []),
        ({"nameKana": "カ" * 201}, [("nameKana", "TOO_LONG")]),
        ({"nameKana": "ハローワークけあ"}, [("nameKana", "INVALID_FORMAT")]),
        ({"address": "所" * 300}, []),
        ({"address": "所" * 301}, [("address", "TOO_LONG")]),
        ({"postalCode": "1128577"}, [("postalCode", "INVALID_FORMAT")]),
        ({"phoneNumber": "03-3812-00011"}, [("phoneNumber", "INVALID_FORMAT")]),
        ({"phoneNumber": "０３-3812-0001"}, [("phoneNumber", "NOT_HALF_WIDTH")]),
        ({"businessContent": "業" * 1000}, []),
        ({"businessContent": "業" * 1001}, [("businessContent", "TOO_LONG")]),
        ({"features": "特" * 1000}, []),
        ({"features": "特" * 1001}, [("features", "TOO_LONG")]),
        ({"representativeTitle": "役" * 50}, []),
        ({"representativeTitle": "役" * 51}, [("representativeTitle", "TOO_LONG")]),
        ({"representativeName": "名" * 50}, []),
        ({"representativeName": "名" * 51}, [("representativeName", "TOO_LONG")]),
        ({"employeeCount": 0, "workplaceEmployeeCount": 0}, []),
        ({"employeeCount": -1}, [("employeeCount", "OUT_OF_RANGE")]),
        ({"workplaceEmployeeCount": -1}, [("workplaceEmployeeCount", "OUT_OF_RANGE")]),
        ({"employeeCount": 9_999_999}, []),
        ({"employeeCount": 10_000_000}, [("employeeCount", "OUT_OF_RANGE")]),
        ({"foundedYear": 1800}, []),
        ({"foundedYear": 1799}, [("foundedYear", "OUT_OF_RANGE")]),
        ({"foundedYear": THIS_YEAR}, []),
        ({"foundedYear": THIS_YEAR + 1}, [("foundedYear", "OUT_OF_RANGE")]),
        ({"capitalYen": 0}, []),
        ({"capitalYen": -1}, [("capitalYen", "OUT_OF_RANGE")]),
        ({"capitalYen": 999_999_999_999_999}, []),
        ({"capitalYen": 1_000_000_000_000_000}, [("capitalYen", "OUT_OF_RANGE")]),
        ({"website": "http://care.example.jp/recruit?x=1"}, []),
        ({"website": "https://" + "a" * 189 + ".jp"}, []),
        ({"website": "https://" + "a" * 190 + ".jp"}, [("website", "TOO_LONG")]),
        ({"website": "ftp://care.example.jp/"}, [("website", "INVALID_FORMAT")]),
        ({"website": "javascript:alert(1)"}, [("website", "INVALID_FORMAT")]),
        ({"website": "https://"}, [("website", "INVALID_FORMAT")]),
        ({"website": "https://care example.jp/"}, [("website", "INVALID_FORMAT")]),
        ({"website": "", "notificationEmail": "", "employeeCount": None}, []),
        ({"notificationEmail": "notice@care"}, [("notificationEmail", "INVALID_FORMAT")]),
        ({"notificationEmail": "a" * 89 + "@example.jp"}, []),
        (
            {"notificationEmail": "a" * 90 + "@example.jp"},
            [("notificationEmail", "TOO_LONG")],
        ),
    ],
)
async def test_profile_validation(
    server: Server,
    new_client: Any,
    overrides: dict[str, Any],
    expected: list[tuple[str, str]],
) -> None:
    employer, _, _ = await employer_and_staff(server, new_client)

    payload = await update(employer, **overrides)

    assert error_fields(payload) == expected
    assert all(error["message"] for error in payload["errors"])
    assert await EstablishmentChange.all().count() == (0 if expected else 1)


async def test_every_failing_field_is_reported_at_once(server: Server, new_client: Any) -> None:
    employer, _, _ = await employer_and_staff(server, new_client)

    payload = await update(employer, name="", foundedYear=1799, website="ftp://x.jp", capitalYen=-1)

    assert sorted(error_fields(payload)) == [
        ("capitalYen", "OUT_OF_RANGE"),
        ("foundedYear", "OUT_OF_RANGE"),
        ("name", "REQUIRED"),
        ("website", "INVALID_FORMAT"),
    ]
    assert payload["errors"][0]["message"] == "事業所名を入力してください。"


async def test_capital_must_be_a_whole_number(server: Server, new_client: Any) -> None:
    employer, _, _ = await employer_and_staff(server, new_client)

    response = await employer.post(UPDATE, {"input": profile(capitalYen=1.5)})

    assert flows.top_level_codes(response) == ["GRAPHQL_VALIDATION_FAILED"]


async def test_founded_year_follows_the_clock(server: Server, new_client: Any) -> None:
    # 2027-01-01 00:30 in Tokyo is still 2026 in UTC: the year is Tokyo's.
    server.clock.set(dt.datetime(2026, 12, 31, 15, 30, tzinfo=dt.UTC))
    employer, _, _ = await employer_and_staff(server, new_client)

    accepted = await update(employer, foundedYear=THIS_YEAR + 1)
    refused = await update(employer, foundedYear=THIS_YEAR + 2)

    assert accepted["errors"] == []
    assert error_fields(refused) == [("foundedYear", "OUT_OF_RANGE")]


# --- Who may see and review changes -------------------------------------------------------------


async def test_staff_of_another_office_cannot_review_or_see_a_change(
    server: Server, new_client: Any
) -> None:
    employer, _, counter = await employer_and_staff(server, new_client)
    change = (await update(employer))["change"]
    other_staff = await new_staff(server, new_client(), "27010")

    response = await other_staff.post(
        REVIEW, {"input": {"changeId": change["id"], "approve": True, "reason": ""}}
    )
    seen_change = await other_staff.execute(NODE, {"id": change["id"]})
    seen_establishment = await other_staff.execute(NODE, {"id": counter.establishment_id})

    assert flows.not_found_for_another_office(response, "establishmentChangeReview")
    assert seen_change["node"] is None
    assert seen_establishment["node"] is None
    assert (await EstablishmentChange.get()).status == ReviewStatus.PENDING
    assert (await Establishment.get()).name == "ハローワークケア"


async def test_an_employer_cannot_see_or_review_another_establishments_change(
    server: Server, new_client: Any
) -> None:
    employer, staff, _ = await employer_and_staff(server, new_client)
    change = (await update(employer))["change"]
    other = await new_employer_of(
        server, staff, new_client(), "1301-222222-2", "03-3812-0002", "hr@other.example.jp"
    )

    seen = await other.execute(NODE, {"id": change["id"]})
    review_response = await other.post(
        REVIEW, {"input": {"changeId": change["id"], "approve": True, "reason": ""}}
    )
    own = await update(other, name="別の事業所")

    assert seen["node"] is None
    assert flows.top_level_codes(review_response) == ["FORBIDDEN"]
    # Its own update touches only its own establishment; the other change still waits.
    assert own["errors"] == []
    assert own["establishment"]["establishmentNumber"] == "1301-222222-2"
    assert (await my_establishment(employer))["pendingChange"]["id"] == change["id"]
    assert await EstablishmentChange.filter(status=ReviewStatus.PENDING).count() == 2


async def test_staff_cannot_propose_and_anonymous_callers_cannot_do_either(
    server: Server, gql: GraphQLClient, new_client: Any
) -> None:
    employer, staff, _ = await employer_and_staff(server, new_client)
    change = (await update(employer))["change"]

    staff_update = await staff.post(UPDATE, {"input": profile()})
    anonymous_update = await gql.post(UPDATE, {"input": profile()})
    anonymous_review = await gql.post(
        REVIEW, {"input": {"changeId": change["id"], "approve": True, "reason": ""}}
    )

    assert flows.top_level_codes(staff_update) == ["FORBIDDEN"]
    assert flows.top_level_codes(anonymous_update) == ["UNAUTHENTICATED"]
    assert flows.top_level_codes(anonymous_review) == ["UNAUTHENTICATED"]
    assert await EstablishmentChange.all().count() == 1


@pytest.mark.parametrize(
    "change_id",
    ["not-an-id", base64.b64encode(b"Posting:1").decode(), "RXN0YWJsaXNobWVudENoYW5nZTo5OTk="],
)
async def test_an_unknown_change_is_not_found(
    server: Server, new_client: Any, change_id: str
) -> None:
    staff = await new_staff(server, new_client())

    payload = await review(staff, change_id, approve=True)

    assert error_fields(payload) == [("changeId", "NOT_FOUND")]
