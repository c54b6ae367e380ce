"""Job postings (求人): the form, its check, review by staff, validity, renewal and reuse.

The life of a posting, as Hello Work names it: DRAFT (一時保存) → SUBMITTED (仮登録) → ACTIVE (受理)
or RETURNED (修正依頼); ACTIVE ends as INVALID at the referral deadline or when recruiting stops
(募集停止). A submission that needs 本登録 at the counter lapses back to DRAFT when it is not
done by its due date. Every move is a conditional UPDATE on the status it leaves, so two
requests (or two processes) racing for the same move cannot both make it, and it is written
with its history entry in one transaction.

Staff may enter a posting for an establishment of their office from a paper 求人申込書
(`entered_by`), work it like the employer until it is submitted, and correct minor points of
any submitted posting before accepting it. A move that puts a posting into the office's review
queue or takes it out records a queue event (`app.resolvers.queue_events`), and a decision of
staff leaves a notice in the establishment's inbox (`app.resolvers.notices`); both are written
in the move's transaction and published after it.
"""

from __future__ import annotations

import calendar
import contextlib
import datetime as dt
import functools
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F, Q
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from app import closed_days, wages
from app.clock import TOKYO
from app.db import PreparedIn
from app.errors import ErrorCode, Forbidden, UserError, UserErrors, user_error
from app.japanese import japanese_era_date
from app.models import (
    AuditAction,
    Event,
    Portal,
    Posting,
    PostingEvent,
    PostingNumberSerial,
    User,
)
from app.models.counter import NoticeKind
from app.models.events import QueueChange
from app.models.posting_form import (
    DISPATCH_TYPES,
    ITEM_BY_NAME,
    ITEMS,
    ONLINE_APPLICATION_RANGES,
    PostingForm,
)
from app.models.postings import (
    CounterRegistrationReason,
    EmploymentType,
    PostingAction,
    PostingCategory,
    PostingStatus,
    PublicationRange,
    WorkStyle,
)
from app.resolvers import audit, events, notices, posting_check, queue_events, validation
from app.resolvers.establishments import establishment_for_staff
from app.resolvers.paging import IdList, Page, Window, empty_page, newest, oldest
from app.resolvers.posting_check import CheckResult, PostingWarning, WarningCode
from app.resolvers.review import ReviewKind
from app.runtime import Runtime
from app.viewer import Viewer

RENEWAL_WINDOW_DAYS = 14
REASON_MAX_LENGTH = 500
NOTE_MAX_LENGTH = 500
A_YEAR = dt.timedelta(days=365)


class PostingContent(PostingForm):
    """What the employer writes on the posting form (求人票): a value for each item."""

    def __init__(self, **values: Any) -> None:
        for item in ITEMS:
            vars(self)[item.name] = values[item.name]

    @classmethod
    def of(cls, posting: Posting) -> PostingContent:
        """The content a posting shows now (not a change waiting for review)."""
        return cls(**{item.name: item.load(getattr(posting, item.name)) for item in ITEMS})

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PostingContent:
        """A change or a renewal waiting for review, as stored from `stored`; an item added to
        the form since it was stored reads as left out."""
        values: dict[str, Any] = {}
        for item in ITEMS:
            if item.name in data:
                values[item.name] = item.load(data[item.name])
            elif item.default_factory is not None:
                values[item.name] = item.default_factory()
        return cls(**values)

    def stored(self) -> dict[str, Any]:
        """The values as the posting's columns (or a stored change) hold them.

        Shallow, not a deep copy (that was most of the cost of a page); lists are copied, so
        a row or a stored change never shares one with the content.
        """
        values = {}
        for item in ITEMS:
            value = item.dump(vars(self)[item.name])
            values[item.name] = list(value) if isinstance(value, list) else value
        return values


# --- The form -----------------------------------------------------------------------------


def saved_content(content: PostingContent) -> PostingContent:
    """The content as a draft stores it (一時保存: complete or not), or `UserErrors` naming
    every value its columns cannot hold."""
    errors = posting_check.well_formed(content)
    if errors:
        raise UserErrors(*errors)
    return PostingContent(**posting_check.trimmed(content))


def sent_content(
    rt: Runtime, content: PostingContent, acknowledged: Iterable[WarningCode]
) -> PostingContent:
    """The content as it goes to Hello Work (仮登録, a change, a renewal): no error, and every
    warning confirmed; else `UserErrors` with the errors, or the warnings not confirmed."""
    content = saved_content(content)
    result = posting_check.check(content, rt.clock.today())
    if result.errors:
        raise UserErrors(*result.errors)
    pending = posting_check.unacknowledged(result, acknowledged)
    if pending:
        raise UnacknowledgedWarnings(pending)
    return content


class UnacknowledgedWarnings(UserErrors):
    """The content has warnings the employer has not confirmed: one error on
    `acknowledged_warnings`, and the warnings themselves, each with its own code."""

    def __init__(self, warnings: list[PostingWarning]) -> None:
        codes = "、".join(sorted({warning.code.value for warning in warnings}))
        super().__init__(
            UserError(
                ErrorCode.WARNINGS_NOT_ACKNOWLEDGED,
                f"確認が必要な警告があります（{codes}）。内容を確認し、確認した警告のコードを"
                " acknowledgedWarnings に指定してください。",
                "acknowledged_warnings",
            )
        )
        self.warnings = warnings


@dataclass(frozen=True)
class PostingChecked:
    result: CheckResult
    prefecture: str
    """The workplace's prefecture, whose minimum wage applied."""


async def check_posting(rt: Runtime, viewer: Viewer, posting_id: int) -> PostingChecked:
    """The check of what staff would review of a posting, by today's rules: the employer's
    own posting, or any of the staff member's office."""
    if viewer.require_employer_or_staff().portal == Portal.STAFF:
        posting = await _office_posting(viewer, posting_id)
    else:
        posting = await _own_posting(viewer, posting_id)
    content = content_under_review(posting)
    return PostingChecked(
        result=posting_check.check(content, rt.clock.today()),
        prefecture=content.workplace_prefecture,
    )


def check_content(rt: Runtime, viewer: Viewer, content: PostingContent) -> CheckResult:
    """The check of content not saved anywhere (a form being filled in)."""
    viewer.require_employer_or_staff()
    return posting_check.check(content, rt.clock.today())


def content_under_review(posting: Posting) -> PostingContent:
    """What staff would review: a waiting change or renewal, else the posting's content."""
    if posting.pending_content is not None:
        return PostingContent.from_json(posting.pending_content)
    if posting.renewal_content is not None and posting.renewal_accepted_at is None:
        return PostingContent.from_json(posting.renewal_content)
    return PostingContent.of(posting)


def _reason(field: str, value: str, label: str) -> str:
    return validation.required(field, value, label, REASON_MAX_LENGTH)


