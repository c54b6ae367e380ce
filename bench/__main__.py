"""The benchmark suite in one command: `python -m bench`.

Fills the database of the preset once (`python -m bench.data`, kept under bench/var/),
starts the service, the naive Strawberry peer and the raw baseline (`--workers` uvicorn workers
each, one by default, on loopback; on SQLite or, with `--database-url`, PostgreSQL), runs every
scenario against each, then the login storm, the live fan-out to dashboards of many
establishments (`bench/fanout.py`: one process, then two through Redis), the memory of idle
dashboards (`bench/memory.py`), the scale comparison, the validation of
documents that spread fragments in fragments (`bench/validation.py`, in process) and the
posting form's check and the postings page at its size (`bench/forms.py`, in process, on the
`small` data), and writes everything, with the machine and its load, to
bench/results/<time>-<preset>.json (`<time>-<preset>-postgresql.json` on PostgreSQL).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import datetime as dt
import hashlib
import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import httpx

from bench import fanout, forms, load, memory, validation
from bench.load import APPLICATIONS, HOME, LOGIN, MESSAGES, POSTINGS, Scenario

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "bench" / "var"
RESULTS = ROOT / "bench" / "results"
SECRET_KEY = "bench-secret-key-of-sufficient-length-0123456789"  # noqa: S105

_T = TypeVar("_T")


# --- Processes ----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def service_env(database_url: str, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        APP_ENV="development",
        APP_VAR_DIR=str(VAR),
        DATABASE_URL=database_url,
        SECRET_KEY=SECRET_KEY,
        RATE_LIMITS="off",  # one client address makes every request; limits would answer 429
        EXPIRY_INTERVAL_SECONDS="0",
        PYTHONUNBUFFERED="1",
    )
    env.pop("REDIS_URL", None)
    env.update(extra)
    return env


_STARTED = b"Application startup complete."


def in_tree(root: Path, script: str, *arguments: str) -> dict[str, Any]:
    """`script` (a file of `bench/`) run with `root`'s checkout first on the path, so that it
    measures that tree's `app` (and its `bench` modules and data); the JSON object its last
    line prints. How `--against TREE` compares a round there with a round here."""
    out = subprocess.run(  # noqa: S603 - our own interpreter and file
        [sys.executable, script, *arguments],
        env=dict(os.environ, PYTHONPATH=str(root)),
        cwd=root,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    answer: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return answer


def save_report(report: dict[str, Any], name: str) -> Path:
    """`report` as bench/results/<time>-<name>.json; its path."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    out = RESULTS / f"{stamp}-{name}.json"
    out.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return out


def server_pids(marker: str) -> list[int]:
    """Our child processes whose command line holds `marker` (the servers `uvicorn` started:
    one, or two beside each other)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            command = (stat.parent / "cmdline").read_bytes()
        except (OSError, ValueError, IndexError):
            continue
        if parent == os.getpid() and marker.encode() in command:
            found.append(int(stat.parent.name))
    return found


_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids: list[int]) -> float:
    """The CPU time (user and system, every thread) the processes `pids` have used so far."""
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime: fields 14 and 15
    return total / _TICKS


@contextmanager
def uvicorn(kind: str, env: dict[str, str], workers: int = 1) -> Iterator[str]:
    """`uvicorn bench.serve:<kind> --factory --workers <workers>`, as the Procfile runs the
    service (uvloop and httptools), without the access log; yields its URL once every worker
    has run its startup (the parent listens before its workers have started)."""
    port = free_port()
    path = VAR / f"uvicorn-{kind}-{port}.log"
    log = path.open("wb")
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
        [
            *(sys.executable, "-m", "uvicorn", f"bench.serve:{kind}", "--factory"),
            *("--host", "127.0.0.1", "--port", str(port), "--no-access-log"),
            *("--workers", str(workers), "--ws-per-message-deflate", "false"),
        ],
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60 * workers
        while path.read_bytes().count(_STARTED) < workers:
            if process.poll() is not None:
                raise RuntimeError(f"{kind} server exited; see {log.name}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"{kind} server did not start; see {log.name}")
            time.sleep(0.1)
        # One worker logs its startup before it binds the port.
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


@contextmanager
def redis_server() -> Iterator[str | None]:
    """A throw-away redis-server on loopback, or None when none is installed."""
    binary = shutil.which("redis-server")
    if binary is None:
        yield None
        return
    port = free_port()
    process = subprocess.Popen(  # noqa: S603
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        time.sleep(0.5)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=15)


# --- Data ---------------------------------------------------------------------------------------


def database_url(preset: str, given: str | None) -> str:
    return given or f"sqlite://{VAR / f'{preset}.sqlite3'}"


def schema_version() -> str:
    """The newest migration: the schema the benchmark data was made under."""
    return max(path.stem for path in (ROOT / "app" / "migrations").glob("0*.py"))


def generator_version() -> str:
    """A digest of `bench/data.py`: data made by an earlier generator lacks what it now
    writes (the items of the posting form it fills, say)."""
    return hashlib.sha256((ROOT / "bench" / "data.py").read_bytes()).hexdigest()[:12]


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite://")


def postgres_dsn(url: str) -> str:
    """asyncpg's spelling of a DATABASE_URL."""
    return url.replace("postgres://", "postgresql://", 1)


