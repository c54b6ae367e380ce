"""Events for subscriptions: stored with the change, then announced through the broker."""

from __future__ import annotations

import datetime as dt
import logging

from tortoise import connections

from app.broker import Notice
from app.models import Event
from app.models.events import EventKind, QueueChange
from app.runtime import Runtime

log = logging.getLogger(__name__)

NO_SEEKER = 0
"""`Event.seeker_id` of an application of a person without a My Page: no seeker sees it."""

NO_ESTABLISHMENT = 0
"""`Event.establishment_id` of a queue change for an item of no establishment yet (a
pre-registration): no employer sees it."""

# Any constant: the advisory lock that orders event writers on PostgreSQL.
EVENT_ORDER_LOCK = 7_202_611


async def record(
    kind: EventKind,
    *,
    establishment_id: int,
    seeker_id: int,
    now: dt.datetime,
    message_id: int | None = None,
    application_event_id: int | None = None,
    interview_id: int | None = None,
    notice_id: int | None = None,
    office_id: int | None = None,
    review_kind: str | None = None,
    review_item_id: int | None = None,
    queue_change: QueueChange | None = None,
) -> Event:
    """Store an event; call inside the transaction of the change it reports.

    Subscribers read "every event after the last one I delivered", so ids must become
    visible in id order. On PostgreSQL two transactions could commit their sequence values
    the other way round; a transaction-scoped advisory lock makes event writers take ids and
    commit one after the other. SQLite already has a single writer.
    """
    connection = connections.get("default")
    if connection.capabilities.dialect == "postgres":
        await connection.execute_query("SELECT pg_advisory_xact_lock($1)", [EVENT_ORDER_LOCK])
    return await Event.create(
        kind=kind,
        establishment_id=establishment_id,
        seeker_id=seeker_id,
        message_id=message_id,
        application_event_id=application_event_id,
        interview_id=interview_id,
        notice_id=notice_id,
        office_id=office_id,
        review_kind=review_kind,
        review_item_id=review_item_id,
        queue_change=queue_change,
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
        office_id=event.office_id,
    )
    try:
        await rt.broker.publish(notice)
    except Exception:  # the write already succeeded and must be reported as such
        log.exception("could not publish event %s", event.id)
