"""The posting lists page both ways and count: the employer's `postings` and the home's three
lists (newest first), the staff's `postingReviewQueue` (oldest first), `postingSearch` (newest
first) and the merged `reviewQueue` (oldest first by the moment each item started waiting, ties
by kind, then id). A search result has its own global id, read again by `node` while the
posting is published to the viewer."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from strawberry import relay

from app.clock import TOKYO
from tests import flows
from tests.conftest import GraphQLClient, Seeker, Server, new_staff, reopen_session
from tests.test_establishment_settings import update
from tests.test_review_queue import open_establishment, pending_image, pk, submitted_posting

PAGE = "totalCount pageInfo { hasPreviousPage hasNextPage startCursor endCursor }"
ARGUMENTS = "first: $first, after: $after, last: $last, before: $before"
VARIABLES = "$first: Int, $after: String, $last: Int, $before: String"

POSTINGS = f"""query PagingPostings(
  {VARIABLES}, $status: PostingStatus, $category: PostingCategory
) {{
  postings({ARGUMENTS}, status: $status, category: $category) {{
    {PAGE} edges {{ cursor node {{ id content {{ jobTitle }} }} }}
  }}
}}"""

REVIEW_QUEUE = f"""query PagingPostingReviewQueue({VARIABLES}) {{
  postingReviewQueue({ARGUMENTS}) {{ {PAGE} edges {{ cursor node {{ id }} }} }}
}}"""

SEARCH = f"""query PagingPostingSearch({VARIABLES}, $keyword: String) {{
  postingSearch({ARGUMENTS}, keyword: $keyword) {{
    {PAGE} edges {{ cursor node {{ id postingNumber establishmentName }} }}
  }}
}}"""

MERGED_QUEUE = f"""query PagingReviewQueue({VARIABLES}) {{
  reviewQueue({ARGUMENTS}) {{
    {PAGE}
    edges {{ cursor waitingSince node {{
      __typename
      ... on Posting {{ id }}
      ... on EstablishmentImage {{ id }}
      ... on EstablishmentChange {{ id }}
    }} }}
  }}
}}"""


def home(field: str) -> str:
    return f"""query PagingHome{field[0].upper()}{field[1:]}({VARIABLES}) {{
  employerHome {{ {field}({ARGUMENTS}) {{ {PAGE} edges {{ cursor node {{ id }} }} }} }}
}}"""


Fetch = Callable[..., Awaitable[dict[str, Any]]]


def fetcher(client: GraphQLClient, document: str, *path: str, **fixed: Any) -> Fetch:
    """A page of the list at `path` of `document`'s answer, with `fixed` variables."""

    async def fetch(**variables: Any) -> dict[str, Any]:
        found: dict[str, Any] = await client.execute(document, {**fixed, **variables})
        for key in path:
            found = found[key]
        return found

    return fetch


def ids(page: dict[str, Any]) -> list[str]:
    return [edge["node"]["id"] for edge in page["edges"]]


async def pages_both_ways(fetch: Fetch, expected: list[str]) -> None:
    """Forward then backward by two through the whole list, each page knowing truly what lies
    on either side; every page counts the whole list; and the rows between two cursors."""
    assert len(expected) >= 3
    seen: list[str] = []
    after = None
    while True:
        page = await fetch(first=2, after=after)
        seen += ids(page)
        assert page["totalCount"] == len(expected)
        assert page["pageInfo"]["hasPreviousPage"] is (after is not None)
        assert page["pageInfo"]["hasNextPage"] is (len(seen) < len(expected))
        if len(seen) >= len(expected):
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == expected

    came: list[str] = []
    before = None
    while True:
        page = await fetch(last=2, before=before)
        came = ids(page) + came
        assert page["totalCount"] == len(expected)
        assert page["pageInfo"]["hasNextPage"] is (before is not None)
        assert page["pageInfo"]["hasPreviousPage"] is (len(came) < len(expected))
        if len(came) >= len(expected):
            break
        before = page["pageInfo"]["startCursor"]
    assert came == expected

    whole = await fetch(first=100)
    first_cursor, last_cursor = whole["edges"][0]["cursor"], whole["edges"][-1]["cursor"]
    between = await fetch(after=first_cursor, before=last_cursor)
    assert ids(between) == expected[1:-1]
    assert between["pageInfo"]["hasPreviousPage"] is True
    assert ids(await fetch(last=100)) == expected


