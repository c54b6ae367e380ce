"""The results of a selection (DESIGN.md §5), two of them for two audiences, separate from
the status and from each other: the report to Hello Work (選考結果登録), which locks after the end
of the third month after the posting became invalid, and telling the applicant (選考結果連絡);
and the reports still due, which the counter chases by phone."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from tortoise.transactions import in_transaction

from app import outbox
from app.clock import TOKYO
from app.errors import ErrorCode, user_error
from app.models import Application, Portal, Posting
from app.models.applications import NoticeMethod, RejectionReason, ReportedResult
from app.resolvers import applications, events, messages, validation
from app.resolvers.paging import Page, Window, columns_page
from app.runtime import Runtime
from app.viewer import Viewer

RESULT_NOTE_MAX_LENGTH = 500


# --- The result reported to Hello Work (選考結果登録) ---------------------------------------


@dataclass(frozen=True)
class ResultReport:
    """選考結果登録: 採用 with the planned start date and whether the conditions differ from
    the posting; 不採用 with a reason from the fixed list and text; or 応募者辞退."""

    result: ReportedResult
    hire_date: dt.date | None = None
    conditions_differ: bool = False
    rejection_reason: RejectionReason | None = None
    note: str = ""


def _report_changes(
    form: validation.Form, report: ResultReport, applied_on: dt.date
) -> dict[str, Any]:
    note = report.note.strip()
    if len(note) > RESULT_NOTE_MAX_LENGTH:
        form.too_long("note", "記載事項", RESULT_NOTE_MAX_LENGTH)
    if report.result is ReportedResult.HIRED:
        if report.hire_date is None:
            form.error(
                ErrorCode.REQUIRED,
                "採用の場合は採用予定日（入社日）を入力してください。",
                "hire_date",
            )
        elif report.hire_date < applied_on:
            form.error(
                ErrorCode.OUT_OF_RANGE,
                "採用予定日は応募日以降の日付を入力してください。",
                "hire_date",
            )
    elif report.hire_date is not None or report.conditions_differ:
        form.error(
            ErrorCode.INCONSISTENT,
            "採用予定日と労働条件の相違は、採用の場合にだけ入力します。",
            "hire_date",
        )
    if report.result is ReportedResult.REJECTED:
        if report.rejection_reason is None:
            form.error(ErrorCode.REQUIRED, "不採用の理由を選んでください。", "rejection_reason")
        elif report.rejection_reason is RejectionReason.OTHER and not note:
            form.error(
                ErrorCode.REQUIRED,
                "不採用の理由が「その他」の場合は内容を入力してください。",
                "note",
            )
    elif report.rejection_reason is not None:
        form.error(
            ErrorCode.INCONSISTENT,
            "不採用の理由は、不採用の場合にだけ選びます。",
            "rejection_reason",
        )
    return {
        "reported_result": report.result,
        "hire_date": report.hire_date,
        "conditions_differ": report.conditions_differ,
        "rejection_reason": report.rejection_reason,
        "result_note": note,
    }


async def report_result(
    rt: Runtime, viewer: Viewer, *, application_id: int, report: ResultReport
) -> Application:
    """Report (or correct) the result to Hello Work: by an employer of the establishment, or
    by staff of its office for a report the employer phoned in (`reported_by` says who).
    Refused from the day the result is locked, the day after the end of the third month after
    the posting became invalid (RESULT_LOCKED)."""
    user, application = await applications.application_for(viewer, application_id)
    if user.portal == Portal.SEEKER:
        raise applications.application_not_found()
    form = validation.Form()
    changes = _report_changes(form, report, application.created_at.astimezone(TOKYO).date())
    form.done()
    now = rt.clock.now()
    async with in_transaction():
        posting = await Posting.select_for_update().get(id=application.posting_id)
        if applications.is_result_locked(posting, rt.clock.today()):
            raise applications.result_locked(posting, "result")
        await Application.filter(id=application.id).update(
            **changes, reported_at=now, reported_by_id=user.id, updated_at=now
        )
    return await Application.get(id=application.id)


# --- Telling the applicant (選考結果連絡) ---------------------------------------------------


async def notify_result(
    rt: Runtime,
    viewer: Viewer,
    *,
    application_id: int,
    method: NoticeMethod,
    message: str = "",
    notified_at: dt.datetime | None = None,
) -> Application:
    """Tell the applicant the result (採用 or 不採用), as the establishment must.

    By message (MESSAGE) to a My Page holder: the message is sent now. Otherwise the employer
    did it directly (phone, mail, post, in person) and the service records when (`notified_at`,
    not in the future, not before the application; now when not given) and how.
    """
    user = viewer.require_employer()
    _, application = await applications.application_for(viewer, application_id)
    if application.status not in applications.RESULTS:
        raise user_error(
            ErrorCode.INVALID_STATE,
            "採用または不採用を決定してから、応募者に結果を連絡してください。",
            "application_id",
        )
    now = rt.clock.now()
    form = validation.Form()
    body = ""
    when = now
    if method is NoticeMethod.MESSAGE:
        if application.seeker_id is None:
            form.check(lambda: _raise_unreachable())
        body = form.check(lambda: messages.checked_body(message, "message")) or ""
        if notified_at is not None:
            form.error(
                ErrorCode.INCONSISTENT,
                "メッセージで連絡する場合、連絡日時は送信した時刻になります。",
                "notified_at",
            )
    elif notified_at is not None and form.check(
        lambda: validation.aware_datetime("notified_at", notified_at, "連絡日時")
    ):
        when = notified_at
        if when > now:
            form.error(
                ErrorCode.OUT_OF_RANGE, "連絡日時に未来の日時は指定できません。", "notified_at"
            )
        elif when < application.created_at:
            form.error(
                ErrorCode.OUT_OF_RANGE,
                "連絡日時は応募日時より後の日時を指定してください。",
                "notified_at",
            )
    form.done()
    event = None
    async with outbox.transaction(rt):
        if body:
            event = await messages.write_to_applicant(
                rt, application, employer_id=user.id, body=body, now=now
            )
        await Application.filter(id=application.id).update(
            notified_at=when, notified_method=method, notified_by_id=user.id, updated_at=now
        )
    if event is not None:
        await events.publish(rt, event)
    return await Application.get(id=application.id)


def _raise_unreachable() -> None:
    raise messages.walk_in_unreachable("method")


# --- Reports due ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportDue:
    """An applicant whose result is not reported yet, and until when it can be."""

    application: Application
    locked_from: dt.date | None
    """The first day the report is refused; None while the posting is valid (no lock yet)."""


DUE_ORDER = ("establishment_id", "id")
"""The order of the reports due: establishment by establishment, oldest application first (on
the (establishment_id, reported_result, id) index)."""

DuePosition = tuple[int, int]
"""Where a report due stands in the list: its establishment's id and its application's id."""


async def result_reports_due(
    rt: Runtime,
    viewer: Viewer,
    *,
    establishment_id: int | None = None,
    window: Window[DuePosition],
) -> Page[ReportDue]:
    """Every applicant without a reported result, oldest first: of the employer's
    establishment, or, for staff, across their office (what the counter chases by phone),
    establishment by establishment (`DUE_ORDER`)."""
    user = viewer.require_employer_or_staff()
    query = Application.filter(reported_result__isnull=True)
    if user.portal == Portal.EMPLOYER:
        query = query.filter(establishment_id=user.establishment_id)
    else:
        query = query.filter(establishment__office_id=user.office_id)
        if establishment_id is not None:
            query = query.filter(establishment_id=establishment_id)
    page = await columns_page(query, window, order=DUE_ORDER)
    invalidated = dict(
        await Posting.filter(id__in={row.posting_id for row in page.items}).values_list(
            "id", "invalidated_at"
        )
    )
    return Page(
        items=[
            ReportDue(
                application=row,
                locked_from=(
                    applications.result_locked_from(invalidated[row.posting_id])
                    if invalidated.get(row.posting_id) is not None
                    else None
                ),
            )
            for row in page.items
        ],
        has_next_page=page.has_next_page,
        has_previous_page=page.has_previous_page,
        count=page.count,
    )
