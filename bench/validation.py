"""Validation time against document size, for documents that spread fragments in fragments:
`python -m bench.validation` (also the `validation` part of `python -m bench`).

Fragment Fk spreads F(k-1) ten times, so about 85 bytes per level expand to 2 × 10^k fields:
the shape of issue 12's 561-byte document that held the event loop for 4.5 s. Each document
is answered in process by the service's schema (parse, validation with its limits and, for the
documents it accepts, the execution of their `__typename`s), then validated as the service did
before, with Strawberry's `QueryDepthLimiter` and `MaxAliasesLimiter`, until that takes over
a second (each level takes ten times the one before). Every run sends a new text, so
neither the parser cache nor the validation cache answers.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from graphql import parse, specified_rules, validate
from strawberry.extensions import MaxAliasesLimiter, QueryDepthLimiter

from app.schema import build_schema
from app.settings import Settings

RESULTS = Path(__file__).resolve().parent / "results"
BUILT_IN_CEILING_SECONDS = 1.0


def reused_fragments(levels: int, leaves: str = "__typename __typename", head: str = "") -> str:
    """`{ head ...F<levels> }` where F0 selects `leaves` and each Fk spreads F(k-1) ten times."""
    fragments = [f"fragment F0 on Query {{ {leaves} }}"]
    fragments += [
        f"fragment F{k} on Query {{ {' '.join([f'...F{k - 1}'] * 10)} }}"
        for k in range(1, levels + 1)
    ]
    return f"{{ {head} ...F{levels} }} " + " ".join(fragments)


async def run(max_levels: int = 9, repeats: int = 5) -> list[dict[str, Any]]:
    settings = Settings()
    schema = build_schema(settings)
    built_in = (
        *specified_rules,
        *QueryDepthLimiter(max_depth=settings.query_max_depth).validation_rules,
        *MaxAliasesLimiter(max_alias_count=settings.query_max_aliases).validation_rules,
    )
    rows = []
    built_in_seconds: float | None = 0.0
    for levels in range(1, max_levels + 1):
        text = reused_fragments(levels)
        times, answers = [], set()
        for attempt in range(repeats):
            started = time.perf_counter()
            result = await schema.execute(f"{text} # {attempt}")
            times.append(time.perf_counter() - started)
            codes = [str((e.extensions or {}).get("code")) for e in result.errors or ()]
            answers.add(",".join(codes) or "data")
        if built_in_seconds is not None and built_in_seconds <= BUILT_IN_CEILING_SECONDS:
            started = time.perf_counter()
            validate(schema._schema, parse(text), built_in)
            built_in_seconds = time.perf_counter() - started
        else:
            built_in_seconds = None  # ten times the last one, which was over the ceiling
        rows.append(
            {
                "levels": levels,
                "bytes": len(text.encode()),
                "expanded_fields": 2 * 10**levels,
                "service_ms": round(statistics.median(times) * 1000, 2),
                "service_answer": " / ".join(sorted(answers)),
                "built_in_limiters_ms": (
                    None if built_in_seconds is None else round(built_in_seconds * 1000, 1)
                ),
            }
        )
    return rows


def print_table(rows: list[dict[str, Any]]) -> None:
    print(
        f"{'levels':>6} {'bytes':>6} {'fields':>14} {'service ms':>11}  {'answer':<18} built-in ms"
    )
    for row in rows:
        built_in = row["built_in_limiters_ms"]
        print(
            f"{row['levels']:>6} {row['bytes']:>6} {row['expanded_fields']:>14,} "
            f"{row['service_ms']:>11.2f}  {row['service_answer']:<18} "
            f"{'—' if built_in is None else f'{built_in:.1f}'}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.validation", description=__doc__)
    parser.add_argument("--levels", type=int, default=9, help="the deepest document")
    parser.add_argument("--repeats", type=int, default=5, help="runs per document (median)")
    args = parser.parse_args(argv)
    rows = asyncio.run(run(args.levels, args.repeats))
    print_table(rows)
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    out = RESULTS / f"{stamp}-validation.json"
    out.write_text(json.dumps({"validation": rows}, indent=2) + "\n", encoding="utf-8")
    print(f"results: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
