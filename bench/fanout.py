"""Live fan-out as it happens: `python -m bench.fanout`, also `python -m bench --parts
subscriptions`.

Dashboards of many establishments (by default 3,000 over 1,000: three each, each with its own
session of the establishment's employer) are held by client processes of their own
(`bench.fanout_client`, 1,000 sockets each): one graphql-transport-ws WebSocket per dashboard
with the dashboard's `messageReceived` and `applicationStatusChanged` documents, started from
the newest event's cursor as the dashboard starts them. Then a driver makes events at a steady
rate (open loop: on schedule, whether earlier ones are answered or not), each for a random
establishment of theirs, and after each rate waits until the frames are in:

- a message of a seeker into one of the establishment's threads (`messageSend`), or
- the employer correcting an applicant's result, 採用 ↔ 不採用 (`applicationStatusUpdate`):
  the one move that repeats without end; each application moves once per setup.

Both mutations ask for their errors only, so the server's time goes to the event. A warm-up
of a few events comes first and is not counted. A rate the server cannot keep up with (two
seconds' events unanswered) ends early, and the higher rates are skipped: their backlog
would only take minutes to drain.

A delivery's latency runs from just before its mutation leaves the driver to the moment a
client read the frame (`trigger`), and from the event's own time on the server (`createdAt`,
`at`: taken when the mutation begins to write) to the same moment (`server`). Every process
stamps with `time.time()`, the wall clock they share with the server; `perf_counter` is
CLOCK_MONOTONIC, system-wide on Linux and as comparable between processes, but the server's
times are wall-clock.

What an event costs the server: its processes' CPU time (`/proc/<pid>/stat`, every thread)
is read for `--idle-seconds` with every dashboard open and no event (`idle_server_cpu_cores`:
the sockets by themselves), then from each rate's first event until its frames are in;
`server_cpu_ms_per_event` is the latter less the idle cost of the same span, per event
(the mutation over HTTP and its deliveries).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import datetime as dt
import json
import math
import random
import sys
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx
import orjson
from strawberry import relay

from app import models
from app.db import close_db, init_db
from app.models.accounts import Portal
from app.models.applications import ApplicationStatus
from app.models.posting_form import PostingCategory
from app.models.postings import PostingStatus
from app.resolvers.accounts import SESSION_PURPOSE
from app.runtime import Runtime
from app.schema.subscriptions import event_cursor
from app.security import new_token
from app.settings import Settings
from bench.load import percentile

T = TypeVar("T")

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = ROOT / "app" / "static" / "persisted-documents.json"
SUBSCRIPTIONS = {
    "messageReceived": "DashboardMessageReceived",
    "applicationStatusChanged": "DashboardApplicationStatusChanged",
}
"""The dashboard's subscriptions, by field and operation name (web/src/dashboard/)."""

SEND = """mutation FanOutSend($input: MessageSendInput!) {
  messageSend(input: $input) { errors { code message } } }"""
STATUS_UPDATE = """mutation FanOutStatus($input: ApplicationStatusUpdateInput!) {
  applicationStatusUpdate(input: $input) { errors { code message } } }"""
CORRECTED = {"HIRED": "REJECTED", "REJECTED": "HIRED"}
LATENCY_TARGET_MS = 50.0
SATURATED_SECONDS = 2.0
SATURATED_BACKLOG = 20
"""Unanswered mutations beyond `SATURATED_SECONDS` worth of events, and beyond this many:
the server is saturated."""
WARMING_UP = 0.0
"""The rate that marks the warm-up's events."""
WARM_UP = (5.0, 2.0)
"""Events per second and seconds before the first rate, not counted: the first mutations
and deliveries of a process are slower (documents parsed, connections opened)."""


