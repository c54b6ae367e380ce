"""Job seekers (求職者): self-registration with a mailed key, the profile, and the
employer's side of them: the seeker search (求職者情報検索) and direct requests (直接リクエスト).

Employers never see a seeker's name or contact: the search and every other employer view
read only the profile's desired-work fields (see `app.schema.seekers.ApplicantProfile`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from app import outbox
from app.errors import ErrorCode, Forbidden, UserError, UserErrors, user_error
from app.models import (
    Application,
    Portal,
    Posting,
    SeekerProfile,
    SeekerRegistration,
    SeekerRequest,
    User,
)
from app.models.postings import EmploymentType, PostingStatus, WorkStyle
from app.models.seekers import SeekerRegistrationStatus
from app.resolvers import keys, postings, taken_address, validation
from app.resolvers.paging import Page, Window, empty_page, newest
from app.runtime import Runtime
from app.security import hash_password
from app.throttle import Action
from app.viewer import Viewer
from app.wages import PREFECTURES

VERIFICATION_KEY_TTL = dt.timedelta(minutes=50)
VERIFICATION_KEY_MAX_FAILED_TRIES = 5
VERIFICATION_KEY_PURPOSE = "seeker-verification-key"
REGISTRATION_MAIL_SUBJECT = "求職者マイページ 仮登録のお知らせ"

VERIFICATION_KEY = keys.KeyKind(
    model=SeekerRegistration,
    hash_purpose=VERIFICATION_KEY_PURPOSE,
    hash_field="verification_key_hash",
    max_failed_tries=VERIFICATION_KEY_MAX_FAILED_TRIES,
    wrong=UserError(ErrorCode.VERIFICATION_KEY_INVALID, "認証キーが正しくありません。", "key"),
    expired=UserError(
        ErrorCode.VERIFICATION_KEY_EXPIRED,
        "認証キーの有効期限（50分）が過ぎています。はじめから仮登録をやり直してください。",
        "key",
    ),
    void=UserError(
        ErrorCode.VERIFICATION_KEY_VOID,
        "この認証キーは無効です。はじめから仮登録をやり直してください。",
        "key",
    ),
    open_status=SeekerRegistrationStatus.PENDING,
    void_status=SeekerRegistrationStatus.VOID,
    used_status=SeekerRegistrationStatus.COMPLETED,
)
"""The key mailed at 仮登録; it opens the login at 本登録."""

DISPLAY_NAME_MAX_LENGTH = 50
DESIRED_JOB_MAX_LENGTH = 100
EXPERIENCE_MAX_LENGTH = 2000
LICENSES_MAX_LENGTH = 1000
CITY_MAX_LENGTH = 50
REQUEST_MESSAGE_MAX_LENGTH = 1000
REQUESTS_PER_POSTING = 10
"""直接リクエスト: at most this many seekers per posting."""

# --- Registration -------------------------------------------------------------------------


def _email_taken() -> UserErrors:
    return user_error(
        ErrorCode.EMAIL_TAKEN, "このメールアドレスはすでに登録されています。", "email"
    )


async def register_seeker(
    rt: Runtime,
    *,
    email: str,
    email_confirmation: str,
    password: str,
    password_confirmation: str,
    display_name: str,
    client: str | None = None,
) -> SeekerRegistration:
    """仮登録: keep the hashed password and mail a verification key valid for 50 minutes.

    A newer registration for the same address voids the one still waiting. An address that
    already has a seeker login is answered alike and goes through the same steps, but its
    owner is mailed that the address is registered instead of the key (which nobody sees).
    """
    await rt.throttle.hit(Action.SEEKER_REGISTER, client=client, subject=email)
    form = validation.Form()
    address = form.check(lambda: validation.email("email", email))
    form.check(
        lambda: validation.confirmation(
            "email_confirmation",
            email_confirmation.strip().lower(),
            email.strip().lower(),
            "メールアドレス",
        )
    )
    form.check(lambda: validation.password("password", password))
    form.check(
        lambda: validation.confirmation(
            "password_confirmation", password_confirmation, password, "パスワード"
        )
    )
    name = form.check(
        lambda: validation.required("display_name", display_name, "氏名", DISPLAY_NAME_MAX_LENGTH)
    )
    form.done()
    taken = await User.exists(portal=Portal.SEEKER, email=address)

    password_hash = await hash_password(password, rt.settings.bcrypt_rounds)
    now = rt.clock.now()
    async with outbox.transaction(rt):
        registration, key = await keys.new_key(
            rt,
            VERIFICATION_KEY,
            expires_at=now + VERIFICATION_KEY_TTL,
            supersedes={"email": address},
            now=now,
            email=address,
            display_name=name,
            password_hash=password_hash,
        )
        if taken:
            await taken_address.tell_owner(rt, Portal.SEEKER, address, "仮登録のお申し込み")
        else:
            await outbox.enqueue(
                rt, address, REGISTRATION_MAIL_SUBJECT, _registration_mail(key, now)
            )
    return registration


def _registration_mail(key: str, now: dt.datetime) -> str:
    expires = (now + VERIFICATION_KEY_TTL).astimezone(dt.timezone(dt.timedelta(hours=9)))
    return (
        "ハローワークインターネットサービスです。\n"
        "求職者マイページの仮登録を受け付けました。\n\n"
        f"認証キー: {key}\n\n"
        f"認証キーの有効期限は {expires:%Y年%m月%d日 %H時%M分} （メール配信から50分以内）です。\n"
        "登録画面でこの認証キーを入力すると、求職者マイページが開設されます。\n"
        "このメールに心当たりのない場合は、破棄してください。\n"
    )


async def verify_seeker_email(
    rt: Runtime, *, email: str, key: str, client: str | None = None
) -> User:
    """本登録: the mailed key opens the seeker's login and an empty profile.

    A wrong key is one failed try; the fifth voids the registration.
    """
    await rt.throttle.hit(Action.SEEKER_VERIFY, client=client, subject=email)
    form = validation.Form()
    address = form.check(lambda: validation.email("email", email))
    checked_key = form.check(lambda: validation.half_width("key", key.strip(), "認証キー"))
    form.done()

    registration = await keys.open_key(rt, VERIFICATION_KEY, checked_key, email=address)
    now = rt.clock.now()
    async with in_transaction():
        await keys.claim_key(VERIFICATION_KEY, registration, now)
        if await User.exists(portal=Portal.SEEKER, email=address):
            raise _email_taken()
        try:
            user = await User.create(
                portal=Portal.SEEKER,
                email=address,
                password_hash=registration.password_hash,
                created_at=now,
            )
        except IntegrityError as exc:
            raise _email_taken() from exc
        await SeekerProfile.create(
            user_id=user.id, display_name=registration.display_name, updated_at=now
        )
    return user


# --- The seeker's own profile -------------------------------------------------------------


@dataclass(frozen=True)
class ProfileInput:
    """What the seeker tells employers (sent whole); name, contact and address stay when None.
    The name, kana, age, address and contact are shown only to the establishments applied to
    and their offices' staff."""

    desired_job: str
    desired_prefecture: str
    desired_employment_type: EmploymentType | None
    desired_work_style: WorkStyle | None
    experience: str
    licenses: str
    published: bool
    display_name: str | None = None
    phone_number: str | None = None
    name_kana: str | None = None
    birth_date: dt.date | None = None
    prefecture: str | None = None
    city: str | None = None


