"""Accounts: employer account opening (the leaflet's steps 3–5), login with OTP and lockout,
logout, and what DESIGN.md §2 lists under "Also": logins added by invitation and removed,
forgotten passwords, email change, withdrawal (退会).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NoReturn

from tortoise import connections
from tortoise.exceptions import IntegrityError
from tortoise.expressions import F, Q
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from app import outbox
from app.clock import TOKYO
from app.errors import ErrorCode, Forbidden, NotAuthenticated, UserErrors, user_error
from app.models import (
    AccountCreationCode,
    AuditAction,
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
from app.models.accounts import AddressLockout, MailedKey, MailedKeyPurpose, RegistrationStatus
from app.models.establishments import AccountCodeStatus
from app.resolvers import attempts, audit, taken_address, validation
from app.resolvers.establishments import ACCOUNT_CODE_PURPOSE
from app.runtime import Runtime
from app.security import hash_password, hashes_match, new_auth_key, new_otp, new_token
from app.security import verify_password as check_password
from app.terms import TermsKind, current_version
from app.throttle import Action
from app.viewer import Viewer

ACCOUNT_CODE_MAX_FAILED_TRIES = 10
AUTH_KEY_TTL = dt.timedelta(minutes=50)
AUTH_KEY_MAX_FAILED_TRIES = 5
OTP_MAX_FAILED_TRIES = 5
LOGINS_PER_ESTABLISHMENT = 10
INVITATION_TTL = dt.timedelta(hours=24)
PASSWORD_RESET_TTL = dt.timedelta(minutes=50)
EMAIL_CHANGE_TTL = dt.timedelta(minutes=50)
MAILED_KEY_MAX_FAILED_TRIES = 5
FAILED_LOGINS_BEFORE_LOCK = 5
LOCKOUT = dt.timedelta(minutes=30)

AUTH_KEY_PURPOSE = "auth-key"
OTP_PURPOSE = "otp"
SESSION_PURPOSE = "session"
DEVICE_PURPOSE = "remembered-device"
UNKNOWN_ADDRESS_PURPOSE = "unknown-address"

REGISTRATION_MAIL_SUBJECT = "パスワード登録申込受付通知"
OTP_MAIL_SUBJECT = "ワンタイムパスワードのお知らせ"
INVITATION_MAIL_SUBJECT = "求人者マイページ ログイン追加のご案内"
PASSWORD_RESET_MAIL_SUBJECT = "パスワード再設定のご案内"  # noqa: S105 - a mail subject
EMAIL_CHANGE_MAIL_SUBJECT = "メールアドレス変更の確認"
EMAIL_CHANGED_MAIL_SUBJECT = "メールアドレス変更完了のお知らせ"
LOCKOUT_MAIL_SUBJECT = "ログイン停止のお知らせ"

log = logging.getLogger(__name__)

MALFORMED_CHALLENGE = "malformed"
"""The throttle's subject for every OTP challenge id that is not a UUID at all."""


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

    account_code = await _match_account_code(
        rt, number=number, phone=phone, code=code, client=client
    )
    taken = await User.exists(portal=Portal.EMPLOYER, email=address)
    await _check_login_limit(account_code.establishment_id)

    now = rt.clock.now()
    auth_key = new_auth_key()
    async with outbox.transaction(rt):
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
        if taken:
            await taken_address.tell_owner(rt, Portal.EMPLOYER, address, "パスワード登録申込")
        else:
            body = _registration_mail(auth_key, now)
            await outbox.enqueue(rt, address, REGISTRATION_MAIL_SUBJECT, body)
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
    rt: Runtime, *, number: str, phone: str, code: str, client: str | None
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
            await audit.record(
                rt,
                AuditAction.ACCOUNT_CODE_VOIDED,
                establishment_id=candidate.establishment_id,
                client=client,
                reason="too_many_failed_tries",
            )
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
        await audit.record(rt, AuditAction.ACCOUNT_OPENED, actor=user, subject=user, client=client)
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
    rt: Runtime,
    *,
    portal: Portal,
    email: str,
    password: str,
    device_token: str | None,
    client: str | None = None,
) -> LoginResult:
    """Check the password; then open a session on a remembered device, or mail an OTP.

    A locked login is refused before its password is checked (see `_check_password`), and a
    throttled one before anything else. An address without a login is refused as a wrong
    password is, locks too (`_refuse_unknown_address`), and so cannot be told from one.
    """
    await rt.throttle.hit(Action.LOGIN, client=client, subject=email)
    invalid = user_error(
        ErrorCode.INVALID_CREDENTIALS, "メールアドレスまたはパスワードが正しくありません。"
    )
    address = email.strip().lower()
    if not address or not password:
        raise invalid
    # No login has a longer address (every write checks it); Tortoise would refuse the filter.
    user = (
        await User.get_or_none(portal=portal, email=address, is_active=True)
        if len(address) <= validation.EMAIL_MAX_LENGTH
        else None
    )
    if user is None:
        await _refuse_unknown_address(rt, portal, address, password, invalid)
    await _check_password(rt, user, password, invalid, client=client, step="login")
    now = rt.clock.now()
    if device_token and await RememberedDevice.exists(
        user_id=user.id,
        token_hash=rt.secret_hash(DEVICE_PURPOSE, device_token),
        expires_at__gt=now,
    ):
        async with in_transaction():
            session = await _open_session(rt, user, client=client, method="remembered_device")
        return LoginResult(session=session)

    otp = new_otp()
    async with outbox.transaction(rt):
        challenge = await OtpChallenge.create(
            id=uuid.uuid4(),
            user_id=user.id,
            otp_hash=rt.secret_hash(OTP_PURPOSE, otp),
            created_at=now,
            expires_at=now + dt.timedelta(minutes=rt.settings.otp_ttl_minutes),
        )
        await outbox.enqueue(rt, user.email, OTP_MAIL_SUBJECT, _otp_mail(otp, rt))
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
    rt: Runtime, *, challenge_id: str, otp: str, remember_device: bool, client: str | None = None
) -> VerifiedLogin:
    """Second step of login; optionally remember this device for the next 30 days."""
    invalid = user_error(ErrorCode.OTP_INVALID, "ワンタイムパスワードが正しくありません。", "otp")
    try:
        challenge_uuid = uuid.UUID(challenge_id)
    except ValueError:
        challenge_uuid = None
    # Counted per challenge as parsed: one challenge written in other ways (upper case,
    # braces, `urn:uuid:`) is still one challenge with one budget of tries.
    subject = str(challenge_uuid) if challenge_uuid else MALFORMED_CHALLENGE
    await rt.throttle.hit(Action.OTP, client=client, subject=subject)
    if challenge_uuid is None:
        raise invalid
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
        closed = await attempts.count_failed_try(
            OtpChallenge,
            challenge.id,
            still_open={"closed_at__isnull": True},
            limit=OTP_MAX_FAILED_TRIES,
            close={"closed_at": now},
        )
        await audit.record(
            rt, AuditAction.OTP_FAILED, subject=challenge.user, client=client, closed=closed
        )
        raise invalid

    async with in_transaction():
        claimed = await OtpChallenge.filter(id=challenge.id, closed_at__isnull=True).update(
            closed_at=now
        )
        if claimed != 1:
            raise invalid
        session = await _open_session(rt, challenge.user, client=client, method="otp")
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


