"""Every list pages both ways and counts: `first`/`after` forward and `last`/`before` backward
(at most 100, never both sizes), a `pageInfo` whose `hasPreviousPage` and `hasNextPage` are
true exactly when items lie on that side of the page, and `totalCount` over the whole list
with the list's own filter."""

from __future__ import annotations

from typing import Any

import pytest
from graphql import GraphQLNamedType, GraphQLObjectType, get_named_type

from app.schema import schema
from tests import flows, seeker_flows
from tests.conftest import GraphQLClient, Server, new_employer_of, new_staff

PAGE_ARGUMENTS = {"first", "after", "last", "before"}

APPLICATIONS = """query PagingApplications(
  $first: Int, $after: String, $last: Int, $before: String, $status: ApplicationStatus
) {
  applications(first: $first, after: $after, last: $last, before: $before, status: $status) {
    totalCount
    pageInfo { hasPreviousPage hasNextPage startCursor endCursor }
    edges { cursor node { id } }
  }
}"""


def _connections() -> list[tuple[str, str, GraphQLObjectType]]:
    """Every field of the schema whose type is a connection: (owner, field, connection)."""
    found = []
    for owner in schema._schema.type_map.values():
        if not isinstance(owner, GraphQLObjectType) or owner.name.startswith("__"):
            continue
        for name, field in owner.fields.items():
            named: GraphQLNamedType = get_named_type(field.type)
            if isinstance(named, GraphQLObjectType) and named.name.endswith("Connection"):
                found.append((owner.name, name, named))
    return found


def test_every_connection_pages_both_ways_and_counts() -> None:
    connections = _connections()
    assert len(connections) > 20
    missing = []
    for owner, name, connection in connections:
        owner_type = schema._schema.get_type(owner)
        assert isinstance(owner_type, GraphQLObjectType)
        arguments = set(owner_type.fields[name].args)
        if not arguments >= PAGE_ARGUMENTS:
            missing.append(f"{owner}.{name}: {sorted(PAGE_ARGUMENTS - arguments)}")
        if "totalCount" not in connection.fields:
            missing.append(f"{connection.name}.totalCount")
    assert missing == []


@pytest.fixture
async def five(
    server: Server, gql: GraphQLClient, new_client: Any
) -> tuple[GraphQLClient, list[str]]:
    """An employer with five applicants (two of them interviewing), newest first."""
    staff = await new_staff(server, new_client())
    employer = await new_employer_of(server, staff, gql)
    posting = await flows.active_posting(employer, staff)
    statuses = ["APPLIED", "INTERVIEW", "APPLIED", "INTERVIEW", "APPLIED"]
    ids = await seeker_flows.seed_applicants(server, posting["id"], statuses)
    return employer, list(reversed(ids))


async def _page(client: GraphQLClient, **variables: Any) -> dict[str, Any]:
    found: dict[str, Any] = (await client.execute(APPLICATIONS, variables))["applications"]
    return found


def _ids(page: dict[str, Any]) -> list[str]:
    return [edge["node"]["id"] for edge in page["edges"]]


async def test_forward_pages_know_what_precedes_them(
    five: tuple[GraphQLClient, list[str]],
) -> None:
    employer, ids = five
    first = await _page(employer, first=2)
    assert _ids(first) == ids[:2]
    assert first["pageInfo"]["hasPreviousPage"] is False
    assert first["pageInfo"]["hasNextPage"] is True
    assert first["totalCount"] == 5
    second = await _page(employer, first=2, after=first["pageInfo"]["endCursor"])
    assert _ids(second) == ids[2:4]
    assert second["pageInfo"]["hasPreviousPage"] is True
    assert second["pageInfo"]["hasNextPage"] is True
    third = await _page(employer, first=2, after=second["pageInfo"]["endCursor"])
    assert _ids(third) == ids[4:]
    assert third["pageInfo"] | {"startCursor": None, "endCursor": None} == {
        "hasPreviousPage": True,
        "hasNextPage": False,
        "startCursor": None,
        "endCursor": None,
    }
    # Twenty when no size is given.
    assert _ids(await _page(employer)) == ids


async def test_backward_pages_come_from_the_end_in_the_lists_order(
    five: tuple[GraphQLClient, list[str]],
) -> None:
    employer, ids = five
    last = await _page(employer, last=2)
    assert _ids(last) == ids[3:]
    assert last["pageInfo"]["hasPreviousPage"] is True
    assert last["pageInfo"]["hasNextPage"] is False
    before = await _page(employer, last=2, before=last["pageInfo"]["startCursor"])
    assert _ids(before) == ids[1:3]
    assert before["pageInfo"]["hasPreviousPage"] is True
    assert before["pageInfo"]["hasNextPage"] is True
    start = await _page(employer, last=2, before=before["pageInfo"]["startCursor"])
    assert _ids(start) == ids[:1]
    assert start["pageInfo"]["hasPreviousPage"] is False
    assert start["pageInfo"]["hasNextPage"] is True
    # Between two cursors.
    between = await _page(employer, after=_cursor(start), before=_cursor(last))
    assert _ids(between) == ids[1:3]
    assert between["pageInfo"]["hasPreviousPage"] is True
    assert _ids(await _page(employer, last=100)) == ids


def _cursor(page: dict[str, Any]) -> str:
    cursor: str = page["edges"][0]["cursor"]
    return cursor


async def test_the_count_is_the_lists_with_its_filter_not_the_pages(
    five: tuple[GraphQLClient, list[str]],
) -> None:
    employer, _ = five
    assert (await _page(employer, first=1, status="INTERVIEW"))["totalCount"] == 2
    assert (await _page(employer, first=0))["totalCount"] == 5
    assert (await _page(employer, last=0))["edges"] == []


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"first": 1, "last": 1}, "first と last は同時に指定できません。"),
        ({"last": 101}, "last は0以上100以下で指定してください。"),
        ({"last": -1}, "last は0以上100以下で指定してください。"),
        ({"first": 101}, "first は0以上100以下で指定してください。"),
        (
            {"before": "bm90LW91cnM="},
            "after または before に指定されたカーソルが正しくありません。",
        ),
    ],
)
async def test_a_page_out_of_bounds_is_bad_user_input(
    five: tuple[GraphQLClient, list[str]], variables: dict[str, Any], message: str
) -> None:
    employer, _ = five
    response = await employer.post(APPLICATIONS, variables)
    body = response.json()
    assert body["data"] is None
    assert [(e["message"], e["extensions"]["code"]) for e in body["errors"]] == [
        (message, "BAD_USER_INPUT")
    ]


async def test_a_full_page_size_is_the_limit(five: tuple[GraphQLClient, list[str]]) -> None:
    employer, ids = five
    assert _ids(await _page(employer, first=100)) == ids
    assert _ids(await _page(employer, last=100)) == ids
