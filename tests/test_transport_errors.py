"""Refusals below GraphQL over HTTP (`app.transport`, `app.main.GraphQLApp`): every one is JSON
`{"errors": [{"message": <Japanese>, "extensions": {"code": …}}]}` with its HTTP status, never
text, whatever was wrong: the method, the content type, the body, the shape, a batch, a
missing query, an unknown persisted hash, or a subscription sent over HTTP."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import pytest

from tests.conftest import Server, new_staff
from tests.malformed import no_error_logged
from tests.ws_client import GraphQLWebSocket

JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
TYPENAME = "{ __typename }"
SUBSCRIPTION = "subscription Arrivals { reviewQueueChanged { cursor } }"
UNKNOWN_HASH = "0" * 64


def refusal(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """The one error of a JSON refusal, checked for its status, code and a Japanese message."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json", response.headers
    body = response.json()
    assert "data" not in body, body
    [error] = body["errors"]
    assert error["extensions"]["code"] == code, error
    assert JAPANESE.search(error["message"]), error
    return dict(error)


async def post_json(http: httpx.AsyncClient, body: object) -> httpx.Response:
    return await http.post("/graphql", content=json.dumps(body).encode(), headers=JSON)


JSON = {"Content-Type": "application/json"}


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE", "OPTIONS"])
async def test_another_method_is_a_json_405(
    http: httpx.AsyncClient, caplog: pytest.LogCaptureFixture, method: str
) -> None:
    with no_error_logged(caplog):
        response = await http.request(method, "/graphql", json={"query": TYPENAME})
    error = refusal(response, 405, "METHOD_NOT_ALLOWED")
    assert error["message"] == "GraphQL は GET と POST でのみ受け付けます。"


async def test_head_is_a_405_too(http: httpx.AsyncClient) -> None:
    response = await http.head("/graphql", params={"query": TYPENAME})
    assert response.status_code == 405
    assert response.headers["content-type"] == "application/json"


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "application/graphql", ""],
)
async def test_another_content_type_is_a_json_400(
    http: httpx.AsyncClient, caplog: pytest.LogCaptureFixture, content_type: str
) -> None:
    with no_error_logged(caplog):
        response = await http.post(
            "/graphql",
            content=json.dumps({"query": TYPENAME}).encode(),
            headers={"Content-Type": content_type, "Authorization": "Bearer x"},
        )
    error = refusal(response, 400, "BAD_REQUEST")
    assert error["extensions"]["reason"] == "Unsupported content type"


BAD_BODIES: dict[str, tuple[bytes, str]] = {
    "not JSON": (b"{query: 1}", "Unable to parse request body as JSON"),
    "empty": (b"", "Unable to parse request body as JSON"),
    "a batch": (json.dumps([{"query": TYPENAME}, {"query": TYPENAME}]).encode(), ""),
    "no query": (b"{}", "No GraphQL query found in the request"),
    "variables only": (b'{"variables": {}}', "No GraphQL query found in the request"),
    "a null query": (b'{"query": null}', "No GraphQL query found in the request"),
    "documentId a number": (b'{"documentId": 1}', ""),
    "persistedQuery a string": (b'{"extensions": {"persistedQuery": "x"}}', ""),
    "no operation of that name": (
        b'{"query": "query A { __typename }", "operationName": "B"}',
        'Unknown operation named "B".',
    ),
}


@pytest.mark.parametrize("case", BAD_BODIES)
async def test_a_malformed_body_is_a_json_400_with_strawberrys_reason(
    http: httpx.AsyncClient, caplog: pytest.LogCaptureFixture, case: str
) -> None:
    body, reason = BAD_BODIES[case]
    with no_error_logged(caplog):
        response = await http.post("/graphql", content=body, headers=JSON)
    error = refusal(response, 400, "BAD_REQUEST")
    if reason:
        assert error["extensions"]["reason"] == reason
    else:
        assert "reason" not in error["extensions"], error


