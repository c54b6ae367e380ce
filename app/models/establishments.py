"""Establishments (事業所) and their account creation codes (アカウント作成コード)."""

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model

# Relations are typed with strings; the imports only serve the type checker.
from app.models.offices import Office


class Establishment(Model):
    """An employer's establishment, registered at the counter of its jurisdiction office."""

    id = fields.IntField(primary_key=True)
    office: fields.ForeignKeyRelation[Office] = fields.ForeignKeyField(
        "models.Office", related_name="establishments", on_delete=fields.RESTRICT
    )
    office_id: int
    number = fields.CharField(max_length=13, unique=True, description="事業所番号 NNNN-NNNNNN-N")
    name = fields.CharField(max_length=100)
    name_kana = fields.CharField(max_length=200)
    phone_number = fields.CharField(max_length=20, description="03-1234-5678")
    postal_code = fields.CharField(max_length=8)
    address = fields.CharField(max_length=300)
    created_at = fields.DatetimeField()

    class Meta:
        table = "establishment"


class AccountCodeStatus(StrEnum):
    ACTIVE = "ACTIVE"
    USED = "USED"
    VOID = "VOID"
    """Voided by too many wrong tries."""
    REPLACED = "REPLACED"
    """Voided because a new code was issued."""


class AccountCreationCode(Model):
    """A code issued at the counter to open the employer account. Only its hash is kept."""

    id = fields.IntField(primary_key=True)
    establishment: fields.ForeignKeyRelation[Establishment] = fields.ForeignKeyField(
        "models.Establishment", related_name="account_creation_codes", on_delete=fields.CASCADE
    )
    establishment_id: int
    code_hash = fields.CharField(max_length=64, unique=True)
    status = fields.CharEnumField(
        AccountCodeStatus, max_length=10, default=AccountCodeStatus.ACTIVE
    )
    expires_on = fields.DateField(description="有効期限, inclusive, Asia/Tokyo")
    failed_attempts = fields.IntField(default=0)
    issued_by_id = fields.IntField(null=True)
    issued_at = fields.DatetimeField()
    closed_at = fields.DatetimeField(null=True)

    class Meta:
        table = "account_creation_code"
        indexes = (("establishment_id", "status"),)