# --- Dates and numbers --------------------------------------------------------------------


def referral_deadline(accepted_on: dt.date) -> dt.date:
    """紹介期限日: the last day of the month after next from the day of acceptance."""
    month_index = accepted_on.year * 12 + accepted_on.month - 1 + 2
    year, month = divmod(month_index, 12)
    month += 1
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def deadline_on_acceptance(content: PostingContent, accepted_on: dt.date) -> dt.date:
    """紹介期限日 of a posting accepted on `accepted_on`: a 大卒等 posting is valid to 31 March
    of its school year, any other to the last day of the month after next."""
    if content.category is PostingCategory.GRADUATE and content.graduate_class_of is not None:
        return posting_check.graduate_valid_until(content.graduate_class_of)
    return referral_deadline(accepted_on)


def renewal_opens_on(deadline: dt.date) -> dt.date:
    """The first day a renewal can be reserved: 14 days before the referral deadline."""
    return deadline - dt.timedelta(days=RENEWAL_WINDOW_DAYS)


def format_posting_number(office_code: str, serial: int) -> str:
    """求人番号 `NNNNN-NNNNNNNN`: the office code and the office's 8-digit serial."""
    return f"{office_code}-{serial:08d}"


async def _next_serial(office_id: int) -> int:
    """The office's next serial; call inside the transaction that uses it.

    A single `UPDATE … SET last_serial = last_serial + 1` both increments and, on PostgreSQL,
    locks the row until the transaction ends, so concurrent accepts queue and never share a
    serial; on SQLite the one connection's transaction lock serialises them.
    """
    await PostingNumberSerial.filter(office_id=office_id).update(last_serial=F("last_serial") + 1)
    counter = await PostingNumberSerial.get(office_id=office_id)
    return counter.last_serial


async def _ensure_serial_row(office_id: int) -> None:
    """The office's counter row, created on first use outside any transaction."""
    if await PostingNumberSerial.exists(office_id=office_id):
        return
    with contextlib.suppress(IntegrityError):  # another request created it first
        await PostingNumberSerial.create(office_id=office_id, last_serial=0)


# --- Access -------------------------------------------------------------------------------


def _not_found() -> Exception:
    return user_error(ErrorCode.NOT_FOUND, "求人が見つかりません。", "id")


def _invalid_state(what: str) -> Exception:
    return user_error(ErrorCode.INVALID_STATE, f"この求人は現在の状態では{what}できません。", "id")


async def _own_posting(viewer: Viewer, posting_id: int) -> Posting:
    """A posting of the employer's establishment; any other looks like one that is not there."""
    user = viewer.require_employer()
    posting = await Posting.get_or_none(
        id=posting_id, establishment_id=user.establishment_id
    ).select_related("establishment")
    if posting is None:
        raise _not_found()
    return posting


async def _office_posting(viewer: Viewer, posting_id: int) -> Posting:
    """A posting of an establishment under the staff member's own office."""
    staff = viewer.require_staff()
    posting = await Posting.get_or_none(id=posting_id).select_related("establishment__office")
    # Another office's posting is answered as one that is not there: no oracle of its IDs.
    if posting is None or posting.establishment.office_id != staff.office_id:
        raise _not_found()
    return posting


async def _entered_posting(viewer: Viewer, posting_id: int) -> Posting:
    """A posting the viewer may write and submit: the employer's own, or, for staff of its
    office, one staff entered from a paper 求人申込書. An employer's own draft stays theirs:
    staff change it only by a correction once it is submitted (`correct_posting`)."""
    if viewer.require_employer_or_staff().portal != Portal.STAFF:
        return await _own_posting(viewer, posting_id)
    posting = await _office_posting(viewer, posting_id)
    if posting.entered_by_id is None:
        raise Forbidden("職員が代理入力した求人のみ編集・提出できます。")
    return posting


async def _record(
    posting_id: int,
    action: PostingAction,
    *,
    actor_id: int | None,
    at: dt.datetime,
    from_status: PostingStatus | None,
    to_status: PostingStatus,
    reason: str | None = None,
    changes: list[dict[str, Any]] | None = None,
) -> None:
    await PostingEvent.create(
        posting_id=posting_id,
        action=action,
        actor_id=actor_id,
        from_status=from_status,
        to_status=to_status,
        reason=reason,
        changes=changes,
        created_at=at,
    )


def waits_for_review(posting: Posting) -> bool:
    """Whether the posting is in its office's review queue (`app.resolvers.review`): submitted,
    or active with a change waiting, or with a reserved renewal staff have not accepted."""
    if posting.status is PostingStatus.SUBMITTED:
        return posting.submitted_at is not None
    if posting.status is not PostingStatus.ACTIVE:
        return False
    return posting.change_requested_at is not None or (
        posting.renewal_reserved_at is not None and posting.renewal_accepted_at is None
    )


async def _queue_changed(posting: Posting, change: QueueChange, now: dt.datetime) -> Event:
    """The queue event of the posting entering or leaving its office's queue; `posting` has its
    establishment loaded. Call in the transaction of the move."""
    return await queue_events.record(
        office_id=posting.establishment.office_id,
        kind=ReviewKind.POSTING,
        item_id=posting.id,
        change=change,
        now=now,
        establishment_id=posting.establishment_id,
    )


async def _publish(rt: Runtime, published: Iterable[Event]) -> None:
    """Announce the events of a committed move, in the order they were written."""
    for event in published:
        await events.publish(rt, event)


Within = Callable[[dt.datetime], Awaitable[list[Event]]]
"""What else a move writes in its transaction (an audit entry, a notice), given its moment;
the events to publish after the commit."""


async def _move(
    rt: Runtime,
    viewer: Viewer,
    posting: Posting,
    action: PostingAction,
    *,
    allowed_from: tuple[PostingStatus, ...],
    to: PostingStatus,
    what: str,
    reason: str | None = None,
    queue: QueueChange | None = None,
    within: Within | None = None,
    **changes: Any,
) -> Posting:
    """Move the posting to `to` if it is still in one of `allowed_from`, and record it; with
    `queue`, the posting entered or left the review queue (its establishment is loaded)."""
    if posting.status not in allowed_from:
        raise _invalid_state(what)
    assert viewer.user is not None
    now = rt.clock.now()
    published: list[Event] = []
    async with in_transaction():
        moved = await Posting.filter(id=posting.id, status=posting.status).update(
            status=to, updated_at=now, **changes
        )
        if not moved:
            raise _invalid_state(what)
        await _record(
            posting.id,
            action,
            actor_id=viewer.user.id,
            at=now,
            from_status=posting.status,
            to_status=to,
            reason=reason,
        )
        if queue is not None:
            published.append(await _queue_changed(posting, queue, now))
        if within is not None:
            published += await within(now)
    await _publish(rt, published)
    return await Posting.get(id=posting.id)


