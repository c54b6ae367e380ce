"""Applications (応募) to active postings: who applied, their documents, the selection and its
history, the results reported to Hello Work and told to the applicant, notes, interviews, and
the record of who read an applicant's personal data."""

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model

from app.models.accounts import User
from app.models.establishments import Establishment
from app.models.postings import Posting


class ApplicationSource(StrEnum):
    REFERRAL = "REFERRAL"
    """ハローワークの紹介 (referral by Hello Work, with a referral letter, 紹介状)"""
    ONLINE = "ONLINE"
    """オンライン自主応募 (online application; also the answer to a direct request)"""


class ApplicationStatus(StrEnum):
    APPLIED = "APPLIED"
    """応募 (applied): not looked at yet"""
    SCREENING = "SCREENING"
    """書類選考 (screening of the documents)"""
    INTERVIEW = "INTERVIEW"
    """面接 (interviewing)"""
    HIRED = "HIRED"
    """採用 (hired)"""
    REJECTED = "REJECTED"
    """不採用 (rejected)"""
    WITHDRAWN = "WITHDRAWN"
    """辞退 (withdrawn: by the seeker, or recorded by the employer or staff when declined by
    phone)"""


class ReportedResult(StrEnum):
    """選考結果登録: the result as reported to Hello Work."""

    HIRED = "HIRED"
    """採用 (hired), with the planned start date"""
    REJECTED = "REJECTED"
    """不採用 (rejected), with a reason"""
    WITHDRAWN = "WITHDRAWN"
    """応募者辞退 (the applicant withdrew)"""


class RejectionReason(StrEnum):
    """不採用の理由, the fixed list of the 選考結果登録 (free text beside it)."""

    SKILLS = "SKILLS"
    """必要な知識・技能・経験が不足 (lacks the knowledge, skills or experience needed)"""
    LICENSE = "LICENSE"
    """必要な免許・資格がない (lacks a licence or qualification needed)"""
    CONDITIONS = "CONDITIONS"
    """労働条件（賃金・時間・勤務地等）が合わない (the working conditions do not suit: wage,
    hours, place, …)"""
    APTITUDE = "APTITUDE"
    """適性が合わない (not suited to the work)"""
    FILLED = "FILLED"
    """他の応募者を採用（充足） (another applicant was hired: the post is filled)"""
    OTHER = "OTHER"
    """その他 (other: the reason is written in the note)"""


class NoticeMethod(StrEnum):
    """選考結果連絡: how the applicant was told the result."""

    MESSAGE = "MESSAGE"
    """メッセージ（求職者マイページ） (a message to the seeker's My Page, sent by the service)"""
    PHONE = "PHONE"
    """電話 (by phone)"""
    EMAIL = "EMAIL"
    """メール (by email, sent by the employer)"""
    POST = "POST"
    """郵送 (by post)"""
    IN_PERSON = "IN_PERSON"
    """面談 (in person)"""


