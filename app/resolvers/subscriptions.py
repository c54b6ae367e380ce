"""What a subscription delivers: the stored events the viewer may see, replayed, then live.

A subscription listens to the broker FIRST, then reads the stored events after the client's
cursor, then waits for notices. Every notice only wakes it up: it reads again from the
database what is newer than the last event it delivered. So a notice that arrives while the
replay runs, or twice, or late, changes nothing: no gap, no duplicate, always in id order.

One notice wakes every subscription of its audience at once, and they all ask the same: so
the subscriptions of this process that ask in the same event-loop tick are answered together
(`Coalescer`): one read of the events per audience, one of the rows they name, one session
check; each subscription then takes its own slice, after its own cursor.
"""

from __future__ import annotations

import datetime as dt
import logging
from bisect import bisect_left, bisect_right
from collections.abc import AsyncGenerator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from tortoise.functions import Min
from tortoise.queryset import QuerySet

from app.broker import Key, Notice
from app.db import Prepared
from app.errors import Forbidden, NotAuthenticated
from app.models import (
    Application,
    ApplicationEvent,
    EstablishmentChange,
    EstablishmentImage,
    EstablishmentPreRegistration,
    Event,
    HelloWorkNotice,
    Interview,
    Message,
    Portal,
    Posting,
)
from app.models.events import EventKind, QueueChange
from app.models.messages import MessageSender
from app.resolvers.accounts import live_session_ids
from app.resolvers.fanout import Coalescer
from app.resolvers.interviews import InterviewChange
from app.resolvers.review import ReviewKind
from app.runtime import Runtime
from app.viewer import Viewer

log = logging.getLogger(__name__)

BATCH_SIZE = 100
"""Stored events read per query while catching up (for all the subscribers of an audience)."""

IDS_PER_STATEMENT = 500
"""At most this many ids in one `IN (…)`: databases limit the parameters of a statement."""

T = TypeVar("T")


@dataclass(frozen=True)
class Audience:
    """Whose events a viewer sees: an establishment's (its employers), one seeker's, or an
    office's (its staff: the changes of its review queue)."""

    establishment_id: int | None = None
    seeker_id: int | None = None
    office_id: int | None = None

    @property
    def received_from(self) -> MessageSender:
        """The side whose messages this viewer receives (its own are not "received")."""
        return MessageSender.SEEKER if self.establishment_id is not None else MessageSender.EMPLOYER

    def sees(self, notice: Notice, kind: EventKind) -> bool:
        if notice.kind != kind:
            return False
        if self.office_id is not None:
            return notice.office_id == self.office_id
        if self.establishment_id is not None:
            return notice.establishment_id == self.establishment_id
        return notice.seeker_id == self.seeker_id

    def key(self, kind: EventKind) -> Key:
        """The broker key of the notices of `kind` for this audience: listening under it, a
        subscription is woken by these only. An index: `sees` still checks each notice."""
        if self.office_id is not None:
            return Key(kind, "office", self.office_id)
        if self.establishment_id is not None:
            return Key(kind, "establishment", self.establishment_id)
        return Key(kind, "seeker", self.seeker_id)

    @property
    def _column(self) -> tuple[str, int]:
        """The column of `Event` that names this audience, and its value."""
        if self.office_id is not None:
            return "office_id", self.office_id
        if self.establishment_id is not None:
            return "establishment_id", self.establishment_id
        assert self.seeker_id is not None
        return "seeker_id", self.seeker_id

    def events(self, kind: EventKind | None = None) -> QuerySet[Event]:
        """The stored events of this audience, of one kind or of every kind."""
        query = Event.filter(kind=kind) if kind is not None else Event.all()
        column, value = self._column
        return query.filter(**{column: value})

    async def batch_after(self, kind: EventKind, after: int) -> list[Event]:
        """Its events of `kind` after the event `after`, in order, at most `BATCH_SIZE`: read
        once per notice for all the subscriptions of the audience, by SQL built once."""
        column, value = self._column
        read = _BATCHES.get((kind, column))
        if read is None:
            read = _BATCHES[kind, column] = Prepared(
                lambda owner_id, after: (
                    Event.filter(kind=kind, **{column: owner_id}, id__gt=after)
                    .order_by("id")
                    .limit(BATCH_SIZE)
                )
            )
        return await read(value, after)


