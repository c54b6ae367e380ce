"""Messages (メッセージ) between an establishment and a job seeker, in threads."""

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model

from app.models.accounts import User
from app.models.establishments import Establishment


class MessageSender(StrEnum):
    EMPLOYER = "EMPLOYER"
    """事業所 (the establishment): one of its logins wrote it."""
    SEEKER = "SEEKER"
    """求職者 (the job seeker) wrote it."""


class MessageThread(Model):
    """The conversation of one establishment with one seeker."""

    id = fields.IntField(primary_key=True)
    establishment: fields.ForeignKeyRelation[Establishment] = fields.ForeignKeyField(
        "models.Establishment", related_name="message_threads", on_delete=fields.RESTRICT
    )
    establishment_id: int
    seeker: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="message_threads", on_delete=fields.RESTRICT
    )
    seeker_id: int
    created_at = fields.DatetimeField()
    last_message_at = fields.DatetimeField(null=True)

    class Meta:
        table = "message_thread"
        unique_together = (("establishment", "seeker"),)


class Message(Model):
    """One message. `read_at` is set when the receiving side reads it."""

    id = fields.IntField(primary_key=True)
    thread: fields.ForeignKeyRelation[MessageThread] = fields.ForeignKeyField(
        "models.MessageThread", related_name="messages", on_delete=fields.RESTRICT
    )
    thread_id: int
    establishment: fields.ForeignKeyRelation[Establishment] = fields.ForeignKeyField(
        "models.Establishment", related_name="messages", on_delete=fields.RESTRICT
    )
    establishment_id: int
    sender = fields.CharEnumField(MessageSender, max_length=10)
    sender_user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="messages_sent", on_delete=fields.RESTRICT
    )
    sender_user_id: int
    body = fields.TextField()
    created_at = fields.DatetimeField()
    read_at = fields.DatetimeField(null=True)

    class Meta:
        table = "message"
        indexes = (("establishment_id", "sender", "read_at"), ("thread_id", "id"))