async def test_a_get_without_a_query_is_a_json_400_unless_a_browser_asks_for_the_ide(
    http: httpx.AsyncClient,
) -> None:
    for accept in ("application/json", "application/graphql-response+json", ""):
        response = await http.get("/graphql", headers={"Accept": accept})
        error = refusal(response, 400, "BAD_REQUEST")
        assert error["extensions"]["reason"] == "No GraphQL query found in the request"
    # A browser in development gets GraphiQL instead…
    page = await http.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    # …but not for a request by id, which has no query either.
    for params in (
        {"documentId": UNKNOWN_HASH},
        {"extensions": json.dumps({"persistedQuery": {"version": 1, "sha256Hash": UNKNOWN_HASH}})},
    ):
        response = await http.get("/graphql", params=params, headers={"Accept": "*/*"})
        assert response.status_code == 200, response.text
        assert response.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"


async def test_an_unknown_persisted_hash_is_json_with_apollos_code(http: httpx.AsyncClient) -> None:
    """Apollo Server's answer exactly: HTTP 200, message `PersistedQueryNotFound` (which older
    Apollo clients look for) and code PERSISTED_QUERY_NOT_FOUND; then the client resends."""
    extensions = {"persistedQuery": {"version": 1, "sha256Hash": UNKNOWN_HASH}}
    for response in (
        await post_json(http, {"extensions": extensions}),
        await http.get("/graphql", params={"extensions": json.dumps(extensions)}),
    ):
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/json"
        assert response.json()["errors"] == [
            {
                "message": "PersistedQueryNotFound",
                "extensions": {"code": "PERSISTED_QUERY_NOT_FOUND"},
            }
        ]


async def test_a_mutation_over_get_stays_refused(http: httpx.AsyncClient) -> None:
    response = await http.get(
        "/graphql", params={"query": "mutation Out { logout { errors { code } } }"}
    )
    error = refusal(response, 400, "BAD_REQUEST")
    assert error["extensions"]["reason"] == "mutations are not allowed when using GET"


async def test_a_multipart_request_without_a_preflight_header_is_a_json_400(
    http: httpx.AsyncClient,
) -> None:
    response = await http.post(
        "/graphql",
        data={"operations": json.dumps({"query": TYPENAME}), "map": "{}"},
        files={"0": ("a.png", b"x", "image/png")},
    )
    error = refusal(response, 400, "BAD_REQUEST")
    assert "Apollo-Require-Preflight" in error["extensions"]["reason"]


def assert_names_the_websocket(error: dict[str, Any]) -> None:
    assert "graphql-transport-ws" in error["message"], error
    assert "WebSocket" in error["message"], error
    assert "/graphql" in error["message"], error
    assert "graphql-transport-ws" in error["extensions"]["reason"], error


async def test_a_subscription_over_http_is_a_400_that_names_the_websocket(
    server: Server, http: httpx.AsyncClient, new_client: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """Over POST or GET, anonymous or logged in, alone or chosen by `operationName`: a 400 that
    says where subscriptions are served, never an INTERNAL_SERVER_ERROR with a traceback."""
    staff = await new_staff(server, new_client())
    both = f"query Now {{ __typename }} {SUBSCRIPTION}"
    with no_error_logged(caplog):
        for headers in ({}, {"Authorization": f"Bearer {staff.token}"}):
            for response in (
                await http.post("/graphql", json={"query": SUBSCRIPTION}, headers=headers),
                await http.get("/graphql", params={"query": SUBSCRIPTION}, headers=headers),
                await http.post(
                    "/graphql",
                    json={"query": both, "operationName": "Arrivals"},
                    headers=headers,
                ),
                # Asking for an event stream changes nothing: the service streams no HTTP.
                await http.post(
                    "/graphql",
                    json={"query": SUBSCRIPTION},
                    headers={**headers, "Accept": "text/event-stream"},
                ),
            ):
                assert_names_the_websocket(refusal(response, 400, "BAD_REQUEST"))
        # The query of the same document runs.
        ran = await http.post("/graphql", json={"query": both, "operationName": "Now"})
        assert ran.json()["data"] == {"__typename": "Query"}
        # A document that does not parse is reported by GraphQL as before, with its place.
        broken = await http.post("/graphql", json={"query": "subscription { reviewQueueChanged {"})
        assert broken.status_code == 200
        [error] = broken.json()["errors"]
        assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED", error
        assert error["locations"]

    # Over the WebSocket the same document is served.
    assert staff.token is not None
    async with GraphQLWebSocket.connected(server.url, staff.token) as ws:
        await ws.subscribe(SUBSCRIPTION)
        await ws.nothing_within(0.2)
