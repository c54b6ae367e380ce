"""Observability: log lines that carry the request id and the GraphQL operation, and the
Prometheus metrics served at `/metrics`.

The request id and the operation travel in context variables: set by `RequestIdMiddleware`
and by the schema extension `OperationObserver`, read by every log record emitted while the
request (or a subscription's operation) runs, uvicorn's access log line included.

With several worker processes prometheus-client needs its multiprocess mode: every process
writes its samples to files in `PROMETHEUS_MULTIPROC_DIR`, and `/metrics` adds them up.
"""

from __future__ import annotations

import datetime as dt
import functools
import hmac
import logging
import os
import re
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Mapping
from contextlib import asynccontextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import TypeVar

import anyio.to_thread
import orjson
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from app.settings import Settings

REQUEST_ID: ContextVar[str | None] = ContextVar("request_id", default=None)
"""The id of the HTTP request or WebSocket being served."""

OPERATION: ContextVar[str | None] = ContextVar("graphql_operation", default=None)
"""The name of the GraphQL operation being run (None for an unnamed one)."""

REQUEST_ID_HEADER = "x-request-id"

_HEADER = REQUEST_ID_HEADER.encode()

# What a load balancer or client may pass as its own request id; anything else is replaced.
_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:@+=/-]{0,127}")

# --- Logs -----------------------------------------------------------------------------------

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s%(context)s"

# uvicorn's access records carry these as their arguments, in this order.
_ACCESS_FIELDS = ("client", "method", "path", "http_version", "status")


class RequestContextFilter(logging.Filter):
    """Stamps each record with the request id and operation of the context it was logged in."""

    def filter(self, record: logging.LogRecord) -> bool:
        request_id = REQUEST_ID.get()
        operation = OPERATION.get()
        record.request_id = request_id
        record.operation = operation
        context = [f"{name}={value}" for name, value in _context_items(request_id, operation)]
        record.context = f" [{' '.join(context)}]" if context else ""
        return True