@dataclass(frozen=True)
class Options:
    subscribers: int = 3000
    per_establishment: int = 3
    rates: tuple[float, ...] = (50.0, 100.0, 200.0)
    seconds: float = 5.0
    """Per rate."""
    sockets_per_client: int = 1000
    status_share: float = 0.5
    """The share of events that are status changes; the others are messages."""
    settle_seconds: float = 3.0
    """After the last socket subscribed: graphql-transport-ws acknowledges no subscribe."""
    idle_seconds: float = 5.0
    """Then the server's CPU is read this long with every dashboard open and no event: what
    the open sockets cost by themselves, taken off each rate's CPU per event."""
    drain_seconds: float = 20.0
    """At most this long after a rate for its frames to arrive; what is still out is missed."""
    compression: bool = True
    """Offer permessage-deflate, as browsers do (the server accepts it by default)."""
    seed: int = 1


# --- The dashboards and what the driver acts as ----------------------------------------------


@dataclass
class Establishment:
    id: int
    employer_tokens: list[str]
    """One session per dashboard; the first also changes statuses."""
    seeker_token: str
    thread_id: str
    """Global ID of a thread of the seeker with the establishment."""
    results: dict[int, str]
    """Applications with a result that may be corrected (on an active posting, not 大卒等),
    by id: HIRED or REJECTED as it stands."""


@dataclass(frozen=True)
class Plan:
    establishments: list[Establishment]

    def dashboards(self) -> list[tuple[Establishment, str]]:
        return [(e, token) for e in self.establishments for token in e.employer_tokens]


def in_database(url: str, work: Callable[[Runtime], Awaitable[T]]) -> T:
    """`work(runtime)` with the benchmark's database open, in an event loop of its own."""
    from bench.__main__ import service_env  # bench.__main__ imports this module

    async def run() -> T:
        settings = Settings.from_env(service_env(url))
        await init_db(settings)
        try:
            return await work(Runtime.from_settings(settings))
        finally:
            await close_db()

    return asyncio.run(run())


def prepare(url: str, options: Options) -> Plan:
    """Sessions for the dashboards (`per_establishment` of each establishment's employer, as
    many devices) and one of a seeker of each, written straight into the database."""
    return in_database(url, lambda rt: _prepare(rt, options))


async def _prepare(rt: Runtime, options: Options) -> Plan:
    wanted = math.ceil(options.subscribers / options.per_establishment)
    threads: dict[int, tuple[int, int]] = {}
    for thread in (
        await models.MessageThread.all()
        .order_by("-id")
        .values("id", "establishment_id", "seeker_id")
    ):
        threads[thread["establishment_id"]] = (thread["id"], thread["seeker_id"])
    employers: dict[int, int] = {}
    for user in (
        await models.User.filter(
            portal=Portal.EMPLOYER, is_active=True, establishment_id__in=list(threads)
        )
        .order_by("-id")
        .values("id", "establishment_id")
    ):
        employers[user["establishment_id"]] = user["id"]
    chosen = sorted(set(threads) & set(employers))[:wanted]
    if len(chosen) < wanted:
        raise SystemExit(
            f"{options.subscribers} dashboards need {wanted} establishments with an employer "
            f"and a message thread; the data has {len(chosen)}"
        )
    results: dict[int, dict[int, str]] = {e: {} for e in chosen}
    for row in (
        await models.Application.filter(
            establishment_id__in=chosen,
            status__in=[ApplicationStatus.HIRED, ApplicationStatus.REJECTED],
            posting__status=PostingStatus.ACTIVE,
        )
        .exclude(posting__category=PostingCategory.GRADUATE)
        .values("id", "establishment_id", "status")
    ):
        results[row["establishment_id"]][row["id"]] = str(row["status"])

    now = rt.clock.now()
    expires = now + dt.timedelta(minutes=rt.settings.session_ttl_minutes)
    sessions: list[models.Session] = []

    def session_of(user_id: int) -> str:
        token = new_token()
        sessions.append(
            models.Session(
                user_id=user_id,
                token_hash=rt.secret_hash(SESSION_PURPOSE, token),
                created_at=now,
                expires_at=expires,
                last_seen_at=now,
            )
        )
        return token

    establishments = []
    left = options.subscribers
    for establishment_id in chosen:
        mine = min(options.per_establishment, left)
        left -= mine
        thread_id, seeker_id = threads[establishment_id]
        establishments.append(
            Establishment(
                id=establishment_id,
                employer_tokens=[session_of(employers[establishment_id]) for _ in range(mine)],
                seeker_token=session_of(seeker_id),
                thread_id=relay.to_base64("MessageThread", thread_id),
                results=results[establishment_id],
            )
        )
    await models.Session.bulk_create(sessions, batch_size=500)
    return Plan(establishments)


