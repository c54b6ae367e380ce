"""Login recovery at the counter (窓口でのメールアドレス再設定): staff of the establishment's
office, having checked the person's identity there, give a login whose address no longer
works a new address; a password reset key goes to it."""

from __future__ import annotations

from dataclasses import dataclass

from tortoise.exceptions import IntegrityError

from app import outbox
from app.errors import ErrorCode, UserErrors, user_error
from app.japanese import tokyo_minute
from app.mail import masked
from app.models import AuditAction, Establishment, Portal, RememberedDevice, User
from app.models.accounts import MailedKey
from app.models.counter import NoticeKind
from app.resolvers import audit, events, keys, notices, validation
from app.resolvers.accounts.recovery import PASSWORD_RESET_TTL
from app.resolvers.accounts.sessions import end_sessions, sessions_ended
from app.runtime import Runtime
from app.viewer import Viewer

IDENTITY_CHECK_MAX_LENGTH = 200

NEW_ADDRESS_MAIL_SUBJECT = "メールアドレス再設定とパスワード再設定のご案内"
OLD_ADDRESS_MAIL_SUBJECT = "メールアドレス変更のお知らせ"
NOTICE_TITLE = "ログインのメールアドレスを窓口で再設定しました"


@dataclass(frozen=True)
class CounterReset:
    login: User
    """As it is now, with the new address."""
    key: MailedKey
    """The password reset key mailed to the new address."""


def _not_found() -> UserErrors:
    return user_error(ErrorCode.NOT_FOUND, "指定されたログインが見つかりません。", "login_id")


def _taken() -> UserErrors:
    return user_error(
        ErrorCode.EMAIL_TAKEN, "このメールアドレスはすでに登録されています。", "new_email"
    )


async def reset_login_email(
    rt: Runtime,
    viewer: Viewer,
    *,
    login_id: int,
    new_email: str,
    new_email_confirmation: str,
    identity_check: str,
    client: str | None = None,
) -> CounterReset:
    """Give an active employer login a new address, after the identity check noted in
    `identity_check` (本人確認の内容, e.g. 運転免許証で本人確認).

    In one transaction: the address changes; the login's sessions, remembered devices and
    open keys end (the old address is not trusted any more); a password reset key valid 50
    minutes is mailed to the new address (`passwordResetComplete` takes it), a notice of the
    change to the old one; the change is audited (addresses masked) and a notice put in the
    establishment's inbox. A login of another office's establishment is not found.
    """
    staff = viewer.require_staff()
    form = validation.Form()
    address = form.check(lambda: validation.email("new_email", new_email))
    form.check(
        lambda: validation.confirmation(
            "new_email_confirmation",
            new_email_confirmation.strip().lower(),
            new_email.strip().lower(),
            "メールアドレス",
        )
    )
    note = form.check(
        lambda: validation.plain_text(
            "identity_check",
            identity_check,
            "本人確認の内容",
            IDENTITY_CHECK_MAX_LENGTH,
            required=True,
        )
    )
    form.done()
    login = await User.get_or_none(id=login_id, portal=Portal.EMPLOYER)
    establishment = (
        await Establishment.get_or_none(id=login.establishment_id)
        if login is not None and login.establishment_id is not None
        else None
    )
    if login is None or establishment is None or establishment.office_id != staff.office_id:
        raise _not_found()
    closed = user_error(
        ErrorCode.INVALID_STATE,
        "このログインは削除または退会済みのため、メールアドレスを再設定できません。",
        "login_id",
    )
    if not login.is_active:
        raise closed
    if address == login.email or await User.exists(portal=Portal.EMPLOYER, email=address):
        raise _taken()
    office = await establishment.office
    now = rt.clock.now()
    old_email = login.email
    async with outbox.transaction(rt):
        try:
            changed = await User.filter(id=login.id, is_active=True).update(email=address)
        except IntegrityError as exc:  # taken meanwhile by a concurrent opening
            raise _taken() from exc
        if not changed:
            raise closed
        ended = await end_sessions(login.id, now)
        await RememberedDevice.filter(user_id=login.id).delete()
        # Keys mailed to the old address (reset, email change, unlock) are not to be used.
        await MailedKey.filter(user_id=login.id, closed_at__isnull=True).update(closed_at=now)
        row, key = await keys.new_key(
            rt,
            keys.PASSWORD_RESET,
            expires_at=now + PASSWORD_RESET_TTL,
            supersedes={"user_id": login.id},
            now=now,
            email=address,
            user_id=login.id,
            created_by_id=staff.id,
        )
        await outbox.enqueue(
            rt,
            address,
            NEW_ADDRESS_MAIL_SUBJECT,
            (
                "ハローワークインターネットサービスです。\n"
                f"{establishment.name} 様の求人者マイページのログインのメールアドレスを、"
                f"{office.name}の窓口で、ご本人確認のうえこのアドレスに再設定しました"
                f"（{tokyo_minute(now)}）。\n\n"
                "新しいパスワードを設定してから、このメールアドレスでログインしてください。\n\n"
                f"認証キー: {key}\n\n"
                f"認証キーの有効期限は {tokyo_minute(row.expires_at)} "
                "（メール配信から50分以内）です。\n"
                "パスワード再設定画面で、このメールアドレス、新しいパスワードとこの認証キーを"
                "入力してください。\n"
                "期限が過ぎた場合は、パスワード再設定をお申し込みください。\n"
                "このメールに心当たりのない場合は、至急ハローワークにご連絡ください。\n"
            ),
        )
        await outbox.enqueue(
            rt,
            old_email,
            OLD_ADDRESS_MAIL_SUBJECT,
            (
                "ハローワークインターネットサービスです。\n"
                "このアドレスでご利用の求人者マイページのログインは、"
                f"{office.name}の窓口でのお申し出により、別のメールアドレスに変更されました"
                f"（{tokyo_minute(now)}）。\n"
                "このアドレスではログインできません。\n"
                "お心当たりのない場合は、至急ハローワークにご連絡ください。\n"
            ),
        )
        await audit.record(
            rt,
            AuditAction.LOGIN_EMAIL_RESET_AT_COUNTER,
            actor=staff,
            subject=login,
            client=client,
            establishment_id=establishment.id,
            office_id=establishment.office_id,
            old=masked(old_email),
            new=masked(address),
            identity_check=note,
        )
        posted = await notices.post(
            establishment_id=establishment.id,
            kind=NoticeKind.LOGIN_EMAIL_RESET,
            title=NOTICE_TITLE,
            body=(
                f"{office.name}の窓口で、ご本人確認のうえ、ログイン（{masked(old_email)}）の"
                f"メールアドレスを {masked(address)} に再設定しました。"
                "新しいアドレスにパスワード再設定の認証キーをお送りしました。"
                "このログインのセッションはすべて終了しています。"
            ),
            now=now,
            sent_by_id=staff.id,
        )
    await sessions_ended(rt, ended)
    if posted is not None:
        await events.publish(rt, posted.event)
    return CounterReset(login=await User.get(id=login.id), key=row)
