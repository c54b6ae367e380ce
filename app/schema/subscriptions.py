"""Subscriptions: messages received, applicant-status changes, interviews scheduled or
cancelled, Hello Work's notices, and for staff the changes of their office's review queue,
live over WebSocket.

Each delivery carries the `cursor` of its event; a client that reconnects passes the last
one it received as `after` and first gets what it missed, in order, then the live events.
When the broker is lost, the WebSocket is closed with `RETRY_LATER_CLOSE_CODE`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncGenerator
from contextlib import aclosing
from typing import Annotated, TypeVar

import strawberry
from starlette.websockets import WebSocket, WebSocketState
from strawberry import relay

import app.schema.describe as describe
from app import models
from app.broker import BrokerUnavailable
from app.models.events import QueueChange
from app.resolvers import subscriptions
from app.resolvers.interviews import InterviewChange
from app.resolvers.review import ReviewKind
from app.schema.applications import Application, ApplicationStatus
from app.schema.context import Info
from app.schema.establishments import EstablishmentChange
from app.schema.images import EstablishmentImage
from app.schema.interviews import Interview
from app.schema.messages import Message
from app.schema.nodes import MAX_BIGINT_ID
from app.schema.notices import HelloWorkNotice
from app.schema.paging import cursor_number, cursor_parts, encode_cursor
from app.schema.postings import Posting
from app.schema.pre_registration import EstablishmentPreRegistration
from app.schema.review import ReviewItem

RETRY_LATER_CLOSE_CODE = 1013
"""WebSocket close code 1013 "Try Again Later" (RFC 6455 registry): the event broker is
unavailable; reconnect after a delay with the cursor of the last event received."""

_CURSOR = "event"

T = TypeVar("T")


def event_cursor(event_id: int) -> str:
    return encode_cursor(_CURSOR, event_id)


def _event_id(after: str | None) -> int | None:
    if after is None:
        return None
    return cursor_number(cursor_parts(after, _CURSOR, 1)[0], MAX_BIGINT_ID)


_RESUME = "Pass as `after` to resume after this event."

ResumeAfter = Annotated[
    str | None,
    strawberry.argument(
        description=(
            "The `cursor` of the last event received (or `eventCursor`): what came after it "
            "is delivered first, then the live events; without it, the live events from now."
        )
    ),
]


@strawberry.type(
    description="メッセージ受信 (message received): a message the viewer received, live."
)
class MessageReceivedEvent:
    cursor: str = strawberry.field(description=_RESUME)
    message: Message = strawberry.field(description="The message, from the other side.")


@strawberry.type(
    description="選考状況の変更 (status changed): a change of an application's status, live."
)
class ApplicationStatusChangedEvent:
    cursor: str = strawberry.field(description=_RESUME)
    application: Application = strawberry.field(description="The application as it is now.")
    from_status: ApplicationStatus | None = strawberry.field(
        description="変更前 (from): the status before; null when the application was made."
    )
    to_status: ApplicationStatus = strawberry.field(description="変更後 (to): the status after.")
    reason: str = strawberry.field(
        description="理由 (reason) given with the change; empty when none."
    )
    at: dt.datetime = strawberry.field(description="変更日時: when the status changed.")


@strawberry.type(
    description="面接の設定・取消 (interview changed): an interview scheduled or cancelled, live."
)
class InterviewChangedEvent:
    cursor: str = strawberry.field(description=_RESUME)
    interview: Interview = strawberry.field(description="The interview as it is now.")
    change: InterviewChange = strawberry.field(description="What this event reports.")
    application: Application = strawberry.field(description="The interview's application.")


@strawberry.type(
    description="お知らせ受信 (notice received): a notice of Hello Work that reached the inbox."
)
class NoticeReceivedEvent:
    cursor: str = strawberry.field(description=_RESUME)
    notice: HelloWorkNotice = strawberry.field(description="The notice.")


describe.enum(
    QueueChange, description="審査待ちの変化 (queue change): how the review queue changed."
)
describe.enum(
    ReviewKind,
    description="審査の種類 (review kind): what waits for review.",
    values={
        "POSTING": "求人 (posting): a submission, a change or a renewal.",
        "IMAGE": "画像 (image) registered by an establishment.",
        "ESTABLISHMENT_CHANGE": "事業所情報の変更 (establishment change) asked by an employer.",
        "PRE_REGISTRATION": "事業所の仮登録 (pre-registration) made online.",
    },
)

_REVIEW_TYPE_NAMES = {
    ReviewKind.POSTING: "Posting",
    ReviewKind.IMAGE: "EstablishmentImage",
    ReviewKind.ESTABLISHMENT_CHANGE: "EstablishmentChange",
    ReviewKind.PRE_REGISTRATION: "EstablishmentPreRegistration",
}
"""The GraphQL type of each kind of review item: its global ID's prefix."""


