"""One GraphQL request in process, and where its time goes: `python -m bench.request`.

The service's ASGI application (`app.main.create_app`, its lifespan run as uvicorn runs it)
is called directly with an HTTP scope, one request at a time, no network: `POST /graphql`
with the known employer's bearer token and the documents of `bench/load.py` (`employerHome`,
postings (20), applications (50), messages (50)), on the data of a preset (`medium` unless
told). Rate limits are on, as in production, with a request budget too large to be reached.

Each round runs every scenario for `--requests` requests, one after the other, so that a
drift of the machine hits them all, first plain (the time per request, the median of the
round), then instrumented: each part of the request timed with `time.perf_counter_ns`, by
wrapping what calls it (the wrappers cost a few microseconds, visible as the difference of
the two totals). The parts, which add up to the instrumented total:

- each ASGI middleware, its own time on the way in and on the way out (its `send`);
- `routing` (Starlette's router), `view` (Strawberry's view around what follows: the request
  and response objects, sending the answer);
- `parse_http_body` (reading the body, JSON) and `check_operation` (`app.transport`);
- `get_context` and `viewer_for_token` (the session lookup) within it;
- `throttle` (`hit_request`), `persisted` (the trusted-document and APQ lookup),
  `refuse_subscription`;
- `strawberry`: `Schema.execute` around graphql-core's execution — the extensions (parser and
  validation caches, the cost limit, the observer, error codes) and the execution context;
- `execution`: graphql-core's `execute`, awaited (resolvers, dataloaders, SQL);
- `process_result`, `create_response` and `encode_json` (orjson) within it.

Across those parts, whichever runs them: the SQL statements and the time awaiting them
(`sql`, the driver and its thread; summed, so overlapping statements count twice), Tortoise
building them (`build`: `_make_query` and pypika's `get_parameterized_sql`), building models
from rows (`rows`: `Model._init_from_db`, and `app.db._Rows.build` for the prepared reads) and
parsing the rows' dates (`dates`: `DatetimeField.to_python_value`, within `rows` or within a
`values()` query's conversion; the prepared reads parse most of theirs within `rows`, by a
conversion of their own).

`--profile pyinstrument` or `--profile cprofile` profiles `--requests` requests of one
scenario (`--scenario`) instead, and prints the profile.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import datetime as dt
import functools
import inspect
import io
import json
import pstats
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import uvloop
from starlette.applications import Starlette
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bench.load import APPLICATIONS, HOME, MESSAGES, POSTINGS

REQUESTS = 200
ROUNDS = 5
PRESET = "medium"


@dataclass(frozen=True)
class Scenario:
    name: str
    query: str
    variables: dict[str, Any]
    edges: str | None = None
    """The connection whose edges the answer must have `size` of."""
    size: int = 0


def scenarios(thread_id: str) -> list[Scenario]:
    return [
        Scenario("employerHome", HOME, {}),
        Scenario("postings (20)", POSTINGS, {"first": 20}, "postings", 20),
        Scenario("applications (50)", APPLICATIONS, {"first": 50}, "applications", 50),
        Scenario("messages (50)", MESSAGES, {"thread": thread_id, "first": 50}, "messages", 50),
    ]


# --- Calling the application ----------------------------------------------------------------


class Client:
    """Calls the ASGI application as uvicorn would, with one `POST /graphql` at a time."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self.headers = [
            (b"host", b"127.0.0.1:8000"),
            (b"content-type", b"application/json"),
            (b"authorization", f"Bearer {token}".encode()),
        ]

    async def post(self, body: bytes) -> tuple[int, bytes]:
        scope: Scope = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": "1.1",
            "method": "POST",
            "scheme": "http",
            "path": "/graphql",
            "raw_path": b"/graphql",
            "query_string": b"",
            "root_path": "",
            "headers": [*self.headers, (b"content-length", str(len(body)).encode())],
            "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 8000),
            "state": {},
        }
        sent = False
        status = 0
        chunks: list[bytes] = []

        async def receive() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            await asyncio.Event().wait()  # a client that stays connected
            raise AssertionError("unreachable")

        async def send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, send)
        return status, b"".join(chunks)