def _context_items(request_id: str | None, operation: str | None) -> Iterator[tuple[str, str]]:
    if request_id is not None:
        yield "request_id", request_id
    if operation is not None:
        yield "operation", operation


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC), level, logger, message, request_id, operation,
    the fields of uvicorn's access line, and the traceback when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
            "operation": getattr(record, "operation", None),
        }
        if (
            record.name == "uvicorn.access"
            and isinstance(record.args, tuple)
            and len(record.args) == len(_ACCESS_FIELDS)
        ):
            entry.update(zip(_ACCESS_FIELDS, record.args, strict=True))
        if record.exc_info:
            entry["exc_info"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack_info"] = self.formatStack(record.stack_info)
        return orjson.dumps(entry, default=str).decode()


QUIET_LOGGERS = ("tortoise.db_client", "aiosqlite")
"""Loggers that write SQL with its parameters at DEBUG: applicants' names, contacts and
documents (DESIGN.md §11) and secrets' hashes would enter the log. They stay at INFO whatever
LOG_LEVEL says."""


def quiet_sql_parameters() -> None:
    for name in QUIET_LOGGERS:
        logger = logging.getLogger(name)
        if logger.getEffectiveLevel() < logging.INFO or logger.level == logging.NOTSET:
            logger.setLevel(logging.INFO)


def configure_logging(settings: Settings) -> None:
    """Send every log record, uvicorn's included, to stderr in `LOG_FORMAT`.

    Call it once the server configured its own logging (uvicorn does so before it imports
    the application): uvicorn's loggers then hand their records to the root handler instead
    of printing them themselves. A uvicorn logger left without handlers (`--no-access-log`)
    stays silent. A root logger that already has handlers was configured on purpose (a
    uvicorn `--log-config`, a program embedding the app) and is left as it is.
    """
    root = logging.getLogger()
    if root.handlers:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RequestContextFilter())
    handler.setFormatter(
        JsonFormatter() if settings.log_format == "json" else logging.Formatter(TEXT_FORMAT)
    )
    root.addHandler(handler)
    root.setLevel(settings.log_level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        if logger.handlers:
            logger.handlers.clear()
            logger.propagate = True


# --- Metrics --------------------------------------------------------------------------------

HTTP_REQUESTS = Counter(
    "hellowork_http_requests_total",
    "HTTP requests answered, by route, method and status.",
    ["route", "method", "status"],
)
HTTP_DURATION = Histogram(
    "hellowork_http_request_duration_seconds",
    "Time to answer an HTTP request, by route and method.",
    ["route", "method"],
)
OPERATION_DURATION = Histogram(
    "hellowork_graphql_operation_duration_seconds",
    "Time to run a GraphQL query or mutation (parse to result), by operation name and type.",
    ["operation", "type"],
)
GRAPHQL_ERRORS = Counter(
    "hellowork_graphql_errors_total",
    "Top-level GraphQL errors sent to clients (HTTP and WebSocket), by extensions.code.",
    ["code"],
)
WEBSOCKETS_OPEN = Gauge(
    "hellowork_websockets_open",
    "WebSockets accepted and not yet closed.",
    multiprocess_mode="livesum",
)
SUBSCRIPTIONS_ACTIVE = Gauge(
    "hellowork_graphql_subscriptions_active",
    "GraphQL subscriptions running, by operation name.",
    ["operation"],
    multiprocess_mode="livesum",
)
BROKER_LAG = Histogram(
    "hellowork_broker_lag_seconds",
    "Time from an event's publication to its delivery to a subscription (wall clocks).",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)

ANONYMOUS = "anonymous"
OTHER = "other"
MAX_OPERATION_LABELS = 200
"""Distinct operation names a process labels metrics with; later new names count as OTHER."""

_OPERATION_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
_ERROR_CODE = re.compile(r"[A-Z][A-Z0-9_]{0,47}")
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_ROUTES = frozenset({"/graphql", "/healthz", "/metrics"})


class OperationLabels:
    """Operation names as metric labels, in a bounded set: clients choose the names, and
    every distinct label value is a time series kept for the life of the process."""

    def __init__(self, limit: int = MAX_OPERATION_LABELS) -> None:
        self._limit = limit
        self._seen: set[str] = set()

    def __call__(self, name: str | None) -> str:
        if not name:
            return ANONYMOUS
        if not _OPERATION_NAME.fullmatch(name):
            return OTHER
        if name not in self._seen:
            if len(self._seen) >= self._limit:
                return OTHER
            self._seen.add(name)
        return name


operation_label = OperationLabels()


def error_code_label(error: object) -> str:
    """The `extensions.code` of a formatted GraphQL error, as a bounded label."""
    extensions = error.get("extensions") if isinstance(error, Mapping) else None
    code = extensions.get("code") if isinstance(extensions, Mapping) else None
    if code is None:
        return "NONE"
    return code if isinstance(code, str) and _ERROR_CODE.fullmatch(code) else OTHER.upper()


def count_graphql_errors(errors: Iterable[object] | None) -> None:
    """Count the top-level errors of a result as sent to a client."""
    for error in errors or ():
        GRAPHQL_ERRORS.labels(error_code_label(error)).inc()


def count_transport_ws_errors(message: Mapping[str, object]) -> None:
    """Count the errors of a graphql-transport-ws message (`next` with errors, or `error`)."""
    payload = message.get("payload")
    if message.get("type") == "next" and isinstance(payload, Mapping):
        errors = payload.get("errors")
        count_graphql_errors(errors if isinstance(errors, list) else None)
    elif message.get("type") == "error" and isinstance(payload, list):
        count_graphql_errors(payload)


def observe_broker_lag(published_at: float | None) -> None:
    """Record how long a notice took from its publisher to a listener of this process."""
    if published_at is not None:
        # Publisher and listener may be different hosts: a clock behind is not negative lag.
        BROKER_LAG.observe(max(0.0, time.time() - published_at))


def _route(path: str) -> str:
    if path in _ROUTES:
        return path
    if path.startswith("/media/"):
        return "/media/{name}"
    return OTHER


def _log_name(name: str | None) -> str | None:
    """The operation name for the logs; a client's malformed name must not forge log text."""
    if name is None or _OPERATION_NAME.fullmatch(name):
        return name
    return OTHER


def _operation_type(kind: OperationType | None) -> str:
    return kind.value if kind is not None else "unknown"


class OperationObserver(SchemaExtension):
    """Names the running operation for the logs (`OPERATION`), times queries and mutations,
    and counts the subscriptions running. One instance per operation (pass the class)."""

    def __init__(self) -> None:
        self._subscription: str | None = None

    def _name_and_type(self) -> tuple[str | None, OperationType | None]:
        context = self.execution_context
        try:
            return context.operation_name, context.operation_type
        except RuntimeError:  # not parsed, or no operation of the name asked for
            return context.operation_name, None

    def on_operation(self) -> Iterator[None]:
        started = time.perf_counter()
        OPERATION.set(_log_name(self.execution_context.operation_name))
        try:
            yield
        finally:
            name, kind = self._name_and_type()
            if self._subscription is not None:
                SUBSCRIPTIONS_ACTIVE.labels(self._subscription).dec()
            elif kind is not OperationType.SUBSCRIPTION:
                OPERATION_DURATION.labels(operation_label(name), _operation_type(kind)).observe(
                    time.perf_counter() - started
                )

    def on_validate(self) -> Iterator[None]:
        # Parsed by now: an unnamed request may still run a named operation.
        name, _ = self._name_and_type()
        OPERATION.set(_log_name(name))
        yield

    def on_execute(self) -> Iterator[None]:
        name, kind = self._name_and_type()
        if kind is OperationType.SUBSCRIPTION and self._subscription is None:
            self._subscription = operation_label(name)
            SUBSCRIPTIONS_ACTIVE.labels(self._subscription).inc()
        yield


class RequestIdMiddleware:
    """Gives every HTTP request and WebSocket an id: the client's or load balancer's
    `X-Request-ID` when it is sane, a new one otherwise; returned in the same header."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        # As `Headers(scope=scope).get(…)`: the first, names being lower case in ASGI scopes.
        incoming = next(
            (value.decode("latin-1") for name, value in scope["headers"] if name == _HEADER),
            "",
        )
        request_id = incoming if _REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
        # Not reset afterwards: uvicorn serves each request in a task (and context) of its
        # own, and logs an unhandled exception only after the application has returned.
        REQUEST_ID.set(request_id)
        returned = (_HEADER, request_id.encode("latin-1"))

        async def send_with_id(message: Message) -> None:
            if message["type"] in ("http.response.start", "websocket.accept"):
                message["headers"] = [*message.get("headers", ()), returned]
            await send(message)

        await self.app(scope, receive, send_with_id)


M = TypeVar("M", Counter, Histogram)


@functools.cache
def _labelled(metric: M, *labels: str) -> M:
    """`metric.labels(*labels)`, looked up once: the labels of HTTP metrics are few (bounded
    routes, methods and statuses), and every request observes two."""
    return metric.labels(*labels)


class MetricsMiddleware:
    """Counts and times HTTP requests; counts the WebSockets open."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self._http(scope, receive, send)
        elif scope["type"] == "websocket":
            await self._websocket(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        route = _route(scope["path"])
        method = scope["method"] if scope["method"] in _METHODS else OTHER
        status = 500  # unless a response starts: an exception escaped the application
        started = time.perf_counter()

        async def send_observed(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_observed)
        finally:
            elapsed = time.perf_counter() - started
            _labelled(HTTP_DURATION, route, method).observe(elapsed)
            _labelled(HTTP_REQUESTS, route, method, str(status)).inc()

    async def _websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        accepted = False

        async def send_observed(message: Message) -> None:
            nonlocal accepted
            await send(message)
            if message["type"] == "websocket.accept" and not accepted:
                accepted = True
                WEBSOCKETS_OPEN.inc()

        try:
            await self.app(scope, receive, send_observed)
        finally:
            if accepted:
                WEBSOCKETS_OPEN.dec()


def metrics_endpoint(settings: Settings) -> Callable[[Request], Awaitable[Response]]:
    """`GET /metrics` in Prometheus' text format, for `Authorization: Bearer METRICS_TOKEN`.

    Without METRICS_TOKEN it is open in development and not there (404) in production: the
    metrics name the operations clients run, which is not for the internet to read.
    """
    token = settings.metrics_token
    served = token is not None or not settings.is_production
    multiproc_dir = settings.prometheus_multiproc_dir

    async def metrics(request: Request) -> Response:
        if not served:
            return PlainTextResponse("Not Found", status_code=404)
        if token is not None and not _bearer_matches(request, token):
            return PlainTextResponse(
                "Unauthorized",
                status_code=401,
                headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
            )
        # The multiprocess collector reads every worker's files: off the event loop.
        body = await anyio.to_thread.run_sync(exposition, multiproc_dir)
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    return metrics


def _bearer_matches(request: Request, token: str) -> bool:
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        credentials.strip().encode(), token.encode()
    )


def exposition(multiproc_dir: Path | None) -> bytes:
    """The metrics of this process, or of every worker process in multiprocess mode."""
    if multiproc_dir is None:
        return generate_latest(REGISTRY)
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=str(multiproc_dir))  # type: ignore[no-untyped-call]
    return generate_latest(registry)


@asynccontextmanager
async def process_metrics(settings: Settings) -> AsyncIterator[None]:
    """For the life of the application; at its end, in multiprocess mode, drop this process's
    live gauges (open WebSockets, subscriptions) so they no longer count."""
    try:
        yield
    finally:
        if settings.prometheus_multiproc_dir is not None:
            mark_process_dead(os.getpid(), str(settings.prometheus_multiproc_dir))  # type: ignore[no-untyped-call]
