"""Establishments: registration at the counter, account creation codes, the employer's home,
and the profile (事業所情報設定) with its review by staff."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from tortoise.exceptions import IntegrityError
from tortoise.functions import Count, Sum
from tortoise.transactions import in_transaction

from app.db import Prepared
from app.errors import ErrorCode, user_error
from app.japanese import is_half_width
from app.models import (
    AccountCreationCode,
    AuditAction,
    Establishment,
    EstablishmentChange,
    Event,
    Message,
    Office,
    Posting,
)
from app.models.establishments import AccountCodeStatus, ReviewStatus
from app.models.events import QueueChange
from app.models.messages import MessageSender
from app.models.postings import PostingCategory, PostingStatus
from app.resolvers import audit, events, notices, queue_events, validation
from app.resolvers.review import ReviewKind
from app.runtime import Runtime
from app.security import new_account_creation_code
from app.viewer import Viewer

ACCOUNT_CODE_PURPOSE = "account-creation-code"

# The home page shows these three categories, in this order, zeros included.
HOME_CATEGORIES = (PostingCategory.GENERAL, PostingCategory.GRADUATE, PostingCategory.DISABILITY)


async def register_establishment(
    rt: Runtime,
    viewer: Viewer,
    *,
    establishment_number: str,
    name: str,
    name_kana: str,
    phone_number: str,
    postal_code: str,
    address: str,
) -> Establishment:
    """Staff register an establishment under their own office (事業所登録)."""
    staff = viewer.require_staff()
    form = validation.Form()
    number = form.check(
        lambda: validation.establishment_number("establishment_number", establishment_number)
    )
    name = form.check(lambda: validation.required("name", name, "事業所名", 100))
    name_kana = form.check(
        lambda: validation.katakana("name_kana", name_kana, "事業所名（カナ）", 200)
    )
    phone = form.check(lambda: validation.phone_number("phone_number", phone_number))
    postal = form.check(lambda: validation.postal_code("postal_code", postal_code))
    address = form.check(lambda: validation.required("address", address, "所在地", 300))
    form.done()
    duplicate = user_error(
        ErrorCode.ALREADY_EXISTS, "この事業所番号はすでに登録されています。", "establishment_number"
    )
    if await Establishment.exists(number=number):
        raise duplicate
    try:
        async with in_transaction():
            establishment = await Establishment.create(
                office_id=staff.office_id,
                number=number,
                name=name,
                name_kana=name_kana,
                phone_number=phone,
                postal_code=postal,
                address=address,
                created_at=rt.clock.now(),
            )
            await audit.record(
                rt,
                AuditAction.ESTABLISHMENT_REGISTERED,
                actor=staff,
                establishment_id=establishment.id,
                office_id=establishment.office_id,
            )
    except IntegrityError as exc:
        raise duplicate from exc
    return establishment


async def establishment_for_staff(viewer: Viewer, establishment_id: int) -> Establishment:
    """An establishment of the staff member's own office."""
    staff = viewer.require_staff()
    establishment = await Establishment.get_or_none(id=establishment_id)
    # Another office's establishment is answered as one that is not there: no oracle of its IDs.
    if establishment is None or establishment.office_id != staff.office_id:
        raise user_error(ErrorCode.NOT_FOUND, "事業所が見つかりません。", "establishment_id")
    return establishment


@dataclass(frozen=True)
class IssuedCode:
    """A freshly issued code; `code` is the only time the plaintext exists."""

    code: str
    record: AccountCreationCode


async def issue_account_creation_code(
    rt: Runtime, viewer: Viewer, *, establishment_id: int
) -> IssuedCode:
    """Issue a new code (アカウント作成コードの発行); the previous one stops working."""
    establishment = await establishment_for_staff(viewer, establishment_id)
    assert viewer.user is not None
    now = rt.clock.now()
    code = new_account_creation_code()
    async with in_transaction():
        # Concurrent issues for one establishment wait here, so exactly one code stays active.
        await Establishment.select_for_update().get(id=establishment.id)
        replaced = await AccountCreationCode.filter(
            establishment_id=establishment.id, status=AccountCodeStatus.ACTIVE
        ).update(status=AccountCodeStatus.REPLACED, closed_at=now)
        record = await AccountCreationCode.create(
            establishment_id=establishment.id,
            code_hash=rt.secret_hash(ACCOUNT_CODE_PURPOSE, code),
            expires_on=rt.clock.today() + dt.timedelta(days=rt.settings.account_code_valid_days),
            issued_by_id=viewer.user.id,
            issued_at=now,
        )
        if replaced:
            await audit.record(
                rt,
                AuditAction.ACCOUNT_CODE_VOIDED,
                actor=viewer.user,
                establishment_id=establishment.id,
                reason="replaced",
            )
        await audit.record(
            rt,
            AuditAction.ACCOUNT_CODE_ISSUED,
            actor=viewer.user,
            establishment_id=establishment.id,
            expires_on=record.expires_on.isoformat(),
        )
    return IssuedCode(code=code, record=record)


