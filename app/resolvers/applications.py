"""Applications (応募) and the selection (応募者管理): how they arrive, how they move, and how
many there are.

An application arrives as an online application by the seeker (オンライン自主応募, with a
志望動機) or as a Hello Work referral by staff (紹介, with its referral letter 紹介状), also of a
person without a My Page (a walk-in). Then the employer moves it through the selection:

    APPLIED → SCREENING (書類選考) → INTERVIEW (面接) → HIRED (採用) | REJECTED (不採用)

a result may be decided at any stage, and 辞退 (WITHDRAWN) is recorded before a result by the
seeker, or by the employer or staff when the seeker declined by phone. Every move is a
conditional UPDATE on the status it leaves, written in one transaction with its history entry
(ApplicationEvent) and the stored event that subscriptions deliver; the event is published
after the commit.

The results (reported to Hello Work, told to the applicant) are `app.resolvers.results`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from tortoise.exceptions import IntegrityError
from tortoise.functions import Count
from tortoise.models import Model
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from app import outbox
from app.clock import TOKYO
from app.db import Prepared
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
from app.models.applications import (
    STATUS_LABELS,
    ApplicationSource,
    ApplicationStatus,
)
from app.models.events import Event, EventKind
from app.models.postings import PostingCategory, PostingStatus
from app.resolvers import (
    audit,
    events,
    notifications,
    posting_check,
    postings,
    validation,
)
from app.resolvers.paging import IdList, Page, Window, empty_page, newest
from app.runtime import Runtime
from app.viewer import Viewer
from app.wages import PREFECTURES

REASON_MAX_LENGTH = 500
REFERRAL_LETTER_NUMBER_MAX_LENGTH = 30
REFERRAL_NOTE_MAX_LENGTH = 1000
MOTIVATION_MAX_LENGTH = 1000
"""志望動機, given with an online application."""
NAME_MAX_LENGTH = 50
CITY_MAX_LENGTH = 50
WALK_IN_MIN_AGE = 15
"""The youngest a person may be referred at (the end of compulsory schooling, 労働基準法第56条,
is checked by staff at the counter; below 15 nobody is referred)."""
WALK_IN_MAX_AGE = 99
BULK_MAX_APPLICATIONS = 100
RESULT_LOCK_MONTHS = 3
"""A result cannot change after the end of the third month after the posting became invalid."""

S = ApplicationStatus
RESULTS = frozenset({S.HIRED, S.REJECTED})


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
    seeker_id: int | None,
    actor_id: int,
    source: ApplicationSource,
    **details: Any,
) -> Application:
    """Write the application (with `details`: the referral, the 志望動機, a walk-in's person)
    with its first history entry, its event and the establishment's notice mail; publish after
    commit."""
    now = rt.clock.now()
    async with outbox.transaction(rt):
        try:
            application = await Application.create(
                posting_id=posting.id,
                establishment_id=posting.establishment_id,
                seeker_id=seeker_id,
                source=source,
                status=S.APPLIED,
                created_at=now,
                updated_at=now,
                **details,
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
        seeker_id=application.seeker_id or events.NO_SEEKER,
        now=now,
        application_event_id=entry.id,
    )


async def create_application(
    rt: Runtime,
    viewer: Viewer,
    *,
    posting_id: int | None = None,
    posting_number: str | None = None,
    motivation: str = "",
) -> Application:
    """オンライン自主応募: the seeker applies to an active posting, once per posting, with a
    志望動機 of at most 1,000 characters (documents follow with `documents.upload_document`).

    The posting is named by its id or by its 求人番号. It must be published to the seeker and
    accept online applications, which only the first two publication ranges allow; a direct
    request (直接リクエスト) is sent only for such a posting, so it opens nothing more.
    """
    user = viewer.require(Portal.SEEKER)
    text = motivation.strip()
    if len(text) > MOTIVATION_MAX_LENGTH:
        raise validation.too_long("motivation", "志望動機", MOTIVATION_MAX_LENGTH)
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
        rt,
        posting=posting,
        seeker_id=user.id,
        actor_id=user.id,
        source=ApplicationSource.ONLINE,
        motivation=text,
    )


@dataclass(frozen=True)
class WalkIn:
    """A person referred at the counter who has no My Page, as staff enter them: name, kana,
    age, address, and at least one of phone and email (the establishment contacts them)."""

    name: str
    kana: str
    age: int
    phone: str = ""
    email: str = ""
    prefecture: str = ""
    city: str = ""


def _walk_in_details(form: validation.Form, person: WalkIn) -> dict[str, Any]:
    name = form.check(
        lambda: validation.required("walk_in.name", person.name, "氏名", NAME_MAX_LENGTH)
    )
    kana = form.check(
        lambda: validation.katakana("walk_in.kana", person.kana, "氏名カナ", NAME_MAX_LENGTH)
    )
    if not WALK_IN_MIN_AGE <= person.age <= WALK_IN_MAX_AGE:
        form.error(
            ErrorCode.OUT_OF_RANGE,
            f"年齢は{WALK_IN_MIN_AGE}歳から{WALK_IN_MAX_AGE}歳の範囲で入力してください。",
            "walk_in.age",
        )
    phone = person.phone.strip()
    email = person.email.strip()
    if phone:
        phone = form.check(lambda: validation.phone_number("walk_in.phone", phone))
    if email:
        email = form.check(lambda: validation.email("walk_in.email", email)) or ""
    if not phone and not email:
        form.error(
            ErrorCode.REQUIRED,
            "採否の連絡のため、電話番号またはメールアドレスを入力してください。",
            "walk_in.phone",
        )
    prefecture = person.prefecture.strip()
    if prefecture and prefecture not in PREFECTURES:
        form.error(ErrorCode.INVALID_FORMAT, "都道府県名が正しくありません。", "walk_in.prefecture")
    city = person.city.strip()
    if len(city) > CITY_MAX_LENGTH:
        form.too_long("walk_in.city", "市区町村", CITY_MAX_LENGTH)
    return {
        "walk_in_name": name,
        "walk_in_kana": kana,
        "walk_in_age": person.age,
        "walk_in_phone": phone or "",
        "walk_in_email": email,
        "walk_in_prefecture": prefecture,
        "walk_in_city": city,
    }


async def create_referral(
    rt: Runtime,
    viewer: Viewer,
    *,
    posting_id: int,
    referral_letter_number: str,
    note: str,
    seeker_profile_id: int | None = None,
    walk_in: WalkIn | None = None,
) -> Application:
    """紹介: staff refer a seeker to an active posting of an establishment of their office,
    with the referral letter (紹介状); the posting need not accept online applications.

    The person is a seeker with a My Page (`seeker_profile_id`) or a walk-in without one
    (`walk_in`), exactly one of them.
    """
    staff = viewer.require_staff()
    form = validation.Form()
    if (seeker_profile_id is None) == (walk_in is None):
        form.error(
            ErrorCode.REQUIRED,
            "紹介する求職者（マイページの求職者、またはマイページのない方の氏名等）を"
            "どちらか一方だけ指定してください。",
            "seeker_id",
        )
    person = _walk_in_details(form, walk_in) if walk_in is not None else {}
    letter = form.check(
        lambda: validation.half_width(
            "referral_letter_number", referral_letter_number.strip(), "紹介状番号"
        )
    )
    if letter is not None and len(letter) > REFERRAL_LETTER_NUMBER_MAX_LENGTH:
        form.too_long("referral_letter_number", "紹介状番号", REFERRAL_LETTER_NUMBER_MAX_LENGTH)
    text = note.strip()
    if len(text) > REFERRAL_NOTE_MAX_LENGTH:
        form.too_long("note", "紹介状の記載事項", REFERRAL_NOTE_MAX_LENGTH)
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
    seeker_id: int | None = None
    if seeker_profile_id is not None:
        profile = await SeekerProfile.get_or_none(id=seeker_profile_id)
        if profile is None:
            raise user_error(ErrorCode.NOT_FOUND, "求職者が見つかりません。", "seeker_id")
        seeker_id = profile.user_id
        if await Application.exists(posting_id=posting.id, seeker_id=seeker_id):
            raise user_error(
                ErrorCode.ALREADY_EXISTS,
                "この求職者はすでにこの求人に応募しています。",
                "seeker_id",
            )
    application = await _open(
        rt,
        posting=posting,
        seeker_id=seeker_id,
        actor_id=staff.id,
        source=ApplicationSource.REFERRAL,
        referral_letter_number=letter,
        referral_note=text,
        referred_by_id=staff.id,
        **person,
    )
    # After the commit, not in it: `_open` publishes its event once its transaction ends.
    # No name or contact in the detail: the audit trail holds no personal data.
    await audit.record(
        rt,
        AuditAction.REFERRAL_CREATED,
        actor=staff,
        establishment_id=posting.establishment_id,
        application=application.id,
        walk_in=walk_in is not None,
    )
    return application


# --- Selection ----------------------------------------------------------------------------


EMPLOYER_MOVES: dict[ApplicationStatus, frozenset[ApplicationStatus]] = {
    # A result may be decided at any stage: 採用 after screening alone, 不採用 at once; many
    # postings select by interview alone (選考方法「面接」), so screening may be skipped.
    S.APPLIED: frozenset({S.SCREENING, S.INTERVIEW, S.HIRED, S.REJECTED, S.WITHDRAWN}),
    S.SCREENING: frozenset({S.INTERVIEW, S.HIRED, S.REJECTED, S.WITHDRAWN}),
    S.INTERVIEW: frozenset({S.HIRED, S.REJECTED, S.WITHDRAWN}),
    # A result may be corrected (訂正) until it is locked.
    S.HIRED: frozenset({S.REJECTED}),
    S.REJECTED: frozenset({S.HIRED}),
}
"""The moves an employer of the posting's establishment may make; WITHDRAWN with a reason,
when the seeker declined by phone."""

SEEKER_MOVES: dict[ApplicationStatus, frozenset[ApplicationStatus]] = {
    S.APPLIED: frozenset({S.WITHDRAWN}),
    S.SCREENING: frozenset({S.WITHDRAWN}),
    S.INTERVIEW: frozenset({S.WITHDRAWN}),
}
"""The seeker may only withdraw (辞退), and only while the selection is under way."""

STAFF_MOVES = SEEKER_MOVES
"""Staff of the establishment's office record a 辞退 the seeker told the counter, with a
reason; the selection itself is the employer's."""

_MOVES = {Portal.EMPLOYER: EMPLOYER_MOVES, Portal.SEEKER: SEEKER_MOVES, Portal.STAFF: STAFF_MOVES}


def application_not_found() -> UserErrors:
    return user_error(ErrorCode.NOT_FOUND, "応募が見つかりません。", "application_id")


def _illegal(current: ApplicationStatus, target: ApplicationStatus) -> UserErrors:
    return user_error(
        ErrorCode.ILLEGAL_TRANSITION,
        f"応募の状態を{STATUS_LABELS[current]}から{STATUS_LABELS[target]}に変更することはできません。",
        "status",
    )


M = TypeVar("M", bound=Model)


def seen_by(viewer: Viewer, query: QuerySet[M], through: str = "") -> QuerySet[M] | None:
    """The rows of `query` (applications, or rows of an application through the relation
    `through`, e.g. "application__") the viewer may see: an employer those of its
    establishment, a seeker their own, staff those of their office's establishments; None for
    anyone else."""
    user = viewer.user
    if user is None:
        return None
    if user.portal == Portal.EMPLOYER:
        return query.filter(**{f"{through}establishment_id": user.establishment_id})
    if user.portal == Portal.SEEKER:
        return query.filter(**{f"{through}seeker_id": user.id})
    if user.portal == Portal.STAFF:
        return query.filter(**{f"{through}establishment__office_id": user.office_id})
    return None


async def application_for(viewer: Viewer, application_id: int) -> tuple[User, Application]:
    """The application if the viewer may act on it: an employer of its establishment, its
    seeker, or staff of its establishment's office. Any other looks like one that is not
    there."""
    if viewer.user is None:
        raise NotAuthenticated
    query = seen_by(viewer, Application.filter(id=application_id))
    if query is None:
        raise Forbidden
    application = await query.first()
    if application is None:
        raise application_not_found()
    return viewer.user, application


@dataclass(frozen=True)
class StatusChange:
    application: Application
    number_to_hire_reached: bool
    """This change made the hires of an active posting reach its number to hire: the
    employer is asked whether to stop recruiting (`postingStop`); nothing closes by itself."""


async def update_status(
    rt: Runtime,
    viewer: Viewer,
    *,
    application_id: int,
    status: ApplicationStatus,
    reason: str = "",
) -> StatusChange:
    """Move an application one step (see EMPLOYER_MOVES, SEEKER_MOVES and STAFF_MOVES).

    A 辞退 recorded by the employer or staff needs its reason (declined by phone, …). A move
    into or out of a result is refused from the day the result is locked (RESULT_LOCKED).
    """
    user, application = await application_for(viewer, application_id)
    return await _move(rt, user, application, status, reason)


_MOVE_POSTING_FIELDS = (
    "id",
    "establishment_id",
    "status",
    "category",
    "graduate_class_of",
    "invalidated_at",
    "number_to_hire",
)
"""What a move reads of the posting (of its 91 columns): whether its selection is open and
its results unlocked, whose event it is, and its number to hire."""
_POSTING_TO_MOVE: Prepared[Posting] = Prepared(
    lambda posting_id: Posting.select_for_update().only(*_MOVE_POSTING_FIELDS).get(id=posting_id)
)
"""The posting of a status change, locked for the change (PostgreSQL): by SQL built once."""


async def _move(
    rt: Runtime, user: User, application: Application, status: ApplicationStatus, reason: str
) -> StatusChange:
    current = application.status
    if status not in _MOVES[user.portal].get(current, frozenset()):
        raise _illegal(current, status)
    form = validation.Form()
    text = reason.strip()
    if len(text) > REASON_MAX_LENGTH:
        form.too_long("reason", "理由", REASON_MAX_LENGTH)
    if status is S.WITHDRAWN and user.portal != Portal.SEEKER and not text:
        form.error(
            ErrorCode.REQUIRED,
            "辞退を記録する場合は、理由（電話で辞退の申し出があった等）を入力してください。",
            "reason",
        )
    form.done()
    now = rt.clock.now()
    reached = False
    async with in_transaction():
        # Hires of one posting queue here, so the count that reaches the number is exact.
        posting = await _POSTING_TO_MOVE(application.posting_id)
        if status not in (S.APPLIED, S.WITHDRAWN):
            _check_selection_open(rt, posting)
        if (current in RESULTS or status in RESULTS) and is_result_locked(
            posting, rt.clock.today()
        ):
            raise result_locked(posting, "status")
        moved = await Application.filter(id=application.id, status=current).update(
            status=status, updated_at=now
        )
        if not moved:
            raise _illegal(current, status)
        application.status = status
        application.updated_at = now
        event = await _record(
            application, posting, actor_id=user.id, from_status=current, reason=text, now=now
        )
        if status is S.HIRED and posting.status is PostingStatus.ACTIVE:
            hired = await Application.filter(posting_id=posting.id, status=S.HIRED).count()
            reached = hired >= posting.number_to_hire
    await events.publish(rt, event)
    return StatusChange(application=application, number_to_hire_reached=reached)


@dataclass(frozen=True)
class BulkOutcome:
    """One application of a bulk change: its change, or why it was refused."""

    application_id: int
    change: StatusChange | None = None
    errors: UserErrors | None = None


async def update_statuses(
    rt: Runtime,
    viewer: Viewer,
    *,
    application_ids: Sequence[int],
    status: ApplicationStatus,
    reason: str = "",
) -> list[BulkOutcome]:
    """The same move for up to 100 applications (an employer's 一括変更), each on its own: one
    refused leaves the others moved. Outcomes follow the order of `application_ids`, once per
    application. A list with an application that is not the establishment's moves nothing."""
    user = viewer.require_employer()
    ids = list(dict.fromkeys(application_ids))
    if not ids:
        raise user_error(ErrorCode.REQUIRED, "変更する応募を選んでください。", "application_ids")
    if len(ids) > BULK_MAX_APPLICATIONS:
        raise user_error(
            ErrorCode.TOO_MANY_ITEMS,
            f"一度に変更できる応募は{BULK_MAX_APPLICATIONS}件までです。",
            "application_ids",
        )
    found = {
        application.id: application
        for application in await Application.filter(
            id__in=ids, establishment_id=user.establishment_id
        )
    }
    if len(found) < len(ids):
        # A list naming what is not the establishment's is wrong as a whole: nothing moves.
        raise user_error(ErrorCode.NOT_FOUND, "応募が見つかりません。", "application_ids")
    outcomes = []
    for application_id in ids:
        application = found[application_id]
        try:
            change = await _move(rt, user, application, status, reason)
        except UserErrors as exc:
            outcomes.append(BulkOutcome(application_id, errors=exc))
        else:
            outcomes.append(BulkOutcome(application_id, change=change))
    return outcomes


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


def result_locked(posting: Posting, field: str) -> UserErrors:
    assert posting.invalidated_at is not None
    locked_from = result_locked_from(posting.invalidated_at)
    last_day = locked_from - dt.timedelta(days=1)
    return user_error(
        ErrorCode.RESULT_LOCKED,
        f"採否の結果は、求人が無効となった月の{RESULT_LOCK_MONTHS}か月後の月末"
        f"（{last_day.year}年{last_day.month}月{last_day.day}日）を過ぎたため変更できません。",
        field,
    )


# --- Reading ------------------------------------------------------------------------------


def _applications_of(status: ApplicationStatus | None, *columns: str) -> IdList[Application]:
    """The applications whose `columns` hold the arguments given, of `status` when one is
    given, newest first (the status is the list's own: a prepared read takes no enum)."""
    fixed = {} if status is None else {"status": status}

    def query(*values: int) -> QuerySet[Application]:
        return Application.filter(**dict(zip(columns, values, strict=True)), **fixed)

    return IdList(query, newest_first=True)


# The establishment's list, of a posting or all, of a status or all: what every visit reads.
_ESTABLISHMENT_APPLICATIONS = {
    (by_posting, status): _applications_of(
        status, "establishment_id", *(["posting_id"] * by_posting)
    )
    for by_posting in (False, True)
    for status in (None, *ApplicationStatus)
}


async def establishment_applications(
    viewer: Viewer,
    *,
    posting_id: int | None = None,
    status: ApplicationStatus | None = None,
    window: Window[int],
) -> Page[Application]:
    """The applications to the employer's establishment's postings, newest first."""
    user = viewer.require_employer()
    if user.establishment_id is None:  # no establishment: nothing to list, as before
        return empty_page()
    listed = _ESTABLISHMENT_APPLICATIONS[(posting_id is not None, status)]
    if posting_id is None:
        return await listed.page(window, user.establishment_id)
    return await listed.page(window, user.establishment_id, posting_id)


async def my_applications(viewer: Viewer, *, window: Window[int]) -> Page[Application]:
    """The seeker's own applications, newest first."""
    user = viewer.require(Portal.SEEKER)
    return await newest(Application.filter(seeker_id=user.id), window)


async def visible_applications(viewer: Viewer, ids: list[int]) -> dict[int, Application]:
    """The applications among `ids` the viewer may see (`seen_by`)."""
    query = seen_by(viewer, Application.filter(id__in=ids))
    if query is None:
        return {}
    return {application.id: application for application in await query}


@dataclass(frozen=True)
class Counts:
    """The applicants of one posting, per status, and those whose result is not reported."""

    posting_id: int
    by_status: dict[ApplicationStatus, int]
    unreported: int

    @property
    def total(self) -> int:
        return sum(self.by_status.values())


async def application_counts(viewer: Viewer, *, posting_id: int | None = None) -> list[Counts]:
    """Per posting of the employer's establishment that has applicants (or the one asked, with
    zeros when nobody applied): how many there are in each status; newest posting first."""
    user = viewer.require_employer()
    query = Application.filter(establishment_id=user.establishment_id)
    if posting_id is not None:
        query = query.filter(posting_id=posting_id)
    by_posting: dict[int, dict[ApplicationStatus, int]] = {}
    for row in (
        await query.annotate(count=Count("id"))
        .group_by("posting_id", "status")
        .values("posting_id", "status", "count")
    ):
        by_posting.setdefault(row["posting_id"], {})[ApplicationStatus(row["status"])] = row[
            "count"
        ]
    unreported = {
        row["posting_id"]: row["count"]
        for row in await query.filter(reported_result__isnull=True)
        .annotate(count=Count("id"))
        .group_by("posting_id")
        .values("posting_id", "count")
    }
    if (
        posting_id is not None
        and not by_posting
        and await Posting.exists(id=posting_id, establishment_id=user.establishment_id)
    ):
        by_posting[posting_id] = {}
    return [
        Counts(posting_id=posting, by_status=statuses, unreported=unreported.get(posting, 0))
        for posting, statuses in sorted(by_posting.items(), reverse=True)
    ]
