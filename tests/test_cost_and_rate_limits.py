"""Cost and limits visible to clients (issue 17): every GraphQL answer tells its cost in
`extensions.cost` (`requested`, measured before execution as the cost limit measures it, a page
counting `first` or `last` times what is under it; `limit`, QUERY_MAX_COST), over HTTP and in a
WebSocket's `next` messages; an HTTP answer whose request checked a credential path's limits
carries `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset` (seconds), of the limit
nearest to exhaustion, and other answers none."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
from collections.abc import Iterator

import httpx
import pytest
from graphql import parse

from app.schema.extensions import query_cost
from app.settings import RateLimit
from tests import flows
from tests.conftest import START, GraphQLClient, Server
from tests.test_notices import establishment_of, send_notice
from tests.ws_client import GraphQLWebSocket

TERMS = "query Terms { termsDocuments { kind } }"
PAGE = "edges { node { id } }"

_windows = itertools.count()


@pytest.fixture
def limit(server: Server) -> int:
    return server.settings.query_max_cost


@pytest.fixture
def throttling(server: Server) -> Iterator[None]:
    """Throttling on (the test run has RATE_LIMITS=off), with the clock 17 seconds into a
    ten-minute window that no other test counts in: the windows of a minute then end in 43
    seconds, those of ten minutes in 583."""
    server.clock.set(START + dt.timedelta(days=41, minutes=10 * next(_windows), seconds=17))
    throttle = server.rt.throttle
    limits = throttle.limits
    throttle.enabled = True
    try:
        yield
    finally:
        throttle.enabled = False
        throttle.limits = limits


def rate_limit(response: httpx.Response) -> tuple[int, int, int] | None:
    headers = response.headers
    names = ("ratelimit-limit", "ratelimit-remaining", "ratelimit-reset")
    if not any(name in headers for name in names):
        return None
    limit, remaining, reset = (int(headers[name]) for name in names)
    return limit, remaining, reset


def cost(response: httpx.Response) -> dict[str, int]:
    found: dict[str, int] = response.json()["extensions"]["cost"]
    return found


# --- extensions.cost ------------------------------------------------------------------------------


async def test_every_answer_tells_its_cost_and_the_limit(gql: GraphQLClient, limit: int) -> None:
    assert cost(await gql.post(TERMS)) == {"requested": 2, "limit": limit}

    login = {"input": {"portal": "STAFF", "email": "nobody@example.jp", "password": "x"}}
    response = await gql.post(flows.LOGIN, login)
    assert response.json()["data"]["login"]["errors"]
    assert cost(response) == {
        "requested": query_cost(parse(flows.LOGIN), None, login),
        "limit": limit,
    }
    assert cost(response)["requested"] == 1 + 3 + 3 + 4

    # Refused before execution, nothing ran: nothing was requested.
    for refused in ("{ termsDocuments { kind }", "{ noSuchField }", "{ viewer }"):
        response = await gql.post(refused)
        assert response.json()["errors"], refused
        assert cost(response) == {"requested": 0, "limit": limit}, refused


async def test_over_the_limit_the_cost_refused_is_told(employer: GraphQLClient, limit: int) -> None:
    page = "edges { cursor node { id status } }"
    aliases = " ".join(f"p{i}: applications(first: 100) {{ {page} }}" for i in range(10))
    response = await employer.post("{" + aliases + "}")

    body = response.json()
    [error] = body["errors"]
    assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    assert body["extensions"]["cost"] == {"requested": 10 * (1 + 100 * 5), "limit": limit}
    assert error["extensions"]["cost"] == 10 * (1 + 100 * 5) > limit
    assert body["data"] is None


@pytest.mark.parametrize(
    ("arguments", "requested"),
    [
        ("(first: 5)", 1 + 5 * 3),
        ("(last: 3)", 1 + 3 * 3),
        ("", 1 + 20 * 3),  # the default page
        ("(first: 0)", 1),
        ("(last: 100)", 1 + 100 * 3),
    ],
)
async def test_a_page_costs_its_size_times_what_is_under_it(
    employer: GraphQLClient, limit: int, arguments: str, requested: int
) -> None:
    response = await employer.post(f"{{ applications{arguments} {{ {PAGE} }} }}")

    assert response.status_code == 200
    assert "errors" not in response.json(), response.json()
    assert cost(response) == {"requested": requested, "limit": limit}


async def test_a_page_refused_by_its_size_is_told_at_its_largest(
    employer: GraphQLClient, limit: int
) -> None:
    for arguments in ("(last: 101)", "(first: -1)", "(first: 2, last: 7)"):
        response = await employer.post(f"{{ applications{arguments} {{ {PAGE} }} }}")
        assert response.json()["errors"], arguments
        both = 1 + 7 * 3
        expected = both if "first: 2" in arguments else 1 + 100 * 3
        assert cost(response) == {"requested": expected, "limit": limit}, arguments


async def test_a_variable_page_size_is_read_as_sent(employer: GraphQLClient) -> None:
    query = f"query ($n: Int) {{ applications(last: $n) {{ {PAGE} }} }}"
    assert cost(await employer.post(query, {"n": 4}))["requested"] == 1 + 4 * 3
    assert cost(await employer.post(query, {}))["requested"] == 1 + 20 * 3


def test_last_sizes_a_page_as_first_does() -> None:
    def measured(arguments: str) -> int:
        return query_cost(parse(f"{{ postings{arguments} {{ {PAGE} }} }}"), None, {})

    assert measured("(last: 7)") == measured("(first: 7)") == 1 + 7 * 3
    assert measured("(first: 3, last: 9)") == measured("(first: 9, last: 3)") == 1 + 9 * 3
    # Null is no size: the default page, as the resolvers take it.
    assert measured("(last: null)") == measured("(first: null)") == 1 + 20 * 3
    for invalid in ("(last: 101)", "(last: -1)", "(last: true)", '(last: "5")', "(first: 1.5)"):
        assert measured(invalid) == 1 + 100 * 3, invalid
    assert measured("(last: 100)") == 1 + 100 * 3
    assert measured("(last: 0)") == 1


async def test_socket_answers_tell_their_cost(
    server: Server, employer: GraphQLClient, limit: int
) -> None:
    assert employer.token
    subscription = "subscription { noticeReceived { cursor notice { id title } } }"
    async with GraphQLWebSocket.connected(server.url, employer.token) as ws:
        query = await ws.subscribe("query { viewer { email } }")
        answer = await ws.receive()
        assert answer["id"] == query
        assert answer["type"] == "next"
        assert answer["payload"]["extensions"] == {"cost": {"requested": 2, "limit": limit}}
        assert await ws.receive() == {"id": query, "type": "complete"}

        events = await ws.subscribe(subscription)
        await ws.nothing_within(0.2)
        await send_notice(server, await establishment_of(server, employer), "料金")
        event = await ws.receive()
        assert event["id"] == events
        assert event["payload"]["data"]["noticeReceived"]["notice"]["title"] == "料金"
        assert event["payload"]["extensions"] == {"cost": {"requested": 5, "limit": limit}}


# --- RateLimit headers ----------------------------------------------------------------------------


async def login_attempt(gql: GraphQLClient, email: str) -> httpx.Response:
    return await gql.post(
        flows.LOGIN, {"input": {"portal": "STAFF", "email": email, "password": "wrong-pass-1"}}
    )


async def test_login_attempts_count_down_to_the_refusal(
    throttling: None, gql: GraphQLClient
) -> None:
    """Five tries a minute by account, ten by address: the account's limit is the nearer."""
    answers = [await login_attempt(gql, "nobody@example.jp") for _ in range(6)]

    assert [a.status_code for a in answers] == [200] * 5 + [429]
    assert [rate_limit(a) for a in answers] == [(5, n, 43) for n in (4, 3, 2, 1, 0, 0)]
    refused = answers[-1]
    assert refused.headers["retry-after"] == "43"
    assert refused.json()["errors"][0]["extensions"]["code"] == "THROTTLED"
    assert cost(refused)["requested"] > 0


