"""Work the service does by itself, on a timer, in every server process."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable

from app import outbox
from app.resolvers import due_notices, postings
from app.runtime import Runtime

log = logging.getLogger(__name__)


async def run_periodically(
    name: str,
    interval: float,
    job: Callable[[], Awaitable[object]],
    pause: Callable[[float], Awaitable[object]] = asyncio.sleep,
) -> None:
    """Run `job` now and then every `interval` seconds (or when `pause` ends earlier); a
    failure is logged, never fatal."""
    while True:
        try:
            outcome = await job()
        except Exception:  # the next round may well succeed; the loop must live on
            log.exception("periodic task %s failed", name)
        else:
            log.debug("periodic task %s: %s", name, outcome)
        await pause(interval)


async def expiry_round(rt: Runtime) -> tuple[postings.ExpiryResult, due_notices.DueNotices]:
    """What falls due with the days: postings expire (or renew, or lapse), then the notices of
    what is due are written; in that order, so a posting that just became invalid has its
    result reports noticed in the same round."""
    return await postings.expire_postings(rt), await due_notices.post_due_notices(rt)


@contextlib.asynccontextmanager
async def periodic_tasks(rt: Runtime) -> AsyncIterator[list[asyncio.Task[None]]]:
    """Start the periodic tasks for the life of the app: the posting expiry with the notices
    of what is due, and the mail outbox; `EXPIRY_INTERVAL_SECONDS=0` and
    `MAIL_INTERVAL_SECONDS=0` stop them.

    Running them in every process is safe: each posting and each mail is claimed by a
    conditional UPDATE, so two processes never expire or send the same one twice, and a due
    notice exists once under its unique key. They start
    at once, so work that fell due while the service was down is done on restart. The outbox
    also runs as soon as a change of this process that mails has committed.
    """
    tasks: list[asyncio.Task[None]] = []
    interval = rt.settings.expiry_interval_seconds
    if interval > 0:
        job = run_periodically("posting-expiry", interval, lambda: expiry_round(rt))
        tasks.append(asyncio.create_task(job, name="posting-expiry"))
    mail_interval = rt.settings.mail_interval_seconds
    if mail_interval > 0:
        mail = run_periodically(
            "mail-outbox", mail_interval, lambda: outbox.deliver_due(rt), pause=rt.outbox.wait
        )
        tasks.append(asyncio.create_task(mail, name="mail-outbox"))
    try:
        yield tasks
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await rt.mailer.close()  # the connection the mail worker kept open
