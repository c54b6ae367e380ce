"""Job postings (求人), their history and the per-office posting number serial.

The posting's content follows the Hello Work posting form (求人票), in its groups:
求人区分, 仕事内容, 賃金・手当, 労働時間, 保険・年金・定年等, 求人PR, 選考方法.
"""

from enum import StrEnum
from typing import Any

from tortoise import fields
from tortoise.models import Model

from app.models.accounts import User
from app.models.establishments import Establishment
from app.models.offices import Office


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
    """仮登録"""
    SUBMITTED = "SUBMITTED"
    """提出 (waiting for staff review)"""
    ACTIVE = "ACTIVE"
    """有効中 (受理)"""
    RETURNED = "RETURNED"
    """修正依頼 (returned for correction)"""
    INVALID = "INVALID"
    """無効 (referral deadline passed, or recruiting stopped)"""


class WorkStyle(StrEnum):
    """フルタイム / パート."""

    FULL_TIME = "FULL_TIME"
    PART_TIME = "PART_TIME"


class EmploymentType(StrEnum):
    """雇用形態."""

    REGULAR = "REGULAR"
    """正社員"""
    NON_REGULAR = "NON_REGULAR"
    """正社員以外 (契約社員, 嘱託社員 …)"""
    DISPATCH = "DISPATCH"
    """派遣"""
    PART_TIMER = "PART_TIMER"
    """パート労働者"""


class EmploymentPeriod(StrEnum):
    """雇用期間."""

    INDEFINITE = "INDEFINITE"
    """雇用期間の定めなし"""
    FIXED_TERM = "FIXED_TERM"
    """雇用期間の定めあり"""


class WageForm(StrEnum):
    """賃金形態."""

    MONTHLY = "MONTHLY"
    """月給"""
    DAILY = "DAILY"
    """日給"""
    HOURLY = "HOURLY"
    """時給"""


class Insurance(StrEnum):
    """加入保険等, as ticked on the posting form."""

    EMPLOYMENT = "EMPLOYMENT"
    """雇用保険"""
    WORKERS_ACCIDENT = "WORKERS_ACCIDENT"
    """労災保険"""
    PUBLIC_SERVICE_ACCIDENT = "PUBLIC_SERVICE_ACCIDENT"
    """公務災害補償"""
    HEALTH = "HEALTH"
    """健康保険"""
    PENSION = "PENSION"
    """厚生年金"""
    ASSET_FORMATION = "ASSET_FORMATION"
    """財形"""


class WeeklyTwoDaysOff(StrEnum):
    """週休二日制."""

    EVERY_WEEK = "EVERY_WEEK"
    """毎週"""
    SOME_WEEKS = "SOME_WEEKS"
    """その他 (隔週など)"""
    NONE = "NONE"
    """なし"""


class PublicationRange(StrEnum):
    """公開範囲."""

    WITH_NAME = "WITH_NAME"
    """事業所名等を含む求人情報を公開する"""
    NAME_TO_SEEKERS_ONLY = "NAME_TO_SEEKERS_ONLY"
    """事業所名等を含む求人情報を求職者マイページを開設した求職者にのみ公開する"""
    WITHOUT_NAME = "WITHOUT_NAME"
    """事業所名等を含まない求人情報を公開する"""


class AgeLimitReason(StrEnum):
    """年齢制限の例外事由 (労働施策総合推進法施行規則第1条の3第1項)."""

    ITEM_1 = "ITEM_1"
    """1号: 定年年齢を上限として、その上限年齢未満の労働者を募集"""
    ITEM_2 = "ITEM_2"
    """2号: 法令の規定により年齢制限が設けられている"""
    ITEM_3_I = "ITEM_3_I"
    """3号イ: 長期勤続によるキャリア形成のため若年者等を募集"""
    ITEM_3_RO = "ITEM_3_RO"
    """3号ロ: 技能・ノウハウの継承のため特定の年齢層を募集"""
    ITEM_3_HA = "ITEM_3_HA"
    """3号ハ: 芸術・芸能の分野における表現の真実性等の要請"""
    ITEM_3_NI = "ITEM_3_NI"
    """3号ニ: 高年齢者等の雇用を促進する国の施策の対象者を募集"""


