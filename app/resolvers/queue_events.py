"""The events that tell the staff of an office that their review queue changed.

Every change that puts an item into the queue (a submission, a change or renewal of an active
posting, an image, an establishment change, a confirmed pre-registration) or takes it out
(a decision, a withdrawal, a lapse) records one in the same transaction, and publishes it
after the commit, like every other event (`app.resolvers.events`).
"""

from __future__ import annotations

import datetime as dt

from app.models import Event
from app.models.events import EventKind, QueueChange
from app.resolvers import events
from app.resolvers.review import ReviewKind


async def record(
    *,
    office_id: int,
    kind: ReviewKind,
    item_id: int,
    change: QueueChange,
    now: dt.datetime,
    establishment_id: int | None = None,
) -> Event:
    """Store that the item `kind`/`item_id` entered or left the queue of `office_id`; call
    inside the transaction of the change, then `events.publish` the event after it."""
    return await events.record(
        EventKind.REVIEW_QUEUE_CHANGED,
        establishment_id=establishment_id
        if establishment_id is not None
        else events.NO_ESTABLISHMENT,
        seeker_id=events.NO_SEEKER,
        now=now,
        office_id=office_id,
        review_kind=kind.value,
        review_item_id=item_id,
        queue_change=change,
    )
