"""Messages (メッセージ) between an establishment and job seekers."""

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model

from app.models.establishments import Establishment


class MessageSender(StrEnum):
    EMPLOYER = "EMPLOYER"
    SEEKER = "SEEKER"


class Message(Model):
    """One message. `read_at` is set when the receiving side reads it."""

    id = fields.IntField(primary_key=True)
    establishment: fields.ForeignKeyRelation[Establishment] = fields.ForeignKeyField(
        "models.Establishment", related_name="messages", on_delete=fields.RESTRICT
    )
    establishment_id: int
    sender = fields.CharEnumField(MessageSender, max_length=10)
    body = fields.TextField()
    created_at = fields.DatetimeField()
    read_at = fields.DatetimeField(null=True)

    class Meta:
        table = "message"
        indexes = (("establishment_id", "sender", "read_at"),)
