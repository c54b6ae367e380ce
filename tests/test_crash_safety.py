"""Crash safety: the server is killed (SIGKILL) in the middle of a stream of mutations and
restarted on the same database; every acknowledged write is there, and nothing half-written.

The child process shares the test database: the SQLite file of the run (WAL mode, Tortoise's
default) or, in CI's second pass, PostgreSQL. That the periodic tasks resume after a restart
(the expiry runs at start-up) is
`tests/test_tasks.py::test_a_starting_server_does_the_expiry_that_fell_due_while_it_was_down`.
"""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

import httpx
import pytest

from app.models import Posting, PostingEvent
from app.models.postings import PostingAction
from tests import flows
from tests.conftest import GraphQLClient, Server
from tests.processes import UvicornProcess, run_app_ok, service_env

STAFF_EMAIL = "crash.staff@iidabashi.example.jp"
EMPLOYER_EMAIL = "crash.hr@care.example.jp"
WORKERS = 4
KILL_AFTER_ACKNOWLEDGED = 24


def job_title(worker: int, n: int) -> str:
    return f"介護職員{worker}-{n:04d}"


async def create_postings_until_gone(
    employer: GraphQLClient, worker: int, acknowledged: list[str]
) -> None:
    """`postingCreate` one after another until the server stops answering."""
    for n in range(10_000):
        title = job_title(worker, n)
        try:
            payload = await flows.posting_mutation(
                employer, "postingCreate", {"content": flows.posting_content(jobTitle=title)}
            )
        except httpx.TransportError:
            return
        assert payload["errors"] == [], payload
        acknowledged.append(title)


@pytest.mark.slow
async def test_every_acknowledged_posting_survives_a_sigkill(
    server: Server, tmp_path: Path
) -> None:
    # Processes on one database share its outbox: either may send a mail, so to one maildir.
    env = service_env(
        tmp_path / "var",
        DATABASE_URL=server.settings.database_url,
        MAIL_URL=f"maildir://{server.mail_dir}",
        RATE_LIMITS="off",
    )
    run_app_ok(
        env,
        *("staff", "create", "--office-code", "13010", "--office-name", "飯田橋"),
        *("--email", STAFF_EMAIL, "--password", flows.STAFF_PASSWORD),
    )
    first = UvicornProcess(env, tmp_path / "first.log")
    await asyncio.to_thread(first.__enter__)
    remote = dataclasses.replace(server, url=first.url)
    acknowledged: list[str] = []
    try:
        async with (
            httpx.AsyncClient(base_url=first.url, timeout=30) as staff_http,
            httpx.AsyncClient(base_url=first.url, timeout=30) as employer_http,
        ):
            staff = GraphQLClient(staff_http)
            await flows.log_in(remote, staff, "STAFF", STAFF_EMAIL, flows.STAFF_PASSWORD)
            counter = await flows.register_at_counter(staff)
            employer = GraphQLClient(employer_http)
            token = await flows.open_employer_account(remote, employer, counter, EMPLOYER_EMAIL)

            stream = [
                asyncio.create_task(create_postings_until_gone(employer, worker, acknowledged))
                for worker in range(WORKERS)
            ]
            while len(acknowledged) < KILL_AFTER_ACKNOWLEDGED:
                assert not any(task.done() for task in stream), [t.result() for t in stream]
                await asyncio.sleep(0.01)
            assert first.process is not None
            first.process.kill()  # SIGKILL: no shutdown, requests in flight
            await asyncio.to_thread(first.process.wait, 15)
            await asyncio.gather(*stream)
    finally:
        await asyncio.to_thread(first.stop)
    assert "Traceback" not in first.log

    second = UvicornProcess(env, tmp_path / "second.log")
    await asyncio.to_thread(second.__enter__)
    try:
        async with httpx.AsyncClient(base_url=second.url, timeout=30) as http:
            employer = GraphQLClient(http)
            employer.token = token  # the session outlived the crash
            after = await flows.create_posting(employer, jobTitle="再起動後")
            assert after["history"][0]["action"] == "CREATED"
    finally:
        await asyncio.to_thread(second.stop)
    assert "Traceback" not in second.log

    postings = await Posting.all()
    titles = {posting.job_title for posting in postings}
    assert set(acknowledged) <= titles, "an acknowledged posting is gone"
    assert "再起動後" in titles
    events = await PostingEvent.all()
    actions: dict[int, list[PostingAction]] = {posting.id: [] for posting in postings}
    for event in events:
        actions[event.posting_id].append(event.action)
    half_written = [
        posting.job_title for posting in postings if actions[posting.id] != [PostingAction.CREATED]
    ]
    assert half_written == []
    assert len(events) == len(postings)