class PostingAction(StrEnum):
    """What a history entry records."""

    CREATED = "CREATED"
    SUBMITTED = "SUBMITTED"
    WITHDRAWN = "WITHDRAWN"
    ACCEPTED = "ACCEPTED"
    RETURNED = "RETURNED"
    STOPPED = "STOPPED"
    """募集停止"""
    EXPIRED = "EXPIRED"
    """紹介期限日の経過"""
    CHANGE_REQUESTED = "CHANGE_REQUESTED"
    CHANGE_ACCEPTED = "CHANGE_ACCEPTED"
    CHANGE_RETURNED = "CHANGE_RETURNED"
    RENEWAL_RESERVED = "RENEWAL_RESERVED"
    """有効中求人更新予約"""
    RENEWED = "RENEWED"
    """Created active from a reserved renewal."""
    REUSED = "REUSED"
    """転用: created as a draft from an earlier posting."""


# The names of the form's fields, as stored on `Posting` and in `Posting.pending_content`.
CONTENT_FIELDS = (
    # 求人区分
    "category",
    "work_style",
    "employment_type",
    "publication_range",
    "accepts_online_applications",
    # 仕事内容
    "job_title",
    "job_description",
    "workplace_postal_code",
    "workplace_prefecture",
    "workplace_address",
    "employment_period",
    "employment_period_detail",
    "number_to_hire",
    "required_experience",
    "required_licenses",
    "age_limit",
    "age_limit_reason",
    # 賃金・手当
    "wage_form",
    "base_wage_min",
    "base_wage_max",
    "allowances",
    "pay_day",
    # 労働時間
    "working_hours",
    "has_overtime",
    "overtime_detail",
    "annual_holidays",
    "weekly_two_days_off",
    "holidays_detail",
    # 保険・年金・定年等
    "insurances",
    "insurance",
    "retirement_age",
    # 求人PR
    "pr",
    # 選考方法
    "selection_method",
    "documents",
    "contact",
)