async def _open_session(rt: Runtime, user: User, *, client: str | None, method: str) -> NewSession:
    """Open a session and record the login; call it inside the caller's transaction."""
    now = rt.clock.now()
    token = new_token()
    record = await Session.create(
        user_id=user.id,
        token_hash=rt.secret_hash(SESSION_PURPOSE, token),
        created_at=now,
        expires_at=now + dt.timedelta(minutes=rt.settings.session_ttl_minutes),
        last_seen_at=now,
    )
    await User.filter(id=user.id).update(last_login_at=now)
    await audit.record(
        rt, AuditAction.LOGIN_SUCCEEDED, actor=user, subject=user, client=client, method=method
    )
    return NewSession(token=token, record=record)


async def viewer_for_token(rt: Runtime, token: str | None) -> Viewer:
    """The viewer a bearer token or session cookie stands for; anonymous when none is valid."""
    if not token:
        return Viewer.anonymous()
    found = await _session_and_user(_SESSION_BY_TOKEN, rt.secret_hash(SESSION_PURPOSE, token))
    return await _viewer_of(rt, found)


async def viewer_for_session(rt: Runtime, session_id: int) -> Viewer:
    """The viewer of a session already authenticated (a WebSocket's, before each of its
    operations): anonymous once the session has ended; its use counts as for a request."""
    return await _viewer_of(rt, await _session_and_user(_SESSION_BY_ID, session_id))


async def _viewer_of(rt: Runtime, found: tuple[Session, User] | None) -> Viewer:
    if found is None:
        return Viewer.anonymous()
    now = rt.clock.now()
    session, user = found
    if not user.is_active or not _is_live(rt, session):
        return Viewer.anonymous()
    if session.last_seen_at is None or now - session.last_seen_at >= SESSION_SEEN_RESOLUTION:
        await Session.filter(id=session.id).update(last_seen_at=now)
        session.last_seen_at = now
    return Viewer(user=user, session=session)


# The idle timeout is kept to the minute: one write per session a minute, not one a request.
SESSION_SEEN_RESOLUTION = dt.timedelta(minutes=1)

# Every request looks its session up: by hand-written statements on the unique token hash and
# the primary key, which cost half of what the ORM spends building the same query each time.
_SESSION_BY_TOKEN = 'SELECT * FROM "session" WHERE "token_hash" = {}'  # noqa: S105 - SQL
_SESSION_BY_ID = 'SELECT * FROM "session" WHERE "id" = {}'
_USER_BY_ID = 'SELECT * FROM "user" WHERE "id" = {}'


async def _session_and_user(statement: str, key: str | int) -> tuple[Session, User] | None:
    """The session that `statement` (`_SESSION_BY_…`) finds by `key`, and its user."""
    connection = connections.get("default")
    placeholder = "?" if connection.capabilities.dialect == "sqlite" else "$1"
    sessions: list[Session] = await connection.executor_class(
        model=Session, db=connection
    ).execute_select(statement.format(placeholder), [key])
    if not sessions:
        return None
    users: list[User] = await connection.executor_class(model=User, db=connection).execute_select(
        _USER_BY_ID.format(placeholder), [sessions[0].user_id]
    )
    return sessions[0], users[0]


def _is_live(rt: Runtime, session: Session) -> bool:
    """`_live_session` for one session already read."""
    return session.ended_at is None and rt.clock.now() < session_deadline(rt, session)