def check_answer(scenario: Scenario, status: int, answer: bytes) -> None:
    decoded = orjson.loads(answer)
    if status != 200 or decoded.get("errors"):
        raise AssertionError(f"{scenario.name}: HTTP {status}: {answer[:500]!r}")
    if scenario.edges is not None:
        found = len(decoded["data"][scenario.edges]["edges"])
        if found != scenario.size:
            raise AssertionError(f"{scenario.name}: {found} edges, expected {scenario.size}")


# --- Instrumentation ------------------------------------------------------------------------


@dataclass
class Parts:
    """Time by part of the request path (each part's own, excluding the parts it calls),
    and the cross-cutting measures (`sql`, `build`, `rows`, `dates`) by the part they ran in."""

    own: defaultdict[str, int] = field(default_factory=lambda: defaultdict(int))
    across: defaultdict[tuple[str, str], int] = field(default_factory=lambda: defaultdict(int))
    statements: defaultdict[str, int] = field(default_factory=lambda: defaultdict(int))
    stack: list[list[Any]] = field(default_factory=list)
    """[name, started, time in the parts it called] of the parts running now."""
    busy: set[str] = field(default_factory=set)
    """The cross-cutting measures running now (a nested call of one is not counted again)."""

    def enter(self, name: str) -> None:
        self.stack.append([name, time.perf_counter_ns(), 0])

    def leave(self) -> None:
        name, started, inner = self.stack.pop()
        elapsed = time.perf_counter_ns() - started
        self.own[name] += elapsed - inner
        if self.stack:
            self.stack[-1][2] += elapsed

    @property
    def current(self) -> str:
        return self.stack[-1][0] if self.stack else "outside"

    def clear(self) -> None:
        self.own.clear()
        self.across.clear()
        self.statements.clear()


class Patches:
    """Attribute replacements, undone in reverse order."""

    def __init__(self) -> None:
        self._undo: list[tuple[object, str, object, bool]] = []

    def set(self, target: object, name: str, value: object) -> None:
        own = getattr(target, "__dict__", {})
        # A class's own attribute as stored (a classmethod, not the method it gives).
        self._undo.append((target, name, own.get(name), name in own))
        setattr(target, name, value)

    def undo(self) -> None:
        while self._undo:
            target, name, value, had_own = self._undo.pop()
            if had_own:
                setattr(target, name, value)
            else:
                delattr(target, name)


def timed_async(parts: Parts, name: str, function: Callable[..., Awaitable[Any]]) -> Any:
    @functools.wraps(function)
    async def timed(*args: Any, **kwargs: Any) -> Any:
        parts.enter(name)
        try:
            return await function(*args, **kwargs)
        finally:
            parts.leave()

    return timed


def timed_sync(parts: Parts, name: str, function: Callable[..., Any]) -> Any:
    @functools.wraps(function)
    def timed(*args: Any, **kwargs: Any) -> Any:
        parts.enter(name)
        try:
            return function(*args, **kwargs)
        finally:
            parts.leave()

    return timed


def timed_maybe_awaitable(parts: Parts, name: str, function: Callable[..., Any]) -> Any:
    """For graphql-core's `execute`, which returns an awaitable when a resolver is async."""

    @functools.wraps(function)
    def timed(*args: Any, **kwargs: Any) -> Any:
        parts.enter(name)
        try:
            result = function(*args, **kwargs)
        except BaseException:
            parts.leave()
            raise
        if not inspect.isawaitable(result):
            parts.leave()
            return result

        async def awaited() -> Any:
            try:
                return await result
            finally:
                parts.leave()

        return awaited()

    return timed


def across_sync(parts: Parts, measure: str, function: Callable[..., Any]) -> Any:
    @functools.wraps(function)
    def timed(*args: Any, **kwargs: Any) -> Any:
        if measure in parts.busy:
            return function(*args, **kwargs)
        parts.busy.add(measure)
        started = time.perf_counter_ns()
        try:
            return function(*args, **kwargs)
        finally:
            parts.across[parts.current, measure] += time.perf_counter_ns() - started
            parts.busy.discard(measure)

    return timed


