"""The posting form (求人票) in process: `python -m bench.forms` (also the `forms` part of
`python -m bench`).

Two measurements, each executed by the service's schema in this process (no HTTP, no session
lookup: the known employer's viewer is found once; each execution has its own context and
dataloaders, as each request has, and its answer is encoded with orjson, as the view does):

- `check`: `app.resolvers.posting_check.check` of a complete, valid form (the first posting's
  of the benchmark data: full-time and monthly, with overtime, two fixed allowances and
  re-employment to 65; no error, no warning), and the whole `postingCheck(input: {content: …})`
  with that form as its variables;
- `pages`: the known employer's `postings(first: 20)` and `(first: 50)` on the `small` data
  (it has 100 postings there, 20 in `medium`), selecting what a list shows, and for
  information selecting every item of `content` (a page the query cost limit refuses is
  reported as refused).

Each round runs every scenario for `--seconds`, one after the other, so that a drift of the
machine hits them all; the rounds' spread is reported beside their median.

`--against TREE` runs `pages` in another checkout of the service too (a worktree of an earlier
commit: `git worktree add /tmp/bench-base <commit>`), alternating with this one round by round,
each round in a process of its own, and reports each page's time there and here with their
ratios: of the medians, the median of each round's against the round there before it, and of
the least rounds (on a shared machine, what a page costs when nothing slows it). The other
tree is measured by this file run as a script with that tree first on the path, so it uses
that tree's `app`, its `bench.data` and its migrations (its data is made under its own
`bench/var/`); `pages` needs nothing of the form newer than `content`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

import orjson
import uvloop
from starlette.requests import Request
from starlette.responses import Response
from strawberry.utils.str_converters import to_camel_case

from app.db import close_db, init_db
from app.main import tune_garbage_collection
from app.models.posting_form import ITEMS
from app.resolvers.accounts.sessions import viewer_for_token
from app.runtime import Runtime
from app.schema import build_schema
from app.schema.context import Context
from app.settings import Settings
from app.viewer import Viewer
from bench import data

PRESET = "small"
"""The data of the pages: the smallest preset in which the known employer has 50 postings."""
PAGE_SIZES = (20, 50)
MEASURES = ("check", "pages")
SECONDS = 2.0
ROUNDS = 5

LIST_PAGE = """query Postings($first: Int!) { postings(first: $first) {
  pageInfo { hasNextPage endCursor }
  edges { node { id status postingNumber referralDeadline
    content { jobTitle numberToHire wageForm baseWageMin baseWageMax } } } } }"""
"""What a list of the employer's postings shows."""

CHECK = """query Check($input: PostingCheckInput!) { postingCheck(input: $input) {
  errors { field code message } warnings { field code message }
  minimumWage { prefecture hourlyWage effectiveFrom } checkedOn } }"""


def full_page() -> str:
    """The page with every item of `content`, each group item with all its parts, as this
    tree's form declares them."""
    selected = []
    for item in ITEMS:
        parts = getattr(item, "parts", ())
        inner = " ".join(to_camel_case(part.name) for part in parts)
        selected.append(
            f"{to_camel_case(item.name)} {{ {inner} }}" if parts else to_camel_case(item.name)
        )
    return (
        "query Postings($first: Int!) { postings(first: $first) {\n"
        "  pageInfo { hasNextPage endCursor }\n"
        "  edges { node { id status postingNumber referralDeadline\n"
        f"    content {{ {' '.join(selected)} }} }} }} }} }}"
    )


# --- Timing -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Timing:
    """One scenario in one round: wall time per call, and the process's CPU time per call
    (every thread's, so SQLite's too), which other processes on the machine disturb less."""

    calls: int
    p50_us: float
    p99_us: float
    mean_us: float
    cpu_us: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "calls": self.calls,
            "p50_us": round(self.p50_us, 1),
            "p99_us": round(self.p99_us, 1),
            "mean_us": round(self.mean_us, 1),
            "cpu_us": round(self.cpu_us, 1),
        }


