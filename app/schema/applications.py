"""Applications (応募) and the selection (応募者管理): the employer's applicants, the
seeker's own applications, referrals by staff and every status change."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Iterable
from typing import Self, TypeVar

import strawberry
from strawberry import relay

from app import models
from app.errors import UserErrors
from app.models import applications as enums
from app.models.accounts import Portal as PortalEnum
from app.resolvers import applications
from app.resolvers.paging import Page
from app.schema.accounts import Portal
from app.schema.context import Info
from app.schema.dataloaders import ApplicationHistoryRow
from app.schema.errors import UserError, run_change
from app.schema.nodes import decode_id, visible_nodes
from app.schema.paging import Connection, Edge, connection, encode_cursor, page_args
from app.schema.permissions import IsEmployer, IsSeeker, IsStaff
from app.schema.postings import Posting, PostingSearchResult
from app.schema.seekers import PROFILE_TYPE, ApplicantProfile, posting_summary

strawberry.enum(
    enums.ApplicationStatus,
    description=(
        "APPLIED 応募, SCREENING 書類選考, INTERVIEW 面接, HIRED 採用, REJECTED 不採用, "
        "WITHDRAWN 辞退 (by the seeker)."
    ),
)
ApplicationStatus = enums.ApplicationStatus
strawberry.enum(
    enums.ApplicationSource,
    description="REFERRAL ハローワークの紹介 (紹介状), ONLINE オンライン自主応募.",
)
ApplicationSource = enums.ApplicationSource

_CURSOR = "application"


@strawberry.type(description="One status change: who, when, from, to and why; kept forever.")
class ApplicationStatusChange:
    actor_portal: Portal | None = strawberry.field(
        description="Who acted: the employer, the seeker, or staff (a referral)."
    )
    at: dt.datetime
    from_status: ApplicationStatus | None = strawberry.field(
        description="Null for the application's arrival."
    )
    to_status: ApplicationStatus
    reason: str

    @classmethod
    def from_row(cls, row: ApplicationHistoryRow) -> Self:
        return cls(
            actor_portal=row["actor_portal"],
            at=row["at"],
            from_status=row["from_status"],
            to_status=row["to_status"],
            reason=row["reason"],
        )


@strawberry.type(description="A seeker's application to a posting (応募).")
class Application(relay.Node):
    id: relay.NodeID[int]
    status: ApplicationStatus
    source: ApplicationSource
    referral_letter_number: str | None = strawberry.field(description="紹介状番号 (referrals).")
    referral_note: str = strawberry.field(description="紹介状の記載事項 (referrals).")
    hire_date: dt.date | None = strawberry.field(description="採用日, when HIRED.")
    conditions_differ: bool = strawberry.field(
        description="HIRED on conditions that differ from the posting (求人票と異なる労働条件)."
    )
    created_at: dt.datetime
    updated_at: dt.datetime
    posting_pk: strawberry.Private[int]
    seeker_id: strawberry.Private[int]

    @classmethod
    def from_model(cls, application: models.Application) -> Self:
        return cls(
            id=application.id,
            status=application.status,
            source=application.source,
            referral_letter_number=application.referral_letter_number,
            referral_note=application.referral_note,
            hire_date=application.hire_date,
            conditions_differ=application.conditions_differ,
            created_at=application.created_at,
            updated_at=application.updated_at,
            posting_pk=application.posting_id,
            seeker_id=application.seeker_id,
        )

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
        return Posting.from_model(await info.context.loaders.posting_by_id.load(self.posting_pk))

    @strawberry.field(description="The posting as job seekers see it (公開範囲 applied).")
    async def posting_summary(self, info: Info) -> PostingSearchResult:
        return await posting_summary(info, self.posting_pk)

    @strawberry.field(description="The applicant, anonymised: never a name or a contact.")
    async def applicant(self, info: Info) -> ApplicantProfile:
        profile = await info.context.loaders.seeker_profile_by_user_id.load(self.seeker_id)
        assert profile is not None  # every seeker who applies has a profile
        return ApplicantProfile.from_model(profile)

    @strawberry.field(description="Every status change, oldest first.")
    async def status_history(self, info: Info) -> list[ApplicationStatusChange]:
        loader = info.context.loaders.application_events_by_application_id
        return [ApplicationStatusChange.from_row(row) for row in await loader.load(self.id)]

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        viewer = info.context.viewer
        return await visible_nodes(
            node_ids, lambda ids: applications.visible_applications(viewer, ids), cls.from_model
        )


@strawberry.type(description="A page of applications; `first` is at most 100.")
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
        posting_id: relay.GlobalID | None = None,
        status: ApplicationStatus | None = None,
        first: int = 20,
        after: str | None = None,
    ) -> ApplicationConnection:
        viewer = info.context.viewer
        after_id = page_args(_CURSOR, first, after)
        posting_pk = None
        if posting_id is not None:
            posting_pk = _id_or_nothing(posting_id, "Posting")
            if posting_pk is None:
                return _connection(Page(items=[], has_next_page=False))
        page = await applications.establishment_applications(
            viewer, posting_id=posting_pk, status=status, first=first, after_id=after_id
        )
        return _connection(page)

    @strawberry.field(description="Seeker: their own applications, newest first.")
    async def my_applications(
        self, info: Info, first: int = 20, after: str | None = None
    ) -> ApplicationConnection:
        after_id = page_args(_CURSOR, first, after)
        page = await applications.my_applications(
            info.context.viewer, first=first, after_id=after_id
        )
        return _connection(page)


def _id_or_nothing(global_id: relay.GlobalID, type_name: str) -> int | None:
    try:
        return decode_id(global_id, type_name, "postingId")
    except UserErrors:
        return None


# --- Mutations ----------------------------------------------------------------------------


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


@strawberry.input(description="紹介: staff refer a seeker with the referral letter (紹介状).")
class ReferralCreateInput:
    posting_id: relay.GlobalID = strawberry.field(
        description="An ACTIVE posting of an establishment of the staff member's office."
    )
    seeker_id: strawberry.ID = strawberry.field(description="The seeker's `SeekerProfile` ID.")
    referral_letter_number: str = strawberry.field(
        description="紹介状番号, half-width, up to 30 characters."
    )
    note: str = strawberry.field(default="", description="紹介状の記載事項, up to 1000 characters.")


@strawberry.input
class ApplicationStatusUpdateInput:
    application_id: relay.GlobalID
    status: ApplicationStatus = strawberry.field(
        description=(
            "Employer: APPLIED → SCREENING | INTERVIEW | REJECTED, SCREENING → INTERVIEW | "
            "REJECTED, INTERVIEW → HIRED | REJECTED, and HIRED ↔ REJECTED to correct a "
            "result. Seeker: WITHDRAWN from APPLIED, SCREENING or INTERVIEW."
        )
    )
    reason: str = strawberry.field(default="", description="Up to 500 characters.")
    hire_date: dt.date | None = strawberry.field(default=None, description="採用日; for HIRED.")
    conditions_differ: bool = strawberry.field(
        default=False, description="HIRED on conditions that differ from the posting."
    )


@strawberry.type
class ApplicationCreatePayload:
    application: Application | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ReferralCreatePayload:
    application: Application | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ApplicationStatusUpdatePayload:
    application: Application | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


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
        self, info: Info, input: ApplicationCreateInput
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
            ),
        )

    @strawberry.mutation(
        description="Staff: refer a seeker to a posting (紹介, 紹介状).",
        permission_classes=[IsStaff],
    )
    async def referral_create(
        self, info: Info, input: ReferralCreateInput
    ) -> ReferralCreatePayload:
        ctx = info.context
        return await _run(
            ReferralCreatePayload,
            lambda: applications.create_referral(
                ctx.rt,
                ctx.viewer,
                posting_id=decode_id(input.posting_id, "Posting", "postingId"),
                seeker_profile_id=decode_id(input.seeker_id, PROFILE_TYPE, "seekerId"),
                referral_letter_number=input.referral_letter_number,
                note=input.note,
            ),
        )

    @strawberry.mutation(
        description=(
            "Employer: move an applicant through the selection; seeker: withdraw (辞退). "
            "HIRED needs `hireDate`; results lock after the third month-end after the "
            "posting became invalid."
        )
    )
    async def application_status_update(
        self, info: Info, input: ApplicationStatusUpdateInput
    ) -> ApplicationStatusUpdatePayload:
        ctx = info.context
        return await _run(
            ApplicationStatusUpdatePayload,
            lambda: applications.update_status(
                ctx.rt,
                ctx.viewer,
                application_id=decode_id(input.application_id, "Application", "applicationId"),
                status=input.status,
                reason=input.reason,
                hire_date=input.hire_date,
                conditions_differ=input.conditions_differ,
            ),
        )
