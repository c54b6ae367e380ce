"""The mail outbox: stored with the change, sent after the commit, claimed so that no two
workers send one mail, retried with backoff, given up (and kept) after the last attempt.

The in-process tests run `deliver_due` themselves, as other processes would: each with its own
worker name and mailer, on a clock a day ahead of the server's, so that the server's own
worker (which runs whenever a change of the server commits mail) never finds their mail due.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import inspect
import logging
import re
import threading
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
import pytest
from aiosmtpd.smtp import SMTP, Envelope, Session
from tortoise.transactions import in_transaction

from app import outbox
from app.clock import Clock, MovableClock
from app.mail import MailDeliveryError
from app.models import MailStatus, OutgoingMail
from app.outbox import CLAIM_LEASE, MAX_ATTEMPTS, Outbox, retry_delay
from app.runtime import Runtime
from tests import flows
from tests.conftest import START, GraphQLClient, Server, mail_body
from tests.processes import (
    MailCatcher,
    UvicornProcess,
    postgres_url_from_environment,
    run_app_ok,
    service_env,
    smtp_server,
)

AHEAD = START + dt.timedelta(days=1)


class FakeMailer:
    """Records what it sends; fails the first `failures` attempts, takes `delay` per mail."""

    def __init__(self, failures: int = 0, delay: float = 0, sent: list[str] | None = None) -> None:
        self.failures = failures
        self.delay = delay
        self.attempts = 0
        self.sent = [] if sent is None else sent

    async def send(self, to: str, subject: str, body: str) -> None:
        self.attempts += 1
        await asyncio.sleep(self.delay)
        if self.failures:
            self.failures -= 1
            raise MailDeliveryError("connection refused")
        self.sent.append(subject)


class HangingMailer:
    """A send that never ends: the process dies in the middle of it."""

    def __init__(self) -> None:
        self.started = asyncio.Event()

    async def send(self, to: str, subject: str, body: str) -> None:
        self.started.set()
        await asyncio.Event().wait()


def other_process(server: Server, mailer: object, clock: MovableClock | None = None) -> Runtime:
    return dataclasses.replace(
        server.rt,
        clock=clock or MovableClock(AHEAD),
        mailer=mailer,  # type: ignore[arg-type]
        outbox=Outbox(),
    )


async def store(rt: Runtime, count: int = 1) -> None:
    """Mail committed by a change (without waking anybody's worker)."""
    async with in_transaction():
        for n in range(count):
            await outbox.enqueue(rt, f"hr{n}@care.example.jp", f"お知らせ {n}", f"本文 {n}")


async def test_a_change_that_mails_wakes_the_worker_and_the_mail_leaves_once(
    server: Server,
) -> None:
    async with outbox.transaction(server.rt):
        await outbox.enqueue(server.rt, "woken@outbox.example.jp", "お知らせ", "本文です")

    [message] = await server.mails_to("woken@outbox.example.jp")
    assert mail_body(message) == "本文です\n"
    row = await OutgoingMail.get(to="woken@outbox.example.jp")
    assert row.status == MailStatus.SENT
    assert row.sent_at == START
    assert row.claimed_by == server.rt.outbox.worker
    assert row.body == "", "a sent mail's body (keys, one-time passwords) is not kept"
    assert await outbox.deliver_due(server.rt) == 0


async def test_a_change_without_mail_wakes_no_worker(server: Server) -> None:
    async with outbox.transaction(server.rt):
        pass
    assert not server.rt.outbox.woken, "nothing to send: the worker is left asleep"

    async with outbox.transaction(server.rt):
        await outbox.enqueue(server.rt, "after-commit@outbox.example.jp", "お知らせ", "本文です")
        assert not server.rt.outbox.woken, "not before the commit"
    [message] = await server.mails_to("after-commit@outbox.example.jp")
    assert mail_body(message) == "本文です\n"


async def test_a_change_rolled_back_mails_nothing(server: Server) -> None:
    async def failing_change() -> None:
        async with outbox.transaction(server.rt):
            await outbox.enqueue(server.rt, "rolled-back@outbox.example.jp", "お知らせ", "本文です")
            raise RuntimeError("the change fails")

    with pytest.raises(RuntimeError):
        await failing_change()

    assert not await OutgoingMail.exists()
    assert await server.mails_to("rolled-back@outbox.example.jp") == []


def test_the_retry_delay_doubles_up_to_an_hour() -> None:
    delays = [retry_delay(n).total_seconds() for n in range(1, MAX_ATTEMPTS)]
    assert delays[:5] == [5, 10, 20, 40, 80]
    assert max(delays) == delays[-1] == 3600


async def test_a_failed_mail_is_not_retried_before_its_next_attempt_and_is_at_it(
    server: Server,
) -> None:
    mailer = FakeMailer(failures=2)
    rt = other_process(server, mailer)
    clock = rt.clock
    assert isinstance(clock, MovableClock)
    await store(rt)

    assert await outbox.deliver_due(rt) == 0
    row = await OutgoingMail.get()
    assert (row.attempts, row.last_error, row.claimed_until) == (1, "connection refused", None)
    assert row.next_attempt_at == AHEAD + dt.timedelta(seconds=5)

    clock.advance(seconds=5, microseconds=-1)
    assert await outbox.deliver_due(rt) == 0
    assert mailer.attempts == 1
    clock.advance(microseconds=1)
    assert await outbox.deliver_due(rt) == 0
    assert mailer.attempts == 2
    row = await OutgoingMail.get()
    assert row.next_attempt_at == AHEAD + dt.timedelta(seconds=5 + 10)

    clock.advance(seconds=10)
    assert await outbox.deliver_due(rt) == 1
    assert mailer.sent == ["お知らせ 0"]
    row = await OutgoingMail.get()
    assert (row.status, row.attempts, row.sent_at) == (MailStatus.SENT, 2, clock.now())
    assert await outbox.deliver_due(rt) == 0
    assert mailer.attempts == 3


async def test_after_the_last_attempt_the_mail_is_given_up_logged_and_kept(
    server: Server, caplog: pytest.LogCaptureFixture
) -> None:
    mailer = FakeMailer(failures=MAX_ATTEMPTS)
    rt = other_process(server, mailer)
    clock = rt.clock
    assert isinstance(clock, MovableClock)
    await store(rt)

    with caplog.at_level(logging.WARNING, logger="app.outbox"):
        for attempt in range(1, MAX_ATTEMPTS + 1):
            assert await outbox.deliver_due(rt) == 0
            clock.advance(seconds=retry_delay(attempt).total_seconds())

    assert mailer.attempts == MAX_ATTEMPTS
    row = await OutgoingMail.get()
    assert (row.status, row.attempts, row.body) == (MailStatus.FAILED, MAX_ATTEMPTS, "")
    assert (row.to, row.subject, row.last_error) == (
        "hr0@care.example.jp",
        "お知らせ 0",
        "connection refused",
    )
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert [f"given up after {MAX_ATTEMPTS} attempts" in r.getMessage() for r in errors] == [True]
    assert "hr0@care.example.jp" not in caplog.text, "addresses stay out of the log"
    clock.advance(days=1)
    assert await outbox.deliver_due(rt) == 0
    assert mailer.attempts == MAX_ATTEMPTS


async def test_the_claim_of_a_worker_that_died_runs_out_and_another_sends(
    server: Server,
) -> None:
    hanging = HangingMailer()
    clock = MovableClock(AHEAD)
    dead = other_process(server, hanging, clock)
    alive_mailer = FakeMailer()
    alive = other_process(server, alive_mailer, clock)
    await store(dead)

    worker = asyncio.create_task(outbox.deliver_due(dead))
    await asyncio.wait_for(hanging.started.wait(), 5)
    worker.cancel()  # the process is gone in the middle of the send
    with contextlib.suppress(asyncio.CancelledError):
        await worker
    row = await OutgoingMail.get()
    assert (row.claimed_by, row.claimed_until) == (dead.outbox.worker, AHEAD + CLAIM_LEASE)

    clock.advance(seconds=CLAIM_LEASE.total_seconds(), microseconds=-1)
    assert await outbox.deliver_due(alive) == 0
    clock.advance(microseconds=1)
    assert await outbox.deliver_due(alive) == 1

    assert alive_mailer.sent == ["お知らせ 0"]
    row = await OutgoingMail.get()
    assert (row.status, row.claimed_by) == (MailStatus.SENT, alive.outbox.worker)


async def test_two_workers_at_once_send_each_mail_once(server: Server) -> None:
    sent: list[str] = []
    clock = MovableClock(AHEAD)
    workers = [other_process(server, FakeMailer(delay=0.005, sent=sent), clock) for _ in "ab"]
    await store(workers[0], count=30)

    delivered = await asyncio.gather(*(outbox.deliver_due(rt) for rt in workers))

    assert sum(delivered) == 30
    assert sorted(sent) == sorted(f"お知らせ {n}" for n in range(30))
    assert all(delivered), f"both workers took part: {delivered}"
    senders = Counter(row.claimed_by for row in await OutgoingMail.all())
    assert senders == {rt.outbox.worker: n for rt, n in zip(workers, delivered, strict=True)}


# --- Real processes ---------------------------------------------------------------------------


class GatedCatcher(MailCatcher):
    """Holds every message at DATA until `release`; counts the senders waiting there."""

    def __init__(self) -> None:
        super().__init__()
        self.waiting = 0
        self._open = threading.Event()

    def release(self) -> None:
        self._open.set()

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.waiting += 1
        await asyncio.to_thread(self._open.wait)
        return await super().handle_DATA(server, session, envelope)


async def until(condition: Callable[[], bool | Awaitable[bool]], within: float = 20) -> None:
    for _ in range(int(within / 0.05)):
        result = condition()
        if await result if inspect.isawaitable(result) else result:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"not within {within} s")