def session_deadline(rt: Runtime, session: Session) -> dt.datetime:
    """When the session ends unless it is used again before: at its idle timeout, at the
    latest at its absolute end (the moment itself is already past the end)."""
    last_used = session.last_seen_at or session.created_at
    idle_end = last_used + dt.timedelta(minutes=rt.settings.session_idle_minutes)
    return min(session.expires_at, idle_end + _IDLE_EDGE)


# `_live_session` keeps a session whose last use is exactly `idle` ago (`>=`): its end is
# just after that moment, not at it.
_IDLE_EDGE = dt.timedelta(microseconds=1)


def _live_session(rt: Runtime) -> Q:
    """Not ended, not past its absolute end, and used within the idle timeout (`_is_live`
    says the same of one session in hand)."""
    # In UTC, as stored: SQLite compares the stored text, and a Tokyo offset would mis-order.
    now = rt.clock.now().astimezone(dt.UTC)
    idle_since = now - dt.timedelta(minutes=rt.settings.session_idle_minutes)
    return Q(ended_at__isnull=True, expires_at__gt=now) & (
        Q(last_seen_at__gte=idle_since) | Q(last_seen_at__isnull=True, created_at__gte=idle_since)
    )


async def session_deadlines(rt: Runtime, session_ids: Sequence[int]) -> dict[int, dt.datetime]:
    """`session_deadline` of each of these sessions that still holds; ended ones are absent."""
    sessions = await Session.filter(_live_session(rt), id__in=session_ids, user__is_active=True)
    return {session.id: session_deadline(rt, session) for session in sessions}


async def sessions_ended(rt: Runtime, session_ids: Sequence[int]) -> None:
    """Tell every process that these sessions ended (committed), so that the WebSockets opened
    with them close now. A lost notice is caught up by the sockets' own checks."""
    try:
        await rt.broker.publish_sessions_ended(session_ids)
    except Exception:  # the sessions ended all the same; the sockets find out by themselves
        log.exception("could not announce %d ended sessions", len(session_ids))


async def live_session_ids(rt: Runtime, session_ids: list[int]) -> set[int]:
    """Which of these sessions still hold (long-lived connections ask again).

    An open subscription is not a request: a dashboard left alone ends with its session."""
    found = await Session.filter(
        _live_session(rt), id__in=session_ids, user__is_active=True
    ).values_list("id", flat=True)
    return set(found)


async def logout(rt: Runtime, viewer: Viewer) -> None:
    """End the viewer's session at once."""
    if viewer.session is None or viewer.user is None:
        raise NotAuthenticated
    async with in_transaction():
        await Session.filter(id=viewer.session.id).update(ended_at=rt.clock.now())
        await audit.record(rt, AuditAction.LOGOUT, actor=viewer.user, subject=viewer.user)
    await sessions_ended(rt, [viewer.session.id])


# --- Lockout (5 wrong passwords in a row) ----------------------------------------------------


def _is_locked(rt: Runtime, lockable: User | AddressLockout) -> bool:
    """Locked until `locked_until`, exclusive: at exactly 30 minutes the login is open again."""
    return lockable.locked_until is not None and rt.clock.now() < lockable.locked_until


def _account_locked(locked_until: dt.datetime) -> UserErrors:
    until = locked_until.astimezone(TOKYO)
    return user_error(
        ErrorCode.ACCOUNT_LOCKED,
        f"パスワードを続けて{FAILED_LOGINS_BEFORE_LOCK}回間違えたため、"
        f"{until:%Y年%m月%d日 %H時%M分}までログインできません。"
        "メールでお送りした解除キーで、すぐに解除することもできます。",
    )


async def _check_password(
    rt: Runtime,
    user: User,
    password: str,
    invalid: UserErrors,
    *,
    client: str | None = None,
    step: str,
) -> None:
    """The password of a login, for login and for the re-checks of sensitive changes.

    While the login is locked nothing is hashed: the answer is ACCOUNT_LOCKED, even for the
    right password. A wrong password counts towards the lock (the fifth in a row locks and
    mails an unlock key); a right one resets the count.
    """
    if _is_locked(rt, user):
        assert user.locked_until is not None
        await audit.record(
            rt, AuditAction.LOGIN_FAILED, subject=user, client=client, step=step, reason="locked"
        )
        raise _account_locked(user.locked_until)
    if not await check_password(password, user.password_hash, rounds=rt.settings.bcrypt_rounds):
        await audit.record(
            rt,
            AuditAction.LOGIN_FAILED,
            subject=user,
            client=client,
            step=step,
            reason="wrong_password",
        )
        await _count_failed_login(rt, user, invalid, client=client)
    # Only while still unlocked: a lock that a concurrent wrong try set meanwhile holds.
    reset = await User.filter(_unlocked(rt), id=user.id, is_active=True).update(failed_logins=0)
    if reset != 1:
        await _refuse_locked_meanwhile(rt, user, invalid)


def _unlocked(rt: Runtime) -> Q:
    return Q(locked_until__isnull=True) | Q(locked_until__lte=rt.clock.now())


