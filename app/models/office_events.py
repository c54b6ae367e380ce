"""Events that offices publish (イベント情報): job fairs, seminars, and employers' interest."""

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model

from app.models.accounts import User
from app.models.establishments import Establishment
from app.models.offices import Office


class OfficeEventKind(StrEnum):
    JOB_FAIR = "JOB_FAIR"
    """就職面接会・合同企業説明会 (job fair, joint company information session)"""
    SEMINAR = "SEMINAR"
    """セミナー (seminar)"""
    BRIEFING = "BRIEFING"
    """事業所向け説明会 (briefing for employers)"""
    OTHER = "OTHER"
    """その他 (other)"""


class OfficeEvent(Model):
    """An event of a Hello Work office, open to employers within its capacity."""

    id = fields.IntField(primary_key=True)
    office: fields.ForeignKeyRelation[Office] = fields.ForeignKeyField(
        "models.Office", related_name="events", on_delete=fields.RESTRICT
    )
    office_id: int
    kind = fields.CharEnumField(OfficeEventKind, max_length=10)
    title = fields.CharField(max_length=100)
    description = fields.TextField(default="")
    target = fields.CharField(max_length=200, default="", description="対象")
    starts_at = fields.DatetimeField()
    ends_at = fields.DatetimeField()
    venue = fields.CharField(max_length=200, description="会場")
    prefecture = fields.CharField(max_length=10)
    capacity = fields.IntField(description="定員 (establishments)")
    created_by: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="office_events", on_delete=fields.RESTRICT
    )
    created_by_id: int
    created_at = fields.DatetimeField()
    cancelled_at = fields.DatetimeField(null=True)

    class Meta:
        table = "office_event"
        indexes = (("starts_at",), ("prefecture", "starts_at"))


class OfficeEventInterest(Model):
    """An establishment registered its interest in (参加申込) an event."""

    id = fields.IntField(primary_key=True)
    event: fields.ForeignKeyRelation[OfficeEvent] = fields.ForeignKeyField(
        "models.OfficeEvent", related_name="interests", on_delete=fields.CASCADE
    )
    event_id: int
    establishment: fields.ForeignKeyRelation[Establishment] = fields.ForeignKeyField(
        "models.Establishment", related_name="event_interests", on_delete=fields.CASCADE
    )
    establishment_id: int
    registered_by_id = fields.IntField()
    created_at = fields.DatetimeField()

    class Meta:
        table = "office_event_interest"
        unique_together = (("event", "establishment"),)
