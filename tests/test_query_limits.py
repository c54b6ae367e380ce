"""Limits on what one request may ask for: expanded size, depth, aliases, tokens and cost."""

from __future__ import annotations

from graphql import OperationDefinitionNode, parse
from graphql import build_schema as build_sdl_schema

from app.schema import build_schema, schema
from app.schema.extensions import (
    _COSTS,
    LIMIT_ERRORS,
    VALIDATION_ERRORS,
    Measure,
    cached_query_cost,
    fragments_of,
    measure,
    overlap_pairs,
    query_cost,
)
from app.settings import Settings
from bench.validation import reused_fragments
from tests.conftest import GraphQLClient, Server, new_employer_of, new_staff

MAX_SIZE = Settings.query_max_size
MAX_DEPTH = Settings.query_max_depth
MAX_ALIASES = Settings.query_max_aliases
MAX_COST = Settings.query_max_cost


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
    twice = "fragment F on Posting { id } { postings(first: 10) { edges { node { ...F ...F } } } }"
    assert cost(twice) == 1 + 10 * (1 + 1 + 2)


def test_a_page_size_is_the_one_the_executor_will_use() -> None:
    def cost(query: str, **variables: object) -> int:
        return query_cost(parse(query), None, variables, schema._schema)

    threads = "messageThreads(first: $n) { edges { node { id } } }"
    # Sent, else the operation's default for the variable, else the argument's default (20).
    assert cost("query ($n: Int = 100) { " + threads + " }", n=5) == 1 + 5 * 3
    assert cost("query ($n: Int = 100) { " + threads + " }") == 1 + 100 * 3
    assert cost("query ($n: Int) { " + threads + " }") == 1 + 20 * 3
    in_fragment = "query ($n: Int = 100) { ...T } fragment T on Query { " + threads + " }"
    assert cost(in_fragment) == 1 + 100 * 3
    # The argument's default is the schema's, whatever the connections' usual page is.
    other = build_sdl_schema(
        "type Query { items(first: Int = 7): ItemConnection }"
        " type ItemConnection { edges: [ItemEdge] } type ItemEdge { node: Item }"
        " type Item { id: ID }"
    )
    items = "items(first: $n) { edges { node { id } } }"
    assert query_cost(parse("{ items { edges { node { id } } } }"), None, {}, other) == 22
    assert query_cost(parse("query ($n: Int) { " + items + " }"), None, {}, other) == 22
    assert query_cost(parse("query ($n: Int) { " + items + " }"), None, {"n": 2}, other) == 7


def test_a_kept_cost_is_the_cost_of_its_page_sizes() -> None:
    """`cached_query_cost` answers as `query_cost` for each value of the page-size variables
    (of each type: `True` and `2.0` equal `1` and `2` but count as the largest page), each
    operation, and whatever the other variables hold; values no key can hold are measured."""
    document = parse(
        "query A($n: Int, $after: String) { postings(first: $n, after: $after)"
        " { edges { node { id } } } } query B { viewer { email } }"
    )
    cases: list[tuple[str | None, dict[str, object]]] = [
        ("A", {"n": 2}),
        ("A", {"n": 2, "after": "x"}),
        ("A", {"n": 2.0}),
        ("A", {"n": 1}),
        ("A", {"n": True}),
        ("A", {}),
        ("A", {"n": [2]}),
        ("A", {"n": {"first": 2}}),
        ("B", {"n": 2}),
        ("A", {"n": 2}),
    ]
    for name, variables in cases:
        expected = query_cost(document, name, variables, schema._schema)
        assert cached_query_cost(document, name, variables, schema._schema) == expected
    hits = _COSTS.hits
    for name, variables in cases:  # again: all kept but the two no key can hold
        expected = query_cost(document, name, variables, schema._schema)
        assert cached_query_cost(document, name, variables, schema._schema) == expected
    assert _COSTS.hits - hits == len(cases) - 2
    assert [cached_query_cost(document, "A", {"n": n}, schema._schema) for n in (1, True)] == [
        4,
        1 + 100 * 3,
    ]


async def test_a_variable_default_counts_at_its_value(gql: GraphQLClient) -> None:
    page = "edges { node { id createdAt lastMessageAt unreadCount } }"
    threads = " ".join(f"t{i}: messageThreads(first: $n) {{ {page} }}" for i in range(10))
    query = "query Threads($n: Int = 100) { " + threads + " }"

    refused = (await gql.post(query)).json()
    small = (await gql.post(query, {"n": 20})).json()

    assert _codes(refused) == ["QUERY_TOO_COMPLEX"]
    assert refused["errors"][0]["extensions"]["cost"] == 10 * (1 + 100 * 6)
    assert "QUERY_TOO_COMPLEX" not in _codes(small)


