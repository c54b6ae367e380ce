"""Establishments (事業所) and their account creation codes (アカウント作成コード)."""

from enum import StrEnum
from typing import Any

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
    # 事業所情報設定: what Hello Work shows on postings; changes wait for staff review.
    industry = fields.CharField(max_length=100, default="", description="産業（事業の内容）")
    business_content = fields.TextField(default="", description="事業内容")
    features = fields.TextField(default="", description="会社の特長")
    representative_title = fields.CharField(max_length=50, default="", description="代表者役職")
    representative_name = fields.CharField(max_length=50, default="", description="代表者名")
    employee_count = fields.IntField(null=True, description="従業員数 (企業全体)")
    workplace_employee_count = fields.IntField(null=True, description="従業員数 (就業場所)")
    founded_year = fields.IntField(null=True, description="設立年")
    capital_yen = fields.BigIntField(null=True, description="資本金")
    website = fields.CharField(max_length=200, default="", description="ホームページ")
    notification_email = fields.CharField(max_length=100, default="", description="通知先")
    created_at = fields.DatetimeField()

    class Meta:
        table = "establishment"


class ReviewStatus(StrEnum):
    PENDING = "PENDING"
    """審査待ち (waiting for staff review)."""
    APPROVED = "APPROVED"
    """承認 (approved by staff)."""
    REJECTED = "REJECTED"
    """差戻し (rejected by staff, with a reason)."""


class EstablishmentChange(Model):
    """A change of the establishment's profile, waiting for staff review.

    The approved profile stays in use until staff approve the change.
    """

    id = fields.IntField(primary_key=True)
    establishment: fields.ForeignKeyRelation[Establishment] = fields.ForeignKeyField(
        "models.Establishment", related_name="changes", on_delete=fields.CASCADE
    )
    establishment_id: int
    proposed: fields.JSONField[dict[str, Any]] = fields.JSONField(
        description="the profile fields as proposed"
    )
    status = fields.CharEnumField(ReviewStatus, max_length=10, default=ReviewStatus.PENDING)
    requested_by_id = fields.IntField()
    requested_at = fields.DatetimeField()
    reviewed_by_id = fields.IntField(null=True)
    reviewed_at = fields.DatetimeField(null=True)
    review_reason = fields.TextField(default="")

    class Meta:
        table = "establishment_change"
        indexes = (("establishment_id", "status"),)


class ImageFormat(StrEnum):
    JPEG = "JPEG"
    """JPEG形式 (JPEG, .jpg or .jpeg)"""
    PNG = "PNG"
    """PNG形式 (PNG, .png)"""
    GIF = "GIF"
    """GIF形式 (GIF, .gif)"""
    BMP = "BMP"
    """BMP形式 (bitmap, .bmp)"""


class EstablishmentImage(Model):
    """画像登録: a picture of the workplace or a product, shown once staff approve it.

    The bytes live under MEDIA_ROOT, named by their SHA-256, re-encoded without metadata.
    """

    id = fields.IntField(primary_key=True)
    establishment: fields.ForeignKeyRelation[Establishment] = fields.ForeignKeyField(
        "models.Establishment", related_name="images", on_delete=fields.CASCADE
    )
    establishment_id: int
    content_hash = fields.CharField(max_length=64)
    format = fields.CharEnumField(ImageFormat, max_length=4)
    width = fields.IntField()
    height = fields.IntField()
    size_bytes = fields.IntField()
    caption = fields.CharField(max_length=100, default="")
    position = fields.IntField(default=0)
    status = fields.CharEnumField(ReviewStatus, max_length=10, default=ReviewStatus.PENDING)
    uploaded_by_id = fields.IntField()
    uploaded_at = fields.DatetimeField()
    reviewed_by_id = fields.IntField(null=True)
    reviewed_at = fields.DatetimeField(null=True)
    review_reason = fields.TextField(default="")

    class Meta:
        table = "establishment_image"
        indexes = (("establishment_id", "position"),)


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