def across_sql(parts: Parts, function: Callable[..., Awaitable[Any]]) -> Any:
    @functools.wraps(function)
    async def timed(*args: Any, **kwargs: Any) -> Any:
        where = parts.current
        parts.statements[where] += 1
        started = time.perf_counter_ns()
        try:
            return await function(*args, **kwargs)
        finally:
            parts.across[where, "sql"] += time.perf_counter_ns() - started

    return timed


class Section:
    """An ASGI application timed as the part `name`; what it sends is the caller's part."""

    def __init__(self, parts: Parts, name: str, outer: str, app: ASGIApp) -> None:
        self.parts = parts
        self.name = name
        self.outer = outer
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        parts = self.parts

        async def send_as_outer(message: Message) -> None:
            parts.enter(self.outer)
            try:
                await send(message)
            finally:
                parts.leave()

        parts.enter(self.name)
        try:
            await self.app(scope, receive, send_as_outer)
        finally:
            parts.leave()


def _name(app: object) -> str:
    return type(app).__name__


@contextlib.contextmanager
def instrumented(application: Starlette, parts: Parts) -> Iterator[None]:
    """Time the parts of a request (see the module's docstring) while within."""
    from pypika_tortoise.queries import QueryBuilder
    from tortoise import connections
    from tortoise.fields.data import DatetimeField
    from tortoise.models import Model
    from tortoise.queryset import AwaitableQuery

    from app import db, main, transport
    from app.resolvers.accounts import viewer_for_token

    patches = Patches()
    assert application.middleware_stack is not None, "make one request first"
    # The middlewares, outermost first, down to the router.
    layer: Any = application.middleware_stack
    while hasattr(layer, "app") and not isinstance(layer.app, Section):
        inner = layer.app
        name = "routing" if _name(inner) == "Router" else _name(inner)
        patches.set(layer, "app", Section(parts, name, _name(layer), inner))
        if _name(inner) == "Router":
            break
        layer = inner
    route = next(r for r in application.routes if isinstance(r, Route) and r.path == "/graphql")
    view = route.app
    assert isinstance(view, main.GraphQLApp)
    patches.set(route, "app", Section(parts, "view", "routing", view))
    for name in ("parse_http_body", "get_context", "execute_operation", "process_result"):
        patches.set(view, name, timed_async(parts, name, getattr(view, name)))
    for name in ("create_response", "encode_json"):
        patches.set(view, name, timed_sync(parts, name, getattr(view, name)))
    patches.set(main, "viewer_for_token", timed_async(parts, "viewer_for_token", viewer_for_token))
    for name in ("check_operation", "refuse_subscription"):
        patches.set(transport, name, timed_sync(parts, name, getattr(transport, name)))
    patches.set(
        view.rt.throttle,
        "hit_request",
        timed_async(parts, "throttle", view.rt.throttle.hit_request),
    )
    patches.set(view.persisted, "resolve", timed_async(parts, "persisted", view.persisted.resolve))
    schema = view.schema
    patches.set(schema, "execute", timed_async(parts, "strawberry", schema.execute))
    get_execute = schema._get_execute_function  # type: ignore[attr-defined]
    patches.set(
        schema,
        "_get_execute_function",
        lambda: timed_maybe_awaitable(parts, "execution", get_execute()),
    )
    # Across the parts.
    connection_class = type(connections.get("default"))
    for name in ("execute_query", "execute_query_dict", "execute_insert"):
        patches.set(connection_class, name, across_sql(parts, getattr(connection_class, name)))
    for query_class in _subclasses(AwaitableQuery):
        if "_make_query" in query_class.__dict__:
            patches.set(
                query_class,
                "_make_query",
                across_sync(parts, "build", query_class.__dict__["_make_query"]),
            )
    patches.set(
        QueryBuilder,
        "get_parameterized_sql",
        across_sync(parts, "build", QueryBuilder.get_parameterized_sql),
    )
    patches.set(
        Model,
        "_init_from_db",
        classmethod(across_sync(parts, "rows", Model.__dict__["_init_from_db"].__func__)),
    )
    rows = getattr(db, "_Rows", None)  # the prepared reads' own models; none in older trees
    if rows is not None:
        patches.set(rows, "build", across_sync(parts, "rows", rows.build))
    patches.set(
        DatetimeField, "to_python_value", across_sync(parts, "dates", DatetimeField.to_python_value)
    )
    try:
        yield
    finally:
        patches.undo()