async def test_fragments_spread_over_and_over_are_refused_by_their_expanded_size(
    gql: GraphQLClient,
) -> None:
    assert MAX_SIZE == 2 * 10**3  # the default, which the documents below are made for
    exponential = reused_fragments(6)  # 2 × 10^6 fields from under 600 bytes
    at_the_limit = reused_fragments(3)
    over_the_limit = reused_fragments(3, head="__typename")

    refused = (await gql.post(exponential)).json()
    allowed = (await gql.post(at_the_limit)).json()
    one_more = (await gql.post(over_the_limit)).json()

    assert len(exponential) < 600
    assert _codes(refused) == ["QUERY_TOO_COMPLEX"]
    assert refused["errors"][0]["extensions"] == {
        "code": "QUERY_TOO_COMPLEX",
        "size": 2 * 10**6,
        "maxSize": MAX_SIZE,
    }
    assert "項目数" in refused["errors"][0]["message"]
    assert refused.get("data") is None
    assert allowed["data"] == {"__typename": "Query"}
    assert _codes(one_more) == ["QUERY_TOO_COMPLEX"]


def test_the_measure_takes_each_fragment_once_and_survives_cycles() -> None:
    def measured(text: str) -> Measure:
        document = parse(text)
        operation = next(d for d in document.definitions if isinstance(d, OperationDefinitionNode))
        return measure(operation, fragments_of(document))

    huge = measured(reused_fragments(30))  # 2 × 10^30 fields: counted, never visited
    cyclic = measured(
        "{ ...A } fragment A on Query { __typename ...B } fragment B on Query { ...A }"
    )

    assert huge == Measure(levels=1, aliases=0, size=2 * 10**30, cost=2 * 10**30)
    assert cyclic.size == 1


async def test_a_cyclic_document_is_refused_as_graphql_core_does(gql: GraphQLClient) -> None:
    cyclic = "{ ...A } fragment A on Query { __typename ...B } fragment B on Query { ...A }"

    body = (await gql.post(cyclic)).json()

    assert set(_codes(body)) == {"GRAPHQL_VALIDATION_FAILED"}
    assert any("within itself" in e["message"] for e in body["errors"])


async def test_an_operation_over_the_cost_limit_is_refused_before_it_runs(
    server: Server, gql: GraphQLClient, new_client
) -> None:
    await new_employer_of(server, await new_staff(server, new_client()), gql)
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
    assert (await gql.post(nested(MAX_DEPTH + 1))).json()["data"] == {"node": None}
    assert _codes((await gql.post(nested(MAX_DEPTH + 2))).json()) == ["GRAPHQL_VALIDATION_FAILED"]
    assert "errors" not in (await gql.post(enough)).json()
    assert _codes((await gql.post(many)).json()) == ["GRAPHQL_VALIDATION_FAILED"]


async def test_depth_and_aliases_count_through_fragments(gql: GraphQLClient) -> None:
    def nested(depth: int) -> str:
        """`depth` levels of fields as in the test above, each level in a fragment of its own."""
        types, names = ("MessageThread", "Message"), ("lastMessage", "thread")
        fragments = [
            f"fragment L{level} on {types[level % 2]} "
            f"{{ {names[level % 2]} {{ ...L{level + 1} }} }}"
            for level in range(1, depth - 1)
        ]
        fragments.append(f"fragment L{depth - 1} on {types[(depth - 1) % 2]} {{ id }}")
        return '{ node(id: "x") { ...L1 } } ' + " ".join(fragments)

    four = "fragment A on Query { a: __typename b: __typename c: __typename d: __typename }"
    thrice = "fragment B on Query { ...A ...A ...A }"
    many = f"{{ ...A ...B }} {thrice} {four}"  # 16 aliases
    enough = f"{{ ...B x: __typename y: __typename z: __typename }} {thrice} {four}"

    assert (await gql.post(nested(MAX_DEPTH + 1))).json()["data"] == {"node": None}
    deep = (await gql.post(nested(MAX_DEPTH + 2))).json()
    assert _codes(deep) == ["GRAPHQL_VALIDATION_FAILED"]
    assert (
        deep["errors"][0]["message"]
        == f"'anonymous' exceeds maximum operation depth of {MAX_DEPTH}"
    )
    assert "errors" not in (await gql.post(enough)).json()
    aliased = (await gql.post(many)).json()
    assert _codes(aliased) == ["GRAPHQL_VALIDATION_FAILED"]
    assert aliased["errors"][0]["message"] == f"16 aliases found. Allowed: {MAX_ALIASES}"