def summary_path(preset: str, url: str) -> Path:
    """Where the summary of the preset's data in this database is kept: one per SQLite preset,
    one per PostgreSQL preset and server address and database (without credentials)."""
    if is_sqlite(url):
        return VAR / f"{preset}.json"
    where = urlsplit(url)
    name = f"{where.hostname}-{where.port or 5432}-{where.path.strip('/')}"
    return VAR / f"{preset}-postgres-{name}.json"


def ensure_data(preset: str, url: str, regenerate: bool) -> dict[str, Any]:
    """Migrate and fill the preset's database unless its summary is already there (and, on
    PostgreSQL, the database still holds the rows it counts)."""
    summary = summary_path(preset, url)
    if summary.exists() and not regenerate:
        text = summary.read_text(encoding="utf-8").strip()
        if text:
            found: dict[str, Any] = json.loads(text.splitlines()[-1])
            # Data made under older migrations lacks what the code now reads: make it again.
            made_by = (found.get("schema"), found.get("generator"))
            if made_by == (schema_version(), generator_version()) and (
                is_sqlite(url) or _postgres_counts(url, list(found["counts"])) == found["counts"]
            ):
                return found
    VAR.mkdir(parents=True, exist_ok=True)
    if is_sqlite(url):
        for suffix in ("", "-wal", "-shm"):
            Path(url.removeprefix("sqlite://") + suffix).unlink(missing_ok=True)
    else:
        _reset_postgres(url)
    env = service_env(url)
    subprocess.run([sys.executable, "-m", "app", "migrate"], env=env, cwd=ROOT, check=True)
    started = time.monotonic()
    out = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "bench.data", "--preset", preset],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    generated: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    generated["generation_seconds"] = round(time.monotonic() - started, 1)
    generated["schema"] = schema_version()
    generated["generator"] = generator_version()
    summary.write_text(json.dumps(generated, ensure_ascii=False) + "\n", encoding="utf-8")
    return generated


def _on_postgres(url: str, work: Callable[[Any], Awaitable[_T]]) -> _T:
    """`work(connection)` on an asyncpg connection to `url`."""
    import asyncpg  # type: ignore[import-untyped]

    async def run() -> _T:
        connection = await asyncpg.connect(postgres_dsn(url))
        try:
            return await work(connection)
        finally:
            await connection.close()

    return asyncio.run(run())


def _reset_postgres(url: str) -> None:
    async def reset(connection: Any) -> None:
        await connection.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")

    _on_postgres(url, reset)


