"""Compiled execution against graphql-core's, in process: `python -m bench.execution`.

The page scenarios of `python -m bench` (`employerHome`, postings (20), applications (50),
messages (50)) executed by the service's schema in this process, as `bench.forms` executes its
pages (each execution with its own context and dataloaders, the answer encoded with orjson; no
HTTP, no session lookup), once with `EXECUTION=graphql-core` and once with `EXECUTION=compiled`,
alternating round by round so that a drift of the machine hits both. Reported per scenario: the
median over the rounds of the wall and CPU time per execution for each, and their ratio.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import gc
import json
import statistics
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from app.db import close_db, init_db
from app.main import tune_garbage_collection
from app.resolvers.accounts.sessions import viewer_for_token
from app.runtime import Runtime
from app.schema import build_schema
from app.settings import ExecutionMode, Settings
from bench import data
from bench.forms import Service, Timing, summary, timed
from bench.load import APPLICATIONS, HOME, MESSAGES, POSTINGS

MODES: tuple[ExecutionMode, ...] = ("graphql-core", "compiled")


def scenarios(
    service: Service, thread_id: str
) -> dict[str, Callable[[], Awaitable[dict[str, Any]]]]:
    pages = {
        "employerHome": (HOME, {}),
        "postings (20)": (POSTINGS, {"first": 20}),
        "applications (50)": (APPLICATIONS, {"first": 50}),
        "messages (50)": (MESSAGES, {"thread": thread_id, "first": 50}),
    }
    return {
        name: (lambda query=query, variables=variables: service.execute(query, variables))
        for name, (query, variables) in pages.items()
    }


async def run(settings: Settings, thread_id: str, *, seconds: float, rounds: int) -> dict[str, Any]:
    await init_db(settings)
    try:
        rt = Runtime.from_settings(settings)
        viewer = await viewer_for_token(rt, await data.open_session(rt))
        services = {
            mode: Service(build_schema(dataclasses.replace(settings, execution=mode)), rt, viewer)
            for mode in MODES
        }
        by_mode = {mode: scenarios(service, thread_id) for mode, service in services.items()}
        answers = {mode: {n: await s() for n, s in by_mode[mode].items()} for mode in MODES}
        if answers["compiled"] != answers["graphql-core"]:
            raise AssertionError("the two executions answered differently")
        tune_garbage_collection()
        found: dict[str, dict[str, list[Timing]]] = {
            name: {mode: [] for mode in MODES} for name in by_mode["compiled"]
        }
        for _ in range(rounds):
            for name in found:
                for mode in MODES:
                    found[name][mode].append(await timed(by_mode[mode][name], seconds))
                    gc.collect()
    finally:
        await close_db()
    report: dict[str, Any] = {}
    for name, timings in found.items():
        entry = {mode: summary(timings[mode]) for mode in MODES}
        for figure in ("p50_us", "cpu_us"):
            ratios = [
                new.as_dict()[figure] / old.as_dict()[figure]
                for old, new in zip(timings["graphql-core"], timings["compiled"], strict=True)
            ]
            entry[f"compiled_to_graphql_core_{figure}"] = round(statistics.median(ratios), 3)
        report[name] = entry
    return report


def print_table(results: dict[str, Any]) -> None:
    print(f"{'scenario':20} {'graphql-core':>14} {'compiled':>10} {'ratio':>7}  (p50 µs; CPU µs)")
    for name, entry in results.items():
        old, new = entry["graphql-core"], entry["compiled"]
        print(
            f"{name:20} {old['p50_us']['median']:>14.0f} {new['p50_us']['median']:>10.0f}"
            f" {entry['compiled_to_graphql_core_p50_us']:>7.2f}"
            f"  CPU {old['cpu_us']['median']:.0f} → {new['cpu_us']['median']:.0f}"
            f" ({entry['compiled_to_graphql_core_cpu_us']:.2f})"
        )


def main(argv: list[str] | None = None) -> int:
    import asyncio

    from bench.__main__ import (
        RESULTS,
        credentials,
        database_url,
        ensure_data,
        machine,
        service_env,
    )

    parser = argparse.ArgumentParser(prog="python -m bench.execution", description=__doc__)
    parser.add_argument("--preset", default="medium")
    parser.add_argument("--database-url", help="default: SQLite under bench/var/")
    parser.add_argument("--seconds", type=float, default=2.0, help="per scenario, mode and round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--no-write", action="store_true", help="no file in bench/results/")
    args = parser.parse_args(argv)
    url = database_url(args.preset, args.database_url)
    report: dict[str, Any] = {
        "machine": machine(),
        "preset": args.preset,
        "args": {k: str(v) for k, v in vars(args).items()},
        "data": ensure_data(args.preset, url, False)["counts"],
    }
    settings = Settings.from_env(service_env(url))
    thread_id = credentials(url).thread_id
    report["results"] = asyncio.run(
        run(settings, thread_id, seconds=args.seconds, rounds=args.rounds)
    )
    report["machine"]["loadavg_at_end"] = Path("/proc/loadavg").read_text().split()[:3]
    print_table(report["results"])
    if not args.no_write:
        RESULTS.mkdir(parents=True, exist_ok=True)
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
        out = RESULTS / f"{stamp}-execution.json"
        out.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        print(f"results: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