_BATCHES: dict[tuple[EventKind, str], Prepared[list[Event]]] = {}
"""`Audience.batch_after`'s reads, by kind and audience column."""


def audience_of(viewer: Viewer) -> Audience:
    """An employer sees its establishment's events, a seeker their own; staff nothing of
    these (their office's queue has its own stream, `review_queue_changes`)."""
    user = viewer.user
    if user is None:
        raise NotAuthenticated
    if user.portal == Portal.EMPLOYER and user.establishment_id is not None:
        return Audience(establishment_id=user.establishment_id)
    if user.portal == Portal.SEEKER:
        return Audience(seeker_id=user.id)
    raise Forbidden


def _establishment_audience(viewer: Viewer) -> Audience:
    """The employers of an establishment, alone: its notices are nobody else's."""
    user = viewer.require_employer()
    return Audience(establishment_id=user.establishment_id)


def _office_audience(viewer: Viewer) -> Audience:
    """The staff of an office: the changes of its review queue."""
    staff = viewer.require_staff()
    return Audience(office_id=staff.office_id)


@dataclass(frozen=True)
class MessageDelivery:
    event_id: int
    message: Message


@dataclass(frozen=True)
class StatusChangeDelivery:
    event_id: int
    change: ApplicationEvent
    application: Application


@dataclass(frozen=True)
class InterviewChangeDelivery:
    event_id: int
    change: InterviewChange
    interview: Interview
    application: Application


@dataclass(frozen=True)
class NoticeDelivery:
    event_id: int
    notice: HelloWorkNotice


ReviewItem = Posting | EstablishmentImage | EstablishmentChange | EstablishmentPreRegistration


@dataclass(frozen=True)
class QueueChangeDelivery:
    event_id: int
    change: QueueChange
    kind: ReviewKind
    item_id: int
    item: ReviewItem | None
    """The item as it is now; None once it is gone (an image deleted, a change replaced)."""
    at: dt.datetime


def messages_received(
    rt: Runtime, viewer: Viewer, *, after: int | None
) -> AsyncGenerator[MessageDelivery, None]:
    """Messages sent to the viewer (by the other side), after the event `after`."""
    return _deliveries(rt, viewer, audience_of(viewer), _MESSAGES, after)


def application_status_changes(
    rt: Runtime, viewer: Viewer, *, after: int | None
) -> AsyncGenerator[StatusChangeDelivery, None]:
    """Status changes of the applications the viewer may see, after the event `after`."""
    return _deliveries(rt, viewer, audience_of(viewer), _STATUS_CHANGES, after)


def interview_changes(
    rt: Runtime, viewer: Viewer, *, after: int | None
) -> AsyncGenerator[InterviewChangeDelivery, None]:
    """Interviews scheduled or cancelled on the applications the viewer may see (an
    employer's establishment's, a seeker's own), after the event `after`."""
    return _deliveries(rt, viewer, audience_of(viewer), _INTERVIEW_CHANGES, after)


def notices_received(
    rt: Runtime, viewer: Viewer, *, after: int | None
) -> AsyncGenerator[NoticeDelivery, None]:
    """Hello Work's notices to the employer's establishment, after the event `after`."""
    return _deliveries(rt, viewer, _establishment_audience(viewer), _NOTICES, after)


def review_queue_changes(
    rt: Runtime, viewer: Viewer, *, after: int | None
) -> AsyncGenerator[QueueChangeDelivery, None]:
    """Staff: items entering or leaving their office's review queue, after the event `after`."""
    return _deliveries(rt, viewer, _office_audience(viewer), _QUEUE_CHANGES, after)


async def latest_event_id(viewer: Viewer) -> int:
    """The newest stored event the viewer may receive (staff: of their office's queue), 0
    before any: a cursor that, passed as `after`, makes a subscription miss nothing stored
    from this moment on."""
    user = viewer.user
    staff = user is not None and user.portal == Portal.STAFF
    audience = _office_audience(viewer) if staff else audience_of(viewer)
    latest = await audience.events().order_by("-id").first()
    return latest.id if latest else 0


