"""Lockout: five wrong passwords in a row lock a login for 30 minutes and mail its owner a key
that lifts the lock early; an address without a login is counted and locked alike."""

from __future__ import annotations

import datetime as dt
from typing import Any, NoReturn

from tortoise.expressions import F, Q
from tortoise.transactions import in_transaction

from app import outbox
from app.errors import ErrorCode, UserErrors, user_error
from app.japanese import tokyo_minute
from app.models import AuditAction, Portal, User
from app.models.accounts import AddressLockout
from app.resolvers import audit, keys
from app.runtime import Runtime
from app.security import verify_password as check_password

FAILED_LOGINS_BEFORE_LOCK = 5
LOCKOUT = dt.timedelta(minutes=30)

UNKNOWN_ADDRESS_PURPOSE = "unknown-address"

LOCKOUT_MAIL_SUBJECT = "ログイン停止のお知らせ"


def _is_locked(rt: Runtime, lockable: User | AddressLockout) -> bool:
    """Locked until `locked_until`, exclusive: at exactly 30 minutes the login is open again."""
    return lockable.locked_until is not None and rt.clock.now() < lockable.locked_until


def _account_locked(locked_until: dt.datetime) -> UserErrors:
    return user_error(
        ErrorCode.ACCOUNT_LOCKED,
        f"パスワードを続けて{FAILED_LOGINS_BEFORE_LOCK}回間違えたため、"
        f"{tokyo_minute(locked_until)}までログインできません。"
        "メールでお送りした解除キーで、すぐに解除することもできます。",
    )


async def check_login_password(
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

    Two conditional UPDATEs, like `keys.count_wrong_try`, both only while unlocked:
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


def unknown_address(rt: Runtime, portal: Portal, address: str) -> str:
    """What stands for an address without a login of `portal` where something is stored for
    it (its lockout, its ownerless reset keys): a keyed hash, never the address itself."""
    return rt.secret_hash(UNKNOWN_ADDRESS_PURPOSE, f"{portal.value}:{address}")


async def refuse_unknown_address(
    rt: Runtime, portal: Portal, address: str, password: str, invalid: UserErrors
) -> NoReturn:
    """Refuse a login to an address without a login of `portal` as a wrong password is: after
    as long (a dummy hash), counted the same way, and locked by the fifth try in a row until
    the time the answer tells. Only a keyed hash of the portal and address is stored."""
    lockout, _ = await AddressLockout.get_or_create(
        address_hash=unknown_address(rt, portal, address)
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
    row, key = await keys.new_key(
        rt,
        keys.UNLOCK,
        expires_at=locked_until,
        supersedes={"user_id": user.id},
        email=user.email,
        user_id=user.id,
    )
    body = (
        "ハローワークインターネットサービスです。\n"
        f"パスワードが続けて{FAILED_LOGINS_BEFORE_LOCK}回誤って入力されたため、"
        f"{tokyo_minute(locked_until)}までログインを停止しました。\n\n"
        "ご本人の操作であれば、ログイン停止解除画面でメールアドレスと次の解除キーを入力すると、"
        "すぐに解除できます。\n"
        f"解除キー: {key}\n\n"
        "お心当たりのない場合は、第三者がログインを試みた可能性があります。"
        "パスワードの再設定をお勧めします。\n"
    )
    await outbox.enqueue(rt, row.email, LOCKOUT_MAIL_SUBJECT, body)
