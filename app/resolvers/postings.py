"""Job postings (求人): the form, its review by staff, validity, renewal and reuse.

The life of a posting: DRAFT (仮登録) → SUBMITTED (提出) → ACTIVE (受理) or RETURNED (修正依頼);
ACTIVE ends as INVALID at the referral deadline or when recruiting stops (募集停止). Every move
is a conditional UPDATE on the status it leaves, so two requests (or two processes) racing for
the same move cannot both make it, and it is written with its history entry in one transaction.
"""

from __future__ import annotations

import calendar
import contextlib
import datetime as dt
from dataclasses import dataclass
from functools import partial
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F, Q
from tortoise.transactions import in_transaction

from app.errors import ErrorCode, user_error
from app.models import AuditAction, Portal, Posting, PostingEvent, PostingNumberSerial, User
from app.models.posting_form import (
    ITEMS,
    Choices,
    Integer,
    Item,
    PostalCode,
    PostingForm,
    Prefecture,
    Text,
)
from app.models.postings import (
    EmploymentPeriod,
    EmploymentType,
    PostingAction,
    PostingCategory,
    PostingStatus,
    PublicationRange,
    WageForm,
    WorkStyle,
)
from app.resolvers import audit, validation
from app.resolvers.paging import Page, newest_first, oldest_first
from app.runtime import Runtime
from app.viewer import Viewer

RENEWAL_WINDOW_DAYS = 14
REASON_MAX_LENGTH = 500

# 法定労働時間 8 hours a day; 21 working days a month is the usual monthly conversion.
HOURS_PER_DAY = 8
DAYS_PER_MONTH = 21

PREFECTURES = (
    "北海道", "青森県", "岩手県", "宮城県", "秋田県", "山形県", "福島県",
    "茨城県", "栃木県", "群馬県", "埼玉県", "千葉県", "東京都", "神奈川県",
    "新潟県", "富山県", "石川県", "福井県", "山梨県", "長野県", "岐阜県",
    "静岡県", "愛知県", "三重県", "滋賀県", "京都府", "大阪府", "兵庫県",
    "奈良県", "和歌山県", "鳥取県", "島根県", "岡山県", "広島県", "山口県",
    "徳島県", "香川県", "愛媛県", "高知県", "福岡県", "佐賀県", "長崎県",
    "熊本県", "大分県", "宮崎県", "鹿児島県", "沖縄県",
)  # fmt: skip


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
        """A change waiting for review, as stored from `values`; an item added to the form
        since it was stored reads as left out."""
        values: dict[str, Any] = {}
        for item in ITEMS:
            if item.name in data:
                values[item.name] = item.load(data[item.name])
            elif item.default_factory is not None:
                values[item.name] = item.default_factory()
        return cls(**values)

    def values(self) -> dict[str, Any]:
        # Shallow, not a deep copy (that was most of the cost of a page); lists are copied, so
        # a row or a stored change never shares one with the content.
        values = {}
        for item in ITEMS:
            value = vars(self)[item.name]
            values[item.name] = list(value) if isinstance(value, list) else value
        return values


# --- The form -----------------------------------------------------------------------------


def _field(name: str) -> str:
    return "content." + name


# Errors come in the form's order, whether an item's own check or a rule across items found them.
_FORM_ORDER: dict[str | None, int] = {_field(item.name): i for i, item in enumerate(ITEMS)}


def _optional_text(field: str, value: str, label: str, max_length: int) -> str:
    value = value.strip()
    if len(value) > max_length:
        raise user_error(
            ErrorCode.TOO_LONG, f"{label}は{max_length}文字以内で入力してください。", field
        )
    return value


def _check_item(item: Item[Any], value: Any) -> Any:
    """The value as stored (text trimmed, choices once each, in the list's order), or
    `UserErrors` for the item's field."""
    field = _field(item.name)
    match item:
        case Text(required=True):
            return validation.required(field, value, item.label, item.max_length)
        case Text():
            return _optional_text(field, value, item.label, item.max_length)
        case Integer() if value is not None and not item.low <= value <= item.high:
            raise user_error(
                ErrorCode.OUT_OF_RANGE,
                f"{item.label}は{item.low}から{item.high}までで入力してください。",
                field,
            )
        case PostalCode():
            return validation.postal_code(field, value)
        case Prefecture() if value not in PREFECTURES:
            raise user_error(ErrorCode.INVALID_FORMAT, f"{item.label}を選択してください。", field)
        case Choices():
            return [choice for choice in item.enum if choice in value]
    return value