# --- Employer use cases -------------------------------------------------------------------


async def _new_draft(
    establishment_id: int,
    content: PostingContent,
    actor: User,
    now: dt.datetime,
    *,
    entered_by_id: int | None = None,
) -> Posting:
    """A new draft and its first history entry; call inside a transaction."""
    posting = await Posting.create(
        establishment_id=establishment_id,
        status=PostingStatus.DRAFT,
        entered_by_id=entered_by_id,
        created_at=now,
        updated_at=now,
        **saved_content(content).stored(),
    )
    await _record(
        posting.id,
        PostingAction.CREATED,
        actor_id=actor.id,
        at=now,
        from_status=None,
        to_status=PostingStatus.DRAFT,
    )
    return posting


async def create_posting(rt: Runtime, viewer: Viewer, content: PostingContent) -> Posting:
    """一時保存: a new draft of the employer's establishment, complete or not."""
    user = viewer.require_employer()
    assert user.establishment_id is not None
    async with in_transaction():
        return await _new_draft(user.establishment_id, content, user, rt.clock.now())


async def enter_posting(
    rt: Runtime, viewer: Viewer, establishment_id: int, content: PostingContent
) -> Posting:
    """Staff: a new draft for an establishment of their office, entered from the paper
    求人申込書 it handed in or sent (`entered_by`). Staff of the office may rewrite and submit
    it; the establishment's logins see it as theirs, entered by Hello Work."""
    establishment = await establishment_for_staff(viewer, establishment_id)
    staff = viewer.require_staff()
    async with in_transaction():
        posting = await _new_draft(
            establishment.id, content, staff, rt.clock.now(), entered_by_id=staff.id
        )
        await audit.record(
            rt,
            AuditAction.POSTING_ENTERED_BY_STAFF,
            actor=staff,
            establishment_id=establishment.id,
            posting=posting.id,
        )
    return posting


async def update_posting(
    rt: Runtime, viewer: Viewer, posting_id: int, content: PostingContent
) -> Posting:
    """Rewrite a draft or a posting returned for correction; other states are not editable.
    Staff of the office rewrite only a posting staff entered."""
    posting = await _entered_posting(viewer, posting_id)
    editable = (PostingStatus.DRAFT, PostingStatus.RETURNED)
    if posting.status not in editable:
        raise _invalid_state("編集")
    content = saved_content(content)
    updated = await Posting.filter(id=posting.id, status__in=editable).update(
        updated_at=rt.clock.now(), **content.stored()
    )
    if not updated:
        raise _invalid_state("編集")
    return await Posting.get(id=posting.id)


async def counter_registration_reasons(
    posting: Posting, content: PostingContent, today: dt.date
) -> list[CounterRegistrationReason]:
    """Why this submission needs 本登録 at the counter, from the establishment's earlier
    postings: none when it needs none."""
    earlier = Posting.filter(
        establishment_id=posting.establishment_id, accepted_at__isnull=False
    ).exclude(id=posting.id)
    reasons = []
    if not await earlier.exists():
        reasons.append(CounterRegistrationReason.FIRST_POSTING)
    else:
        if (
            content.category is PostingCategory.DISABILITY
            and not await earlier.filter(category=PostingCategory.DISABILITY).exists()
        ):
            reasons.append(CounterRegistrationReason.FIRST_DISABILITY_POSTING)
        if content.trial_employment and not await earlier.filter(trial_employment=True).exists():
            reasons.append(CounterRegistrationReason.FIRST_TRIAL_EMPLOYMENT)
        year_ago = dt.datetime.combine(today - A_YEAR, dt.time(), tzinfo=TOKYO)
        recent = earlier.filter(Q(status=PostingStatus.ACTIVE) | Q(invalidated_at__gte=year_ago))
        if not await recent.exists():
            reasons.append(CounterRegistrationReason.NO_POSTING_FOR_A_YEAR)
    if content.employment_type in DISPATCH_TYPES or content.contracting_work:
        reasons.append(CounterRegistrationReason.DISPATCH_OR_CONTRACTING)
    return reasons


async def submit_posting(
    rt: Runtime, viewer: Viewer, posting_id: int, acknowledged: Iterable[WarningCode] = ()
) -> Posting:
    """仮登録: a draft (or a corrected returned posting) goes to Hello Work, once it has no
    error and every warning is confirmed; whether it needs 本登録 at the counter, and by when,
    is decided now. It enters the office's review queue.

    A posting staff entered from a paper 求人申込書 needs no 本登録: the paper itself came to
    the counter (handed in, or sent), which is what 本登録 is for, so none is set; staff of the
    office submit it like the employer would (`_entered_posting`).
    """
    posting = await _entered_posting(viewer, posting_id)
    if posting.status not in (PostingStatus.DRAFT, PostingStatus.RETURNED):
        raise _invalid_state("提出")
    content = sent_content(rt, PostingContent.of(posting), acknowledged)
    today = rt.clock.today()
    registration: dict[str, Any] = {}
    # Once the employer has been to the counter for this posting, a submission after a return
    # or a withdrawal does not send them again.
    if posting.counter_registration_confirmed_at is None and posting.entered_by_id is None:
        reasons = await counter_registration_reasons(posting, content, today)
        registration = {
            "counter_registration_reasons": [reason.value for reason in reasons],
            "counter_registration_due_on": (
                closed_days.counter_due_date(today) if reasons else None
            ),
        }
    return await _move(
        rt,
        viewer,
        posting,
        PostingAction.SUBMITTED,
        allowed_from=(PostingStatus.DRAFT, PostingStatus.RETURNED),
        to=PostingStatus.SUBMITTED,
        what="提出",
        queue=QueueChange.ADDED,
        submitted_at=rt.clock.now(),
        **registration,
    )


async def withdraw_posting(rt: Runtime, viewer: Viewer, posting_id: int) -> Posting:
    """Take a submitted posting back to draft before staff review it (it leaves the review
    queue); a 本登録 still to be done is decided again at the next submission, one done is
    kept."""
    posting = await _own_posting(viewer, posting_id)
    confirmed = posting.counter_registration_confirmed_at is not None
    return await _move(
        rt,
        viewer,
        posting,
        PostingAction.WITHDRAWN,
        allowed_from=(PostingStatus.SUBMITTED,),
        to=PostingStatus.DRAFT,
        what="取り下げ",
        queue=QueueChange.REMOVED,
        **({} if confirmed else _NO_COUNTER_REGISTRATION),
    )


_NO_COUNTER_REGISTRATION: dict[str, Any] = {
    "counter_registration_reasons": [],
    "counter_registration_due_on": None,
    "counter_registration_confirmed_at": None,
}


