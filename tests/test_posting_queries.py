"""Reading postings: the employer's connection, its paging and query count, the public search."""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from app.models import Portal, Posting, PostingEvent, Session, User
from app.models.postings import PostingAction, PostingStatus, PublicationRange
from app.resolvers import postings
from app.resolvers.accounts import SESSION_PURPOSE
from app.schema.nodes import decode_id
from tests import flows
from tests.conftest import GraphQLClient, Server

PAGE = """query ($first: Int!, $after: String, $status: PostingStatus) {
  postings(first: $first, after: $after, status: $status) {
    pageInfo { hasNextPage endCursor }
    edges { cursor node { id status postingNumber content { jobTitle category }
      establishment { name office { name } } renewedFrom { id } reusedFrom { id }
      history { action actorPortal } } }
  }
}"""

SEARCH = """query ($keyword: String, $category: PostingCategory, $prefecture: String,
  $employmentType: EmploymentType, $workStyle: WorkStyle) {
  postingSearch(keyword: $keyword, category: $category, prefecture: $prefecture,
      employmentType: $employmentType, workStyle: $workStyle, first: 50) {
    edges { node { postingNumber establishmentName contact workplacePrefecture jobTitle } }
  }
}"""


async def add_postings(employer: GraphQLClient, count: int) -> None:
    """One posting over the API, then `count` reuses of it written straight to the database."""
    template = await flows.create_posting(employer)
    source = await Posting.get(id=decode_id(template["id"], "Posting", "id"))
    content = postings.PostingContent.of(source).stored()
    for i in range(count):
        posting = await Posting.create(
            establishment_id=source.establishment_id,
            reused_from_id=source.id,
            created_at=source.created_at,
            updated_at=source.updated_at,
            **{**content, "job_title": f"職種{i}"},
        )
        await PostingEvent.create(
            posting=posting,
            action=PostingAction.CREATED,
            actor_id=None,
            to_status=PostingStatus.DRAFT,
            created_at=source.created_at,
        )


@contextmanager
def counting_queries() -> Iterator[list[str]]:
    """Every statement the service sends to the database meanwhile."""
    statements: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            message = record.getMessage().lstrip().upper()
            if message.startswith(("SELECT", "INSERT", "UPDATE", "DELETE")):
                statements.append(message)

    logger = logging.getLogger("tortoise.db_client")
    handler = Collect(level=logging.DEBUG)
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield statements
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


async def test_query_count_does_not_grow_with_the_page(
    server: Server, employer: GraphQLClient
) -> None:
    await add_postings(employer, 59)
    with counting_queries() as small:
        data = await employer.execute(PAGE, {"first": 5})
    assert len(data["postings"]["edges"]) == 5
    with counting_queries() as large:
        data = await employer.execute(PAGE, {"first": 50})
    assert len(data["postings"]["edges"]) == 50

    assert small, "no statements were seen"
    assert len(large) == len(small), (small, large)
    # the session with its login, the page, and one each for establishments, offices, links
    # and histories
    assert len(large) == 6, large


