"""The other way in (事業所登録・求人申込み): an establishment Hello Work does not know yet is
entered online (事業所の仮登録), its address confirmed by a mailed key, and waits in the queue of
the office whose jurisdiction holds its municipality; staff confirm it (本登録: the
establishment and its number are made, and the first login is mailed a key to set its
password) or refuse it with a reason, which is mailed.

Until staff confirm it nothing else exists: no establishment, no login, no key to open one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from tortoise.exceptions import IntegrityError

from app import outbox
from app.errors import ErrorCode, UserError, UserErrors, user_error
from app.japanese import tokyo_minute
from app.jurisdictions import is_prefecture, jurisdiction
from app.models import AuditAction, Establishment, Event, Office, Portal, User
from app.models.counter import EstablishmentPreRegistration, PreRegistrationStatus
from app.models.events import QueueChange
from app.resolvers import audit, events, keys, queue_events, taken_address, validation
from app.resolvers.accounts.logins import INVITATION_TTL
from app.resolvers.accounts.registration import check_terms
from app.resolvers.establishments import EMPLOYEE_COUNT_MAX
from app.resolvers.review import ReviewKind
from app.runtime import Runtime
from app.terms import TermsKind
from app.throttle import Action
from app.viewer import Viewer

KEY_TTL = dt.timedelta(minutes=50)
KEY_MAX_FAILED_TRIES = 5
KEY_PURPOSE = "pre-registration-key"
DECISION_TEXT_MAX_LENGTH = 500
NUMBER_ATTEMPTS = 5
"""How often 本登録 draws a new number when another writer took the one it drew."""
SERIAL_MAX = 999_999

ENTRY_MAIL_SUBJECT = "事業所仮登録 メールアドレス確認のお知らせ"
RECEIPT_MAIL_SUBJECT = "事業所仮登録受付のお知らせ"
CONFIRMED_MAIL_SUBJECT = "事業所登録（本登録）完了のお知らせ"
REFUSED_MAIL_SUBJECT = "事業所仮登録についてのお知らせ"

PRE_REGISTRATION_KEY = keys.KeyKind(
    model=EstablishmentPreRegistration,
    hash_purpose=KEY_PURPOSE,
    hash_field="key_hash",
    max_failed_tries=KEY_MAX_FAILED_TRIES,
    wrong=UserError(ErrorCode.AUTH_KEY_INVALID, "認証キーが正しくありません。", "key"),
    expired=UserError(
        ErrorCode.AUTH_KEY_EXPIRED,
        "認証キーの有効期限（50分）が過ぎています。はじめから事業所の仮登録をやり直してください。",
        "key",
    ),
    void=UserError(
        ErrorCode.AUTH_KEY_VOID,
        "この認証キーは無効です。はじめから事業所の仮登録をやり直してください。",
        "key",
    ),
    open_status=PreRegistrationStatus.UNVERIFIED,
    void_status=PreRegistrationStatus.VOID,
    used_status=PreRegistrationStatus.PENDING,
)
"""The key (認証キー) that confirms the address of a pre-registration; given back, the entry
goes to the office's queue."""

SEEN_BY_STAFF = (
    PreRegistrationStatus.PENDING,
    PreRegistrationStatus.CONFIRMED,
    PreRegistrationStatus.REFUSED,
)
"""An entry whose address was never confirmed is nobody's business at the office."""


@dataclass(frozen=True)
class PreRegistrationDetails:
    """What the form asks of the establishment (事業所の仮登録), as entered."""

    name: str
    name_kana: str
    postal_code: str
    prefecture: str
    city: str
    street: str
    phone_number: str
    industry: str
    employee_count: int
    representative_title: str
    representative_name: str
    contact_name: str
    contact_department: str
    contact_phone: str


def receipt_number(row: EstablishmentPreRegistration) -> str:
    """受付番号: what the applicant quotes on the phone, and staff see beside the entry."""
    return f"{row.id:08d}"


def _line(field: str, value: str, label: str, max_length: int, *, required: bool) -> str:
    """One line of text: trimmed, at most `max_length`, no control characters or breaks."""
    value = validation.plain_text(field, value, label, max_length, required=required)
    if any(ch in value for ch in "\r\n\t"):
        raise user_error(ErrorCode.INVALID_FORMAT, f"{label}は1行で入力してください。", field)
    return value


