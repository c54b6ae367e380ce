"""Periodic work: the posting expiry runs inside every server process and from the CLI."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from app.clock import TOKYO
from app.models import Posting
from app.models.postings import PostingStatus
from app.resolvers import postings
from app.tasks import run_periodically
from tests import flows
from tests.conftest import Server, new_employer_of, new_staff
from tests.processes import UvicornProcess, run_app_ok, service_env

# Accepted on this day, a posting's referral deadline is 2026-10-31: already past for the
# real clock of the child processes below, whatever day the tests run.
LONG_AGO = dt.datetime(2026, 8, 3, 10, tzinfo=TOKYO)


async def _active_posting_accepted_long_ago(server: Server, new_client: Any) -> dict[str, Any]:
    server.clock.set(LONG_AGO)
    staff = await new_staff(server, new_client())
    employer = await new_employer_of(server, staff, new_client())
    posting = await flows.active_posting(employer, staff)
    assert posting["referralDeadline"] == "2026-10-31"
    return posting


async def _status(posting: dict[str, Any]) -> PostingStatus:
    row = await Posting.get(posting_number=posting["postingNumber"])
    return row.status


async def test_the_periodic_runner_expires_due_postings(server: Server, new_client: Any) -> None:
    posting = await _active_posting_accepted_long_ago(server, new_client)
    server.clock.set(dt.datetime(2026, 11, 1, 0, 0, tzinfo=TOKYO))

    task = asyncio.create_task(
        run_periodically("test-expiry", 0.01, lambda: postings.expire_postings(server.rt))
    )
    try:
        for _ in range(200):
            if await _status(posting) == PostingStatus.INVALID:
                break
            await asyncio.sleep(0.01)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    assert await _status(posting) == PostingStatus.INVALID


async def test_the_periodic_runner_survives_a_failing_round() -> None:
    rounds: list[int] = []

    async def flaky() -> None:
        rounds.append(len(rounds))
        if len(rounds) == 1:
            raise RuntimeError("database briefly away")

    task = asyncio.create_task(run_periodically("flaky", 0.001, flaky))
    try:
        for _ in range(500):
            if len(rounds) >= 3:
                break
            await asyncio.sleep(0.005)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    assert len(rounds) >= 3


def _shared_database_env(server: Server, tmp_path: Path) -> dict[str, str]:
    """A child process on the test server's own database (SQLite in WAL mode, or PostgreSQL)."""
    return service_env(tmp_path, DATABASE_URL=server.settings.database_url)


@pytest.mark.slow
async def test_expire_command_ends_postings_past_their_deadline(
    server: Server, new_client: Any, tmp_path: Path
) -> None:
    posting = await _active_posting_accepted_long_ago(server, new_client)
    env = _shared_database_env(server, tmp_path)

    first = await asyncio.to_thread(run_app_ok, env, "expire")
    second = await asyncio.to_thread(run_app_ok, env, "expire")

    assert "1 postings expired, 0 renewed" in first
    assert "0 postings expired, 0 renewed" in second
    assert await _status(posting) == PostingStatus.INVALID


@pytest.mark.slow
async def test_a_starting_server_does_the_expiry_that_fell_due_while_it_was_down(
    server: Server, new_client: Any, tmp_path: Path
) -> None:
    posting = await _active_posting_accepted_long_ago(server, new_client)
    env = _shared_database_env(server, tmp_path)
    env["EXPIRY_INTERVAL_SECONDS"] = "3600"

    process = UvicornProcess(env, tmp_path / "uvicorn.log")
    await asyncio.to_thread(process.__enter__)
    try:
        for _ in range(300):
            if await _status(posting) == PostingStatus.INVALID:
                break
            await asyncio.sleep(0.05)
    finally:
        await asyncio.to_thread(process.stop)

    assert await _status(posting) == PostingStatus.INVALID
    assert "Traceback" not in process.log
