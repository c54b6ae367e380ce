"""Messages (メッセージ): threads between an establishment and a seeker, their history,
sending and read marks."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated, Self

import strawberry
from strawberry import relay

import app.schema.describe as describe
from app import models
from app.errors import UserErrors
from app.models import messages as enums
from app.resolvers import messages
from app.schema.context import Info
from app.schema.dataloaders import RelationRow
from app.schema.errors import UserError, user_errors
from app.schema.nodes import decode_id, visible_to_viewer
from app.schema.paging import (
    After,
    Before,
    Connection,
    Edge,
    First,
    Last,
    connection,
    cursor_number,
    cursor_parts,
    encode_cursor,
    id_window,
    window,
)

describe.enum(
    enums.MessageSender, description="送信者 (sender): which side of the thread wrote a message."
)
MessageSender = enums.MessageSender


class MessageRelationKind(StrEnum):
    APPLICATION = "APPLICATION"
    """応募 (application): the seeker applied to one of the establishment's postings."""
    REQUEST = "REQUEST"
    """直接リクエスト (request): the establishment invited the seeker to apply to a posting."""


describe.enum(
    MessageRelationKind,
    description="やり取りのきっかけ (relation kind): what lets an establishment and a seeker talk.",
)


@strawberry.type(
    description=(
        "やり取りのきっかけ (relation): what lets the two talk, an application to a posting or a "
        "request from one."
    )
)
class MessageRelation:
    id: strawberry.ID = strawberry.field(
        description="Global ID of the relation (opaque), a key for caches; not a `node`."
    )
    kind: MessageRelationKind = strawberry.field(description="Application or request.")
    posting_number: str | None = strawberry.field(
        description="求人番号 (posting number) of the posting; null until it was accepted."
    )
    job_title: str = strawberry.field(description="職種 (job title) of the posting.")
    created_at: dt.datetime = strawberry.field(
        description="When the seeker applied (応募日時) or the request was sent (送信日時)."
    )

    @classmethod
    def from_row(cls, row: RelationRow) -> Self:
        kind = (
            MessageRelationKind.APPLICATION if row["application"] else MessageRelationKind.REQUEST
        )
        return cls(
            id=strawberry.ID(relay.to_base64("MessageRelation", f"{kind.value}:{row['id']}")),
            kind=kind,
            posting_number=row["posting_number"],
            job_title=row["job_title"],
            created_at=row["created_at"],
        )


_RELATIONS = "The seeker's applications to the establishment and its requests to them."


async def _relations(info: Info, pair: tuple[int, int]) -> list[MessageRelation]:
    """Read only when selected: a dashboard shows the other side's name, not what lets them
    talk."""
    rows = await info.context.loaders.conversation_relations_by_pair.load(pair)
    return [MessageRelation.from_row(row) for row in rows]


@strawberry.type(
    description=(
        "相手の求職者 (the seeker) as employers see them in messages: a label, no name or contact."
    )
)
class MessageSeeker:
    id: strawberry.ID = strawberry.field(
        description=(
            "Global ID of the seeker in this thread (opaque), a key for caches: the same for "
            "the same thread, unrelated to any other establishment's; not a `node`."
        )
    )
    label: str = strawberry.field(
        description="求職者 and a code that stays the same for this establishment."
    )
    pair: strawberry.Private[tuple[int, int]]
    """(establishment, seeker) of the thread."""

    @strawberry.field(description=_RELATIONS)
    async def relations(self, info: Info) -> list[MessageRelation]:
        return await _relations(info, self.pair)


@strawberry.type(description="相手の事業所 (the establishment) as a seeker sees it in messages.")
class MessageEstablishment:
    id: strawberry.ID = strawberry.field(
        description=(
            "Global ID of the establishment in this thread (opaque), a key for caches; not a "
            "`node`."
        )
    )
    name: str = strawberry.field(description="事業所名 (establishment name).")
    pair: strawberry.Private[tuple[int, int]]
    """(establishment, seeker) of the thread."""

    @strawberry.field(description=_RELATIONS)
    async def relations(self, info: Info) -> list[MessageRelation]:
        return await _relations(info, self.pair)


MessageCounterpart = Annotated[
    MessageSeeker | MessageEstablishment,
    strawberry.union(
        "MessageCounterpart",
        description="相手 (the other side) of a thread: a seeker for employers, an "
        "establishment for seekers.",
    ),
]


