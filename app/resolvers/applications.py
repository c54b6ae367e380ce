"""Applications (応募) and the selection (応募者管理): how they arrive, how they move.

An application arrives as an online application by the seeker (オンライン自主応募) or as a
Hello Work referral by staff (紹介, with its referral letter 紹介状). Then the employer moves
it through the selection and the seeker may withdraw (辞退):

    APPLIED → SCREENING (書類選考) → INTERVIEW (面接) → HIRED (採用) | REJECTED (不採用)

Every move is a conditional UPDATE on the status it leaves, written in one transaction with
its history entry (ApplicationEvent) and the stored event that subscriptions deliver; the
event is published after the commit.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from app import outbox
from app.clock import TOKYO
from app.errors import ErrorCode, Forbidden, NotAuthenticated, UserErrors, user_error
from app.models import (
    Application,
    ApplicationEvent,
    AuditAction,
    Portal,
    Posting,
    SeekerProfile,
    User,
)
from app.models.applications import ApplicationSource, ApplicationStatus
from app.models.events import Event, EventKind
from app.models.postings import PostingCategory, PostingStatus
from app.resolvers import audit, events, notifications, posting_check, postings, validation
from app.resolvers.paging import Page, newest_first
from app.runtime import Runtime
from app.viewer import Viewer

REASON_MAX_LENGTH = 500
REFERRAL_LETTER_NUMBER_MAX_LENGTH = 30
REFERRAL_NOTE_MAX_LENGTH = 1000
RESULT_LOCK_MONTHS = 3
"""A result cannot change after the end of the third month after the posting became invalid."""

S = ApplicationStatus
RESULTS = frozenset({S.HIRED, S.REJECTED})

EMPLOYER_MOVES: dict[ApplicationStatus, frozenset[ApplicationStatus]] = {
    # Many postings select by interview alone (選考方法「面接」), so screening may be skipped.
    S.APPLIED: frozenset({S.SCREENING, S.INTERVIEW, S.REJECTED}),
    S.SCREENING: frozenset({S.INTERVIEW, S.REJECTED}),
    S.INTERVIEW: frozenset({S.HIRED, S.REJECTED}),
    # A reported result may be corrected (訂正) until it is locked.
    S.HIRED: frozenset({S.REJECTED}),
    S.REJECTED: frozenset({S.HIRED}),
}
"""The moves an employer of the posting's establishment may make."""

SEEKER_MOVES: dict[ApplicationStatus, frozenset[ApplicationStatus]] = {
    S.APPLIED: frozenset({S.WITHDRAWN}),
    S.SCREENING: frozenset({S.WITHDRAWN}),
    S.INTERVIEW: frozenset({S.WITHDRAWN}),
}
"""The seeker may only withdraw (辞退), and only while the selection is under way."""


def result_locked_from(invalidated_at: dt.datetime) -> dt.date:
    """The first day (Tokyo) a result of the posting can no longer change: the day after the
    end of the third month after the month it became invalid (invalid 2027-02-10 → 2027-06-01).
    """
    invalid_on = invalidated_at.astimezone(TOKYO).date()
    month_index = invalid_on.year * 12 + invalid_on.month - 1 + RESULT_LOCK_MONTHS + 1
    year, month = divmod(month_index, 12)
    return dt.date(year, month + 1, 1)


def is_result_locked(posting: Posting, today: dt.date) -> bool:
    return posting.invalidated_at is not None and today >= result_locked_from(
        posting.invalidated_at
    )


# --- Arrival ------------------------------------------------------------------------------


_POSTING_NUMBER = re.compile(r"\d{5}-\d{8}")


def _posting_not_found(field: str) -> UserErrors:
    return user_error(ErrorCode.NOT_FOUND, "求人が見つかりません。", field)


def _already_applied() -> UserErrors:
    return user_error(ErrorCode.ALREADY_EXISTS, "この求人にはすでに応募しています。", "posting_id")


