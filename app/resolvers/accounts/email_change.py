"""Email change: a key mailed to the new address confirms the move, and the old address is told."""

from __future__ import annotations

import datetime as dt
from typing import Any

from tortoise.exceptions import IntegrityError

from app import outbox
from app.errors import ErrorCode, user_error
from app.japanese import tokyo_minute
from app.models import AuditAction, User
from app.models.accounts import MailedKey
from app.resolvers import audit, keys, taken_address, validation
from app.resolvers.accounts.owner import account_owner, password_given, recheck_password
from app.runtime import Runtime
from app.viewer import Viewer

EMAIL_CHANGE_TTL = dt.timedelta(minutes=50)

EMAIL_CHANGE_MAIL_SUBJECT = "メールアドレス変更の確認"
EMAIL_CHANGED_MAIL_SUBJECT = "メールアドレス変更完了のお知らせ"


async def request_email_change(
    rt: Runtime, viewer: Viewer, *, new_email: str, password: str
) -> MailedKey:
    """Mail a key valid 50 minutes to the new address; the password is checked again.

    An address that has a login of the portal already is answered alike and goes through the
    same steps, but its owner is mailed that it is registered instead of the key: anyone may
    open a seeker login, so a logged-in seeker must not learn which addresses are taken
    either. Only the viewer's own address is refused outright.
    """
    user = account_owner(viewer)
    form = validation.Form()
    address = form.check(lambda: validation.email("new_email", new_email))
    form.check(lambda: password_given(password))
    form.done()
    await recheck_password(rt, user, password, step="email_change")
    if address == user.email:
        raise user_error(
            ErrorCode.EMAIL_TAKEN,
            "現在のメールアドレスです。新しいメールアドレスを入力してください。",
            "new_email",
        )
    taken = await User.exists(portal=user.portal, email=address)
    async with outbox.transaction(rt):
        row, key = await keys.new_key(
            rt,
            keys.EMAIL_CHANGE,
            expires_at=rt.clock.now() + EMAIL_CHANGE_TTL,
            supersedes={"user_id": user.id},
            email=address,
            user_id=user.id,
        )
        if taken:
            await taken_address.tell_owner(
                rt, user.portal, address, "メールアドレス変更のお申し込み"
            )
            return row
        expires = tokyo_minute(row.expires_at)
        body = (
            "ハローワークインターネットサービスです。\n"
            "マイページのメールアドレスを、このアドレスに変更するお申し込みを受け付けました。\n\n"
            f"認証キー: {key}\n\n"
            f"認証キーの有効期限は {expires} （メール配信から50分以内）です。\n"
            "ログインしたまま、メールアドレス変更の確認画面でこの認証キーを入力してください。\n"
            "このメールに心当たりのない場合は、破棄してください。\n"
        )
        await outbox.enqueue(rt, address, EMAIL_CHANGE_MAIL_SUBJECT, body)
    return row


async def _check_new_email_free(user: User, address: str) -> None:
    if await User.exists(portal=user.portal, email=address):
        raise user_error(
            ErrorCode.EMAIL_TAKEN, "このメールアドレスはすでに登録されています。", "new_email"
        )


async def confirm_email_change(rt: Runtime, viewer: Viewer, *, key: str) -> User:
    """Switch to the new address with the key mailed to it; the old address is told."""
    user = account_owner(viewer)
    form = validation.Form()
    checked_key = form.check(lambda: validation.half_width("key", key.strip(), "認証キー"))
    form.done()
    row = await keys.open_key(rt, keys.EMAIL_CHANGE, checked_key, user_id=user.id)
    now = rt.clock.now()
    old_email = user.email
    async with outbox.transaction(rt):
        await _check_new_email_free(user, row.email)
        await keys.claim_key(keys.EMAIL_CHANGE, row, now)
        try:
            await User.filter(id=user.id, is_active=True).update(email=row.email)
        except IntegrityError as exc:
            raise user_error(
                ErrorCode.EMAIL_TAKEN, "このメールアドレスはすでに登録されています。", "new_email"
            ) from exc
        # Keys mailed to the old address (reset, unlock) are not to be used after the change.
        await MailedKey.filter(user_id=user.id, closed_at__isnull=True).update(closed_at=now)
        moved: dict[str, Any] = {"from": old_email, "to": row.email}
        await audit.record(rt, AuditAction.EMAIL_CHANGED, actor=user, subject=user, **moved)
        body = (
            "ハローワークインターネットサービスです。\n"
            f"マイページのメールアドレスを {row.email} に変更しました（{tokyo_minute(now)}）。\n"
            "今後のお知らせは新しいメールアドレスにお送りします。\n"
            "お心当たりのない場合は、至急ハローワークにご連絡ください。\n"
        )
        await outbox.enqueue(rt, old_email, EMAIL_CHANGED_MAIL_SUBJECT, body)
    user.email = row.email
    return user