async def test_the_employers_postings_page_both_ways_with_their_filter(
    staff: GraphQLClient, employer: GraphQLClient
) -> None:
    drafts = [(await flows.create_posting(employer, jobTitle=f"下書き{n}"))["id"] for n in range(3)]
    submitted = await submitted_posting(employer, "提出済み")
    seasonal = (await flows.create_posting(employer, jobTitle="季節の下書き", category="SEASONAL"))[
        "id"
    ]
    newest_first = [seasonal, submitted["id"], *reversed(drafts)]

    await pages_both_ways(fetcher(employer, POSTINGS, "postings"), newest_first)
    await pages_both_ways(
        fetcher(employer, POSTINGS, "postings", status="DRAFT"), [seasonal, *reversed(drafts)]
    )
    only = await fetcher(employer, POSTINGS, "postings", status="SUBMITTED")(first=0)
    assert only["edges"] == []
    assert only["totalCount"] == 1
    # 求人区分, alone and with a status.
    general = fetcher(employer, POSTINGS, "postings", category="GENERAL")
    await pages_both_ways(general, [submitted["id"], *reversed(drafts)])
    for status, expected in (("DRAFT", [seasonal]), ("SUBMITTED", [])):
        listed = await fetcher(employer, POSTINGS, "postings", category="SEASONAL", status=status)(
            first=10
        )
        assert ids(listed) == expected
        assert listed["totalCount"] == len(expected)
    titles = await fetcher(employer, POSTINGS, "postings")(first=10)
    assert [edge["node"]["content"]["jobTitle"] for edge in titles["edges"]] == [
        "季節の下書き",
        "提出済み",
        "下書き2",
        "下書き1",
        "下書き0",
    ]


async def test_the_home_lists_page_both_ways(
    server: Server, staff: GraphQLClient, employer: GraphQLClient
) -> None:
    active = [
        (await flows.active_posting(employer, staff, jobTitle=f"有効{n}"))["id"] for n in range(6)
    ]
    for stopped in active[:3]:
        await flows.posting_step(employer, "postingStop", {"id": stopped, "reason": "充足"})
    await flows.create_posting(employer, jobTitle="下書き")
    kept = list(reversed(active[3:]))
    invalid = list(reversed(active[:3]))

    def fetch(field: str) -> Fetch:
        return fetcher(employer, home(field), "employerHome", field)

    await pages_both_ways(fetch("allActivePostings"), kept)
    await pages_both_ways(fetch("invalidPostings"), invalid)
    assert (await fetch("renewablePostings")(first=1))["totalCount"] == 0

    # From 14 days before the referral deadline (31 January) their renewal can be reserved.
    server.clock.set(dt.datetime(2027, 1, 17, 10, tzinfo=TOKYO))
    await reopen_session(server, employer)
    await pages_both_ways(fetch("renewablePostings"), kept)


async def test_the_posting_review_queue_pages_both_ways_within_the_office(
    server: Server, new_client: Any
) -> None:
    staff = await new_staff(server, new_client())
    osaka_staff = await new_staff(server, new_client(), "27010")
    employer, _ = await open_establishment(
        server, staff, new_client, "1301-000001-1", "hr1@example.jp"
    )
    osaka, _ = await open_establishment(
        server, osaka_staff, new_client, "2701-000003-3", "hr3@example.jp"
    )
    waiting = [(await submitted_posting(employer, f"求人{n}"))["id"] for n in range(4)]
    await submitted_posting(osaka, "大阪の求人")
    await flows.create_posting(employer, jobTitle="下書き")

    await pages_both_ways(fetcher(staff, REVIEW_QUEUE, "postingReviewQueue"), waiting)


async def test_the_search_pages_both_ways_and_counts_what_it_finds(
    staff: GraphQLClient, employer: GraphQLClient, gql: GraphQLClient
) -> None:
    nurses = [
        (await flows.active_posting(employer, staff, jobTitle=f"看護師{n}"))["id"] for n in range(3)
    ]
    await flows.active_posting(employer, staff, jobTitle="調理補助")
    await flows.active_posting(
        employer,
        staff,
        jobTitle="看護助手",
        publicationRange="NOT_PUBLISHED",
        acceptsOnlineApplications=False,
    )
    found = await fetcher(gql, SEARCH, "postingSearch")(first=100)
    assert found["totalCount"] == 4

    nurse_search = fetcher(gql, SEARCH, "postingSearch", keyword="看護師")
    page = await nurse_search(first=100)
    numbers = [edge["node"]["postingNumber"] for edge in page["edges"]]
    own = await employer.execute(
        "query ($ids: [ID!]!) { nodes(ids: $ids) { ... on Posting { postingNumber } } }",
        {"ids": list(reversed(nurses))},
    )
    assert numbers == [node["postingNumber"] for node in own["nodes"]]
    await pages_both_ways(nurse_search, ids(page))