def _timing(times_ns: list[int], cpu_seconds: float) -> Timing:
    times_ns.sort()
    n = len(times_ns)
    return Timing(
        calls=n,
        p50_us=times_ns[n // 2] / 1000,
        p99_us=times_ns[min(n - 1, n * 99 // 100)] / 1000,
        mean_us=sum(times_ns) / n / 1000,
        cpu_us=cpu_seconds / n * 1e6,
    )


async def timed(call: Callable[[], Awaitable[object] | object], seconds: float) -> Timing:
    """`call` (awaited when it gives an awaitable) back to back for `seconds`, after a warm-up
    of a tenth of that."""
    for warm in (True, False):
        times: list[int] = []
        cpu = time.process_time()
        until = time.perf_counter() + (seconds / 10 if warm else seconds)
        while time.perf_counter() < until:
            started = time.perf_counter_ns()
            result = call()
            if isinstance(result, Awaitable):
                await result
            times.append(time.perf_counter_ns() - started)
    return _timing(times, time.process_time() - cpu)


# --- The scenarios ------------------------------------------------------------------------------


class Refused(Exception):
    """The service answered with errors (a page over the query cost limit, say)."""


@dataclass(frozen=True)
class Service:
    """What an execution needs: the schema, the runtime and the known employer."""

    schema: Any
    rt: Runtime
    viewer: Viewer

    async def execute(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        """The document executed as the view executes it, and its answer encoded."""
        context = Context(request=_REQUEST, response=Response(), rt=self.rt, viewer=self.viewer)
        result = await self.schema.execute(query, variable_values=variables, context_value=context)
        if result.errors or result.data is None:
            raise Refused("; ".join(f"{e.extensions}: {e.message}" for e in result.errors or ()))
        orjson.dumps({"data": result.data})
        return result.data


_REQUEST = Request(
    {
        "type": "http",
        "method": "POST",
        "path": "/graphql",
        "headers": [],
        "query_string": b"",
        "client": ("127.0.0.1", 0),
    }
)


def page_scenarios(service: Service) -> dict[str, Callable[[], Awaitable[object]]]:
    full = full_page()
    scenarios: dict[str, Callable[[], Awaitable[object]]] = {}
    for selection, query in (("list", LIST_PAGE), ("full content", full)):
        for first in PAGE_SIZES:
            scenarios[f"postings ({first}, {selection})"] = _page(service, query, first)
    return scenarios


def _page(service: Service, query: str, first: int) -> Callable[[], Awaitable[object]]:
    async def page() -> object:
        answer = await service.execute(query, {"first": first})
        if len(answer["postings"]["edges"]) != first:
            raise AssertionError(f"{len(answer['postings']['edges'])} postings, not {first}")
        return answer

    return page


def check_scenarios(service: Service) -> dict[str, Callable[[], Awaitable[object] | object]]:
    from app.resolvers import posting_check  # the 2026 form's: not in earlier trees

    today = service.rt.clock.today()
    content = data.posting_form(
        0, 0, data.PostingCategory.GENERAL, 2, posting_check.graduating_class(today)
    )
    variables = {"input": {"content": content_input(content)}}

    def check() -> object:
        found = posting_check.check(content, today)
        if found.errors or found.warnings:
            raise AssertionError(f"the form is not clean: {found}")
        return found

    async def check_query() -> object:
        answer = await service.execute(CHECK, variables)
        if answer["postingCheck"]["errors"] or answer["postingCheck"]["warnings"]:
            raise AssertionError(f"the form is not clean: {answer}")
        return answer

    return {"check()": check, "postingCheck": check_query}


def content_input(content: object) -> dict[str, Any]:
    """The form as `PostingContentInput` variables: camelCase fields, enums by name, group
    items as objects of their parts."""
    return {to_camel_case(item.name): _input(item, getattr(content, item.name)) for item in ITEMS}


def _input(item: Any, value: Any) -> Any:
    parts = getattr(item, "parts", None)
    if parts is not None and value is not None:
        if isinstance(value, list):
            return [_group_input(parts, entry) for entry in value]
        return _group_input(parts, value)
    if isinstance(value, list):
        return [choice.value for choice in value]
    return value.value if isinstance(value, Enum) else value


def _group_input(parts: Any, value: object) -> dict[str, Any]:
    return {to_camel_case(part.name): _input(part, getattr(value, part.name)) for part in parts}


# --- The run ------------------------------------------------------------------------------------


async def run(
    settings: Settings, measures: list[str], *, seconds: float, rounds: int
) -> dict[str, Any]:
    """Every scenario of `measures`, `rounds` times, on the data of the database of
    `settings`; each scenario's rounds and their summary."""
    await init_db(settings)
    try:
        rt = Runtime.from_settings(settings)
        viewer = await viewer_for_token(rt, await data.open_session(rt))
        service = Service(build_schema(settings), rt, viewer)
        scenarios: dict[str, Callable[[], Awaitable[object] | object]] = {}
        if "check" in measures:
            scenarios.update(check_scenarios(service))
        if "pages" in measures:
            scenarios.update(page_scenarios(service))
        refused = {}
        for name, scenario in list(scenarios.items()):
            try:
                result = scenario()
                if isinstance(result, Awaitable):
                    await result
            except Refused as exc:
                refused[name] = {"refused": str(exc)}
                del scenarios[name]
        tune_garbage_collection()  # as the service does once it has started
        found: dict[str, list[Timing]] = {name: [] for name in scenarios}
        for _ in range(rounds):
            for name, scenario in scenarios.items():
                found[name].append(await timed(scenario, seconds))
                gc.collect()
    finally:
        await close_db()
    return {name: summary(timings) for name, timings in found.items()} | refused


def summary(timings: list[Timing]) -> dict[str, Any]:
    """The median over the rounds of each figure, with its least and greatest."""
    found: dict[str, Any] = {"rounds": [t.as_dict() for t in timings]}
    for key in ("p50_us", "p99_us", "mean_us", "cpu_us"):
        values = [t.as_dict()[key] for t in timings]
        found[key] = {
            "median": round(statistics.median(values), 1),
            "min": min(values),
            "max": max(values),
        }
    return found


def _spread(figure: dict[str, float]) -> str:
    return f"{figure['median']:9,.0f} ({figure['min']:,.0f}–{figure['max']:,.0f})"


def print_table(results: dict[str, Any]) -> None:
    print("µs per call: the median of the rounds (least–most)")
    print(f"  {'':<30} {'p50':>24} {'p99':>24} {'cpu':>24}")
    for name, found in results.items():
        if "refused" in found:
            print(f"  {name:<30} refused: {found['refused']}")
            continue
        print(
            f"  {name:<30} {_spread(found['p50_us']):>24} {_spread(found['p99_us']):>24} "
            f"{_spread(found['cpu_us']):>24}"
        )


def measure(
    env: dict[str, str], measures: list[str], *, seconds: float, rounds: int
) -> dict[str, Any]:
    """`run` on uvloop, as the service runs, with the settings of the environment `env`."""
    return uvloop.run(run(Settings.from_env(env), measures, seconds=seconds, rounds=rounds))


def against(tree: Path, *, seconds: float, rounds: int) -> dict[str, Any]:
    """`pages` in `tree` and here, a round each in turn, each round in a process of its own:
    each page's figures in both, and their ratios here / there."""
    here = Path(__file__).resolve().parent.parent
    found: dict[str, dict[str, list[Timing]]] = {}
    refused: dict[str, dict[str, str]] = {}
    for _ in range(rounds):
        for side, root in (("there", tree), ("here", here)):
            for name, summarised in _pages_in(root, seconds).items():
                if "refused" in summarised:
                    refused.setdefault(name, {})[side] = summarised["refused"]
                    continue
                timings = found.setdefault(name, {"there": [], "here": []})[side]
                timings.extend(Timing(**entry) for entry in summarised["rounds"])
    pages: dict[str, Any] = {}
    for name, sides in found.items():
        if name in refused:
            pages[name] = {"refused": refused[name]}
            continue
        pair: dict[str, Any] = {"there": summary(sides["there"]), "here": summary(sides["here"])}
        for key in ("p50_us", "cpu_us"):
            pair[f"ratio_{key.removesuffix('_us')}"] = round(
                pair["here"][key]["median"] / pair["there"][key]["median"], 3
            )
        # The least of the rounds: what a page costs when nothing else slows the machine.
        pair["ratio_p50_least"] = round(
            pair["here"]["p50_us"]["min"] / pair["there"]["p50_us"]["min"], 3
        )
        pair["ratio_p50_by_round"] = [
            round(h.p50_us / t.p50_us, 3)
            for h, t in zip(sides["here"], sides["there"], strict=True)
        ]
        # Each round here against the round there just before it: drifts of the machine
        # slower than a round cancel out.
        pair["ratio_p50_paired"] = round(statistics.median(pair["ratio_p50_by_round"]), 3)
        pages[name] = pair
    pages.update({name: {"refused": sides} for name, sides in refused.items() if name not in pages})
    return {"tree": str(tree), "pages": pages}


def _pages_in(root: Path, seconds: float) -> dict[str, Any]:
    """One round of `pages`, by this file run as a script with `root`'s checkout first on the
    path: its `app`, `bench.data` and data."""
    from bench.__main__ import in_tree  # bench.__main__ imports this module

    arguments = ("--seconds", str(seconds), "--rounds", "1", "--no-write")
    answer = in_tree(root, __file__, "--measure", "pages", *arguments)
    return answer["results"]  # type: ignore[no-any-return]


def print_against(report: dict[str, Any]) -> None:
    print(f"there: {report['tree']}; µs per page, p50: the median of the rounds (least–most)")
    for name, pair in report["pages"].items():
        if "refused" in pair:
            print(f"  {name:<30} refused: {pair['refused']}")
            continue
        print(
            f"  {name:<30} there {_spread(pair['there']['p50_us'])}  here "
            f"{_spread(pair['here']['p50_us'])}  here/there {pair['ratio_p50']:.2f}, paired "
            f"{pair['ratio_p50_paired']:.2f}, least {pair['ratio_p50_least']:.2f}, cpu "
            f"{pair['ratio_cpu']:.2f} (by round "
            f"{', '.join(f'{r:.2f}' for r in pair['ratio_p50_by_round'])})"
        )


def main(argv: list[str] | None = None) -> int:
    # The data and the machine as `python -m bench` makes and describes them; imported here,
    # since that module imports this one.
    from bench.__main__ import RESULTS, database_url, ensure_data, machine, service_env

    parser = argparse.ArgumentParser(prog="python -m bench.forms", description=__doc__)
    parser.add_argument(
        "--measure", default=",".join(MEASURES), help="comma-separated: check, pages"
    )
    parser.add_argument("--seconds", type=float, default=SECONDS, help="per scenario and round")
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    parser.add_argument(
        "--against", type=Path, help="another checkout of the service to measure `pages` in"
    )
    parser.add_argument(
        "--no-write", action="store_true", help="no file in bench/results/; JSON on stdout"
    )
    args = parser.parse_args(argv)
    measures = args.measure.split(",")
    unknown = set(measures) - set(MEASURES)
    if unknown:
        parser.error(f"unknown measures: {', '.join(sorted(unknown))}")

    url = database_url(PRESET, None)
    report: dict[str, Any] = {
        "machine": machine(),
        "preset": PRESET,
        "args": {k: str(v) for k, v in vars(args).items()},
        "data": ensure_data(PRESET, url, False)["counts"],
    }
    report["results"] = measure(
        service_env(url), measures, seconds=args.seconds, rounds=args.rounds
    )
    print_table(report["results"])
    if args.against is not None:
        report["against"] = against(
            args.against.resolve(), seconds=args.seconds, rounds=args.rounds
        )
        print_against(report["against"])
    report["machine"]["loadavg_at_end"] = Path("/proc/loadavg").read_text().split()[:3]
    if not args.no_write:
        RESULTS.mkdir(parents=True, exist_ok=True)
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
        out = RESULTS / f"{stamp}-forms.json"
        out.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        print(f"results: {out}")
    print(json.dumps(report, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