async def newest_cursor(rt: Runtime) -> str:
    """The cursor of the newest stored event of any audience: the dashboards start after it,
    so they miss nothing and replay nothing."""
    newest = await models.Event.all().order_by("-id").first()
    return event_cursor(newest.id if newest else 0)


def documents() -> dict[str, str]:
    """The dashboard's subscription documents, from the trusted documents its build wrote."""
    texts = json.loads(DOCUMENTS.read_text(encoding="utf-8")).values()
    return {
        name: next(t for t in texts if t.startswith(f"subscription {operation}("))
        for name, operation in SUBSCRIPTIONS.items()
    }


# --- Client processes ---------------------------------------------------------------------------


class Clients:
    """Client processes (`bench.fanout_client`), each holding a share of the dashboards."""

    def __init__(self, processes: list[asyncio.subprocess.Process]) -> None:
        self.processes = processes

    @classmethod
    async def start(
        cls,
        dashboards: Sequence[tuple[int, str, str]],
        *,
        after: str,
        sockets_per_client: int,
        compression: bool,
        subscriptions: dict[str, str] | None = None,
    ) -> tuple[Clients, dict[str, Any]]:
        """Processes for `dashboards` (index, server URL, token), all open and subscribed
        (to the dashboard's `documents()` unless `subscriptions` are given); with what they
        said of it: ready, failed (index, why), seconds."""
        clients = cls([])
        spec = {
            "after": after,
            "documents": documents() if subscriptions is None else subscriptions,
            "compression": compression,
        }
        try:
            for start in range(0, len(dashboards), sockets_per_client):
                process = await asyncio.create_subprocess_exec(
                    *(sys.executable, "-m", "bench.fanout_client"),
                    stdin=asyncio.subprocess.PIPE,
                    stdout=asyncio.subprocess.PIPE,
                    cwd=ROOT,
                    limit=1 << 28,  # the last line holds every frame read
                )
                clients.processes.append(process)
                share = list(dashboards[start : start + sockets_per_client])
                await _tell(process, {**spec, "dashboards": share})
            said = await asyncio.gather(*(_hear(p) for p in clients.processes))
        except BaseException:
            clients.kill()
            raise
        return clients, {
            "ready": sum(s["ready"] for s in said),
            "failed": [f for s in said for f in s["failed"]],
            "seconds": max(s["seconds"] for s in said),
        }

    async def frames(self) -> int:
        for process in self.processes:
            await _tell(process, "count")
        said = await asyncio.gather(*(_hear(p) for p in self.processes))
        return sum(s["frames"] for s in said)

    async def stop(self) -> dict[str, Any]:
        """Close every socket; every frame read, as (dashboard, key, received, server time),
        the errors and how many sockets the server closed."""
        for process in self.processes:
            await _tell(process, "stop")
        said = await asyncio.gather(*(_hear(p) for p in self.processes))
        for process in self.processes:
            await process.wait()
        return {
            "arrivals": [a for s in said for a in s["arrivals"]],
            "errors": [e for s in said for e in s["errors"]],
            "closed": sum(s["closed"] for s in said),
        }

    def kill(self) -> None:
        for process in self.processes:
            if process.returncode is None:
                process.kill()


async def _tell(process: asyncio.subprocess.Process, value: Any) -> None:
    assert process.stdin is not None
    process.stdin.write(orjson.dumps(value) + b"\n")
    await process.stdin.drain()


