"""What a subscription delivers: the stored events the viewer may see, replayed, then live.

A subscription listens to the broker FIRST, then reads the stored events after the client's
cursor, then waits for notices. Every notice only wakes it up: it reads again from the
database what is newer than the last event it delivered. So a notice that arrives while the
replay runs, or twice, or late, changes nothing: no gap, no duplicate, always in id order.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator, Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from tortoise.queryset import QuerySet

from app.broker import Notice
from app.errors import Forbidden, NotAuthenticated
from app.models import Application, ApplicationEvent, Event, Message, Portal
from app.models.events import EventKind
from app.models.messages import MessageSender
from app.resolvers.accounts import session_is_live
from app.runtime import Runtime
from app.viewer import Viewer

log = logging.getLogger(__name__)

BATCH_SIZE = 100
"""Stored events read per query while catching up."""

T = TypeVar("T")


@dataclass(frozen=True)
class Audience:
    """Whose events a viewer sees: an establishment's (its employers) or one seeker's."""

    establishment_id: int | None = None
    seeker_id: int | None = None

    @property
    def received_from(self) -> MessageSender:
        """The side whose messages this viewer receives (its own are not "received")."""
        return MessageSender.SEEKER if self.establishment_id is not None else MessageSender.EMPLOYER

    def sees(self, notice: Notice, kind: EventKind) -> bool:
        if notice.kind != kind:
            return False
        if self.establishment_id is not None:
            return notice.establishment_id == self.establishment_id
        return notice.seeker_id == self.seeker_id

    def events(self, kind: EventKind | None = None) -> QuerySet[Event]:
        """The stored events of this audience, of one kind or of every kind."""
        query = Event.filter(kind=kind) if kind is not None else Event.all()
        if self.establishment_id is not None:
            return query.filter(establishment_id=self.establishment_id)
        return query.filter(seeker_id=self.seeker_id)


def audience_of(viewer: Viewer) -> Audience:
    """An employer sees its establishment's events, a seeker their own; staff nothing."""
    user = viewer.user
    if user is None:
        raise NotAuthenticated
    if user.portal == Portal.EMPLOYER and user.establishment_id is not None:
        return Audience(establishment_id=user.establishment_id)
    if user.portal == Portal.SEEKER:
        return Audience(seeker_id=user.id)
    raise Forbidden


@dataclass(frozen=True)
class MessageDelivery:
    event_id: int
    message: Message


@dataclass(frozen=True)
class StatusChangeDelivery:
    event_id: int
    change: ApplicationEvent
    application: Application


def messages_received(
    rt: Runtime, viewer: Viewer, *, after: int | None
) -> AsyncGenerator[MessageDelivery, None]:
    """Messages sent to the viewer (by the other side), after the event `after`."""
    audience = audience_of(viewer)

    async def load(events: list[Event]) -> list[MessageDelivery]:
        messages = {
            message.id: message
            for message in await Message.filter(
                id__in=[event.message_id for event in events if event.message_id is not None]
            )
        }
        deliveries = []
        for event in events:
            message = messages.get(event.message_id) if event.message_id is not None else None
            if message is None:
                log.warning("event %s names no stored message", event.id)
            elif message.sender == audience.received_from:
                deliveries.append(MessageDelivery(event_id=event.id, message=message))
        return deliveries

    return _deliveries(rt, viewer, audience, EventKind.MESSAGE_RECEIVED, after, load)


def application_status_changes(
    rt: Runtime, viewer: Viewer, *, after: int | None
) -> AsyncGenerator[StatusChangeDelivery, None]:
    """Status changes of the applications the viewer may see, after the event `after`."""
    audience = audience_of(viewer)

    async def load(events: list[Event]) -> list[StatusChangeDelivery]:
        changes = {
            change.id: change
            for change in await ApplicationEvent.filter(
                id__in=[e.application_event_id for e in events if e.application_event_id]
            ).select_related("application")
        }
        deliveries = []
        for event in events:
            change = changes.get(event.application_event_id or 0)
            if change is None:
                log.warning("event %s names no stored application change", event.id)
            else:
                deliveries.append(
                    StatusChangeDelivery(
                        event_id=event.id, change=change, application=change.application
                    )
                )
        return deliveries

    return _deliveries(rt, viewer, audience, EventKind.APPLICATION_STATUS_CHANGED, after, load)


async def latest_event_id(viewer: Viewer) -> int:
    """The newest stored event the viewer may receive, 0 before any: a cursor that, passed
    as `after`, makes a subscription miss nothing stored from this moment on."""
    latest = await audience_of(viewer).events().order_by("-id").first()
    return latest.id if latest else 0


async def _latest_event_id() -> int:
    latest = await Event.all().order_by("-id").first()
    return latest.id if latest else 0


async def _deliveries(
    rt: Runtime,
    viewer: Viewer,
    audience: Audience,
    kind: EventKind,
    after: int | None,
    load: Callable[[list[Event]], Awaitable[list[T]]],
) -> AsyncGenerator[T, None]:
    """Replay after `after` (or, without it, start from now), then deliver live.

    Raises `BrokerUnavailable` when the broker is or becomes unavailable: the client must
    reconnect later with the cursor of the last event it received. Raises `NotAuthenticated`
    once the session that opened the subscription has ended (logout, expiry, withdrawal).
    """
    async with rt.broker.listen() as notices:
        # Listening already: whatever is stored from here on is also announced to us.
        last = after if after is not None else await _latest_event_id()
        while True:
            while True:
                events = (
                    await audience.events(kind).filter(id__gt=last).order_by("id").limit(BATCH_SIZE)
                )
                deliveries = await load(events)
                if deliveries and not await session_is_live(rt, viewer):
                    raise NotAuthenticated
                for delivery in deliveries:
                    yield delivery
                if events:
                    last = events[-1].id
                if len(events) < BATCH_SIZE:
                    break
            while True:
                notice = await anext(notices)
                if notice.event_id > last and audience.sees(notice, kind):
                    break
