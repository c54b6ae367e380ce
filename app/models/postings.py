"""Job postings (求人)."""

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model

from app.models.establishments import Establishment


class PostingCategory(StrEnum):
    """求人区分."""

    GENERAL = "GENERAL"
    """一般"""
    GRADUATE = "GRADUATE"
    """新卒・既卒 (学卒)"""
    SEASONAL = "SEASONAL"
    """季節"""
    MIGRANT = "MIGRANT"
    """出稼ぎ"""
    DISABILITY = "DISABILITY"
    """障害者"""


class PostingStatus(StrEnum):
    DRAFT = "DRAFT"
    SUBMITTED = "SUBMITTED"
    ACTIVE = "ACTIVE"
    RETURNED = "RETURNED"
    INVALID = "INVALID"


class Posting(Model):
    """A job posting of an establishment."""

    id = fields.IntField(primary_key=True)
    establishment: fields.ForeignKeyRelation[Establishment] = fields.ForeignKeyField(
        "models.Establishment", related_name="postings", on_delete=fields.RESTRICT
    )
    establishment_id: int
    category = fields.CharEnumField(PostingCategory, max_length=12)
    status = fields.CharEnumField(PostingStatus, max_length=10, default=PostingStatus.DRAFT)
    number_to_hire = fields.IntField(description="採用人数")
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()

    class Meta:
        table = "posting"
        indexes = (("establishment_id", "status", "category"),)