async def _open(
    rt: Runtime,
    *,
    posting: Posting,
    seeker_id: int,
    actor_id: int,
    source: ApplicationSource,
    referral_letter_number: str | None = None,
    referral_note: str = "",
) -> Application:
    """Write the application with its first history entry, its event and the establishment's
    notice mail; publish after commit."""
    now = rt.clock.now()
    async with outbox.transaction(rt):
        try:
            application = await Application.create(
                posting_id=posting.id,
                establishment_id=posting.establishment_id,
                seeker_id=seeker_id,
                source=source,
                status=S.APPLIED,
                referral_letter_number=referral_letter_number,
                referral_note=referral_note,
                created_at=now,
                updated_at=now,
            )
        except IntegrityError as exc:
            raise _already_applied() from exc
        event = await _record(
            application, posting, actor_id=actor_id, from_status=None, reason="", now=now
        )
        await notifications.application_arrived(rt, posting)
    await events.publish(rt, event)
    return application


async def _record(
    application: Application,
    posting: Posting,
    *,
    actor_id: int,
    from_status: ApplicationStatus | None,
    reason: str,
    now: dt.datetime,
) -> Event:
    """The history entry of the application's current status, and its stored event."""
    entry = await ApplicationEvent.create(
        application_id=application.id,
        actor_id=actor_id,
        from_status=from_status,
        to_status=application.status,
        reason=reason,
        at=now,
    )
    return await events.record(
        EventKind.APPLICATION_STATUS_CHANGED,
        establishment_id=posting.establishment_id,
        seeker_id=application.seeker_id,
        now=now,
        application_event_id=entry.id,
    )


async def create_application(
    rt: Runtime,
    viewer: Viewer,
    *,
    posting_id: int | None = None,
    posting_number: str | None = None,
) -> Application:
    """オンライン自主応募: the seeker applies to an active posting, once per posting.

    The posting is named by its id or by its 求人番号. It must be published to the seeker and
    accept online applications, which only the first two publication ranges allow; a direct
    request (直接リクエスト) is sent only for such a posting, so it opens nothing more.
    """
    user = viewer.require(Portal.SEEKER)
    if posting_id is not None:
        posting = await Posting.get_or_none(id=posting_id)
    elif posting_number:
        number = posting_number.strip()
        # Only the shape NNNNN-NNNNNNNN can name a posting; Tortoise would refuse a longer
        # value as a filter rather than find nothing.
        posting = (
            await Posting.get_or_none(posting_number=number)
            if _POSTING_NUMBER.fullmatch(number)
            else None
        )
    else:
        raise user_error(ErrorCode.REQUIRED, "応募する求人を指定してください。", "posting_id")
    if posting is None or posting.posting_number is None:
        raise _posting_not_found("posting_id")
    if posting.status is not PostingStatus.ACTIVE:
        raise user_error(
            ErrorCode.NOT_ACCEPTING_APPLICATIONS,
            "この求人は有効中ではないため、応募できません。",
            "posting_id",
        )
    if not postings.is_published_to(rt, viewer, posting):
        raise _posting_not_found("posting_id")
    if not postings.accepts_online_applications(posting):
        raise user_error(
            ErrorCode.NOT_ACCEPTING_APPLICATIONS,
            "この求人はオンライン自主応募を受け付けていません。ハローワークの窓口で紹介を受けてください。",
            "posting_id",
        )
    if not await SeekerProfile.exists(user_id=user.id):
        raise user_error(ErrorCode.NOT_FOUND, "求職者情報が登録されていません。")
    if await Application.exists(posting_id=posting.id, seeker_id=user.id):
        raise _already_applied()
    return await _open(
        rt, posting=posting, seeker_id=user.id, actor_id=user.id, source=ApplicationSource.ONLINE
    )