async def _hear(process: asyncio.subprocess.Process) -> Any:
    assert process.stdout is not None
    line = await process.stdout.readline()
    if not line:
        raise RuntimeError(f"client process {process.pid} ended (exit {await process.wait()})")
    return orjson.loads(line)


# --- The driver -------------------------------------------------------------------------------


@dataclass
class Sent:
    """One event the driver made."""

    rate: float
    key: str
    """What the frame will carry: `m:<body>` or `s:<application ID>:<status>`."""
    establishment: Establishment
    triggered: float
    answered: float = 0.0
    error: str | None = None


@dataclass
class Driver:
    plan: Plan
    http: list[httpx.AsyncClient]
    options: Options
    rng: random.Random
    tag: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    sent: list[Sent] = field(default_factory=list)
    moved: set[int] = field(default_factory=set)
    """Applications moved in this setup: each moves once, so its key is unique."""

    async def run(self, rate: float, seconds: float, tag: float | None = None) -> float | None:
        """`rate` events per second for `seconds`, on schedule, each marked with `tag` (by
        default the rate); until the answers are all in.

        Stops early once the server is `SATURATED_SECONDS` behind (more than that many
        seconds' events unanswered): it cannot take this rate, and a longer backlog would only
        take longer to drain. Returns when it stopped then, else None."""
        loop = asyncio.get_running_loop()
        start = loop.time()
        tasks: list[asyncio.Task[None]] = []
        stopped = None
        for n in range(round(rate * seconds)):
            delay = start + n / rate - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            behind = sum(not t.done() for t in tasks)
            if behind > max(rate * SATURATED_SECONDS, SATURATED_BACKLOG):
                stopped = round(loop.time() - start, 2)
                break
            tasks.append(asyncio.create_task(self._send(rate if tag is None else tag)))
        await asyncio.gather(*tasks)
        return stopped

    async def _send(self, rate: float) -> None:
        number = len(self.sent)
        establishment = self.rng.choice(self.plan.establishments)
        application = None
        if self.rng.random() < self.options.status_share:
            application = next((a for a in establishment.results if a not in self.moved), None)
        if application is None:
            body = f"ファンアウト {self.tag} #{number}"
            key = f"m:{body}"
            token = establishment.seeker_token
            request = {
                "query": SEND,
                "variables": {"input": {"threadId": establishment.thread_id, "body": body}},
            }
        else:
            self.moved.add(application)
            status = CORRECTED[establishment.results[application]]
            global_id = relay.to_base64("Application", application)
            key = f"s:{global_id}:{status}"
            token = establishment.employer_tokens[0]
            request = {
                "query": STATUS_UPDATE,
                "variables": {"input": {"applicationId": global_id, "status": status}},
            }
        client = self.http[number % len(self.http)]
        sent = Sent(rate=rate, key=key, establishment=establishment, triggered=time.time())
        self.sent.append(sent)
        try:
            response = await client.post(
                "/graphql",
                content=orjson.dumps(request),
                headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
            )
            answer = response.json()
            payload = (answer.get("data") or {}).values()
            errors = answer.get("errors") or [e for p in payload for e in p["errors"]]
            if errors:
                sent.error = str(errors)[:300]
            elif application is not None:
                establishment.results[application] = status
        except (httpx.HTTPError, ValueError) as exc:  # ValueError: an answer not JSON
            sent.error = repr(exc)
        sent.answered = time.time()


# --- One measurement ------------------------------------------------------------------------


def measure(server_urls: list[str], url: str, plan: Plan, options: Options) -> dict[str, Any]:
    """The dashboards spread evenly over `server_urls`, every rate in turn; the mutations too."""
    from bench.__main__ import server_pids  # bench.__main__ imports this module

    after = in_database(url, newest_cursor)
    servers = server_pids("bench.serve:real")
    assert len(servers) == len(server_urls), f"server processes {servers} for {server_urls}"
    return asyncio.run(_measure(server_urls, servers, after, plan, options))