async def _deliveries(
    rt: Runtime, viewer: Viewer, audience: Audience, stream: _Stream[T], after: int | None
) -> AsyncGenerator[T, None]:
    """Replay after `after` (or, without it, start from now), then deliver live.

    Raises `BrokerUnavailable` when the broker is or becomes unavailable: the client must
    reconnect later with the cursor of the last event it received. Raises `NotAuthenticated`
    once the session that opened the subscription has ended (logout, expiry, withdrawal).
    """
    session_id = viewer.session.id if viewer.session is not None else None
    async with rt.broker.listen(audience.key(stream.kind)) as notices:
        # Listening already: whatever is stored from here on is also announced to us.
        last = after if after is not None else await _newest_event_id.ask(None)
        while True:
            while True:
                page = await stream.read(_Ask(rt, session_id, audience, after=last))
                if page.session_ended:
                    raise NotAuthenticated
                for delivery in page.deliveries:
                    yield delivery
                    del delivery
                last, more = page.last, page.more
                del page  # nothing of a delivered page is held while waiting for the next
                if not more:
                    break
            while True:
                notice = await anext(notices)
                if notice.event_id > last and audience.sees(notice, stream.kind):
                    break


# --- Reads shared by the subscriptions of this process ----------------------------------------


@dataclass(frozen=True)
class _Ask:
    """A subscription's question: what of `audience` follows the event `after`, and may the
    holder of the session `session_id` have it."""

    rt: Runtime
    session_id: int | None
    audience: Audience
    after: int


@dataclass(frozen=True)
class _Page(Generic[T]):
    deliveries: list[T]
    last: int
    """The cursor after this page: the last event read (delivered or not), else `after`."""
    more: bool
    """A full batch was read: more may follow at once."""
    session_ended: bool
    """There is something to deliver, but the session has ended: deliver nothing."""


class _Stream(Generic[T]):
    """One kind of event as subscribers receive it, read for all who ask in one tick.

    `load` makes the delivery of each event (by event id) whose row is stored, once for every
    subscriber; `receives` says whether an audience receives a delivery of its own events.
    """

    def __init__(
        self,
        kind: EventKind,
        load: Callable[[list[Event]], Awaitable[dict[int, T]]],
        receives: Callable[[Audience, T], bool],
    ) -> None:
        self.kind = kind
        self._load = load
        self._receives = receives
        self._pages: Coalescer[_Ask, _Page[T]] = Coalescer(self._read)

    async def read(self, ask: _Ask) -> _Page[T]:
        return await self._pages.ask(ask)

    async def _read(self, asks: list[_Ask]) -> list[_Page[T]]:
        found = await _events_after(self.kind, asks)
        events = {event.id: event for page, _ in found for event in page}
        ordered = [events[event_id] for event_id in sorted(events)]
        loaded: dict[int, T] = {}
        for start in range(0, len(ordered), IDS_PER_STATEMENT):
            loaded |= await self._load(ordered[start : start + IDS_PER_STATEMENT])
        deliveries = [
            [
                loaded[event.id]
                for event in page
                if event.id in loaded and self._receives(ask.audience, loaded[event.id])
            ]
            for ask, (page, _) in zip(asks, found, strict=True)
        ]
        # Only those with something to deliver are asked about (as a subscription did alone).
        delivering = [i for i, mine in enumerate(deliveries) if mine]
        live = await _sessions_live([asks[i] for i in delivering])
        ended = {i for i, holds in zip(delivering, live, strict=True) if not holds}
        return [
            _Page(
                deliveries=deliveries[i],
                last=page[-1].id if page else ask.after,
                more=full,
                session_ended=i in ended,
            )
            for i, (ask, (page, full)) in enumerate(zip(asks, found, strict=True))
        ]


