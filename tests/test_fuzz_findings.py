"""What the fuzzer (`.ci/fuzz`) found, each kept as a regression test.

Every case here was an `INTERNAL_SERVER_ERROR` with a traceback in the server log; each test
sends the request the fuzzer sent, through the real server, and checks the answer a client
should get instead, beside a control that the same request with ordinary values still works.
"""

from __future__ import annotations

from typing import Any

import httpx

from tests import flows, seeker_flows
from tests.conftest import (
    GraphQLClient,
    Server,
    create_staff,
    new_employer_of,
    new_seeker,
    new_staff,
)

# Longer than any column the filter is compared with (prefectures are at most 4 characters).
NOT_A_PREFECTURE = "東京都東京都東京都東京都X"


def top_level_errors(response: httpx.Response) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.text
    errors: list[dict[str, Any]] = response.json().get("errors") or []
    return errors


async def _employer_with_active_posting(
    server: Server, gql: GraphQLClient, new_client: Any
) -> tuple[GraphQLClient, GraphQLClient, dict[str, Any]]:
    """Staff, and an employer whose establishment has one active posting; and the posting."""
    staff = await new_staff(server, new_client())
    employer = await new_employer_of(server, staff, gql)
    posting = await flows.active_posting(employer, staff)
    return staff, employer, posting


async def test_a_search_by_a_prefecture_that_is_none_finds_nothing(
    server: Server, gql: GraphQLClient, new_client: Any
) -> None:
    """officeEvents, postingSearch and seekerSearch compared `prefecture` with a short column,
    and Tortoise refused the over-long value with a ValidationError: a 500 for a search."""
    staff, employer, _ = await _employer_with_active_posting(server, gql, new_client)
    await staff.execute(
        """mutation ($input: OfficeEventCreateInput!) {
          officeEventCreate(input: $input) { errors { code } } }""",
        {
            "input": {
                "kind": "JOB_FAIR",
                "title": "就職面接会",
                "startsAt": "2026-12-10T13:00:00+09:00",
                "endsAt": "2026-12-10T16:00:00+09:00",
                "venue": "文京シビックセンター",
                "prefecture": "東京都",
                "capacity": 3,
            }
        },
    )
    seeker = await new_seeker(server, new_client(), "seeker@example.jp")
    await seeker_flows.update_profile(seeker.client, desiredPrefecture="東京都")
    searches = {
        "officeEvents": "query ($p: String) { officeEvents(prefecture: $p) { edges { cursor } } }",
        "postingSearch": "query ($p: String) { postingSearch(prefecture: $p) "
        "{ edges { cursor } } }",
        "seekerSearch": "query ($p: String) { seekerSearch(prefecture: $p) { edges { cursor } } }",
    }
    for name, query in searches.items():
        found = await employer.execute(query, {"p": "東京都"})
        assert len(found[name]["edges"]) == 1, (name, found)

        response = await employer.post(query, {"p": NOT_A_PREFECTURE})
        assert top_level_errors(response) == [], name
        assert response.json()["data"][name]["edges"] == [], name


async def test_a_login_with_an_over_long_address_is_refused_as_wrong(
    server: Server, gql: GraphQLClient, new_client: Any
) -> None:
    """An address longer than the column went to Tortoise as a filter and came back as a
    ValidationError: a 500 at login instead of the usual INVALID_CREDENTIALS."""
    await create_staff(server)
    query = "mutation ($input: LoginInput!) { login(input: $input) { errors { code } } }"
    for email in ("x" * 101 + "@example.jp", "staff13010@example.jp"):
        response = await gql.post(
            query, {"input": {"portal": "STAFF", "email": email, "password": "Wrong#pass1"}}
        )
        assert top_level_errors(response) == [], email
        assert response.json()["data"]["login"]["errors"] == [{"code": "INVALID_CREDENTIALS"}]


async def test_an_application_by_an_over_long_posting_number_is_not_found(
    server: Server, gql: GraphQLClient, new_client: Any
) -> None:
    """The 求人番号 went to Tortoise as a filter on a 14-character column: a 500 for a seeker
    who typed too much, where the answer is that no such posting exists."""
    _, _, posting = await _employer_with_active_posting(server, gql, new_client)
    seeker = await new_seeker(server, new_client(), "seeker@example.jp")
    payload = await seeker_flows.mutate(
        seeker.client,
        seeker_flows.APPLICATION_CREATE,
        "applicationCreate",
        {"postingNumber": "13010-" + "9" * 30},
    )
    assert seeker_flows.error_codes(payload) == ["NOT_FOUND"]
    payload = await seeker_flows.mutate(
        seeker.client,
        seeker_flows.APPLICATION_CREATE,
        "applicationCreate",
        {"postingNumber": posting["postingNumber"]},
    )
    assert payload["errors"] == [], payload
    assert payload["application"]["postingSummary"]["postingNumber"] == posting["postingNumber"]
