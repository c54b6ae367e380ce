"""Establishments: registration at the counter, account creation codes, the employer's home."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from tortoise.exceptions import IntegrityError
from tortoise.functions import Count, Sum
from tortoise.transactions import in_transaction

from app.errors import ErrorCode, Forbidden, user_error
from app.models import AccountCreationCode, Establishment, Message, Office, Posting
from app.models.establishments import AccountCodeStatus
from app.models.messages import MessageSender
from app.models.postings import PostingCategory, PostingStatus
from app.resolvers import validation
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
        lambda: validation.establishment_number("establishmentNumber", establishment_number)
    )
    name = form.check(lambda: validation.required("name", name, "事業所名", 100))
    name_kana = form.check(
        lambda: validation.katakana("nameKana", name_kana, "事業所名（カナ）", 200)
    )
    phone = form.check(lambda: validation.phone_number("phoneNumber", phone_number))
    postal = form.check(lambda: validation.postal_code("postalCode", postal_code))
    address = form.check(lambda: validation.required("address", address, "所在地", 300))
    form.done()
    duplicate = user_error(
        ErrorCode.ALREADY_EXISTS, "この事業所番号はすでに登録されています。", "establishmentNumber"
    )
    if await Establishment.exists(number=number):
        raise duplicate
    try:
        return await Establishment.create(
            office_id=staff.office_id,
            number=number,
            name=name,
            name_kana=name_kana,
            phone_number=phone,
            postal_code=postal,
            address=address,
            created_at=rt.clock.now(),
        )
    except IntegrityError as exc:
        raise duplicate from exc


async def establishment_for_staff(viewer: Viewer, establishment_id: int) -> Establishment:
    """An establishment of the staff member's own office."""
    staff = viewer.require_staff()
    establishment = await Establishment.get_or_none(id=establishment_id)
    if establishment is None:
        raise user_error(ErrorCode.NOT_FOUND, "事業所が見つかりません。", "establishmentId")
    if establishment.office_id != staff.office_id:
        raise Forbidden
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
        await AccountCreationCode.filter(
            establishment_id=establishment.id, status=AccountCodeStatus.ACTIVE
        ).update(status=AccountCodeStatus.REPLACED, closed_at=now)
        record = await AccountCreationCode.create(
            establishment_id=establishment.id,
            code_hash=rt.secret_hash(ACCOUNT_CODE_PURPOSE, code),
            expires_on=rt.clock.today() + dt.timedelta(days=rt.settings.account_code_valid_days),
            issued_by_id=viewer.user.id,
            issued_at=now,
        )
    return IssuedCode(code=code, record=record)


async def establishments_of_office(viewer: Viewer) -> list[Establishment]:
    staff = viewer.require_staff()
    return await Establishment.filter(office_id=staff.office_id).order_by("id")


async def visible_establishments(viewer: Viewer, ids: list[int]) -> dict[int, Establishment]:
    """The establishments among `ids` that the viewer may see: its own, or its office's."""
    user = viewer.user
    if user is None:
        return {}
    query = Establishment.filter(id__in=ids)
    if user.establishment_id is not None:
        query = query.filter(id=user.establishment_id)
    elif user.office_id is not None:
        query = query.filter(office_id=user.office_id)
    else:
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
    active_postings: list[CategorySummary]


async def employer_home(viewer: Viewer) -> EmployerHome:
    """求人者マイページホーム: who, which office, new messages, active postings per category."""
    user = viewer.require_employer()
    establishment = await Establishment.get(id=user.establishment_id).select_related("office")
    unread = await Message.filter(
        establishment_id=establishment.id, sender=MessageSender.SEEKER, read_at__isnull=True
    ).count()
    rows = (
        await Posting.filter(establishment_id=establishment.id, status=PostingStatus.ACTIVE)
        .annotate(posting_count=Count("id"), hiring_count=Sum("number_to_hire"))
        .group_by("category")
        .values("category", "posting_count", "hiring_count")
    )
    by_category = {row["category"]: row for row in rows}
    return EmployerHome(
        establishment=establishment,
        office=establishment.office,
        unread_message_count=unread,
        active_postings=[
            CategorySummary(
                category=category,
                posting_count=by_category.get(category, {}).get("posting_count") or 0,
                hiring_count=by_category.get(category, {}).get("hiring_count") or 0,
            )
            for category in HOME_CATEGORIES
        ],
    )