async def _count_failed_login(
    rt: Runtime, user: User, invalid: UserErrors, *, client: str | None
) -> NoReturn:
    """Count one wrong password in a row and refuse it; the fifth locks the login and mails
    an unlock key, in the transaction of the lock."""
    async with outbox.transaction(rt):
        counted, locked_until = await _count_wrong_password(rt, User, user.id, is_active=True)
        if locked_until is not None:
            await audit.record(
                rt, AuditAction.LOGIN_LOCKED, subject=user, client=client, until=str(locked_until)
            )
            await _mail_unlock_key(rt, user, locked_until)
    if locked_until is not None:
        raise _account_locked(locked_until)
    if not counted:
        await _refuse_locked_meanwhile(rt, user, invalid)
    raise invalid


async def _count_wrong_password(
    rt: Runtime, model: type[User] | type[AddressLockout], row_id: int, **still: Any
) -> tuple[bool, dt.datetime | None]:
    """Count one wrong password in a row: whether it counted, and the end of the lock when it
    was the fifth. Call inside a transaction.

    Two conditional UPDATEs, like `attempts.count_failed_try`, both only while unlocked:
    concurrent wrong tries each count once, tries that meet a lock count not at all, and
    exactly one try locks (and so mails). Locking starts the count afresh, so after the lock
    ends five more wrong passwords are needed to lock again.
    """
    locked_until = rt.clock.now() + LOCKOUT
    counted = await model.filter(_unlocked(rt), id=row_id, **still).update(
        failed_logins=F("failed_logins") + 1
    )
    locked = await model.filter(
        _unlocked(rt), id=row_id, failed_logins__gte=FAILED_LOGINS_BEFORE_LOCK, **still
    ).update(failed_logins=0, locked_until=locked_until)
    return counted == 1, locked_until if locked else None


def _unknown_address(rt: Runtime, portal: Portal, address: str) -> str:
    """What stands for an address without a login of `portal` where something is stored for
    it (its lockout, its ownerless reset keys): a keyed hash, never the address itself."""
    return rt.secret_hash(UNKNOWN_ADDRESS_PURPOSE, f"{portal.value}:{address}")


async def _refuse_unknown_address(
    rt: Runtime, portal: Portal, address: str, password: str, invalid: UserErrors
) -> NoReturn:
    """Refuse a login to an address without a login of `portal` as a wrong password is: after
    as long (a dummy hash), counted the same way, and locked by the fifth try in a row until
    the time the answer tells. Only a keyed hash of the portal and address is stored."""
    lockout, _ = await AddressLockout.get_or_create(
        address_hash=_unknown_address(rt, portal, address)
    )
    if _is_locked(rt, lockout):
        assert lockout.locked_until is not None
        raise _account_locked(lockout.locked_until)
    await check_password(password, None, rounds=rt.settings.bcrypt_rounds)
    async with in_transaction():
        counted, locked_until = await _count_wrong_password(rt, AddressLockout, lockout.id)
    if locked_until is not None:
        raise _account_locked(locked_until)
    if not counted:
        fresh = await AddressLockout.get(id=lockout.id)
        if fresh.locked_until is not None and _is_locked(rt, fresh):
            raise _account_locked(fresh.locked_until)
    raise invalid


async def _refuse_locked_meanwhile(rt: Runtime, user: User, invalid: UserErrors) -> NoReturn:
    """The login changed while its password was checked: locked, or closed."""
    fresh = await User.get(id=user.id)
    if fresh.is_active and fresh.locked_until is not None and _is_locked(rt, fresh):
        raise _account_locked(fresh.locked_until)
    raise invalid


async def _mail_unlock_key(rt: Runtime, user: User, locked_until: dt.datetime) -> None:
    """Tell the owner, with a key that lifts the lock early; valid while the lock lasts.

    Call inside the `outbox.transaction` of the lock."""
    row, key = await _new_key(
        rt,
        MailedKeyPurpose.UNLOCK,
        email=user.email,
        expires_at=locked_until,
        supersedes={"user_id": user.id},
        user_id=user.id,
    )
    until = locked_until.astimezone(TOKYO)
    body = (
        "ハローワークインターネットサービスです。\n"
        f"パスワードが続けて{FAILED_LOGINS_BEFORE_LOCK}回誤って入力されたため、"
        f"{until:%Y年%m月%d日 %H時%M分}までログインを停止しました。\n\n"
        "ご本人の操作であれば、ログイン停止解除画面でメールアドレスと次の解除キーを入力すると、"
        "すぐに解除できます。\n"
        f"解除キー: {key}\n\n"
        "お心当たりのない場合は、第三者がログインを試みた可能性があります。"
        "パスワードの再設定をお勧めします。\n"
    )
    await outbox.enqueue(rt, row.email, LOCKOUT_MAIL_SUBJECT, body)


async def unlock_login(rt: Runtime, *, email: str, key: str, client: str | None = None) -> None:
    """Lift a lock with the key mailed when it began."""
    await rt.throttle.hit(Action.UNLOCK, client=client, subject=email)
    form = validation.Form()
    address = form.check(lambda: validation.email("email", email))
    checked_key = form.check(lambda: validation.half_width("key", key.strip(), "解除キー"))
    form.done()
    row = await _open_key(rt, MailedKeyPurpose.UNLOCK, checked_key, email=address)
    now = rt.clock.now()
    async with in_transaction():
        await _claim_key(row, now)
        await User.filter(id=row.user_id).update(failed_logins=0, locked_until=None)
        subject = await User.get(id=row.user_id)
        await audit.record(rt, AuditAction.LOGIN_UNLOCKED, subject=subject, client=client)


# --- Keys sent by mail (MailedKey) ------------------------------------------------------------