async def _measure(
    server_urls: list[str], servers: list[int], after: str, plan: Plan, options: Options
) -> dict[str, Any]:
    from bench.__main__ import cpu_seconds  # bench.__main__ imports this module

    loadavg = [_loadavg()]
    dashboards = plan.dashboards()
    indexed = [
        (i, server_urls[i % len(server_urls)], token) for i, (_, token) in enumerate(dashboards)
    ]
    clients, opened = await Clients.start(
        indexed,
        after=after,
        sockets_per_client=options.sockets_per_client,
        compression=options.compression,
    )
    failed = {index for index, _ in opened["failed"]}
    listening = Counter(e.id for i, (e, _) in enumerate(dashboards) if i not in failed)
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    http = [httpx.AsyncClient(base_url=u, timeout=120, limits=limits) for u in server_urls]
    driver = Driver(plan, http, options, random.Random(options.seed))  # noqa: S311 - not secrets
    drains: dict[float, float] = {}
    saturated: dict[float, float] = {}
    cpu: dict[float, tuple[float, float]] = {}
    """Per rate, the servers' CPU seconds from its first event until its frames were in, and
    the wall-clock seconds of the same."""
    try:
        await asyncio.sleep(options.settle_seconds)
        idle_cpu, idle_wall = cpu_seconds(servers), time.monotonic()
        await asyncio.sleep(options.idle_seconds)
        idle_cores = (cpu_seconds(servers) - idle_cpu) / (time.monotonic() - idle_wall)
        baseline = await clients.frames()
        await driver.run(*WARM_UP, tag=WARMING_UP)
        await _drain(clients, baseline + _expected(driver.sent, listening), options.drain_seconds)
        for rate in options.rates:
            if saturated:
                break
            started_cpu, started = cpu_seconds(servers), time.monotonic()
            stopped = await driver.run(rate, options.seconds)
            if stopped is not None:
                saturated[rate] = stopped
            expected = baseline + _expected(driver.sent, listening)
            drains[rate] = await _drain(clients, expected, options.drain_seconds)
            cpu[rate] = (cpu_seconds(servers) - started_cpu, time.monotonic() - started)
            loadavg.append(_loadavg())
        read = await clients.stop()
    finally:
        clients.kill()
        await asyncio.gather(*(h.aclose() for h in http))
    found = _summary(driver.sent, read["arrivals"], listening, list(drains))
    for step in found["rates"]:
        step["drain_seconds"] = drains[step["rate"]]
        step["saturated_after_seconds"] = saturated.get(step["rate"])
        used, wall = cpu[step["rate"]]
        step["server_cpu_cores"] = round(used / wall, 3)
        # Net of what the open sockets cost without events meanwhile.
        events = step["events"] - step["failed_mutations"]
        net = (used - idle_cores * wall) / events * 1000 if events else None
        step["server_cpu_ms_per_event"] = None if net is None else round(net, 2)
    found["skipped_rates"] = [r for r in options.rates if r not in drains]
    found |= {
        "servers": len(server_urls),
        "dashboards": len(dashboards),
        "establishments": len(plan.establishments),
        "client_processes": len(clients.processes),
        "open": {"ready": opened["ready"], "failed": len(failed), "seconds": opened["seconds"]},
        "idle_server_cpu_cores": round(idle_cores, 3),
        "closed_by_server": read["closed"],
        "errors": read["errors"][:10] + [s.error for s in driver.sent if s.error][:10],
        "loadavg": loadavg,
    }
    return found


def _expected(sent: list[Sent], listening: Counter[int]) -> int:
    """The frames the events sent should make: one per open dashboard of its establishment."""
    return sum(listening[s.establishment.id] for s in sent if s.error is None)


async def _drain(clients: Clients, expected: int, within: float) -> float:
    """Until the clients read `expected` frames in all (or `within` seconds passed); how long
    it took."""
    started = time.monotonic()
    while time.monotonic() - started < within:
        if await clients.frames() >= expected:
            break
        await asyncio.sleep(0.2)
    return round(time.monotonic() - started, 2)