class Posting(Model):
    """A job posting of an establishment: the form's content and where it is in its life."""

    id = fields.IntField(primary_key=True)
    establishment: fields.ForeignKeyRelation[Establishment] = fields.ForeignKeyField(
        "models.Establishment", related_name="postings", on_delete=fields.RESTRICT
    )
    establishment_id: int
    status = fields.CharEnumField(PostingStatus, max_length=10, default=PostingStatus.DRAFT)

    # 求人区分
    category = fields.CharEnumField(PostingCategory, max_length=12)
    work_style = fields.CharEnumField(WorkStyle, max_length=10)
    employment_type = fields.CharEnumField(EmploymentType, max_length=12)
    publication_range = fields.CharEnumField(PublicationRange, max_length=21)
    accepts_online_applications = fields.BooleanField(description="オンライン自主応募の受付")

    # 仕事内容
    job_title = fields.CharField(max_length=50, description="職種")
    job_description = fields.TextField(description="仕事内容")
    workplace_postal_code = fields.CharField(max_length=8)
    workplace_prefecture = fields.CharField(max_length=4, description="就業場所の都道府県")
    workplace_address = fields.CharField(max_length=300, description="就業場所")
    employment_period = fields.CharEnumField(EmploymentPeriod, max_length=10)
    employment_period_detail = fields.CharField(max_length=200, default="")
    number_to_hire = fields.IntField(description="採用人数")
    required_experience = fields.CharField(max_length=300, default="", description="必要な経験等")
    required_licenses = fields.CharField(max_length=300, default="", description="必要な免許・資格")
    age_limit = fields.IntField(null=True, description="年齢制限: 上限年齢 (以下)")
    age_limit_reason = fields.CharEnumField(AgeLimitReason, max_length=10, null=True)

    # 賃金・手当
    wage_form = fields.CharEnumField(WageForm, max_length=10)
    base_wage_min = fields.IntField(description="基本給 下限 (円)")
    base_wage_max = fields.IntField(description="基本給 上限 (円)")
    allowances = fields.CharField(max_length=300, default="", description="手当")
    pay_day = fields.CharField(max_length=100, description="賃金締切日・支払日")

    # 労働時間
    working_hours = fields.CharField(max_length=300, description="就業時間")
    has_overtime = fields.BooleanField(description="時間外労働の有無")
    overtime_detail = fields.CharField(max_length=200, default="")
    annual_holidays = fields.IntField(description="年間休日数")
    weekly_two_days_off = fields.CharEnumField(WeeklyTwoDaysOff, max_length=10)
    holidays_detail = fields.CharField(max_length=200, default="", description="休日等")

    # 保険・年金・定年等
    insurances = fields.JSONField(default=list, description="加入保険等: Insurance values")
    insurance = fields.CharField(max_length=200, default="", description="その他の保険・制度")
    retirement_age = fields.IntField(null=True, description="定年年齢")

    # 求人PR
    pr = fields.TextField(default="", description="求人PR")

    # 選考方法
    selection_method = fields.CharField(max_length=200, description="選考方法")
    documents = fields.CharField(max_length=200, default="", description="応募書類等")
    contact = fields.CharField(max_length=200, description="担当者・連絡先")

    # Review and validity
    posting_number = fields.CharField(
        max_length=14, null=True, unique=True, description="求人番号 NNNNN-NNNNNNNN"
    )
    referral_deadline = fields.DateField(null=True, description="紹介期限日 (inclusive, Tokyo)")
    submitted_at = fields.DatetimeField(null=True)
    accepted_at = fields.DatetimeField(null=True)
    return_reason = fields.TextField(null=True, description="修正依頼の理由")
    stop_reason = fields.TextField(null=True, description="募集停止の理由")
    invalidated_at = fields.DatetimeField(null=True)
    pending_content: dict[str, Any] | None = fields.JSONField(
        null=True, description="A change to an active posting waiting for review"
    )
    change_requested_at = fields.DatetimeField(null=True)
    renewal_reserved_at = fields.DatetimeField(null=True, description="有効中求人更新予約")
    renewed_from: fields.ForeignKeyNullableRelation["Posting"] = fields.ForeignKeyField(
        "models.Posting", related_name="renewals", null=True, on_delete=fields.SET_NULL
    )
    renewed_from_id: int | None
    reused_from: fields.ForeignKeyNullableRelation["Posting"] = fields.ForeignKeyField(
        "models.Posting", related_name="reuses", null=True, on_delete=fields.SET_NULL
    )
    reused_from_id: int | None
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()

    class Meta:
        table = "posting"
        indexes = (
            ("establishment_id", "status", "category"),
            ("status", "referral_deadline"),
        )


class PostingEvent(Model):
    """One entry of a posting's history: who did what, when, from which status to which."""

    id = fields.IntField(primary_key=True)
    posting: fields.ForeignKeyRelation[Posting] = fields.ForeignKeyField(
        "models.Posting", related_name="events", on_delete=fields.CASCADE
    )
    posting_id: int
    action = fields.CharEnumField(PostingAction, max_length=20)
    actor: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="posting_events", null=True, on_delete=fields.RESTRICT
    )
    actor_id: int | None
    """None when the service itself acted (the referral deadline)."""
    from_status = fields.CharEnumField(PostingStatus, max_length=10, null=True)
    to_status = fields.CharEnumField(PostingStatus, max_length=10)
    reason = fields.TextField(null=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "posting_event"
        indexes = (("posting_id", "id"),)


class PostingNumberSerial(Model):
    """The last serial of the posting numbers an office has given out, one row per office."""

    id = fields.IntField(primary_key=True)
    office: fields.OneToOneRelation[Office] = fields.OneToOneField(
        "models.Office", related_name="posting_number_serial", on_delete=fields.CASCADE
    )
    office_id: int
    last_serial = fields.IntField(default=0)

    class Meta:
        table = "posting_number_serial"
