"""Getting back into a login with a mailed key: a forgotten password set anew, a lock lifted
before it ends."""

from __future__ import annotations

import datetime as dt
from typing import Any

from tortoise.transactions import in_transaction

from app import outbox
from app.errors import ErrorCode, UserErrors, user_error
from app.japanese import tokyo_minute
from app.models import AuditAction, Portal, User
from app.models.accounts import MailedKey, MailedKeyPurpose
from app.resolvers import audit, keys, validation
from app.resolvers.accounts.lockout import unknown_address
from app.resolvers.accounts.sessions import end_sessions, sessions_ended
from app.runtime import Runtime
from app.security import hash_password
from app.throttle import Action

PASSWORD_RESET_TTL = dt.timedelta(minutes=50)

PASSWORD_RESET_MAIL_SUBJECT = "パスワード再設定のご案内"  # noqa: S105 - a mail subject


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
        row, key = await keys.new_key(
            rt,
            keys.PASSWORD_RESET,
            expires_at=rt.clock.now() + PASSWORD_RESET_TTL,
            supersedes=_reset_keys_of(rt, portal, user, address),
            email=address if user else unknown_address(rt, portal, address),
            user_id=user.id if user else None,
        )
        if user is None:
            return
        expires = tokyo_minute(row.expires_at)
        body = (
            "ハローワークインターネットサービスです。\n"
            "パスワード再設定のお申し込みを受け付けました。\n\n"
            f"認証キー: {key}\n\n"
            f"認証キーの有効期限は {expires} （メール配信から50分以内）です。\n"
            "パスワード再設定画面で、新しいパスワードとこの認証キーを入力してください。\n"
            "このメールに心当たりのない場合は、破棄してください。パスワードは変わりません。\n"
        )
        await outbox.enqueue(rt, row.email, PASSWORD_RESET_MAIL_SUBJECT, body)


def _reset_keys_of(rt: Runtime, portal: Portal, user: User | None, address: str) -> dict[str, Any]:
    """The login's reset keys, or the ownerless ones made for an address without a login."""
    if user is not None:
        return {"user_id": user.id}
    return {"email": unknown_address(rt, portal, address), "user_id__isnull": True}


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
            "password_confirmation", password_confirmation, password, "パスワード"
        )
    )
    form.done()
    user = await User.get_or_none(portal=portal, email=address, is_active=True)
    owner = _reset_keys_of(rt, portal, user, address)
    row = await keys.open_key(rt, keys.PASSWORD_RESET, checked_key, **owner)
    if user is None:  # an ownerless key was never mailed: nobody can have typed it
        raise UserErrors(keys.PASSWORD_RESET.wrong)
    password_hash = await hash_password(password, rt.settings.bcrypt_rounds)
    now = rt.clock.now()
    async with in_transaction():
        await keys.claim_key(keys.PASSWORD_RESET, row, now)
        await User.filter(id=user.id).update(
            password_hash=password_hash, failed_logins=0, locked_until=None
        )
        ended = await end_sessions(user.id, now)
        await MailedKey.filter(
            user_id=user.id, purpose=MailedKeyPurpose.UNLOCK, closed_at__isnull=True
        ).update(closed_at=now)
        await audit.record(rt, AuditAction.PASSWORD_RESET, subject=user, client=client)
    await sessions_ended(rt, ended)
    return user


# --- A lock lifted early ---------------------------------------------------------------------


async def unlock_login(rt: Runtime, *, email: str, key: str, client: str | None = None) -> None:
    """Lift a lock with the key mailed when it began."""
    await rt.throttle.hit(Action.UNLOCK, client=client, subject=email)
    form = validation.Form()
    address = form.check(lambda: validation.email("email", email))
    checked_key = form.check(lambda: validation.half_width("key", key.strip(), "解除キー"))
    form.done()
    row = await keys.open_key(rt, keys.UNLOCK, checked_key, email=address)
    now = rt.clock.now()
    async with in_transaction():
        await keys.claim_key(keys.UNLOCK, row, now)
        await User.filter(id=row.user_id).update(failed_logins=0, locked_until=None)
        subject = await User.get(id=row.user_id)
        await audit.record(rt, AuditAction.LOGIN_UNLOCKED, subject=subject, client=client)
