"""Sessions: login (the password, then a mailed one-time password or a remembered device), the
viewer a request's or a WebSocket's session stands for and how long it holds, and ending
sessions (logout, and the notice to every process when sessions end)."""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass
from typing import cast

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from app import outbox
from app.db import Prepared, PreparedIn
from app.errors import ErrorCode, NotAuthenticated, UserError, UserErrors, user_error
from app.models import AuditAction, OtpChallenge, Portal, RememberedDevice, Session, User
from app.resolvers import audit, keys, validation
from app.resolvers.accounts.lockout import check_login_password, refuse_unknown_address
from app.runtime import Runtime
from app.security import hashes_match, new_otp, new_token
from app.throttle import Action
from app.viewer import Viewer

OTP_MAX_FAILED_TRIES = 5

OTP_PURPOSE = "otp"
SESSION_PURPOSE = "session"
DEVICE_PURPOSE = "remembered-device"

OTP_MAIL_SUBJECT = "ワンタイムパスワードのお知らせ"

log = logging.getLogger(__name__)

MALFORMED_CHALLENGE = "malformed"
"""The throttle's subject for every OTP challenge id that is not a UUID at all."""

OTP_CHALLENGE = keys.KeyKind(
    model=OtpChallenge,
    hash_purpose=OTP_PURPOSE,
    hash_field="otp_hash",
    max_failed_tries=OTP_MAX_FAILED_TRIES,
    wrong=UserError(ErrorCode.OTP_INVALID, "ワンタイムパスワードが正しくありません。", "otp"),
    expired=UserError(
        ErrorCode.OTP_EXPIRED,
        "ワンタイムパスワードの有効期限が過ぎています。もう一度ログインしてください。",
        "otp",
    ),
    void=UserError(
        ErrorCode.OTP_EXPIRED,
        "ワンタイムパスワードが無効です。もう一度ログインしてください。",
        "otp",
    ),
    new_secret=new_otp,
)
"""The one-time password (ワンタイムパスワード) mailed after a right password."""


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

    A locked login is refused before its password is checked (see `check_login_password`),
    and a throttled one before anything else. An address without a login is refused as a
    wrong password is, locks too (`refuse_unknown_address`), and so cannot be told
    from one.
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
        await refuse_unknown_address(rt, portal, address, password, invalid)
    await check_login_password(rt, user, password, invalid, client=client, step="login")
    now = rt.clock.now()
    if device_token and await RememberedDevice.exists(
        user_id=user.id,
        token_hash=rt.secret_hash(DEVICE_PURPOSE, device_token),
        expires_at__gt=now,
    ):
        async with in_transaction():
            session = await _open_session(rt, user, client=client, method="remembered_device")
        return LoginResult(session=session)

    async with outbox.transaction(rt):
        # Each login has its own challenge: a newer one leaves the others open.
        challenge, otp = await keys.new_key(
            rt,
            OTP_CHALLENGE,
            expires_at=now + dt.timedelta(minutes=rt.settings.otp_ttl_minutes),
            supersedes=None,
            now=now,
            id=uuid.uuid4(),
            user_id=user.id,
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
    """Second step of login; optionally remember this device for the next 30 days.

    A wrong one-time password is answered as wrong even at the last try: only the next try
    learns that the challenge is void.
    """
    try:
        challenge_uuid = uuid.UUID(challenge_id)
    except ValueError:
        challenge_uuid = None
    # Counted per challenge as parsed: one challenge written in other ways (upper case,
    # braces, `urn:uuid:`) is still one challenge with one budget of tries.
    subject = str(challenge_uuid) if challenge_uuid else MALFORMED_CHALLENGE
    await rt.throttle.hit(Action.OTP, client=client, subject=subject)
    if challenge_uuid is None:
        raise UserErrors(OTP_CHALLENGE.wrong)
    now = rt.clock.now()
    challenge = await OtpChallenge.get_or_none(id=challenge_uuid).select_related("user")
    if challenge is None or not OTP_CHALLENGE.is_open(challenge) or not challenge.user.is_active:
        raise UserErrors(OTP_CHALLENGE.void)
    if now >= challenge.expires_at:
        raise UserErrors(OTP_CHALLENGE.expired)
    if not hashes_match(challenge.otp_hash, OTP_CHALLENGE.hash(rt, otp.strip())):
        closed = await keys.count_wrong_try(rt, OTP_CHALLENGE, challenge.id)
        await audit.record(
            rt, AuditAction.OTP_FAILED, subject=challenge.user, client=client, closed=closed
        )
        raise UserErrors(OTP_CHALLENGE.wrong)

    async with in_transaction():
        await keys.claim_key(OTP_CHALLENGE, challenge, now, lost=OTP_CHALLENGE.wrong)
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


# --- The viewer of a session -----------------------------------------------------------------


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

# Every request looks its session up, with its user, in one statement whose SQL is built once.
_SESSION_BY_TOKEN: Prepared[Session | None] = Prepared(
    lambda token_hash: Session.filter(token_hash=token_hash).select_related("user").first()
)
_SESSION_BY_ID: Prepared[Session | None] = Prepared(
    lambda session_id: Session.filter(id=session_id).select_related("user").first()
)


async def _session_and_user(
    read: Prepared[Session | None], key: str | int
) -> tuple[Session, User] | None:
    """The session that `read` (`_SESSION_BY_…`) finds by `key`, and its user."""
    session = await read(key)
    if session is None:
        return None
    return session, session.user


# --- How long a session holds ----------------------------------------------------------------


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
    return _live_between(*_live_bounds(rt))


def _live_bounds(rt: Runtime) -> tuple[dt.datetime, dt.datetime]:
    """Now, and since when a live session must have been used."""
    # In UTC, as stored: SQLite compares the stored text, and a Tokyo offset would mis-order.
    now = rt.clock.now().astimezone(dt.UTC)
    return now, now - dt.timedelta(minutes=rt.settings.session_idle_minutes)


def _live_between(now: dt.datetime, idle_since: dt.datetime) -> Q:
    return Q(ended_at__isnull=True, expires_at__gt=now) & (
        Q(last_seen_at__gte=idle_since) | Q(last_seen_at__isnull=True, created_at__gte=idle_since)
    )


async def session_deadlines(rt: Runtime, session_ids: Sequence[int]) -> dict[int, dt.datetime]:
    """`session_deadline` of each of these sessions that still holds; ended ones are absent."""
    sessions = await Session.filter(_live_session(rt), id__in=session_ids, user__is_active=True)
    return {session.id: session_deadline(rt, session) for session in sessions}


def _live_among(ids: list[int], now: dt.datetime, idle_since: dt.datetime) -> Awaitable[list[int]]:
    query = Session.filter(_live_between(now, idle_since), id__in=ids, user__is_active=True)
    return cast("Awaitable[list[int]]", query.values_list("id", flat=True))


_LIVE_SESSION_IDS: PreparedIn[int] = PreparedIn(_live_among)
"""Asked for the subscribers of every delivery: by SQL built once per power of two of ids."""


async def live_session_ids(rt: Runtime, session_ids: list[int]) -> set[int]:
    """Which of these sessions still hold (long-lived connections ask again).

    An open subscription is not a request: a dashboard left alone ends with its session."""
    return set(await _LIVE_SESSION_IDS(session_ids, *_live_bounds(rt)))


# --- Ending sessions -------------------------------------------------------------------------


async def logout(rt: Runtime, viewer: Viewer) -> None:
    """End the viewer's session at once."""
    if viewer.session is None or viewer.user is None:
        raise NotAuthenticated
    async with in_transaction():
        await Session.filter(id=viewer.session.id).update(ended_at=rt.clock.now())
        await audit.record(rt, AuditAction.LOGOUT, actor=viewer.user, subject=viewer.user)
    await sessions_ended(rt, [viewer.session.id])


async def end_sessions(user_id: int, now: dt.datetime) -> list[int]:
    """Every session and pending one-time password of the user ends now; the ids of the
    sessions, for `sessions_ended` once committed."""
    open_sessions = Session.filter(user_id=user_id, ended_at__isnull=True)
    ended = cast(list[int], await open_sessions.values_list("id", flat=True))
    await open_sessions.update(ended_at=now)
    await OtpChallenge.filter(user_id=user_id, closed_at__isnull=True).update(closed_at=now)
    return ended


async def sessions_ended(rt: Runtime, session_ids: Sequence[int]) -> None:
    """Tell every process that these sessions ended (committed), so that the WebSockets opened
    with them close now. A lost notice is caught up by the sockets' own checks."""
    try:
        await rt.broker.publish_sessions_ended(session_ids)
    except Exception:  # the sessions ended all the same; the sockets find out by themselves
        log.exception("could not announce %d ended sessions", len(session_ids))
