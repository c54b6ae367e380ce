"""Interviews (面接): an employer sets the date, time and place (or the online link) of an
applicant's interview, or cancels it; the applicant with a My Page is told by message.

Scheduling and cancelling are each written in one transaction with the stored event
(INTERVIEW_CHANGED) and, for a My Page holder, the message; both are published after the
commit. An interview does not move the application: the employer does that.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import urlsplit

from app import outbox
from app.errors import ErrorCode, UserErrors, user_error
from app.japanese import is_half_width, tokyo_minute
from app.models import Application, Interview, Posting, User
from app.models.applications import ApplicationStatus
from app.models.events import Event, EventKind
from app.resolvers import events, messages, validation
from app.resolvers.applications import seen_by, visible_applications
from app.runtime import Runtime
from app.viewer import Viewer

DURATION_MIN_MINUTES = 1
DURATION_MAX_MINUTES = 480
PLACE_MAX_LENGTH = 200
ONLINE_URL_MAX_LENGTH = 500
NOTE_MAX_LENGTH = 1000
REASON_MAX_LENGTH = 500
# With these limits the message stays well within `messages.BODY_MAX_LENGTH`.

UNDER_SELECTION = frozenset(
    {ApplicationStatus.APPLIED, ApplicationStatus.SCREENING, ApplicationStatus.INTERVIEW}
)
"""An interview is set only while the selection is under way: not after a result or 辞退."""


class InterviewChange(StrEnum):
    """What an INTERVIEW_CHANGED event reports."""

    SCHEDULED = "SCHEDULED"
    """面接の設定 (an interview was set)"""
    CANCELLED = "CANCELLED"
    """面接の取消 (an interview was cancelled; it stays, with when and why)"""


@dataclass(frozen=True)
class Changed:
    """An interview as scheduled or cancelled, and whether the applicant was told by message
    (False for a person without a My Page, whom the employer contacts by phone or mail)."""

    interview: Interview
    message_sent: bool


def _application_not_found() -> UserErrors:
    return user_error(ErrorCode.NOT_FOUND, "応募が見つかりません。", "application_id")


def _interview_not_found() -> UserErrors:
    return user_error(ErrorCode.NOT_FOUND, "面接が見つかりません。", "interview_id")


def _selection_over() -> UserErrors:
    return user_error(
        ErrorCode.INVALID_STATE,
        "選考が終了した応募（採用・不採用・辞退）には面接を設定できません。",
        "application_id",
    )


def _check_starts_at(starts_at: dt.datetime, now: dt.datetime) -> None:
    validation.aware_datetime("starts_at", starts_at, "面接日時")
    if starts_at <= now:
        raise user_error(
            ErrorCode.OUT_OF_RANGE, "面接日時には現在より後の日時を指定してください。", "starts_at"
        )


def _check_duration(minutes: int) -> None:
    if not DURATION_MIN_MINUTES <= minutes <= DURATION_MAX_MINUTES:
        raise user_error(
            ErrorCode.OUT_OF_RANGE,
            f"所要時間は{DURATION_MIN_MINUTES}分から{DURATION_MAX_MINUTES}分の範囲で"
            "入力してください。",
            "duration_minutes",
        )


def _online_url(value: str) -> str:
    """An https address of at most 500 half-width characters, or nothing."""
    value = value.strip()
    if not value:
        return ""
    if len(value) > ONLINE_URL_MAX_LENGTH:
        raise user_error(
            ErrorCode.TOO_LONG,
            f"オンライン面接のURLは{ONLINE_URL_MAX_LENGTH}文字以内で入力してください。",
            "online_url",
        )
    parts = urlsplit(value)
    if not is_half_width(value) or parts.scheme != "https" or not parts.hostname:
        raise user_error(
            ErrorCode.INVALID_FORMAT,
            "オンライン面接のURLは「https://」で始まる半角のURLを入力してください。",
            "online_url",
        )
    return value


def _check_where(place: str | None, online_url: str | None) -> None:
    # Only when both were checked: a failed one already says what is wrong with it.
    if place == "" and online_url == "":
        raise user_error(
            ErrorCode.REQUIRED,
            "面接の場所またはオンライン面接のURLのいずれかを入力してください。",
            "place",
        )


async def schedule_interview(
    rt: Runtime,
    viewer: Viewer,
    *,
    application_id: int,
    starts_at: dt.datetime,
    duration_minutes: int,
    place: str = "",
    online_url: str = "",
    note: str = "",
) -> Changed:
    """Set an interview of an application to the employer's establishment, while the
    selection is under way: in the future, 1 to 480 minutes, at a place or online (https) or
    both, with a note to the applicant. A My Page holder is told by message."""
    user = viewer.require_employer()
    application = await Application.get_or_none(
        id=application_id, establishment_id=user.establishment_id
    )
    if application is None:
        raise _application_not_found()
    if application.status not in UNDER_SELECTION:
        raise _selection_over()
    now = rt.clock.now()
    form = validation.Form()
    form.check(lambda: _check_starts_at(starts_at, now))
    form.check(lambda: _check_duration(duration_minutes))
    where = form.check(
        lambda: validation.plain_text(
            "place", place, "面接の場所", PLACE_MAX_LENGTH, required=False
        )
    )
    url = form.check(lambda: _online_url(online_url))
    form.check(lambda: _check_where(where, url))
    text = form.check(
        lambda: validation.plain_text("note", note, "連絡事項", NOTE_MAX_LENGTH, required=False)
    )
    form.done()
    tell = await _reachable(application)
    job_title = await _job_title(application) if tell else ""
    async with outbox.transaction(rt):
        # Queues behind a status move of the same application, then sees its result.
        current = await Application.select_for_update().get(id=application.id)
        if current.status not in UNDER_SELECTION:
            raise _selection_over()
        interview = await Interview.create(
            application_id=application.id,
            establishment_id=application.establishment_id,
            starts_at=starts_at.astimezone(dt.UTC),
            duration_minutes=duration_minutes,
            place=where,
            online_url=url,
            note=text,
            scheduled_by_id=user.id,
            created_at=now,
        )
        body = _scheduled_text(job_title, interview) if tell else None
        recorded = await _record(rt, user, application, interview, body, now)
    for event in recorded:
        await events.publish(rt, event)
    return Changed(interview=interview, message_sent=tell)


async def cancel_interview(
    rt: Runtime, viewer: Viewer, *, interview_id: int, reason: str = ""
) -> Changed:
    """Cancel an interview of the employer's establishment, with a reason of at most 500
    characters told to the applicant; the interview stays, with when and why."""
    user = viewer.require_employer()
    interview = await Interview.get_or_none(id=interview_id, establishment_id=user.establishment_id)
    if interview is None:
        raise _interview_not_found()
    text = validation.plain_text("reason", reason, "取消の理由", REASON_MAX_LENGTH, required=False)
    if interview.cancelled_at is not None:
        raise _already_cancelled()
    application = await Application.get(id=interview.application_id)
    tell = await _reachable(application)
    job_title = await _job_title(application) if tell else ""
    now = rt.clock.now()
    async with outbox.transaction(rt):
        cancelled = await Interview.filter(id=interview.id, cancelled_at__isnull=True).update(
            cancelled_at=now, cancel_reason=text
        )
        if not cancelled:
            raise _already_cancelled()
        interview.cancelled_at, interview.cancel_reason = now, text
        body = _cancelled_text(job_title, interview) if tell else None
        recorded = await _record(rt, user, application, interview, body, now)
    for event in recorded:
        await events.publish(rt, event)
    return Changed(interview=interview, message_sent=tell)


def _already_cancelled() -> UserErrors:
    return user_error(
        ErrorCode.INVALID_STATE, "この面接はすでに取り消されています。", "interview_id"
    )


async def _reachable(application: Application) -> bool:
    """Whether the applicant can be told by message: a My Page holder whose account is open."""
    return application.seeker_id is not None and await messages.has_relation(
        application.establishment_id, application.seeker_id
    )


async def _job_title(application: Application) -> str:
    posting = await Posting.get(id=application.posting_id)
    return posting.job_title or ""


async def _record(
    rt: Runtime,
    employer: User,
    application: Application,
    interview: Interview,
    body: str | None,
    now: dt.datetime,
) -> list[Event]:
    """The interview's event and, with a `body`, the message telling the applicant; call in
    the change's `outbox.transaction`, publish them after the commit."""
    recorded = [
        await events.record(
            EventKind.INTERVIEW_CHANGED,
            establishment_id=application.establishment_id,
            seeker_id=application.seeker_id or events.NO_SEEKER,
            now=now,
            interview_id=interview.id,
        )
    ]
    if body is not None:
        recorded.append(
            await messages.write_to_applicant(
                rt, application, employer_id=employer.id, body=body, now=now
            )
        )
    return recorded


