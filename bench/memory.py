"""The memory of open dashboards: `python -m bench.memory`, also `python -m bench --parts
memory`.

One server process (`uvicorn bench.memory:probed --factory`: the service with a route that
reports its own memory), then idle dashboards opened 1,000 at a time by client processes of
their own (`bench.fanout_client`: one WebSocket each with the dashboard's `messageReceived` and
`applicationStatusChanged`). After each step and a settle time the server collects garbage and
reports its resident memory (VmRSS, and Pss from smaps_rollup), the gc-tracked objects by type
and its asyncio tasks; the growth is given per 1,000 dashboards.

With `--trace` the server runs under tracemalloc (its RSS is then no measure: tracemalloc holds
a traceback per block) and the report adds what grew between the first and the last step: by
the line outside the standard library that allocated it (`by_caller`: a queue is charged to
whoever made it, not to asyncio), summed by package, and as tracemalloc groups it itself (by
line, by file). Where the memory of a dashboard goes.

`--no-compression` connects without permessage-deflate (as the fan-out's `--no-compression`),
`--ws` picks uvicorn's WebSocket implementation. `--server strawberry` or `starlette` measures
the same sockets held by a bare Strawberry app or a bare Starlette endpoint instead of the
service (`bench.floor`): what the stack itself costs per dashboard.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import gc
import os
import subprocess
import sys
import sysconfig
import time
import tracemalloc
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bench import fanout, floor

ROOT = Path(__file__).resolve().parent.parent
TRACE_ENV = "BENCH_TRACEMALLOC"
"""Set to a number of frames: the probed server traces its allocations with that many."""
SERVER_ENV = "BENCH_MEMORY_SERVER"
"""`service` (the default) or a floor of `bench.floor.FLOORS`: what the probed server runs."""
SERVERS = ("service", *floor.FLOORS)
TARGET_MB_PER_1000 = 30.0


@dataclass(frozen=True)
class Options:
    steps: tuple[int, ...] = (0, 1000, 2000, 3000)
    """Open dashboards at each measurement; each step opens the difference in one process."""
    per_establishment: int = 3
    settle_seconds: float = 5.0
    compression: bool = True
    """Offer permessage-deflate, as browsers do (the server accepts it by default)."""
    trace: bool = False
    ws: str = "auto"
    """uvicorn's WebSocket implementation (`--ws`); `auto` is websockets-sansio."""
    server: str = "service"
    """What holds the sockets: the service, or a floor of `bench.floor`."""


# --- The server's side ------------------------------------------------------------------------

_snapshots: dict[str, tracemalloc.Snapshot] = {}


def probed() -> Starlette:
    """The service (`bench.serve.real`), or the floor `SERVER_ENV` names, with
    `/__bench/memory`: GET collects garbage and returns the process's memory;
    `?snapshot=<name>` keeps a tracemalloc snapshot under that name, `?compare=<old>,<new>`
    returns what grew from one to the other."""
    from bench import serve

    if frames := os.environ.get(TRACE_ENV):
        tracemalloc.start(int(frames))
    server = os.environ.get(SERVER_ENV, "service")
    app = serve.real() if server == "service" else floor.FLOORS[server]()
    app.router.routes.append(Route("/__bench/memory", _memory, methods=["GET"]))
    return app


async def _memory(request: Request) -> Response:
    if compare := request.query_params.get("compare"):
        old, new = compare.split(",")
        return JSONResponse(_growth(_snapshots[old], _snapshots[new]))
    gc.collect()
    found: dict[str, Any] = {
        **_proc_memory(),
        "tasks": len(asyncio.all_tasks()),
        "objects": dict(Counter(type(o).__qualname__ for o in gc.get_objects()).most_common(60)),
    }
    if tracemalloc.is_tracing():
        found["traced_kb"] = tracemalloc.get_traced_memory()[0] // 1024
        if name := request.query_params.get("snapshot"):
            _snapshots[name] = tracemalloc.take_snapshot().filter_traces(
                [tracemalloc.Filter(False, tracemalloc.__file__)]
            )
    return JSONResponse(found)


def _proc_memory() -> dict[str, int]:
    """VmRSS and VmHWM of /proc/self/status and Pss of smaps_rollup, in kB."""
    found = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            found[f"{key[2:].lower()}_kb"] = int(value.split()[0])
    for line in Path("/proc/self/smaps_rollup").read_text().splitlines():
        key, _, value = line.partition(":")
        if key == "Pss":
            found["pss_kb"] = int(value.split()[0])
    return found