async def _events_after(kind: EventKind, asks: Sequence[_Ask]) -> list[tuple[list[Event], bool]]:
    """For each ask, the events of its audience after its cursor, at most `BATCH_SIZE`, and
    whether the batch read was full (more may follow).

    One statement per audience, read from the smallest cursor asked; more only when its
    cursors lie a full batch apart: a full batch answers the asks whose cursor lies before
    its last event, and the others are read again from the smallest of theirs.
    """
    found: list[tuple[list[Event], bool]] = [([], False)] * len(asks)
    by_audience: dict[Audience, list[int]] = {}
    for i, ask in enumerate(asks):
        by_audience.setdefault(ask.audience, []).append(i)
    for audience, indices in by_audience.items():
        waiting = sorted(indices, key=lambda i: asks[i].after)
        while waiting:
            after = asks[waiting[0]].after
            batch = await audience.batch_after(kind, after)
            full = len(batch) == BATCH_SIZE
            ids = [event.id for event in batch]
            answered = (
                bisect_left([asks[i].after for i in waiting], ids[-1]) if full else len(waiting)
            )
            for i in waiting[:answered]:
                found[i] = (batch[bisect_right(ids, asks[i].after) :], full)
            waiting = waiting[answered:]
    return found


async def _sessions_live(asks: Sequence[_Ask]) -> list[bool]:
    """Whether the session of each ask still holds: one statement for all of them (per
    runtime, a server has one; and per `IDS_PER_STATEMENT` sessions)."""
    by_runtime: dict[int, tuple[Runtime, set[int]]] = {}
    for ask in asks:
        if ask.session_id is not None:
            by_runtime.setdefault(id(ask.rt), (ask.rt, set()))[1].add(ask.session_id)
    live: set[tuple[int, int]] = set()
    for key, (rt, session_ids) in by_runtime.items():
        ordered = sorted(session_ids)
        for start in range(0, len(ordered), IDS_PER_STATEMENT):
            found = await live_session_ids(rt, ordered[start : start + IDS_PER_STATEMENT])
            live.update((key, session_id) for session_id in found)
    return [(id(ask.rt), ask.session_id) in live for ask in asks]


async def _newest_event_ids(asks: list[None]) -> list[int]:
    latest = await Event.all().order_by("-id").first()
    return [latest.id if latest else 0] * len(asks)


_newest_event_id: Coalescer[None, int] = Coalescer(_newest_event_ids)
"""The newest stored event of any audience: where a subscription without a cursor starts."""


_MESSAGES_BY_ID: Prepared[list[Message]] = Prepared(lambda ids: Message.filter(id__in=ids))
_CHANGES_BY_ID: Prepared[list[ApplicationEvent]] = Prepared(
    lambda ids: ApplicationEvent.filter(id__in=ids).select_related("application")
)
"""The rows the events of a notice name, mostly one: read by SQL built once per count."""


async def _messages(events: list[Event]) -> dict[int, MessageDelivery]:
    message_ids = [event.message_id for event in events if event.message_id is not None]
    found = await _MESSAGES_BY_ID(message_ids) if message_ids else []
    messages = {message.id: message for message in found}
    deliveries = {}
    for event in events:
        message = messages.get(event.message_id) if event.message_id is not None else None
        if message is None:
            log.warning("event %s names no stored message", event.id)
        else:
            deliveries[event.id] = MessageDelivery(event_id=event.id, message=message)
    return deliveries


def _receives_message(audience: Audience, delivery: MessageDelivery) -> bool:
    """A viewer receives the other side's messages, not its own side's."""
    return delivery.message.sender == audience.received_from


async def _status_changes(events: list[Event]) -> dict[int, StatusChangeDelivery]:
    change_ids = [e.application_event_id for e in events if e.application_event_id]
    found = await _CHANGES_BY_ID(change_ids) if change_ids else []
    changes = {change.id: change for change in found}
    deliveries = {}
    for event in events:
        change = changes.get(event.application_event_id or 0)
        if change is None:
            log.warning("event %s names no stored application change", event.id)
        else:
            deliveries[event.id] = StatusChangeDelivery(
                event_id=event.id, change=change, application=change.application
            )
    return deliveries