async def stop_posting(rt: Runtime, viewer: Viewer, posting_id: int, reason: str) -> Posting:
    """募集停止: an active posting becomes invalid now; a pending change or renewal lapses (and
    leaves the review queue)."""
    reason = _reason("reason", reason, "募集停止の理由")
    posting = await _own_posting(viewer, posting_id)
    return await _move(
        rt,
        viewer,
        posting,
        PostingAction.STOPPED,
        allowed_from=(PostingStatus.ACTIVE,),
        to=PostingStatus.INVALID,
        what="募集停止",
        reason=reason,
        queue=QueueChange.REMOVED if waits_for_review(posting) else None,
        stop_reason=reason,
        invalidated_at=rt.clock.now(),
        **_NOTHING_WAITING,
    )


_NOTHING_WAITING: dict[str, Any] = {
    "pending_content": None,
    "change_requested_at": None,
    "renewal_content": None,
    "renewal_reserved_at": None,
    "renewal_accepted_at": None,
}


async def request_change(
    rt: Runtime,
    viewer: Viewer,
    posting_id: int,
    content: PostingContent,
    acknowledged: Iterable[WarningCode] = (),
) -> Posting:
    """A change to an active posting: kept aside for review, the active content stays. It is
    checked like a submission.

    A newer request replaces one still waiting, and takes its turn in the review queue anew
    (the queue event says ADDED each time: the item is at its new place).
    """
    posting = await _own_posting(viewer, posting_id)
    if posting.status is not PostingStatus.ACTIVE:
        raise _invalid_state("変更申請")
    content = sent_content(rt, content, acknowledged)
    user = viewer.require_employer()
    now = rt.clock.now()
    async with in_transaction():
        stored = await Posting.filter(id=posting.id, status=PostingStatus.ACTIVE).update(
            pending_content=content.stored(), change_requested_at=now, updated_at=now
        )
        if not stored:
            raise _invalid_state("変更申請")
        await _record(
            posting.id,
            PostingAction.CHANGE_REQUESTED,
            actor_id=user.id,
            at=now,
            from_status=PostingStatus.ACTIVE,
            to_status=PostingStatus.ACTIVE,
        )
        queued = await _queue_changed(posting, QueueChange.ADDED, now)
    await events.publish(rt, queued)
    return await Posting.get(id=posting.id)


async def reserve_renewal(
    rt: Runtime,
    viewer: Viewer,
    posting_id: int,
    content: PostingContent | None = None,
    acknowledged: Iterable[WarningCode] = (),
) -> Posting:
    """有効中求人更新予約: from 14 days before the referral deadline until the deadline.

    The renewal (the posting's content, or the content given) is checked against the rules in
    force today and reviewed by staff like a submission; accepted, it becomes active at the
    deadline with a new number.
    """
    posting = await _own_posting(viewer, posting_id)
    if posting.status is not PostingStatus.ACTIVE or posting.referral_deadline is None:
        raise _invalid_state("更新予約")
    if posting.renewal_reserved_at is not None:
        raise user_error(ErrorCode.ALREADY_EXISTS, "この求人はすでに更新予約されています。", "id")
    today = rt.clock.today()
    opens_on = renewal_opens_on(posting.referral_deadline)
    if today < opens_on:
        raise user_error(
            ErrorCode.RENEWAL_NOT_OPEN,
            f"更新予約は紹介期限日の{RENEWAL_WINDOW_DAYS}日前"
            f"（{opens_on.month}月{opens_on.day}日）から行えます。",
            "id",
        )
    renewal = sent_content(
        rt, content if content is not None else PostingContent.of(posting), acknowledged
    )
    user = viewer.require_employer()
    now = rt.clock.now()
    async with in_transaction():
        reserved = await Posting.filter(
            id=posting.id,
            status=PostingStatus.ACTIVE,
            renewal_reserved_at__isnull=True,
            referral_deadline__gte=today,
        ).update(
            renewal_reserved_at=now,
            renewal_content=renewal.stored(),
            renewal_accepted_at=None,
            updated_at=now,
        )
        if not reserved:
            raise _invalid_state("更新予約")
        await _record(
            posting.id,
            PostingAction.RENEWAL_RESERVED,
            actor_id=user.id,
            at=now,
            from_status=PostingStatus.ACTIVE,
            to_status=PostingStatus.ACTIVE,
        )
        queued = await _queue_changed(posting, QueueChange.ADDED, now)
    await events.publish(rt, queued)
    return await Posting.get(id=posting.id)


async def reuse_posting(rt: Runtime, viewer: Viewer, posting_id: int) -> Posting:
    """転用: a new draft with the content of any earlier posting of the establishment; it is
    checked against today's rules when it is submitted (`postingCheck` shows them at once)."""
    source = await _own_posting(viewer, posting_id)
    user = viewer.require_employer()
    now = rt.clock.now()
    async with in_transaction():
        posting = await Posting.create(
            establishment_id=source.establishment_id,
            status=PostingStatus.DRAFT,
            reused_from_id=source.id,
            created_at=now,
            updated_at=now,
            **PostingContent.of(source).stored(),
        )
        await _record(
            posting.id,
            PostingAction.REUSED,
            actor_id=user.id,
            at=now,
            from_status=None,
            to_status=PostingStatus.DRAFT,
        )
    return posting


# --- Staff use cases ----------------------------------------------------------------------


async def confirm_counter_registration(
    rt: Runtime, viewer: Viewer, posting_id: int, note: str
) -> Posting:
    """本登録: the employer came to the counter within the due date; staff mark it done."""
    note = validation.required("note", note, "メモ", NOTE_MAX_LENGTH) if note.strip() else ""
    posting = await _office_posting(viewer, posting_id)
    staff = viewer.require_staff()
    if (
        posting.status is not PostingStatus.SUBMITTED
        or not posting.counter_registration_reasons
        or posting.counter_registration_confirmed_at is not None
    ):
        raise _invalid_state("本登録の確認")
    now = rt.clock.now()
    async with in_transaction():
        confirmed = await Posting.filter(
            id=posting.id,
            status=PostingStatus.SUBMITTED,
            submitted_at=posting.submitted_at,
            counter_registration_confirmed_at__isnull=True,
        ).update(counter_registration_confirmed_at=now, updated_at=now)
        if not confirmed:
            raise _invalid_state("本登録の確認")
        await _record(
            posting.id,
            PostingAction.COUNTER_CONFIRMED,
            actor_id=staff.id,
            at=now,
            from_status=PostingStatus.SUBMITTED,
            to_status=PostingStatus.SUBMITTED,
            reason=note or None,
        )
    return await Posting.get(id=posting.id)


@dataclass(frozen=True)
class _Waiting:
    """What of an active posting waits for staff review: a change, else a reserved renewal;
    `claim` finds the row only while that same request still waits."""

    renewal: bool
    claim: dict[str, Any]