def _growth(old: tracemalloc.Snapshot, new: tracemalloc.Snapshot) -> dict[str, Any]:
    def top(key: str, count: int) -> list[dict[str, Any]]:
        return [
            {
                "where": str(stat.traceback[0]) if key != "traceback" else stat.traceback.format(),
                "kb": round(stat.size_diff / 1024, 1),
                "blocks": stat.count_diff,
            }
            for stat in new.compare_to(old, key)[:count]
        ]

    by_caller = _by_caller(old, new)
    by_package: Counter[str] = Counter()
    for where, size in by_caller.items():
        by_package[_package(where)] += size
    return {
        "by_package": [
            {"where": where, "kb": round(size / 1024, 1)}
            for where, size in by_package.most_common()
        ],
        "by_caller": [
            {"where": where, "kb": round(size / 1024, 1)}
            for where, size in by_caller.most_common(60)
        ],
        "by_line": top("lineno", 40),
        "by_file": top("filename", 25),
    }


_GENERIC = (sysconfig.get_paths()["stdlib"], "<")
"""Files whose allocations are charged to their caller: the standard library (contextlib,
asyncio, weakref sets) allocates on behalf of whoever called it."""


def _by_caller(old: tracemalloc.Snapshot, new: tracemalloc.Snapshot) -> Counter[str]:
    """The bytes that grew, each block charged to the newest frame of its traceback outside
    the standard library: the library or app line that made it."""

    def charged(snapshot: tracemalloc.Snapshot) -> Counter[str]:
        size: Counter[str] = Counter()
        for stat in snapshot.statistics("traceback"):  # one per distinct traceback
            frames = list(stat.traceback)  # oldest first
            caller = next(
                (f for f in reversed(frames) if not f.filename.startswith(_GENERIC)), frames[-1]
            )
            size[f"{caller.filename}:{caller.lineno}"] += stat.size
        return size

    grown = charged(new)
    grown.subtract(charged(old))
    return grown


def _package(where: str) -> str:
    """`app/<module>` or the distribution under site-packages of a `file:line`."""
    path = Path(where.rpartition(":")[0])
    parts = path.parts
    if "site-packages" in parts:
        return parts[parts.index("site-packages") + 1]
    if path.is_relative_to(ROOT / "app"):
        return str(path.relative_to(ROOT).with_suffix(""))
    return "other (the event loop, the standard library alone)"


# --- The driver's side ------------------------------------------------------------------------


@contextmanager
def probed_server(env: dict[str, str], ws: str) -> Iterator[str]:
    """`uvicorn bench.memory:probed --factory --ws <ws>`, one process, the other flags as
    `bench.__main__.uvicorn` passes them; yields its URL."""
    from bench.__main__ import VAR, free_port  # bench.__main__ imports this module

    port = free_port()
    path = VAR / f"uvicorn-memory-{port}.log"
    with path.open("wb") as log:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            [
                *(sys.executable, "-m", "uvicorn", "bench.memory:probed", "--factory"),
                *("--host", "127.0.0.1", "--port", str(port), "--no-access-log"),
                *("--ws", ws, "--ws-per-message-deflate", "false"),
            ],
            env=env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 60
            while b"Uvicorn running on" not in path.read_bytes():  # logged once it listens
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the probed server did not start; see {path}")
                time.sleep(0.1)
            yield f"http://127.0.0.1:{port}"
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def run(url: str, options: Options) -> dict[str, Any]:
    """The memory of the server at each step, and its growth per 1,000 dashboards."""
    from bench.__main__ import service_env  # bench.__main__ imports this module

    plan = fanout.prepare(
        url,
        fanout.Options(subscribers=max(options.steps), per_establishment=options.per_establishment),
    )
    after = fanout.in_database(url, fanout.newest_cursor)
    env = service_env(url, **({TRACE_ENV: "12"} if options.trace else {}))
    env[SERVER_ENV] = options.server
    with probed_server(env, options.ws) as server:
        found = asyncio.run(_steps(server, plan, after, options))
    found["options"] = dataclasses.asdict(options)
    return found


async def _steps(server: str, plan: fanout.Plan, after: str, options: Options) -> dict[str, Any]:
    dashboards = [(i, server, token) for i, (_, token) in enumerate(plan.dashboards())]
    opened: list[fanout.Clients] = []
    steps: list[dict[str, Any]] = []
    async with httpx.AsyncClient(base_url=server, timeout=120) as http:

        async def probe(name: str) -> dict[str, Any]:
            response = await http.get("/__bench/memory", params={"snapshot": name})
            response.raise_for_status()
            found: dict[str, Any] = response.json()
            return found

        try:
            done = 0
            for count in options.steps:
                failed = 0
                if count > done:
                    clients, said = await fanout.Clients.start(
                        dashboards[done:count],
                        after=after,
                        sockets_per_client=count - done,
                        compression=options.compression,
                        subscriptions=None
                        if options.server == "service"
                        else floor.FLOOR_DOCUMENTS,
                    )
                    opened.append(clients)
                    failed = len(said["failed"])
                    done = count
                await asyncio.sleep(options.settle_seconds)
                # An idle dashboard reads nothing: a frame here (an error answering a
                # subscribe, a close) means the sockets do not hold what is measured.
                frames = sum([await clients.frames() for clients in opened])
                step = {"dashboards": count, "failed": failed, "frames": frames}
                steps.append({**step, **await probe(str(count))})
                print(f"  memory: {_line(steps[-1])}", flush=True)
            growth = None
            if options.trace and len(steps) > 1:
                compare = f"{steps[0]['dashboards']},{steps[-1]['dashboards']}"
                response = await http.get(
                    "/__bench/memory", params={"compare": compare}, timeout=900
                )
                growth = response.json()
        finally:
            for clients in opened:
                await clients.stop()
                clients.kill()
    return _summary(steps, growth, options)


