"""Limits on what one request may ask for: depth, aliases, tokens and cost."""

from __future__ import annotations

from graphql import parse
from strawberry.extensions.validation_cache import _get_validate_cache

from app.schema import MAX_ALIASES, MAX_COST, MAX_DEPTH, VALIDATION_CACHE_SIZE, build_schema
from app.schema.extensions import query_cost
from app.settings import Settings
from tests import flows
from tests.conftest import GraphQLClient, Server


def _codes(body: dict[str, object]) -> list[str]:
    errors = body.get("errors") or []
    assert isinstance(errors, list)
    return [e["extensions"]["code"] for e in errors]


def test_a_page_multiplies_the_cost_of_what_is_under_it() -> None:
    def cost(query: str, **variables: object) -> int:
        return query_cost(parse(query), None, variables)

    assert cost("{ viewer { email portal } }") == 3
    assert cost("{ postings(first: 50) { edges { node { id status } } } }") == 1 + 50 * 4
    assert cost("query ($n: Int) { postings(first: $n) { edges { node { id } } } }", n=5) == 16
    # Without `first` a connection counts as its default page of 20; too large counts as 100.
    assert cost("{ postings { edges { node { id } } } }") == 1 + 20 * 3
    assert cost("{ postings(first: 1000) { edges { node { id } } } }") == 1 + 100 * 3
    fragment = (
        "fragment F on Posting { id status } { postings(first: 10) { edges { node { ...F } } } }"
    )
    assert cost(fragment) == 1 + 10 * 4


async def test_an_operation_over_the_cost_limit_is_refused_before_it_runs(
    server: Server, gql: GraphQLClient, new_client
) -> None:
    staff = await flows.staff_client(server, new_client())
    counter = await flows.register_at_counter(staff)
    await flows.open_employer_account(server, gql, counter)
    page = "{ edges { node { id status postingNumber referralDeadline acceptedAt } } }"
    aliases = " ".join(f"p{i}: postings(first: 100) {page}" for i in range(10))
    cheap = " ".join(f"p{i}: postings(first: 5) {page}" for i in range(10))
    assert query_cost(parse("{" + aliases + "}"), None, {}) > MAX_COST

    response = await gql.post("{" + aliases + "}")
    allowed = await gql.post("{" + cheap + "}")

    body = response.json()
    assert _codes(body) == ["QUERY_TOO_COMPLEX"]
    assert body["errors"][0]["extensions"]["maxCost"] == MAX_COST
    assert body.get("data") is None
    assert "errors" not in allowed.json()


async def test_depth_and_aliases_are_limited(gql: GraphQLClient) -> None:
    def nested(depth: int) -> str:
        """`depth` levels of fields: a message's thread's last message's thread…"""
        names = [("thread", "lastMessage")[level % 2] for level in range(depth - 2)]
        inner = "id"
        for name in reversed(names):
            inner = f"{name} {{ {inner} }}"
        return '{ node(id: "x") { ... on Message { ' + inner + " } } }"

    many = "{ " + " ".join(f"a{i}: viewer {{ email }}" for i in range(MAX_ALIASES + 1)) + " }"
    enough = "{ " + " ".join(f"a{i}: viewer {{ email }}" for i in range(MAX_ALIASES)) + " }"

    # The root field is at depth 0: MAX_DEPTH + 1 levels of fields are the most allowed.
    assert (await gql.post(nested(MAX_DEPTH + 1))).json() == {"data": {"node": None}}
    assert _codes((await gql.post(nested(MAX_DEPTH + 2))).json()) == ["GRAPHQL_VALIDATION_FAILED"]
    assert "errors" not in (await gql.post(enough)).json()
    assert _codes((await gql.post(many)).json()) == ["GRAPHQL_VALIDATION_FAILED"]


async def test_a_repeated_document_is_validated_once_and_still_refused(
    gql: GraphQLClient,
) -> None:
    too_many = "{ " + " ".join(f"b{i}: viewer {{ email }}" for i in range(MAX_ALIASES + 1)) + " }"
    fine = "query Repeated { viewer { email } }"
    cache = _get_validate_cache(VALIDATION_CACHE_SIZE)
    await gql.post(fine)
    before = cache.cache_info()

    for _ in range(3):
        assert "errors" not in (await gql.post(fine)).json()
        assert _codes((await gql.post(too_many)).json()) == ["GRAPHQL_VALIDATION_FAILED"]

    after = cache.cache_info()
    assert after.hits - before.hits >= 5  # all but the first of the refused document
    assert after.misses - before.misses <= 1


async def test_a_syntax_error_is_coded_like_any_other(gql: GraphQLClient) -> None:
    body = (await gql.post("{ viewer { email }")).json()

    assert _codes(body) == ["GRAPHQL_VALIDATION_FAILED"]
    assert "Syntax Error" in body["errors"][0]["message"]


async def test_a_document_over_the_token_limit_is_refused(gql: GraphQLClient) -> None:
    huge = "{ " + " ".join("viewer { email }" for _ in range(800)) + " }"

    body = (await gql.post(huge)).json()

    assert _codes(body) == ["GRAPHQL_VALIDATION_FAILED"]
    assert "token" in body["errors"][0]["message"].lower()


async def test_batched_requests_are_refused(gql: GraphQLClient) -> None:
    response = await gql.http.post(
        "/graphql", json=[{"query": "{ viewer { email } }"}, {"query": "{ viewer { email } }"}]
    )

    assert response.status_code == 400


async def test_the_limits_follow_the_settings() -> None:
    strict = build_schema(Settings(query_max_cost=2, query_max_aliases=1))

    costly = await strict.execute("{ termsDocuments { kind version } }")
    aliased = await strict.execute("{ a: termsDocuments { kind } b: termsDocuments { kind } }")
    cheap = await strict.execute("{ termsDocuments { kind } }")

    assert costly.errors is not None
    assert [e.extensions["code"] for e in costly.errors if e.extensions] == ["QUERY_TOO_COMPLEX"]
    assert aliased.errors is not None
    assert cheap.errors is None
