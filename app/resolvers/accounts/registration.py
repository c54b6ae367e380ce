"""Employer account opening (the leaflet's steps 3 and 4): the counter's account creation code
checked against the establishment mails an authentication key, and the key with a password
opens the account."""

from __future__ import annotations

import dataclasses
import datetime as dt

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from app import outbox
from app.errors import ErrorCode, UserError, UserErrors, user_error
from app.japanese import tokyo_minute
from app.models import (
    AccountCreationCode,
    AuditAction,
    EmployerRegistration,
    Establishment,
    Portal,
    TermsAgreement,
    User,
)
from app.models.accounts import RegistrationStatus
from app.models.establishments import AccountCodeStatus
from app.resolvers import audit, keys, taken_address, validation
from app.resolvers.accounts.logins import check_email_free, check_login_limit
from app.resolvers.establishments import ACCOUNT_CODE_PURPOSE
from app.runtime import Runtime
from app.security import hash_password, hashes_match
from app.terms import TermsKind, current_version
from app.throttle import Action

ACCOUNT_CODE_MAX_FAILED_TRIES = 10
AUTH_KEY_TTL = dt.timedelta(minutes=50)
AUTH_KEY_MAX_FAILED_TRIES = 5

AUTH_KEY_PURPOSE = "auth-key"

REGISTRATION_MAIL_SUBJECT = "パスワード登録申込受付通知"

ACCOUNT_CREATION_CODE = keys.KeyKind(
    model=AccountCreationCode,
    hash_purpose=ACCOUNT_CODE_PURPOSE,
    hash_field="code_hash",
    max_failed_tries=ACCOUNT_CODE_MAX_FAILED_TRIES,
    wrong=UserError(
        ErrorCode.REGISTRATION_DETAILS_INVALID,
        "入力された事業所番号、電話番号、アカウント作成コードのいずれかに誤りがあります。",
    ),
    expired=UserError(
        ErrorCode.ACCOUNT_CREATION_CODE_EXPIRED,
        "アカウント作成コードの有効期限が過ぎています。ハローワークの窓口で再度発行を受けてください。",
        "account_creation_code",
    ),
    void=UserError(
        ErrorCode.ACCOUNT_CREATION_CODE_VOID,
        "このアカウント作成コードは無効です。ハローワークの窓口で再度発行を受けてください。",
        "account_creation_code",
    ),
    open_status=AccountCodeStatus.ACTIVE,
    void_status=AccountCodeStatus.VOID,
    used_status=AccountCodeStatus.USED,
)
"""The counter's code (アカウント作成コード); issued by staff (`establishments`), never mailed.
A wrong establishment number or phone number counts against it as a wrong code does."""

REGISTRATION_KEY = keys.KeyKind(
    model=EmployerRegistration,
    hash_purpose=AUTH_KEY_PURPOSE,
    hash_field="auth_key_hash",
    max_failed_tries=AUTH_KEY_MAX_FAILED_TRIES,
    wrong=UserError(ErrorCode.AUTH_KEY_INVALID, "認証キーが正しくありません。", "auth_key"),
    expired=UserError(
        ErrorCode.AUTH_KEY_EXPIRED,
        "認証キーの有効期限（50分）が過ぎています。はじめからパスワード登録申込をやり直してください。",
        "auth_key",
    ),
    void=UserError(
        ErrorCode.AUTH_KEY_VOID,
        "この認証キーは無効です。はじめからパスワード登録申込をやり直してください。",
        "auth_key",
    ),
    open_status=RegistrationStatus.PENDING,
    void_status=RegistrationStatus.VOID,
    used_status=RegistrationStatus.COMPLETED,
)
"""The authentication key (認証キー) of a password registration application."""


# --- Step 3: パスワード登録申込 -------------------------------------------------------------


