"""The stored stream of events that subscriptions deliver (and replay after a reconnect)."""

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class EventKind(StrEnum):
    MESSAGE_RECEIVED = "MESSAGE_RECEIVED"
    APPLICATION_STATUS_CHANGED = "APPLICATION_STATUS_CHANGED"
    INTERVIEW_CHANGED = "INTERVIEW_CHANGED"


class Event(Model):
    """One event, written in the same transaction as the change it reports.

    `establishment_id` and `seeker_id` say who may see it: the employers of that
    establishment and that seeker (0 when the applicant has no My Page: no seeker sees it).
    `id` orders the stream and is the replay cursor.
    """

    id = fields.BigIntField(primary_key=True)
    kind = fields.CharEnumField(EventKind, max_length=30)
    establishment_id = fields.IntField()
    seeker_id = fields.IntField()
    message_id = fields.IntField(null=True)
    application_event_id = fields.IntField(null=True)
    interview_id = fields.IntField(null=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "event"
        indexes = (("establishment_id", "kind", "id"), ("seeker_id", "kind", "id"))