def _subclasses(cls: type) -> Iterator[type]:
    sub: type
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


# --- Measuring ------------------------------------------------------------------------------


PATH_ORDER = (
    "ServerErrorMiddleware",
    "RequestIdMiddleware",
    "MetricsMiddleware",
    "SecurityHeadersMiddleware",
    "CORSMiddleware",
    "CsrfMiddleware",
    "RateLimitHeadersMiddleware",
    "ExceptionMiddleware",
    "routing",
    "view",
    "parse_http_body",
    "check_operation",
    "get_context",
    "viewer_for_token",
    "execute_operation",
    "throttle",
    "persisted",
    "refuse_subscription",
    "strawberry",
    "execution",
    "process_result",
    "create_response",
    "encode_json",
)
ACROSS = ("sql", "build", "rows", "dates")


async def run_plain(client: Client, body: bytes, requests: int) -> tuple[float, float]:
    """The median time per request, and the process's CPU time per request (the database
    driver's thread included; less disturbed than the time by other work on the machine),
    in microseconds."""
    times = []
    cpu_started = time.process_time_ns()
    for _ in range(requests):
        started = time.perf_counter_ns()
        await client.post(body)
        times.append(time.perf_counter_ns() - started)
    cpu = (time.process_time_ns() - cpu_started) / requests
    return statistics.median(times) / 1000, cpu / 1000


async def run_instrumented(
    app: Starlette, client: Client, body: bytes, requests: int
) -> dict[str, Any]:
    """Each part's own time per request and the cross-cutting measures, in microseconds."""
    parts = Parts()
    with instrumented(app, parts):
        await client.post(body)  # the first request through the wrappers warms them
        parts.clear()
        started = time.perf_counter_ns()
        for _ in range(requests):
            await client.post(body)
        total = time.perf_counter_ns() - started
    return {
        "total_us": total / requests / 1000,
        "parts_us": {name: ns / requests / 1000 for name, ns in parts.own.items()},
        "across_us": {
            f"{where}/{measure}": ns / requests / 1000
            for (where, measure), ns in parts.across.items()
        },
        "statements": {where: n / requests for where, n in parts.statements.items()},
    }


@contextlib.asynccontextmanager
async def service(env: dict[str, str]) -> Any:
    """The application with its lifespan running, and a live session of the known employer
    and the id of one of its threads."""
    import base64

    from app import models
    from app.main import create_app
    from app.settings import Settings
    from bench import data as bench_data

    settings = Settings.from_env(env)
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        rt = app.state.runtime
        thread = (
            await models.MessageThread.filter(establishment__users__email=bench_data.BENCH_EMAIL)
            .order_by("id")
            .first()
        )
        assert thread is not None, "the known employer has no thread"
        token = await bench_data.open_session(rt)
        thread_id = base64.b64encode(f"MessageThread:{thread.id}".encode()).decode()
        yield app, Client(app, token), thread_id


def bench_env(url: str) -> dict[str, str]:
    from bench.__main__ import service_env

    # Limits on, as in production, with a request budget this benchmark cannot spend.
    return service_env(
        url, RATE_LIMITS="on", RATE_LIMIT_REQUESTS_PER_SESSION=f"{10**9}/60", LOG_LEVEL="WARNING"
    )