def _summary(
    sent: list[Sent],
    arrivals: list[list[Any]],
    listening: Counter[int],
    rates: Sequence[float],
) -> dict[str, Any]:
    by_key = {s.key: s for s in sent}
    seen: set[tuple[int, str]] = set()
    unexpected = duplicates = 0
    trigger: dict[float, list[float]] = {rate: [] for rate in rates}
    server: dict[float, list[float]] = {rate: [] for rate in rates}
    by_kind: dict[tuple[float, str], list[float]] = {}
    for index, key, received, server_time in arrivals:
        event = by_key.get(key)
        if event is None:
            unexpected += 1
            continue
        if event.rate not in trigger:  # warming up
            continue
        if (index, key) in seen:
            duplicates += 1
            continue
        seen.add((index, key))
        delay = (received - event.triggered) * 1000
        trigger[event.rate].append(delay)
        by_kind.setdefault((event.rate, key[0]), []).append(delay)
        if server_time:
            made = dt.datetime.fromisoformat(server_time).timestamp()
            server[event.rate].append((received - made) * 1000)
    steps: list[dict[str, Any]] = []
    for rate in rates:
        mine = [s for s in sent if s.rate == rate]
        ok = [s for s in mine if s.error is None]
        expected = sum(listening[s.establishment.id] for s in ok)
        mutation = [(s.answered - s.triggered) * 1000 for s in ok]
        span = max((s.answered for s in ok), default=0) - min((s.triggered for s in ok), default=0)
        steps.append(
            {
                "rate": rate,
                "events": len(mine),
                "messages": sum(s.key.startswith("m:") for s in ok),
                "status_changes": sum(s.key.startswith("s:") for s in ok),
                "failed_mutations": len(mine) - len(ok),
                "answered_per_second": round(len(ok) / span, 1) if span > 0 else None,
                "mutation_p50_ms": _ms(percentile(mutation, 50)),
                "mutation_p99_ms": _ms(percentile(mutation, 99)),
                "expected": expected,
                "received": len(trigger[rate]),
                "missed": expected - len(trigger[rate]),
                **_latency("", trigger[rate]),
                **_latency("server_", server[rate]),
                "messages_p99_ms": _ms(percentile(by_kind.get((rate, "m"), []), 99)),
                "status_changes_p99_ms": _ms(percentile(by_kind.get((rate, "s"), []), 99)),
            }
        )
    over = [s["rate"] for s in steps if s["p99_ms"] > LATENCY_TARGET_MS]
    return {
        "rates": steps,
        "p99_over_50ms_from_rate": over[0] if over else None,
        "unexpected_frames": unexpected,
        "duplicate_frames": duplicates,
    }


def _latency(prefix: str, delays: list[float]) -> dict[str, float]:
    return {
        f"{prefix}p50_ms": _ms(percentile(delays, 50)),
        f"{prefix}p99_ms": _ms(percentile(delays, 99)),
        f"{prefix}max_ms": _ms(max(delays, default=0.0)),
    }


def _ms(value: float) -> float:
    return round(value, 1)


def _loadavg() -> list[str]:
    return Path("/proc/loadavg").read_text(encoding="utf-8").split()[:3]


# --- Both setups ------------------------------------------------------------------------------

SETUPS = ("one_process", "two_processes_redis")


def run(url: str, options: Options, setups: Sequence[str] = SETUPS) -> dict[str, Any]:
    """One server process, then two sharing a throw-away Redis (when redis-server is
    installed), on the database at `url`."""
    from bench.__main__ import redis_server, service_env, uvicorn

    plan = prepare(url, options)
    found: dict[str, Any] = {"options": dataclasses.asdict(options)}
    if "one_process" in setups:
        with uvicorn("real", service_env(url)) as one:
            found["one_process"] = measure([one], url, plan, options)
        print_setup("one process", found["one_process"])
    if "two_processes_redis" in setups:
        with redis_server() as redis_url:
            if redis_url is None:
                found["two_processes_redis"] = "redis-server not installed"
            else:
                env = service_env(url, REDIS_URL=redis_url)
                with uvicorn("real", env) as a, uvicorn("real", env) as b:
                    found["two_processes_redis"] = measure([a, b], url, plan, options)
                print_setup("two processes through Redis", found["two_processes_redis"])
    return found