def _waiting(posting: Posting) -> _Waiting | None:
    if posting.status is not PostingStatus.ACTIVE:
        return None
    if posting.change_requested_at is not None:
        return _Waiting(False, {"change_requested_at": posting.change_requested_at})
    if posting.renewal_reserved_at is not None and posting.renewal_accepted_at is None:
        return _Waiting(
            True,
            {
                "renewal_reserved_at": posting.renewal_reserved_at,
                "renewal_accepted_at__isnull": True,
            },
        )
    return None


@dataclass(frozen=True)
class _Notice:
    """What a decision of staff tells the establishment (ハローワークからのお知らせ)."""

    kind: NoticeKind
    title: str
    body: str


def _named(posting: Posting, job_title: str | None = None) -> str:
    """How a notice names a posting: its number once it has one, and its job title."""
    title = job_title if job_title is not None else posting.job_title
    if posting.posting_number is None:
        return f"求人（{title}）"
    return f"求人番号 {posting.posting_number}（{title}）"


async def _post_notice(
    posting: Posting, notice: _Notice, staff: User, now: dt.datetime
) -> list[Event]:
    """Put the notice in the establishment's inbox, in the transaction of the decision."""
    posted = await notices.post(
        establishment_id=posting.establishment_id,
        kind=notice.kind,
        title=notice.title,
        body=notice.body,
        now=now,
        posting_id=posting.id,
        sent_by_id=staff.id,
    )
    return [] if posted is None else [posted.event]


async def _settle(
    rt: Runtime,
    staff: User,
    posting: Posting,
    waiting: _Waiting,
    action: PostingAction,
    *,
    what: str,
    notice: _Notice,
    reason: str | None = None,
    **changes: Any,
) -> Posting:
    """Staff's answer to a change or renewal waiting on an active posting: the row updated if
    the same request still waits, recorded, audited, queued and noticed in one transaction.

    The posting leaves the queue (TAKEN), unless a reserved renewal still waits once its change
    is settled: then it is there again, at the renewal's place (ADDED).
    """
    now = rt.clock.now()
    accepted = action in (PostingAction.CHANGE_ACCEPTED, PostingAction.RENEWAL_ACCEPTED)
    async with in_transaction():
        settled = await Posting.filter(
            id=posting.id, status=PostingStatus.ACTIVE, **waiting.claim
        ).update(updated_at=now, **changes)
        if not settled:
            raise _invalid_state(what)
        await _record(
            posting.id,
            action,
            actor_id=staff.id,
            at=now,
            from_status=PostingStatus.ACTIVE,
            to_status=PostingStatus.ACTIVE,
            reason=reason,
        )
        audit_action = AuditAction.POSTING_ACCEPTED if accepted else AuditAction.POSTING_RETURNED
        await _audit_review(rt, audit_action, staff, posting, change=True)
        after = await Posting.get(id=posting.id)
        still_waiting = waits_for_review(after)
        published = [
            await _queue_changed(
                posting, QueueChange.ADDED if still_waiting else QueueChange.TAKEN, now
            ),
            *await _post_notice(posting, notice, staff, now),
        ]
    await _publish(rt, published)
    return after


ACCEPTANCE_NOTE_LABEL = "確認メモ"


def _acceptance_note(note: str) -> str:
    """確認メモ: optional, up to 500 characters; empty when none was given."""
    note = note.strip()
    if len(note) > NOTE_MAX_LENGTH:
        raise validation.too_long("note", ACCEPTANCE_NOTE_LABEL, NOTE_MAX_LENGTH)
    return note


def _check_entered_acceptance(rt: Runtime, staff: User, posting: Posting, note: str) -> None:
    """The rules of accepting a posting staff entered from paper: with FOUR_EYES_REVIEW=on
    another staff member accepts it; either way the acceptance carries a note of what was
    checked (the paper against the entry)."""
    if posting.entered_by_id is None:
        return
    if rt.settings.four_eyes_review and posting.entered_by_id == staff.id:
        raise user_error(
            ErrorCode.SAME_STAFF_REVIEW,
            "この求人を入力した職員は受理できません。別の職員が受理してください。",
            "id",
        )
    if not note:
        raise user_error(
            ErrorCode.REQUIRED,
            "職員が代理入力した求人の受理には確認メモが必要です。",
            "note",
        )


async def accept_posting(rt: Runtime, viewer: Viewer, posting_id: int, note: str = "") -> Posting:
    """受理: a submitted posting becomes active with its number and referral deadline; for an
    active posting, its waiting change replaces the active content, or else its reserved
    renewal is accepted to become active at the deadline.

    `note` (確認メモ, up to 500 characters) is kept as the history entry's reason; it is
    required for a posting staff entered (see `_check_entered_acceptance`). The posting leaves
    the review queue and the establishment is told, with the number and the deadline.
    """
    note = _acceptance_note(note)
    posting = await _office_posting(viewer, posting_id)
    staff = viewer.require_staff()
    now = rt.clock.now()
    waiting = _waiting(posting)
    if waiting is not None and waiting.renewal:
        assert posting.referral_deadline is not None
        return await _settle(
            rt,
            staff,
            posting,
            waiting,
            PostingAction.RENEWAL_ACCEPTED,
            what="受理",
            reason=note or None,
            notice=_Notice(
                NoticeKind.POSTING_ACCEPTED,
                "求人の更新を受理しました",
                f"{_named(posting)}の更新予約を受理しました。紹介期限日"
                f"（{japanese_era_date(posting.referral_deadline)}）の翌日から、新しい求人番号で有効になります。",
            ),
            renewal_accepted_at=now,
        )
    if waiting is not None:
        assert posting.pending_content is not None
        assert posting.referral_deadline is not None
        content = PostingContent.from_json(posting.pending_content)
        return await _settle(
            rt,
            staff,
            posting,
            waiting,
            PostingAction.CHANGE_ACCEPTED,
            what="受理",
            reason=note or None,
            notice=_Notice(
                NoticeKind.POSTING_ACCEPTED,
                "求人の変更を受理しました",
                f"{_named(posting, content.job_title)}の変更申請を受理しました。変更後の内容で"
                f"公開しています。\n紹介期限日: {japanese_era_date(posting.referral_deadline)}",
            ),
            pending_content=None,
            change_requested_at=None,
            **content.stored(),
        )
    if posting.status is not PostingStatus.SUBMITTED:
        raise _invalid_state("受理")
    _check_entered_acceptance(rt, staff, posting, note)
    if posting.counter_registration_reasons and posting.counter_registration_confirmed_at is None:
        due = posting.counter_registration_due_on
        assert due is not None
        raise user_error(
            ErrorCode.COUNTER_REGISTRATION_PENDING,
            f"この求人は本登録（{due.month}月{due.day}日まで）が済んでいないため受理できません。",
            "id",
        )
    office = posting.establishment.office
    await _ensure_serial_row(office.id)
    deadline = deadline_on_acceptance(PostingContent.of(posting), rt.clock.today())
    async with in_transaction():
        claimed = await Posting.filter(id=posting.id, status=PostingStatus.SUBMITTED).update(
            status=PostingStatus.ACTIVE,
            accepted_at=now,
            referral_deadline=deadline,
            return_reason=None,
            updated_at=now,
        )
        if not claimed:
            raise _invalid_state("受理")
        serial = await _next_serial(office.id)
        number = format_posting_number(office.code, serial)
        await Posting.filter(id=posting.id).update(posting_number=number)
        await _record(
            posting.id,
            PostingAction.ACCEPTED,
            actor_id=staff.id,
            at=now,
            from_status=PostingStatus.SUBMITTED,
            to_status=PostingStatus.ACTIVE,
            reason=note or None,
        )
        await _audit_review(rt, AuditAction.POSTING_ACCEPTED, staff, posting, change=False)
        published = [
            await _queue_changed(posting, QueueChange.TAKEN, now),
            *await _post_notice(
                posting,
                _Notice(
                    NoticeKind.POSTING_ACCEPTED,
                    "求人を受理しました",
                    f"求人番号 {number}（{posting.job_title}）を受理しました。"
                    f"\n紹介期限日: {japanese_era_date(deadline)}",
                ),
                staff,
                now,
            ),
        ]
    await _publish(rt, published)
    return await Posting.get(id=posting.id)


