"""Messages (メッセージ) between an establishment and a job seeker.

Two parties may talk only while the seeker's account is open and the seeker has applied to
one of the establishment's postings (応募) or received a request (リクエスト) from it. They
share one thread per pair. Employers never learn the seeker's name or contact details here:
the seeker appears under a label that stays the same for that establishment.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from app import outbox
from app.db import Prepared
from app.errors import ErrorCode, Forbidden, NotAuthenticated, user_error
from app.models import (
    Application,
    Message,
    MessageThread,
    Portal,
    SeekerRequest,
    User,
)
from app.models.events import Event, EventKind
from app.models.messages import MessageSender
from app.resolvers import events, notifications, validation
from app.resolvers.paging import IdList, Page, Window, columns_page
from app.runtime import Runtime
from app.viewer import Viewer

BODY_MAX_LENGTH = 2000
SEEKER_LABEL_PURPOSE = "message-seeker-label"

# Plain text keeps line breaks and tabs; other control characters (NUL above all, which
# PostgreSQL cannot store) are refused.


# --- Who takes part -----------------------------------------------------------------------


_EMPLOYER_THREAD: Prepared[bool] = Prepared(
    lambda establishment_id, thread_id: MessageThread.filter(
        establishment_id=establishment_id, id=thread_id
    ).exists()
)
_SEEKER_THREAD: Prepared[bool] = Prepared(
    lambda seeker_id, thread_id: MessageThread.filter(seeker_id=seeker_id, id=thread_id).exists()
)
_EMPLOYER_THREAD_ROW: Prepared[MessageThread | None] = Prepared(
    lambda establishment_id, thread_id: MessageThread.filter(
        establishment_id=establishment_id, id=thread_id
    ).first()
)
_SEEKER_THREAD_ROW: Prepared[MessageThread | None] = Prepared(
    lambda seeker_id, thread_id: MessageThread.filter(seeker_id=seeker_id, id=thread_id).first()
)


@dataclass(frozen=True)
class Party:
    """The viewer as one side of its conversations."""

    side: MessageSender
    user: User

    @property
    def other_side(self) -> MessageSender:
        if self.side is MessageSender.EMPLOYER:
            return MessageSender.SEEKER
        return MessageSender.EMPLOYER

    def threads(self) -> QuerySet[MessageThread]:
        """The threads this party takes part in."""
        if self.side is MessageSender.EMPLOYER:
            return MessageThread.filter(establishment_id=self.user.establishment_id)
        return MessageThread.filter(seeker_id=self.user.id)

    async def takes_part_in(self, thread_id: int) -> bool:
        """Whether `threads()` holds the thread: asked on every visit of a thread, so by
        reads whose SQL is built once."""
        if self.side is MessageSender.EMPLOYER:
            assert self.user.establishment_id is not None, "see `party`"
            return await _EMPLOYER_THREAD(self.user.establishment_id, thread_id)
        return await _SEEKER_THREAD(self.user.id, thread_id)

    async def thread(self, thread_id: int) -> MessageThread | None:
        """The thread, if this party takes part in it (read before every message sent into
        one: by SQL built once)."""
        if self.side is MessageSender.EMPLOYER:
            assert self.user.establishment_id is not None, "see `party`"
            return await _EMPLOYER_THREAD_ROW(self.user.establishment_id, thread_id)
        return await _SEEKER_THREAD_ROW(self.user.id, thread_id)

    def messages(self) -> QuerySet[Message]:
        """The messages of those threads."""
        if self.side is MessageSender.EMPLOYER:
            return Message.filter(establishment_id=self.user.establishment_id)
        return Message.filter(thread__seeker_id=self.user.id)


def party(viewer: Viewer) -> Party:
    """The viewer as an employer or a seeker; staff take no part in messages."""
    user = viewer.user
    if user is None:
        raise NotAuthenticated
    if user.portal == Portal.EMPLOYER and user.establishment_id is not None:
        return Party(MessageSender.EMPLOYER, user)
    if user.portal == Portal.SEEKER:
        return Party(MessageSender.SEEKER, user)
    raise Forbidden


def _party_or_none(viewer: Viewer) -> Party | None:
    try:
        return party(viewer)
    except (NotAuthenticated, Forbidden):
        return None


_ACTIVE_SEEKER: Prepared[bool] = Prepared(
    lambda seeker_id: User.filter(id=seeker_id, portal=Portal.SEEKER, is_active=True).exists()
)
_APPLIED: Prepared[bool] = Prepared(
    lambda seeker_id, establishment_id: Application.filter(
        seeker_id=seeker_id, establishment_id=establishment_id
    ).exists()
)


async def has_relation(establishment_id: int, seeker_id: int) -> bool:
    """Whether the two may talk: the seeker's account is open, and they applied to one of the
    establishment's postings or were sent a request from one. Asked before every message:
    the two usual reads by SQL built once."""
    if not await _ACTIVE_SEEKER(seeker_id):
        return False
    if await _APPLIED(seeker_id, establishment_id):
        return True
    return await SeekerRequest.exists(
        seeker_id=seeker_id, posting__establishment_id=establishment_id
    )


def seeker_label(rt: Runtime, establishment_id: int, seeker_id: int) -> str:
    """How an establishment sees a seeker in messages: the same for that establishment, and
    unrelated to the label any other establishment sees."""
    code = rt.secret_hash(SEEKER_LABEL_PURPOSE, f"{establishment_id}:{seeker_id}")
    return f"求職者 {code[:8].upper()}"


# --- Sending ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """Where a message goes: exactly one of a thread, an application or a request."""

    thread_id: int | None = None
    application_id: int | None = None
    request_id: int | None = None


def _check_target(target: Target) -> None:
    given = [i for i in (target.thread_id, target.application_id, target.request_id) if i]
    if not given:
        raise user_error(
            ErrorCode.REQUIRED, "送信先（スレッド、応募またはリクエスト）を指定してください。"
        )
    if len(given) > 1:
        raise user_error(
            ErrorCode.INVALID_FORMAT,
            "送信先はスレッド、応募、リクエストのいずれか1つだけを指定してください。",
        )


async def write_to_applicant(
    rt: Runtime, application: Application, *, employer_id: int, body: str, now: dt.datetime
) -> Event:
    """The establishment writes to the seeker (a My Page holder) of `application`, as `write`
    does (inside `outbox.transaction`; publish the event after the commit)."""
    assert application.seeker_id is not None, "a walk-in has no My Page to write to"
    _, event = await write(
        rt,
        establishment_id=application.establishment_id,
        seeker_id=application.seeker_id,
        sender=MessageSender.EMPLOYER,
        sender_user_id=employer_id,
        body=body,
        now=now,
    )
    return event


def checked_body(body: str, field: str = "body") -> str:
    """A message body as `write` takes it, or the error naming `field`."""
    return validation.plain_text(field, body, "メッセージ", BODY_MAX_LENGTH, required=True)


def _not_found(field: str) -> Exception:
    return user_error(ErrorCode.NOT_FOUND, "指定された送信先が見つかりません。", field)


async def _pair(me: Party, target: Target) -> tuple[int, int, MessageThread | None]:
    """The establishment and the seeker `target` names, if the viewer is one of them; and
    their thread when `target` is one."""
    if target.thread_id:
        thread = await me.thread(target.thread_id)
        if thread is None:
            raise _not_found("thread_id")
        return thread.establishment_id, thread.seeker_id, thread
    # An application or a request: its seeker, or an employer of the posting's establishment.
    mine = (
        Q(posting__establishment_id=me.user.establishment_id)
        if me.side is MessageSender.EMPLOYER
        else Q(seeker_id=me.user.id)
    )
    found: Application | SeekerRequest | None
    if target.application_id:
        field = "application_id"
        found = (
            await Application.filter(mine, id=target.application_id)
            .select_related("posting")
            .first()
        )
    else:
        field = "request_id"
        found = (
            await SeekerRequest.filter(mine, id=target.request_id).select_related("posting").first()
        )
    if found is None:
        raise _not_found(field)
    if found.seeker_id is None:
        raise walk_in_unreachable(field)
    return found.posting.establishment_id, found.seeker_id, None


def walk_in_unreachable(field: str) -> Exception:
    return user_error(
        ErrorCode.NO_RELATION,
        "この応募者は求職者マイページを利用していないため、メッセージは送れません。"
        "電話またはメールで連絡してください。",
        field,
    )


async def open_thread(establishment_id: int, seeker_id: int, now: dt.datetime) -> MessageThread:
    """The pair's thread, created on first use. Two first messages may race: the unique
    constraint lets one create it, and the other reads the winner's."""
    thread = await MessageThread.get_or_none(establishment_id=establishment_id, seeker_id=seeker_id)
    if thread is not None:
        return thread
    try:
        # A savepoint inside the sender's transaction, so a lost race does not abort it.
        async with in_transaction():
            return await MessageThread.create(
                establishment_id=establishment_id, seeker_id=seeker_id, created_at=now
            )
    except IntegrityError:
        return await MessageThread.get(establishment_id=establishment_id, seeker_id=seeker_id)