async def test_the_limit_nearest_to_exhaustion_is_told(
    throttling: None, gql: GraphQLClient
) -> None:
    """Password reset requests: five a minute by address, three in ten minutes by account.
    Each try for another address leaves the account's at 2 of 3 (583 s to go) while the
    address's runs down; equal (2 left), the longer wait is told."""
    told = []
    for n in range(5):
        response = await gql.post(
            """mutation ($input: PasswordResetRequestInput!) {
              passwordResetRequest(input: $input) { errors { code } } }""",
            {"input": {"portal": "EMPLOYER", "email": f"reset{n}@example.jp"}},
        )
        assert response.status_code == 200, response.text
        told.append(rate_limit(response))

    assert told == [(3, 2, 583), (3, 2, 583), (3, 2, 583), (5, 1, 43), (5, 0, 43)]


async def test_answers_that_check_no_credential_limit_have_no_headers(
    throttling: None, server: Server, gql: GraphQLClient, limit: int
) -> None:
    response = await gql.post(TERMS)
    assert response.status_code == 200
    assert rate_limit(response) is None
    assert cost(response) == {"requested": 2, "limit": limit}

    # Nor the request budget's refusal, which has its Retry-After; nothing ran, at no cost.
    throttle = server.rt.throttle
    throttle.limits = dataclasses.replace(throttle.limits, requests_per_session=RateLimit(1, 60))
    refused = await gql.post(TERMS)
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "43"
    assert rate_limit(refused) is None
    assert cost(refused) == {"requested": 0, "limit": limit}


async def test_without_throttling_no_headers(gql: GraphQLClient) -> None:
    assert rate_limit(await login_attempt(gql, "nobody@example.jp")) is None