async def return_posting(rt: Runtime, viewer: Viewer, posting_id: int, reason: str) -> Posting:
    """修正依頼: a submitted posting goes back to the employer with the reason; for an active
    posting, its waiting change (or else its waiting renewal) is refused and the active
    content stays. The posting leaves the review queue and the establishment is told why."""
    reason = _reason("reason", reason, "修正依頼の理由")
    posting = await _office_posting(viewer, posting_id)
    staff = viewer.require_staff()
    waiting = _waiting(posting)
    if waiting is not None and waiting.renewal:
        assert posting.referral_deadline is not None
        return await _settle(
            rt,
            staff,
            posting,
            waiting,
            PostingAction.RENEWAL_RETURNED,
            what="修正依頼",
            reason=reason,
            notice=_Notice(
                NoticeKind.POSTING_RETURNED,
                "求人の更新予約を受理できませんでした",
                f"{_named(posting)}の更新予約は受理されませんでした。この求人は紹介期限日"
                f"（{japanese_era_date(posting.referral_deadline)}）で終了します。\n理由: {reason}",
            ),
            renewal_content=None,
            renewal_reserved_at=None,
        )
    if waiting is not None:
        return await _settle(
            rt,
            staff,
            posting,
            waiting,
            PostingAction.CHANGE_RETURNED,
            what="修正依頼",
            reason=reason,
            notice=_Notice(
                NoticeKind.POSTING_RETURNED,
                "求人の変更申請を受理できませんでした",
                f"{_named(posting)}の変更申請は受理されませんでした。現在の内容のまま公開を"
                f"続けます。\n理由: {reason}",
            ),
            pending_content=None,
            change_requested_at=None,
        )

    async def audited_and_noticed(now: dt.datetime) -> list[Event]:
        await _audit_review(rt, AuditAction.POSTING_RETURNED, staff, posting, change=False)
        notice = _Notice(
            NoticeKind.POSTING_RETURNED,
            "求人の修正依頼があります",
            f"{_named(posting)}について修正依頼があります。内容を修正して、もう一度提出して"
            f"ください。\n理由: {reason}",
        )
        return await _post_notice(posting, notice, staff, now)

    return await _move(
        rt,
        viewer,
        posting,
        PostingAction.RETURNED,
        allowed_from=(PostingStatus.SUBMITTED,),
        to=PostingStatus.RETURNED,
        what="修正依頼",
        reason=reason,
        queue=QueueChange.TAKEN,
        within=audited_and_noticed,
        return_reason=reason,
    )


CORRECTION_NOTE_LABEL = "修正の理由"


async def correct_posting(
    rt: Runtime, viewer: Viewer, posting_id: int, changes: dict[str, Any], note: str
) -> Posting:
    """軽微な修正: staff of the office change items of a submitted posting before accepting
    it, with a note (up to 500 characters) that the employer sees.

    `changes` holds the items to change, by name; the others stay. Only a SUBMITTED posting
    (仮登録, waiting for review) can be corrected: a change waiting on an active posting is
    the employer's proposal, which staff accept or return. The corrected posting must pass
    the check's errors, since it is still to be accepted; its warnings are staff's own call.
    The history entry (CORRECTED) keeps each item changed with its label and its value before
    and after as the printed 求人票 shows it, and the establishment gets a notice. The posting
    stays where it is in the review queue.
    """
    note = validation.required("note", note, CORRECTION_NOTE_LABEL, NOTE_MAX_LENGTH)
    posting = await _office_posting(viewer, posting_id)
    staff = viewer.require_staff()
    if posting.status is not PostingStatus.SUBMITTED:
        raise _invalid_state("修正")
    before = PostingContent.of(posting)
    unknown = changes.keys() - ITEM_BY_NAME.keys()
    assert not unknown, unknown
    corrected = saved_content(PostingContent(**{**vars(before), **changes}))
    result = posting_check.check(corrected, rt.clock.today())
    if result.errors:
        raise UserErrors(*result.errors)
    stored, was = corrected.stored(), before.stored()
    changed = [item for item in ITEMS if stored[item.name] != was[item.name]]
    if not changed:
        raise user_error(ErrorCode.NOTHING_CHANGED, "修正された項目がありません。", "content")
    entries = [
        {
            "field": item.name,
            "label": item.label,
            "before": item.display(vars(before)[item.name]),
            "after": item.display(vars(corrected)[item.name]),
        }
        for item in changed
    ]
    now = rt.clock.now()
    async with in_transaction():
        # The same submission, unchanged since it was read: the entry's "before" is exact.
        updated = await Posting.filter(
            id=posting.id,
            status=PostingStatus.SUBMITTED,
            submitted_at=posting.submitted_at,
            updated_at=posting.updated_at,
        ).update(updated_at=now, **{item.name: stored[item.name] for item in changed})
        if not updated:
            raise _invalid_state("修正")
        await _record(
            posting.id,
            PostingAction.CORRECTED,
            actor_id=staff.id,
            at=now,
            from_status=PostingStatus.SUBMITTED,
            to_status=PostingStatus.SUBMITTED,
            reason=note,
            changes=entries,
        )
        # Which items, never their values: a contact may name a person.
        await audit.record(
            rt,
            AuditAction.POSTING_CORRECTED,
            actor=staff,
            establishment_id=posting.establishment_id,
            posting=posting.id,
            items=[item.name for item in changed],
        )
        listed = "\n".join(f"・{item.label}" for item in changed)
        notice = _Notice(
            NoticeKind.POSTING_CORRECTED,
            "求人の内容を修正しました",
            f"{_named(posting, corrected.job_title)}の次の項目をハローワークで修正しました。"
            f"\n{listed}\n修正の理由: {note}\n修正前と修正後の内容は求人の履歴で確認できます。",
        )
        published = await _post_notice(posting, notice, staff, now)
    await _publish(rt, published)
    return await Posting.get(id=posting.id)