_MESSAGED_AT: Prepared[int] = Prepared(
    # Never backwards: a slower concurrent sender may commit after a later message.
    lambda thread_id, now: MessageThread.filter(
        Q(id=thread_id), Q(last_message_at__isnull=True) | Q(last_message_at__lt=now)
    ).update(last_message_at=now)
)
"""A thread's `last_message_at` moved on to a new message's time: by SQL built once."""


async def send_message(rt: Runtime, viewer: Viewer, target: Target, body: str) -> Message:
    """Write to the other side; the message, its event and the establishment's notice mail
    are stored together, then the event is published."""
    me = party(viewer)
    form = validation.Form()
    form.check(lambda: _check_target(target))
    text = form.check(lambda: checked_body(body))
    form.done()
    establishment_id, seeker_id, thread = await _pair(me, target)
    if not await has_relation(establishment_id, seeker_id):
        raise user_error(
            ErrorCode.NO_RELATION,
            "応募またはリクエストのない相手とはメッセージをやり取りできません。",
        )
    now = rt.clock.now()
    async with outbox.transaction(rt):
        message, event = await write(
            rt,
            establishment_id=establishment_id,
            seeker_id=seeker_id,
            sender=me.side,
            sender_user_id=me.user.id,
            body=text,
            now=now,
            thread=thread,
        )
    await events.publish(rt, event)
    return message


