"""Job postings (求人), their history and the per-office posting number serial.

The posting's content is the Hello Work posting form (求人票), declared in
`app.models.posting_form`.
"""

from enum import StrEnum
from typing import Any

from tortoise import fields
from tortoise.models import Model

from app.models.accounts import User
from app.models.establishments import Establishment
from app.models.offices import Office

# The form's choices are declared with it; the migrations and the rest of the code import them
# from this module.
from app.models.posting_form import AgeLimitReason as AgeLimitReason
from app.models.posting_form import EmploymentPeriod as EmploymentPeriod
from app.models.posting_form import EmploymentType as EmploymentType
from app.models.posting_form import Insurance as Insurance
from app.models.posting_form import PostingCategory as PostingCategory
from app.models.posting_form import PostingFormColumns
from app.models.posting_form import PublicationRange as PublicationRange
from app.models.posting_form import WageForm as WageForm
from app.models.posting_form import WeeklyTwoDaysOff as WeeklyTwoDaysOff
from app.models.posting_form import WorkStyle as WorkStyle


class PostingStatus(StrEnum):
    DRAFT = "DRAFT"
    """一時保存 (draft): entered, not yet sent to Hello Work."""
    SUBMITTED = "SUBMITTED"
    """仮登録 (submitted): sent to Hello Work, waiting for review (and 本登録 where needed)."""
    ACTIVE = "ACTIVE"
    """有効中 (active): accepted (受理); open to referrals, searchable as its 公開範囲 allows."""
    RETURNED = "RETURNED"
    """修正依頼 (returned): staff returned it for correction; the employer rewrites it."""
    INVALID = "INVALID"
    """無効 (invalid): its referral deadline passed, or recruiting stopped."""


class PostingAction(StrEnum):
    """What a history entry records."""

    CREATED = "CREATED"
    """作成 (created): a new draft, entered by the employer or by staff (代理入力)."""
    SUBMITTED = "SUBMITTED"
    """仮登録 (submitted): sent to Hello Work."""
    WITHDRAWN = "WITHDRAWN"
    """取り下げ (withdrawn): the employer took the submission back to draft."""
    ACCEPTED = "ACCEPTED"
    """受理 (accepted): staff accepted it; it is active."""
    RETURNED = "RETURNED"
    """修正依頼 (returned): staff returned it for correction."""
    STOPPED = "STOPPED"
    """募集停止 (stopped): the employer stopped recruiting; it is invalid."""
    EXPIRED = "EXPIRED"
    """紹介期限日の経過 (expired): its referral deadline passed; it is invalid."""
    CHANGE_REQUESTED = "CHANGE_REQUESTED"
    """変更申請 (change requested): the employer proposed a change to the active posting."""
    CHANGE_ACCEPTED = "CHANGE_ACCEPTED"
    """変更の受理 (change accepted): staff accepted the change; the posting shows it."""
    CHANGE_RETURNED = "CHANGE_RETURNED"
    """変更の差し戻し (change returned): staff refused the change; the posting stays as it was."""
    RENEWAL_RESERVED = "RENEWAL_RESERVED"
    """有効中求人更新予約 (renewal reserved): the employer reserved the renewal."""
    RENEWED = "RENEWED"
    """更新 (renewed): created active from a reserved renewal."""
    REUSED = "REUSED"
    """転用 (reused): created as a draft from an earlier posting."""
    COUNTER_CONFIRMED = "COUNTER_CONFIRMED"
    """本登録 (counter registration done): the employer came to the counter; staff marked it."""
    LAPSED = "LAPSED"
    """仮登録の失効 (lapsed): 本登録 was not done by its due date; back to draft."""
    RENEWAL_ACCEPTED = "RENEWAL_ACCEPTED"
    """更新予約の受理 (renewal accepted): it becomes active at the deadline."""
    RENEWAL_RETURNED = "RENEWAL_RETURNED"
    """更新予約の差し戻し (renewal returned): staff refused it; the posting ends at its deadline."""
    CORRECTED = "CORRECTED"
    """軽微な修正 (corrected): staff corrected minor points of the submission (`changes`)."""


class CounterRegistrationReason(StrEnum):
    """Why a submission needs 本登録 at the counter within 14 days."""

    FIRST_POSTING = "FIRST_POSTING"
    """初めての求人 (first posting): the establishment's first posting through My Page."""
    FIRST_DISABILITY_POSTING = "FIRST_DISABILITY_POSTING"
    """初めての障害者求人 (first disability posting): for disabled people only."""
    FIRST_TRIAL_EMPLOYMENT = "FIRST_TRIAL_EMPLOYMENT"
    """初めてのトライアル雇用 (first trial employment): its first posting with one."""
    NO_POSTING_FOR_A_YEAR = "NO_POSTING_FOR_A_YEAR"
    """1年以上求人なし (no posting for a year): none of it has been active for a year."""
    DISPATCH_OR_CONTRACTING = "DISPATCH_OR_CONTRACTING"
    """派遣・請負 (dispatch or contracting): a posting for either."""


class Posting(Model, PostingFormColumns):
    """A job posting of an establishment: the form's content and where it is in its life."""

    id = fields.IntField(primary_key=True)
    establishment: fields.ForeignKeyRelation[Establishment] = fields.ForeignKeyField(
        "models.Establishment", related_name="postings", on_delete=fields.RESTRICT
    )
    establishment_id: int
    status = fields.CharEnumField(PostingStatus, max_length=10, default=PostingStatus.DRAFT)
    entered_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="postings_entered", null=True, on_delete=fields.RESTRICT
    )
    entered_by_id: int | None
    """The staff member who entered it from a paper 求人申込書; None when the employer did."""
    # The form's items are columns from `PostingFormColumns`.

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
    renewal_content: dict[str, Any] | None = fields.JSONField(
        null=True, description="The content a reserved renewal will have, as reviewed by staff"
    )
    renewal_accepted_at = fields.DatetimeField(
        null=True, description="Staff accepted the reserved renewal"
    )
    counter_registration_reasons: list[str] = fields.JSONField(
        default=list, description="Why 本登録 at the counter is needed: CounterRegistrationReason"
    )
    counter_registration_due_on = fields.DateField(
        null=True, description="本登録の期限: 14 days after 仮登録, back to an opening day"
    )
    counter_registration_confirmed_at = fields.DatetimeField(
        null=True, description="本登録: when staff marked it done"
    )
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
    changes: list[dict[str, Any]] | None = fields.JSONField(
        null=True, description="what a correction changed: field, label, before, after"
    )
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