def _when(interview: Interview) -> str:
    return f"{tokyo_minute(interview.starts_at)}から{interview.duration_minutes}分"


def _where(interview: Interview) -> list[str]:
    lines = []
    if interview.place:
        lines.append(f"場所：{interview.place}")
    if interview.online_url:
        lines.append(f"オンライン面接のURL：{interview.online_url}")
    return lines


def _subject(job_title: str) -> str:
    return f"「{job_title}」へのご応募" if job_title else "ご応募"


def _scheduled_text(job_title: str, interview: Interview) -> str:
    lines = [
        f"{_subject(job_title)}について、面接の日時をお知らせします。",
        "",
        f"日時：{_when(interview)}",
        *_where(interview),
    ]
    if interview.note:
        lines += ["", "連絡事項：", interview.note]
    return "\n".join(lines)


def _cancelled_text(job_title: str, interview: Interview) -> str:
    lines = [
        f"{_subject(job_title)}について、次の面接を取り消しました。",
        "",
        f"日時：{_when(interview)}",
        *_where(interview),
    ]
    if interview.cancel_reason:
        lines += ["", "取消の理由：", interview.cancel_reason]
    return "\n".join(lines)


async def interviews_of(viewer: Viewer, application_id: int) -> list[Interview]:
    """The interviews of an application, soonest first, cancelled ones included: for the
    establishment's employers, the application's seeker and staff of the establishment's
    office; none for anyone else."""
    if not await visible_applications(viewer, [application_id]):
        return []
    return await Interview.filter(application_id=application_id).order_by("starts_at", "id")


async def visible_interviews(viewer: Viewer, ids: list[int]) -> dict[int, Interview]:
    """The interviews among `ids` the viewer may see (as their applications)."""
    query = seen_by(viewer, Interview.filter(id__in=ids), through="application__")
    if query is None:
        return {}
    return {interview.id: interview for interview in await query}
