"""Logs, request ids and metrics, read from real servers: JSON log lines of a uvicorn process,
`/metrics` of the test server after real requests and WebSockets, its protection, and the
multiprocess mode of several workers."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from app.broker import Notice
from app.models import Portal, Session, User
from app.observability import ANONYMOUS, OTHER, OperationLabels
from app.resolvers.accounts import SESSION_PURPOSE
from app.security import keyed_hash, new_token
from app.settings import ConfigurationError, Settings
from tests.conftest import Server
from tests.processes import (
    TEST_SECRET_KEY,
    UvicornProcess,
    free_port,
    postgres_url_from_environment,
    service_env,
)
from tests.ws_client import GraphQLWebSocket

TERMS = "query ObservedTerms { termsDocuments { kind version } }"
WATCH = "subscription WatchMessages { messageReceived { cursor } }"
METRICS_TOKEN = "metrics-token-of-thirty-two-characters-or-more"


def sample(text: str, name: str, **labels: str) -> float:
    """The value of one sample of a `/metrics` page; 0 when it is not there (yet)."""
    for family in text_string_to_metric_families(text):
        for found in family.samples:
            if found.name == name and found.labels == labels:
                return float(found.value)
    return 0.0


async def scrape(http: httpx.AsyncClient) -> str:
    response = await http.get("/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=")
    return response.text


async def eventually(
    http: httpx.AsyncClient, check: Callable[[str], bool], within: float = 10
) -> str:
    """The first `/metrics` page that passes `check`; fails after `within` seconds."""
    async with asyncio.timeout(within):
        while True:
            text = await scrape(http)
            if check(text):
                return text
            await asyncio.sleep(0.05)


async def seeker_session(secret_key: str, now: dt.datetime) -> str:
    """A seeker with a session valid from `now` for an hour; its bearer token."""
    user = await User.create(
        portal=Portal.SEEKER,
        email=f"seeker-{new_token()[:8]}@observability.example.jp",
        password_hash="not-used-by-these-tests",
        created_at=now,
    )
    token = new_token()
    await Session.create(
        user=user,
        token_hash=keyed_hash(secret_key, SESSION_PURPOSE, token),
        created_at=now,
        expires_at=now + dt.timedelta(hours=1),
    )
    return token


# --- Metrics of the test server ---------------------------------------------------------------


async def test_operations_and_requests_are_counted_by_name_and_route(
    http: httpx.AsyncClient,
) -> None:
    before = await scrape(http)

    for _ in range(3):
        response = await http.post("/graphql", json={"query": TERMS})
        assert response.status_code == 200, response.text

    after = await scrape(http)
    operation = {"operation": "ObservedTerms", "type": "query"}
    name = "hellowork_graphql_operation_duration_seconds_count"
    assert sample(after, name, **operation) - sample(before, name, **operation) == 3
    requests = {"route": "/graphql", "method": "POST", "status": "200"}
    name = "hellowork_http_requests_total"
    assert sample(after, name, **requests) - sample(before, name, **requests) == 3


async def test_operation_labels_stay_bounded(http: httpx.AsyncClient) -> None:
    long_name = "Q" * 100
    before = await scrape(http)

    await http.post("/graphql", json={"query": "{ termsDocuments { kind } }"})
    await http.post(
        "/graphql", json={"query": f"query {long_name} {{ termsDocuments {{ kind }} }}"}
    )
    await http.get("/no-such-page")

    after = await scrape(http)
    name = "hellowork_graphql_operation_duration_seconds_count"
    for label in ("anonymous", "other"):
        labels = {"operation": label, "type": "query"}
        assert sample(after, name, **labels) - sample(before, name, **labels) == 1, label
    assert long_name not in after
    assert "/no-such-page" not in after
    labels = {"route": "other", "method": "GET", "status": "404"}
    name = "hellowork_http_requests_total"
    assert sample(after, name, **labels) - sample(before, name, **labels) == 1


async def test_errors_are_counted_by_code_over_http_and_websocket(
    server: Server, http: httpx.AsyncClient
) -> None:
    token = await seeker_session(server.settings.secret_key, server.clock.now())
    before = await scrape(http)

    invalid = await http.post("/graphql", json={"query": "{ termsDocuments { nope } }"})
    anonymous = await http.post(
        "/graphql", json={"query": "{ employerHome { establishmentName } }"}
    )
    async with GraphQLWebSocket.connected(server.url, token) as ws:
        op = await ws.subscribe(
            "subscription ($after: String) { messageReceived(after: $after) { cursor } }",
            {"after": "not-a-cursor"},
        )
        refused = await ws.receive()
        assert await ws.receive() == {"id": op, "type": "complete"}
        invalid_op = await ws.subscribe("subscription { nope }")
        invalid_over_ws = await ws.receive()

    assert invalid.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert anonymous.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert refused["id"] == op
    assert refused["payload"]["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert (invalid_over_ws["id"], invalid_over_ws["type"]) == (invalid_op, "error")
    assert invalid_over_ws["payload"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    after = await scrape(http)
    name = "hellowork_graphql_errors_total"
    counted = {"GRAPHQL_VALIDATION_FAILED": 2, "UNAUTHENTICATED": 1, "BAD_USER_INPUT": 1}
    for code, times in counted.items():
        assert sample(after, name, code=code) - sample(before, name, code=code) == times, code


async def test_open_websockets_subscriptions_and_broker_lag(
    server: Server, http: httpx.AsyncClient
) -> None:
    token = await seeker_session(server.settings.secret_key, server.clock.now())
    before = await scrape(http)
    sockets = sample(before, "hellowork_websockets_open")
    subscriptions = sample(
        before, "hellowork_graphql_subscriptions_active", operation="WatchMessages"
    )
    lag = sample(before, "hellowork_broker_lag_seconds_count")

    async with GraphQLWebSocket.connected(server.url, token) as ws:
        await ws.subscribe(WATCH)
        await eventually(
            http,
            lambda text: (
                sample(text, "hellowork_websockets_open") == sockets + 1
                and sample(
                    text, "hellowork_graphql_subscriptions_active", operation="WatchMessages"
                )
                == subscriptions + 1
            ),
        )
        # A notice of no stored event for the seeker: the subscription, listening under the
        # seeker's key, takes it from the broker and reads nothing.
        session = await Session.get(
            token_hash=keyed_hash(server.settings.secret_key, SESSION_PURPOSE, token)
        )
        await server.rt.broker.publish(
            Notice(
                event_id=2**62,
                kind="MESSAGE_RECEIVED",
                establishment_id=0,
                seeker_id=session.user_id,
            )
        )
        await eventually(
            http, lambda text: sample(text, "hellowork_broker_lag_seconds_count") >= lag + 1
        )
        await ws.nothing_within(0.2)

    await eventually(
        http,
        lambda text: (
            sample(text, "hellowork_websockets_open") == sockets
            and sample(text, "hellowork_graphql_subscriptions_active", operation="WatchMessages")
            == subscriptions
        ),
    )


async def test_request_id_is_taken_when_sane_and_made_otherwise(
    http: httpx.AsyncClient,
) -> None:
    given = await http.get("/healthz", headers={"X-Request-ID": "lb-7f3a:42"})
    made = await http.get("/healthz", headers={"X-Request-ID": "no spaces <or> markup"})
    none = await http.get("/healthz")

    assert given.headers["x-request-id"] == "lb-7f3a:42"
    assert re.fullmatch(r"[0-9a-f]{32}", made.headers["x-request-id"])
    assert re.fullmatch(r"[0-9a-f]{32}", none.headers["x-request-id"])
    assert made.headers["x-request-id"] != none.headers["x-request-id"]


def test_log_format_defaults_to_json_in_production_and_text_in_development() -> None:
    production = {
        "APP_ENV": "production",
        "SECRET_KEY": TEST_SECRET_KEY,
        "MAIL_URL": "smtp://mail.example.jp:587",
    }
    assert Settings.from_env(production).log_format == "json"
    assert Settings.from_env({}).log_format == "text"
    assert Settings.from_env({"LOG_FORMAT": "JSON"}).log_format == "json"


# --- Real uvicorn processes -------------------------------------------------------------------


def _json_lines(log: str) -> list[dict[str, Any]]:
    lines = [line for line in log.splitlines() if line.strip()]
    assert lines, "the process logged nothing"
    parsed = []
    for line in lines:
        entry = json.loads(line)  # every line, uvicorn's own included, is one JSON object
        assert {"time", "level", "logger", "message", "request_id", "operation"} <= entry.keys()
        parsed.append(entry)
    return parsed


def _production(tmp_path: Path, **settings: str) -> UvicornProcess:
    env = service_env(
        tmp_path / "var",
        APP_ENV="production",
        MAIL_URL=f"smtp://127.0.0.1:{free_port()}",
        BCRYPT_ROUNDS="12",
        EXPIRY_INTERVAL_SECONDS="0",
        **settings,
    )
    return UvicornProcess(env, tmp_path / "uvicorn.log")


@pytest.mark.slow
def test_production_logs_json_lines_with_request_id_and_operation(tmp_path: Path) -> None:
    # A database that refuses connections: the health check logs its failure with a traceback.
    database = f"postgres://hellowork:secret@127.0.0.1:{free_port()}/hellowork"
    with (
        _production(tmp_path, DATABASE_URL=database) as service,
        httpx.Client(base_url=service.url, timeout=30) as http,
    ):
        answered = http.post(
            "/graphql", json={"query": TERMS}, headers={"X-Request-ID": "trace-42"}
        )
        unhealthy = http.get("/healthz", headers={"X-Request-ID": "probe-1"})
        hidden = http.get("/metrics")
        service.stop()

    assert answered.status_code == 200, answered.text
    assert answered.headers["x-request-id"] == "trace-42"
    assert unhealthy.status_code == 503
    assert hidden.status_code == 404  # production without METRICS_TOKEN: not served
    entries = _json_lines(service.log)
    access = [e for e in entries if e["logger"] == "uvicorn.access"]
    graphql = next(e for e in access if e["request_id"] == "trace-42")
    assert graphql["operation"] == "ObservedTerms"
    assert (graphql["method"], graphql["path"], graphql["status"]) == ("POST", "/graphql", 200)
    assert graphql["level"] == "INFO"
    assert dt.datetime.fromisoformat(graphql["time"]).tzinfo is not None
    failure = next(e for e in entries if e["logger"] == "app.main")
    assert failure["level"] == "ERROR"
    assert failure["request_id"] == "probe-1"
    assert "Traceback" in failure["exc_info"]
    assert any(e["message"] == "Application shutdown complete." for e in entries)


@pytest.mark.slow
def test_metrics_need_the_token_when_one_is_set(tmp_path: Path) -> None:
    database = postgres_url_from_environment() or f"sqlite://{tmp_path / 'metrics.sqlite3'}"
    with (
        _production(tmp_path, DATABASE_URL=database, METRICS_TOKEN=METRICS_TOKEN) as service,
        httpx.Client(base_url=service.url, timeout=30) as http,
    ):
        missing = http.get("/metrics")
        wrong = http.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}x"})
        right = http.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})

    for refused in (missing, wrong):
        assert refused.status_code == 401
        assert refused.headers["www-authenticate"] == 'Bearer realm="metrics"'
        assert "hellowork_" not in refused.text
    assert right.status_code == 200
    assert "hellowork_http_requests_total" in right.text


ACTIVE = "hellowork_graphql_subscriptions_active"


@pytest.mark.slow
async def test_workers_add_up_their_metrics_in_multiprocess_mode(
    server: Server, tmp_path: Path
) -> None:
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    database = postgres_url_from_environment() or server.settings.database_url
    token = await seeker_session(TEST_SECRET_KEY, dt.datetime.now(dt.UTC))
    env = service_env(
        tmp_path / "var",
        DATABASE_URL=database,
        PROMETHEUS_MULTIPROC_DIR=str(metrics_dir),
        UVICORN_WORKERS="2",
        EXPIRY_INTERVAL_SECONDS="0",
    )
    service = UvicornProcess(env, tmp_path / "uvicorn.log")
    await asyncio.to_thread(service.__enter__)
    try:
        # A new connection for each request, so that either worker may take it.
        no_keepalive = httpx.Limits(max_keepalive_connections=0)
        async with httpx.AsyncClient(base_url=service.url, timeout=30, limits=no_keepalive) as http:
            for _ in range(6):
                response = await http.post("/graphql", json={"query": TERMS})
                assert response.status_code == 200, response.text
            async with GraphQLWebSocket.connected(service.url, token) as ws:
                await ws.subscribe(WATCH)
                # The subscription starts once its session is checked, after the socket opened.
                text = await eventually(
                    http,
                    lambda t: (
                        sample(t, "hellowork_websockets_open") == 1
                        and sample(t, ACTIVE, operation="WatchMessages") == 1
                    ),
                    within=30,
                )
        count = "hellowork_graphql_operation_duration_seconds_count"
        assert sample(text, count, operation="ObservedTerms", type="query") == 6
        pids = {path.stem.rpartition("_")[2] for path in metrics_dir.glob("gauge_livesum_*.db")}
        assert len(pids) == 2, sorted(metrics_dir.iterdir())
    finally:
        await asyncio.to_thread(service.stop)

    # Each worker, on its way out, took its live gauges with it.
    assert not list(metrics_dir.glob("gauge_livesum_*.db")), sorted(metrics_dir.iterdir())
    assert list(metrics_dir.glob("histogram_*.db"))


def test_production_refuses_a_short_metrics_token_and_a_missing_multiprocess_dir(
    tmp_path: Path,
) -> None:
    production = {
        "APP_ENV": "production",
        "SECRET_KEY": TEST_SECRET_KEY,
        "MAIL_URL": "smtp://mail.example.jp:587",
    }
    with pytest.raises(ConfigurationError, match="METRICS_TOKEN"):
        Settings.from_env({**production, "METRICS_TOKEN": "short"})
    with pytest.raises(ConfigurationError, match="PROMETHEUS_MULTIPROC_DIR"):
        Settings.from_env({"PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "missing")})
    assert Settings.from_env({**production, "METRICS_TOKEN": METRICS_TOKEN}).metrics_token


def test_operation_labels_fold_new_names_past_the_limit() -> None:
    labels = OperationLabels(limit=2)

    assert [labels("HomePage"), labels("Threads")] == ["HomePage", "Threads"]
    assert labels("Third") == OTHER  # the limit is reached: new names are folded
    assert labels("HomePage") == "HomePage"  # names already seen keep their label
    assert labels(None) == ANONYMOUS
    assert labels("") == ANONYMOUS
    assert labels("not a name") == OTHER
    assert OperationLabels(limit=5)("a" * 64) == "a" * 64  # 64 characters at most
    assert OperationLabels(limit=5)("a" * 65) == OTHER