async def measure(
    url: str, requests: int, rounds: int, names: list[str], *, plain_only: bool = False
) -> dict[str, Any]:
    async with service(bench_env(url)) as (app, client, thread_id):
        chosen = [s for s in scenarios(thread_id) if s.name.split()[0] in names]
        bodies = {}
        for scenario in chosen:
            body = orjson.dumps({"query": scenario.query, "variables": scenario.variables})
            status, answer = await client.post(body)
            check_answer(scenario, status, answer)
            bodies[scenario.name] = body
            await run_plain(client, body, 20)  # caches, dataloaders, the database's pages
        plain: dict[str, list[float]] = defaultdict(list)
        cpu: dict[str, list[float]] = defaultdict(list)
        detail: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for number in range(rounds):
            for scenario in chosen:
                body = bodies[scenario.name]
                median, cpu_time = await run_plain(client, body, requests)
                plain[scenario.name].append(median)
                cpu[scenario.name].append(cpu_time)
                if not plain_only:
                    detail[scenario.name].append(
                        await run_instrumented(app, client, body, requests)
                    )
            print(f"round {number + 1}/{rounds} done, load {_loadavg()}", file=sys.stderr)
    return {
        name: {
            "plain_us": plain[name],
            "plain_median_us": statistics.median(plain[name]),
            "cpu_us": cpu[name],
            "cpu_median_us": statistics.median(cpu[name]),
            **(_median_of(detail[name]) if detail[name] else {}),
        }
        for name in plain
    }


def _median_of(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "instrumented_median_us": statistics.median(r["total_us"] for r in rounds)
    }
    for key in ("parts_us", "across_us", "statements"):
        names = {name for r in rounds for name in r[key]}
        out[key] = {
            name: statistics.median(r[key].get(name, 0.0) for r in rounds) for name in sorted(names)
        }
    return out


async def profile(url: str, requests: int, name: str, profiler: str) -> str:
    async with service(bench_env(url)) as (_, client, thread_id):
        scenario = next(s for s in scenarios(thread_id) if s.name.split()[0] == name)
        body = orjson.dumps({"query": scenario.query, "variables": scenario.variables})
        status, answer = await client.post(body)
        check_answer(scenario, status, answer)
        await run_plain(client, body, 20)
        if profiler == "pyinstrument":
            from pyinstrument import Profiler

            with Profiler(interval=0.0002, async_mode="enabled") as found:
                await run_plain(client, body, requests)
            return str(found.output_text(unicode=True, color=False, show_all=False))
        stats = cProfile.Profile()
        stats.enable()
        await run_plain(client, body, requests)
        stats.disable()
        out = io.StringIO()
        pstats.Stats(stats, stream=out).sort_stats("tottime").print_stats(45)
        return out.getvalue()


# --- Against another checkout --------------------------------------------------------------


def against(
    tree: Path, url: str, *, requests: int, rounds: int, names: list[str]
) -> dict[str, Any]:
    """The plain time per request in `tree` and here, a round each in turn (the order swapped
    every round), each round in a process of its own: the medians and their ratio here /
    there, of the medians and of each round against the other tree's in the same round."""
    here = Path(__file__).resolve().parent.parent
    found: dict[tuple[str, str], dict[str, list[float]]] = defaultdict(
        lambda: {"there": [], "here": []}
    )
    sides = [("there", tree), ("here", here)]
    for number in range(rounds):
        for side, root in sides if number % 2 == 0 else sides[::-1]:
            for name, result in _round_in(root, url, requests, names).items():
                found[name, "time"][side].append(result["plain_median_us"])
                found[name, "cpu"][side].append(result["cpu_median_us"])
        print(f"round {number + 1}/{rounds} done, load {_loadavg()}", file=sys.stderr)
    report: dict[str, Any] = defaultdict(dict)
    for (name, measure), times in found.items():
        there, mine = times["there"], times["here"]
        report[name][measure] = {
            "there_us": there,
            "here_us": mine,
            "ratio": round(statistics.median(mine) / statistics.median(there), 3),
            "ratio_paired": round(
                statistics.median(h / t for h, t in zip(mine, there, strict=True)), 3
            ),
        }
    return {"tree": str(tree), "scenarios": dict(report)}


def _round_in(root: Path, url: str, requests: int, names: list[str]) -> dict[str, Any]:
    """One plain round, by this file run as a script with `root`'s checkout first on the
    path (its `app` and `bench`)."""
    from bench.__main__ import in_tree  # bench.__main__ imports this module

    answer = in_tree(
        root,
        __file__,
        *("--database-url", url, "--plain", "--no-write"),
        *("--rounds", "1", "--requests", str(requests), "--scenario", ",".join(names)),
    )
    return answer["results"]  # type: ignore[no-any-return]