async def write(
    rt: Runtime,
    *,
    establishment_id: int,
    seeker_id: int,
    sender: MessageSender,
    sender_user_id: int,
    body: str,
    now: dt.datetime,
    thread: MessageThread | None = None,
) -> tuple[Message, Event]:
    """Store a message in the pair's thread (`thread`, when the caller has read it already)
    with its event (and, from a seeker, the establishment's notice mail). Call inside
    `outbox.transaction`; publish the event after the commit. The body must be checked
    already (`checked_body`)."""
    if thread is None:
        thread = await open_thread(establishment_id, seeker_id, now)
    message = await Message.create(
        thread_id=thread.id,
        establishment_id=establishment_id,
        sender=sender,
        sender_user_id=sender_user_id,
        body=body,
        created_at=now,
    )
    await _MESSAGED_AT(thread.id, now)
    event = await events.record(
        EventKind.MESSAGE_RECEIVED,
        establishment_id=establishment_id,
        seeker_id=seeker_id,
        now=now,
        message_id=message.id,
    )
    if sender is MessageSender.SEEKER:
        await notifications.message_received(rt, thread)
    return message, event


@dataclass(frozen=True)
class MarkedRead:
    thread: MessageThread
    count: int


async def mark_read(rt: Runtime, viewer: Viewer, thread_id: int) -> MarkedRead:
    """既読: every message from the other side that is still unread."""
    me = party(viewer)
    thread = await me.threads().get_or_none(id=thread_id)
    if thread is None:
        raise user_error(ErrorCode.NOT_FOUND, "スレッドが見つかりません。", "thread_id")
    count = await Message.filter(
        thread_id=thread.id, sender=me.other_side, read_at__isnull=True
    ).update(read_at=rt.clock.now())
    return MarkedRead(thread=thread, count=count)


# --- Reading ------------------------------------------------------------------------------


THREAD_ORDER = ("-last_message_at", "-id")
"""The threads' order: the latest activity first, then the newer thread (two threads can have
their last message at the same instant)."""

ThreadPosition = tuple[dt.datetime, int]
"""Where a thread stands in the list: the time of its last message, and its id."""


def thread_position(thread: MessageThread) -> ThreadPosition:
    assert thread.last_message_at is not None  # only threads with messages are listed
    return (thread.last_message_at, thread.id)


async def threads(viewer: Viewer, *, window: Window[ThreadPosition]) -> Page[MessageThread]:
    """The viewer's conversations that hold a message, the latest activity first."""
    query = party(viewer).threads().filter(last_message_at__isnull=False)
    return await columns_page(query, window, order=THREAD_ORDER)


_THREAD_MESSAGES: IdList[Message] = IdList(
    lambda thread_id: Message.filter(thread_id=thread_id), newest_first=True
)


async def thread_messages(
    viewer: Viewer, thread_id: int, *, window: Window[int]
) -> Page[Message] | None:
    """A thread's history, newest first; None when the thread is not the viewer's."""
    if not await party(viewer).takes_part_in(thread_id):
        return None
    return await _THREAD_MESSAGES.page(window, thread_id)


async def visible_threads(viewer: Viewer, ids: list[int]) -> dict[int, MessageThread]:
    """The threads among `ids` the viewer takes part in."""
    me = _party_or_none(viewer)
    if me is None:
        return {}
    return {thread.id: thread for thread in await me.threads().filter(id__in=ids)}


async def visible_messages(viewer: Viewer, ids: list[int]) -> dict[int, Message]:
    """The messages among `ids` of the viewer's threads."""
    me = _party_or_none(viewer)
    if me is None:
        return {}
    return {message.id: message for message in await me.messages().filter(id__in=ids)}