async def test_a_repeated_document_is_validated_once_and_still_refused(
    gql: GraphQLClient,
) -> None:
    too_many = "{ " + " ".join(f"b{i}: viewer {{ email }}" for i in range(MAX_ALIASES + 1)) + " }"
    fine = "query Repeated { viewer { email } }"
    await gql.post(fine)
    before = (VALIDATION_ERRORS.hits, VALIDATION_ERRORS.misses)
    limits_before = (LIMIT_ERRORS.hits, LIMIT_ERRORS.misses)

    for _ in range(3):
        assert "errors" not in (await gql.post(fine)).json()
        assert _codes((await gql.post(too_many)).json()) == ["GRAPHQL_VALIDATION_FAILED"]

    after = (VALIDATION_ERRORS.hits, VALIDATION_ERRORS.misses)
    limits_after = (LIMIT_ERRORS.hits, LIMIT_ERRORS.misses)
    # The valid document is validated once; the refused one never reaches graphql-core's rules.
    assert (after[0] - before[0], after[1] - before[1]) == (3, 0)
    # Both are measured once: every later request of either hits.
    assert limits_after[0] - limits_before[0] >= 5
    assert limits_after[1] - limits_before[1] <= 1


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
    small = build_schema(Settings(query_max_size=3))

    costly = await strict.execute("{ termsDocuments { kind version } }")
    aliased = await strict.execute("{ a: termsDocuments { kind } b: termsDocuments { kind } }")
    cheap = await strict.execute("{ termsDocuments { kind } }")
    large = await small.execute(
        "{ ...T ...T } fragment T on Query { termsDocuments { kind version } }"
    )

    assert costly.errors is not None
    assert [e.extensions["code"] for e in costly.errors if e.extensions] == ["QUERY_TOO_COMPLEX"]
    assert aliased.errors is not None
    assert cheap.errors is None
    assert large.errors is not None
    assert [e.extensions for e in large.errors] == [
        {"code": "QUERY_TOO_COMPLEX", "size": 6, "maxSize": 3}
    ]


def _pairs(text: str) -> int:
    document = parse(text)
    [operation] = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    return overlap_pairs([operation.selection_set], fragments_of(document), 10**9)


def test_overlap_pairs_count_repeated_fields_at_every_level_merged() -> None:
    assert _pairs("{ viewer { email } }") == 0
    assert _pairs("{ a: viewer { email } b: viewer { email } }") == 0
    # Three `viewer`s: three pairs, and their three `email`s merged: three more.
    assert _pairs("{ viewer { email } viewer { email } viewer { email } }") == 6
    # Through inline fragments and a fragment, which counts once however often it is spread.
    spread = "{ viewer { email } ... { viewer { email } } ...F ...F }"
    assert _pairs(spread + " fragment F on Query { viewer { email } }") == 6


async def test_fields_repeated_past_the_pairs_limit_are_refused_before_validation(
    gql: GraphQLClient,
) -> None:
    """graphql-core's rule for overlapping fields is quadratic: 500 `viewer { email }` took it
    1.6 s here. 45 of them are 2 × 990 pairs (the `viewer`s, then their `email`s), 46 are
    2 × 1,035."""

    def repeated(times: int) -> str:
        return "{ " + " ".join(["viewer { email }"] * times) + " }"

    assert _pairs(repeated(45)) == 2 * 990
    allowed = (await gql.post(repeated(45))).json()
    assert allowed["data"] == {"viewer": None}
    assert _pairs(repeated(46)) == 2 * 1035
    refused = (await gql.post(repeated(46))).json()
    assert _codes(refused) == ["QUERY_TOO_COMPLEX"]
    assert refused["errors"][0]["extensions"] == {
        "code": "QUERY_TOO_COMPLEX",
        "overlapPairs": 2070,
        "maxOverlapPairs": 2000,
    }
    flood = (await gql.post(repeated(490))).json()  # within the token and size limits
    assert _codes(flood) == ["QUERY_TOO_COMPLEX"]