async def _audit_review(
    rt: Runtime, action: AuditAction, staff: User, posting: Posting, *, change: bool
) -> None:
    await audit.record(
        rt,
        action,
        actor=staff,
        establishment_id=posting.establishment_id,
        posting=posting.id,
        change_request=change,
    )


# --- The referral deadline and the 本登録 due date -----------------------------------------


@dataclass(frozen=True)
class ExpiryResult:
    expired: int
    renewed: int
    lapsed: int = 0


async def expire_postings(rt: Runtime) -> ExpiryResult:
    """End the active postings whose referral deadline has passed (Tokyo), renewing those
    whose reserved renewal staff accepted: a new active posting with the renewal's content,
    a new number and deadline. Let lapse the submissions whose 本登録 was not done by its due
    date: back to DRAFT.

    Idempotent and safe with several processes: each posting is claimed by a conditional
    UPDATE on its status, and only the process whose update changed the row goes on.
    """
    today = rt.clock.today()
    due = await Posting.filter(
        status=PostingStatus.ACTIVE, referral_deadline__lt=today
    ).select_related("establishment__office")
    expired = renewed = 0
    for posting in due:
        if await _expire_one(rt, posting):
            expired += 1
            renewed += posting.renewal_accepted_at is not None
    lapsed = 0
    for posting in await Posting.filter(
        status=PostingStatus.SUBMITTED,
        counter_registration_due_on__lt=today,
        counter_registration_confirmed_at__isnull=True,
    ).select_related("establishment"):
        lapsed += await _lapse_one(rt, posting)
    return ExpiryResult(expired=expired, renewed=renewed, lapsed=lapsed)


async def _lapse_one(rt: Runtime, posting: Posting) -> bool:
    now = rt.clock.now()
    due = posting.counter_registration_due_on
    assert due is not None
    async with in_transaction():
        claimed = await Posting.filter(
            id=posting.id,
            status=PostingStatus.SUBMITTED,
            submitted_at=posting.submitted_at,
            counter_registration_confirmed_at__isnull=True,
        ).update(status=PostingStatus.DRAFT, updated_at=now, **_NO_COUNTER_REGISTRATION)
        if not claimed:
            return False
        await _record(
            posting.id,
            PostingAction.LAPSED,
            actor_id=None,
            at=now,
            from_status=PostingStatus.SUBMITTED,
            to_status=PostingStatus.DRAFT,
            reason=f"本登録の期限（{due.year}年{due.month}月{due.day}日）の経過",
        )
        queued = await _queue_changed(posting, QueueChange.REMOVED, now)
    await events.publish(rt, queued)
    return True


async def _expire_one(rt: Runtime, posting: Posting) -> bool:
    now = rt.clock.now()
    office = posting.establishment.office
    renew = posting.renewal_accepted_at is not None
    if renew:
        await _ensure_serial_row(office.id)
    published: list[Event] = []
    async with in_transaction():
        claimed = await Posting.filter(id=posting.id, status=PostingStatus.ACTIVE).update(
            status=PostingStatus.INVALID,
            invalidated_at=now,
            pending_content=None,
            change_requested_at=None,
            updated_at=now,
        )
        if not claimed:
            return False
        # A change, or a renewal staff have not accepted, ends with the posting.
        if waits_for_review(posting):
            published.append(await _queue_changed(posting, QueueChange.REMOVED, now))
        await _record(
            posting.id,
            PostingAction.EXPIRED,
            actor_id=None,
            at=now,
            from_status=PostingStatus.ACTIVE,
            to_status=PostingStatus.INVALID,
            reason="紹介期限日の経過",
        )
        if renew:
            assert posting.referral_deadline is not None
            content = (
                PostingContent.from_json(posting.renewal_content)
                if posting.renewal_content is not None
                else PostingContent.of(posting)
            )
            renewed_on = posting.referral_deadline + dt.timedelta(days=1)
            serial = await _next_serial(office.id)
            renewal = await Posting.create(
                establishment_id=posting.establishment_id,
                status=PostingStatus.ACTIVE,
                posting_number=format_posting_number(office.code, serial),
                referral_deadline=deadline_on_acceptance(content, renewed_on),
                accepted_at=now,
                renewed_from_id=posting.id,
                created_at=now,
                updated_at=now,
                **content.stored(),
            )
            await _record(
                renewal.id,
                PostingAction.RENEWED,
                actor_id=None,
                at=now,
                from_status=None,
                to_status=PostingStatus.ACTIVE,
                reason=f"求人番号 {posting.posting_number} の更新",
            )
    await _publish(rt, published)
    return True


# --- Queries ------------------------------------------------------------------------------


@functools.cache
def _own_columns() -> tuple[str, ...]:
    """The columns of a posting that are not items of its form, its links included (known
    once Tortoise has set the models up)."""
    form = {item.name for item in ITEMS}
    return tuple(name for name in Posting._meta.fields_db_projection if name not in form)


PARTIAL_READS_KEPT = 64
"""Sets of items whose reads of postings by id are kept prepared (a document names its set)."""


@functools.lru_cache(maxsize=PARTIAL_READS_KEPT)
def _partial_read(items: frozenset[str]) -> PreparedIn[Posting]:
    columns = (*_own_columns(), *sorted(items))
    return PreparedIn(lambda wanted: Posting.filter(id__in=wanted).only(*columns))


async def postings_with_items(ids: Sequence[int], items: frozenset[str]) -> list[Posting]:
    """The postings of `ids` holding their own columns and only `items` of their form, as the
    postings page reads them: a list that shows a posting's title reads a few of its hundred
    columns. The SQL is built once per set of items, the last `PARTIAL_READS_KEPT` kept."""
    return await _partial_read(items)(ids)


@functools.lru_cache(maxsize=PARTIAL_READS_KEPT)
def _establishment_list(
    status: PostingStatus | None, category: PostingCategory | None, items: frozenset[str] | None
) -> IdList[Posting]:
    """An establishment's postings, of `status` and `category` or all, holding their own
    columns and `items` of their form (all of it for None), newest first: the list every
    visit of the postings page and the home reads, its SQL built once (a prepared read takes
    no enum: the filters are the list's own)."""
    fixed = {
        name: value
        for name, value in (("status", status), ("category", category))
        if value is not None
    }
    columns = None if items is None else (*_own_columns(), *sorted(items))

    def query(establishment_id: int) -> QuerySet[Posting]:
        found = Posting.filter(establishment_id=establishment_id, **fixed)
        return found if columns is None else found.only(*columns)

    return IdList(query, newest_first=True)


