"""Cross-origin resource sharing (issue 17): a page of an origin in `ALLOWED_ORIGINS` calls the
API with its cookies or a bearer token, reads the answers and the headers it needs, and opens
the WebSocket; a page of any other origin can do none of it, and nothing it sent runs.

The API runs in its own process with `ALLOWED_ORIGINS` naming a page server on another port (a
different origin, as a Vite dev server on :5173 is to an API on :8000), on the test run's
database; the pages are driven in Debian's chromium.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import uvicorn
from playwright.async_api import Browser, Page
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route
from websockets.exceptions import InvalidStatus

from app.middleware import CORS_MAX_AGE_SECONDS
from app.models import Session
from tests import flows
from tests.browser import chromium, watched_page
from tests.conftest import TLS, GraphQLClient, Server, new_staff
from tests.processes import UvicornProcess, service_env
from tests.ws_client import GraphQLWebSocket

pytestmark = pytest.mark.slow

VIEWER = "query CorsViewer { viewer { email } }"
LOGOUT = "mutation CorsLogout { logout { errors { code } } }"
STAFF_EMAIL = "staff13010@example.jp"

REQUEST_HEADERS = "content-type, authorization, apollo-require-preflight, x-request-id"
EXPOSED = {
    "x-request-id",
    "retry-after",
    "ratelimit-limit",
    "ratelimit-remaining",
    "ratelimit-reset",
}


@dataclass
class Origins:
    api: str
    """The API's origin (its own process)."""
    allowed: str
    """A page server's origin, in the API's ALLOWED_ORIGINS."""
    foreign: str
    """Another page server's origin, not in it."""


async def blank_page(request: Request) -> HTMLResponse:
    return HTMLResponse(
        "<!doctype html><html lang='en'><title>frontend</title><link rel='icon' href='data:,'>"
    )


@contextlib.asynccontextmanager
async def page_server() -> AsyncIterator[str]:
    """A server of one blank page on a loopback port of its own; its origin."""
    app = Starlette(routes=[Route("/", blank_page)])
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@pytest.fixture(scope="module")
async def origins(
    server: Server, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Origins]:
    var_dir = tmp_path_factory.mktemp("cors")
    async with page_server() as allowed, page_server() as foreign:
        env = service_env(
            var_dir,
            DATABASE_URL=server.settings.database_url,
            ALLOWED_ORIGINS=allowed,
            # The test run's tables: no expiry or mail of this process's own meanwhile.
            EXPIRY_INTERVAL_SECONDS="0",
            MAIL_INTERVAL_SECONDS="3600",
        )
        process = UvicornProcess(env, var_dir / "uvicorn.log")
        await asyncio.to_thread(process.__enter__)
        try:
            yield Origins(process.url, allowed, foreign)
        finally:
            await asyncio.to_thread(process.stop)
        assert "Traceback" not in process.log


@pytest.fixture
async def api(origins: Origins) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=origins.api, timeout=30, verify=TLS) as client:
        yield client


@pytest.fixture
async def token(server: Server, new_client: Any) -> str:
    """A staff login's session token, opened at the wall clock's time (the API's own process
    reads the wall clock)."""
    server.clock.set(dt.datetime.now(dt.UTC))
    client: GraphQLClient = await new_staff(server, new_client())
    assert client.token
    return client.token


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with chromium() as browser:
        yield browser


async def session_is_open() -> bool:
    return await Session.exists(user__email=STAFF_EMAIL, ended_at__isnull=True)


def names(value: str) -> set[str]:
    return {name.strip().lower() for name in value.split(",")}


# --- Preflights and answers, over plain HTTP -----------------------------------------------------


def preflight(origin: str, method: str = "POST", headers: str = REQUEST_HEADERS) -> dict[str, str]:
    return {
        "Origin": origin,
        "Access-Control-Request-Method": method,
        "Access-Control-Request-Headers": headers,
    }