async def visible_establishments(viewer: Viewer, ids: list[int]) -> dict[int, Establishment]:
    """The establishments among `ids` that the viewer may see: its own, or its office's."""
    query = viewer.scope(Establishment.filter(id__in=ids), establishment="id", office="office_id")
    if query is None:
        return {}
    return {establishment.id: establishment for establishment in await query}


async def visible_offices(viewer: Viewer, ids: list[int]) -> dict[int, Office]:
    """The offices among `ids` the viewer may see: staff their own, employers their 管轄安定所."""
    user = viewer.user
    if user is None:
        return {}
    if user.office_id is not None:
        query = Office.filter(id=user.office_id)
    elif user.establishment_id is not None:
        query = Office.filter(establishments__id=user.establishment_id)
    else:
        return {}
    return {office.id: office for office in await query.filter(id__in=ids)}


@dataclass(frozen=True)
class CategorySummary:
    category: PostingCategory
    posting_count: int
    hiring_count: int


@dataclass(frozen=True)
class EmployerHome:
    establishment: Establishment
    office: Office
    unread_message_count: int
    unread_notice_count: int
    active_postings: list[CategorySummary]


# The home page's reads, on every visit of every employer: their SQL built once.
_ESTABLISHMENT_WITH_OFFICE: Prepared[Establishment] = Prepared(
    lambda establishment_id: Establishment.get(id=establishment_id).select_related("office")
)
_UNREAD_MESSAGES: Prepared[int] = Prepared(
    lambda establishment_id: Message.filter(
        establishment_id=establishment_id, sender=MessageSender.SEEKER, read_at__isnull=True
    ).count()
)
_ACTIVE_POSTINGS_BY_CATEGORY: Prepared[list[dict[str, Any]]] = Prepared(
    lambda establishment_id: (
        Posting.filter(establishment_id=establishment_id, status=PostingStatus.ACTIVE)
        .annotate(posting_count=Count("id"), hiring_count=Sum("number_to_hire"))
        .group_by("category")
        .values("category", "posting_count", "hiring_count")
    )
)


async def employer_home(viewer: Viewer) -> EmployerHome:
    """求人者マイページホーム: who, which office, new messages and notices, active postings per
    category."""
    user = viewer.require_employer()
    assert user.establishment_id is not None, "an employer's login has its establishment"
    establishment = await _ESTABLISHMENT_WITH_OFFICE(user.establishment_id)
    unread = await _UNREAD_MESSAGES(establishment.id)
    rows = await _ACTIVE_POSTINGS_BY_CATEGORY(establishment.id)
    by_category = {row["category"]: row for row in rows}
    return EmployerHome(
        establishment=establishment,
        office=establishment.office,
        unread_message_count=unread,
        unread_notice_count=await notices.unread_count(establishment.id),
        active_postings=[
            CategorySummary(
                category=category,
                posting_count=by_category.get(category, {}).get("posting_count") or 0,
                hiring_count=by_category.get(category, {}).get("hiring_count") or 0,
            )
            for category in HOME_CATEGORIES
        ],
    )


# --- 事業所情報設定: the profile and its review -------------------------------------------------

PROFILE_TEXT_MAX_LENGTH = 1000
REPRESENTATIVE_MAX_LENGTH = 50
WEBSITE_MAX_LENGTH = 200
EMPLOYEE_COUNT_MAX = 9_999_999
CAPITAL_YEN_MAX = 999_999_999_999_999
FOUNDED_YEAR_MIN = 1800
REVIEW_REASON_MAX_LENGTH = 500