def _postgres_counts(url: str, tables: list[str]) -> dict[str, int] | None:
    """The rows of each table, or None when the tables are not there."""

    async def count(connection: Any) -> dict[str, int] | None:
        found = {}
        for table in tables:
            if await connection.fetchval("SELECT to_regclass($1)", f'public."{table}"') is None:
                return None
            found[table] = await connection.fetchval(f'SELECT count(*) FROM "{table}"')  # noqa: S608
        return found

    return _on_postgres(url, count)


def database_kind(url: str) -> dict[str, str]:
    """The database of the run: sqlite and the library's version, or postgresql and the
    server's."""
    if is_sqlite(url):
        import sqlite3

        return {"kind": "sqlite", "version": sqlite3.sqlite_version}

    async def version(connection: Any) -> str:
        found: str = await connection.fetchval("SHOW server_version")
        return found

    return {"kind": "postgresql", "version": _on_postgres(url, version).split()[0]}


def redacted(url: str) -> str:
    """The URL without its password, for the report."""
    where = urlsplit(url)
    if where.password is None:
        return url
    netloc = where.netloc.replace(f":{where.password}@", ":***@", 1)
    return urlunsplit(where._replace(netloc=netloc))


@dataclass(frozen=True)
class Credentials:
    employer_token: str
    seeker_token: str
    device_token: str
    thread_id: str
    """Global ID of the known employer's first thread, with the known seeker."""


def credentials(url: str) -> Credentials:
    """Fresh sessions (the idle timeout is 30 minutes) and a remembered device."""
    from app import models
    from app.db import close_db, init_db
    from app.runtime import Runtime
    from app.settings import Settings
    from bench import data as bench_data

    async def make() -> Credentials:
        settings = Settings.from_env(service_env(url))
        rt = Runtime.from_settings(settings)
        await init_db(settings)
        try:
            thread = (
                await models.MessageThread.filter(
                    establishment__users__email=bench_data.BENCH_EMAIL
                )
                .order_by("id")
                .first()
                .select_related("seeker")
            )
            assert thread is not None, "the known employer has no thread"
            return Credentials(
                employer_token=await bench_data.open_session(rt),
                seeker_token=await bench_data.open_session(rt, thread.seeker.email),
                device_token=await bench_data.remember_device(rt),
                thread_id=base64.b64encode(f"MessageThread:{thread.id}".encode()).decode(),
            )
        finally:
            await close_db()

    return asyncio.run(make())


# --- Scenarios ----------------------------------------------------------------------------------


def page_scenarios(creds: Credentials) -> list[Scenario]:
    return [
        Scenario("employerHome", HOME, {}, "/raw/home", load.has("employerHome")),
        Scenario(
            "postings (20)", POSTINGS, {"first": 20}, "/raw/postings", load.edges("postings", 20)
        ),
        Scenario(
            "applications (50)",
            APPLICATIONS,
            {"first": 50},
            "/raw/applications",
            load.edges("applications", 50),
        ),
        Scenario(
            "messages (50)",
            MESSAGES,
            {"thread": creds.thread_id, "first": 50},
            "/raw/messages",
            load.edges("messages", 50),
        ),
    ]


def login_scenario(creds: Credentials) -> Scenario:
    from bench.data import BENCH_EMAIL, BENCH_PASSWORD

    return Scenario(
        "login",
        LOGIN,
        {
            "input": {
                "portal": "EMPLOYER",
                "email": BENCH_EMAIL,
                "password": BENCH_PASSWORD,
                "deviceToken": creds.device_token,
            }
        },
        "/raw/login",
        load.logged_in,
        authenticated=False,
    )


async def measure(
    servers: dict[str, str],
    scenario: Scenario,
    token: str,
    *,
    seconds: float,
    connections: int,
    setup: str = "",
) -> dict[str, Any]:
    """The scenario on each server in turn (so drifts of the machine hit all alike); `setup`
    ends each printed line (the database and the workers)."""
    found: dict[str, Any] = {}
    for kind, url in servers.items():
        path = scenario.raw_path if kind == "raw" else "/graphql"
        auth = token if scenario.authenticated else None
        await load.check_once(url, path, scenario, auth)
        statements = await load.statements_per_request(url, path, scenario, auth)
        result = await load.run_load(
            url, path, scenario, auth, seconds=seconds, connections=connections
        )
        result.statements_per_request = statements
        found[kind] = result.as_dict()
        print(f"  {scenario.name:18} {kind:6} {_line(found[kind])}  {setup}".rstrip(), flush=True)
    return found