# The Japanese words for each value, as Hello Work's pages, the CSV and the letters use them.
SOURCE_LABELS = {ApplicationSource.REFERRAL: "紹介", ApplicationSource.ONLINE: "オンライン自主応募"}
STATUS_LABELS = {
    ApplicationStatus.APPLIED: "応募",
    ApplicationStatus.SCREENING: "書類選考",
    ApplicationStatus.INTERVIEW: "面接",
    ApplicationStatus.HIRED: "採用",
    ApplicationStatus.REJECTED: "不採用",
    ApplicationStatus.WITHDRAWN: "辞退",
}
RESULT_LABELS = {
    ReportedResult.HIRED: "採用",
    ReportedResult.REJECTED: "不採用",
    ReportedResult.WITHDRAWN: "辞退",
}
REJECTION_LABELS = {
    RejectionReason.SKILLS: "必要な知識・技能・経験が不足",
    RejectionReason.LICENSE: "必要な免許・資格がない",
    RejectionReason.CONDITIONS: "労働条件（賃金・時間・勤務地等）が合わない",
    RejectionReason.APTITUDE: "適性が合わない",
    RejectionReason.FILLED: "他の応募者を採用（充足）",
    RejectionReason.OTHER: "その他",
}
NOTICE_LABELS = {
    NoticeMethod.MESSAGE: "メッセージ",
    NoticeMethod.PHONE: "電話",
    NoticeMethod.EMAIL: "メール",
    NoticeMethod.POST: "郵送",
    NoticeMethod.IN_PERSON: "面談",
}


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
    seeker: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User",
        related_name="applications",
        null=True,
        on_delete=fields.RESTRICT,
        description="null for a person without a My Page, referred at the counter (walk_in_*)",
    )
    seeker_id: int | None
    source = fields.CharEnumField(ApplicationSource, max_length=10)
    status = fields.CharEnumField(ApplicationStatus, max_length=10)
    referral_letter_number = fields.CharField(max_length=30, null=True, description="紹介状番号")
    referral_note = fields.TextField(default="", description="紹介状の記載事項")
    referred_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="referrals", null=True, on_delete=fields.RESTRICT
    )
    referred_by_id: int | None
    motivation = fields.TextField(default="", description="志望動機, of an online application")
    walk_in_name = fields.CharField(max_length=50, default="", description="氏名 (walk-in)")
    walk_in_kana = fields.CharField(max_length=50, default="", description="氏名カナ (walk-in)")
    walk_in_age = fields.IntField(null=True, description="年齢 at the referral (walk-in)")
    walk_in_phone = fields.CharField(max_length=20, default="", description="電話 (walk-in)")
    walk_in_email = fields.CharField(max_length=100, default="", description="メール (walk-in)")
    walk_in_prefecture = fields.CharField(max_length=10, default="", description="都道府県")
    walk_in_city = fields.CharField(max_length=50, default="", description="市区町村")
    reported_result = fields.CharEnumField(
        ReportedResult, max_length=10, null=True, description="選考結果登録 to Hello Work"
    )
    hire_date = fields.DateField(null=True, description="採用予定日 (入社日), reported with 採用")
    conditions_differ = fields.BooleanField(default=False, description="求人票と異なる労働条件")
    rejection_reason = fields.CharEnumField(RejectionReason, max_length=12, null=True)
    result_note = fields.TextField(default="", description="不採用理由等の記載")
    reported_at = fields.DatetimeField(null=True)
    reported_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="result_reports", null=True, on_delete=fields.RESTRICT
    )
    reported_by_id: int | None
    notified_at = fields.DatetimeField(null=True, description="選考結果連絡: when told")
    notified_method = fields.CharEnumField(NoticeMethod, max_length=10, null=True)
    notified_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="result_notices", null=True, on_delete=fields.RESTRICT
    )
    notified_by_id: int | None
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()

    @property
    def is_walk_in(self) -> bool:
        """Referred at the counter without a My Page: reachable by phone or mail only."""
        return self.seeker_id is None

    class Meta:
        table = "application"
        unique_together = (("posting", "seeker"),)
        indexes = (
            ("posting_id", "status"),
            ("establishment_id", "id"),
            ("establishment_id", "status", "id"),
            ("establishment_id", "reported_result", "id"),
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


class DocumentKind(StrEnum):
    RESUME = "RESUME"
    """履歴書 (résumé)"""
    CAREER_HISTORY = "CAREER_HISTORY"
    """職務経歴書 (career history)"""
    OTHER = "OTHER"
    """その他の応募書類 (another application document)"""


class DocumentFormat(StrEnum):
    PDF = "PDF"
    """PDF"""
    JPEG = "JPEG"
    """JPEG 画像 (JPEG image)"""
    PNG = "PNG"
    """PNG 画像 (PNG image)"""


class ApplicationDocument(Model):
    """A document (履歴書, 職務経歴書) the seeker attached: its bytes are stored once under
    DOCUMENT_ROOT, named by their hash, never in a served folder."""

    id = fields.IntField(primary_key=True)
    application: fields.ForeignKeyRelation[Application] = fields.ForeignKeyField(
        "models.Application", related_name="documents", on_delete=fields.RESTRICT
    )
    application_id: int
    kind = fields.CharEnumField(DocumentKind, max_length=20)
    file_format = fields.CharEnumField(DocumentFormat, max_length=10)
    file_name = fields.CharField(max_length=100, description="the name it was uploaded with")
    size = fields.IntField(description="bytes")
    content_hash = fields.CharField(max_length=64, description="sha256 of the bytes")
    uploaded_by: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="documents_uploaded", on_delete=fields.RESTRICT
    )
    uploaded_by_id: int
    uploaded_at = fields.DatetimeField()

    class Meta:
        table = "application_document"
        indexes = (("application_id", "id"),)