@strawberry.type(
    description=(
        "メッセージ (message): one message of a thread. `body` is plain text stored as written: "
        "escape it to show it. Readable by `node` for the thread's establishment and seeker."
    )
)
class Message(relay.Node):
    id: relay.NodeID[int]
    body: str = strawberry.field(
        description="本文 (body): plain text, 1 to 2000 characters, line breaks kept."
    )
    sender: MessageSender = strawberry.field(description="送信者 (sender): who wrote it.")
    created_at: dt.datetime = strawberry.field(description="送信日時 (sent at).")
    read_at: dt.datetime | None = strawberry.field(
        description="既読 (read at): when the receiving side marked it read; null while unread."
    )
    thread_id: strawberry.Private[int]

    @classmethod
    def from_model(cls, message: models.Message) -> Self:
        return cls(
            id=message.id,
            body=message.body,
            sender=message.sender,
            created_at=message.created_at,
            read_at=message.read_at,
            thread_id=message.thread_id,
        )

    @strawberry.field(description="The thread the message belongs to.")
    async def thread(self, info: Info) -> MessageThread:
        loaded = await info.context.loaders.message_thread_by_id.load(self.thread_id)
        return MessageThread.from_model(loaded)

    resolve_nodes = visible_to_viewer(messages.visible_messages)


@strawberry.type(
    description=(
        "スレッド (thread): the conversation of one establishment with one seeker. Readable by "
        "`node` for the establishment's logins and the seeker."
    )
)
class MessageThread(relay.Node):
    id: relay.NodeID[int]
    created_at: dt.datetime = strawberry.field(description="When the first message opened it.")
    last_message_at: dt.datetime | None = strawberry.field(
        description="最終更新 (last message at): when its newest message was sent."
    )
    establishment_id: strawberry.Private[int]
    seeker_id: strawberry.Private[int]

    @classmethod
    def from_model(cls, thread: models.MessageThread) -> Self:
        return cls(
            id=thread.id,
            created_at=thread.created_at,
            last_message_at=thread.last_message_at,
            establishment_id=thread.establishment_id,
            seeker_id=thread.seeker_id,
        )

    @strawberry.field(
        description="未読 (unread): messages from the other side that the viewer has not read."
    )
    async def unread_count(self, info: Info) -> int:
        other_side = messages.party(info.context.viewer).other_side
        loader = info.context.loaders.unread_count_by_thread_and_sender
        return await loader.load((self.id, other_side))

    @strawberry.field(description="The newest message.")
    async def last_message(self, info: Info) -> Message | None:
        loaded = await info.context.loaders.last_message_by_thread_id.load(self.id)
        return Message.from_model(loaded) if loaded is not None else None

    @strawberry.field(
        description="The other side: for an employer the seeker (anonymised), for a seeker "
        "the establishment."
    )
    async def counterpart(self, info: Info) -> MessageCounterpart:
        ctx = info.context
        me = messages.party(ctx.viewer)
        pair = (self.establishment_id, self.seeker_id)
        if me.side is enums.MessageSender.EMPLOYER:
            label = messages.seeker_label(ctx.rt, self.establishment_id, self.seeker_id)
            seeker_id = strawberry.ID(relay.to_base64("MessageSeeker", self.id))
            return MessageSeeker(id=seeker_id, label=label, pair=pair)
        establishment = await ctx.loaders.establishment_by_id.load(self.establishment_id)
        return MessageEstablishment(
            id=strawberry.ID(relay.to_base64("MessageEstablishment", self.id)),
            name=establishment.name,
            pair=pair,
        )

    resolve_nodes = visible_to_viewer(messages.visible_threads)


@strawberry.type(
    description="A page of the viewer's threads, the latest activity first; at most 100."
)
class MessageThreadConnection(Connection[Edge[MessageThread]]):
    pass


@strawberry.type(description="A page of a thread's messages, newest first; at most 100.")
class MessageConnection(Connection[Edge[Message]]):
    pass


# --- Paging -------------------------------------------------------------------------------

_THREAD_CURSOR = "thread"
_MESSAGE_CURSOR = "message"
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MICROSECOND = dt.timedelta(microseconds=1)
_LAST_MICROS = (dt.datetime.max.replace(tzinfo=dt.UTC) - _EPOCH) // _MICROSECOND


def _thread_cursor(thread: models.MessageThread) -> str:
    last_message_at, thread_id = messages.thread_position(thread)
    micros = (last_message_at - _EPOCH) // _MICROSECOND
    return encode_cursor(_THREAD_CURSOR, micros, thread_id)


def _thread_position(cursor: str) -> messages.ThreadPosition:
    micros, thread_id = cursor_parts(cursor, _THREAD_CURSOR, 2)
    return (
        _EPOCH + cursor_number(micros, _LAST_MICROS) * _MICROSECOND,
        cursor_number(thread_id),
    )


def _thread_edge(thread: models.MessageThread) -> Edge[MessageThread]:
    return Edge(cursor=_thread_cursor(thread), node=MessageThread.from_model(thread))


def _message_edge(message: models.Message) -> Edge[Message]:
    return Edge(cursor=encode_cursor(_MESSAGE_CURSOR, message.id), node=Message.from_model(message))


def _thread_id(global_id: relay.GlobalID, field: str = "threadId") -> int:
    return decode_id(global_id, "MessageThread", field)


