"""Accounts: employer account opening (the leaflet's steps 3–5), login with OTP, logout."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from dataclasses import dataclass

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from app.errors import ErrorCode, NotAuthenticated, UserErrors, user_error
from app.mail import MailDeliveryError
from app.models import (
    AccountCreationCode,
    EmployerRegistration,
    Establishment,
    Office,
    OtpChallenge,
    Portal,
    RememberedDevice,
    Session,
    TermsAgreement,
    User,
)
from app.models.accounts import RegistrationStatus
from app.models.establishments import AccountCodeStatus
from app.resolvers import attempts, validation
from app.resolvers.establishments import ACCOUNT_CODE_PURPOSE
from app.runtime import Runtime
from app.security import hash_password, hashes_match, new_auth_key, new_otp, new_token
from app.security import verify_password as check_password
from app.terms import TermsKind, current_version
from app.viewer import Viewer

ACCOUNT_CODE_MAX_FAILED_TRIES = 10
AUTH_KEY_TTL = dt.timedelta(minutes=50)
AUTH_KEY_MAX_FAILED_TRIES = 5
OTP_MAX_FAILED_TRIES = 5
LOGINS_PER_ESTABLISHMENT = 10

AUTH_KEY_PURPOSE = "auth-key"
OTP_PURPOSE = "otp"
SESSION_PURPOSE = "session"
DEVICE_PURPOSE = "remembered-device"

REGISTRATION_MAIL_SUBJECT = "パスワード登録申込受付通知"
OTP_MAIL_SUBJECT = "ワンタイムパスワードのお知らせ"


def _mail_failed() -> UserErrors:
    return user_error(
        ErrorCode.MAIL_DELIVERY_FAILED,
        "メールを送信できませんでした。時間をおいて、もう一度お試しください。",
    )


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
) -> EmployerRegistration:
    """Check the counter's code against the establishment and mail an authentication key.

    Format errors change nothing. A wrong establishment number, phone number or code is one
    failed try against the code; the tenth voids it. The answer never says which was wrong.
    """
    form = validation.Form()
    address = form.check(lambda: validation.email("email", email))
    form.check(
        lambda: validation.confirmation(
            "emailConfirmation",
            email_confirmation.strip().lower(),
            email.strip().lower(),
            "メールアドレス",
        )
    )
    number = form.check(
        lambda: validation.establishment_number("establishmentNumber", establishment_number)
    )
    phone = form.check(lambda: validation.phone_number("phoneNumber", phone_number))
    code = form.check(
        lambda: validation.account_creation_code("accountCreationCode", account_creation_code)
    )
    form.check(lambda: _check_terms(TermsKind.PRIVACY_POLICY, agreed_privacy_policy_version))
    form.check(lambda: _check_terms(TermsKind.TERMS_OF_USE, agreed_terms_version))
    form.done()

    account_code = await _match_account_code(rt, number=number, phone=phone, code=code)
    await _check_email_free(address)
    await _check_login_limit(account_code.establishment_id)

    now = rt.clock.now()
    auth_key = new_auth_key()
    async with in_transaction():
        # One pending application per code: concurrent ones wait here for each other.
        locked = await AccountCreationCode.select_for_update().get(id=account_code.id)
        if locked.status != AccountCodeStatus.ACTIVE:
            raise _code_void()
        await EmployerRegistration.filter(
            account_creation_code_id=account_code.id, status=RegistrationStatus.PENDING
        ).update(status=RegistrationStatus.VOID, closed_at=now)
        registration = await EmployerRegistration.create(
            account_creation_code_id=account_code.id,
            email=address,
            auth_key_hash=rt.secret_hash(AUTH_KEY_PURPOSE, auth_key),
            status=RegistrationStatus.PENDING,
            privacy_policy_version=agreed_privacy_policy_version,
            terms_of_use_version=agreed_terms_version,
            agreed_at=now,
            created_at=now,
            expires_at=now + AUTH_KEY_TTL,
        )
    try:
        await rt.mailer.send(address, REGISTRATION_MAIL_SUBJECT, _registration_mail(auth_key, now))
    except MailDeliveryError as exc:
        registration.status = RegistrationStatus.VOID
        registration.closed_at = now
        await registration.save(update_fields=["status", "closed_at"])
        raise _mail_failed() from exc
    return registration


def _check_terms(kind: TermsKind, agreed_version: str) -> None:
    if agreed_version != current_version(kind):
        field = (
            "agreedPrivacyPolicyVersion"
            if kind is TermsKind.PRIVACY_POLICY
            else ("agreedTermsVersion")
        )
        raise user_error(
            ErrorCode.TERMS_VERSION_OUTDATED,
            "最新のプライバシーポリシーと利用規約を確認し、同意してください。",
            field,
        )


def _registration_mail(auth_key: str, now: dt.datetime) -> str:
    expires = (now + AUTH_KEY_TTL).astimezone(dt.timezone(dt.timedelta(hours=9)))
    return (
        "ハローワークインターネットサービスです。\n"
        "求人者マイページのパスワード登録申込を受け付けました。\n\n"
        f"認証キー: {auth_key}\n\n"
        f"認証キーの有効期限は {expires:%Y年%m月%d日 %H時%M分} （メール配信から50分以内）です。\n"
        "パスワード登録画面で、パスワードとこの認証キーを入力してください。\n"
        "このメールに心当たりのない場合は、破棄してください。\n"
    )


async def _match_account_code(
    rt: Runtime, *, number: str, phone: str, code: str
) -> AccountCreationCode:
    """The code the applicant means, if all three items match; else count a failed try."""
    code_hash = rt.secret_hash(ACCOUNT_CODE_PURPOSE, code)
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
    mismatch = user_error(
        ErrorCode.REGISTRATION_DETAILS_INVALID,
        "入力された事業所番号、電話番号、アカウント作成コードのいずれかに誤りがあります。",
    )
    if candidate is None:
        raise mismatch
    if candidate.status != AccountCodeStatus.ACTIVE:
        # Only someone holding the code learns that it is void; to anyone else an
        # establishment number with a spent code looks like any wrong entry.
        raise _code_void() if found_by_code else mismatch
    matches = (
        hashes_match(candidate.code_hash, code_hash)
        and candidate.establishment.number == number
        and validation.digits_only(candidate.establishment.phone_number)
        == validation.digits_only(phone)
    )
    if not matches:
        if await _count_failed_try(rt, candidate):
            raise _code_void()
        raise mismatch
    if rt.clock.today() > candidate.expires_on:
        raise user_error(
            ErrorCode.ACCOUNT_CREATION_CODE_EXPIRED,
            "アカウント作成コードの有効期限が過ぎています。ハローワークの窓口で再度発行を受けてください。",
            "accountCreationCode",
        )
    return candidate


async def _count_failed_try(rt: Runtime, account_code: AccountCreationCode) -> bool:
    """Count one failed try, durably; True when the code is void after it."""
    return await attempts.count_failed_try(
        AccountCreationCode,
        account_code.id,
        still_open={"status": AccountCodeStatus.ACTIVE},
        limit=ACCOUNT_CODE_MAX_FAILED_TRIES,
        close={"status": AccountCodeStatus.VOID, "closed_at": rt.clock.now()},
    )


def _code_void() -> UserErrors:
    return user_error(
        ErrorCode.ACCOUNT_CREATION_CODE_VOID,
        "このアカウント作成コードは無効です。ハローワークの窓口で再度発行を受けてください。",
        "accountCreationCode",
    )


async def _check_login_limit(establishment_id: int) -> None:
    logins = await User.filter(establishment_id=establishment_id, is_active=True).count()
    if logins >= LOGINS_PER_ESTABLISHMENT:
        raise user_error(
            ErrorCode.LOGIN_LIMIT_REACHED,
            f"1事業所に登録できるログインは{LOGINS_PER_ESTABLISHMENT}件までです。",
        )


async def _check_email_free(address: str) -> None:
    if await User.exists(portal=Portal.EMPLOYER, email=address):
        raise user_error(
            ErrorCode.EMAIL_TAKEN, "このメールアドレスはすでに登録されています。", "email"
        )


# --- Step 4: パスワード登録 -----------------------------------------------------------------


async def complete_employer_registration(
    rt: Runtime, *, email: str, auth_key: str, password: str, password_confirmation: str
) -> User:
    """Register the password with the mailed key; opens the account and consumes the code."""
    form = validation.Form()
    address = form.check(lambda: validation.email("email", email))
    form.check(lambda: validation.password("password", password))
    form.check(
        lambda: validation.confirmation(
            "passwordConfirmation", password_confirmation, password, "パスワード"
        )
    )
    key = form.check(lambda: validation.half_width("authKey", auth_key.strip(), "認証キー"))
    form.done()

    now = rt.clock.now()
    registration = (
        await EmployerRegistration.filter(email=address)
        .order_by("-created_at", "-id")
        .select_related("account_creation_code")
        .first()
    )
    invalid = user_error(ErrorCode.AUTH_KEY_INVALID, "認証キーが正しくありません。", "authKey")
    if registration is None:
        raise invalid
    if registration.status != RegistrationStatus.PENDING:
        raise _auth_key_void()
    if now >= registration.expires_at:
        raise user_error(
            ErrorCode.AUTH_KEY_EXPIRED,
            "認証キーの有効期限（50分）が過ぎています。はじめからパスワード登録申込をやり直してください。",
            "authKey",
        )
    if not hashes_match(registration.auth_key_hash, rt.secret_hash(AUTH_KEY_PURPOSE, key)):
        if await _count_wrong_key(rt, registration):
            raise _auth_key_void()
        raise invalid

    account_code = registration.account_creation_code
    if account_code.status != AccountCodeStatus.ACTIVE:
        raise _code_void()
    if rt.clock.today() > account_code.expires_on:
        raise user_error(
            ErrorCode.ACCOUNT_CREATION_CODE_EXPIRED,
            "アカウント作成コードの有効期限が過ぎています。ハローワークの窓口で再度発行を受けてください。",
        )
    password_hash = await hash_password(password, rt.settings.bcrypt_rounds)
    async with in_transaction():
        # Serialise openings of the same establishment so the login limit holds.
        await Establishment.select_for_update().get(id=account_code.establishment_id)
        await _check_login_limit(account_code.establishment_id)
        await _check_email_free(address)
        claimed = await AccountCreationCode.filter(
            id=account_code.id, status=AccountCodeStatus.ACTIVE
        ).update(status=AccountCodeStatus.USED, closed_at=now)
        if claimed != 1:
            raise _code_void()
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
        registration.status = RegistrationStatus.COMPLETED
        registration.closed_at = now
        await registration.save(update_fields=["status", "closed_at"])
    return user


async def _count_wrong_key(rt: Runtime, registration: EmployerRegistration) -> bool:
    """Count one wrong key; True when the registration is void after it."""
    return await attempts.count_failed_try(
        EmployerRegistration,
        registration.id,
        still_open={"status": RegistrationStatus.PENDING},
        limit=AUTH_KEY_MAX_FAILED_TRIES,
        close={"status": RegistrationStatus.VOID, "closed_at": rt.clock.now()},
    )


def _auth_key_void() -> UserErrors:
    return user_error(
        ErrorCode.AUTH_KEY_VOID,
        "この認証キーは無効です。はじめからパスワード登録申込をやり直してください。",
        "authKey",
    )


# --- Login -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewSession:
    """A session just opened; `token` is the only time the plaintext exists."""

    token: str
    record: Session


@dataclass(frozen=True)
class LoginResult:
    session: NewSession | None = None
    otp_challenge: OtpChallenge | None = None


async def login(
    rt: Runtime, *, portal: Portal, email: str, password: str, device_token: str | None
) -> LoginResult:
    """Check the password; then open a session on a remembered device, or mail an OTP."""
    invalid = user_error(
        ErrorCode.INVALID_CREDENTIALS, "メールアドレスまたはパスワードが正しくありません。"
    )
    address = email.strip().lower()
    if not address or not password:
        raise invalid
    user = await User.get_or_none(portal=portal, email=address, is_active=True)
    valid = await check_password(
        password, user.password_hash if user else None, rounds=rt.settings.bcrypt_rounds
    )
    if user is None or not valid:
        raise invalid
    now = rt.clock.now()
    if device_token and await RememberedDevice.exists(
        user_id=user.id,
        token_hash=rt.secret_hash(DEVICE_PURPOSE, device_token),
        expires_at__gt=now,
    ):
        return LoginResult(session=await _open_session(rt, user))

    otp = new_otp()
    challenge = await OtpChallenge.create(
        id=uuid.uuid4(),
        user_id=user.id,
        otp_hash=rt.secret_hash(OTP_PURPOSE, otp),
        created_at=now,
        expires_at=now + dt.timedelta(minutes=rt.settings.otp_ttl_minutes),
    )
    try:
        await rt.mailer.send(user.email, OTP_MAIL_SUBJECT, _otp_mail(otp, rt))
    except MailDeliveryError as exc:
        challenge.closed_at = now
        await challenge.save(update_fields=["closed_at"])
        raise _mail_failed() from exc
    return LoginResult(otp_challenge=challenge)


def _otp_mail(otp: str, rt: Runtime) -> str:
    return (
        "ハローワークインターネットサービスです。\n"
        "ログインのためのワンタイムパスワードをお知らせします。\n\n"
        f"ワンタイムパスワード: {otp}\n\n"
        f"有効期限は{rt.settings.otp_ttl_minutes}分です。"
        "このメールに心当たりのない場合は、パスワードを変更してください。\n"
    )


@dataclass(frozen=True)
class VerifiedLogin:
    session: NewSession
    device_token: str | None
    device_expires_at: dt.datetime | None


async def verify_otp(
    rt: Runtime, *, challenge_id: str, otp: str, remember_device: bool
) -> VerifiedLogin:
    """Second step of login; optionally remember this device for the next 30 days."""
    invalid = user_error(ErrorCode.OTP_INVALID, "ワンタイムパスワードが正しくありません。", "otp")
    try:
        challenge_uuid = uuid.UUID(challenge_id)
    except ValueError as exc:
        raise invalid from exc
    now = rt.clock.now()
    challenge = await OtpChallenge.get_or_none(id=challenge_uuid).select_related("user")
    if challenge is None or challenge.closed_at is not None or not challenge.user.is_active:
        raise user_error(
            ErrorCode.OTP_EXPIRED,
            "ワンタイムパスワードが無効です。もう一度ログインしてください。",
            "otp",
        )
    if now >= challenge.expires_at:
        raise user_error(
            ErrorCode.OTP_EXPIRED,
            "ワンタイムパスワードの有効期限が過ぎています。もう一度ログインしてください。",
            "otp",
        )
    if not hashes_match(challenge.otp_hash, rt.secret_hash(OTP_PURPOSE, otp.strip())):
        await attempts.count_failed_try(
            OtpChallenge,
            challenge.id,
            still_open={"closed_at__isnull": True},
            limit=OTP_MAX_FAILED_TRIES,
            close={"closed_at": now},
        )
        raise invalid

    async with in_transaction():
        claimed = await OtpChallenge.filter(id=challenge.id, closed_at__isnull=True).update(
            closed_at=now
        )
        if claimed != 1:
            raise invalid
        session = await _open_session(rt, challenge.user)
        device_token = None
        device_expires_at = None
        if remember_device:
            device_token = new_token()
            device_expires_at = now + dt.timedelta(days=rt.settings.remembered_device_days)
            await RememberedDevice.create(
                user_id=challenge.user.id,
                token_hash=rt.secret_hash(DEVICE_PURPOSE, device_token),
                created_at=now,
                expires_at=device_expires_at,
            )
    return VerifiedLogin(
        session=session, device_token=device_token, device_expires_at=device_expires_at
    )


async def _open_session(rt: Runtime, user: User) -> NewSession:
    now = rt.clock.now()
    token = new_token()
    record = await Session.create(
        user_id=user.id,
        token_hash=rt.secret_hash(SESSION_PURPOSE, token),
        created_at=now,
        expires_at=now + dt.timedelta(minutes=rt.settings.session_ttl_minutes),
    )
    await User.filter(id=user.id).update(last_login_at=now)
    return NewSession(token=token, record=record)


async def viewer_for_token(rt: Runtime, token: str | None) -> Viewer:
    """The viewer a bearer token or session cookie stands for; anonymous when none is valid."""
    if not token:
        return Viewer.anonymous()
    session = await Session.get_or_none(
        token_hash=rt.secret_hash(SESSION_PURPOSE, token),
        ended_at__isnull=True,
        expires_at__gt=rt.clock.now(),
    ).select_related("user")
    if session is None or not session.user.is_active:
        return Viewer.anonymous()
    return Viewer(user=session.user, session=session)


async def session_is_live(rt: Runtime, viewer: Viewer) -> bool:
    """Whether the viewer's session still holds (long-lived connections ask again)."""
    if viewer.session is None:
        return False
    return await Session.exists(
        id=viewer.session.id,
        ended_at__isnull=True,
        expires_at__gt=rt.clock.now(),
        user__is_active=True,
    )


