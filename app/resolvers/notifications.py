"""Mail telling an establishment that something waits in its My Page: a seeker wrote (the
first unread message of a thread), or a seeker applied or was referred.

It goes to the establishment's notification address (通知先メールアドレス) or, when that is
empty, to every active login's own address. It names no seeker and quotes nothing: the details
stay behind the login. It is stored in the outbox with the change (call these inside the
change's `outbox.transaction`) and sent after the commit, retried while it cannot be sent: it
never undoes or fails the change.
"""

from __future__ import annotations

from typing import Any

from app import outbox
from app.db import Prepared
from app.models import Establishment, Message, MessageThread, Portal, Posting, User
from app.models.messages import MessageSender
from app.runtime import Runtime

MESSAGE_SUBJECT = "求人者マイページ 新着メッセージのお知らせ"
APPLICATION_SUBJECT = "求人者マイページ 応募のお知らせ"


_NOTIFICATION_EMAIL: Prepared[list[Any]] = Prepared(
    lambda establishment_id: Establishment.filter(id=establishment_id).values_list(
        "notification_email", flat=True
    )
)
_LOGIN_EMAILS: Prepared[list[Any]] = Prepared(
    lambda establishment_id: (
        User.filter(establishment_id=establishment_id, portal=Portal.EMPLOYER, is_active=True)
        .order_by("id")
        .values_list("email", flat=True)
    )
)
"""Read for every notice mail (a seeker's first unread message, an application): by SQL
built once."""


async def recipients(establishment_id: int) -> list[str]:
    """The notification address, else the addresses of the establishment's active logins."""
    notification_email = await _NOTIFICATION_EMAIL(establishment_id)
    if notification_email and notification_email[0]:
        return [str(notification_email[0])]
    return [str(email) for email in await _LOGIN_EMAILS(establishment_id)]


async def _enqueue(rt: Runtime, establishment_id: int, subject: str, body: str) -> None:
    for address in await recipients(establishment_id):
        await outbox.enqueue(rt, address, subject, body)


_UNREAD_FROM_SEEKER: Prepared[int] = Prepared(
    lambda thread_id: Message.filter(
        thread_id=thread_id, sender=MessageSender.SEEKER, read_at__isnull=True
    ).count()
)
"""Counted after every message of a seeker: by SQL built once."""


async def message_received(rt: Runtime, thread: MessageThread) -> None:
    """A seeker wrote: mail only when it is the thread's one unread message, so a seeker who
    writes five times before anyone reads causes one mail, not five."""
    unread = await _UNREAD_FROM_SEEKER(thread.id)
    if unread != 1:
        return
    body = (
        "ハローワークインターネットサービスです。\n"
        "求職者から新しいメッセージが届いています。\n"
        "求人者マイページにログインして、メッセージをご確認ください。\n"
    )
    await _enqueue(rt, thread.establishment_id, MESSAGE_SUBJECT, body)


async def application_arrived(rt: Runtime, posting: Posting) -> None:
    body = (
        "ハローワークインターネットサービスです。\n"
        f"求人番号 {posting.posting_number} （{posting.job_title}）に新しい応募がありました。\n"
        "求人者マイページにログインして、応募者をご確認ください。\n"
    )
    await _enqueue(rt, posting.establishment_id, APPLICATION_SUBJECT, body)