async def create_referral(
    rt: Runtime,
    viewer: Viewer,
    *,
    posting_id: int,
    seeker_profile_id: int,
    referral_letter_number: str,
    note: str,
) -> Application:
    """紹介: staff refer a seeker to an active posting of an establishment of their office,
    with the referral letter (紹介状); the posting need not accept online applications."""
    staff = viewer.require_staff()
    form = validation.Form()
    letter = form.check(
        lambda: validation.half_width(
            "referral_letter_number", referral_letter_number.strip(), "紹介状番号"
        )
    )
    if letter is not None and len(letter) > REFERRAL_LETTER_NUMBER_MAX_LENGTH:
        form.check(
            lambda: _raise_too_long(
                "referral_letter_number", "紹介状番号", REFERRAL_LETTER_NUMBER_MAX_LENGTH
            )
        )
    text = note.strip()
    if len(text) > REFERRAL_NOTE_MAX_LENGTH:
        form.check(lambda: _raise_too_long("note", "紹介状の記載事項", REFERRAL_NOTE_MAX_LENGTH))
    form.done()
    posting = await Posting.get_or_none(id=posting_id).select_related("establishment")
    # Another office's posting is answered as one that is not there: no oracle of its IDs.
    if posting is None or posting.establishment.office_id != staff.office_id:
        raise _posting_not_found("posting_id")
    if posting.status is not PostingStatus.ACTIVE:
        raise user_error(
            ErrorCode.NOT_ACCEPTING_APPLICATIONS,
            "この求人は有効中ではないため、紹介できません。",
            "posting_id",
        )
    profile = await SeekerProfile.get_or_none(id=seeker_profile_id)
    if profile is None:
        raise user_error(ErrorCode.NOT_FOUND, "求職者が見つかりません。", "seeker_id")
    if await Application.exists(posting_id=posting.id, seeker_id=profile.user_id):
        raise user_error(
            ErrorCode.ALREADY_EXISTS, "この求職者はすでにこの求人に応募しています。", "seeker_id"
        )
    application = await _open(
        rt,
        posting=posting,
        seeker_id=profile.user_id,
        actor_id=staff.id,
        source=ApplicationSource.REFERRAL,
        referral_letter_number=letter,
        referral_note=text,
    )
    # After the commit, not in it: `_open` publishes its event once its transaction ends.
    await audit.record(
        rt,
        AuditAction.REFERRAL_CREATED,
        actor=staff,
        establishment_id=posting.establishment_id,
        application=application.id,
    )
    return application


def _raise_too_long(field: str, label: str, max_length: int) -> None:
    raise user_error(
        ErrorCode.TOO_LONG, f"{label}は{max_length}文字以内で入力してください。", field
    )


# --- Selection ----------------------------------------------------------------------------


def _application_not_found() -> UserErrors:
    return user_error(ErrorCode.NOT_FOUND, "応募が見つかりません。", "application_id")


def _illegal(current: ApplicationStatus, target: ApplicationStatus) -> UserErrors:
    return user_error(
        ErrorCode.ILLEGAL_TRANSITION,
        f"応募の状態を{_LABELS[current]}から{_LABELS[target]}に変更することはできません。",
        "status",
    )


_LABELS = {
    S.APPLIED: "応募",
    S.SCREENING: "書類選考",
    S.INTERVIEW: "面接",
    S.HIRED: "採用",
    S.REJECTED: "不採用",
    S.WITHDRAWN: "辞退",
}


async def _application_for(viewer: Viewer, application_id: int) -> tuple[User, Application]:
    """The application if the viewer may move it: its establishment's employer or its seeker.
    Any other looks like one that is not there; staff do not move applications."""
    user = viewer.user
    if user is None:
        raise NotAuthenticated
    query = Application.filter(id=application_id)
    if user.portal == Portal.EMPLOYER:
        query = query.filter(establishment_id=user.establishment_id)
    elif user.portal == Portal.SEEKER:
        query = query.filter(seeker_id=user.id)
    else:
        raise Forbidden
    application = await query.first()
    if application is None:
        raise _application_not_found()
    return user, application