async def nothing_pending() -> bool:
    return not await OutgoingMail.exists(status=MailStatus.PENDING)


@pytest.mark.slow
async def test_two_processes_send_each_mail_exactly_once(server: Server, tmp_path: Path) -> None:
    """Two server processes on one database, both running the outbox worker: each mail
    reaches the SMTP server once. The SMTP server holds the first message of each until both
    processes have claimed one, so both certainly take part."""
    now = dt.datetime.now(dt.UTC)
    # The test server's own worker finds nothing due: its clock is a day behind the mail.
    server.clock.set(now - dt.timedelta(days=1))
    await store(dataclasses.replace(server.rt, clock=Clock(), outbox=Outbox()), count=40)
    database = postgres_url_from_environment() or server.settings.database_url
    catcher = GatedCatcher()
    with smtp_server(catcher) as (_, smtp_port):
        processes = [
            UvicornProcess(
                service_env(
                    tmp_path / f"var{n}",
                    DATABASE_URL=database,
                    MAIL_URL=f"smtp://127.0.0.1:{smtp_port}",
                    MAIL_INTERVAL_SECONDS="1",
                    EXPIRY_INTERVAL_SECONDS="0",
                ),
                tmp_path / f"uvicorn{n}.log",
            )
            for n in (1, 2)
        ]
        try:
            await asyncio.to_thread(processes[0].__enter__)
            await until(lambda: catcher.waiting == 1)
            await asyncio.to_thread(processes[1].__enter__)
            await until(lambda: catcher.waiting == 2)
            catcher.release()
            await until(nothing_pending)
        finally:
            for process in processes:
                await asyncio.to_thread(process.stop)

    subjects = Counter(mail.subject for mail in catcher.received)
    assert subjects == {f"お知らせ {n}": 1 for n in range(40)}
    rows = await OutgoingMail.all()
    assert {row.status for row in rows} == {MailStatus.SENT}
    assert len({row.claimed_by for row in rows}) == 2, "both processes sent"
    for process in processes:
        assert "Traceback" not in process.log, process.log