def print_against(report: dict[str, Any]) -> None:
    print(f"there: {report['tree']}; µs per request, the median of the rounds' medians")
    print("| scenario | measure | there | here | here ÷ there | paired |")
    print("|---|---|---|---|---|---|")
    for name, measures in report["scenarios"].items():
        for measure, pair in measures.items():
            there = statistics.median(pair["there_us"])
            mine = statistics.median(pair["here_us"])
            print(
                f"| {name} | {measure} | {there:,.0f} | {mine:,.0f} | {pair['ratio']:.2f} "
                f"| {pair['ratio_paired']:.2f} |"
            )


# --- Report ---------------------------------------------------------------------------------


def print_table(results: dict[str, Any]) -> None:
    names = list(results)
    print("| part (µs per request) | " + " | ".join(names) + " |")
    print("|---" * (len(names) + 1) + "|")

    def row(label: str, values: list[float]) -> None:
        print(f"| {label} | " + " | ".join(f"{v:,.0f}" for v in values) + " |")

    row("**plain total (median)**", [results[n]["plain_median_us"] for n in names])
    row("CPU time (process)", [results[n]["cpu_median_us"] for n in names])
    row("instrumented total", [results[n]["instrumented_median_us"] for n in names])
    known = [p for p in PATH_ORDER if any(p in results[n]["parts_us"] for n in names)]
    others = sorted({p for n in names for p in results[n]["parts_us"]} - set(known))
    for part in [*known, *others]:
        values = [results[n]["parts_us"].get(part, 0.0) for n in names]
        across = {
            measure: [results[n]["across_us"].get(f"{part}/{measure}", 0.0) for n in names]
            for measure in ACROSS
        }
        row(part, values)
        for measure, measured in across.items():
            if any(v >= 1 for v in measured):
                row(f"  ↳ {measure}", measured)
        statements = [results[n]["statements"].get(part, 0.0) for n in names]
        if any(statements):
            print("|   ↳ statements | " + " | ".join(f"{s:g}" for s in statements) + " |")


def _loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def main(argv: list[str] | None = None) -> int:
    from bench.__main__ import RESULTS, database_url, ensure_data, machine

    parser = argparse.ArgumentParser(prog="python -m bench.request", description=__doc__)
    parser.add_argument("--preset", default=PRESET)
    parser.add_argument("--database-url", help="instead of the preset's data in bench/var")
    parser.add_argument("--requests", type=int, default=REQUESTS, help="per scenario and round")
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    parser.add_argument(
        "--scenario",
        default="employerHome,postings,applications,messages",
        help="comma-separated: employerHome, postings, applications, messages",
    )
    parser.add_argument("--profile", choices=("pyinstrument", "cprofile"))
    parser.add_argument("--plain", action="store_true", help="the total only, no parts")
    parser.add_argument(
        "--against", type=Path, help="another checkout of the service to compare with"
    )
    parser.add_argument(
        "--no-write", action="store_true", help="no file in bench/results/; JSON on stdout"
    )
    args = parser.parse_args(argv)
    url = database_url(args.preset, args.database_url)
    if args.database_url is None:
        ensure_data(args.preset, url, False)
    names = args.scenario.split(",")
    if args.profile:
        print(uvloop.run(profile(url, args.requests, names[0], args.profile)))
        return 0
    report: dict[str, Any] = {"machine": machine(), "preset": args.preset, "loadavg": {}}
    report["loadavg"]["start"] = _loadavg()
    if args.against is not None:
        report["against"] = against(
            args.against.resolve(), url, requests=args.requests, rounds=args.rounds, names=names
        )
    else:
        report["results"] = uvloop.run(
            measure(url, args.requests, args.rounds, names, plain_only=args.plain)
        )
    report["loadavg"]["end"] = _loadavg()
    print(f"load average {report['loadavg']['start']} → {report['loadavg']['end']}")
    if args.against is not None:
        print_against(report["against"])
    elif not args.plain:
        print_table(report["results"])
    if not args.no_write:
        RESULTS.mkdir(parents=True, exist_ok=True)
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
        out = RESULTS / f"{stamp}-request.json"
        out.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        print(f"results: {out}")
    else:
        print(json.dumps(report, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
