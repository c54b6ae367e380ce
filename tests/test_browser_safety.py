"""Browser safety: the CSRF guard of cookie-authenticated requests, GET never mutating, the
security headers, and the WebSocket Origin check (more in `tests/test_subscriptions.py`)."""

from __future__ import annotations

import asyncio
import re
from http.cookies import SimpleCookie
from pathlib import Path

import httpx
import pytest
from starlette.datastructures import Headers

from app.middleware import API_CSP, GRAPHIQL_CSP, HSTS, is_cross_site_safe
from app.models import Session
from tests import flows
from tests.conftest import Counter, GraphQLClient, Server
from tests.processes import UvicornProcess, run_app_ok, service_env, smtp_server
from tests.ws_client import GraphQLWebSocket

EMAIL = "hr@care.example.jp"
LOGOUT = '{"query": "mutation { logout { errors { code } } }"}'


@pytest.fixture
async def cookie_client(server: Server, counter: Counter, http: httpx.AsyncClient) -> GraphQLClient:
    """An employer logged in whose client keeps only the session cookie (no bearer token); the
    login goes through the API, which sets the cookie."""
    client = GraphQLClient(http)
    await flows.open_employer_account(server, client, counter, EMAIL)
    client.token = None
    assert http.cookies.get("hw_session")
    return client


async def session_is_open() -> bool:
    return await Session.exists(user__email=EMAIL, ended_at__isnull=True)


def error_code(response: httpx.Response) -> str:
    code: str = response.json()["errors"][0]["extensions"]["code"]
    return code


# --- CSRF ---------------------------------------------------------------------------------------


async def test_a_json_post_with_the_cookie_is_accepted(cookie_client: GraphQLClient) -> None:
    assert (await cookie_client.execute(flows.VIEWER))["viewer"]["email"] == EMAIL


@pytest.mark.parametrize(
    "content_type", ["application/x-www-form-urlencoded", "text/plain", "text/plain; a=1", ""]
)
async def test_a_simple_post_with_the_cookie_is_refused(
    cookie_client: GraphQLClient, content_type: str
) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    response = await cookie_client.http.post("/graphql", content=LOGOUT, headers=headers)

    assert response.status_code == 403
    assert error_code(response) == "CSRF_REFUSED"
    assert await session_is_open()


async def test_a_multipart_post_with_the_cookie_and_no_preflight_header_is_refused(
    cookie_client: GraphQLClient,
) -> None:
    response = await cookie_client.http.post(
        "/graphql", files={"operations": (None, LOGOUT), "map": (None, "{}")}
    )
    assert response.status_code == 403
    assert await session_is_open()


async def test_a_foreign_origin_does_not_lift_the_guard(cookie_client: GraphQLClient) -> None:
    response = await cookie_client.http.post(
        "/graphql",
        content=LOGOUT,
        headers={"Content-Type": "text/plain", "Origin": "https://evil.example.com"},
    )
    assert response.status_code == 403
    assert await session_is_open()


@pytest.mark.parametrize(
    "headers",
    [
        {"Apollo-Require-Preflight": "true"},
        {"X-Apollo-Operation-Name": "Logout"},
        {"Origin": "SAME"},
    ],
)
async def test_past_the_guard_strawberry_still_reads_only_json(
    server: Server, cookie_client: GraphQLClient, headers: dict[str, str]
) -> None:
    """A preflight header or this service's own Origin passes the guard; strawberry then
    refuses any body that is not JSON (or a multipart upload)."""
    if headers.get("Origin") == "SAME":
        headers = {"Origin": server.url}
    response = await cookie_client.http.post(
        "/graphql", content=LOGOUT, headers={"Content-Type": "text/plain", **headers}
    )
    assert response.status_code == 400
    assert "Unsupported content type" in response.text
    assert await session_is_open()


async def test_without_cookies_strawberry_refuses_a_form_post(http: httpx.AsyncClient) -> None:
    response = await http.post("/graphql", data={"query": "{ viewer { email } }"})
    assert response.status_code == 400
    assert "Unsupported content type" in response.text


async def test_get_never_runs_a_mutation(cookie_client: GraphQLClient) -> None:
    response = await cookie_client.http.get(
        "/graphql", params={"query": "mutation { logout { errors { code } } }"}
    )
    assert response.status_code == 400
    assert "mutations are not allowed when using GET" in response.text
    assert await session_is_open()


async def test_a_bearer_token_needs_no_more(server: Server, cookie_client: GraphQLClient) -> None:
    """`Authorization` itself needs a preflight: a client that sends it is not a form."""
    token = cookie_client.http.cookies["hw_session"]
    async with httpx.AsyncClient(base_url=server.url) as bearer_only:
        response = await bearer_only.post(
            "/graphql",
            content=LOGOUT,
            headers={"Content-Type": "text/plain", "Authorization": f"Bearer {token}"},
        )
    assert response.status_code == 400  # past the guard, refused by strawberry (not JSON)