def _line(result: dict[str, Any]) -> str:
    return (
        f"{result['rps']:8.1f} req/s  p50 {result['p50_ms']:7.2f} ms  "
        f"p99 {result['p99_ms']:7.2f} ms  {result['statements_per_request']:.1f} SQL/req"
        + (f"  errors {result['errors']}" if result["errors"] else "")
    )


async def login_storm(
    url: str, creds: Credentials, *, logins: int, seconds: float, connections: int
) -> dict[str, Any]:
    """employerHome under load while `logins` clients log in back to back."""
    scenario = page_scenarios(creds)[0]
    body = login_scenario(creds).body()
    stop = asyncio.Event()
    done = 0

    async def log_in_forever(client: httpx.AsyncClient) -> None:
        nonlocal done
        while not stop.is_set():
            response = await client.post(
                "/graphql", content=body, headers={"Content-Type": "application/json"}
            )
            load.logged_in(response.json()["data"])
            done += 1

    limits = httpx.Limits(max_connections=logins)
    async with httpx.AsyncClient(base_url=url, timeout=120, limits=limits) as client:
        storm = [asyncio.create_task(log_in_forever(client)) for _ in range(logins)]
        await asyncio.sleep(1)
        result = await load.run_load(
            url,
            "/graphql",
            scenario,
            creds.employer_token,
            seconds=seconds,
            connections=connections,
        )
        stop.set()
        await asyncio.gather(*storm)
    found = result.as_dict()
    found["logins_per_second"] = round(done / (seconds + 1), 2)
    return found