def _checked(form: validation.Form, d: PreRegistrationDetails) -> PreRegistrationDetails:
    """The details trimmed and checked; failures go to `form`."""
    if not is_prefecture(d.prefecture.strip()):
        form.error(ErrorCode.INVALID_FORMAT, "都道府県名が正しくありません。", "prefecture")
    if not 1 <= d.employee_count <= EMPLOYEE_COUNT_MAX:
        form.error(
            ErrorCode.OUT_OF_RANGE,
            f"従業員数は1から{EMPLOYEE_COUNT_MAX}までで入力してください。",
            "employee_count",
        )
    contact_phone = d.contact_phone.strip()
    return PreRegistrationDetails(
        name=form.check(lambda: _line("name", d.name, "事業所名", 100, required=True)),
        name_kana=form.check(
            lambda: validation.katakana("name_kana", d.name_kana, "事業所名（カナ）", 200)
        ),
        postal_code=form.check(lambda: validation.postal_code("postal_code", d.postal_code)),
        prefecture=d.prefecture.strip(),
        city=form.check(lambda: _line("city", d.city, "市区町村", 50, required=True)),
        street=form.check(lambda: _line("street", d.street, "町名番地・建物", 200, required=True)),
        phone_number=form.check(lambda: validation.phone_number("phone_number", d.phone_number)),
        industry=form.check(
            lambda: _line("industry", d.industry, "産業（事業の内容）", 100, required=True)
        ),
        employee_count=d.employee_count,
        representative_title=form.check(
            lambda: _line(
                "representative_title", d.representative_title, "代表者役職", 50, required=False
            )
        ),
        representative_name=form.check(
            lambda: _line(
                "representative_name", d.representative_name, "代表者名", 50, required=True
            )
        ),
        contact_name=form.check(
            lambda: _line("contact_name", d.contact_name, "担当者名", 50, required=True)
        ),
        contact_department=form.check(
            lambda: _line(
                "contact_department", d.contact_department, "担当者の部署", 50, required=False
            )
        ),
        contact_phone=form.check(
            lambda: validation.phone_number("contact_phone", contact_phone) if contact_phone else ""
        ),
    )


# --- The applicant: entry and the key ---------------------------------------------------------


async def pre_register(
    rt: Runtime,
    details: PreRegistrationDetails,
    *,
    email: str,
    email_confirmation: str,
    agreed_privacy_policy_version: str,
    agreed_terms_version: str,
    client: str | None = None,
) -> EstablishmentPreRegistration:
    """事業所の仮登録: keep the entry for the office of its jurisdiction and mail a key valid
    50 minutes to the address, which the first login will use.

    A newer entry for the same address voids the one still waiting for its key. An address
    that already has an employer login is answered alike and goes through the same steps, but
    its owner is mailed that it is registered instead of the key, so that entry never reaches
    the queue. An address outside the jurisdictions this service holds stores nothing.
    """
    await rt.throttle.hit(Action.PRE_REGISTRATION, client=client, subject=email)
    form = validation.Form()
    checked = _checked(form, details)
    address = form.check(lambda: validation.email("email", email))
    form.check(
        lambda: validation.confirmation(
            "email_confirmation",
            email_confirmation.strip().lower(),
            email.strip().lower(),
            "メールアドレス",
        )
    )
    form.check(lambda: check_terms(TermsKind.PRIVACY_POLICY, agreed_privacy_policy_version))
    form.check(lambda: check_terms(TermsKind.TERMS_OF_USE, agreed_terms_version))
    form.done()

    found = jurisdiction(checked.prefecture, checked.city)
    office = await Office.get_or_none(code=found.office_code) if found else None
    if found is None or office is None:
        raise user_error(
            ErrorCode.NO_JURISDICTION,
            "この所在地を管轄するハローワークはこのサービスでは受け付けていません。"
            "管轄のハローワークの窓口にお問い合わせください。",
            "city",
        )
    taken = await User.exists(portal=Portal.EMPLOYER, email=address)
    now = rt.clock.now()
    async with outbox.transaction(rt):
        row, key = await keys.new_key(
            rt,
            PRE_REGISTRATION_KEY,
            expires_at=now + KEY_TTL,
            supersedes={"email": address},
            now=now,
            office_id=office.id,
            name=checked.name,
            name_kana=checked.name_kana,
            postal_code=checked.postal_code,
            prefecture=checked.prefecture,
            city=found.city,
            street=checked.street,
            phone_number=checked.phone_number,
            industry=checked.industry,
            employee_count=checked.employee_count,
            representative_title=checked.representative_title,
            representative_name=checked.representative_name,
            contact_name=checked.contact_name,
            contact_department=checked.contact_department,
            contact_phone=checked.contact_phone,
            email=address,
            privacy_policy_version=agreed_privacy_policy_version,
            terms_of_use_version=agreed_terms_version,
            agreed_at=now,
        )
        if taken:
            await taken_address.tell_owner(rt, Portal.EMPLOYER, address, "事業所の仮登録")
        else:
            await outbox.enqueue(rt, address, ENTRY_MAIL_SUBJECT, _entry_mail(key, row))
    return row


