"""The mail outbox: every mail the service sends, written in the transaction of its cause."""

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class MailStatus(StrEnum):
    PENDING = "PENDING"
    """Waiting for its next attempt, or being sent (claimed)."""
    SENT = "SENT"
    FAILED = "FAILED"
    """Given up after the last attempt. The row stays for the operator."""


class OutgoingMail(Model):
    """A mail to send: stored with the change that causes it, sent after the commit by the
    worker of any process (`app.outbox`).

    A worker claims the row for `claimed_until` before sending, so no other worker sends it
    meanwhile, and a worker that died mid-send leaves a claim that runs out. The body may
    hold a key or one-time password: it is emptied once the mail is sent or given up.
    """

    id = fields.BigIntField(primary_key=True)
    to = fields.CharField(max_length=254)
    subject = fields.CharField(max_length=200)
    body = fields.TextField()
    created_at = fields.DatetimeField()
    status = fields.CharEnumField(MailStatus, max_length=10, default=MailStatus.PENDING)
    attempts = fields.IntField(default=0, description="failed attempts so far")
    next_attempt_at = fields.DatetimeField()
    claimed_until = fields.DatetimeField(null=True)
    claimed_by = fields.CharField(
        max_length=64, null=True, description="the worker that claimed it last"
    )
    sent_at = fields.DatetimeField(null=True)
    last_error = fields.TextField(null=True)

    class Meta:
        table = "outgoing_mail"
        # The worker's query: pending rows by their next attempt.
        indexes = (("status", "next_attempt_at"),)