@strawberry.type(
    description="審査待ちの変化 (review queue changed): an item entered or left the office's "
    "review queue, live."
)
class ReviewQueueChangedEvent:
    cursor: str = strawberry.field(description=_RESUME)
    change: QueueChange = strawberry.field(description="How the queue changed.")
    kind: ReviewKind = strawberry.field(description="What kind of item it is.")
    item_id: strawberry.ID = strawberry.field(
        description="The item's global ID, also once it is gone."
    )
    item: ReviewItem | None = strawberry.field(
        description="The item as it is now; null once it is gone (an image deleted, a change "
        "replaced by a newer one)."
    )
    at: dt.datetime = strawberry.field(description="When the queue changed.")


def _review_item(row: subscriptions.ReviewItem | None) -> ReviewItem | None:
    if row is None:
        return None
    if isinstance(row, models.Posting):
        return Posting.from_model(row)
    if isinstance(row, models.EstablishmentImage):
        return EstablishmentImage.from_model(row)
    if isinstance(row, models.EstablishmentChange):
        return EstablishmentChange.from_model(row)
    return EstablishmentPreRegistration.from_model(row)


async def _deliver(info: Info, deliveries: AsyncGenerator[T, None]) -> AsyncGenerator[T, None]:
    """Pass the deliveries on, each resolved with dataloaders of its own (a WebSocket lives
    long; its caches must not); when the broker is lost, close the WebSocket as retryable.

    Between deliveries nothing of the last one is held: its dataloaders are dropped once it
    was sent (the generator resumes only then), and the loop variables here and in the
    subscriptions' resolvers are deleted after each yield. An open dashboard otherwise kept
    its last event's rows and objects until the next, which the collector scanned with every
    dashboard's as long-lived."""
    try:
        async with aclosing(deliveries):
            async for delivery in deliveries:
                info.context.loaders.forget()
                yield delivery
                del delivery
                info.context.loaders.forget()
    except BrokerUnavailable:
        websocket = info.context.response
        if not isinstance(websocket, WebSocket):
            raise
        if websocket.application_state == WebSocketState.CONNECTED:
            await websocket.close(code=RETRY_LATER_CLOSE_CODE, reason="event broker unavailable")
        # The connection's handler cancels this operation once the client has closed.
        await asyncio.Event().wait()


@strawberry.type
class SubscriptionQuery:
    @strawberry.field(
        description="Employers and seekers: the cursor of the newest event they may receive; "
        "staff: of the newest change of their office's review queue. A subscription started "
        "with it as `after` misses nothing from this moment on, even what happens before the "
        "server has begun to listen; without `after` a subscription starts when the server "
        "receives it."
    )
    async def event_cursor(self, info: Info) -> str:
        return event_cursor(await subscriptions.latest_event_id(info.context.viewer))