async def test_a_preflight_from_an_allowed_origin_is_answered(
    origins: Origins, api: httpx.AsyncClient
) -> None:
    response = await api.options("/graphql", headers=preflight(origins.allowed))

    assert response.status_code == 200, response.text
    headers = response.headers
    assert headers["access-control-allow-origin"] == origins.allowed
    assert headers["access-control-allow-credentials"] == "true"
    assert names(headers["access-control-allow-methods"]) == {"get", "post", "options"}
    assert names(REQUEST_HEADERS) <= names(headers["access-control-allow-headers"])
    assert headers["access-control-max-age"] == str(CORS_MAX_AGE_SECONDS)
    assert "origin" in names(headers["vary"])
    # Answered outside the request id and the security headers, as any answer.
    assert headers["x-request-id"]
    assert headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize(
    ("origin", "method", "request_headers"),
    [
        ("foreign", "POST", REQUEST_HEADERS),
        ("foreign", "GET", "content-type"),
        ("allowed", "PUT", "content-type"),
        ("allowed", "POST", "content-type, x-secret"),
    ],
)
async def test_a_preflight_for_anything_else_is_refused(
    origins: Origins, api: httpx.AsyncClient, origin: str, method: str, request_headers: str
) -> None:
    origin = origins.allowed if origin == "allowed" else origins.foreign
    response = await api.options("/graphql", headers=preflight(origin, method, request_headers))

    assert response.status_code == 400
    if origin == origins.foreign:
        assert "access-control-allow-origin" not in response.headers


async def test_answers_to_an_allowed_origin_carry_the_headers_it_may_read(
    origins: Origins, api: httpx.AsyncClient, token: str
) -> None:
    response = await api.post(
        "/graphql",
        json={"query": VIEWER},
        headers={"Origin": origins.allowed, "Authorization": f"Bearer {token}"},
    )

    assert response.status_code == 200
    assert response.json()["data"] == {"viewer": {"email": STAFF_EMAIL}}
    assert response.headers["access-control-allow-origin"] == origins.allowed
    assert response.headers["access-control-allow-credentials"] == "true"
    assert names(response.headers["access-control-expose-headers"]) == EXPOSED


async def test_answers_to_another_origin_allow_it_nothing(
    origins: Origins, api: httpx.AsyncClient
) -> None:
    response = await api.post(
        "/graphql",
        json={"query": "{ termsDocuments { kind } }"},
        headers={"Origin": origins.foreign},
    )

    assert response.status_code == 200
    assert "access-control-allow-origin" not in response.headers
    assert "origin" in names(response.headers["vary"])


async def test_refusals_inside_cors_are_readable_by_the_allowed_origin_only(
    origins: Origins, api: httpx.AsyncClient, token: str
) -> None:
    """The CSRF guard runs inside CORS. A page of another origin that posts a form with the
    user's cookie is refused, and cannot read why; an allowed origin's Origin makes the same
    request safe, and what the view then answers (a 400 here) carries CORS for it."""
    cookies = {"Cookie": f"hw_session={token}", "Content-Type": "text/plain"}
    body = '{"query": "mutation { logout { errors { code } } }"}'

    refused = await api.post(
        "/graphql", content=body, headers={**cookies, "Origin": origins.foreign}
    )
    assert refused.status_code == 403
    assert refused.json()["errors"][0]["extensions"]["code"] == "CSRF_REFUSED"
    assert "access-control-allow-origin" not in refused.headers
    assert await session_is_open()

    answered = await api.post(
        "/graphql", content=body, headers={**cookies, "Origin": origins.allowed}
    )
    assert answered.status_code == 400
    assert answered.headers["access-control-allow-origin"] == origins.allowed
    assert answered.json()["errors"]
    assert await session_is_open()


async def test_the_websocket_opens_from_an_allowed_origin_only(
    origins: Origins, token: str
) -> None:
    async with GraphQLWebSocket.open(origins.api, origin=origins.allowed) as ws:
        await ws.init({"authorization": f"Bearer {token}"})

    with pytest.raises(InvalidStatus) as refused:
        async with GraphQLWebSocket.open(origins.api, origin=origins.foreign):
            pass
    assert refused.value.response.status_code == 403


# --- In chromium ---------------------------------------------------------------------------------

POST = """async ({ url, body, headers, credentials }) => {
  try {
    const response = await fetch(url, {
      method: "POST",
      body: JSON.stringify(body),
      headers: { "Content-Type": "application/json", ...headers },
      credentials,
    });
    const read = (name) => response.headers.get(name);
    return {
      status: response.status,
      body: await response.json(),
      requestId: read("X-Request-ID"),
      rateLimit: [read("RateLimit-Limit"), read("RateLimit-Remaining"), read("RateLimit-Reset")],
    };
  } catch (error) {
    return { failed: `${error}` };
  }
}"""