async def test_pages_follow_each_other_without_gaps(
    server: Server, employer: GraphQLClient
) -> None:
    await add_postings(employer, 7)
    seen: list[str] = []
    after = None
    while True:
        data = await employer.execute(PAGE, {"first": 3, "after": after})
        page = data["postings"]
        seen += [edge["node"]["id"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert len(seen) == len(set(seen)) == 8  # the template and the seven copies


async def test_page_size_is_bounded(employer: GraphQLClient) -> None:
    response = await employer.post(PAGE, {"first": 101})
    assert flows.top_level_codes(response) == ["BAD_USER_INPUT"]
    response = await employer.post(PAGE, {"first": 5, "after": "bm90LWEtY3Vyc29y"})
    assert flows.top_level_codes(response) == ["BAD_USER_INPUT"]
    data = await employer.execute(PAGE, {"first": 100})
    assert data["postings"]["edges"] == []


async def test_status_filter(staff: GraphQLClient, employer: GraphQLClient) -> None:
    active = await flows.active_posting(employer, staff)
    await flows.create_posting(employer)
    data = await employer.execute(PAGE, {"first": 10, "status": "ACTIVE"})
    assert [e["node"]["id"] for e in data["postings"]["edges"]] == [active["id"]]
    data = await employer.execute(PAGE, {"first": 10, "status": "DRAFT"})
    assert len(data["postings"]["edges"]) == 1


async def seeker_client(server: Server, client: GraphQLClient) -> GraphQLClient:
    """A logged-in job seeker (求職者マイページ), made directly: seekers sign up elsewhere."""
    now = server.clock.now()
    user = await User.create(
        portal=Portal.SEEKER, email="seeker@example.jp", password_hash="-", created_at=now
    )
    token = secrets.token_urlsafe(32)
    await Session.create(
        user=user,
        token_hash=server.rt.secret_hash(SESSION_PURPOSE, token),
        created_at=now,
        expires_at=now + dt.timedelta(hours=1),
    )
    client.token = token
    return client


async def test_search_respects_the_publication_range(
    server: Server, staff: GraphQLClient, employer: GraphQLClient, gql: GraphQLClient, new_client
) -> None:
    ranges = [r.value for r in PublicationRange]
    numbers = {}
    for publication_range in ranges:
        posting = await flows.active_posting(
            employer,
            staff,
            publicationRange=publication_range,
            jobTitle=publication_range,
            acceptsOnlineApplications=publication_range in ("WITH_NAME", "WITHOUT_NAME"),
        )
        numbers[publication_range] = posting["postingNumber"]
    await flows.create_posting(employer, jobTitle="下書き")

    anonymous = await gql.execute(SEARCH)
    seeker = await (await seeker_client(server, new_client())).execute(SEARCH)
    as_employer = await employer.execute(SEARCH)

    def names(data: dict[str, Any]) -> dict[str, str | None]:
        return {
            e["node"]["jobTitle"]: e["node"]["establishmentName"]
            for e in data["postingSearch"]["edges"]
        }

    # Limited to Hello Work's seekers (限定公開): not found by anyone else; not published: by
    # nobody.
    assert names(anonymous) == {"WITH_NAME": "ハローワークケア", "WITHOUT_NAME": None}
    assert names(seeker) == {
        "WITH_NAME": "ハローワークケア",
        "NAME_TO_SEEKERS_ONLY": "ハローワークケア",
        "WITHOUT_NAME": None,
    }
    assert names(as_employer) == names(anonymous)
    hidden = [
        e["node"]
        for e in anonymous["postingSearch"]["edges"]
        if e["node"]["jobTitle"] != "WITH_NAME"
    ]
    assert all(node["contact"] is None for node in hidden)
    assert all(node["workplacePrefecture"] == "東京都" for node in hidden)


async def test_search_filters(
    staff: GraphQLClient, employer: GraphQLClient, gql: GraphQLClient
) -> None:
    await flows.active_posting(
        employer, staff, jobTitle="介護職員", workStyle="PART_TIME", dailyWorkingMinutes=360
    )
    await flows.active_posting(
        employer,
        staff,
        jobTitle="看護師",
        category="DISABILITY",
        workplacePrefecture="大阪府",
        workplaceAddress="大阪府大阪市中央区1-1",
        employmentType="NON_REGULAR",
    )

    async def titles(**variables: Any) -> list[str]:
        data = await gql.execute(SEARCH, variables)
        return sorted(e["node"]["jobTitle"] for e in data["postingSearch"]["edges"])

    assert await titles() == ["介護職員", "看護師"]
    assert await titles(keyword="看護") == ["看護師"]
    assert await titles(keyword="大阪市") == ["看護師"]
    assert await titles(category="DISABILITY") == ["看護師"]
    assert await titles(prefecture="東京都") == ["介護職員"]
    assert await titles(employmentType="REGULAR") == ["介護職員"]
    assert await titles(workStyle="PART_TIME") == ["介護職員"]
    assert await titles(keyword="存在しない職種") == []


async def test_invalid_postings_are_not_searchable(
    staff: GraphQLClient, employer: GraphQLClient, gql: GraphQLClient
) -> None:
    posting = await flows.active_posting(employer, staff)
    await flows.posting_step(employer, "postingStop", {"id": posting["id"], "reason": "充足"})
    data = await gql.execute(SEARCH)
    assert data["postingSearch"]["edges"] == []
    assert await Posting.filter(status=PostingStatus.INVALID).count() == 1