async def request_employer_registration(
    rt: Runtime,
    *,
    email: str,
    email_confirmation: str,
    establishment_number: str,
    phone_number: str,
    account_creation_code: str,
    agreed_privacy_policy_version: str,
    agreed_terms_version: str,
    client: str | None = None,
) -> EmployerRegistration:
    """Check the counter's code against the establishment and mail an authentication key.

    Format errors change nothing. A wrong establishment number, phone number or code is one
    failed try against the code; the tenth voids it. The answer never says which was wrong.
    An address that already has an employer login is answered alike and goes through the same
    steps, but its owner is mailed that it is registered instead of the key.
    """
    await rt.throttle.hit(Action.REGISTRATION_REQUEST, client=client, subject=email)
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
    number = form.check(
        lambda: validation.establishment_number("establishment_number", establishment_number)
    )
    phone = form.check(lambda: validation.phone_number("phone_number", phone_number))
    code = form.check(
        lambda: validation.account_creation_code("account_creation_code", account_creation_code)
    )
    form.check(lambda: check_terms(TermsKind.PRIVACY_POLICY, agreed_privacy_policy_version))
    form.check(lambda: check_terms(TermsKind.TERMS_OF_USE, agreed_terms_version))
    form.done()

    account_code = await _match_account_code(
        rt, number=number, phone=phone, code=code, client=client
    )
    taken = await User.exists(portal=Portal.EMPLOYER, email=address)
    await check_login_limit(account_code.establishment_id)

    now = rt.clock.now()
    async with outbox.transaction(rt):
        # One pending application per code: concurrent ones wait here for each other.
        locked = await AccountCreationCode.select_for_update().get(id=account_code.id)
        if not ACCOUNT_CREATION_CODE.is_open(locked):
            raise UserErrors(ACCOUNT_CREATION_CODE.void)
        registration, auth_key = await keys.new_key(
            rt,
            REGISTRATION_KEY,
            expires_at=now + AUTH_KEY_TTL,
            supersedes={"account_creation_code_id": account_code.id},
            now=now,
            account_creation_code_id=account_code.id,
            email=address,
            privacy_policy_version=agreed_privacy_policy_version,
            terms_of_use_version=agreed_terms_version,
            agreed_at=now,
        )
        if taken:
            await taken_address.tell_owner(rt, Portal.EMPLOYER, address, "パスワード登録申込")
        else:
            body = _registration_mail(auth_key, registration.expires_at)
            await outbox.enqueue(rt, address, REGISTRATION_MAIL_SUBJECT, body)
    return registration


def check_terms(kind: TermsKind, agreed_version: str) -> None:
    if agreed_version != current_version(kind):
        field = (
            "agreed_privacy_policy_version"
            if kind is TermsKind.PRIVACY_POLICY
            else "agreed_terms_version"
        )
        raise user_error(
            ErrorCode.TERMS_VERSION_OUTDATED,
            "最新のプライバシーポリシーと利用規約を確認し、同意してください。",
            field,
        )


def _registration_mail(auth_key: str, expires_at: dt.datetime) -> str:
    return (
        "ハローワークインターネットサービスです。\n"
        "求人者マイページのパスワード登録申込を受け付けました。\n\n"
        f"認証キー: {auth_key}\n\n"
        f"認証キーの有効期限は {tokyo_minute(expires_at)} （メール配信から50分以内）です。\n"
        "パスワード登録画面で、パスワードとこの認証キーを入力してください。\n"
        "このメールに心当たりのない場合は、破棄してください。\n"
    )