def minimum_wage_for(form: WageForm, minimum_hourly_wage: int) -> int:
    """The lowest basic wage allowed in `form`, from the hourly floor (最低賃金).

    Hourly wages compare directly; a daily wage is taken as 8 hours (×8), a monthly wage as
    21 working days of 8 hours (×8×21).
    """
    if form is WageForm.HOURLY:
        return minimum_hourly_wage
    if form is WageForm.DAILY:
        return minimum_hourly_wage * HOURS_PER_DAY
    return minimum_hourly_wage * HOURS_PER_DAY * DAYS_PER_MONTH


def _check_wages(rt: Runtime, content: PostingContent) -> None:
    floor = minimum_wage_for(content.wage_form, rt.settings.minimum_hourly_wage)
    errors = validation.Form()
    if content.base_wage_min < floor:
        errors.check(
            lambda: _raise(
                ErrorCode.BELOW_MINIMUM_WAGE,
                f"基本給（下限）は{floor:,}円以上で入力してください（最低賃金）。",
                "base_wage_min",
            )
        )
    if content.base_wage_max < content.base_wage_min:
        errors.check(
            lambda: _raise(
                ErrorCode.OUT_OF_RANGE,
                "基本給（上限）は基本給（下限）以上で入力してください。",
                "base_wage_max",
            )
        )
    errors.done()


def _check_age_limit_reason(content: PostingContent) -> None:
    if content.age_limit is None and content.age_limit_reason is not None:
        _raise(
            ErrorCode.INVALID_FORMAT,
            "年齢制限がない場合は、年齢制限の理由を選択しないでください。",
            "age_limit_reason",
        )
    if content.age_limit is not None and content.age_limit_reason is None:
        _raise(
            ErrorCode.REQUIRED,
            "年齢制限を設ける場合は、その理由（例外事由）を選択してください。",
            "age_limit_reason",
        )


def _check_fixed_term(content: PostingContent) -> None:
    if (
        content.employment_period is EmploymentPeriod.FIXED_TERM
        and not content.employment_period_detail
    ):
        _raise(
            ErrorCode.REQUIRED,
            "雇用期間の定めがある場合は、その期間を入力してください。",
            "employment_period_detail",
        )


def _raise(code: ErrorCode, message: str, name: str) -> None:
    raise user_error(code, message, _field(name))


def validate_content(rt: Runtime, content: PostingContent) -> PostingContent:
    """The content as stored, or `UserErrors` naming every field at fault."""
    form = validation.Form()
    checked = PostingContent(
        **{
            item.name: form.check(partial(_check_item, item, getattr(content, item.name)))
            for item in ITEMS
        }
    )
    # The rules across items read the checked content, where an item at fault is None: a fixed
    # term's detail at fault counts as missing too, while the age and wage rules, which need
    # their items' values, leave a fault to the item's own error.
    at_fault = {error.field for error in form.errors}
    form.check(lambda: _check_fixed_term(checked))
    if _field("age_limit") not in at_fault:
        form.check(lambda: _check_age_limit_reason(checked))
    if not at_fault & {_field("base_wage_min"), _field("base_wage_max")}:
        form.check(lambda: _check_wages(rt, checked))
    form.errors.sort(key=lambda error: _FORM_ORDER[error.field])
    form.done()
    return checked


def _reason(field: str, value: str, label: str) -> str:
    return validation.required(field, value, label, REASON_MAX_LENGTH)


# --- Dates and numbers --------------------------------------------------------------------


def referral_deadline(accepted_on: dt.date) -> dt.date:
    """紹介期限日: the last day of the month after next from the day of acceptance."""
    month_index = accepted_on.year * 12 + accepted_on.month - 1 + 2
    year, month = divmod(month_index, 12)
    month += 1
    return dt.date(year, month, calendar.monthrange(year, month)[1])


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
    posting = await Posting.get_or_none(id=posting_id, establishment_id=user.establishment_id)
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


async def _record(
    posting_id: int,
    action: PostingAction,
    *,
    actor_id: int | None,
    at: dt.datetime,
    from_status: PostingStatus | None,
    to_status: PostingStatus,
    reason: str | None = None,
) -> None:
    await PostingEvent.create(
        posting_id=posting_id,
        action=action,
        actor_id=actor_id,
        from_status=from_status,
        to_status=to_status,
        reason=reason,
        created_at=at,
    )


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
    **changes: Any,
) -> Posting:
    """Move the posting to `to` if it is still in one of `allowed_from`, and record it."""
    if posting.status not in allowed_from:
        raise _invalid_state(what)
    assert viewer.user is not None
    now = rt.clock.now()
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
    return await Posting.get(id=posting.id)


# --- Employer use cases -------------------------------------------------------------------