async def update_status(
    rt: Runtime,
    viewer: Viewer,
    *,
    application_id: int,
    status: ApplicationStatus,
    reason: str = "",
    hire_date: dt.date | None = None,
    conditions_differ: bool = False,
) -> Application:
    """Move an application one step (see EMPLOYER_MOVES and SEEKER_MOVES).

    HIRED needs the hire date (採用日) and records whether the conditions differ from the
    posting (求人票と異なる労働条件). A move into or out of a result is refused from the day
    the result is locked (RESULT_LOCKED). Hiring the number to hire closes an active posting.
    """
    user, application = await _application_for(viewer, application_id)
    current = application.status
    moves = EMPLOYER_MOVES if user.portal == Portal.EMPLOYER else SEEKER_MOVES
    if status not in moves.get(current, frozenset()):
        raise _illegal(current, status)
    form = validation.Form()
    text = reason.strip()
    if len(text) > REASON_MAX_LENGTH:
        form.check(lambda: _raise_too_long("reason", "理由", REASON_MAX_LENGTH))
    if status is S.HIRED and hire_date is None:
        form.check(
            lambda: _raise(
                ErrorCode.REQUIRED, "採用の場合は採用日を入力してください。", "hire_date"
            )
        )
    form.done()

    changes: dict[str, Any] = {}
    if status is S.HIRED:
        changes = {"hire_date": hire_date, "conditions_differ": conditions_differ}
    elif current is S.HIRED:
        changes = {"hire_date": None, "conditions_differ": False}
    now = rt.clock.now()
    async with in_transaction():
        # Hires of one posting queue here, so the count that closes it is exact.
        posting = await Posting.select_for_update().get(id=application.posting_id)
        if status not in (S.APPLIED, S.WITHDRAWN):
            _check_selection_open(rt, posting)
        if (current in RESULTS or status in RESULTS) and is_result_locked(
            posting, rt.clock.today()
        ):
            raise _result_locked(posting)
        moved = await Application.filter(id=application.id, status=current).update(
            status=status, updated_at=now, **changes
        )
        if not moved:
            raise _illegal(current, status)
        application.status = status
        event = await _record(
            application, posting, actor_id=user.id, from_status=current, reason=text, now=now
        )
        if status is S.HIRED:
            hired = await Application.filter(posting_id=posting.id, status=S.HIRED).count()
            await postings.close_when_filled(rt, posting, hired=hired, actor_id=user.id)
    await events.publish(rt, event)
    return await Application.get(id=application.id)


def _check_selection_open(rt: Runtime, posting: Posting) -> None:
    """No selection on a 大卒等 posting before 1 June of the graduation year."""
    if posting.category is not PostingCategory.GRADUATE or posting.graduate_class_of is None:
        return
    opens = posting_check.graduate_selection_opens(posting.graduate_class_of)
    if rt.clock.today() < opens:
        raise user_error(
            ErrorCode.SELECTION_NOT_OPEN,
            f"大卒等求人の選考は{opens.year}年{opens.month}月{opens.day}日から行えます。",
            "status",
        )


def _raise(code: ErrorCode, message: str, field: str) -> None:
    raise user_error(code, message, field)


def _result_locked(posting: Posting) -> UserErrors:
    assert posting.invalidated_at is not None
    locked_from = result_locked_from(posting.invalidated_at)
    last_day = locked_from - dt.timedelta(days=1)
    return user_error(
        ErrorCode.RESULT_LOCKED,
        f"採否の結果は、求人が無効となった月の{RESULT_LOCK_MONTHS}か月後の月末"
        f"（{last_day.year}年{last_day.month}月{last_day.day}日）を過ぎたため変更できません。",
        "status",
    )


# --- Reading ------------------------------------------------------------------------------


async def establishment_applications(
    viewer: Viewer,
    *,
    posting_id: int | None = None,
    status: ApplicationStatus | None = None,
    first: int,
    after_id: int | None = None,
) -> Page[Application]:
    """The applications to the employer's establishment's postings, newest first."""
    user = viewer.require_employer()
    query = Application.filter(establishment_id=user.establishment_id)
    if posting_id is not None:
        query = query.filter(posting_id=posting_id)
    if status is not None:
        query = query.filter(status=status)
    return await newest_first(query, first, after_id)


async def my_applications(
    viewer: Viewer, *, first: int, after_id: int | None = None
) -> Page[Application]:
    """The seeker's own applications, newest first."""
    user = viewer.require(Portal.SEEKER)
    return await newest_first(Application.filter(seeker_id=user.id), first, after_id)


async def visible_applications(viewer: Viewer, ids: list[int]) -> dict[int, Application]:
    """The applications among `ids` the viewer may see: to its establishment's postings, its
    own (a seeker), or to postings of its office (staff)."""
    user = viewer.user
    if user is None:
        return {}
    query = Application.filter(id__in=ids)
    if user.portal == Portal.EMPLOYER:
        query = query.filter(establishment_id=user.establishment_id)
    elif user.portal == Portal.SEEKER:
        query = query.filter(seeker_id=user.id)
    elif user.portal == Portal.STAFF:
        query = query.filter(establishment__office_id=user.office_id)
    else:
        return {}
    return {application.id: application for application in await query}