async def _match_account_code(
    rt: Runtime, *, number: str, phone: str, code: str, client: str | None
) -> AccountCreationCode:
    """The code the applicant means, if all three items match; else count a failed try."""
    code_hash = ACCOUNT_CREATION_CODE.hash(rt, code)
    candidate = await AccountCreationCode.get_or_none(code_hash=code_hash).select_related(
        "establishment"
    )
    found_by_code = candidate is not None
    if candidate is None:
        # The code is wrong: the try counts against the code of the establishment named.
        candidate = (
            await AccountCreationCode.filter(establishment__number=number)
            .order_by("-issued_at", "-id")
            .select_related("establishment")
            .first()
        )
    mismatch = UserErrors(ACCOUNT_CREATION_CODE.wrong)
    if candidate is None:
        raise mismatch
    if not ACCOUNT_CREATION_CODE.is_open(candidate):
        # Only someone holding the code learns that it is void; to anyone else an
        # establishment number with a spent code looks like any wrong entry.
        raise UserErrors(ACCOUNT_CREATION_CODE.void) if found_by_code else mismatch
    matches = (
        hashes_match(candidate.code_hash, code_hash)
        and candidate.establishment.number == number
        and validation.digits_only(candidate.establishment.phone_number)
        == validation.digits_only(phone)
    )
    if not matches:
        if await keys.count_wrong_try(rt, ACCOUNT_CREATION_CODE, candidate.id):
            await audit.record(
                rt,
                AuditAction.ACCOUNT_CODE_VOIDED,
                establishment_id=candidate.establishment_id,
                client=client,
                reason="too_many_failed_tries",
            )
            raise UserErrors(ACCOUNT_CREATION_CODE.void)
        raise mismatch
    if rt.clock.today() > candidate.expires_on:
        raise UserErrors(ACCOUNT_CREATION_CODE.expired)
    return candidate


# --- Step 4: パスワード登録 -----------------------------------------------------------------


async def complete_employer_registration(
    rt: Runtime,
    *,
    email: str,
    auth_key: str,
    password: str,
    password_confirmation: str,
    client: str | None = None,
) -> User:
    """Register the password with the mailed key; opens the account and consumes the code."""
    await rt.throttle.hit(Action.REGISTRATION_COMPLETE, client=client, subject=email)
    form = validation.Form()
    address = form.check(lambda: validation.email("email", email))
    form.check(lambda: validation.password("password", password))
    form.check(
        lambda: validation.confirmation(
            "password_confirmation", password_confirmation, password, "パスワード"
        )
    )
    key = form.check(lambda: validation.half_width("auth_key", auth_key.strip(), "認証キー"))
    form.done()

    registration = await keys.open_key(
        rt, REGISTRATION_KEY, key, related=["account_creation_code"], email=address
    )
    account_code = registration.account_creation_code
    if not ACCOUNT_CREATION_CODE.is_open(account_code):
        raise UserErrors(ACCOUNT_CREATION_CODE.void)
    if rt.clock.today() > account_code.expires_on:
        # This form has no field for the code.
        raise UserErrors(dataclasses.replace(ACCOUNT_CREATION_CODE.expired, field=None))
    password_hash = await hash_password(password, rt.settings.bcrypt_rounds)
    now = rt.clock.now()
    async with in_transaction():
        # Serialise openings of the same establishment so the login limit holds.
        await Establishment.select_for_update().get(id=account_code.establishment_id)
        await check_login_limit(account_code.establishment_id)
        await check_email_free(address)
        await keys.claim_key(ACCOUNT_CREATION_CODE, account_code, now)
        try:
            user = await User.create(
                portal=Portal.EMPLOYER,
                email=address,
                password_hash=password_hash,
                establishment_id=account_code.establishment_id,
                created_at=now,
            )
        except IntegrityError as exc:
            raise user_error(
                ErrorCode.EMAIL_TAKEN, "このメールアドレスはすでに登録されています。", "email"
            ) from exc
        await TermsAgreement.bulk_create(
            [
                TermsAgreement(
                    user_id=user.id,
                    kind=TermsKind.PRIVACY_POLICY,
                    version=registration.privacy_policy_version,
                    agreed_at=registration.agreed_at,
                ),
                TermsAgreement(
                    user_id=user.id,
                    kind=TermsKind.TERMS_OF_USE,
                    version=registration.terms_of_use_version,
                    agreed_at=registration.agreed_at,
                ),
            ]
        )
        # The code's claim lets one opening through; the application closes with it.
        registration.status = RegistrationStatus.COMPLETED
        registration.closed_at = now
        await registration.save(update_fields=["status", "closed_at"])
        await audit.record(rt, AuditAction.ACCOUNT_OPENED, actor=user, subject=user, client=client)
    return user