async def create_posting(rt: Runtime, viewer: Viewer, content: PostingContent) -> Posting:
    """仮登録: a new draft of the employer's establishment."""
    user = viewer.require_employer()
    content = validate_content(rt, content)
    now = rt.clock.now()
    async with in_transaction():
        posting = await Posting.create(
            establishment_id=user.establishment_id,
            status=PostingStatus.DRAFT,
            created_at=now,
            updated_at=now,
            **content.values(),
        )
        await _record(
            posting.id,
            PostingAction.CREATED,
            actor_id=user.id,
            at=now,
            from_status=None,
            to_status=PostingStatus.DRAFT,
        )
    return posting


async def update_posting(
    rt: Runtime, viewer: Viewer, posting_id: int, content: PostingContent
) -> Posting:
    """Rewrite a draft or a posting returned for correction; other states are not editable."""
    posting = await _own_posting(viewer, posting_id)
    editable = (PostingStatus.DRAFT, PostingStatus.RETURNED)
    if posting.status not in editable:
        raise _invalid_state("編集")
    content = validate_content(rt, content)
    updated = await Posting.filter(id=posting.id, status__in=editable).update(
        updated_at=rt.clock.now(), **content.values()
    )
    if not updated:
        raise _invalid_state("編集")
    return await Posting.get(id=posting.id)


async def submit_posting(rt: Runtime, viewer: Viewer, posting_id: int) -> Posting:
    """提出: a draft (or a corrected returned posting) goes to staff review."""
    posting = await _own_posting(viewer, posting_id)
    if posting.status in (PostingStatus.DRAFT, PostingStatus.RETURNED):
        # The floor (最低賃金) may have risen since the draft was written or copied.
        validate_content(rt, PostingContent.of(posting))
    return await _move(
        rt,
        viewer,
        posting,
        PostingAction.SUBMITTED,
        allowed_from=(PostingStatus.DRAFT, PostingStatus.RETURNED),
        to=PostingStatus.SUBMITTED,
        what="提出",
        submitted_at=rt.clock.now(),
    )


async def withdraw_posting(rt: Runtime, viewer: Viewer, posting_id: int) -> Posting:
    """Take a submitted posting back to draft before staff review it."""
    posting = await _own_posting(viewer, posting_id)
    return await _move(
        rt,
        viewer,
        posting,
        PostingAction.WITHDRAWN,
        allowed_from=(PostingStatus.SUBMITTED,),
        to=PostingStatus.DRAFT,
        what="取り下げ",
    )


async def stop_posting(rt: Runtime, viewer: Viewer, posting_id: int, reason: str) -> Posting:
    """募集停止: an active posting becomes invalid now; a pending change or renewal lapses."""
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
        stop_reason=reason,
        invalidated_at=rt.clock.now(),
        pending_content=None,
        change_requested_at=None,
    )


