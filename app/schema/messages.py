"""Messages (メッセージ): threads between an establishment and a seeker, their history,
sending and read marks."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from enum import StrEnum
from typing import Annotated, Self

import strawberry
from strawberry import relay

from app import models
from app.errors import UserErrors
from app.models import messages as enums
from app.resolvers import messages
from app.schema.context import Info
from app.schema.errors import UserError, user_errors
from app.schema.nodes import decode_id, visible_nodes
from app.schema.paging import check_first, connection, cursor_number, cursor_parts, encode_cursor

strawberry.enum(
    enums.MessageSender, description="Who wrote a message: EMPLOYER 事業所, SEEKER 求職者."
)
MessageSender = enums.MessageSender


@strawberry.enum(description="APPLICATION 応募, REQUEST 直接リクエスト.")
class MessageRelationKind(StrEnum):
    APPLICATION = "APPLICATION"
    REQUEST = "REQUEST"


@strawberry.type(
    description="What lets the two talk: an application to a posting, or a request from one."
)
class MessageRelation:
    kind: MessageRelationKind
    posting_number: str | None = strawberry.field(description="求人番号.")
    job_title: str = strawberry.field(description="職種.")
    created_at: dt.datetime

    @classmethod
    def from_model(cls, row: models.Application | models.SeekerRequest) -> Self:
        kind = (
            MessageRelationKind.APPLICATION
            if isinstance(row, models.Application)
            else MessageRelationKind.REQUEST
        )
        return cls(
            kind=kind,
            posting_number=row.posting.posting_number,
            job_title=row.posting.job_title,
            created_at=row.created_at,
        )


@strawberry.type(
    description="The seeker as employers see them in messages: a label, no name or contact."
)
class MessageSeeker:
    label: str = strawberry.field(
        description="求職者 and a code that stays the same for this establishment."
    )
    relations: list[MessageRelation]


@strawberry.type(description="The establishment as a seeker sees it in messages.")
class MessageEstablishment:
    name: str = strawberry.field(description="事業所名.")
    relations: list[MessageRelation]


MessageCounterpart = Annotated[
    MessageSeeker | MessageEstablishment,
    strawberry.union("MessageCounterpart", description="The other side of a thread."),
]


@strawberry.type(
    description="One message. `body` is plain text stored as written: escape it to show it."
)
class Message(relay.Node):
    id: relay.NodeID[int]
    body: str
    sender: MessageSender
    created_at: dt.datetime
    read_at: dt.datetime | None = strawberry.field(
        description="既読: when the receiving side marked it read."
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

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        viewer = info.context.viewer
        return await visible_nodes(
            node_ids, lambda ids: messages.visible_messages(viewer, ids), cls.from_model
        )


@strawberry.type(description="The conversation of one establishment with one seeker.")
class MessageThread(relay.Node):
    id: relay.NodeID[int]
    created_at: dt.datetime
    last_message_at: dt.datetime | None
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

    @strawberry.field(description="Messages from the other side that the viewer has not read.")
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
        rows = await ctx.loaders.conversation_relations_by_pair.load(
            (self.establishment_id, self.seeker_id)
        )
        relations = [MessageRelation.from_model(row) for row in rows]
        if me.side is enums.MessageSender.EMPLOYER:
            label = messages.seeker_label(ctx.rt, self.establishment_id, self.seeker_id)
            return MessageSeeker(label=label, relations=relations)
        establishment = await ctx.loaders.establishment_by_id.load(self.establishment_id)
        return MessageEstablishment(name=establishment.name, relations=relations)

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        viewer = info.context.viewer
        return await visible_nodes(
            node_ids, lambda ids: messages.visible_threads(viewer, ids), cls.from_model
        )


# --- Paging -------------------------------------------------------------------------------

_THREAD_CURSOR = "thread"
_MESSAGE_CURSOR = "message"
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MICROSECOND = dt.timedelta(microseconds=1)
_LAST_MICROS = (dt.datetime.max.replace(tzinfo=dt.UTC) - _EPOCH) // _MICROSECOND


def _thread_cursor(thread: models.MessageThread) -> str:
    assert thread.last_message_at is not None  # only threads with messages are listed
    micros = (thread.last_message_at - _EPOCH) // _MICROSECOND
    return encode_cursor(_THREAD_CURSOR, micros, thread.id)


def _thread_position(after: str | None) -> messages.ThreadPosition | None:
    if after is None:
        return None
    micros, thread_id = cursor_parts(after, _THREAD_CURSOR, 2)
    return messages.ThreadPosition(
        last_message_at=_EPOCH + cursor_number(micros, _LAST_MICROS) * _MICROSECOND,
        thread_id=cursor_number(thread_id),
    )


def _message_cursor(message: models.Message) -> str:
    return encode_cursor(_MESSAGE_CURSOR, message.id)


def _thread_edge(thread: models.MessageThread) -> relay.Edge[MessageThread]:
    return relay.Edge(cursor=_thread_cursor(thread), node=MessageThread.from_model(thread))


def _message_edge(message: models.Message) -> relay.Edge[Message]:
    return relay.Edge(cursor=_message_cursor(message), node=Message.from_model(message))


def _message_after(after: str | None) -> int | None:
    if after is None:
        return None
    return cursor_number(cursor_parts(after, _MESSAGE_CURSOR, 1)[0])


def _thread_id(global_id: relay.GlobalID, field: str = "threadId") -> int:
    return decode_id(global_id, "MessageThread", field)


@strawberry.type
class MessageQuery:
    @strawberry.field(
        description="Employer or seeker: the viewer's threads, the latest activity first."
    )
    async def message_threads(
        self, info: Info, first: int = 20, after: str | None = None
    ) -> relay.Connection[MessageThread]:
        check_first(first)
        page = await messages.threads(
            info.context.viewer, first=first, after=_thread_position(after)
        )
        return connection(relay.Connection, page, _thread_edge)

    @strawberry.field(
        description=(
            "A thread's history, newest first. Null when the thread does not exist or is not "
            "the viewer's."
        )
    )
    async def messages(
        self, info: Info, thread_id: relay.GlobalID, first: int = 20, after: str | None = None
    ) -> relay.Connection[Message] | None:
        viewer = info.context.viewer
        messages.party(viewer)
        check_first(first)
        after_id = _message_after(after)
        try:
            thread_id_value = _thread_id(thread_id)
        except UserErrors:
            return None
        page = await messages.thread_messages(
            viewer, thread_id_value, first=first, after_id=after_id
        )
        if page is None:
            return None
        return connection(relay.Connection, page, _message_edge)


# --- Mutations ----------------------------------------------------------------------------


@strawberry.input(description="The body, and exactly one of threadId, applicationId, requestId.")
class MessageSendInput:
    body: str = strawberry.field(description="Plain text, 1 to 2000 characters once trimmed.")
    thread_id: relay.GlobalID | None = strawberry.field(
        default=None, description="A thread the viewer takes part in."
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


@strawberry.input
class MessageMarkReadInput:
    thread_id: relay.GlobalID


@strawberry.type
class MessageSendPayload:
    message: Message | None = strawberry.field(
        default=None, description="The message sent; its `thread` is where it went."
    )
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class MessageMarkReadPayload:
    thread: MessageThread | None = None
    marked_count: int | None = strawberry.field(
        default=None, description="How many messages this marked read."
    )
    errors: list[UserError] = strawberry.field(default_factory=list)


def _optional_id(global_id: relay.GlobalID | None, type_name: str, field: str) -> int | None:
    return decode_id(global_id, type_name, field) if global_id is not None else None


@strawberry.type
class MessageMutation:
    @strawberry.mutation(
        description="Employer or seeker: write to the other side of an application or request."
    )
    async def message_send(self, info: Info, input: MessageSendInput) -> MessageSendPayload:
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
        self, info: Info, input: MessageMarkReadInput
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