def _key_hash(rt: Runtime, purpose: MailedKeyPurpose, key: str) -> str:
    return rt.secret_hash(f"mailed-key:{purpose.value}", key)


async def _new_key(
    rt: Runtime,
    purpose: MailedKeyPurpose,
    *,
    email: str,
    expires_at: dt.datetime,
    supersedes: dict[str, Any],
    **owner: Any,
) -> tuple[MailedKey, str]:
    """A key of `purpose` for `email`; closes the open ones matching `supersedes`.

    Call inside a transaction; the plaintext is returned once, for the mail.
    """
    now = rt.clock.now()
    key = new_auth_key()
    await MailedKey.filter(purpose=purpose, closed_at__isnull=True, **supersedes).update(
        closed_at=now
    )
    row = await MailedKey.create(
        purpose=purpose,
        email=email,
        key_hash=_key_hash(rt, purpose, key),
        created_at=now,
        expires_at=expires_at,
        **owner,
    )
    return row, key


async def _open_key(rt: Runtime, purpose: MailedKeyPurpose, key: str, **owner: Any) -> MailedKey:
    """The newest key of `purpose` for `owner`, if `key` is it and it is still usable.

    A wrong key is one failed try against that newest key; the fifth closes it. The key is
    not used up here: `_claim_key` does that in the transaction of the change.
    """
    now = rt.clock.now()
    row = await MailedKey.filter(purpose=purpose, **owner).order_by("-created_at", "-id").first()
    invalid = user_error(ErrorCode.AUTH_KEY_INVALID, "認証キーが正しくありません。", "key")
    if row is None:
        raise invalid
    if row.closed_at is not None:
        raise _mailed_key_void()
    if now >= row.expires_at:
        raise user_error(
            ErrorCode.AUTH_KEY_EXPIRED,
            "認証キーの有効期限が過ぎています。もう一度はじめからお手続きください。",
            "key",
        )
    if not hashes_match(row.key_hash, _key_hash(rt, purpose, key)):
        if await attempts.count_failed_try(
            MailedKey,
            row.id,
            still_open={"closed_at__isnull": True},
            limit=MAILED_KEY_MAX_FAILED_TRIES,
            close={"closed_at": now},
        ):
            raise _mailed_key_void()
        raise invalid
    return row


async def _claim_key(row: MailedKey, now: dt.datetime) -> None:
    """Use the key up; only one of concurrent uses gets it."""
    claimed = await MailedKey.filter(id=row.id, closed_at__isnull=True).update(closed_at=now)
    if claimed != 1:
        raise _mailed_key_void()


def _mailed_key_void() -> UserErrors:
    return user_error(
        ErrorCode.AUTH_KEY_VOID,
        "この認証キーは無効です。もう一度はじめからお手続きください。",
        "key",
    )


def _tokyo(moment: dt.datetime) -> str:
    return f"{moment.astimezone(TOKYO):%Y年%m月%d日 %H時%M分}"


# --- Logins of an establishment (up to 10): invitation, removal ------------------------------


async def establishment_logins(viewer: Viewer) -> list[User]:
    """The active logins of the employer's establishment, oldest first."""
    employer = viewer.require_employer()
    return await User.filter(
        establishment_id=employer.establishment_id, portal=Portal.EMPLOYER, is_active=True
    ).order_by("created_at", "id")


async def visible_logins(viewer: Viewer, ids: list[int]) -> dict[int, User]:
    """Logins of the viewer's establishment among `ids`; employers see only their own."""
    user = viewer.user
    if user is None or user.portal != Portal.EMPLOYER:
        return {}
    found = await User.filter(
        id__in=ids,
        establishment_id=user.establishment_id,
        portal=Portal.EMPLOYER,
        is_active=True,
    )
    return {login.id: login for login in found}


async def pending_invitations(rt: Runtime, viewer: Viewer) -> list[MailedKey]:
    """Invitations of the establishment not yet accepted and not expired; they hold a seat."""
    employer = viewer.require_employer()
    return await _pending_invitations(rt, employer.establishment_id).order_by("created_at", "id")


def _pending_invitations(rt: Runtime, establishment_id: int | None) -> QuerySet[MailedKey]:
    return MailedKey.filter(
        purpose=MailedKeyPurpose.LOGIN_INVITATION,
        establishment_id=establishment_id,
        closed_at__isnull=True,
        expires_at__gt=rt.clock.now(),
    )


