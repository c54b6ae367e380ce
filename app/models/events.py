"""The stored stream of events that subscriptions deliver (and replay after a reconnect)."""

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class EventKind(StrEnum):
    MESSAGE_RECEIVED = "MESSAGE_RECEIVED"
    APPLICATION_STATUS_CHANGED = "APPLICATION_STATUS_CHANGED"
    INTERVIEW_CHANGED = "INTERVIEW_CHANGED"
    NOTICE_RECEIVED = "NOTICE_RECEIVED"
    """A notice of Hello Work reached the establishment's inbox."""
    REVIEW_QUEUE_CHANGED = "REVIEW_QUEUE_CHANGED"
    """An item entered the review queue of an office or left it (taken by staff, withdrawn)."""


class QueueChange(StrEnum):
    """How the review queue of an office changed."""

    ADDED = "ADDED"
    """追加 (added): an item started waiting."""
    TAKEN = "TAKEN"
    """処理済み (taken): staff decided on it (accepted, returned, confirmed, refused)."""
    REMOVED = "REMOVED"
    """取下げ等 (removed): it stopped waiting without a decision (withdrawn, lapsed, deleted)."""


class Event(Model):
    """One event, written in the same transaction as the change it reports.

    `establishment_id` and `seeker_id` say who may see it: the employers of that
    establishment and that seeker (0 when the applicant has no My Page: no seeker sees it).
    A change of the review queue is seen by the staff of `office_id` only: its seeker is 0,
    and its establishment 0 when the item has none yet (a pre-registration).
    `id` orders the stream and is the replay cursor.
    """

    id = fields.BigIntField(primary_key=True)
    kind = fields.CharEnumField(EventKind, max_length=30)
    establishment_id = fields.IntField()
    seeker_id = fields.IntField()
    message_id = fields.IntField(null=True)
    application_event_id = fields.IntField(null=True)
    interview_id = fields.IntField(null=True)
    notice_id = fields.IntField(null=True)
    office_id = fields.IntField(null=True, description="whose queue changed")
    review_kind = fields.CharField(max_length=30, null=True, description="ReviewKind")
    review_item_id = fields.IntField(null=True)
    queue_change = fields.CharEnumField(QueueChange, max_length=10, null=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "event"
        indexes = (
            ("establishment_id", "kind", "id"),
            ("seeker_id", "kind", "id"),
            ("office_id", "kind", "id"),
        )
