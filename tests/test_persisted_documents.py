"""Persisted documents (`app.persisted`): Apollo's automatic persisted queries over POST, GET
and the WebSocket, the bounded memory store and the Redis one, the manifest of the pages'
trusted documents (`web/build.mjs`), and TRUSTED_DOCUMENTS=only, under which a server runs
nothing but the manifests' documents, the dashboard in a real browser included."""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import json
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from graphql import OperationDefinitionNode, build_schema, parse, validate
from playwright.async_api import Request, expect
from redis.asyncio import Redis

from app.persisted import (
    BUILT_IN_MANIFEST,
    KEY_PREFIX,
    Manifest,
    MemoryStore,
    RedisStore,
    document_hash,
)
from app.schema.context import SESSION_COOKIE
from app.settings import ConfigurationError, Settings
from tests import flows
from tests.browser import chromium, watched_page
from tests.conftest import (
    EMPLOYER_EMAIL,
    EMPLOYER_PASSWORD,
    STAFF_PASSWORD,
    Server,
    create_staff,
    new_employer_of,
    new_staff,
)
from tests.processes import (
    UvicornProcess,
    free_port,
    service_env,
    two_processes,
)
from tests.test_dashboard import log_in as dashboard_log_in
from tests.ws_client import GraphQLWebSocket

ROOT = Path(__file__).resolve().parents[1]
MANIFEST: dict[str, str] = json.loads(BUILT_IN_MANIFEST.read_text(encoding="utf-8"))

TYPENAME = "query Typename { __typename }"
LOGOUT = "mutation Out { logout { errors { code } } }"


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def apq(text: str) -> dict[str, Any]:
    return {"persistedQuery": {"version": 1, "sha256Hash": sha256(text)}}


def manifest_id(name: str) -> str:
    """The id of the pages' operation `name`."""
    [found] = [key for key, text in MANIFEST.items() if operation_name(text) == name]
    return found


def operation_name(text: str) -> str:
    [operation] = parse(text).definitions
    assert isinstance(operation, OperationDefinitionNode)
    assert operation.name is not None
    return operation.name.value


def code_of(response: httpx.Response) -> str:
    code: str = response.json()["errors"][0]["extensions"]["code"]
    return code


# --- The pages' manifest ------------------------------------------------------------------------


def test_the_pages_manifest_holds_their_operations_valid_by_their_sha256() -> None:
    """graphql-codegen's format: an object from each document's SHA-256 (hex) to its text;
    every operation of the dashboard and the counter's page, one per document, valid against
    `schema.graphql`, named after its page; sorted, so that the build is reproducible."""
    schema = build_schema((ROOT / "schema.graphql").read_text(encoding="utf-8"))
    assert list(MANIFEST) == sorted(MANIFEST)
    names = [operation_name(text) for text in MANIFEST.values()]
    assert len(set(names)) == len(names)
    for key, text in MANIFEST.items():
        assert key == sha256(text), operation_name(text)
        assert validate(schema, parse(text)) == [], operation_name(text)
    assert all(re.fullmatch(r"(Dashboard|Counter)\w+", name) for name in names), names
    for name in (
        "DashboardLogin",
        "DashboardLoginVerifyOtp",
        "DashboardHome",
        "DashboardMessageReceived",
        "CounterLogin",
        "CounterReviewQueue",
        "CounterReviewQueueChanged",
    ):
        assert name in names


def test_the_pages_send_their_operations_by_hash() -> None:
    """The bundle asks by the APQ hash, and sends the text only when asked for it."""
    bundle = (ROOT / "app" / "static" / "dashboard" / "dashboard.js").read_text(encoding="utf-8")
    assert "persistedQuery" in bundle
    assert "PERSISTED_QUERY_NOT_FOUND" in bundle
    assert "SHA-256" in bundle