async def logout(rt: Runtime, viewer: Viewer) -> None:
    """End the viewer's session at once."""
    if viewer.session is None:
        raise NotAuthenticated
    await Session.filter(id=viewer.session.id).update(ended_at=rt.clock.now())


# --- Staff logins (command line) -------------------------------------------------------------


async def create_staff(
    rt: Runtime, *, office_code: str, office_name: str, email: str, password: str
) -> User:
    """A staff login of an office; the office is created when new."""
    form = validation.Form()
    address = form.check(lambda: validation.email("email", email))
    form.check(lambda: validation.password("password", password))
    if not re.fullmatch(r"[0-9]{5}", office_code):
        form.errors.append(
            user_error(
                ErrorCode.INVALID_FORMAT, "安定所番号は半角数字5桁です。", "officeCode"
            ).errors[0]
        )
    form.done()
    password_hash = await hash_password(password, rt.settings.bcrypt_rounds)
    now = rt.clock.now()
    async with in_transaction():
        office, _ = await Office.get_or_create(
            code=office_code, defaults={"name": office_name, "created_at": now}
        )
        if await User.exists(portal=Portal.STAFF, email=address):
            raise user_error(
                ErrorCode.EMAIL_TAKEN, "このメールアドレスはすでに登録されています。", "email"
            )
        return await User.create(
            portal=Portal.STAFF,
            email=address,
            password_hash=password_hash,
            office_id=office.id,
            created_at=now,
        )