async def request_change(
    rt: Runtime, viewer: Viewer, posting_id: int, content: PostingContent
) -> Posting:
    """A change to an active posting: kept aside for review, the active content stays.

    A newer request replaces one still waiting.
    """
    posting = await _own_posting(viewer, posting_id)
    if posting.status is not PostingStatus.ACTIVE:
        raise _invalid_state("変更申請")
    content = validate_content(rt, content)
    user = viewer.require_employer()
    now = rt.clock.now()
    async with in_transaction():
        stored = await Posting.filter(id=posting.id, status=PostingStatus.ACTIVE).update(
            pending_content=content.values(), change_requested_at=now, updated_at=now
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
    return await Posting.get(id=posting.id)


async def reserve_renewal(rt: Runtime, viewer: Viewer, posting_id: int) -> Posting:
    """有効中求人更新予約: from 14 days before the referral deadline until the deadline."""
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
    user = viewer.require_employer()
    now = rt.clock.now()
    async with in_transaction():
        reserved = await Posting.filter(
            id=posting.id,
            status=PostingStatus.ACTIVE,
            renewal_reserved_at__isnull=True,
            referral_deadline__gte=today,
        ).update(renewal_reserved_at=now, updated_at=now)
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
    return await Posting.get(id=posting.id)


async def reuse_posting(rt: Runtime, viewer: Viewer, posting_id: int) -> Posting:
    """転用: a new draft with the content of any earlier posting of the establishment."""
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
            **PostingContent.of(source).values(),
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


async def accept_posting(rt: Runtime, viewer: Viewer, posting_id: int) -> Posting:
    """受理: a submitted posting becomes active with its number and referral deadline;
    for an active posting, its waiting change replaces the active content."""
    posting = await _office_posting(viewer, posting_id)
    staff = viewer.require_staff()
    now = rt.clock.now()
    if posting.status is PostingStatus.ACTIVE and posting.pending_content is not None:
        content = PostingContent.from_json(posting.pending_content)
        async with in_transaction():
            applied = await Posting.filter(
                id=posting.id,
                status=PostingStatus.ACTIVE,
                change_requested_at=posting.change_requested_at,
            ).update(
                pending_content=None, change_requested_at=None, updated_at=now, **content.values()
            )
            if not applied:
                raise _invalid_state("受理")
            await _record(
                posting.id,
                PostingAction.CHANGE_ACCEPTED,
                actor_id=staff.id,
                at=now,
                from_status=PostingStatus.ACTIVE,
                to_status=PostingStatus.ACTIVE,
            )
            await _audit_review(rt, AuditAction.POSTING_ACCEPTED, staff, posting, change=True)
        return await Posting.get(id=posting.id)
    if posting.status is not PostingStatus.SUBMITTED:
        raise _invalid_state("受理")
    office = posting.establishment.office
    await _ensure_serial_row(office.id)
    async with in_transaction():
        claimed = await Posting.filter(id=posting.id, status=PostingStatus.SUBMITTED).update(
            status=PostingStatus.ACTIVE,
            accepted_at=now,
            referral_deadline=referral_deadline(rt.clock.today()),
            return_reason=None,
            updated_at=now,
        )
        if not claimed:
            raise _invalid_state("受理")
        serial = await _next_serial(office.id)
        await Posting.filter(id=posting.id).update(
            posting_number=format_posting_number(office.code, serial)
        )
        await _record(
            posting.id,
            PostingAction.ACCEPTED,
            actor_id=staff.id,
            at=now,
            from_status=PostingStatus.SUBMITTED,
            to_status=PostingStatus.ACTIVE,
        )
        await _audit_review(rt, AuditAction.POSTING_ACCEPTED, staff, posting, change=False)
    return await Posting.get(id=posting.id)


async def return_posting(rt: Runtime, viewer: Viewer, posting_id: int, reason: str) -> Posting:
    """修正依頼: a submitted posting goes back to the employer with the reason; for an active
    posting, its waiting change is refused and the active content stays."""
    reason = _reason("reason", reason, "修正依頼の理由")
    posting = await _office_posting(viewer, posting_id)
    staff = viewer.require_staff()
    if posting.status is PostingStatus.ACTIVE and posting.change_requested_at is not None:
        now = rt.clock.now()
        async with in_transaction():
            refused = await Posting.filter(
                id=posting.id,
                status=PostingStatus.ACTIVE,
                change_requested_at=posting.change_requested_at,
            ).update(pending_content=None, change_requested_at=None, updated_at=now)
            if not refused:
                raise _invalid_state("修正依頼")
            await _record(
                posting.id,
                PostingAction.CHANGE_RETURNED,
                actor_id=staff.id,
                at=now,
                from_status=PostingStatus.ACTIVE,
                to_status=PostingStatus.ACTIVE,
                reason=reason,
            )
            await _audit_review(rt, AuditAction.POSTING_RETURNED, staff, posting, change=True)
        return await Posting.get(id=posting.id)
    async with in_transaction():
        returned = await _move(
            rt,
            viewer,
            posting,
            PostingAction.RETURNED,
            allowed_from=(PostingStatus.SUBMITTED,),
            to=PostingStatus.RETURNED,
            what="修正依頼",
            reason=reason,
            return_reason=reason,
        )
        await _audit_review(rt, AuditAction.POSTING_RETURNED, staff, posting, change=False)
    return returned


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


# --- The referral deadline ----------------------------------------------------------------


@dataclass(frozen=True)
class ExpiryResult:
    expired: int
    renewed: int


async def expire_postings(rt: Runtime) -> ExpiryResult:
    """End the active postings whose referral deadline has passed (Tokyo), renewing those
    with a reservation: a new active posting, same content, new number and deadline.

    Idempotent and safe with several processes: each posting is claimed by a conditional
    UPDATE on `status = 'ACTIVE'`, and only the process whose update changed the row goes on.
    """
    today = rt.clock.today()
    due = await Posting.filter(
        status=PostingStatus.ACTIVE, referral_deadline__lt=today
    ).select_related("establishment__office")
    expired = renewed = 0
    for posting in due:
        if await _expire_one(rt, posting):
            expired += 1
            renewed += posting.renewal_reserved_at is not None
    return ExpiryResult(expired=expired, renewed=renewed)


async def _expire_one(rt: Runtime, posting: Posting) -> bool:
    now = rt.clock.now()
    office = posting.establishment.office
    renew = posting.renewal_reserved_at is not None
    if renew:
        await _ensure_serial_row(office.id)
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
            renewed_on = posting.referral_deadline + dt.timedelta(days=1)
            serial = await _next_serial(office.id)
            renewal = await Posting.create(
                establishment_id=posting.establishment_id,
                status=PostingStatus.ACTIVE,
                posting_number=format_posting_number(office.code, serial),
                referral_deadline=referral_deadline(renewed_on),
                accepted_at=now,
                renewed_from_id=posting.id,
                created_at=now,
                updated_at=now,
                **PostingContent.of(posting).values(),
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
    return True


# --- Queries ------------------------------------------------------------------------------


async def establishment_postings(
    viewer: Viewer,
    *,
    status: PostingStatus | None = None,
    category: PostingCategory | None = None,
    renewable_on: dt.date | None = None,
    first: int,
    after_id: int | None = None,
) -> Page[Posting]:
    """The postings of the employer's establishment, newest first.

    `renewable_on` keeps the active postings whose renewal can be reserved that day.
    """
    user = viewer.require_employer()
    query = Posting.filter(establishment_id=user.establishment_id)
    if status is not None:
        query = query.filter(status=status)
    if category is not None:
        query = query.filter(category=category)
    if renewable_on is not None:
        query = query.filter(
            status=PostingStatus.ACTIVE,
            renewal_reserved_at__isnull=True,
            referral_deadline__gte=renewable_on,
            referral_deadline__lte=renewable_on + dt.timedelta(days=RENEWAL_WINDOW_DAYS),
        )
    return await newest_first(query, first, after_id)


async def review_queue(viewer: Viewer, *, first: int, after_id: int | None = None) -> Page[Posting]:
    """Staff: the submitted postings and the changes to active ones of their office, oldest
    first."""
    staff = viewer.require_staff()
    query = Posting.filter(establishment__office_id=staff.office_id).filter(
        Q(status=PostingStatus.SUBMITTED)
        | Q(status=PostingStatus.ACTIVE, change_requested_at__isnull=False)
    )
    return await oldest_first(query, first, after_id)


@dataclass(frozen=True)
class SearchFilters:
    keyword: str | None = None
    category: PostingCategory | None = None
    prefecture: str | None = None
    employment_type: EmploymentType | None = None
    work_style: WorkStyle | None = None


async def search_postings(
    filters: SearchFilters, *, first: int, after_id: int | None = None
) -> Page[Posting]:
    """Active postings for job seekers, newest first; anyone may search."""
    query = Posting.filter(status=PostingStatus.ACTIVE).select_related("establishment")
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
        if filters.prefecture not in PREFECTURES:
            # No posting has another (every write checks it), and Tortoise would refuse a value
            # longer than the column rather than find nothing.
            return Page(items=[], has_next_page=False)
        query = query.filter(workplace_prefecture=filters.prefecture)
    if filters.employment_type is not None:
        query = query.filter(employment_type=filters.employment_type)
    if filters.work_style is not None:
        query = query.filter(work_style=filters.work_style)
    return await newest_first(query, first, after_id)


def shows_establishment(viewer: Viewer, posting: Posting) -> bool:
    """Whether a search result may name the establishment (公開範囲)."""
    if posting.publication_range is PublicationRange.WITH_NAME:
        return True
    if posting.publication_range is PublicationRange.NAME_TO_SEEKERS_ONLY:
        return viewer.user is not None and viewer.user.portal == Portal.SEEKER
    return False


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

FILLED_REASON = "採用人数に達したため（充足）"


async def close_when_filled(
    rt: Runtime, posting: Posting, *, hired: int, actor_id: int | None
) -> bool:
    """End an active posting whose `hired` applicants reached its number to hire.

    Call inside the transaction that hired, after locking the posting row. Recorded as a
    募集停止 (STOPPED) by the hiring user, with the reason 充足. True when it closed.
    """
    if posting.status is not PostingStatus.ACTIVE or hired < posting.number_to_hire:
        return False
    now = rt.clock.now()
    closed = await Posting.filter(id=posting.id, status=PostingStatus.ACTIVE).update(
        status=PostingStatus.INVALID,
        stop_reason=FILLED_REASON,
        invalidated_at=now,
        pending_content=None,
        change_requested_at=None,
        updated_at=now,
    )
    if not closed:
        return False
    await _record(
        posting.id,
        PostingAction.STOPPED,
        actor_id=actor_id,
        at=now,
        from_status=PostingStatus.ACTIVE,
        to_status=PostingStatus.INVALID,
        reason=FILLED_REASON,
    )
    return True
