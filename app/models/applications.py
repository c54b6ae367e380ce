"""Applications (応募) of seekers to active postings, and their selection history."""

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model

from app.models.accounts import User
from app.models.establishments import Establishment
from app.models.postings import Posting


class ApplicationSource(StrEnum):
    REFERRAL = "REFERRAL"
    """ハローワークの紹介 (with a referral letter, 紹介状)"""
    ONLINE = "ONLINE"
    """オンライン自主応募 (also the answer to a direct request)"""


class ApplicationStatus(StrEnum):
    APPLIED = "APPLIED"
    """応募"""
    SCREENING = "SCREENING"
    """書類選考"""
    INTERVIEW = "INTERVIEW"
    """面接"""
    HIRED = "HIRED"
    """採用"""
    REJECTED = "REJECTED"
    """不採用"""
    WITHDRAWN = "WITHDRAWN"
    """辞退 (by the seeker)"""


class Application(Model):
    """A seeker's application to a posting, one per seeker and posting."""

    id = fields.IntField(primary_key=True)
    posting: fields.ForeignKeyRelation[Posting] = fields.ForeignKeyField(
        "models.Posting", related_name="applications", on_delete=fields.RESTRICT
    )
    posting_id: int
    establishment: fields.ForeignKeyRelation[Establishment] = fields.ForeignKeyField(
        "models.Establishment",
        related_name="applications",
        on_delete=fields.RESTRICT,
        description="the posting's, kept here so an establishment's applicants page by index",
    )
    establishment_id: int
    seeker: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="applications", on_delete=fields.RESTRICT
    )
    seeker_id: int
    source = fields.CharEnumField(ApplicationSource, max_length=10)
    status = fields.CharEnumField(ApplicationStatus, max_length=10)
    referral_letter_number = fields.CharField(max_length=30, null=True, description="紹介状番号")
    referral_note = fields.TextField(default="", description="紹介状の記載事項")
    hire_date = fields.DateField(null=True, description="採用日")
    conditions_differ = fields.BooleanField(default=False, description="求人票と異なる労働条件")
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()

    class Meta:
        table = "application"
        unique_together = (("posting", "seeker"),)
        indexes = (
            ("posting_id", "status"),
            ("establishment_id", "id"),
            ("establishment_id", "status", "id"),
        )


class ApplicationEvent(Model):
    """One change of an application's status (who, when, from, to, reason), kept forever."""

    id = fields.IntField(primary_key=True)
    application: fields.ForeignKeyRelation[Application] = fields.ForeignKeyField(
        "models.Application", related_name="events", on_delete=fields.RESTRICT
    )
    application_id: int
    actor: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="application_events", null=True, on_delete=fields.RESTRICT
    )
    actor_id: int | None
    from_status = fields.CharEnumField(ApplicationStatus, max_length=10, null=True)
    to_status = fields.CharEnumField(ApplicationStatus, max_length=10)
    reason = fields.TextField(default="")
    at = fields.DatetimeField()

    class Meta:
        table = "application_event"
        indexes = (("application_id", "id"),)
