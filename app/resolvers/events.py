"""Events for subscriptions: stored with the change, then announced through the broker."""

from __future__ import annotations

import datetime as dt
import logging

from app.broker import Notice
from app.models import Event
from app.models.events import EventKind
from app.runtime import Runtime

log = logging.getLogger(__name__)


async def record(
    kind: EventKind,
    *,
    establishment_id: int,
    seeker_id: int,
    now: dt.datetime,
    message_id: int | None = None,
    application_event_id: int | None = None,
) -> Event:
    """Store an event; call inside the transaction of the change it reports."""
    return await Event.create(
        kind=kind,
        establishment_id=establishment_id,
        seeker_id=seeker_id,
        message_id=message_id,
        application_event_id=application_event_id,
        created_at=now,
    )


async def publish(rt: Runtime, event: Event) -> None:
    """Announce a committed event. A broker failure loses nothing: the event is stored and
    every subscriber catches up from the database when it reconnects."""
    notice = Notice(
        event_id=event.id,
        kind=event.kind,
        establishment_id=event.establishment_id,
        seeker_id=event.seeker_id,
    )
    try:
        await rt.broker.publish(notice)
    except Exception:  # the write already succeeded and must be reported as such
        log.exception("could not publish event %s", event.id)