def _receives_every_change(audience: Audience, delivery: object) -> bool:
    return True


async def _interview_changes(events: list[Event]) -> dict[int, InterviewChangeDelivery]:
    """An interview has one event when scheduled and one more when cancelled: its first
    event reports the scheduling, a later one the cancellation."""
    interview_ids = list({e.interview_id for e in events if e.interview_id is not None})
    interviews = {
        interview.id: interview
        for interview in await Interview.filter(id__in=interview_ids).select_related("application")
    }
    firsts = (
        await Event.filter(
            kind=EventKind.INTERVIEW_CHANGED,
            establishment_id__in=list({e.establishment_id for e in events}),
            interview_id__in=interview_ids,
        )
        .annotate(first_id=Min("id"))
        .group_by("interview_id")
        .values_list("interview_id", "first_id")
    )
    first_event = dict(firsts)
    deliveries = {}
    for event in events:
        interview = interviews.get(event.interview_id or 0)
        if interview is None:
            log.warning("event %s names no stored interview", event.id)
            continue
        change = (
            InterviewChange.SCHEDULED
            if first_event.get(interview.id) == event.id
            else InterviewChange.CANCELLED
        )
        deliveries[event.id] = InterviewChangeDelivery(
            event_id=event.id,
            change=change,
            interview=interview,
            application=interview.application,
        )
    return deliveries


async def _notices(events: list[Event]) -> dict[int, NoticeDelivery]:
    notice_ids = [event.notice_id for event in events if event.notice_id is not None]
    notices = {
        notice.id: notice
        for notice in await HelloWorkNotice.filter(id__in=notice_ids).select_related(
            "posting", "application"
        )
    }
    deliveries = {}
    for event in events:
        notice = notices.get(event.notice_id or 0)
        if notice is None:
            log.warning("event %s names no stored notice", event.id)
        else:
            deliveries[event.id] = NoticeDelivery(event_id=event.id, notice=notice)
    return deliveries


_REVIEW_ITEMS: dict[ReviewKind, type[ReviewItem]] = {
    ReviewKind.POSTING: Posting,
    ReviewKind.IMAGE: EstablishmentImage,
    ReviewKind.ESTABLISHMENT_CHANGE: EstablishmentChange,
    ReviewKind.PRE_REGISTRATION: EstablishmentPreRegistration,
}
"""The row each kind of review item is."""


async def _queue_changes(events: list[Event]) -> dict[int, QueueChangeDelivery]:
    """Each change with its item as it is now: one query per kind of item."""
    wanted: dict[ReviewKind, set[int]] = {}
    for event in events:
        if event.review_kind is not None and event.review_item_id is not None:
            wanted.setdefault(ReviewKind(event.review_kind), set()).add(event.review_item_id)
    items: dict[tuple[ReviewKind, int], ReviewItem] = {}
    for kind, ids in wanted.items():
        for row in await _REVIEW_ITEMS[kind].filter(id__in=sorted(ids)):
            items[kind, row.id] = row
    deliveries = {}
    for event in events:
        if event.review_kind is None or event.review_item_id is None or not event.queue_change:
            log.warning("event %s names no review item", event.id)
            continue
        kind = ReviewKind(event.review_kind)
        deliveries[event.id] = QueueChangeDelivery(
            event_id=event.id,
            change=event.queue_change,
            kind=kind,
            item_id=event.review_item_id,
            item=items.get((kind, event.review_item_id)),
            at=event.created_at,
        )
    return deliveries


_MESSAGES = _Stream(EventKind.MESSAGE_RECEIVED, _messages, _receives_message)
_STATUS_CHANGES = _Stream(
    EventKind.APPLICATION_STATUS_CHANGED, _status_changes, _receives_every_change
)
_INTERVIEW_CHANGES = _Stream(
    EventKind.INTERVIEW_CHANGED, _interview_changes, _receives_every_change
)
_NOTICES = _Stream(EventKind.NOTICE_RECEIVED, _notices, _receives_every_change)
_QUEUE_CHANGES = _Stream(EventKind.REVIEW_QUEUE_CHANGED, _queue_changes, _receives_every_change)
