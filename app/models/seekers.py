"""Job seekers (求職者): their email-verified registration and their profile."""

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model

from app.models.accounts import User
from app.models.postings import EmploymentType, Posting, WorkStyle


class SeekerRegistrationStatus(StrEnum):
    PENDING = "PENDING"
    COMPLETED = "COMPLETED"
    VOID = "VOID"


class SeekerRegistration(Model):
    """A self-registration waiting for the mailed verification key."""

    id = fields.IntField(primary_key=True)
    email = fields.CharField(max_length=100, db_index=True)
    display_name = fields.CharField(max_length=50, default="", description="氏名, for the profile")
    password_hash = fields.CharField(max_length=100)
    verification_key_hash = fields.CharField(max_length=64)
    status = fields.CharEnumField(SeekerRegistrationStatus, max_length=10)
    failed_attempts = fields.IntField(default=0)
    created_at = fields.DatetimeField()
    expires_at = fields.DatetimeField()
    closed_at = fields.DatetimeField(null=True)

    class Meta:
        table = "seeker_registration"


class SeekerProfile(Model):
    """What a seeker tells employers about themselves, shown only when published (公開希望)."""

    id = fields.IntField(primary_key=True)
    user: fields.OneToOneRelation[User] = fields.OneToOneField(
        "models.User", related_name="seeker_profile", on_delete=fields.CASCADE
    )
    user_id: int
    display_name = fields.CharField(
        max_length=50, description="氏名: shown only to establishments the seeker applied to"
    )
    phone_number = fields.CharField(max_length=20, default="", description="電話番号")
    name_kana = fields.CharField(max_length=50, default="", description="氏名カナ")
    birth_date = fields.DateField(null=True, description="生年月日 (the age is shown)")
    prefecture = fields.CharField(max_length=10, default="", description="住所の都道府県")
    city = fields.CharField(max_length=50, default="", description="住所の市区町村")
    desired_job = fields.CharField(max_length=100, default="", description="希望職種")
    desired_prefecture = fields.CharField(max_length=10, default="", description="希望勤務地")
    desired_employment_type = fields.CharEnumField(EmploymentType, max_length=20, null=True)
    desired_work_style = fields.CharEnumField(WorkStyle, max_length=10, null=True)
    experience = fields.TextField(default="", description="職務経験")
    licenses = fields.TextField(default="", description="免許・資格")
    published = fields.BooleanField(default=False, description="公開希望")
    updated_at = fields.DatetimeField()

    class Meta:
        table = "seeker_profile"
        indexes = (("published", "desired_prefecture"),)


class SeekerRequest(Model):
    """A direct request (直接リクエスト): an establishment invites a seeker to one posting."""

    id = fields.IntField(primary_key=True)
    posting: fields.ForeignKeyRelation[Posting] = fields.ForeignKeyField(
        "models.Posting", related_name="seeker_requests", on_delete=fields.RESTRICT
    )
    posting_id: int
    seeker: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="requests_received", on_delete=fields.RESTRICT
    )
    seeker_id: int
    sent_by: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="requests_sent", on_delete=fields.RESTRICT
    )
    sent_by_id: int
    message = fields.TextField(default="")
    created_at = fields.DatetimeField()

    class Meta:
        table = "seeker_request"
        unique_together = (("posting", "seeker"),)
