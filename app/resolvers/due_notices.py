"""The notices the service writes by itself when something falls due: 本登録 at the counter
for a submitted posting, and the result report (選考結果) of an application whose posting
became invalid. A periodic job (`app.tasks`) runs `post_due_notices`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Subquery
from tortoise.transactions import in_transaction

from app.clock import TOKYO
from app.japanese import japanese_era_date
from app.models import Application, HelloWorkNotice, Posting
from app.models.counter import NoticeKind
from app.models.postings import PostingStatus
from app.resolvers import events
from app.resolvers.applications import RESULT_LOCK_MONTHS, result_locked_from
from app.resolvers.notices import post
from app.runtime import Runtime

# --- Notices of what falls due ------------------------------------------------------------


@dataclass(frozen=True)
class DueNotices:
    """What one round of `post_due_notices` wrote."""

    counter_registration: int
    result_report: int


async def post_due_notices(rt: Runtime) -> DueNotices:
    """Write the notices of what is due, each once, and announce them:

    - 本登録 (COUNTER_REGISTRATION_DUE): a submitted posting that needs it and is not
      confirmed yet, as soon as a round sees it, with its last day;
    - 選考結果登録 (RESULT_REPORT_DUE): an application without a reported result whose posting
      became invalid, while the report can still be made, with its last day.

    Idempotent and safe with several processes: the `dedup_key` of each notice is unique, and
    the process whose write loses the race leaves it to the other.
    """
    today, now = rt.clock.today(), rt.clock.now()
    counter = 0
    for posting in await _counter_registrations_due(today):
        counter += await _post_once(rt, _counter_registration_notice(posting, now))
    reports = 0
    for application, last_day in await _result_reports_due(today):
        reports += await _post_once(rt, _result_report_notice(application, last_day, now))
    return DueNotices(counter_registration=counter, result_report=reports)


@dataclass(frozen=True)
class _Due:
    establishment_id: int
    kind: NoticeKind
    title: str
    body: str
    due_on: dt.date
    dedup_key: str
    now: dt.datetime
    posting_id: int | None = None
    application_id: int | None = None


async def _post_once(rt: Runtime, due: _Due) -> bool:
    try:
        async with in_transaction():
            posted = await post(
                establishment_id=due.establishment_id,
                kind=due.kind,
                title=due.title,
                body=due.body,
                now=due.now,
                posting_id=due.posting_id,
                application_id=due.application_id,
                due_on=due.due_on,
                dedup_key=due.dedup_key,
            )
    except IntegrityError:  # another process wrote it between the check and the insert
        return False
    if posted is None:
        return False
    await events.publish(rt, posted.event)
    return True


def _without_notice(kind: NoticeKind, field: str) -> Subquery:
    """The ids (`posting_id` or `application_id`) that already have a notice of `kind`: a
    round reads only what it has not written yet (the dedup key still decides)."""
    return Subquery(HelloWorkNotice.filter(kind=kind, **{f"{field}__isnull": False}).values(field))


async def _counter_registrations_due(today: dt.date) -> list[Posting]:
    return (
        await Posting.filter(
            status=PostingStatus.SUBMITTED,
            counter_registration_due_on__gte=today,
            counter_registration_confirmed_at__isnull=True,
        )
        .exclude(id__in=_without_notice(NoticeKind.COUNTER_REGISTRATION_DUE, "posting_id"))
        .order_by("id")
    )


def _counter_registration_notice(posting: Posting, now: dt.datetime) -> _Due:
    due_on = posting.counter_registration_due_on
    assert due_on is not None
    return _Due(
        establishment_id=posting.establishment_id,
        kind=NoticeKind.COUNTER_REGISTRATION_DUE,
        title="本登録の手続きのお願い",
        body=f"{japanese_era_date(due_on)}までにハローワークの窓口で本登録の手続きをしてください。",
        due_on=due_on,
        dedup_key=f"counter-registration-due:{posting.id}",
        now=now,
        posting_id=posting.id,
    )


def _first_unlocked_invalidation(today: dt.date) -> dt.datetime:
    """The earliest moment a posting can have become invalid for its results to be open still
    today: the first day of the month `RESULT_LOCK_MONTHS` months before this one (Tokyo)."""
    month_index = today.year * 12 + today.month - 1 - RESULT_LOCK_MONTHS
    year, month = divmod(month_index, 12)
    return dt.datetime(year, month + 1, 1, tzinfo=TOKYO)


async def _result_reports_due(today: dt.date) -> list[tuple[Application, dt.date]]:
    """The applications of `resultReportsDue` whose report now has a last day (their posting
    became invalid) that has not passed; with that day."""
    rows = (
        await Application.filter(
            reported_result__isnull=True,
            posting__invalidated_at__gte=_first_unlocked_invalidation(today),
        )
        .exclude(id__in=_without_notice(NoticeKind.RESULT_REPORT_DUE, "application_id"))
        .select_related("posting")
        .order_by("id")
    )
    due = []
    for application in rows:
        invalidated_at = application.posting.invalidated_at
        assert invalidated_at is not None
        locked_from = result_locked_from(invalidated_at)
        if today < locked_from:
            due.append((application, locked_from - dt.timedelta(days=1)))
    return due


def _result_report_notice(application: Application, last_day: dt.date, now: dt.datetime) -> _Due:
    return _Due(
        establishment_id=application.establishment_id,
        kind=NoticeKind.RESULT_REPORT_DUE,
        title="選考結果の登録のお願い",
        body=(
            f"求人（{application.posting.job_title}）が無効となりました。応募者の選考結果を"
            f"{japanese_era_date(last_day)}までに登録してください。"
        ),
        due_on=last_day,
        dedup_key=f"result-report-due:{application.id}",
        now=now,
        posting_id=application.posting_id,
        application_id=application.id,
    )