OLDEST_BIRTH_YEARS = 120
"""A birth date is at most this many years before this year, and not in the future."""


def _optional_text(field: str, value: str, label: str, max_length: int) -> str:
    value = value.strip()
    if len(value) > max_length:
        raise user_error(
            ErrorCode.TOO_LONG, f"{label}は{max_length}文字以内で入力してください。", field
        )
    return value


def _prefecture(field: str, value: str) -> str:
    value = value.strip()
    if value and value not in PREFECTURES:
        raise user_error(
            ErrorCode.INVALID_FORMAT, "希望勤務地の都道府県を選択してください。", field
        )
    return value


async def my_profile(viewer: Viewer) -> SeekerProfile:
    """The logged-in seeker's profile, with their name and contact."""
    user = viewer.require(Portal.SEEKER)
    return await SeekerProfile.get(user_id=user.id).select_related("user")


async def update_profile(rt: Runtime, viewer: Viewer, profile: ProfileInput) -> SeekerProfile:
    """Rewrite the seeker's profile; `published` (公開希望) lets employers find it."""
    user = viewer.require(Portal.SEEKER)
    form = validation.Form()
    job = form.check(
        lambda: _optional_text(
            "desired_job", profile.desired_job, "希望職種", DESIRED_JOB_MAX_LENGTH
        )
    )
    prefecture = form.check(lambda: _prefecture("desired_prefecture", profile.desired_prefecture))
    experience = form.check(
        lambda: _optional_text("experience", profile.experience, "職務経験", EXPERIENCE_MAX_LENGTH)
    )
    licenses = form.check(
        lambda: _optional_text("licenses", profile.licenses, "免許・資格", LICENSES_MAX_LENGTH)
    )
    changes: dict[str, Any] = {}
    if profile.display_name is not None:
        name = profile.display_name
        changes["display_name"] = form.check(
            lambda: validation.required("display_name", name, "氏名", DISPLAY_NAME_MAX_LENGTH)
        )
    if profile.phone_number is not None:
        phone = profile.phone_number.strip()
        changes["phone_number"] = (
            form.check(lambda: validation.phone_number("phone_number", phone)) if phone else ""
        )
    if profile.name_kana is not None:
        kana = profile.name_kana.strip()
        changes["name_kana"] = (
            form.check(
                lambda: validation.katakana("name_kana", kana, "氏名カナ", DISPLAY_NAME_MAX_LENGTH)
            )
            if kana
            else ""
        )
    if profile.birth_date is not None:
        born = profile.birth_date
        today = rt.clock.today()
        if not dt.date(today.year - OLDEST_BIRTH_YEARS, 1, 1) <= born <= today:
            form.error(ErrorCode.OUT_OF_RANGE, "生年月日が正しくありません。", "birth_date")
        changes["birth_date"] = born
    if profile.prefecture is not None:
        home = profile.prefecture.strip()
        if home and home not in PREFECTURES:
            form.error(ErrorCode.INVALID_FORMAT, "住所の都道府県を選択してください。", "prefecture")
        changes["prefecture"] = home
    if profile.city is not None:
        city = profile.city
        changes["city"] = form.check(
            lambda: _optional_text("city", city, "市区町村", CITY_MAX_LENGTH)
        )
    form.done()
    await SeekerProfile.filter(user_id=user.id).update(
        desired_job=job,
        desired_prefecture=prefecture,
        desired_employment_type=profile.desired_employment_type,
        desired_work_style=profile.desired_work_style,
        experience=experience,
        licenses=licenses,
        published=profile.published,
        updated_at=rt.clock.now(),
        **changes,
    )
    return await my_profile(viewer)