def test_a_manifest_must_be_an_object_of_documents_under_their_own_hash(tmp_path: Path) -> None:
    query = "query A { __typename }"
    good = tmp_path / "good.json"
    good.write_text(json.dumps({f"sha256:{sha256(query).upper()}": query, "opaque-id": TYPENAME}))
    manifest = Manifest.load([good], built_in=None)
    assert manifest.documents == {sha256(query): query, "opaque-id": TYPENAME}
    assert manifest.texts == {query, TYPENAME}

    with_pages = Manifest.load([good])
    assert set(with_pages.documents) == set(MANIFEST) | set(manifest.documents)

    for name, content in {
        "not JSON": "{",
        "a list": "[]",
        "a number value": '{"a": 1}',
        "another hash": json.dumps({sha256("other"): query}),
    }.items():
        bad = tmp_path / "bad.json"
        bad.write_text(content)
        with pytest.raises(ConfigurationError):
            Manifest.load([bad], built_in=None)
        assert name
    conflicting = tmp_path / "conflicting.json"
    conflicting.write_text(json.dumps({"opaque-id": query}))
    with pytest.raises(ConfigurationError, match="another document"):
        Manifest.load([good, conflicting], built_in=None)
    with pytest.raises(ConfigurationError):
        Manifest.load([tmp_path / "missing.json"], built_in=None)


def test_the_settings_of_trusted_documents(tmp_path: Path) -> None:
    manifest = tmp_path / "client.json"
    manifest.write_text("{}")
    assert Settings.from_env({}).trusted_documents == "allow"
    for raw, mode in (("off", "off"), ("Allow", "allow"), (" only ", "only")):
        assert Settings.from_env({"TRUSTED_DOCUMENTS": raw}).trusted_documents == mode
    settings = Settings.from_env({"TRUSTED_DOCUMENTS_MANIFESTS": f" {manifest} ,, {manifest}"})
    assert settings.trusted_documents_manifests == (manifest, manifest)
    for env in (
        {"TRUSTED_DOCUMENTS": "strict"},
        {"TRUSTED_DOCUMENTS_MANIFESTS": str(tmp_path / "missing.json")},
        {"APQ_CACHE_SIZE": "-1"},
        {"APQ_CACHE_BYTES": "-1"},
        {"APQ_TTL_SECONDS": "0"},
        {"APQ_CACHE_SIZE": "many"},
    ):
        with pytest.raises(ConfigurationError):
            Settings.from_env(env)
    production = {
        "APP_ENV": "production",
        "SECRET_KEY": "k8Yq2vN7rT1wX4zP0sL9mB3cF6hJ5dG8aE2uR7tY1iO4pW0q",
        "MAIL_URL": "smtp://mail.example.jp:587",
        "TRUSTED_DOCUMENTS": "only",
    }
    assert Settings.from_env(production).trusted_documents == "only"


# --- The memory store ---------------------------------------------------------------------------


async def test_the_memory_store_keeps_the_most_recently_used_within_its_bounds() -> None:
    store = MemoryStore(max_documents=2, max_bytes=10)
    await store.put("a", "aaa")
    await store.put("b", "bbb")
    assert await store.get("a") == "aaa"  # now the most recently used
    await store.put("c", "ccc")  # a third: the least recently used (b) goes
    assert ("a" in store, "b" in store, "c" in store) == (True, False, True)
    assert (len(store), store.total_bytes) == (2, 6)

    await store.put("d", "dddddddd")  # 8 bytes: 3 + 8 > 10, so a and c go
    assert (len(store), store.total_bytes) == (1, 8)
    await store.put("d", "dd")  # registered again: counted once
    assert store.total_bytes == 2
    await store.put("e", "€€€€")  # bytes of UTF-8: 12 > 10, never kept
    assert "e" not in store
    assert await store.get("e") is None
    await store.put("f", "ffffffffff")  # exactly the bound
    assert (len(store), store.total_bytes) == (1, 10)

    nothing = MemoryStore(max_documents=0, max_bytes=100)
    await nothing.put("a", "a")
    assert len(nothing) == 0


# --- APQ on the test server (TRUSTED_DOCUMENTS=allow) -------------------------------------------