def _entry_mail(key: str, row: EstablishmentPreRegistration) -> str:
    return (
        "ハローワークインターネットサービスです。\n"
        "事業所の仮登録のお申し込みを受け付けました。"
        "メールアドレスを確認するため、仮登録の画面でこの認証キーを入力してください。\n\n"
        f"認証キー: {key}\n\n"
        f"認証キーの有効期限は {tokyo_minute(row.expires_at)} （メール配信から50分以内）です。\n"
        "入力が済むと、管轄のハローワークに仮登録が届きます。\n"
        "このメールに心当たりのない場合は、破棄してください。\n"
    )


async def verify_pre_registration(
    rt: Runtime, *, email: str, key: str, client: str | None = None
) -> EstablishmentPreRegistration:
    """The mailed key given back: the entry goes to its office's queue, and the address is
    mailed a receipt. A wrong key is one failed try; the fifth voids the entry."""
    await rt.throttle.hit(Action.PRE_REGISTRATION_VERIFY, client=client, subject=email)
    form = validation.Form()
    address = form.check(lambda: validation.email("email", email))
    checked_key = form.check(lambda: validation.half_width("key", key.strip(), "認証キー"))
    form.done()

    row = await keys.open_key(rt, PRE_REGISTRATION_KEY, checked_key, email=address)
    now = rt.clock.now()
    async with outbox.transaction(rt):
        await keys.claim_key(PRE_REGISTRATION_KEY, row, now)
        await EstablishmentPreRegistration.filter(id=row.id).update(verified_at=now)
        event = await queue_events.record(
            office_id=row.office_id,
            kind=ReviewKind.PRE_REGISTRATION,
            item_id=row.id,
            change=QueueChange.ADDED,
            now=now,
        )
        office = await Office.get(id=row.office_id)
        await outbox.enqueue(rt, address, RECEIPT_MAIL_SUBJECT, _receipt_mail(row, office))
    await events.publish(rt, event)
    return await EstablishmentPreRegistration.get(id=row.id)


def _receipt_mail(row: EstablishmentPreRegistration, office: Office) -> str:
    return (
        "ハローワークインターネットサービスです。\n"
        "事業所の仮登録を受け付けました。\n\n"
        f"受付番号: {receipt_number(row)}\n"
        f"事業所名: {row.name}\n"
        f"管轄のハローワーク: {office.name}\n\n"
        "ハローワークが内容を確認します。確認のため、ご登録の電話番号にハローワークから"
        "お電話することがあります。\n"
        "確認が済み本登録となりましたら、事業所番号と、求人者マイページのパスワードを登録する"
        "ための認証キーをこのメールアドレスにお送りします。本登録までは、求人の申込みなどは"
        "できません。\n"
        "このメールに心当たりのない場合は、管轄のハローワークにお知らせください。\n"
    )


# --- Staff of the office: 本登録 or refusal -------------------------------------------------


def _not_found() -> UserErrors:
    return user_error(
        ErrorCode.NOT_FOUND, "指定された仮登録が見つかりません。", "pre_registration_id"
    )


def _already_decided() -> UserErrors:
    return user_error(
        ErrorCode.INVALID_STATE,
        "この仮登録はすでに処理されています。",
        "pre_registration_id",
    )


async def _pending_of_office(staff: User, pre_registration_id: int) -> EstablishmentPreRegistration:
    row = await EstablishmentPreRegistration.get_or_none(
        id=pre_registration_id, office_id=staff.office_id, status__in=SEEN_BY_STAFF
    )
    # Another office's entry is answered as one that is not there: no oracle of its IDs.
    if row is None:
        raise _not_found()
    if row.status is not PreRegistrationStatus.PENDING:
        raise _already_decided()
    return row