async def establishment_postings(
    viewer: Viewer,
    *,
    status: PostingStatus | None = None,
    category: PostingCategory | None = None,
    renewable_on: dt.date | None = None,
    window: Window[int],
    items: Iterable[str] | None = None,
) -> Page[Posting]:
    """The postings of the employer's establishment, newest first.

    `renewable_on` keeps the active postings whose renewal can be reserved that day. With
    `items`, the rows hold the posting's own columns and only those items of its form (a
    list shows a few of them; reading the hundred columns was most of a page's cost). The
    lists without `renewable_on` (a date, which a prepared read does not take) are read by SQL
    built once.
    """
    user = viewer.require_employer()
    if user.establishment_id is None:  # no establishment: nothing to list
        return empty_page()
    shown = None if items is None else frozenset(items)
    if renewable_on is None:
        listed = _establishment_list(status, category, shown)
        return await listed.page(window, user.establishment_id)
    query = Posting.filter(establishment_id=user.establishment_id)
    if shown is not None:
        query = query.only(*_own_columns(), *sorted(shown))
    if status is not None:
        query = query.filter(status=status)
    if category is not None:
        query = query.filter(category=category)
    query = query.filter(
        status=PostingStatus.ACTIVE,
        renewal_reserved_at__isnull=True,
        referral_deadline__gte=renewable_on,
        referral_deadline__lte=renewable_on + dt.timedelta(days=RENEWAL_WINDOW_DAYS),
    )
    return await newest(query, window)


async def review_queue(viewer: Viewer, *, window: Window[int]) -> Page[Posting]:
    """Staff: the submitted postings, and the changes and renewals of active ones waiting for
    review, of their office, oldest first."""
    staff = viewer.require_staff()
    query = Posting.filter(establishment__office_id=staff.office_id).filter(
        Q(status=PostingStatus.SUBMITTED)
        | Q(status=PostingStatus.ACTIVE, change_requested_at__isnull=False)
        | Q(
            status=PostingStatus.ACTIVE,
            change_requested_at__isnull=True,
            renewal_reserved_at__isnull=False,
            renewal_accepted_at__isnull=True,
        )
    )
    return await oldest(query, window)


@dataclass(frozen=True)
class SearchFilters:
    keyword: str | None = None
    category: PostingCategory | None = None
    prefecture: str | None = None
    employment_type: EmploymentType | None = None
    work_style: WorkStyle | None = None


def _published_ranges(viewer: Viewer) -> list[PublicationRange]:
    """The publication ranges (公開範囲) whose postings the viewer may find: a seeker with a
    My Page also those limited to Hello Work's seekers; nobody those not published."""
    ranges = [PublicationRange.WITH_NAME, PublicationRange.WITHOUT_NAME]
    if viewer.user is not None and viewer.user.portal == Portal.SEEKER:
        ranges.append(PublicationRange.NAME_TO_SEEKERS_ONLY)
    return ranges


def _published(viewer: Viewer, today: dt.date) -> Q:
    """The active postings published to the viewer today: by their publication range, and a
    大卒等 posting from 1 April of its school year."""
    return Q(status=PostingStatus.ACTIVE, publication_range__in=_published_ranges(viewer)) & (
        ~Q(category=PostingCategory.GRADUATE)
        | Q(graduate_class_of__lte=posting_check.graduating_class(today))
    )


def is_published_to(rt: Runtime, viewer: Viewer, posting: Posting) -> bool:
    """Whether the posting is published to the viewer today (search, print, apply)."""
    if posting.status is not PostingStatus.ACTIVE:
        return False
    if posting.publication_range not in _published_ranges(viewer):
        return False
    if posting.category is PostingCategory.GRADUATE:
        class_of = posting.graduate_class_of
        return class_of is not None and class_of <= posting_check.graduating_class(rt.clock.today())
    return True


def accepts_online_applications(posting: Posting) -> bool:
    """オンライン自主応募 (and direct requests): only under the first two publication ranges."""
    return (
        posting.accepts_online_applications
        and posting.publication_range in ONLINE_APPLICATION_RANGES
    )


async def search_postings(
    rt: Runtime, viewer: Viewer, filters: SearchFilters, *, window: Window[int]
) -> Page[Posting]:
    """Active postings published to the viewer, newest first; anyone may search."""
    query = Posting.filter(_published(viewer, rt.clock.today())).select_related("establishment")
    keyword = (filters.keyword or "").strip()
    if keyword:
        query = query.filter(
            Q(job_title__icontains=keyword)
            | Q(job_description__icontains=keyword)
            | Q(workplace_address__icontains=keyword)
        )
    if filters.category is not None:
        query = query.filter(category=filters.category)
    if filters.prefecture:
        if filters.prefecture not in wages.PREFECTURES:
            # No posting has another (every write checks it), and Tortoise would refuse a value
            # longer than the column rather than find nothing.
            return empty_page()
        query = query.filter(workplace_prefecture=filters.prefecture)
    if filters.employment_type is not None:
        query = query.filter(employment_type=filters.employment_type)
    if filters.work_style is not None:
        query = query.filter(work_style=filters.work_style)
    return await newest(query, window)


def shows_establishment(viewer: Viewer, posting: Posting) -> bool:
    """Whether a published posting may name the establishment (公開範囲)."""
    if posting.publication_range is PublicationRange.WITH_NAME:
        return True
    if posting.publication_range is PublicationRange.NAME_TO_SEEKERS_ONLY:
        return viewer.user is not None and viewer.user.portal == Portal.SEEKER
    return False


async def published_postings(rt: Runtime, viewer: Viewer, ids: list[int]) -> dict[int, Posting]:
    """The postings among `ids` published to the viewer today, as the search finds them (with
    their establishment): what `node` reads of a `PostingSearchResult`."""
    query = Posting.filter(_published(viewer, rt.clock.today()), id__in=ids)
    return {posting.id: posting for posting in await query.select_related("establishment")}


async def visible_postings(viewer: Viewer, ids: list[int]) -> dict[int, Posting]:
    """The postings among `ids` the viewer may see whole: its establishment's, or its
    office's."""
    query = viewer.scope(
        Posting.filter(id__in=ids),
        establishment="establishment_id",
        office="establishment__office_id",
    )
    if query is None:
        return {}
    return {posting.id: posting for posting in await query}


# --- Filled by hiring ---------------------------------------------------------------------