async def my_requests(viewer: Viewer, *, window: Window[int]) -> Page[SeekerRequest]:
    """The direct requests the seeker received, newest first."""
    user = viewer.require(Portal.SEEKER)
    return await newest(SeekerRequest.filter(seeker_id=user.id), window)


# --- Employers: search and requests -------------------------------------------------------


@dataclass(frozen=True)
class SearchFilters:
    keyword: str | None = None
    prefecture: str | None = None
    employment_type: EmploymentType | None = None


async def _require_active_posting(viewer: Viewer) -> User:
    """The employer, if their establishment has an active posting; otherwise Forbidden."""
    user = viewer.require_employer()
    if not await Posting.exists(
        establishment_id=user.establishment_id, status=PostingStatus.ACTIVE
    ):
        raise Forbidden("求職者情報検索は有効中の求人がある事業所のみ利用できます。")
    return user


async def search_seekers(
    viewer: Viewer, filters: SearchFilters, *, window: Window[int]
) -> Page[SeekerProfile]:
    """求職者情報検索: published profiles (公開希望) of active seekers, newest first.

    Only an establishment with an active posting may search; anyone else is Forbidden.
    """
    await _require_active_posting(viewer)
    query = _searchable()
    keyword = (filters.keyword or "").strip()
    if keyword:
        query = query.filter(
            Q(desired_job__icontains=keyword)
            | Q(experience__icontains=keyword)
            | Q(licenses__icontains=keyword)
        )
    if filters.prefecture:
        if filters.prefecture not in PREFECTURES:
            # No profile has another (every write checks it), and Tortoise would refuse a value
            # longer than the column rather than find nothing.
            return empty_page()
        query = query.filter(desired_prefecture=filters.prefecture)
    if filters.employment_type is not None:
        query = query.filter(desired_employment_type=filters.employment_type)
    return await newest(query, window)


def _searchable() -> QuerySet[SeekerProfile]:
    """The profiles the seeker search finds: published (公開希望), of an open account."""
    return SeekerProfile.filter(published=True, user__is_active=True)


