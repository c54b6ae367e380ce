"""What the counter of an office works with besides postings: online pre-registrations of
establishments (事業所の仮登録) and the notices Hello Work sends to an establishment's inbox."""

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model

from app.models.accounts import User
from app.models.applications import Application
from app.models.establishments import Establishment
from app.models.offices import Office
from app.models.postings import Posting


class PreRegistrationStatus(StrEnum):
    UNVERIFIED = "UNVERIFIED"
    """未確認 (unverified): entered; the key mailed to the address has not been given back
    yet."""
    PENDING = "PENDING"
    """確認待ち (pending): the address is confirmed; waiting in the queue of the jurisdiction
    office."""
    CONFIRMED = "CONFIRMED"
    """本登録 (confirmed): staff confirmed it, the establishment and its first login exist."""
    REFUSED = "REFUSED"
    """お断り (refused): staff refused it, with a reason that was mailed."""
    VOID = "VOID"
    """無効 (void): the key ran out of tries or a newer entry for the same address replaced
    it."""


class EstablishmentPreRegistration(Model):
    """事業所の仮登録: an establishment Hello Work does not know yet, entered online.

    The office is the one whose jurisdiction holds the address's municipality. The key that
    confirms the address is stored hashed, with its tries. Nothing of it can be used before
    staff confirm it (本登録), which creates the establishment with its number.
    """

    id = fields.IntField(primary_key=True)
    office: fields.ForeignKeyRelation[Office] = fields.ForeignKeyField(
        "models.Office", related_name="pre_registrations", on_delete=fields.RESTRICT
    )
    office_id: int
    status = fields.CharEnumField(
        PreRegistrationStatus, max_length=10, default=PreRegistrationStatus.UNVERIFIED
    )
    name = fields.CharField(max_length=100, description="事業所名")
    name_kana = fields.CharField(max_length=200, description="事業所名（カナ）")
    postal_code = fields.CharField(max_length=8)
    prefecture = fields.CharField(max_length=4, description="都道府県")
    city = fields.CharField(max_length=50, description="市区町村")
    street = fields.CharField(max_length=200, description="町名番地・建物")
    phone_number = fields.CharField(max_length=20)
    industry = fields.CharField(max_length=100, description="産業（事業の内容）")
    employee_count = fields.IntField(description="従業員数")
    representative_title = fields.CharField(max_length=50, default="")
    representative_name = fields.CharField(max_length=50)
    contact_name = fields.CharField(max_length=50, description="担当者")
    contact_department = fields.CharField(max_length=50, default="", description="担当者の部署")
    contact_phone = fields.CharField(max_length=20, default="")
    email = fields.CharField(max_length=100, db_index=True, description="the first login's")
    key_hash = fields.CharField(max_length=64, description="the key that confirms the address")
    failed_attempts = fields.IntField(default=0)
    expires_at = fields.DatetimeField(description="the key's")
    closed_at = fields.DatetimeField(null=True, description="the key's: used or void")
    privacy_policy_version = fields.CharField(max_length=20)
    terms_of_use_version = fields.CharField(max_length=20)
    agreed_at = fields.DatetimeField()
    created_at = fields.DatetimeField()
    verified_at = fields.DatetimeField(null=True, description="entered the office's queue")
    reviewed_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User",
        related_name="pre_registrations_reviewed",
        null=True,
        on_delete=fields.RESTRICT,
    )
    reviewed_by_id: int | None
    reviewed_at = fields.DatetimeField(null=True)
    refusal_reason = fields.TextField(default="")
    review_note = fields.TextField(default="", description="what staff checked (by phone)")
    establishment: fields.ForeignKeyNullableRelation[Establishment] = fields.ForeignKeyField(
        "models.Establishment",
        related_name="pre_registrations",
        null=True,
        on_delete=fields.RESTRICT,
    )
    establishment_id: int | None

    class Meta:
        table = "establishment_pre_registration"
        indexes = (("office_id", "status", "verified_at"), ("email", "status"))


class NoticeKind(StrEnum):
    """What Hello Work tells the establishment (ハローワークからのお知らせ)."""

    POSTING_ACCEPTED = "POSTING_ACCEPTED"
    """求人の受理 (posting accepted): the posting is accepted and active."""
    POSTING_RETURNED = "POSTING_RETURNED"
    """求人の修正依頼 (posting returned): returned for correction, with the reason."""
    POSTING_CORRECTED = "POSTING_CORRECTED"
    """求人の軽微な修正 (posting corrected): staff corrected minor points of a submission."""
    COUNTER_REGISTRATION_DUE = "COUNTER_REGISTRATION_DUE"
    """本登録のお願い (counter registration due): 本登録 at the counter is due."""
    RESULT_REPORT_DUE = "RESULT_REPORT_DUE"
    """選考結果登録のお願い (result report due): a referral's result (採否) is to be reported."""
    LOGIN_EMAIL_RESET = "LOGIN_EMAIL_RESET"
    """ログインのメールアドレス変更 (login email reset): set by staff at the counter."""


class HelloWorkNotice(Model):
    """A notice in the establishment's inbox, beside its messages, read by any of its logins.

    `dedup_key` makes a notice that a periodic job writes (本登録 due, report due) exist once.
    """

    id = fields.IntField(primary_key=True)
    establishment: fields.ForeignKeyRelation[Establishment] = fields.ForeignKeyField(
        "models.Establishment", related_name="notices", on_delete=fields.RESTRICT
    )
    establishment_id: int
    kind = fields.CharEnumField(NoticeKind, max_length=30)
    posting: fields.ForeignKeyNullableRelation[Posting] = fields.ForeignKeyField(
        "models.Posting", related_name="notices", null=True, on_delete=fields.RESTRICT
    )
    posting_id: int | None
    application: fields.ForeignKeyNullableRelation[Application] = fields.ForeignKeyField(
        "models.Application", related_name="notices", null=True, on_delete=fields.RESTRICT
    )
    application_id: int | None
    title = fields.CharField(max_length=100)
    body = fields.TextField()
    due_on = fields.DateField(null=True, description="the day something is due, if any")
    sent_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="notices_sent", null=True, on_delete=fields.RESTRICT
    )
    sent_by_id: int | None
    """The staff member who acted, None when the service wrote it (due dates)."""
    dedup_key = fields.CharField(max_length=100, null=True, unique=True)
    created_at = fields.DatetimeField()
    read_at = fields.DatetimeField(null=True)
    read_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="notices_read", null=True, on_delete=fields.RESTRICT
    )
    read_by_id: int | None

    class Meta:
        table = "hello_work_notice"
        indexes = (("establishment_id", "id"), ("establishment_id", "read_at"))