@dataclass(frozen=True)
class EstablishmentProfile:
    """What Hello Work shows of the establishment on its postings; the employer edits it and
    staff review every change. The establishment number is not part of it."""

    name: str
    name_kana: str
    postal_code: str
    address: str
    phone_number: str
    business_content: str
    features: str
    representative_title: str
    representative_name: str
    employee_count: int | None
    workplace_employee_count: int | None
    founded_year: int | None
    capital_yen: int | None
    website: str
    notification_email: str

    @classmethod
    def of(cls, establishment: Establishment) -> EstablishmentProfile:
        """The approved profile, the one in use."""
        return cls(**{name: getattr(establishment, name) for name in _PROFILE_FIELDS})

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> EstablishmentProfile:
        return cls(**data)

    def values(self) -> dict[str, Any]:
        # A shallow copy: every field is text or a number (`dataclasses.asdict` copies deeply,
        # and the home page and every establishment shown build one).
        return {name: getattr(self, name) for name in _PROFILE_FIELDS}


_PROFILE_FIELDS = tuple(field.name for field in dataclasses.fields(EstablishmentProfile))


def _optional_text(field: str, value: str, label: str, max_length: int) -> str:
    value = value.strip()
    if len(value) > max_length:
        raise user_error(
            ErrorCode.TOO_LONG, f"{label}は{max_length}文字以内で入力してください。", field
        )
    return value


def _optional_number(field: str, value: int | None, label: str, low: int, high: int) -> None:
    if value is not None and not low <= value <= high:
        raise user_error(
            ErrorCode.OUT_OF_RANGE, f"{label}は{low}から{high}までで入力してください。", field
        )


def _website(field: str, value: str) -> str:
    value = _optional_text(field, value, "ホームページ", WEBSITE_MAX_LENGTH)
    if not value:
        return value
    parsed = urlsplit(value)
    if parsed.scheme not in ("http", "https") or not parsed.hostname or not is_half_width(value):
        raise user_error(
            ErrorCode.INVALID_FORMAT,
            "ホームページは「http://」または「https://」で始まるURLを半角で入力してください。",
            field,
        )
    return value


def _notification_email(field: str, value: str) -> str:
    """Optional: empty sends the notices to the logins' own addresses."""
    return validation.email(field, value) if value.strip() else ""


def validate_profile(rt: Runtime, profile: EstablishmentProfile) -> EstablishmentProfile:
    """The profile with text trimmed, or `UserErrors` naming every field at fault."""
    form = validation.Form()
    p = profile
    this_year = rt.clock.today().year
    checked = EstablishmentProfile(
        name=form.check(lambda: validation.required("name", p.name, "事業所名", 100)),
        name_kana=form.check(
            lambda: validation.katakana("name_kana", p.name_kana, "事業所名（カナ）", 200)
        ),
        postal_code=form.check(lambda: validation.postal_code("postal_code", p.postal_code)),
        address=form.check(lambda: validation.required("address", p.address, "所在地", 300)),
        phone_number=form.check(lambda: validation.phone_number("phone_number", p.phone_number)),
        business_content=form.check(
            lambda: _optional_text(
                "business_content", p.business_content, "事業内容", PROFILE_TEXT_MAX_LENGTH
            )
        ),
        features=form.check(
            lambda: _optional_text("features", p.features, "会社の特長", PROFILE_TEXT_MAX_LENGTH)
        ),
        representative_title=form.check(
            lambda: _optional_text(
                "representative_title",
                p.representative_title,
                "代表者役職",
                REPRESENTATIVE_MAX_LENGTH,
            )
        ),
        representative_name=form.check(
            lambda: _optional_text(
                "representative_name", p.representative_name, "代表者名", REPRESENTATIVE_MAX_LENGTH
            )
        ),
        employee_count=p.employee_count,
        workplace_employee_count=p.workplace_employee_count,
        founded_year=p.founded_year,
        capital_yen=p.capital_yen,
        website=form.check(lambda: _website("website", p.website)),
        notification_email=form.check(
            lambda: _notification_email("notification_email", p.notification_email)
        ),
    )
    form.check(
        lambda: _optional_number(
            "employee_count", p.employee_count, "従業員数（企業全体）", 0, EMPLOYEE_COUNT_MAX
        )
    )
    form.check(
        lambda: _optional_number(
            "workplace_employee_count",
            p.workplace_employee_count,
            "従業員数（就業場所）",
            0,
            EMPLOYEE_COUNT_MAX,
        )
    )
    form.check(
        lambda: _optional_number(
            "founded_year", p.founded_year, "設立年", FOUNDED_YEAR_MIN, this_year
        )
    )
    form.check(lambda: _optional_number("capital_yen", p.capital_yen, "資本金", 0, CAPITAL_YEN_MAX))
    form.done()
    return checked