@strawberry.type(
    description=(
        "What a client receives live over WebSocket (graphql-transport-ws, authenticated in "
        "`connection_init`): each event carries a `cursor` to resume from after a reconnect."
    )
)
class Subscription:
    @strawberry.subscription(
        description="Messages sent to the viewer: to an employer, those of seekers to its "
        "establishment; to a seeker, those of establishments. `after`: the cursor of the last "
        "event received; what came after it is delivered first."
    )
    async def message_received(
        self, info: Info, after: ResumeAfter = None
    ) -> AsyncGenerator[MessageReceivedEvent, None]:
        deliveries = subscriptions.messages_received(
            info.context.rt, info.context.viewer, after=_event_id(after)
        )
        async with aclosing(_deliver(info, deliveries)) as stream:
            async for delivery in stream:
                yield MessageReceivedEvent(
                    cursor=event_cursor(delivery.event_id),
                    message=Message.from_model(delivery.message),
                )
                del delivery  # not held while waiting for the next (see _deliver)

    @strawberry.subscription(
        description="Status changes of applications: to an employer, those to its "
        "establishment's postings; to a seeker, their own. `after` as for `messageReceived`."
    )
    async def application_status_changed(
        self, info: Info, after: ResumeAfter = None
    ) -> AsyncGenerator[ApplicationStatusChangedEvent, None]:
        deliveries = subscriptions.application_status_changes(
            info.context.rt, info.context.viewer, after=_event_id(after)
        )
        async with aclosing(_deliver(info, deliveries)) as stream:
            async for delivery in stream:
                change = delivery.change
                yield ApplicationStatusChangedEvent(
                    cursor=event_cursor(delivery.event_id),
                    application=Application.from_model(delivery.application),
                    from_status=change.from_status,
                    to_status=change.to_status,
                    reason=change.reason,
                    at=change.at,
                )
                del delivery, change  # not held while waiting for the next (see _deliver)

    @strawberry.subscription(
        description="Interviews scheduled or cancelled: to an employer, those of its "
        "establishment's applicants; to a seeker, their own. `after` as for `messageReceived`."
    )
    async def interview_changed(
        self, info: Info, after: ResumeAfter = None
    ) -> AsyncGenerator[InterviewChangedEvent, None]:
        deliveries = subscriptions.interview_changes(
            info.context.rt, info.context.viewer, after=_event_id(after)
        )
        async with aclosing(_deliver(info, deliveries)) as stream:
            async for delivery in stream:
                yield InterviewChangedEvent(
                    cursor=event_cursor(delivery.event_id),
                    interview=Interview.from_model(delivery.interview),
                    change=delivery.change,
                    application=Application.from_model(delivery.application),
                )
                del delivery  # not held while waiting for the next (see _deliver)

    @strawberry.subscription(
        description="Employers: Hello Work's notices to their establishment (お知らせ). `after` "
        "as for `messageReceived`."
    )
    async def notice_received(
        self, info: Info, after: ResumeAfter = None
    ) -> AsyncGenerator[NoticeReceivedEvent, None]:
        deliveries = subscriptions.notices_received(
            info.context.rt, info.context.viewer, after=_event_id(after)
        )
        async with aclosing(_deliver(info, deliveries)) as stream:
            async for delivery in stream:
                yield NoticeReceivedEvent(
                    cursor=event_cursor(delivery.event_id),
                    notice=HelloWorkNotice.from_model(delivery.notice),
                )
                del delivery  # not held while waiting for the next (see _deliver)

    @strawberry.subscription(
        description="Staff: items entering or leaving their office's review queue, oldest "
        "change first; an item taken by a colleague is TAKEN. `after` as for `messageReceived`."
    )
    async def review_queue_changed(
        self, info: Info, after: ResumeAfter = None
    ) -> AsyncGenerator[ReviewQueueChangedEvent, None]:
        deliveries = subscriptions.review_queue_changes(
            info.context.rt, info.context.viewer, after=_event_id(after)
        )
        async with aclosing(_deliver(info, deliveries)) as stream:
            async for delivery in stream:
                yield ReviewQueueChangedEvent(
                    cursor=event_cursor(delivery.event_id),
                    change=delivery.change,
                    kind=delivery.kind,
                    item_id=strawberry.ID(
                        relay.to_base64(_REVIEW_TYPE_NAMES[delivery.kind], delivery.item_id)
                    ),
                    item=_review_item(delivery.item),
                    at=delivery.at,
                )
                del delivery  # not held while waiting for the next (see _deliver)