async def test_the_merged_review_queue_pages_both_ways_through_ties(
    server: Server, new_client: Any
) -> None:
    staff = await new_staff(server, new_client())
    osaka_staff = await new_staff(server, new_client(), "27010")
    first, first_counter = await open_establishment(
        server, staff, new_client, "1301-000001-1", "hr1@example.jp"
    )
    second, _ = await open_establishment(
        server, staff, new_client, "1301-000002-2", "hr2@example.jp"
    )
    osaka, osaka_counter = await open_establishment(
        server, osaka_staff, new_client, "2701-000003-3", "hr3@example.jp"
    )
    # At one moment: two postings, two images and two profile changes, then a posting later.
    one = await submitted_posting(first, "求人1")
    two = await submitted_posting(first, "求人2")
    await pending_image(server, first_counter, "写真A")
    await pending_image(server, first_counter, "写真B")
    await update(first, name="変更A")
    await update(second, name="変更B")
    await submitted_posting(osaka, "大阪の求人")
    await pending_image(server, osaka_counter, "大阪の写真")
    server.clock.advance(minutes=1)
    three = await submitted_posting(second, "求人3")

    fetch = fetcher(staff, MERGED_QUEUE, "reviewQueue")
    whole = await fetch(first=100)
    kinds = [edge["node"]["__typename"] for edge in whole["edges"]]
    assert kinds == [
        "Posting",
        "Posting",
        "EstablishmentImage",
        "EstablishmentImage",
        "EstablishmentChange",
        "EstablishmentChange",
        "Posting",
    ]
    expected = ids(whole)
    assert [expected[0], expected[1], expected[-1]] == [one["id"], two["id"], three["id"]]
    assert len({edge["waitingSince"] for edge in whole["edges"][:6]}) == 1
    await pages_both_ways(fetch, expected)
    # Pages of three cross the kinds at the one moment.
    assert ids(await fetch(first=3, after=whole["edges"][1]["cursor"])) == expected[2:5]
    assert ids(await fetch(last=3, before=whole["edges"][5]["cursor"])) == expected[2:5]


SEARCH_RESULT = """query SearchResultNode($id: ID!) {
  node(id: $id) { id ... on PostingSearchResult { postingNumber establishmentName jobTitle } }
}"""


async def test_a_search_result_is_read_again_by_its_id_while_published(
    staff: GraphQLClient, employer: GraphQLClient, gql: GraphQLClient, seeker: Seeker
) -> None:
    named = await flows.active_posting(employer, staff, jobTitle="看護師")
    seekers_only = await flows.active_posting(
        employer,
        staff,
        jobTitle="介護職員",
        publicationRange="NAME_TO_SEEKERS_ONLY",
        acceptsOnlineApplications=False,
    )
    hidden = await flows.active_posting(
        employer,
        staff,
        jobTitle="調理補助",
        publicationRange="NOT_PUBLISHED",
        acceptsOnlineApplications=False,
    )
    anonymous_search = await gql.execute(SEARCH, {"first": 10})
    seeker_search = await seeker.client.execute(SEARCH, {"first": 10})
    by_title = {
        edge["node"]["postingNumber"]: edge["node"]["id"]
        for edge in seeker_search["postingSearch"]["edges"]
    }
    named_id = by_title[named["postingNumber"]]
    seekers_only_id = by_title[seekers_only["postingNumber"]]
    assert [edge["node"]["id"] for edge in anonymous_search["postingSearch"]["edges"]] == [named_id]
    assert named_id == relay.to_base64("PostingSearchResult", pk(named["id"]))

    async def node(client: GraphQLClient, id: str) -> Any:
        return (await client.execute(SEARCH_RESULT, {"id": id}))["node"]

    assert await node(gql, named_id) == {
        "id": named_id,
        "postingNumber": named["postingNumber"],
        "establishmentName": "ハローワークケア",
        "jobTitle": "看護師",
    }
    # 公開範囲 3: found and named for a seeker only.
    assert await node(gql, seekers_only_id) is None
    assert (await node(seeker.client, seekers_only_id))["establishmentName"] is not None
    assert (await node(employer, seekers_only_id)) is None
    # 公開範囲 4, or no longer active: nobody reads it as a search result, not even its owner.
    hidden_id = relay.to_base64("PostingSearchResult", pk(hidden["id"]))
    assert await node(employer, hidden_id) is None
    assert await node(staff, hidden_id) is None
    await flows.posting_step(employer, "postingStop", {"id": named["id"], "reason": "充足"})
    assert await node(gql, named_id) is None
    # Its own `Posting` id stays the employer's.
    assert await node(gql, named["id"]) is None
    assert (await node(employer, named["id"]))["id"] == named["id"]


@pytest.mark.parametrize(
    ("document", "viewer"),
    [
        (POSTINGS, "employer"),
        (home("allActivePostings"), "employer"),
        (home("invalidPostings"), "employer"),
        (home("renewablePostings"), "employer"),
        (REVIEW_QUEUE, "staff"),
        (SEARCH, "anonymous"),
        (MERGED_QUEUE, "staff"),
    ],
)
@pytest.mark.parametrize(
    "variables", [{"before": "bm90LW91cnM="}, {"last": 1, "before": "review:POSTING|x|1"}]
)
async def test_a_malformed_before_cursor_is_bad_user_input(
    staff: GraphQLClient,
    employer: GraphQLClient,
    gql: GraphQLClient,
    document: str,
    viewer: str,
    variables: dict[str, Any],
) -> None:
    client = {"staff": staff, "employer": employer, "anonymous": gql}[viewer]
    response = await client.post(document, variables)
    assert flows.top_level_codes(response) == ["BAD_USER_INPUT"]
