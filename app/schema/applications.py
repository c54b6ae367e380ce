"""Applications (応募) and the selection (応募者管理): the employer's applicants and who they
are, the seeker's own applications, referrals by staff (walk-ins too), every status change, the
result reported to Hello Work and told to the applicant, the reports due and the counts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Annotated, Self, TypeVar

import strawberry
from strawberry import relay

import app.schema.describe as describe
from app import models
from app.errors import UserErrors
from app.models import applications as enums
from app.models.accounts import Portal as PortalEnum
from app.print_routes import referral_letter_path
from app.resolvers import applicants, applications, results
from app.resolvers.applicants import Person
from app.resolvers.paging import Page, empty_page
from app.schema.accounts import Portal
from app.schema.context import Info
from app.schema.dataloaders import ApplicationHistoryRow
from app.schema.documents import ApplicationDocument
from app.schema.errors import ERRORS, UserError, run_change, user_errors
from app.schema.establishments import Establishment
from app.schema.interviews import (
    ApplicationNote,
    Interview,
    interviews_of_application,
    notes_of_application,
)
from app.schema.nodes import MAX_BIGINT_ID, decode_id, visible_to_viewer
from app.schema.paging import (
    After,
    Before,
    Connection,
    Edge,
    First,
    Last,
    connection,
    cursor_number,
    cursor_parts,
    encode_cursor,
    id_window,
    window,
)
from app.schema.permissions import IsEmployer, IsSeeker, IsStaff
from app.schema.postings import Posting, PostingSearchResult, posting_items
from app.schema.seekers import PROFILE_TYPE, ApplicantProfile, posting_summary

describe.enum(
    enums.ApplicationStatus,
    description=(
        "選考状況 (selection status) of an application: APPLIED → SCREENING → INTERVIEW, then "
        "a result (HIRED or REJECTED) at any stage, or WITHDRAWN before one."
    ),
)
ApplicationStatus = enums.ApplicationStatus
describe.enum(
    enums.ReportedResult,
    description="選考結果 (the result) as reported to Hello Work (選考結果登録).",
)
ReportedResult = enums.ReportedResult
describe.enum(
    enums.RejectionReason,
    description="不採用の理由 (reason for rejection): the fixed list of the 選考結果登録.",
)
RejectionReason = enums.RejectionReason
describe.enum(
    enums.NoticeMethod,
    description="選考結果連絡の方法 (how the applicant was told the result).",
)
NoticeMethod = enums.NoticeMethod
describe.enum(
    enums.ApplicationSource,
    description="応募の経路 (how the application came): a referral or an online application.",
)
ApplicationSource = enums.ApplicationSource

_CURSOR = "application"
STATUS_CHANGE_TYPE = "ApplicationStatusChange"


@strawberry.type(
    description=(
        "選考状況の変更 (one status change of an application): who, when, from, to and why; "
        "kept forever. Seen by whoever sees the application."
    )
)
class ApplicationStatusChange:
    id: strawberry.ID = strawberry.field(
        description="Global ID of the change (opaque), a key for caches; not a `node`."
    )
    actor_portal: Portal | None = strawberry.field(
        description="Who acted: the employer, the seeker, or staff (a referral)."
    )
    at: dt.datetime = strawberry.field(description="変更日時 (when the status changed).")
    from_status: ApplicationStatus | None = strawberry.field(
        description="The status before; null for the application's arrival."
    )
    to_status: ApplicationStatus = strawberry.field(description="The status after.")
    reason: str = strawberry.field(
        description="理由 (reason) given with the change; empty when none was given."
    )

    @classmethod
    def from_row(cls, row: ApplicationHistoryRow) -> Self:
        return cls(
            id=strawberry.ID(relay.to_base64(STATUS_CHANGE_TYPE, row["id"])),
            actor_portal=row["actor_portal"],
            at=row["at"],
            from_status=row["from_status"],
            to_status=row["to_status"],
            reason=row["reason"],
        )


@strawberry.type(
    description=(
        "Who applied (応募者): name, age, address and contact, personal data shown only to the "
        "establishment of the posting applied to and to staff of its office; every read is "
        "recorded (`personalDataAccessLog`)."
    )
)
class ApplicantPerson:
    name: str = strawberry.field(description="氏名.")
    kana: str = strawberry.field(description="氏名カナ; empty when not given.")
    age: int | None = strawberry.field(
        description="年齢 today (a walk-in: as entered at the referral); null when not given."
    )
    prefecture: str = strawberry.field(description="住所の都道府県; empty when not given.")
    city: str = strawberry.field(description="住所の市区町村; empty when not given.")
    phone: str = strawberry.field(description="電話番号; empty when not given.")
    email: str = strawberry.field(description="メールアドレス; empty when not given.")
    has_my_page: bool = strawberry.field(
        description=(
            "False for a person referred at the counter without a My Page: reachable by phone "
            "or mail only, never by message."
        )
    )

    @classmethod
    def of(cls, person: Person) -> Self:
        return cls(
            name=person.name,
            kana=person.kana,
            age=person.age,
            prefecture=person.prefecture,
            city=person.city,
            phone=person.phone,
            email=person.email,
            has_my_page=person.has_my_page,
        )


@strawberry.type(
    description=(
        "選考結果登録 (result report): the result as reported to Hello Work; part of its "
        "application."
    )
)
class ApplicationResultReport:
    result: ReportedResult = strawberry.field(description="選考結果 (the result reported).")
    hire_date: dt.date | None = strawberry.field(description="採用予定日 (入社日), for HIRED.")
    conditions_differ: bool = strawberry.field(
        description="HIRED on conditions that differ from the posting (求人票と異なる労働条件)."
    )
    rejection_reason: RejectionReason | None = strawberry.field(description="For REJECTED.")
    note: str = strawberry.field(description="記載事項 (the text beside the reason).")
    reported_at: dt.datetime | None = strawberry.field(
        description="Null for a result reported before this record was kept."
    )
    reported_by_portal: Portal | None = strawberry.field(
        description="EMPLOYER, or STAFF for a report the employer phoned in."
    )


@strawberry.type(
    description=(
        "選考結果連絡 (result notice): when and how the applicant was told the result; part "
        "of its application."
    )
)
class ApplicationResultNotice:
    method: NoticeMethod = strawberry.field(description="連絡方法 (how the applicant was told).")
    notified_at: dt.datetime = strawberry.field(
        description="連絡日時 (when told): the message's time, or the time the employer gave."
    )


@strawberry.type(
    description=(
        "応募 (application): a seeker's application to a posting, by referral or online. Seen "
        "(`node` too) by the establishment of the posting, the seeker and staff of the "
        "establishment's office."
    )
)
class Application(relay.Node):
    id: relay.NodeID[int]
    status: ApplicationStatus = strawberry.field(description="選考状況 (selection status).")
    source: ApplicationSource = strawberry.field(
        description="応募の経路 (source): a referral or an online application."
    )
    referral_letter_number: str | None = strawberry.field(
        description="紹介状番号 (referral letter number), for referrals; null otherwise."
    )
    referral_note: str = strawberry.field(
        description="紹介状の記載事項 (the referral letter's note), for referrals; else empty."
    )
    created_at: dt.datetime = strawberry.field(description="応募日時 (when it arrived).")
    updated_at: dt.datetime = strawberry.field(
        description=(
            "更新日時 (updated at): the last change of its status, result report or result "
            "notice; `createdAt` until then."
        )
    )
    posting_pk: strawberry.Private[int]
    seeker_id: strawberry.Private[int | None]
    row: strawberry.Private[models.Application]

    @classmethod
    def from_model(cls, application: models.Application) -> Self:
        return cls(
            id=application.id,
            status=application.status,
            source=application.source,
            referral_letter_number=application.referral_letter_number,
            referral_note=application.referral_note,
            created_at=application.created_at,
            updated_at=application.updated_at,
            posting_pk=application.posting_id,
            seeker_id=application.seeker_id,
            row=application,
        )

    def _seen_by_the_seeker(self, info: Info) -> bool:
        user = info.context.viewer.user
        return user is not None and user.portal == PortalEnum.SEEKER

    @strawberry.field(
        description=(
            "Who applied: name, kana, age, address and contact. For the establishment of the "
            "posting and staff of its office only (null for anyone else, the seeker included); "
            "each read is recorded."
        )
    )
    async def person(self, info: Info) -> ApplicantPerson | None:
        person = await info.context.loaders.person_by_application_id.load(self.id)
        return ApplicantPerson.of(person) if person is not None else None

    @strawberry.field(description="False for a walk-in referred without a My Page: no messages.")
    def has_my_page(self) -> bool:
        return self.seeker_id is not None

    @strawberry.field(
        description="志望動機, given with an online application (up to 1,000 characters)."
    )
    def motivation(self) -> str:
        return self.row.motivation

    @strawberry.field(
        description=(
            "選考結果登録: the result reported to Hello Work; null until reported, and for the "
            "seeker (they see `status`)."
        )
    )
    async def result_report(self, info: Info) -> ApplicationResultReport | None:
        row = self.row
        if row.reported_result is None or self._seen_by_the_seeker(info):
            return None
        reporter = (
            await info.context.loaders.user_by_id.load(row.reported_by_id)
            if row.reported_by_id is not None
            else None
        )
        return ApplicationResultReport(
            result=row.reported_result,
            hire_date=row.hire_date,
            conditions_differ=row.conditions_differ,
            rejection_reason=row.rejection_reason,
            note=row.result_note,
            reported_at=row.reported_at,
            reported_by_portal=reporter.portal if reporter is not None else None,
        )

    @strawberry.field(description="選考結果連絡: when and how the applicant was told; null before.")
    def result_notice(self) -> ApplicationResultNotice | None:
        row = self.row
        if row.notified_at is None or row.notified_method is None:
            return None
        return ApplicationResultNotice(method=row.notified_method, notified_at=row.notified_at)

    @strawberry.field(
        description=(
            "The first day the result can no longer be reported or changed (the day after the "
            "end of the third month after the posting became invalid); null while it is valid."
        )
    )
    async def result_locked_from(self, info: Info) -> dt.date | None:
        posting = await info.context.loaders.posting(self.posting_pk)
        if posting.invalidated_at is None:
            return None
        return applications.result_locked_from(posting.invalidated_at)

    @strawberry.field(
        description=(
            "The documents the seeker attached (履歴書, 職務経歴書), oldest first; each "
            "download by the establishment or its office's staff is recorded."
        )
    )
    async def documents(self, info: Info) -> list[ApplicationDocument]:
        found = await info.context.loaders.documents_by_application_id.load(self.id)
        return [ApplicationDocument.from_model(document) for document in found]

    @strawberry.field(
        description=(
            "The 紹介状 of a referral as a PDF (GET, with the session): for the establishment "
            "and its office's staff; null for an online application and for the seeker."
        )
    )
    def referral_letter_pdf_url(self, info: Info) -> str | None:
        if self.source is not ApplicationSource.REFERRAL or self._seen_by_the_seeker(info):
            return None
        return referral_letter_path(relay.to_base64("Application", self.id))

    @strawberry.field(
        description=(
            "Internal notes (社内メモ), newest first: for the establishment's logins only, "
            "never the seeker or staff (empty for them)."
        )
    )
    async def notes(self, info: Info) -> list[ApplicationNote]:
        return await notes_of_application(
            info, application_id=self.id, establishment_id=self.row.establishment_id
        )

    @strawberry.field(description="Interviews (面接), soonest first, cancelled ones included.")
    async def interviews(self, info: Info) -> list[Interview]:
        return await interviews_of_application(info, self.id)

    @strawberry.field(
        description="採用予定日, from the result report.",
        deprecation_reason="Read `resultReport.hireDate`.",
    )
    def hire_date(self, info: Info) -> dt.date | None:
        return None if self._seen_by_the_seeker(info) else self.row.hire_date

    @strawberry.field(
        description="From the result report.",
        deprecation_reason="Read `resultReport.conditionsDiffer`.",
    )
    def conditions_differ(self, info: Info) -> bool:
        return False if self._seen_by_the_seeker(info) else self.row.conditions_differ

    @strawberry.field(
        description=(
            "The posting, for its establishment's employers and its office's staff; null for "
            "the seeker, who reads `postingSummary`."
        )
    )
    async def posting(self, info: Info) -> Posting | None:
        user = info.context.viewer.user
        if user is None or user.portal == PortalEnum.SEEKER:
            return None
        # A page of applications shows a title or two of each posting's form: only those read.
        items = posting_items(info)
        return Posting.from_model(await info.context.loaders.posting(self.posting_pk, items))

    @strawberry.field(description="The posting as job seekers see it (公開範囲 applied).")
    async def posting_summary(self, info: Info) -> PostingSearchResult:
        return await posting_summary(info, self.posting_pk)

    @strawberry.field(
        description=(
            "The applicant's search profile, anonymised (as seeker search shows it); null for a "
            "walk-in without a My Page. Who applied is `person`."
        )
    )
    async def applicant(self, info: Info) -> ApplicantProfile | None:
        if self.seeker_id is None:
            return None
        profile = await info.context.loaders.seeker_profile_by_user_id.load(self.seeker_id)
        return ApplicantProfile.from_model(profile) if profile is not None else None

    @strawberry.field(description="Every status change, oldest first.")
    async def status_history(self, info: Info) -> list[ApplicationStatusChange]:
        loader = info.context.loaders.application_events_by_application_id
        return [ApplicationStatusChange.from_row(row) for row in await loader.load(self.id)]

    resolve_nodes = visible_to_viewer(applications.visible_applications)


@strawberry.type(description="A page of applications (応募), with how many the list holds.")
class ApplicationConnection(Connection[Edge[Application]]):
    pass


def _edge(item: models.Application) -> Edge[Application]:
    return Edge(cursor=encode_cursor(_CURSOR, item.id), node=Application.from_model(item))


def _connection(page: Page[models.Application]) -> ApplicationConnection:
    return connection(ApplicationConnection, page, _edge)


@strawberry.type
class ApplicationQuery:
    @strawberry.field(
        description="Employer: the applicants to the establishment's postings, newest first.",
        permission_classes=[IsEmployer],
    )
    async def applications(
        self,
        info: Info,
        posting_id: Annotated[
            relay.GlobalID | None,
            strawberry.argument(
                description=(
                    "Only the applicants of this posting (a `Posting` ID of the establishment); "
                    "one of another establishment lists nothing."
                )
            ),
        ] = None,
        status: Annotated[
            ApplicationStatus | None,
            strawberry.argument(description="Only the applicants in this 選考状況 (status)."),
        ] = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> ApplicationConnection:
        viewer = info.context.viewer
        page_window = id_window(_CURSOR, first, after, last, before)
        posting_pk = None
        if posting_id is not None:
            posting_pk = _id_or_nothing(posting_id, "Posting")
            if posting_pk is None:
                return _connection(empty_page())
        page = await applications.establishment_applications(
            viewer, posting_id=posting_pk, status=status, window=page_window
        )
        return _connection(page)

    @strawberry.field(description="Seeker: their own applications, newest first.")
    async def my_applications(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> ApplicationConnection:
        page_window = id_window(_CURSOR, first, after, last, before)
        page = await applications.my_applications(info.context.viewer, window=page_window)
        return _connection(page)

    @strawberry.field(
        description=(
            "Employer: every applicant of the establishment whose result is not reported to "
            "Hello Work, oldest first. Staff: the same across their office, establishment by "
            "establishment (`establishmentId` for one). Each with the days left before the "
            "report locks."
        )
    )
    async def result_reports_due(
        self,
        info: Info,
        establishment_id: Annotated[
            relay.GlobalID | None,
            strawberry.argument(
                description=(
                    "Staff: only this establishment of their office (an `Establishment` ID); "
                    "one of another office lists nothing. Ignored for an employer."
                )
            ),
        ] = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> ResultReportDueConnection:
        page_window = window(first, after, last, before, _due_position)
        establishment_pk = None
        if establishment_id is not None:
            establishment_pk = _id_or_nothing(establishment_id, "Establishment")
            if establishment_pk is None:
                return connection(ResultReportDueConnection, empty_page(), _due_edge)
        ctx = info.context
        page = await results.result_reports_due(
            ctx.rt, ctx.viewer, establishment_id=establishment_pk, window=page_window
        )
        today = ctx.rt.clock.today()
        return connection(ResultReportDueConnection, page, lambda item: _due_edge(item, today))

    @strawberry.field(
        description=(
            "Employer: the applicants of each posting (or of `postingId`) per status, and how "
            "many have no reported result; newest posting first."
        ),
        permission_classes=[IsEmployer],
    )
    async def application_counts(
        self,
        info: Info,
        posting_id: Annotated[
            relay.GlobalID | None,
            strawberry.argument(
                description=(
                    "Only this posting (a `Posting` ID of the establishment); one of another "
                    "establishment counts nothing (an empty list)."
                )
            ),
        ] = None,
    ) -> list[ApplicationCounts]:
        posting_pk = None
        if posting_id is not None:
            posting_pk = _id_or_nothing(posting_id, "Posting")
            if posting_pk is None:
                return []
        counts = await applications.application_counts(info.context.viewer, posting_id=posting_pk)
        return [ApplicationCounts.of(item) for item in counts]

    @strawberry.field(
        description=(
            "Staff: every read of an applicant's personal data (contact, documents, 紹介状, "
            "exports) for their office, newest first; `applicationId` for one application."
        ),
        permission_classes=[IsStaff],
    )
    async def personal_data_access_log(
        self,
        info: Info,
        application_id: Annotated[
            relay.GlobalID | None,
            strawberry.argument(
                description=(
                    "Only the reads of this application (an `Application` ID); one of another "
                    "office lists nothing."
                )
            ),
        ] = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> PersonalDataAccessConnection:
        page_window = id_window(_ACCESS_CURSOR, first, after, last, before, MAX_BIGINT_ID)
        application_pk = None
        if application_id is not None:
            application_pk = _id_or_nothing(application_id, "Application")
            if application_pk is None:
                return connection(PersonalDataAccessConnection, empty_page(), _access_edge)
        page = await applicants.access_log(
            info.context.viewer, application_id=application_pk, window=page_window
        )
        return connection(PersonalDataAccessConnection, page, _access_edge)


def _id_or_nothing(global_id: relay.GlobalID, type_name: str) -> int | None:
    try:
        return decode_id(global_id, type_name, "id")
    except UserErrors:
        return None


_DUE_CURSOR = "report-due"
_ACCESS_CURSOR = "personal-data-access"
REPORT_DUE_TYPE = "ResultReportDue"


def _due_position(cursor: str) -> results.DuePosition:
    """The (establishment id, application id) a cursor of the reports due holds."""
    establishment_part, application_part = cursor_parts(cursor, _DUE_CURSOR, 2)
    return cursor_number(establishment_part), cursor_number(application_part)


@strawberry.type(
    description=(
        "選考結果の報告待ち (a result report due): an applicant whose result is not reported "
        "to Hello Work yet, and until when it can be."
    )
)
class ResultReportDue:
    id: strawberry.ID = strawberry.field(
        description=(
            "Global ID of the report due (opaque), a key for caches: one per application; not "
            "a `node`."
        )
    )
    application: Application = strawberry.field(description="The application to report on.")
    locked_from: dt.date | None = strawberry.field(
        description="The first day the report is refused; null while the posting is valid."
    )
    days_left: int | None = strawberry.field(
        description="Days left to report, today included (0 once locked); null while valid."
    )
    establishment_pk: strawberry.Private[int]

    @strawberry.field(description="The applied posting's establishment (for staff).")
    async def establishment(self, info: Info) -> Establishment:
        return Establishment.from_model(
            await info.context.loaders.establishment_by_id.load(self.establishment_pk)
        )


@strawberry.type(
    description="A page of result reports due (報告待ち), with how many the list holds."
)
class ResultReportDueConnection(Connection[Edge[ResultReportDue]]):
    pass


def _due_edge(item: results.ReportDue, today: dt.date | None = None) -> Edge[ResultReportDue]:
    row = item.application
    days_left = None
    if item.locked_from is not None and today is not None:
        days_left = max((item.locked_from - today).days, 0)
    return Edge(
        cursor=encode_cursor(_DUE_CURSOR, row.establishment_id, row.id),
        node=ResultReportDue(
            id=strawberry.ID(relay.to_base64(REPORT_DUE_TYPE, row.id)),
            application=Application.from_model(row),
            locked_from=item.locked_from,
            days_left=days_left,
            establishment_pk=row.establishment_id,
        ),
    )


@strawberry.type(
    description=(
        "応募者数 (applicant counts) of one posting, per status; for the establishment's employers."
    )
)
class ApplicationCounts:
    id: strawberry.ID = strawberry.field(
        description=(
            "Global ID of the posting's counts (opaque), a key for caches: one per posting; "
            "not a `node`."
        )
    )
    posting_pk: strawberry.Private[int]
    applied: int = strawberry.field(description="応募 (applied): how many are APPLIED.")
    screening: int = strawberry.field(description="書類選考 (screening): how many are SCREENING.")
    interview: int = strawberry.field(description="面接 (interview): how many are INTERVIEW.")
    hired: int = strawberry.field(description="採用 (hired): how many are HIRED.")
    rejected: int = strawberry.field(description="不採用 (rejected): how many are REJECTED.")
    withdrawn: int = strawberry.field(description="辞退 (withdrawn): how many are WITHDRAWN.")
    total: int = strawberry.field(description="応募者数 (applicants): all of them, any status.")
    unreported: int = strawberry.field(
        description="選考結果未報告 (unreported): how many have no result reported to Hello Work."
    )

    @classmethod
    def of(cls, counts: applications.Counts) -> Self:
        by = counts.by_status
        return cls(
            id=strawberry.ID(relay.to_base64(COUNTS_TYPE, counts.posting_id)),
            posting_pk=counts.posting_id,
            applied=by.get(ApplicationStatus.APPLIED, 0),
            screening=by.get(ApplicationStatus.SCREENING, 0),
            interview=by.get(ApplicationStatus.INTERVIEW, 0),
            hired=by.get(ApplicationStatus.HIRED, 0),
            rejected=by.get(ApplicationStatus.REJECTED, 0),
            withdrawn=by.get(ApplicationStatus.WITHDRAWN, 0),
            total=counts.total,
            unreported=counts.unreported,
        )

    @strawberry.field(description="The posting counted.")
    async def posting(self, info: Info) -> Posting:
        return Posting.from_model(await info.context.loaders.posting(self.posting_pk))


COUNTS_TYPE = "ApplicationCounts"

describe.enum(
    enums.PersonalDataKind,
    description="閲覧した個人情報の種類 (what of an applicant's personal data was read).",
)
PersonalDataKind = enums.PersonalDataKind


@strawberry.type(
    description=(
        "個人情報の閲覧記録 (one read of an applicant's personal data): who, when, which, what; "
        "never changed. Seen (`node` too) by staff of the office of the establishment read."
    )
)
class PersonalDataAccess(relay.Node):
    id: relay.NodeID[int]
    at: dt.datetime = strawberry.field(description="閲覧日時 (when it was read).")
    kind: PersonalDataKind = strawberry.field(description="What was read.")
    reader_pk: strawberry.Private[int]
    application_pk: strawberry.Private[int | None]
    posting_pk: strawberry.Private[int | None]
    document_pk: strawberry.Private[int | None]

    @strawberry.field(description="メールアドレス of the login who read (its address now).")
    async def reader_email(self, info: Info) -> str | None:
        user = await info.context.loaders.user_by_id.load(self.reader_pk)
        return user.email if user is not None else None

    @strawberry.field(description="Which side the reader is on: EMPLOYER or STAFF.")
    async def reader_portal(self, info: Info) -> Portal | None:
        user = await info.context.loaders.user_by_id.load(self.reader_pk)
        return user.portal if user is not None else None

    @strawberry.field(description="The application read; null for a whole export.")
    def application_id(self) -> relay.GlobalID | None:
        if self.application_pk is None:
            return None
        return relay.GlobalID("Application", str(self.application_pk))

    @strawberry.field(description="The posting exported; null otherwise.")
    def posting_id(self) -> relay.GlobalID | None:
        if self.posting_pk is None:
            return None
        return relay.GlobalID("Posting", str(self.posting_pk))

    @strawberry.field(description="The document downloaded; null otherwise.")
    def document_id(self) -> relay.GlobalID | None:
        if self.document_pk is None:
            return None
        return relay.GlobalID("ApplicationDocument", str(self.document_pk))

    @classmethod
    def from_model(cls, row: models.PersonalDataAccess) -> Self:
        return cls(
            id=row.id,
            at=row.at,
            kind=row.kind,
            reader_pk=row.reader_id,
            application_pk=row.application_id,
            posting_pk=row.posting_id,
            document_pk=row.document_id,
        )

    resolve_nodes = visible_to_viewer(applicants.visible_reads, MAX_BIGINT_ID)


@strawberry.type(
    description="A page of reads of personal data (閲覧記録), with how many the list holds."
)
class PersonalDataAccessConnection(Connection[Edge[PersonalDataAccess]]):
    pass


def _access_edge(row: models.PersonalDataAccess) -> Edge[PersonalDataAccess]:
    return Edge(
        cursor=encode_cursor(_ACCESS_CURSOR, row.id), node=PersonalDataAccess.from_model(row)
    )


# --- Mutations ----------------------------------------------------------------------------

CHANGED = "The application as it is now; null on errors."


@strawberry.input(
    description="オンライン自主応募; name the posting by `postingId` or `postingNumber`."
)
class ApplicationCreateInput:
    posting_id: relay.GlobalID | None = strawberry.field(
        default=None, description="An ACTIVE posting accepting online applications."
    )
    posting_number: str | None = strawberry.field(
        default=None, description="求人番号 NNNNN-NNNNNNNN, as the posting search shows it."
    )
    motivation: str = strawberry.field(default="", description="志望動機, up to 1,000 characters.")


@strawberry.input(
    description=(
        "A person without a My Page referred at the counter (walk-in), as staff enter them."
    )
)
class WalkInInput:
    name: str = strawberry.field(description="氏名, up to 50 characters.")
    kana: str = strawberry.field(description="氏名カナ, full-width katakana, up to 50 characters.")
    age: int = strawberry.field(description="年齢, 15 to 99.")
    phone: str = strawberry.field(
        default="", description="電話番号 (03-1234-5678); phone or email is required."
    )
    email: str = strawberry.field(default="", description="メールアドレス, up to 100 characters.")
    prefecture: str = strawberry.field(default="", description="都道府県 (東京都).")
    city: str = strawberry.field(default="", description="市区町村, up to 50 characters.")


@strawberry.input(
    description=(
        "紹介: staff refer a seeker with the referral letter (紹介状): a seeker with a My Page "
        "(`seekerId`) or a walk-in without one (`walkIn`), exactly one."
    )
)
class ReferralCreateInput:
    posting_id: relay.GlobalID = strawberry.field(
        description="An ACTIVE posting of an establishment of the staff member's office."
    )
    seeker_id: strawberry.ID | None = strawberry.field(
        default=None, description="The seeker's `SeekerProfile` ID."
    )
    walk_in: WalkInInput | None = strawberry.field(
        default=None, description="A person without a My Page."
    )
    referral_letter_number: str = strawberry.field(
        description="紹介状番号, half-width, up to 30 characters."
    )
    note: str = strawberry.field(default="", description="紹介状の記載事項, up to 1000 characters.")


_MOVES_DESCRIPTION = (
    "Employer: from APPLIED, SCREENING or INTERVIEW to a later stage, to HIRED or REJECTED "
    "(a result at any stage) or to WITHDRAWN (辞退 declined by phone, with a reason); HIRED ↔ "
    "REJECTED to correct a result. Seeker: WITHDRAWN from APPLIED, SCREENING or INTERVIEW. "
    "Staff: WITHDRAWN, with a reason."
)


@strawberry.input(description="選考状況の変更 (a status change) of one application.")
class ApplicationStatusUpdateInput:
    application_id: relay.GlobalID = strawberry.field(
        description=(
            "The application (an `Application` ID): of the employer's establishment, the "
            "seeker's own, or, for staff, of their office."
        )
    )
    status: ApplicationStatus = strawberry.field(description=_MOVES_DESCRIPTION)
    reason: str = strawberry.field(
        default="",
        description="Up to 500 characters; required for a 辞退 recorded by the employer or staff.",
    )


@strawberry.input(description="The same status change for up to 100 applications (一括変更).")
class ApplicationStatusBulkUpdateInput:
    application_ids: list[relay.GlobalID] = strawberry.field(
        description="1 to 100 applications of the establishment."
    )
    status: ApplicationStatus = strawberry.field(description=_MOVES_DESCRIPTION)
    reason: str = strawberry.field(default="", description="Up to 500 characters.")


@strawberry.input(
    description=(
        "選考結果登録: HIRED with `hireDate` (and `conditionsDiffer`), REJECTED with "
        "`rejectionReason` (and `note`, required for OTHER), or WITHDRAWN."
    )
)
class ApplicationResultReportInput:
    application_id: relay.GlobalID = strawberry.field(
        description=(
            "The application (an `Application` ID) of the employer's establishment, or for "
            "staff of their office."
        )
    )
    result: ReportedResult = strawberry.field(description="選考結果 (the result), required.")
    hire_date: dt.date | None = strawberry.field(
        default=None, description="採用予定日 (入社日), not before the application; for HIRED."
    )
    conditions_differ: bool = strawberry.field(
        default=False, description="HIRED on conditions that differ from the posting."
    )
    rejection_reason: RejectionReason | None = strawberry.field(
        default=None, description="For REJECTED."
    )
    note: str = strawberry.field(default="", description="記載事項, up to 500 characters.")


@strawberry.input(
    description=(
        "選考結果連絡: MESSAGE sends `message` to a My Page holder now; any other method "
        "records that the employer told the applicant directly, at `notifiedAt` (default now)."
    )
)
class ApplicationResultNotifyInput:
    application_id: relay.GlobalID = strawberry.field(
        description="An application of the establishment that is HIRED or REJECTED."
    )
    method: NoticeMethod = strawberry.field(
        description="連絡方法 (how), required; MESSAGE only for a person with a My Page."
    )
    message: str = strawberry.field(
        default="", description="For MESSAGE: the message, up to 2,000 characters."
    )
    notified_at: dt.datetime | None = strawberry.field(
        default=None, description="When told, for other methods: not in the future."
    )


@strawberry.type(description="The answer to `applicationCreate`.")
class ApplicationCreatePayload:
    application: Application | None = strawberry.field(default=None, description=CHANGED)
    errors: list[UserError] = strawberry.field(default_factory=list, description=ERRORS)


@strawberry.type(description="The answer to `referralCreate`.")
class ReferralCreatePayload:
    application: Application | None = strawberry.field(default=None, description=CHANGED)
    errors: list[UserError] = strawberry.field(default_factory=list, description=ERRORS)


@strawberry.type(description="The answer to `applicationStatusUpdate`.")
class ApplicationStatusUpdatePayload:
    application: Application | None = strawberry.field(default=None, description=CHANGED)
    number_to_hire_reached: bool = strawberry.field(
        default=False,
        description=(
            "This change made the hires reach the posting's number to hire: ask the employer "
            "whether to stop recruiting (`postingStop`); the posting stays active until then."
        ),
    )
    errors: list[UserError] = strawberry.field(default_factory=list, description=ERRORS)


@strawberry.type(description="The outcome for one application of a bulk change (一括変更).")
class ApplicationStatusBulkResult:
    application_id: relay.GlobalID = strawberry.field(
        description="The application, as given in `applicationIds`."
    )
    application: Application | None = strawberry.field(
        default=None, description="The application as it is now; null when refused."
    )
    number_to_hire_reached: bool = strawberry.field(
        default=False,
        description=(
            "This change made the hires reach the posting's number to hire (as in "
            "`applicationStatusUpdate`)."
        ),
    )
    errors: list[UserError] = strawberry.field(
        default_factory=list,
        description="Why this application was not changed; empty when it was.",
    )


@strawberry.type(description="The answer to `applicationStatusBulkUpdate`.")
class ApplicationStatusBulkUpdatePayload:
    results: list[ApplicationStatusBulkResult] = strawberry.field(
        default_factory=list, description="One per application, in the order given."
    )
    errors: list[UserError] = strawberry.field(
        default_factory=list, description="Why nothing was tried (an empty or too long list)."
    )


@strawberry.type(description="The answer to `applicationResultReport`.")
class ApplicationResultReportPayload:
    application: Application | None = strawberry.field(default=None, description=CHANGED)
    errors: list[UserError] = strawberry.field(default_factory=list, description=ERRORS)


@strawberry.type(description="The answer to `applicationResultNotify`.")
class ApplicationResultNotifyPayload:
    application: Application | None = strawberry.field(default=None, description=CHANGED)
    errors: list[UserError] = strawberry.field(default_factory=list, description=ERRORS)


P = TypeVar("P")


async def _run(payload: Callable[..., P], change: Callable[[], Awaitable[models.Application]]) -> P:
    return await run_change(payload, change, "application", Application.from_model)


@strawberry.type
class ApplicationMutation:
    @strawberry.mutation(
        description="Seeker: apply online (オンライン自主応募), once per posting.",
        permission_classes=[IsSeeker],
    )
    async def application_create(
        self,
        info: Info,
        input: Annotated[
            ApplicationCreateInput,
            strawberry.argument(description="The posting applied to and the 志望動機."),
        ],
    ) -> ApplicationCreatePayload:
        ctx = info.context
        return await _run(
            ApplicationCreatePayload,
            lambda: applications.create_application(
                ctx.rt,
                ctx.viewer,
                posting_id=(
                    decode_id(input.posting_id, "Posting", "postingId")
                    if input.posting_id is not None
                    else None
                ),
                posting_number=input.posting_number,
                motivation=input.motivation,
            ),
        )

    @strawberry.mutation(
        description="Staff: refer a seeker to a posting (紹介, 紹介状).",
        permission_classes=[IsStaff],
    )
    async def referral_create(
        self,
        info: Info,
        input: Annotated[
            ReferralCreateInput,
            strawberry.argument(description="The posting, the person referred and the 紹介状."),
        ],
    ) -> ReferralCreatePayload:
        ctx = info.context
        return await _run(
            ReferralCreatePayload,
            lambda: applications.create_referral(
                ctx.rt,
                ctx.viewer,
                posting_id=decode_id(input.posting_id, "Posting", "postingId"),
                seeker_profile_id=(
                    decode_id(input.seeker_id, PROFILE_TYPE, "seekerId")
                    if input.seeker_id is not None
                    else None
                ),
                walk_in=_walk_in(input.walk_in) if input.walk_in is not None else None,
                referral_letter_number=input.referral_letter_number,
                note=input.note,
            ),
        )

    @strawberry.mutation(
        description=(
            "Employer: move an applicant through the selection (a result at any stage, 辞退 "
            "with a reason); seeker: withdraw (辞退); staff: record a 辞退. Results lock after "
            "the third month-end after the posting became invalid. Reaching the number to hire "
            "closes nothing: see `numberToHireReached`."
        )
    )
    async def application_status_update(
        self,
        info: Info,
        input: Annotated[
            ApplicationStatusUpdateInput,
            strawberry.argument(description="The application and its new status."),
        ],
    ) -> ApplicationStatusUpdatePayload:
        ctx = info.context
        try:
            change = await applications.update_status(
                ctx.rt,
                ctx.viewer,
                application_id=decode_id(input.application_id, "Application", "applicationId"),
                status=input.status,
                reason=input.reason,
            )
        except UserErrors as exc:
            return ApplicationStatusUpdatePayload(errors=user_errors(exc))
        return ApplicationStatusUpdatePayload(
            application=Application.from_model(change.application),
            number_to_hire_reached=change.number_to_hire_reached,
        )

    @strawberry.mutation(
        description=(
            "Employer: the same status change for up to 100 applicants, each on its own (one "
            "refused leaves the others changed)."
        ),
        permission_classes=[IsEmployer],
    )
    async def application_status_bulk_update(
        self,
        info: Info,
        input: Annotated[
            ApplicationStatusBulkUpdateInput,
            strawberry.argument(description="The applications and their new status."),
        ],
    ) -> ApplicationStatusBulkUpdatePayload:
        ctx = info.context
        ids: list[int] = []
        given: dict[int, relay.GlobalID] = {}
        try:
            for index, global_id in enumerate(input.application_ids):
                pk = decode_id(global_id, "Application", f"applicationIds.{index}")
                ids.append(pk)
                given.setdefault(pk, global_id)
            outcomes = await applications.update_statuses(
                ctx.rt, ctx.viewer, application_ids=ids, status=input.status, reason=input.reason
            )
        except UserErrors as exc:
            return ApplicationStatusBulkUpdatePayload(errors=user_errors(exc))
        return ApplicationStatusBulkUpdatePayload(
            results=[
                ApplicationStatusBulkResult(
                    application_id=given[outcome.application_id],
                    application=(
                        Application.from_model(outcome.change.application)
                        if outcome.change is not None
                        else None
                    ),
                    number_to_hire_reached=(
                        outcome.change is not None and outcome.change.number_to_hire_reached
                    ),
                    errors=user_errors(outcome.errors) if outcome.errors is not None else [],
                )
                for outcome in outcomes
            ]
        )

    @strawberry.mutation(
        description=(
            "Employer, or staff for a report phoned in: report the result to Hello Work "
            "(選考結果登録), or correct it until it locks (the day after the end of the third "
            "month after the posting became invalid)."
        )
    )
    async def application_result_report(
        self,
        info: Info,
        input: Annotated[
            ApplicationResultReportInput,
            strawberry.argument(description="The application and its result."),
        ],
    ) -> ApplicationResultReportPayload:
        ctx = info.context
        return await _run(
            ApplicationResultReportPayload,
            lambda: results.report_result(
                ctx.rt,
                ctx.viewer,
                application_id=decode_id(input.application_id, "Application", "applicationId"),
                report=results.ResultReport(
                    result=input.result,
                    hire_date=input.hire_date,
                    conditions_differ=input.conditions_differ,
                    rejection_reason=input.rejection_reason,
                    note=input.note,
                ),
            ),
        )

    @strawberry.mutation(
        description=(
            "Employer: tell the applicant the result (選考結果連絡) by message, or record that "
            "it was done by phone, mail, post or in person, and when."
        ),
        permission_classes=[IsEmployer],
    )
    async def application_result_notify(
        self,
        info: Info,
        input: Annotated[
            ApplicationResultNotifyInput,
            strawberry.argument(description="The application and how the applicant was told."),
        ],
    ) -> ApplicationResultNotifyPayload:
        ctx = info.context
        return await _run(
            ApplicationResultNotifyPayload,
            lambda: results.notify_result(
                ctx.rt,
                ctx.viewer,
                application_id=decode_id(input.application_id, "Application", "applicationId"),
                method=input.method,
                message=input.message,
                notified_at=input.notified_at,
            ),
        )


def _walk_in(person: WalkInInput) -> applications.WalkIn:
    return applications.WalkIn(
        name=person.name,
        kana=person.kana,
        age=person.age,
        phone=person.phone,
        email=person.email,
        prefecture=person.prefecture,
        city=person.city,
    )