class ApplicationNote(Model):
    """An internal note on an application, for the establishment's logins only."""

    id = fields.IntField(primary_key=True)
    application: fields.ForeignKeyRelation[Application] = fields.ForeignKeyField(
        "models.Application", related_name="notes", on_delete=fields.RESTRICT
    )
    application_id: int
    author: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="application_notes", on_delete=fields.RESTRICT
    )
    author_id: int
    body = fields.TextField()
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()
    updated_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="application_notes_edited", null=True, on_delete=fields.RESTRICT
    )
    updated_by_id: int | None

    class Meta:
        table = "application_note"
        indexes = (("application_id", "id"),)


class Interview(Model):
    """An interview (面接) of an applicant: when, and where or the online link. A cancelled
    interview stays, with when and why."""

    id = fields.IntField(primary_key=True)
    application: fields.ForeignKeyRelation[Application] = fields.ForeignKeyField(
        "models.Application", related_name="interviews", on_delete=fields.RESTRICT
    )
    application_id: int
    establishment_id = fields.IntField(description="the application's, for the dashboards")
    starts_at = fields.DatetimeField()
    duration_minutes = fields.IntField()
    place = fields.CharField(max_length=200, default="", description="会場")
    online_url = fields.CharField(max_length=500, default="", description="オンライン面接のURL")
    note = fields.TextField(default="", description="持ち物等、応募者への連絡事項")
    scheduled_by: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="interviews_scheduled", on_delete=fields.RESTRICT
    )
    scheduled_by_id: int
    created_at = fields.DatetimeField()
    cancelled_at = fields.DatetimeField(null=True)
    cancel_reason = fields.TextField(default="")

    class Meta:
        table = "interview"
        indexes = (("application_id", "starts_at"), ("establishment_id", "starts_at"))


class PersonalDataKind(StrEnum):
    """What of an applicant's personal data was read."""

    CONTACT = "CONTACT"
    """氏名・連絡先 (name and contact: `Application.person`)"""
    DOCUMENT = "DOCUMENT"
    """応募書類 (a document downloaded)"""
    REFERRAL_LETTER = "REFERRAL_LETTER"
    """紹介状 (the referral letter's PDF)"""
    EXPORT = "EXPORT"
    """応募者一覧の出力 (an export of the applicants as CSV)"""


class PersonalDataAccess(Model):
    """One read of an applicant's personal data: who, when, which application, what.

    Appended and never changed: no code path updates or deletes a row, and the database
    refuses an UPDATE (a trigger, as for the audit trail). `office_id` says whose staff read it.
    """

    id = fields.BigIntField(primary_key=True)
    at = fields.DatetimeField()
    reader_id = fields.IntField(description="the login who read")
    office_id = fields.IntField()
    establishment_id = fields.IntField()
    application_id = fields.IntField(null=True, description="null for a whole-posting export")
    posting_id = fields.IntField(null=True)
    kind = fields.CharEnumField(PersonalDataKind, max_length=20)
    document_id = fields.IntField(null=True)

    class Meta:
        table = "personal_data_access"
        indexes = (("office_id", "id"), ("application_id", "id"))