# --- The run ------------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    model = ""
    with Path("/proc/cpuinfo").open(encoding="utf-8") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "nproc": os.cpu_count(),
        "cpu": model,
        "loadavg_at_start": Path("/proc/loadavg").read_text(encoding="utf-8").split()[:3],
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def ratios(results: dict[str, Any]) -> dict[str, Any]:
    """Each scenario's throughput as a ratio to the raw limit and to the naive peer."""
    found = {}
    for name, by_kind in results.items():
        real = by_kind.get("real", {}).get("rps") or 0
        raw = by_kind.get("raw", {}).get("rps") or 0
        naive = by_kind.get("naive", {}).get("rps") or 0
        found[name] = {
            "real_to_raw": round(real / raw, 3) if raw else None,
            "real_to_naive": round(real / naive, 2) if naive else None,
        }
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--preset", default="medium", help="bench-data preset of the main run")
    parser.add_argument("--database-url", help="default: SQLite under bench/var/")
    parser.add_argument("--regenerate", action="store_true", help="fill the database again")
    parser.add_argument("--seconds", type=float, default=10, help="per scenario and server")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument(
        "--workers", type=int, default=1, help="uvicorn workers of each server of the pages"
    )
    parser.add_argument(
        "--parts",
        default="pages,login,storm,subscriptions,memory,scale,validation,forms",
        help="comma-separated: pages, login, storm, subscriptions, memory, scale, validation, "
        "forms",
    )
    parser.add_argument("--subscribers", type=int, default=3000, help="dashboards of the fan-out")
    parser.add_argument("--scale-presets", default="small,large")
    args = parser.parse_args(argv)
    parts = set(args.parts.split(","))

    url = database_url(args.preset, args.database_url)
    database = database_kind(url)
    report: dict[str, Any] = {
        "machine": machine(),
        "preset": args.preset,
        "args": vars(args) | {"database_url": redacted(args.database_url or url)},
        "database": database,
        # Pages, login and storm run on this database with these workers; subscriptions on
        # this database, one process each; scale and forms on SQLite, one process.
        "workers": args.workers,
    }
    report["data"] = ensure_data(args.preset, url, args.regenerate)
    creds = credentials(url)
    env = service_env(url)
    setup = f"{database['kind']} {database['version']}, {args.workers} worker(s)"
    print(f"{report['machine']}\ndata: {report['data']['counts']}\n{setup}", flush=True)

    if parts & {"pages", "login", "storm"}:
        with ExitStack() as stack:
            servers = {
                kind: stack.enter_context(uvicorn(kind, env, args.workers))
                for kind in ("real", "naive", "raw")
            }
            if "pages" in parts:
                report["pages"] = {}
                for scenario in page_scenarios(creds):
                    report["pages"][scenario.name] = asyncio.run(
                        measure(
                            servers,
                            scenario,
                            creds.employer_token,
                            seconds=args.seconds,
                            connections=args.connections,
                            setup=setup,
                        )
                    )
                report["pages_ratios"] = ratios(report["pages"])
            if "login" in parts:
                report["login"] = asyncio.run(
                    measure(
                        servers,
                        login_scenario(creds),
                        creds.employer_token,
                        seconds=args.seconds,
                        connections=4,
                        setup=setup,
                    )
                )
                report["login_ratios"] = ratios({"login": report["login"]})["login"]
            if "storm" in parts:
                home = page_scenarios(creds)[0]
                idle = asyncio.run(
                    load.run_load(
                        servers["real"],
                        "/graphql",
                        home,
                        creds.employer_token,
                        seconds=args.seconds,
                        connections=4,
                    )
                ).as_dict()
                busy = asyncio.run(
                    login_storm(
                        servers["real"], creds, logins=20, seconds=args.seconds, connections=4
                    )
                )
                report["storm"] = {
                    "idle": idle,
                    "during_20_logins": busy,
                    "p99_ratio": round(busy["p99_ms"] / idle["p99_ms"], 2),
                }
                print(f"  storm: idle {_line(idle | {'statements_per_request': 0})}")
                print(f"  storm: busy {_line(busy | {'statements_per_request': 0})}", flush=True)

    if "subscriptions" in parts:
        report["subscriptions"] = fanout.run(url, fanout.Options(subscribers=args.subscribers))

    if "memory" in parts:
        steps = tuple(args.subscribers * n // 3 for n in range(4))  # 0, 1000, 2000, 3000
        report["memory"] = memory.run(url, memory.Options(steps=steps))
        memory.print_summary(report["memory"])

    if "scale" in parts:
        report["scale"] = {}
        for preset in args.scale_presets.split(","):
            scale_url = database_url(preset, None)
            report["scale"][preset] = {"data": ensure_data(preset, scale_url, False)["counts"]}
            scale_creds = credentials(scale_url)
            with uvicorn("real", service_env(scale_url)) as real:
                for scenario in page_scenarios(scale_creds)[1:]:
                    report["scale"][preset][scenario.name] = asyncio.run(
                        measure(
                            {"real": real},
                            scenario,
                            scale_creds.employer_token,
                            seconds=args.seconds,
                            connections=args.connections,
                        )
                    )["real"]

    if "validation" in parts:
        report["validation"] = asyncio.run(validation.run())
        validation.print_table(report["validation"])

    if "forms" in parts:
        forms_url = database_url(forms.PRESET, None)
        ensure_data(forms.PRESET, forms_url, False)
        report["forms"] = forms.measure(
            service_env(forms_url),
            list(forms.MEASURES),
            seconds=forms.SECONDS,
            rounds=forms.ROUNDS,
        )
        forms.print_table(report["forms"])

    report["machine"]["loadavg_at_end"] = Path("/proc/loadavg").read_text().split()[:3]
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    on_postgres = report.get("database", {}).get("kind") == "postgresql"
    out = RESULTS / f"{stamp}-{args.preset}{'-postgresql' if on_postgres else ''}.json"
    out.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"results: {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