@pytest.mark.parametrize(
    ("headers", "safe"),
    [
        ({"content-type": "application/json"}, True),
        ({"content-type": "application/graphql-response+json"}, True),
        ({"content-type": "TEXT/PLAIN; charset=utf-8"}, False),
        ({"content-type": "multipart/form-data; boundary=x"}, False),
        ({}, False),
        ({"origin": "null", "host": "null"}, False),
        ({"origin": "http://api.example.jp", "host": "api.example.jp"}, True),
        ({"origin": "https://api.example.jp", "host": "api.example.jp:8443"}, False),
        ({"origin": "https://dashboard.example.jp", "host": "api.example.jp"}, True),
        ({"origin": "https://DASHBOARD.example.jp", "host": "api.example.jp"}, True),
        ({"origin": "https://dashboard.example.jp.evil.com", "host": "api.example.jp"}, False),
        ({"authorization": "Bearer x"}, True),
    ],
)
def test_is_cross_site_safe(headers: dict[str, str], safe: bool) -> None:
    assert is_cross_site_safe(Headers(headers), ["https://dashboard.example.jp"]) is safe


# --- Security headers ---------------------------------------------------------------------------


def assert_security_headers(response: httpx.Response) -> None:
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


async def test_graphql_answers_carry_the_security_headers_and_no_store(
    http: httpx.AsyncClient,
) -> None:
    response = await http.post("/graphql", json={"query": "{ viewer { email } }"})

    assert response.status_code == 200
    assert_security_headers(response)
    assert response.headers["content-security-policy"] == API_CSP
    assert response.headers["cache-control"] == "no-store"
    assert "strict-transport-security" not in response.headers  # development: plain HTTP


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/healthz", 200),
        ("GET", "/media/nothing.jpg", 404),
        ("GET", "/nowhere", 404),
        ("PUT", "/graphql", 405),
    ],
)
async def test_every_response_carries_the_security_headers(
    http: httpx.AsyncClient, method: str, path: str, status: int
) -> None:
    response = await http.request(method, path)
    assert response.status_code == status
    assert_security_headers(response)


async def test_refusals_carry_the_security_headers(cookie_client: GraphQLClient) -> None:
    response = await cookie_client.http.post("/graphql", content=LOGOUT)
    assert response.status_code == 403
    assert_security_headers(response)


async def test_graphiql_loads_only_its_own_assets(http: httpx.AsyncClient) -> None:
    """GraphiQL's assets are bundled and served by the service (tests/test_graphiql.py)."""
    response = await http.get("/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert "/static/graphiql/graphiql.js" in response.text
    assert_security_headers(response)
    assert response.headers["content-security-policy"] == GRAPHIQL_CSP
    assert "<script>" not in response.text
    assert "https://" not in response.text


async def test_a_websocket_from_the_service_own_origin_opens(server: Server) -> None:
    async with GraphQLWebSocket.open(server.url, origin=server.url) as ws:
        await ws.send({"type": "connection_init", "payload": {}})
        assert (await ws.closed()).code == 4403  # opened; then it needs a session like any other


# --- Production -----------------------------------------------------------------------------------

STAFF_EMAIL = "prod.staff@iidabashi.example.jp"
STAFF_PASSWORD = "Counter#prod1"


@pytest.mark.slow
async def test_production_sends_hsts_secure_cookies_and_no_graphiql(tmp_path: Path) -> None:
    """A production server (its own process, real SMTP for the one-time password)."""
    with smtp_server() as (mails, smtp_port):
        env = service_env(
            tmp_path / "var",
            APP_ENV="production",
            BCRYPT_ROUNDS="12",
            MAIL_URL=f"smtp://127.0.0.1:{smtp_port}",
        )
        run_app_ok(env, "migrate")
        run_app_ok(
            env,
            *("staff", "create", "--office-code", "13010", "--office-name", "飯田橋"),
            *("--email", STAFF_EMAIL, "--password", STAFF_PASSWORD),
        )
        process = UvicornProcess(env, tmp_path / "uvicorn.log")
        await asyncio.to_thread(process.__enter__)
        try:
            async with httpx.AsyncClient(base_url=process.url, timeout=30) as http:
                ide = await http.get("/graphql", headers={"Accept": "text/html"})
                assert "GraphiQL" not in ide.text
                assert ide.headers["strict-transport-security"] == HSTS

                client = GraphQLClient(http)
                data = await client.execute(
                    flows.LOGIN,
                    {
                        "input": {
                            "portal": "STAFF",
                            "email": STAFF_EMAIL,
                            "password": STAFF_PASSWORD,
                        }
                    },
                )
                otp = re.search(
                    r"ワンタイムパスワード: (\d{6})", (await mails.last_to(STAFF_EMAIL)).body
                )
                assert otp
                response = await client.post(
                    flows.VERIFY_OTP,
                    {
                        "input": {
                            "challengeId": data["login"]["otpChallenge"]["id"],
                            "otp": otp.group(1),
                        }
                    },
                )
        finally:
            await asyncio.to_thread(process.stop)

    assert response.status_code == 200, response.text
    assert response.headers["strict-transport-security"] == HSTS
    assert_security_headers(response)
    cookies = SimpleCookie()
    cookies.load(response.headers["set-cookie"])
    cookie = cookies["hw_session"]
    assert cookie["secure"] is True
    assert cookie["httponly"] is True
    assert cookie["samesite"].lower() == "lax"
    assert cookie["path"] == "/"
    assert "Traceback" not in process.log