def _line(step: dict[str, Any]) -> str:
    return (
        f"{step['dashboards']:5} dashboards: RSS {step['rss_kb'] / 1024:7.1f} MB, "
        f"Pss {step['pss_kb'] / 1024:7.1f} MB, {step['tasks']} tasks"
        + (f", traced {step['traced_kb'] / 1024:.1f} MB" if "traced_kb" in step else "")
        + (f", {step['failed']} failed to open" if step["failed"] else "")
        + (f", {step['frames']} frames read while idle" if step["frames"] else "")
    )


def _summary(
    steps: list[dict[str, Any]], growth: dict[str, Any] | None, options: Options
) -> dict[str, Any]:
    first, last = steps[0], steps[-1]
    thousands = (last["dashboards"] - first["dashboards"]) / 1000

    def per_1000(key: str) -> float | None:
        if not thousands or key not in last:
            return None
        grown: float = (last[key] - first[key]) / 1024 / thousands
        return round(grown, 1)

    objects = Counter(last["objects"])
    objects.subtract(first["objects"])
    found: dict[str, Any] = {
        "steps": [{k: v for k, v in s.items() if k != "objects"} for s in steps],
        "rss_mb_per_1000": per_1000("rss_kb"),
        "pss_mb_per_1000": per_1000("pss_kb"),
        "traced_mb_per_1000": per_1000("traced_kb"),
        "tasks_per_dashboard": round((last["tasks"] - first["tasks"]) / (thousands * 1000), 2)
        if thousands
        else None,
        "objects_per_dashboard": {
            name: round(n / (thousands * 1000), 2)
            for name, n in objects.most_common(25)
            if thousands and n > 0
        },
        "target_mb_per_1000": TARGET_MB_PER_1000,
        "loadavg": Path("/proc/loadavg").read_text(encoding="utf-8").split()[:3],
    }
    if growth is not None and thousands:
        for rows in growth.values():
            for row in rows:
                row["bytes_per_dashboard"] = round(row["kb"] * 1024 / (thousands * 1000))
        found["tracemalloc_growth"] = growth
    return found


def print_summary(found: dict[str, Any]) -> None:
    print(
        f"  memory: {found['rss_mb_per_1000']} MB RSS ({found['pss_mb_per_1000']} MB Pss) per "
        f"1,000 idle dashboards (target < {TARGET_MB_PER_1000:.0f}); "
        f"{found['tasks_per_dashboard']} tasks per dashboard; load {found['loadavg']}"
    )
    print(f"  gc-tracked objects per dashboard: {found['objects_per_dashboard']}")
    growth = found.get("tracemalloc_growth") or {}
    for row in growth.get("by_package", [])[:12] + growth.get("by_caller", [])[:20]:
        print(f"    {row['bytes_per_dashboard']:8} B per dashboard  {row['where']}")


def main(argv: list[str] | None = None) -> int:
    from bench.__main__ import database_url, ensure_data, machine, save_report

    defaults = Options()
    parser = argparse.ArgumentParser(prog="python -m bench.memory", description=__doc__)
    parser.add_argument("--preset", default="medium")
    parser.add_argument("--database-url", help="default: the preset's SQLite under bench/var/")
    parser.add_argument(
        "--steps", default=",".join(map(str, defaults.steps)), help="open dashboards, ascending"
    )
    parser.add_argument("--per-establishment", type=int, default=defaults.per_establishment)
    parser.add_argument("--settle-seconds", type=float, default=defaults.settle_seconds)
    parser.add_argument("--no-compression", action="store_true", help="no permessage-deflate")
    parser.add_argument("--trace", action="store_true", help="tracemalloc in the server")
    parser.add_argument("--ws", default=defaults.ws, help="uvicorn --ws")
    parser.add_argument(
        "--server", choices=SERVERS, default=defaults.server, help="the service or a floor"
    )
    args = parser.parse_args(argv)
    options = Options(
        steps=tuple(int(s) for s in args.steps.split(",")),
        per_establishment=args.per_establishment,
        settle_seconds=args.settle_seconds,
        compression=not args.no_compression,
        trace=args.trace,
        ws=args.ws,
        server=args.server,
    )
    url = database_url(args.preset, args.database_url)
    report: dict[str, Any] = {"machine": machine(), "preset": args.preset}
    report["data"] = ensure_data(args.preset, url, False)["counts"]
    report["memory"] = run(url, options)
    print_summary(report["memory"])
    floor_name = "" if args.server == "service" else f"-{args.server}"
    out = save_report(report, f"memory-{args.preset}{floor_name}")
    print(f"results: {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
