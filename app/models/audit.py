"""The security audit trail: who signed in, failed, was locked out, changed a password,
and what the staff of an office did (DESIGN.md §10)."""

from enum import StrEnum
from typing import Any

from tortoise import fields
from tortoise.models import Model


class AuditAction(StrEnum):
    """What happened. Logins and their credentials first, then the staff's actions."""

    LOGIN_SUCCEEDED = "LOGIN_SUCCEEDED"
    LOGIN_FAILED = "LOGIN_FAILED"
    OTP_FAILED = "OTP_FAILED"
    LOGIN_LOCKED = "LOGIN_LOCKED"
    LOGIN_UNLOCKED = "LOGIN_UNLOCKED"
    LOGOUT = "LOGOUT"
    ACCOUNT_OPENED = "ACCOUNT_OPENED"
    ACCOUNT_CODE_ISSUED = "ACCOUNT_CODE_ISSUED"
    ACCOUNT_CODE_VOIDED = "ACCOUNT_CODE_VOIDED"
    PASSWORD_RESET = "PASSWORD_RESET"  # noqa: S105 - an action, not a password
    EMAIL_CHANGED = "EMAIL_CHANGED"
    LOGIN_INVITED = "LOGIN_INVITED"
    LOGIN_ADDED = "LOGIN_ADDED"
    LOGIN_REMOVED = "LOGIN_REMOVED"
    WITHDRAWN = "WITHDRAWN"
    STAFF_CREATED = "STAFF_CREATED"
    ESTABLISHMENT_REGISTERED = "ESTABLISHMENT_REGISTERED"
    ESTABLISHMENT_CHANGE_REVIEWED = "ESTABLISHMENT_CHANGE_REVIEWED"
    POSTING_ACCEPTED = "POSTING_ACCEPTED"
    POSTING_RETURNED = "POSTING_RETURNED"
    IMAGE_REVIEWED = "IMAGE_REVIEWED"
    REFERRAL_CREATED = "REFERRAL_CREATED"
    OFFICE_EVENT_CREATED = "OFFICE_EVENT_CREATED"
    OFFICE_EVENT_CANCELLED = "OFFICE_EVENT_CANCELLED"
    PRE_REGISTRATION_CONFIRMED = "PRE_REGISTRATION_CONFIRMED"
    PRE_REGISTRATION_REFUSED = "PRE_REGISTRATION_REFUSED"
    POSTING_ENTERED_BY_STAFF = "POSTING_ENTERED_BY_STAFF"
    POSTING_CORRECTED = "POSTING_CORRECTED"
    LOGIN_EMAIL_RESET_AT_COUNTER = "LOGIN_EMAIL_RESET_AT_COUNTER"


class AuditEvent(Model):
    """One security event, appended and never changed.

    No code path updates or deletes a row, and the database refuses an UPDATE (a trigger, see
    migration 0009). Deleting old rows is left to the operator's retention policy.
    `office_id` says whose staff may read it: the office of the establishment concerned, or
    of the staff who acted. Secrets (passwords, codes, keys) are never part of `detail`.
    """

    id = fields.BigIntField(primary_key=True)
    occurred_at = fields.DatetimeField()
    action = fields.CharEnumField(AuditAction, max_length=40)
    office_id = fields.IntField(null=True)
    establishment_id = fields.IntField(null=True)
    actor_id = fields.IntField(null=True, description="the login who acted, if signed in")
    subject_id = fields.IntField(null=True, description="the login the event concerns")
    client_address = fields.CharField(max_length=64, null=True)
    detail: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)

    class Meta:
        table = "audit_event"
        indexes = (("office_id", "id"), ("office_id", "action", "id"))