async def visible_pre_registrations(
    viewer: Viewer, ids: list[int]
) -> dict[int, EstablishmentPreRegistration]:
    """The entries among `ids` the viewer may see: staff those of their own office whose
    address was confirmed; nobody else any."""
    user = viewer.user
    if user is None or user.portal is not Portal.STAFF or user.office_id is None:
        return {}
    found = await EstablishmentPreRegistration.filter(
        id__in=ids, office_id=user.office_id, status__in=SEEN_BY_STAFF
    )
    return {row.id: row for row in found}


def check_digit(digits: str) -> str:
    """The last digit of a 事業所番号 over its first ten: the Luhn algorithm (mod 10, every
    second digit from the right doubled). Hello Work's own check digit algorithm is not
    public; numbers assigned here only have to be well-formed and unique."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char) * (2 if position % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return str((10 - total % 10) % 10)


async def _next_number(office: Office) -> str:
    """The next 事業所番号 of the office, `NNNN-NNNNNN-N`: the first four digits of its code,
    the serial after the highest used under them (counter registrations included), a check
    digit. Call with the office locked; the unique number catches a writer that locks another
    office of the same first four digits, or registers at the counter meanwhile."""
    prefix = office.code[:4]
    highest = (
        await Establishment.filter(number__startswith=f"{prefix}-")
        .order_by("-number")
        .limit(1)
        .values_list("number", flat=True)
    )
    serial = int(str(highest[0])[5:11]) + 1 if highest else 1
    if serial > SERIAL_MAX:
        raise user_error(
            ErrorCode.INVALID_STATE,
            "この安定所の事業所番号をこれ以上採番できません。システム管理者に連絡してください。",
        )
    middle = f"{serial:06d}"
    return f"{prefix}-{middle}-{check_digit(prefix + middle)}"


@dataclass(frozen=True)
class Confirmed:
    pre_registration: EstablishmentPreRegistration
    establishment: Establishment


async def confirm_pre_registration(
    rt: Runtime, viewer: Viewer, pre_registration_id: int, *, note: str
) -> Confirmed:
    """本登録: staff of the entry's office, after checking it (by phone), make the
    establishment with its number and mail its first login a key to set the password
    (`employerInvitationAccept`). Only a waiting entry; `note` says what was checked."""
    staff = viewer.require_staff()
    note = validation.plain_text("note", note, "確認内容", DECISION_TEXT_MAX_LENGTH, required=False)
    row = await _pending_of_office(staff, pre_registration_id)
    if await User.exists(portal=Portal.EMPLOYER, email=row.email):
        raise user_error(
            ErrorCode.EMAIL_TAKEN,
            "この仮登録のメールアドレスは、すでに求人者マイページで使われています。"
            "申込者に確認のうえ、理由を添えてお断りしてください。",
        )
    attempt = 1
    while True:
        try:
            establishment, event = await _confirm(rt, staff, row, note)
            break
        except IntegrityError:
            # Another writer took the number drawn: all of it rolled back, draw again.
            if attempt == NUMBER_ATTEMPTS:
                raise
            attempt += 1
    await events.publish(rt, event)
    confirmed = await EstablishmentPreRegistration.get(id=row.id)
    return Confirmed(pre_registration=confirmed, establishment=establishment)


async def _confirm(
    rt: Runtime, staff: User, row: EstablishmentPreRegistration, note: str
) -> tuple[Establishment, Event]:
    now = rt.clock.now()
    async with outbox.transaction(rt):
        # Confirmations of one office draw their numbers one after the other.
        office = await Office.select_for_update().get(id=row.office_id)
        decided = await EstablishmentPreRegistration.filter(
            id=row.id, status=PreRegistrationStatus.PENDING
        ).update(
            status=PreRegistrationStatus.CONFIRMED,
            reviewed_by_id=staff.id,
            reviewed_at=now,
            review_note=note,
        )
        if not decided:
            raise _already_decided()
        establishment = await Establishment.create(
            office_id=office.id,
            number=await _next_number(office),
            name=row.name,
            name_kana=row.name_kana,
            phone_number=row.phone_number,
            postal_code=row.postal_code,
            address=f"{row.prefecture}{row.city}{row.street}",
            industry=row.industry,
            employee_count=row.employee_count,
            representative_title=row.representative_title,
            representative_name=row.representative_name,
            created_at=now,
        )
        await EstablishmentPreRegistration.filter(id=row.id).update(
            establishment_id=establishment.id
        )
        invitation, key = await keys.new_key(
            rt,
            keys.LOGIN_INVITATION,
            expires_at=now + INVITATION_TTL,
            supersedes={"email": row.email},
            now=now,
            email=row.email,
            establishment_id=establishment.id,
            created_by_id=staff.id,
        )
        await audit.record(
            rt,
            AuditAction.PRE_REGISTRATION_CONFIRMED,
            actor=staff,
            establishment_id=establishment.id,
            office_id=office.id,
            pre_registration=row.id,
            invitation=invitation.id,
        )
        event = await queue_events.record(
            office_id=office.id,
            kind=ReviewKind.PRE_REGISTRATION,
            item_id=row.id,
            change=QueueChange.TAKEN,
            now=now,
        )
        body = _confirmed_mail(row, establishment, office, key, invitation.expires_at)
        await outbox.enqueue(rt, row.email, CONFIRMED_MAIL_SUBJECT, body)
    return establishment, event


def _confirmed_mail(
    row: EstablishmentPreRegistration,
    establishment: Establishment,
    office: Office,
    key: str,
    expires_at: dt.datetime,
) -> str:
    return (
        "ハローワークインターネットサービスです。\n"
        f"{office.name}で、事業所の本登録が済みました（受付番号 {receipt_number(row)}）。\n\n"
        f"事業所名: {establishment.name}\n"
        f"事業所番号: {establishment.number}\n\n"
        "求人者マイページの最初のログインを開設するため、パスワード登録画面で、このメール"
        "アドレス、次の認証キー、パスワードを入力してください。\n\n"
        f"認証キー: {key}\n\n"
        f"認証キーの有効期限は {tokyo_minute(expires_at)} "
        f"（メール配信から{INVITATION_TTL // dt.timedelta(hours=1)}時間以内）です。\n"
        "有効期限が過ぎた場合は、管轄のハローワークでアカウント作成コードの発行を受けてください。\n"
        "このメールに心当たりのない場合は、管轄のハローワークにお知らせください。\n"
    )


async def refuse_pre_registration(
    rt: Runtime, viewer: Viewer, pre_registration_id: int, *, reason: str
) -> EstablishmentPreRegistration:
    """Staff of the entry's office refuse a waiting entry with a reason (required), which is
    mailed to its address; it can never be confirmed afterwards."""
    staff = viewer.require_staff()
    reason = validation.plain_text(
        "reason", reason, "お断りの理由", DECISION_TEXT_MAX_LENGTH, required=True
    )
    row = await _pending_of_office(staff, pre_registration_id)
    now = rt.clock.now()
    async with outbox.transaction(rt):
        decided = await EstablishmentPreRegistration.filter(
            id=row.id, status=PreRegistrationStatus.PENDING
        ).update(
            status=PreRegistrationStatus.REFUSED,
            reviewed_by_id=staff.id,
            reviewed_at=now,
            refusal_reason=reason,
        )
        if not decided:
            raise _already_decided()
        # The reason may name people: it goes to the applicant, not into the audit trail.
        await audit.record(
            rt,
            AuditAction.PRE_REGISTRATION_REFUSED,
            actor=staff,
            office_id=row.office_id,
            pre_registration=row.id,
        )
        event = await queue_events.record(
            office_id=row.office_id,
            kind=ReviewKind.PRE_REGISTRATION,
            item_id=row.id,
            change=QueueChange.TAKEN,
            now=now,
        )
        office = await Office.get(id=row.office_id)
        await outbox.enqueue(
            rt, row.email, REFUSED_MAIL_SUBJECT, _refused_mail(row, office, reason)
        )
    await events.publish(rt, event)
    return await EstablishmentPreRegistration.get(id=row.id)


def _refused_mail(row: EstablishmentPreRegistration, office: Office, reason: str) -> str:
    return (
        "ハローワークインターネットサービスです。\n"
        f"{office.name}です。{row.name} 様の事業所の仮登録（受付番号 {receipt_number(row)}）を"
        "確認しましたが、次の理由により本登録できませんでした。\n\n"
        f"理由:\n{reason}\n\n"
        f"ご不明な点は、{office.name}の窓口にお問い合わせください。\n"
    )
