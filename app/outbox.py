"""The mail outbox: a mail is stored in the transaction of the change that causes it and sent
after the commit by the worker of any process (`app.tasks`), retried with backoff.

Before sending, a worker claims the row with a conditional UPDATE for `CLAIM_LEASE`, so no two
workers send the same mail, and the claim of a worker that died runs out and the mail is sent
by another. Only a worker that dies after the SMTP server took a mail and before the row is
marked sent can cause it to be sent twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import datetime as dt
import logging
import os
import uuid
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from tortoise.expressions import Q
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from app.db import Prepared
from app.mail import MailDeliveryError
from app.models import MailStatus, OutgoingMail

if TYPE_CHECKING:
    from app.runtime import Runtime

MAX_ATTEMPTS = 12
"""About two and a half hours of retries (5 s, 10 s, 20 s, … at most an hour apart)."""
FIRST_RETRY = dt.timedelta(seconds=5)
LONGEST_RETRY = dt.timedelta(hours=1)
CLAIM_LEASE = dt.timedelta(minutes=2)
"""Far longer than a send may take (the SMTP timeout is 15 seconds)."""
BATCH = 20

log = logging.getLogger(__name__)


class Outbox:
    """This process's part in the outbox: the name its worker claims mail under, and the
    signal that wakes the worker when a change with mail has committed."""

    def __init__(self) -> None:
        self.worker = f"{os.getpid()}-{uuid.uuid4().hex[:16]}"
        self._woken = asyncio.Event()

    def wake(self) -> None:
        self._woken.set()

    @property
    def woken(self) -> bool:
        """Woken, and the worker has not yet begun its round."""
        return self._woken.is_set()

    async def wait(self, seconds: float) -> None:
        """Until woken, or `seconds` at the most."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._woken.wait(), seconds)
        self._woken.clear()


_mailed: contextvars.ContextVar[list[bool] | None] = contextvars.ContextVar(
    "outbox_mailed", default=None
)
"""Inside a `transaction`: whether it has put mail in the outbox so far."""


@contextlib.asynccontextmanager
async def transaction(rt: Runtime) -> AsyncIterator[None]:
    """`in_transaction()` for a change that may mail: once it commits with mail, the worker
    is woken, so the mail leaves at once instead of at the worker's next round. A change that
    stored none wakes nobody (the worker would only look for due mail in vain)."""
    mailed = [False]
    token = _mailed.set(mailed)
    try:
        async with in_transaction():
            yield
    finally:
        _mailed.reset(token)
    if mailed[0]:
        rt.outbox.wake()


async def enqueue(rt: Runtime, to: str, subject: str, body: str) -> None:
    """Put a mail in the outbox, inside the `transaction` of the change that causes it."""
    now = rt.clock.now()
    await OutgoingMail.create(
        to=to, subject=subject, body=body, created_at=now, next_attempt_at=now
    )
    mailed = _mailed.get()
    if mailed is not None:
        mailed[0] = True


def retry_delay(attempts: int) -> dt.timedelta:
    """How long after its `attempts`-th failed attempt a mail is tried again."""
    doubled: dt.timedelta = FIRST_RETRY * 2 ** (attempts - 1)
    return min(doubled, LONGEST_RETRY)


def _claimable(now: dt.datetime) -> Q:
    return Q(status=MailStatus.PENDING, next_attempt_at__lte=now) & (
        Q(claimed_until__isnull=True) | Q(claimed_until__lte=now)
    )


def _now(rt: Runtime) -> dt.datetime:
    # In UTC, as stored: SQLite compares the stored text.
    return rt.clock.now().astimezone(dt.UTC)


# The worker's statements of every mail, by SQL built once (`app.db.Prepared`).
_DUE: Prepared[list[OutgoingMail]] = Prepared(
    lambda now: OutgoingMail.filter(_claimable(now)).order_by("next_attempt_at", "id").limit(BATCH)
)
_CLAIM: Prepared[int] = Prepared(
    lambda mail_id, now, until, worker: OutgoingMail.filter(_claimable(now), id=mail_id).update(
        claimed_until=until, claimed_by=worker
    )
)
_MARK_SENT: Prepared[int] = Prepared(
    lambda mail_id, worker, now: _still_mine(mail_id, worker).update(
        status=MailStatus.SENT, sent_at=now, claimed_until=None, body=""
    )
)


async def deliver_due(rt: Runtime) -> int:
    """Send every mail that is due and not claimed by another worker; the number sent."""
    sent = 0
    while True:
        due = await _DUE(_now(rt))
        for mail in due:
            if await _claim(rt, mail):
                sent += await _send(rt, mail)
        if len(due) < BATCH:
            return sent


async def _claim(rt: Runtime, mail: OutgoingMail) -> bool:
    now = _now(rt)
    return await _CLAIM(mail.id, now, now + CLAIM_LEASE, rt.outbox.worker) == 1


async def _send(rt: Runtime, mail: OutgoingMail) -> int:
    """Send a claimed mail: 1 when it left, 0 when it is to be tried again or given up."""
    try:
        await rt.mailer.send(mail.to, mail.subject, mail.body)
    except MailDeliveryError as exc:
        error = str(exc) or type(exc).__name__
    except Exception as exc:  # a fault of the mailer: count it, or the mail stays claimed
        log.exception("mail %s could not be handed to the mailer", mail.id)
        error = repr(exc)
    else:
        marked = await _MARK_SENT(mail.id, rt.outbox.worker, _now(rt))
        if not marked:
            log.warning("mail %s was sent after its claim ran out", mail.id)
        return 1
    await _count_failure(rt, mail, error)
    return 0


def _still_mine(mail_id: int, worker: str) -> QuerySet[OutgoingMail]:
    """The mail, as long as the claim of `worker` on it holds."""
    return OutgoingMail.filter(id=mail_id, status=MailStatus.PENDING, claimed_by=worker)


async def _count_failure(rt: Runtime, mail: OutgoingMail, error: str) -> None:
    attempts = mail.attempts + 1
    if attempts >= MAX_ATTEMPTS:
        await _still_mine(mail.id, rt.outbox.worker).update(
            status=MailStatus.FAILED,
            attempts=attempts,
            last_error=error,
            claimed_until=None,
            body="",
        )
        log.error(
            "mail %s 「%s」 given up after %d attempts: %s", mail.id, mail.subject, attempts, error
        )
        return
    next_attempt_at = _now(rt) + retry_delay(attempts)
    await _still_mine(mail.id, rt.outbox.worker).update(
        attempts=attempts, next_attempt_at=next_attempt_at, last_error=error, claimed_until=None
    )
    log.warning(
        "mail %s 「%s」 not sent (attempt %d), tried again at %s: %s",
        mail.id,
        mail.subject,
        attempts,
        next_attempt_at.isoformat(),
        error,
    )