SOCKET = """({ url, payload, query }) => new Promise((resolve) => {
  const messages = [];
  const socket = new WebSocket(url, "graphql-transport-ws");
  const done = (outcome) => { clearTimeout(timer); resolve({ messages, ...outcome }); };
  const timer = setTimeout(() => done({ timedOut: true }), 10000);
  socket.onopen = () => socket.send(JSON.stringify({ type: "connection_init", payload }));
  socket.onmessage = (event) => {
    const message = JSON.parse(event.data);
    messages.push(message);
    if (message.type === "connection_ack") {
      socket.send(JSON.stringify({ id: "1", type: "subscribe", payload: { query } }));
    } else if (message.type === "complete") {
      socket.close(1000);
      done({});
    }
  };
  socket.onclose = (event) => done({ code: event.code });
})"""


async def post(page: Page, origins: Origins, body: dict[str, Any], **options: Any) -> Any:
    arguments = {"url": f"{origins.api}/graphql", "body": body, "headers": {}, **options}
    return await page.evaluate(POST, arguments)


async def socket(page: Page, origins: Origins, payload: dict[str, Any]) -> Any:
    url = origins.api.replace("http://", "ws://") + "/graphql"
    return await page.evaluate(SOCKET, {"url": url, "payload": payload, "query": VIEWER})


async def test_a_page_of_an_allowed_origin_uses_the_api_and_the_socket(
    origins: Origins, browser: Browser, token: str
) -> None:
    async with watched_page(browser) as watched:
        page = watched.page
        await page.context.add_cookies([{"name": "hw_session", "value": token, "url": origins.api}])
        await page.goto(origins.allowed)

        # With the session cookie (credentials), then with a bearer token and no cookie.
        with_cookie = await post(page, origins, {"query": VIEWER}, credentials="include")
        assert with_cookie["status"] == 200, with_cookie
        assert with_cookie["body"]["data"] == {"viewer": {"email": STAFF_EMAIL}}
        assert len(with_cookie["requestId"]) == 32
        assert with_cookie["body"]["extensions"]["cost"]["requested"] == 2
        assert with_cookie["rateLimit"] == [None, None, None]

        with_token = await post(
            page,
            origins,
            {"query": VIEWER},
            headers={"Authorization": f"Bearer {token}", "Apollo-Require-Preflight": "true"},
            credentials="omit",
        )
        assert with_token["status"] == 200, with_token
        assert with_token["body"]["data"] == {"viewer": {"email": STAFF_EMAIL}}

        # A throttled path: its RateLimit headers are readable (the API limits by default).
        login = await post(
            page,
            origins,
            {
                "query": flows.LOGIN,
                "variables": {
                    "input": {"portal": "STAFF", "email": "nobody@example.jp", "password": "x"}
                },
            },
            credentials="omit",
        )
        assert login["status"] == 200, login
        limit, remaining, reset = login["rateLimit"]
        assert (limit, remaining) == ("5", "4")
        assert 1 <= int(reset) <= 60

        # The socket: by the bearer token in `connection_init`, and by the cookie alone.
        for payload in ({"Authorization": f"Bearer {token}"}, {}):
            opened = await socket(page, origins, payload)
            types = [message["type"] for message in opened["messages"]]
            assert types == ["connection_ack", "next", "complete"], opened
            assert opened["messages"][1]["payload"]["data"] == {"viewer": {"email": STAFF_EMAIL}}

    assert watched.console_errors == []
    assert await session_is_open()


async def test_a_page_of_another_origin_can_do_nothing(
    origins: Origins, browser: Browser, token: str
) -> None:
    async with watched_page(browser) as watched:
        page = watched.page
        await page.context.add_cookies([{"name": "hw_session", "value": token, "url": origins.api}])
        await page.goto(origins.foreign)

        with_cookie = await post(page, origins, {"query": LOGOUT}, credentials="include")
        with_token = await post(
            page,
            origins,
            {"query": LOGOUT},
            headers={"Authorization": f"Bearer {token}"},
            credentials="omit",
        )
        opened = await socket(page, origins, {"Authorization": f"Bearer {token}"})

    # The preflights failed: neither request was sent, and the session is still open.
    assert with_cookie == {"failed": "TypeError: Failed to fetch"}
    assert with_token == {"failed": "TypeError: Failed to fetch"}
    assert await session_is_open()
    # The handshake was refused (403): the socket never opened.
    assert opened["messages"] == []
    assert opened["code"] == 1006
    assert any("CORS policy" in error for error in watched.console_errors), watched.console_errors