def _change_not_found() -> Exception:
    return user_error(ErrorCode.NOT_FOUND, "変更申請が見つかりません。", "change_id")


async def request_profile_change(
    rt: Runtime, viewer: Viewer, profile: EstablishmentProfile
) -> EstablishmentChange:
    """事業所情報の変更申請: kept aside for staff review while the approved profile stays in use.

    A newer request replaces one still waiting (the waiting one is deleted). The office's
    review queue hears of both.
    """
    user = viewer.require_employer()
    profile = validate_profile(rt, profile)
    now = rt.clock.now()
    async with in_transaction():
        # Concurrent requests of one establishment queue here, so one change stays waiting.
        establishment = await Establishment.select_for_update().get(id=user.establishment_id)
        waiting = EstablishmentChange.filter(
            establishment_id=establishment.id, status=ReviewStatus.PENDING
        )
        replaced = [row.id for row in await waiting.only("id")]
        await waiting.delete()
        change = await EstablishmentChange.create(
            establishment_id=establishment.id,
            proposed=profile.values(),
            requested_by_id=user.id,
            requested_at=now,
        )
        queue = [
            await _queue_event(establishment, replaced_id, QueueChange.REMOVED, now)
            for replaced_id in replaced
        ]
        queue.append(await _queue_event(establishment, change.id, QueueChange.ADDED, now))
    for event in queue:
        await events.publish(rt, event)
    return change


async def _queue_event(
    establishment: Establishment, change_id: int, change: QueueChange, now: dt.datetime
) -> Event:
    return await queue_events.record(
        office_id=establishment.office_id,
        kind=ReviewKind.ESTABLISHMENT_CHANGE,
        item_id=change_id,
        change=change,
        now=now,
        establishment_id=establishment.id,
    )


async def review_profile_change(
    rt: Runtime, viewer: Viewer, change_id: int, *, approve: bool, reason: str
) -> EstablishmentChange:
    """Staff of the establishment's office approve a waiting change, which then replaces the
    profile in use, or reject it with a reason (required then)."""
    staff = viewer.require_staff()
    if approve:
        reason = _optional_text("reason", reason, "理由", REVIEW_REASON_MAX_LENGTH)
    else:
        reason = validation.required("reason", reason, "差戻しの理由", REVIEW_REASON_MAX_LENGTH)
    change = await EstablishmentChange.get_or_none(id=change_id).select_related("establishment")
    if change is None or change.establishment.office_id != staff.office_id:
        raise _change_not_found()
    already = user_error(
        ErrorCode.INVALID_STATE, "この変更申請はすでに処理されています。", "change_id"
    )
    if change.status is not ReviewStatus.PENDING:
        raise already
    now = rt.clock.now()
    async with in_transaction():
        reviewed = await EstablishmentChange.filter(
            id=change.id, status=ReviewStatus.PENDING
        ).update(
            status=ReviewStatus.APPROVED if approve else ReviewStatus.REJECTED,
            reviewed_by_id=staff.id,
            reviewed_at=now,
            review_reason=reason,
        )
        if not reviewed:
            raise already
        if approve:
            profile = EstablishmentProfile.from_json(change.proposed)
            await Establishment.filter(id=change.establishment_id).update(**profile.values())
        await audit.record(
            rt,
            AuditAction.ESTABLISHMENT_CHANGE_REVIEWED,
            actor=staff,
            establishment_id=change.establishment_id,
            change=change.id,
            approved=approve,
        )
        taken = await _queue_event(change.establishment, change.id, QueueChange.TAKEN, now)
    await events.publish(rt, taken)
    return await EstablishmentChange.get(id=change.id)


def may_see_changes(viewer: Viewer, establishment_id: int, office_id: int) -> bool:
    """The establishment's own employers and its office's staff see its profile changes."""
    user = viewer.user
    if user is None:
        return False
    return user.establishment_id == establishment_id or (
        user.office_id is not None and user.office_id == office_id
    )


async def visible_changes(viewer: Viewer, ids: list[int]) -> dict[int, EstablishmentChange]:
    """The changes among `ids` the viewer may see: its establishment's, or its office's."""
    query = viewer.scope(
        EstablishmentChange.filter(id__in=ids),
        establishment="establishment_id",
        office="establishment__office_id",
    )
    if query is None:
        return {}
    return {change.id: change for change in await query}
