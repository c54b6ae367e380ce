"""The CSV export of applicants at size: `python -m bench.export`.

Fills a fresh SQLite database (bench/var/export.sqlite3) with `--applications` applications
(100,000 by default) of one establishment, its seekers' profiles and logins with them
(`bench.data`, one establishment and ten postings), starts the service as `python -m bench`
does (one uvicorn worker), and downloads `GET /exports/applications.csv` as the
establishment's login: every application, streamed. Reported, as one JSON line (also written
to bench/var/export.json): the rows and bytes, the time to the first byte and to the last, and
the server process's resident memory (`/proc/<pid>/status`): VmRSS before the download, and
the peak (VmHWM, reset just before the download through `/proc/<pid>/clear_refs`) while it
ran; the growth is the one less the other. A warm-up export of an empty posting runs first, so
that the first request's one-off costs (imports, caches) are not counted; the download is
made `--rounds` times.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from strawberry import relay

from app.db import close_db, init_db
from app.export_routes import PATH, applications_export_path
from app.models import Posting
from app.models.postings import PostingStatus
from app.resolvers.exports import PAGE_ROWS
from app.runtime import Runtime
from app.settings import Settings
from bench import data
from bench.__main__ import ROOT, VAR, machine, server_pids, service_env, uvicorn

DATABASE = VAR / "export.sqlite3"
SUMMARY = VAR / "export.json"
POSTINGS = 10
"""Of the one establishment: eight of them take applications (`bench.data`), two do not."""
CHUNK_BYTES = 1 << 16


def fill(url: str, applications: int) -> dict[str, Any]:
    """A fresh, migrated database with the applications; what `bench.data` made."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{DATABASE}{suffix}").unlink(missing_ok=True)
    env = service_env(url)
    subprocess.run([sys.executable, "-m", "app", "migrate"], env=env, cwd=ROOT, check=True)
    sizes = ("--establishments", "1", "--postings", str(POSTINGS), "--messages", "0")
    out = subprocess.run(  # noqa: S603 - our own interpreter and arguments
        [sys.executable, "-m", "bench.data", *sizes, "--applications", str(applications)],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    made: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return made


def session_token(url: str) -> tuple[str, str]:
    """A live session of the establishment's login, and the global ID of a posting without
    applications (a draft), for the warm-up."""

    async def make() -> tuple[str, str]:
        settings = Settings.from_env(service_env(url))
        await init_db(settings)
        try:
            draft = await Posting.filter(status=PostingStatus.DRAFT).order_by("id").first()
            assert draft is not None, "bench.data makes a draft of every ten postings"
            token = await data.open_session(Runtime.from_settings(settings))
            return token, relay.to_base64("Posting", draft.id)
        finally:
            await close_db()

    return asyncio.run(make())


def server_pid(marker: str) -> int:
    """The process of ours whose command line holds `marker` (uvicorn, started by `uvicorn`)."""
    pids = server_pids(marker)
    if not pids:
        raise RuntimeError(f"no child process runs {marker}")
    return pids[0]


def memory(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM of `pid`, in KiB."""
    found = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            found[key] = int(value.split()[0])
    return found


def reset_peak(pid: int) -> bool:
    """Start VmHWM again from VmRSS (Linux 4.0 and later); False when refused."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return False
    return True


async def download(base: str, token: str, path: str) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"}
    started = time.perf_counter()
    first_byte: float | None = None
    size = lines = chunks = 0
    async with (
        httpx.AsyncClient(base_url=base, timeout=600) as client,
        client.stream("GET", path, headers=headers) as response,
    ):
        response.raise_for_status()
        async for chunk in response.aiter_raw(CHUNK_BYTES):
            if first_byte is None:
                first_byte = time.perf_counter() - started
            size += len(chunk)
            lines += chunk.count(b"\r\n")
            chunks += 1
    return {
        "rows": lines - 1,  # the header
        "bytes": size,
        "chunks_read": chunks,
        "first_byte_seconds": round(first_byte or 0.0, 3),
        "seconds": round(time.perf_counter() - started, 3),
    }


def measure(base: str, pid: int, token: str, empty_posting: str, rounds: int) -> dict[str, Any]:
    warm_up = asyncio.run(download(base, token, applications_export_path(empty_posting)))
    assert warm_up["rows"] == 0, warm_up
    runs = []
    for _ in range(rounds):
        before = memory(pid)
        peak_reset = reset_peak(pid)
        run = asyncio.run(download(base, token, PATH))
        after = memory(pid)
        run.update(
            rss_before_kib=before["VmRSS"],
            peak_kib=after["VmHWM"],
            rss_after_kib=after["VmRSS"],
            peak_growth_kib=after["VmHWM"] - before["VmRSS"],
            peak_reset=peak_reset,
            rows_per_second=round(run["rows"] / run["seconds"]),
        )
        runs.append(run)
        print(json.dumps(run), flush=True)
    return {"page_rows": PAGE_ROWS, "runs": runs}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.export", description=__doc__)
    parser.add_argument("--applications", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args(argv)
    VAR.mkdir(parents=True, exist_ok=True)
    url = f"sqlite://{DATABASE}"
    report: dict[str, Any] = {"machine": machine(), "applications": args.applications}
    started = time.monotonic()
    report["data"] = fill(url, args.applications)["counts"]
    report["fill_seconds"] = round(time.monotonic() - started, 1)
    token, empty_posting = session_token(url)
    with uvicorn("real", service_env(url)) as base:
        pid = server_pid("bench.serve:real")
        report["export"] = measure(base, pid, token, empty_posting, args.rounds)
    line = json.dumps(report, ensure_ascii=False)
    SUMMARY.write_text(line + "\n", encoding="utf-8")
    print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
