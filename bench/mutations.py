"""The fan-out's two mutations in process: `python -m bench.mutations`.

What one event of `bench.fanout` costs before any delivery: its mutation sent through the
whole application (`app.main.create_app`: the middlewares, the session lookup, Strawberry,
Tortoise, the commit, the mail worker), by httpx's ASGI transport in this process, one at a
time; no uvicorn and no subscriber.

- `message`: a seeker writes into a thread of one of the establishments (`messageSend`). Every
  round first marks the messages of earlier runs read, so a round's first message into each
  thread is its one unread message and mails the establishment (the outbox worker runs in this
  process, as it does in the server), as a new message does in the fan-out;
- `status`: the employer corrects an applicant's result, 採用 ↔ 不採用
  (`applicationStatusUpdate`).

Per mutation: the process's CPU time (every thread: SQLite's and the mail's too; the client's
httpx is in it too, the same in every tree) and the SQL
statements it sent, on average (Tortoise's query log, over `COUNTED` mutations of each kind
before the timed ones; the mail worker's statements included).
The machine drifts, so each round runs both kinds, and `--against TREE` runs every round in
another checkout too (a worktree of an earlier commit: `git worktree add /tmp/base <commit>`),
alternating round by round, each round in a process of its own, and reports the ratios here /
there of the medians and of each round against the round there before it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from tortoise import connections

from app.main import create_app
from app.runtime import Runtime
from app.settings import Settings
from bench.fanout import Driver, Options, Plan, in_database, prepare

PRESET = "medium"
KINDS = ("message", "status")
ROUNDS = 5
PER_ROUND = 100
"""Mutations of each kind per round."""
WARM_UP = 20
COUNTED = 20
"""Mutations of each kind whose statements are counted, before the timed ones (the log
records cost time)."""


class _Statements(logging.Handler):
    """Counts the statements in Tortoise's query log while switched on."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.count = 0
        self.logger = logging.getLogger("tortoise.db_client")

    def __enter__(self) -> _Statements:
        self.count = 0
        self.logger.addHandler(self)
        self.logger.setLevel(logging.DEBUG)
        return self

    def __exit__(self, *exc: object) -> None:
        self.logger.removeHandler(self)
        self.logger.setLevel(logging.WARNING)

    def emit(self, record: logging.LogRecord) -> None:
        query = record.args[0] if isinstance(record.args, tuple) and record.args else record.msg
        if str(query).lstrip()[:6].upper() in ("SELECT", "INSERT", "UPDATE", "DELETE"):
            self.count += 1


async def _mark_earlier_messages_read(rt: Runtime) -> None:
    await connections.get("default").execute_script(
        "UPDATE message SET read_at = created_at"
        " WHERE read_at IS NULL AND body LIKE 'ファンアウト%'"
    )


async def _round(settings: Settings, plan: Plan, per_round: int, seed: int) -> dict[str, Any]:
    app = create_app(settings)
    found: dict[str, Any] = {}
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:
            rng = random.Random(seed)  # noqa: S311 - not secrets
            drivers = {
                kind: Driver(plan, [http], Options(status_share=float(kind == "status")), rng)
                for kind in KINDS
            }
            for _ in range(WARM_UP):
                for driver in drivers.values():
                    await driver._send(0.0)
            for kind, driver in drivers.items():
                with _Statements() as statements:
                    for _ in range(COUNTED):
                        await driver._send(0.0)
                    await asyncio.sleep(0.05)  # the mail worker's round, if woken
                found[f"{kind}_statements"] = round(statements.count / COUNTED, 2)
            for kind, driver in drivers.items():
                started = time.process_time()
                for _ in range(per_round):
                    await driver._send(0.0)
                await asyncio.sleep(0.05)
                found[f"{kind}_cpu_ms"] = round(
                    (time.process_time() - started) / per_round * 1000, 3
                )
            found["failed"] = sum(s.error is not None for d in drivers.values() for s in d.sent)
    return found


def _round_in(root: Path, per_round: int, seed: int) -> dict[str, Any]:
    """One round, by this file run as a script with `root`'s checkout first on the path."""
    from bench.__main__ import in_tree

    return in_tree(root, __file__, "--child", "--per-round", str(per_round), "--seed", str(seed))


def _summary(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    summary: dict[str, Any] = {"rounds": rounds}
    for kind in KINDS:
        values = [r[f"{kind}_cpu_ms"] for r in rounds]
        summary[f"{kind}_cpu_ms"] = {
            "median": statistics.median(values),
            "min": min(values),
            "max": max(values),
        }
        summary[f"{kind}_statements"] = rounds[0][f"{kind}_statements"]
    return summary


def main(argv: list[str] | None = None) -> int:
    from bench.__main__ import database_url, ensure_data, machine, save_report, service_env

    parser = argparse.ArgumentParser(prog="python -m bench.mutations", description=__doc__)
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    parser.add_argument("--per-round", type=int, default=PER_ROUND)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--against", type=Path, help="another checkout to alternate with")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    url = database_url(PRESET, None)
    data = ensure_data(PRESET, url, False)["counts"]
    if args.child:
        env = service_env(url)
        os.environ.update(env)
        in_database(url, _mark_earlier_messages_read)
        plan = prepare(url, Options(subscribers=args.per_round * 2, per_establishment=1))
        found = asyncio.run(_round(Settings.from_env(env), plan, args.per_round, args.seed))
        print(json.dumps(found))
        return 0

    here = Path(__file__).resolve().parent.parent
    sides = [("here", here)] + ([("there", args.against.resolve())] if args.against else [])
    rounds: dict[str, list[dict[str, Any]]] = {side: [] for side, _ in sides}
    for n in range(args.rounds):
        for side, root in reversed(sides):  # there, then here: each here follows its there
            found = _round_in(root, args.per_round, args.seed + n)
            rounds[side].append(found)
            print(
                f"  round {n + 1} {side:<5} "
                + "  ".join(
                    f"{k}: {found[f'{k}_cpu_ms']:.2f} ms CPU, {found[f'{k}_statements']:.1f} SQL"
                    for k in KINDS
                )
                + (f"  ({found['failed']} failed)" if found["failed"] else ""),
                flush=True,
            )
    report: dict[str, Any] = {
        "machine": machine(),
        "preset": PRESET,
        "args": {k: str(v) for k, v in vars(args).items()},
        "data": data,
        "mutations": {side: _summary(found) for side, found in rounds.items()},
    }
    if args.against:
        ratios: dict[str, Any] = {}
        for kind in KINDS:
            key = f"{kind}_cpu_ms"
            paired = [h[key] / t[key] for h, t in zip(rounds["here"], rounds["there"], strict=True)]
            ratios[kind] = {
                "of_medians": round(
                    report["mutations"]["here"][key]["median"]
                    / report["mutations"]["there"][key]["median"],
                    3,
                ),
                "paired": round(statistics.median(paired), 3),
                "by_round": [round(r, 3) for r in paired],
            }
        report["against"] = {"tree": str(args.against), "ratios": ratios}
        for kind, ratio in ratios.items():
            print(f"  {kind}: here/there {ratio['of_medians']:.2f}, paired {ratio['paired']:.2f}")
    report["machine"]["loadavg_at_end"] = Path("/proc/loadavg").read_text().split()[:3]
    print(f"results: {save_report(report, 'mutations')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