async def test_apq_miss_register_and_hit_over_post(http: httpx.AsyncClient) -> None:
    text = "query ApqPost { __typename }"
    missed = await http.post("/graphql", json={"extensions": apq(text)})
    assert (missed.status_code, code_of(missed)) == (200, "PERSISTED_QUERY_NOT_FOUND")
    assert missed.json()["errors"][0]["message"] == "PersistedQueryNotFound"

    registered = await http.post("/graphql", json={"query": text, "extensions": apq(text)})
    assert registered.json()["data"] == {"__typename": "Query"}
    for _ in range(2):
        hit = await http.post("/graphql", json={"extensions": apq(text), "variables": {}})
        assert hit.json()["data"] == {"__typename": "Query"}
    # The hash in capitals is the same hash.
    upper = {"persistedQuery": {"version": 1, "sha256Hash": sha256(text).upper()}}
    assert (await http.post("/graphql", json={"extensions": upper})).json()["data"]


async def test_apq_over_get_runs_queries_and_never_mutations(
    server: Server, http: httpx.AsyncClient, new_client: Any
) -> None:
    text = "query ApqGet($n: Int) { postingSearch(first: $n) { edges { cursor } } }"
    params = {"extensions": json.dumps(apq(text)), "variables": '{"n": 1}'}
    missed = await http.get("/graphql", params=params)
    assert code_of(missed) == "PERSISTED_QUERY_NOT_FOUND"
    registered = await http.get("/graphql", params={**params, "query": text})
    assert registered.json()["data"] == {"postingSearch": {"edges": []}}
    hit = await http.get("/graphql", params=params, headers={"Accept": "*/*"})
    assert hit.json()["data"] == {"postingSearch": {"edges": []}}

    # A mutation registered over POST (anonymous, so nobody's logout) is still refused over
    # GET by its hash.
    staff = await new_staff(server, new_client())
    headers = {"Authorization": f"Bearer {staff.token}"}
    posted = await http.post("/graphql", json={"query": LOGOUT, "extensions": apq(LOGOUT)})
    assert posted.status_code == 200, posted.text
    by_get = await http.get(
        "/graphql", params={"extensions": json.dumps(apq(LOGOUT))}, headers=headers
    )
    assert by_get.status_code == 400
    assert by_get.json()["errors"][0]["extensions"]["reason"] == (
        "mutations are not allowed when using GET"
    )
    still = await staff.execute("query StillIn { viewer { email } }")
    assert still["viewer"]["email"]


async def test_a_hash_that_is_not_the_documents_is_refused_and_nothing_kept(
    http: httpx.AsyncClient,
) -> None:
    """As Apollo Server: BAD_REQUEST (HTTP 400), 'provided sha does not match query'."""
    text = "query Mismatched { __typename }"
    claimed = {"persistedQuery": {"version": 1, "sha256Hash": sha256("query Other { x }")}}
    refused = await http.post("/graphql", json={"query": text, "extensions": claimed})
    assert (refused.status_code, code_of(refused)) == (400, "BAD_REQUEST")
    error = refused.json()["errors"][0]
    assert error["extensions"]["reason"] == "provided sha does not match query"
    assert error["message"] == "persistedQuery の sha256Hash が query の SHA-256 と一致しません。"
    afterwards = await http.post("/graphql", json={"extensions": claimed})
    assert code_of(afterwards) == "PERSISTED_QUERY_NOT_FOUND"


@pytest.mark.parametrize(
    ("persisted", "reason"),
    [
        ({"version": 2, "sha256Hash": "0" * 64}, "Unsupported persisted query version"),
        ({"version": True, "sha256Hash": "0" * 64}, "Unsupported persisted query version"),
        ({"sha256Hash": "0" * 64}, "Unsupported persisted query version"),
        ({"version": 1, "sha256Hash": "0" * 63}, None),
        ({"version": 1, "sha256Hash": "g" * 64}, None),
        ({"version": 1}, None),
        ([1], None),
    ],
)
async def test_a_malformed_persisted_query_is_a_400(
    http: httpx.AsyncClient, persisted: Any, reason: str | None
) -> None:
    response = await http.post("/graphql", json={"extensions": {"persistedQuery": persisted}})
    assert (response.status_code, code_of(response)) == (400, "BAD_REQUEST")
    assert response.json()["errors"][0]["extensions"].get("reason") == reason