STAFF_EMAIL = "staff@iidabashi.example.jp"  # made by `python -m app demo`
STAFF_PASSWORD = "Counter#2026"


@pytest.mark.slow
async def test_a_mail_committed_before_a_sigkill_is_sent_after_the_restart(
    tmp_path: Path,
) -> None:
    """The first process answers a login and dies (SIGKILL) before the one-time password has
    left: its worker is off, so the mail is certainly still in the outbox then (in production
    the window is the milliseconds between the commit and the send). The next process on the
    database sends it at start-up, once, and the one-time password in it works."""
    with smtp_server() as (catcher, smtp_port):
        env = service_env(
            tmp_path / "var", MAIL_URL=f"smtp://127.0.0.1:{smtp_port}", MAIL_INTERVAL_SECONDS="0"
        )
        run_app_ok(env, "migrate")
        run_app_ok(env, "demo")
        login = {"input": {"portal": "STAFF", "email": STAFF_EMAIL, "password": STAFF_PASSWORD}}
        first = UvicornProcess(env, tmp_path / "first.log")
        await asyncio.to_thread(first.__enter__)
        try:
            async with httpx.AsyncClient(base_url=first.url, timeout=30) as http:
                payload = (await GraphQLClient(http).execute(flows.LOGIN, login))["login"]
            assert payload["errors"] == [], payload
            assert first.process is not None
            first.process.kill()
            await asyncio.to_thread(first.process.wait, 15)
        finally:
            await asyncio.to_thread(first.stop)
        assert catcher.received == []

        second = UvicornProcess({**env, "MAIL_INTERVAL_SECONDS": "10"}, tmp_path / "second.log")
        await asyncio.to_thread(second.__enter__)
        try:
            mail = await catcher.last_to(STAFF_EMAIL)
            otp = re.search(r"ワンタイムパスワード: (\d{6})", mail.body)
            assert otp, mail.body
            verify = {"input": {"challengeId": payload["otpChallenge"]["id"], "otp": otp[1]}}
            async with httpx.AsyncClient(base_url=second.url, timeout=30) as http:
                verified = await GraphQLClient(http).execute(flows.VERIFY_OTP, verify)
            assert verified["loginVerifyOtp"]["errors"] == [], verified
        finally:
            await asyncio.to_thread(second.stop)
    assert [m.subject for m in catcher.received] == ["ワンタイムパスワードのお知らせ"]
    assert "Traceback" not in second.log