async def invite_login(rt: Runtime, viewer: Viewer, *, email: str) -> MailedKey:
    """Mail an invitation (a key valid 24 hours) to open another login of the establishment.

    Active logins and pending invitations together may not pass 10; accepting checks the
    active logins again. A newer invitation to the same address replaces the older one.
    """
    employer = viewer.require_employer()
    establishment_id = employer.establishment_id
    assert establishment_id is not None
    form = validation.Form()
    address = form.check(lambda: validation.email("email", email))
    form.done()

    async with outbox.transaction(rt):
        # Serialise invitations and openings of one establishment so the limit holds.
        establishment = await Establishment.select_for_update().get(id=establishment_id)
        await _check_email_free(address)
        logins = await User.filter(establishment_id=establishment_id, is_active=True).count()
        invited = await _pending_invitations(rt, establishment_id).exclude(email=address).count()
        if logins + invited >= LOGINS_PER_ESTABLISHMENT:
            raise user_error(
                ErrorCode.LOGIN_LIMIT_REACHED,
                f"1事業所に登録できるログインは{LOGINS_PER_ESTABLISHMENT}件までです"
                "（承認待ちの招待を含みます）。",
                "email",
            )
        row, key = await _new_key(
            rt,
            MailedKeyPurpose.LOGIN_INVITATION,
            email=address,
            expires_at=rt.clock.now() + INVITATION_TTL,
            supersedes={"email": address},
            establishment_id=establishment_id,
            created_by_id=employer.id,
        )
        await audit.record(rt, AuditAction.LOGIN_INVITED, actor=employer, invitation=row.id)
        body = (
            "ハローワークインターネットサービスです。\n"
            f"{establishment.name} 様の求人者マイページに、このメールアドレスのログインを追加する"
            "招待が届きました。\n\n"
            f"認証キー: {key}\n\n"
            f"認証キーの有効期限は {_tokyo(row.expires_at)} （メール配信から24時間以内）です。\n"
            "ログイン追加画面で、このメールアドレス、認証キー、パスワードを入力してください。\n"
            "このメールに心当たりのない場合は、破棄してください。\n"
        )
        await outbox.enqueue(rt, row.email, INVITATION_MAIL_SUBJECT, body)
    return row


async def accept_invitation(
    rt: Runtime,
    *,
    email: str,
    key: str,
    password: str,
    password_confirmation: str,
    client: str | None = None,
) -> User:
    """Open the invited login with its password; the 10-login limit is checked again."""
    await rt.throttle.hit(Action.INVITATION_ACCEPT, client=client, subject=email)
    form = validation.Form()
    address = form.check(lambda: validation.email("email", email))
    form.check(lambda: validation.password("password", password))
    form.check(
        lambda: validation.confirmation(
            "passwordConfirmation", password_confirmation, password, "パスワード"
        )
    )
    checked_key = form.check(lambda: validation.half_width("key", key.strip(), "認証キー"))
    form.done()

    invitation = await _open_key(rt, MailedKeyPurpose.LOGIN_INVITATION, checked_key, email=address)
    password_hash = await hash_password(password, rt.settings.bcrypt_rounds)
    now = rt.clock.now()
    establishment_id = invitation.establishment_id
    assert establishment_id is not None  # every invitation is to an establishment
    async with in_transaction():
        await Establishment.select_for_update().get(id=establishment_id)
        await _check_login_limit(establishment_id)
        await _check_email_free(address)
        await _claim_key(invitation, now)
        try:
            user = await User.create(
                portal=Portal.EMPLOYER,
                email=address,
                password_hash=password_hash,
                establishment_id=establishment_id,
                created_at=now,
            )
        except IntegrityError as exc:
            raise user_error(
                ErrorCode.EMAIL_TAKEN, "このメールアドレスはすでに登録されています。", "email"
            ) from exc
        await audit.record(
            rt,
            AuditAction.LOGIN_ADDED,
            actor=user,
            subject=user,
            client=client,
            invitation=invitation.id,
        )
    return user


async def remove_login(rt: Runtime, viewer: Viewer, *, user_id: int) -> User:
    """Remove a login of the viewer's establishment (their own too); its sessions end at once.

    The establishment's last active login cannot be removed.
    """
    employer = viewer.require_employer()
    now = rt.clock.now()
    async with in_transaction():
        # Serialised per establishment: two logins removing each other leave one.
        await Establishment.select_for_update().get(id=employer.establishment_id)
        target = await User.get_or_none(
            id=user_id,
            portal=Portal.EMPLOYER,
            establishment_id=employer.establishment_id,
            is_active=True,
        )
        if target is None:
            raise user_error(ErrorCode.NOT_FOUND, "指定されたログインが見つかりません。", "userId")
        await _check_not_last_login(target)
        ended = await _close_login(target, now, removed_by_id=employer.id)
        await audit.record(rt, AuditAction.LOGIN_REMOVED, actor=employer, subject=target)
    await sessions_ended(rt, ended)
    return target


async def _check_not_last_login(user: User) -> None:
    others = (
        await User.filter(establishment_id=user.establishment_id, is_active=True)
        .exclude(id=user.id)
        .count()
    )
    if others == 0:
        raise user_error(
            ErrorCode.LAST_ACTIVE_LOGIN,
            "事業所の最後のログインは削除できません。"
            "先に別のログインを追加するか、ハローワークの窓口にご相談ください。",
        )


def _withdrawn_email(user: User) -> str:
    """Stands in for the address of a closed login: without '@', no address can equal it."""
    return f"withdrawn:{user.id}"


async def _close_login(user: User, now: dt.datetime, *, removed_by_id: int | None) -> list[int]:
    """Withdraw or remove a login: its records stay, its sessions and keys end at once.
    The ids of the sessions it ended, for `sessions_ended` once committed."""
    former_email = user.email
    await User.filter(id=user.id).update(
        is_active=False,
        withdrawn_at=now,
        email=_withdrawn_email(user),
        former_email=former_email,
        removed_by_id=removed_by_id,
        failed_logins=0,
        locked_until=None,
    )
    ended = await _end_sessions(user.id, now)
    await MailedKey.filter(user_id=user.id, closed_at__isnull=True).update(closed_at=now)
    await RememberedDevice.filter(user_id=user.id).delete()
    user.is_active = False
    user.withdrawn_at = now
    user.email = _withdrawn_email(user)
    user.former_email = former_email
    user.removed_by_id = removed_by_id
    return ended