@strawberry.type
class MessageQuery:
    @strawberry.field(
        description=(
            "Employer or seeker: the viewer's threads that hold a message, the latest activity "
            "first (threads whose last messages came at the same instant: the newer thread "
            "first). Staff take no part in messages (FORBIDDEN)."
        )
    )
    async def message_threads(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> MessageThreadConnection:
        page = await messages.threads(
            info.context.viewer, window=window(first, after, last, before, _thread_position)
        )
        return connection(MessageThreadConnection, page, _thread_edge)

    @strawberry.field(
        description=(
            "Employer or seeker: a thread's history, newest first. Null when the thread does "
            "not exist or is not the viewer's."
        )
    )
    async def messages(
        self,
        info: Info,
        thread_id: Annotated[
            relay.GlobalID,
            strawberry.argument(description="The thread (`MessageThread.id`)."),
        ],
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> MessageConnection | None:
        viewer = info.context.viewer
        messages.party(viewer)
        # A malformed cursor is refused whatever the thread.
        page_window = id_window(_MESSAGE_CURSOR, first, after, last, before)
        try:
            thread_id_value = _thread_id(thread_id)
        except UserErrors:
            return None
        page = await messages.thread_messages(viewer, thread_id_value, window=page_window)
        return None if page is None else connection(MessageConnection, page, _message_edge)


# --- Mutations ----------------------------------------------------------------------------


@strawberry.input(
    description=(
        "メッセージ送信 (send a message): the body, and exactly one of `threadId`, "
        "`applicationId`, `requestId` (none: REQUIRED; several: INVALID_FORMAT)."
    )
)
class MessageSendInput:
    body: str = strawberry.field(
        description=(
            "本文 (body): required, plain text, 1 to 2000 characters once trimmed; no control "
            "characters but line breaks and tabs."
        )
    )
    thread_id: relay.GlobalID | None = strawberry.field(
        default=None, description="A thread (`MessageThread.id`) the viewer takes part in."
    )
    application_id: relay.GlobalID | None = strawberry.field(
        default=None,
        description="An application (応募): writes in the thread with its seeker, opened if new.",
    )
    request_id: relay.GlobalID | None = strawberry.field(
        default=None,
        description="A request (直接リクエスト): writes in the thread with its seeker, opened "
        "if new.",
    )


@strawberry.input(description="既読にする (mark read): every unread message of one thread.")
class MessageMarkReadInput:
    thread_id: relay.GlobalID = strawberry.field(
        description="A thread (`MessageThread.id`) the viewer takes part in."
    )


@strawberry.type(description="The answer of `messageSend`.")
class MessageSendPayload:
    message: Message | None = strawberry.field(
        default=None, description="The message sent; its `thread` is where it went."
    )
    errors: list[UserError] = strawberry.field(
        default_factory=list, description="Why nothing was sent; empty when the message was sent."
    )


@strawberry.type(description="The answer of `messageMarkRead`.")
class MessageMarkReadPayload:
    thread: MessageThread | None = strawberry.field(
        default=None, description="The thread, its messages from the other side read."
    )
    marked_count: int | None = strawberry.field(
        default=None, description="How many messages this marked read."
    )
    errors: list[UserError] = strawberry.field(
        default_factory=list, description="Why nothing was marked; empty when done."
    )


def _optional_id(global_id: relay.GlobalID | None, type_name: str, field: str) -> int | None:
    return decode_id(global_id, type_name, field) if global_id is not None else None


@strawberry.type
class MessageMutation:
    @strawberry.mutation(
        description="Employer or seeker: write to the other side of an application or request."
    )
    async def message_send(
        self,
        info: Info,
        input: Annotated[MessageSendInput, strawberry.argument(description="The message.")],
    ) -> MessageSendPayload:
        ctx = info.context
        messages.party(ctx.viewer)
        try:
            target = messages.Target(
                thread_id=_optional_id(input.thread_id, "MessageThread", "threadId"),
                application_id=_optional_id(input.application_id, "Application", "applicationId"),
                request_id=_optional_id(input.request_id, "SeekerRequest", "requestId"),
            )
            message = await messages.send_message(ctx.rt, ctx.viewer, target, input.body)
        except UserErrors as exc:
            return MessageSendPayload(errors=user_errors(exc))
        return MessageSendPayload(message=Message.from_model(message))

    @strawberry.mutation(
        description="Employer or seeker: mark every message from the other side read (既読)."
    )
    async def message_mark_read(
        self,
        info: Info,
        input: Annotated[
            MessageMarkReadInput, strawberry.argument(description="The thread to mark read.")
        ],
    ) -> MessageMarkReadPayload:
        ctx = info.context
        messages.party(ctx.viewer)
        try:
            marked = await messages.mark_read(ctx.rt, ctx.viewer, _thread_id(input.thread_id))
        except UserErrors as exc:
            return MessageMarkReadPayload(errors=user_errors(exc))
        return MessageMarkReadPayload(
            thread=MessageThread.from_model(marked.thread), marked_count=marked.count
        )