async def send_request(
    rt: Runtime, viewer: Viewer, *, posting_id: int, seeker_profile_id: int, message: str
) -> SeekerRequest:
    """直接リクエスト: invite a seeker with a published profile to apply online to an active
    posting of the establishment that accepts online applications; at most 10 seekers per
    posting, one request per seeker and posting.
    """
    user = viewer.require_employer()
    text = _optional_text("message", message, "メッセージ", REQUEST_MESSAGE_MAX_LENGTH)
    posting = await Posting.get_or_none(id=posting_id, establishment_id=user.establishment_id)
    if posting is None:
        raise user_error(ErrorCode.NOT_FOUND, "求人が見つかりません。", "posting_id")
    if posting.status is not PostingStatus.ACTIVE:
        raise user_error(
            ErrorCode.NO_ACTIVE_POSTING,
            "リクエストは有効中の求人についてのみ送信できます。",
            "posting_id",
        )
    if not postings.accepts_online_applications(posting):
        raise user_error(
            ErrorCode.NOT_ACCEPTING_APPLICATIONS,
            "リクエストはオンライン自主応募を受け付けている求人についてのみ送信できます。",
            "posting_id",
        )
    profile = await _searchable().get_or_none(id=seeker_profile_id)
    if profile is None:
        raise user_error(ErrorCode.NOT_FOUND, "求職者が見つかりません。", "seeker_profile_id")
    already = user_error(
        ErrorCode.ALREADY_EXISTS,
        "この求職者にはこの求人のリクエストを送信済みです。",
        "seeker_profile_id",
    )
    async with in_transaction():
        # Requests for one posting queue here, so the limit holds under concurrency.
        await Posting.select_for_update().get(id=posting.id)
        if await SeekerRequest.exists(posting_id=posting.id, seeker_id=profile.user_id):
            raise already
        if await SeekerRequest.filter(posting_id=posting.id).count() >= REQUESTS_PER_POSTING:
            raise user_error(
                ErrorCode.REQUEST_LIMIT_REACHED,
                f"リクエストは1求人につき{REQUESTS_PER_POSTING}人までです。",
                "posting_id",
            )
        try:
            return await SeekerRequest.create(
                posting_id=posting.id,
                seeker_id=profile.user_id,
                sent_by_id=user.id,
                message=text,
                created_at=rt.clock.now(),
            )
        except IntegrityError as exc:
            raise already from exc


async def visible_profiles(viewer: Viewer, ids: list[int]) -> dict[int, SeekerProfile]:
    """The whole profiles (with name and contact) among `ids`: only the seeker's own."""
    user = viewer.user
    if user is None or user.portal != Portal.SEEKER:
        return {}
    found = await SeekerProfile.filter(id__in=ids, user_id=user.id).select_related("user")
    return {profile.id: profile for profile in found}


async def _seekers(query: QuerySet[Any], column: str = "seeker_id") -> set[int]:
    """The seekers (user ids in `column`) of the rows of `query`."""
    return {row[column] for row in await query.values(column)}


async def visible_applicant_profiles(viewer: Viewer, ids: list[int]) -> dict[int, SeekerProfile]:
    """The anonymised profiles (`ApplicantProfile`) among `ids` the viewer may read by `node`,
    as it reaches them otherwise: a seeker their own; an employer those the seeker search finds
    (while the establishment has an active posting), of seekers who applied to the
    establishment, and of seekers it sent a request; staff those of seekers who applied to an
    establishment of their office."""
    user = viewer.user
    if user is None or not ids:
        return {}
    profiles = {profile.id: profile for profile in await SeekerProfile.filter(id__in=ids)}
    wanted = {profile.user_id for profile in profiles.values()}
    if user.portal == Portal.SEEKER:
        allowed = {user.id} & wanted
    elif user.portal == Portal.EMPLOYER and user.establishment_id is not None:
        establishment_id = user.establishment_id
        allowed = await _seekers(
            Application.filter(seeker_id__in=wanted, establishment_id=establishment_id)
        )
        allowed |= await _seekers(
            SeekerRequest.filter(seeker_id__in=wanted, posting__establishment_id=establishment_id)
        )
        if await Posting.exists(establishment_id=establishment_id, status=PostingStatus.ACTIVE):
            allowed |= await _seekers(_searchable().filter(user_id__in=wanted), "user_id")
    elif user.portal == Portal.STAFF and user.office_id is not None:
        allowed = await _seekers(
            Application.filter(seeker_id__in=wanted, establishment__office_id=user.office_id)
        )
    else:
        return {}
    return {id: profile for id, profile in profiles.items() if profile.user_id in allowed}


async def visible_requests(viewer: Viewer, ids: list[int]) -> dict[int, SeekerRequest]:
    """The requests among `ids` the viewer is party to: the seeker invited, or the employers
    of the establishment that sent it."""
    user = viewer.user
    if user is None:
        return {}
    query = SeekerRequest.filter(id__in=ids)
    if user.portal == Portal.SEEKER:
        query = query.filter(seeker_id=user.id)
    elif user.portal == Portal.EMPLOYER and user.establishment_id is not None:
        query = query.filter(posting__establishment_id=user.establishment_id)
    else:
        return {}
    return {request.id: request for request in await query}


async def profile_for_counter(viewer: Viewer, email: str) -> SeekerProfile | None:
    """Staff at the counter find a registered seeker by email, to refer them (紹介)."""
    viewer.require_staff()
    return await SeekerProfile.get_or_none(
        user__email=email.strip().lower(), user__portal=Portal.SEEKER, user__is_active=True
    ).select_related("user")