async def _end_sessions(user_id: int, now: dt.datetime) -> list[int]:
    """Every session and pending one-time password of the user ends now; the ids of the
    sessions, for `sessions_ended` once committed."""
    open_sessions = Session.filter(user_id=user_id, ended_at__isnull=True)
    ended: list[int] = await open_sessions.values_list("id", flat=True)
    await open_sessions.update(ended_at=now)
    await OtpChallenge.filter(user_id=user_id, closed_at__isnull=True).update(closed_at=now)
    return ended


# --- Forgotten password ----------------------------------------------------------------------


def _check_resettable(portal: Portal) -> None:
    if portal == Portal.STAFF:
        raise user_error(
            ErrorCode.UNSUPPORTED_PORTAL,
            "職員のパスワードはメールでは再設定できません。管理者にお問い合わせください。",
            "portal",
        )


async def request_password_reset(
    rt: Runtime, *, portal: Portal, email: str, client: str | None = None
) -> None:
    """Mail a key valid 50 minutes, if `email` is a login of `portal`.

    The answer is the same whether or not it is, and so is the work up to it: for an address
    without a login a key is made and stored all the same, with no owner, and never mailed.
    Tries with a key are then answered alike too (wrong, void at the fifth, expired).
    """
    await rt.throttle.hit(Action.PASSWORD_RESET_REQUEST, client=client, subject=email)
    form = validation.Form()
    form.check(lambda: _check_resettable(portal))
    address = form.check(lambda: validation.email("email", email))
    form.done()
    user = await User.get_or_none(portal=portal, email=address, is_active=True)
    async with outbox.transaction(rt):
        row, key = await _new_key(
            rt,
            MailedKeyPurpose.PASSWORD_RESET,
            email=address if user else _unknown_address(rt, portal, address),
            expires_at=rt.clock.now() + PASSWORD_RESET_TTL,
            supersedes=_reset_keys_of(rt, portal, user, address),
            user_id=user.id if user else None,
        )
        if user is None:
            return
        body = (
            "ハローワークインターネットサービスです。\n"
            "パスワード再設定のお申し込みを受け付けました。\n\n"
            f"認証キー: {key}\n\n"
            f"認証キーの有効期限は {_tokyo(row.expires_at)} （メール配信から50分以内）です。\n"
            "パスワード再設定画面で、新しいパスワードとこの認証キーを入力してください。\n"
            "このメールに心当たりのない場合は、破棄してください。パスワードは変わりません。\n"
        )
        await outbox.enqueue(rt, row.email, PASSWORD_RESET_MAIL_SUBJECT, body)


def _reset_keys_of(rt: Runtime, portal: Portal, user: User | None, address: str) -> dict[str, Any]:
    """The login's reset keys, or the ownerless ones made for an address without a login."""
    if user is not None:
        return {"user_id": user.id}
    return {"email": _unknown_address(rt, portal, address), "user_id__isnull": True}


async def complete_password_reset(
    rt: Runtime,
    *,
    portal: Portal,
    email: str,
    key: str,
    password: str,
    password_confirmation: str,
    client: str | None = None,
) -> User:
    """Set a new password with the mailed key; every session ends and any lock is lifted."""
    await rt.throttle.hit(Action.PASSWORD_RESET_COMPLETE, client=client, subject=email)
    form = validation.Form()
    form.check(lambda: _check_resettable(portal))
    address = form.check(lambda: validation.email("email", email))
    checked_key = form.check(lambda: validation.half_width("key", key.strip(), "認証キー"))
    form.check(lambda: validation.password("password", password))
    form.check(
        lambda: validation.confirmation(
            "passwordConfirmation", password_confirmation, password, "パスワード"
        )
    )
    form.done()
    user = await User.get_or_none(portal=portal, email=address, is_active=True)
    keys = _reset_keys_of(rt, portal, user, address)
    row = await _open_key(rt, MailedKeyPurpose.PASSWORD_RESET, checked_key, **keys)
    if user is None:  # an ownerless key was never mailed: nobody can have typed it
        raise user_error(ErrorCode.AUTH_KEY_INVALID, "認証キーが正しくありません。", "key")
    password_hash = await hash_password(password, rt.settings.bcrypt_rounds)
    now = rt.clock.now()
    async with in_transaction():
        await _claim_key(row, now)
        await User.filter(id=user.id).update(
            password_hash=password_hash, failed_logins=0, locked_until=None
        )
        ended = await _end_sessions(user.id, now)
        await MailedKey.filter(
            user_id=user.id, purpose=MailedKeyPurpose.UNLOCK, closed_at__isnull=True
        ).update(closed_at=now)
        await audit.record(rt, AuditAction.PASSWORD_RESET, subject=user, client=client)
    await sessions_ended(rt, ended)
    return user


# --- Email change ----------------------------------------------------------------------------


def _account_owner(viewer: Viewer) -> User:
    """An employer or a seeker acting on their own login; staff logins are managed apart."""
    if viewer.user is None:
        raise NotAuthenticated
    if viewer.user.portal not in (Portal.EMPLOYER, Portal.SEEKER):
        raise Forbidden
    return viewer.user


def _password_given(password: str) -> None:
    if not password:
        raise user_error(ErrorCode.REQUIRED, "パスワードを入力してください。", "password")