def print_setup(name: str, found: dict[str, Any]) -> None:
    opened = found["open"]
    print(
        f"  fan-out, {name}: {found['dashboards']} dashboards of {found['establishments']} "
        f"establishments in {found['client_processes']} client processes, open in "
        f"{opened['seconds']} s ({opened['failed']} failed); load {found['loadavg']}; "
        f"server CPU {found['idle_server_cpu_cores']} cores with no event"
    )
    for step in found["rates"]:
        print(
            f"    {step['rate']:5.0f} ev/s: delivery p50 {step['p50_ms']:7.1f} ms  "
            f"p99 {step['p99_ms']:7.1f} ms  max {step['max_ms']:7.1f} ms  "
            f"(server p50 {step['server_p50_ms']:.1f}, p99 {step['server_p99_ms']:.1f})  "
            f"{step['received']}/{step['expected']} received, {step['missed']} missed; "
            f"mutation p50 {step['mutation_p50_ms']:.1f} ms, {step['answered_per_second']} ans/s; "
            f"server CPU {step['server_cpu_cores']} cores, "
            f"{step['server_cpu_ms_per_event']} ms per event beyond idle"
            + (f", {step['failed_mutations']} failed" if step["failed_mutations"] else "")
            + (
                f"; SATURATED after {step['saturated_after_seconds']} s"
                if step["saturated_after_seconds"] is not None
                else ""
            ),
            flush=True,
        )
    if found["skipped_rates"]:
        print(f"    not run, the server saturated at a lower rate: {found['skipped_rates']}")
    print(f"    p99 passes {LATENCY_TARGET_MS:.0f} ms at: {found['p99_over_50ms_from_rate']}")


def main(argv: list[str] | None = None) -> int:
    from bench.__main__ import RESULTS, database_url, ensure_data, machine  # imports us

    defaults = Options()
    parser = argparse.ArgumentParser(prog="python -m bench.fanout", description=__doc__)
    parser.add_argument("--preset", default="medium")
    parser.add_argument("--database-url", help="default: the preset's SQLite under bench/var/")
    parser.add_argument("--subscribers", type=int, default=defaults.subscribers)
    parser.add_argument("--per-establishment", type=int, default=defaults.per_establishment)
    parser.add_argument(
        "--rates",
        default=",".join(f"{r:g}" for r in defaults.rates),
        help="events/s, comma-separated",
    )
    parser.add_argument("--seconds", type=float, default=defaults.seconds, help="per rate")
    parser.add_argument("--sockets-per-client", type=int, default=defaults.sockets_per_client)
    parser.add_argument("--status-share", type=float, default=defaults.status_share)
    parser.add_argument("--settle-seconds", type=float, default=defaults.settle_seconds)
    parser.add_argument("--idle-seconds", type=float, default=defaults.idle_seconds)
    parser.add_argument("--no-compression", action="store_true", help="no permessage-deflate")
    parser.add_argument("--setups", default=",".join(SETUPS))
    args = parser.parse_args(argv)
    options = Options(
        subscribers=args.subscribers,
        per_establishment=args.per_establishment,
        rates=tuple(float(r) for r in args.rates.split(",")),
        seconds=args.seconds,
        sockets_per_client=args.sockets_per_client,
        status_share=args.status_share,
        settle_seconds=args.settle_seconds,
        idle_seconds=args.idle_seconds,
        compression=not args.no_compression,
    )
    url = database_url(args.preset, args.database_url)
    report: dict[str, Any] = {"machine": machine(), "preset": args.preset}
    report["data"] = ensure_data(args.preset, url, False)["counts"]
    report["subscriptions"] = run(url, options, args.setups.split(","))
    report["machine"]["loadavg_at_end"] = _loadavg()
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    out = RESULTS / f"{stamp}-fanout-{args.preset}.json"
    out.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"results: {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