async def test_a_trusted_document_runs_by_its_document_id(http: httpx.AsyncClient) -> None:
    """The client preset's `documentId` (bare hex, or `sha256:` as GraphQL over HTTP spells
    it), or the same hash as APQ's, names a manifest document without registering it."""
    viewer = manifest_id("DashboardViewer")
    for body in (
        {"documentId": viewer},
        {"documentId": f"sha256:{viewer}"},
        {
            "documentId": viewer,
            "extensions": {"persistedQuery": {"version": 1, "sha256Hash": viewer}},
        },
        {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": viewer}}},
    ):
        response = await http.post("/graphql", json=body)
        assert response.status_code == 200, response.text
        assert response.json()["data"] == {"viewer": None}, body
    response = await http.get("/graphql", params={"documentId": viewer})
    assert response.json()["data"] == {"viewer": None}

    unknown = await http.post("/graphql", json={"documentId": "0" * 64})
    assert code_of(unknown) == "PERSISTED_QUERY_NOT_FOUND"
    for body in (
        {"documentId": viewer, "query": MANIFEST[viewer]},
        {"documentId": viewer, "extensions": apq(TYPENAME)},
        {"documentId": ""},
        {"documentId": "x" * 257},
    ):
        refused = await http.post("/graphql", json=body)
        assert (refused.status_code, code_of(refused)) == (400, "BAD_REQUEST"), body


async def test_an_operation_over_a_websocket_by_id_or_hash(
    server: Server, http: httpx.AsyncClient, new_client: Any
) -> None:
    staff = await new_staff(server, new_client())
    assert staff.token is not None
    text = "query WsTypename { __typename }"
    await http.post("/graphql", json={"query": text, "extensions": apq(text)})
    async with GraphQLWebSocket.connected(server.url, staff.token) as ws:
        await ws.send({"id": "a", "type": "subscribe", "payload": {"extensions": apq(text)}})
        assert await ws.next("a") == {"__typename": "Query"}
        assert await ws.receive() == {"id": "a", "type": "complete"}

        queue = manifest_id("CounterReviewQueueChanged")
        await ws.send({"id": "b", "type": "subscribe", "payload": {"documentId": queue}})
        await ws.nothing_within(0.3)  # subscribed: nothing changed in the queue yet

        await ws.send({"id": "c", "type": "subscribe", "payload": {"documentId": "0" * 64}})
        refused = await ws.receive()
        assert (refused["id"], refused["type"]) == ("c", "error"), refused
        assert refused["payload"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"


# --- Servers of their own -----------------------------------------------------------------------


@pytest.mark.slow
async def test_a_small_memory_store_forgets_the_least_recently_used(
    server: Server, tmp_path: Path
) -> None:
    env = service_env(
        tmp_path / "var", DATABASE_URL=server.settings.database_url, RATE_LIMITS="off"
    )
    env.update(APQ_CACHE_SIZE="2")
    process = UvicornProcess(env, tmp_path / "uvicorn.log")
    await asyncio.to_thread(process.__enter__)
    try:
        async with httpx.AsyncClient(base_url=process.url, timeout=30) as http:
            texts = [f"query Kept{i} {{ __typename }}" for i in range(3)]
            for text in texts:
                await http.post("/graphql", json={"query": text, "extensions": apq(text)})
            codes = []
            for text in texts:
                response = await http.post("/graphql", json={"extensions": apq(text)})
                codes.append(code_of(response) if "errors" in response.json() else "HIT")
            assert codes == ["PERSISTED_QUERY_NOT_FOUND", "HIT", "HIT"]
            # The pages' documents are no part of the store: they never go.
            viewer = await http.post("/graphql", json={"documentId": manifest_id("CounterViewer")})
            assert viewer.json()["data"] == {"viewer": None}
    finally:
        await asyncio.to_thread(process.stop)
    assert "Traceback" not in process.log


@pytest.fixture(scope="module")
async def trusted_only(
    server: Server, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Server]:
    """A server started with TRUSTED_DOCUMENTS=only, on the test database and its maildir."""
    tmp_path = tmp_path_factory.mktemp("only")
    env = service_env(
        tmp_path / "var",
        DATABASE_URL=server.settings.database_url,
        MAIL_URL=f"maildir://{server.mail_dir}",
        RATE_LIMITS="off",
        TRUSTED_DOCUMENTS="only",
    )
    process = UvicornProcess(env, tmp_path / "uvicorn.log")
    await asyncio.to_thread(process.__enter__)
    try:
        yield dataclasses.replace(server, url=process.url)
    finally:
        await asyncio.to_thread(process.stop)
    assert "Traceback" not in process.log


@pytest.mark.slow
async def test_only_trusted_documents_run_under_trusted_documents_only(
    trusted_only: Server,
) -> None:
    viewer = manifest_id("DashboardViewer")
    async with httpx.AsyncClient(base_url=trusted_only.url, timeout=30) as http:
        for body in (
            {"query": TYPENAME},
            {"query": TYPENAME, "extensions": apq(TYPENAME)},  # no registering either
            # The manifest's text with a byte changed is another document.
            {"query": MANIFEST[viewer] + " "},
        ):
            refused = await http.post("/graphql", json=body)
            assert (refused.status_code, code_of(refused)) == (403, "QUERY_NOT_IN_SAFELIST")
            assert refused.json()["errors"][0]["message"] == (
                "このサーバーは信頼済みの操作（trusted documents）だけを実行します。"
                "この操作は登録されていません。"
            )
        refused = await http.get("/graphql", params={"query": TYPENAME})
        assert code_of(refused) == "QUERY_NOT_IN_SAFELIST"
        for body in ({"documentId": "0" * 64}, {"extensions": apq(TYPENAME)}):
            unknown = await http.post("/graphql", json=body)
            assert (unknown.status_code, code_of(unknown)) == (404, "PERSISTED_QUERY_NOT_IN_LIST")

        for body in (
            {"documentId": viewer},
            {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": viewer}}},
            {"query": MANIFEST[viewer]},
            {"query": MANIFEST[viewer], "extensions": apq(MANIFEST[viewer])},
        ):
            response = await http.post("/graphql", json=body)
            assert response.json()["data"] == {"viewer": None}, body


async def log_in_by_manifest(
    server: Server, http: httpx.AsyncClient, page: str, portal: str, email: str, password: str
) -> None:
    """Log `http` in as a page does (its session cookie), with the page's own login operations
    named by `documentId` and by APQ hash: what TRUSTED_DOCUMENTS=only lets through."""
    login = await http.post(
        "/graphql",
        json={
            "documentId": manifest_id(f"{page}Login"),
            "variables": {"input": {"portal": portal, "email": email, "password": password}},
        },
    )
    payload = login.json()["data"]["login"]
    assert payload["errors"] == [], payload
    otp = await flows.otp_from_mail(server, email)
    verified = await http.post(
        "/graphql",
        json={
            "extensions": {
                "persistedQuery": {"version": 1, "sha256Hash": manifest_id(f"{page}LoginVerifyOtp")}
            },
            "variables": {"input": {"challengeId": payload["otpChallenge"]["id"], "otp": otp}},
        },
    )
    assert verified.json()["data"]["loginVerifyOtp"]["errors"] == []


@pytest.mark.slow
async def test_the_dashboards_login_runs_from_the_manifest_under_trusted_documents_only(
    server: Server, trusted_only: Server, new_client: Any
) -> None:
    staff = await new_staff(server, new_client())
    await new_employer_of(server, staff, new_client())
    async with httpx.AsyncClient(base_url=trusted_only.url, timeout=30) as http:
        await log_in_by_manifest(
            trusted_only, http, "Dashboard", "EMPLOYER", EMPLOYER_EMAIL, EMPLOYER_PASSWORD
        )
        # The session cookie it set, as the page has it.
        viewer = await http.post("/graphql", json={"documentId": manifest_id("DashboardViewer")})
        seen = viewer.json()["data"]["viewer"]
        assert (seen["portal"], seen["email"]) == ("EMPLOYER", EMPLOYER_EMAIL)


@pytest.mark.slow
async def test_an_untrusted_subscription_is_refused_over_the_websocket(
    server: Server, trusted_only: Server
) -> None:
    user = await create_staff(server)
    queue = MANIFEST[manifest_id("CounterReviewQueueChanged")]
    async with httpx.AsyncClient(base_url=trusted_only.url, timeout=30) as http:
        await log_in_by_manifest(trusted_only, http, "Counter", "STAFF", user.email, STAFF_PASSWORD)
        cookie = f"{SESSION_COOKIE}={http.cookies[SESSION_COOKIE]}"
    async with GraphQLWebSocket.open(trusted_only.url, cookie=cookie) as ws:
        await ws.init()
        await ws.subscribe("subscription Mine { reviewQueueChanged { cursor } }")
        refused = await ws.receive()
        assert refused["type"] == "error", refused
        assert refused["payload"][0]["extensions"]["code"] == "QUERY_NOT_IN_SAFELIST"
        # The counter's page sends its subscription's text, which the manifest has.
        await ws.subscribe(queue, {"after": None})
        await ws.nothing_within(0.3)


@pytest.mark.slow
async def test_the_dashboard_works_in_a_browser_under_trusted_documents_only(
    server: Server, trusted_only: Server, new_client: Any
) -> None:
    """The page sends every operation by its hash, and the server, which runs nothing else,
    knows each one: the login, the home figures and the live updates over the WebSocket."""
    staff = await new_staff(server, new_client())
    await new_employer_of(server, staff, new_client(), email="hr@care.example.jp")
    bodies: list[dict[str, Any]] = []

    def on_request(request: Request) -> None:
        if request.url.endswith("/graphql") and request.method == "POST":
            bodies.append(json.loads(request.post_data or "{}"))

    async with chromium() as browser, watched_page(browser) as watched:
        page = watched.page
        page.on("request", on_request)
        await dashboard_log_in(page, trusted_only)
        await expect(page.locator("#establishment-name")).to_have_text("ハローワークケア")
        await expect(page.locator("#live-state")).to_have_text("リアルタイム更新: 接続済み")
        assert watched.console_errors == []
    assert len(bodies) >= 3
    for body in bodies:
        assert "query" not in body, body
        assert body["extensions"]["persistedQuery"]["sha256Hash"] in MANIFEST


# --- Redis --------------------------------------------------------------------------------------


async def test_the_redis_store_shares_documents_with_a_ttl(redis_url: str) -> None:
    store = RedisStore(redis_url, ttl_seconds=60, fallback=MemoryStore(10, 1000))
    redis = Redis.from_url(redis_url)
    key = document_hash(f"query RedisStore{free_port()} {{ __typename }}")
    try:
        assert await store.get(key) is None
        await store.put(key, "query A { __typename }")
        assert await store.get(key) == "query A { __typename }"
        assert 0 < await redis.ttl(KEY_PREFIX + key) <= 60
        assert len(store.fallback) == 0
        assert store.available
    finally:
        await redis.delete(KEY_PREFIX + key)
        await redis.aclose()
        await store.aclose()


async def test_the_redis_store_keeps_documents_in_memory_while_redis_is_away() -> None:
    store = RedisStore(
        f"redis://127.0.0.1:{free_port()}/0", ttl_seconds=60, fallback=MemoryStore(10, 1000)
    )
    try:
        await store.put("a" * 64, "query A { __typename }")
        assert not store.available
        assert await store.get("a" * 64) == "query A { __typename }"
    finally:
        await store.aclose()


@pytest.mark.slow
async def test_a_document_registered_with_one_process_runs_by_hash_on_another(
    server: Server, redis_url: str, tmp_path: Path
) -> None:
    text = f"query Shared{free_port()} {{ __typename }}"
    async with (
        two_processes(tmp_path, server.settings.database_url, REDIS_URL=redis_url) as (
            first,
            second,
        ),
        httpx.AsyncClient(base_url=first.url, timeout=30) as one,
        httpx.AsyncClient(base_url=second.url, timeout=30) as other,
    ):
        missed = await other.post("/graphql", json={"extensions": apq(text)})
        assert code_of(missed) == "PERSISTED_QUERY_NOT_FOUND"
        await one.post("/graphql", json={"query": text, "extensions": apq(text)})
        hit = await other.post("/graphql", json={"extensions": apq(text)})
        assert hit.json()["data"] == {"__typename": "Query"}