def _wrong_password() -> UserErrors:
    """A re-check of the current password failed (it counts towards the lockout)."""
    return user_error(ErrorCode.INVALID_CREDENTIALS, "パスワードが正しくありません。", "password")


async def request_email_change(
    rt: Runtime, viewer: Viewer, *, new_email: str, password: str
) -> MailedKey:
    """Mail a key valid 50 minutes to the new address; the password is checked again.

    An address that has a login of the portal already is answered alike and goes through the
    same steps, but its owner is mailed that it is registered instead of the key: anyone may
    open a seeker login, so a logged-in seeker must not learn which addresses are taken
    either. Only the viewer's own address is refused outright.
    """
    user = _account_owner(viewer)
    form = validation.Form()
    address = form.check(lambda: validation.email("newEmail", new_email))
    form.check(lambda: _password_given(password))
    form.done()
    await _check_password(rt, user, password, _wrong_password(), step="email_change")
    if address == user.email:
        raise user_error(
            ErrorCode.EMAIL_TAKEN,
            "現在のメールアドレスです。新しいメールアドレスを入力してください。",
            "newEmail",
        )
    taken = await User.exists(portal=user.portal, email=address)
    async with outbox.transaction(rt):
        row, key = await _new_key(
            rt,
            MailedKeyPurpose.EMAIL_CHANGE,
            email=address,
            expires_at=rt.clock.now() + EMAIL_CHANGE_TTL,
            supersedes={"user_id": user.id},
            user_id=user.id,
        )
        if taken:
            await taken_address.tell_owner(
                rt, user.portal, address, "メールアドレス変更のお申し込み"
            )
            return row
        body = (
            "ハローワークインターネットサービスです。\n"
            "マイページのメールアドレスを、このアドレスに変更するお申し込みを受け付けました。\n\n"
            f"認証キー: {key}\n\n"
            f"認証キーの有効期限は {_tokyo(row.expires_at)} （メール配信から50分以内）です。\n"
            "ログインしたまま、メールアドレス変更の確認画面でこの認証キーを入力してください。\n"
            "このメールに心当たりのない場合は、破棄してください。\n"
        )
        await outbox.enqueue(rt, address, EMAIL_CHANGE_MAIL_SUBJECT, body)
    return row


async def _check_new_email_free(user: User, address: str) -> None:
    if await User.exists(portal=user.portal, email=address):
        raise user_error(
            ErrorCode.EMAIL_TAKEN, "このメールアドレスはすでに登録されています。", "newEmail"
        )


async def confirm_email_change(rt: Runtime, viewer: Viewer, *, key: str) -> User:
    """Switch to the new address with the key mailed to it; the old address is told."""
    user = _account_owner(viewer)
    form = validation.Form()
    checked_key = form.check(lambda: validation.half_width("key", key.strip(), "認証キー"))
    form.done()
    row = await _open_key(rt, MailedKeyPurpose.EMAIL_CHANGE, checked_key, user_id=user.id)
    now = rt.clock.now()
    old_email = user.email
    async with outbox.transaction(rt):
        await _check_new_email_free(user, row.email)
        await _claim_key(row, now)
        try:
            await User.filter(id=user.id, is_active=True).update(email=row.email)
        except IntegrityError as exc:
            raise user_error(
                ErrorCode.EMAIL_TAKEN, "このメールアドレスはすでに登録されています。", "newEmail"
            ) from exc
        # Keys mailed to the old address (reset, unlock) are not to be used after the change.
        await MailedKey.filter(user_id=user.id, closed_at__isnull=True).update(closed_at=now)
        await audit.record(
            rt,
            AuditAction.EMAIL_CHANGED,
            actor=user,
            subject=user,
            **{"from": old_email, "to": row.email},
        )
        body = (
            "ハローワークインターネットサービスです。\n"
            f"マイページのメールアドレスを {row.email} に変更しました（{_tokyo(now)}）。\n"
            "今後のお知らせは新しいメールアドレスにお送りします。\n"
            "お心当たりのない場合は、至急ハローワークにご連絡ください。\n"
        )
        await outbox.enqueue(rt, old_email, EMAIL_CHANGED_MAIL_SUBJECT, body)
    user.email = row.email
    return user


# --- Withdrawal (退会) -------------------------------------------------------------------------


async def withdraw(rt: Runtime, viewer: Viewer, *, password: str) -> User:
    """退会: the login closes, every session ends, every record stays.

    The address is free again at once (see `User`). An establishment's last login cannot
    withdraw, as it cannot be removed: the establishment would be left without a login.
    """
    user = _account_owner(viewer)
    _password_given(password)
    await _check_password(rt, user, password, _wrong_password(), step="withdrawal")
    now = rt.clock.now()
    async with in_transaction():
        if user.portal == Portal.EMPLOYER:
            await Establishment.select_for_update().get(id=user.establishment_id)
            await _check_not_last_login(user)
        ended = await _close_login(user, now, removed_by_id=None)
        await audit.record(rt, AuditAction.WITHDRAWN, actor=user, subject=user)
    await sessions_ended(rt, ended)
    return user


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
        staff = await User.create(
            portal=Portal.STAFF,
            email=address,
            password_hash=password_hash,
            office_id=office.id,
            created_at=now,
        )
        await audit.record(rt, AuditAction.STAFF_CREATED, subject=staff, via="command_line")
    return staff
