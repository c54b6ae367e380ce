"""Job postings (求人): the form, staff review, validity, renewal, reuse and the public search."""

from __future__ import annotations

import datetime as dt
import inspect
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, Self, TypeVar

import strawberry
from strawberry import relay

from app import models
from app.models import postings as enums
from app.models.posting_form import ITEMS, Item, PostingForm
from app.resolvers import postings
from app.resolvers.paging import Page
from app.schema.accounts import Portal
from app.schema.context import Info
from app.schema.dataloaders import PostingHistoryRow
from app.schema.errors import UserError, run_change
from app.schema.establishments import Establishment, PostingCategory
from app.schema.images import PostingImage, posting_images
from app.schema.nodes import decode_id, visible_nodes
from app.schema.paging import Connection, Edge, connection, encode_cursor, page_args
from app.schema.permissions import IsEmployer, IsStaff

strawberry.enum(
    enums.PostingStatus,
    description=(
        "DRAFT 仮登録, SUBMITTED 提出, ACTIVE 有効中 (受理), RETURNED 修正依頼, INVALID 無効."
    ),
)
PostingStatus = enums.PostingStatus
strawberry.enum(enums.WorkStyle, description="フルタイム / パート.")
WorkStyle = enums.WorkStyle
strawberry.enum(
    enums.EmploymentType, description="雇用形態: 正社員, 正社員以外, 派遣, パート労働者."
)
EmploymentType = enums.EmploymentType
strawberry.enum(enums.EmploymentPeriod, description="雇用期間: 定めなし / 定めあり.")
EmploymentPeriod = enums.EmploymentPeriod
strawberry.enum(enums.WageForm, description="賃金形態: 月給, 日給, 時給.")
WageForm = enums.WageForm
strawberry.enum(enums.Insurance, description="加入保険等: 雇用, 労災, 公災, 健康, 厚生, 財形.")
Insurance = enums.Insurance
strawberry.enum(enums.WeeklyTwoDaysOff, description="週休二日制: 毎週, その他, なし.")
WeeklyTwoDaysOff = enums.WeeklyTwoDaysOff
strawberry.enum(
    enums.PublicationRange,
    description=(
        "公開範囲: WITH_NAME 事業所名等を含めて公開, NAME_TO_SEEKERS_ONLY 事業所名等は"
        "求職者マイページの求職者にのみ公開, WITHOUT_NAME 事業所名等を含めずに公開."
    ),
)
PublicationRange = enums.PublicationRange
strawberry.enum(
    enums.AgeLimitReason,
    description="年齢制限の例外事由 (1号, 2号, 3号イ・ロ・ハ・ニ).",
)
AgeLimitReason = enums.AgeLimitReason
strawberry.enum(enums.PostingAction, description="What a history entry records.")
PostingAction = enums.PostingAction


T = TypeVar("T")


def _with_items(
    items: Iterable[Item[Any]], describe: Callable[[Item[Any]], str | None]
) -> Callable[[type[T]], type[T]]:
    """Give the class a field for each of the form's items, after its own, for Strawberry.

    Each has the item's type and `describe`'s description; an item not required has its
    default, which an input type shows and lets the client leave out.
    """

    def add(cls: type[T]) -> type[T]:
        annotations = inspect.get_annotations(cls)
        for item in items:
            annotations[item.name] = item.value_type
            if item.default_factory is None:
                field = strawberry.field(description=describe(item))
            else:
                field = strawberry.field(
                    description=describe(item), default_factory=item.default_factory
                )
            setattr(cls, item.name, field)
        cls.__annotations__ = annotations
        return cls

    return add


def _described(item: Item[Any]) -> str | None:
    return None if item.description is None else f"{item.description}."


@strawberry.type(description="The posting form (求人票), in the form's groups.")
@_with_items(ITEMS, _described)
class PostingContent:
    @classmethod
    def from_content(cls, content: postings.PostingContent) -> Self:
        return cls(**content.values())


# What must be sent comes first, then what may be left out.
@strawberry.input(description="The posting form (求人票); every field is sent, always whole.")
@_with_items(sorted(ITEMS, key=lambda item: not item.required), lambda item: item.hint)
class PostingContentInput:
    def to_content(self) -> postings.PostingContent:
        return postings.PostingContent(**{item.name: getattr(self, item.name) for item in ITEMS})


@strawberry.type(description="One entry of a posting's history.")
class PostingEvent:
    action: PostingAction
    actor_portal: Portal | None = strawberry.field(
        description="Who acted: staff or the employer; null when the referral deadline did."
    )
    from_status: PostingStatus | None
    to_status: PostingStatus
    reason: str | None
    at: dt.datetime

    @classmethod
    def from_row(cls, row: PostingHistoryRow) -> Self:
        return cls(
            action=row["action"],
            actor_portal=row["actor_portal"],
            from_status=row["from_status"],
            to_status=row["to_status"],
            reason=row["reason"],
            at=row["created_at"],
        )


@strawberry.type(description="A job posting (求人) of an establishment.")
class Posting(relay.Node):
    id: relay.NodeID[int]
    status: PostingStatus
    posting_number: str | None = strawberry.field(description="求人番号 NNNNN-NNNNNNNN.")
    referral_deadline: dt.date | None = strawberry.field(
        description="紹介期限日 (inclusive, Asia/Tokyo)."
    )
    renewal_opens_on: dt.date | None = strawberry.field(
        description="First day a renewal can be reserved: 14 days before the deadline."
    )
    renewal_reserved_at: dt.datetime | None = strawberry.field(description="有効中求人更新予約.")
    submitted_at: dt.datetime | None
    accepted_at: dt.datetime | None
    invalidated_at: dt.datetime | None
    return_reason: str | None = strawberry.field(description="修正依頼の理由.")
    stop_reason: str | None = strawberry.field(description="募集停止の理由.")
    change_requested_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime
    establishment_id: strawberry.Private[int]
    renewed_from_id: strawberry.Private[int | None]
    reused_from_id: strawberry.Private[int | None]
    # The form (求人票) is built only when asked for: a list of applications shows a title.
    model: strawberry.Private[models.Posting]

    @classmethod
    def from_model(cls, posting: models.Posting) -> Self:
        return cls(
            id=posting.id,
            status=posting.status,
            posting_number=posting.posting_number,
            referral_deadline=posting.referral_deadline,
            renewal_opens_on=(
                postings.renewal_opens_on(posting.referral_deadline)
                if posting.referral_deadline is not None
                else None
            ),
            renewal_reserved_at=posting.renewal_reserved_at,
            submitted_at=posting.submitted_at,
            accepted_at=posting.accepted_at,
            invalidated_at=posting.invalidated_at,
            return_reason=posting.return_reason,
            stop_reason=posting.stop_reason,
            change_requested_at=posting.change_requested_at,
            created_at=posting.created_at,
            updated_at=posting.updated_at,
            establishment_id=posting.establishment_id,
            renewed_from_id=posting.renewed_from_id,
            reused_from_id=posting.reused_from_id,
            model=posting,
        )

    @strawberry.field(description="What the posting shows now.")
    def content(self) -> PostingContent:
        return PostingContent.from_content(postings.PostingContent.of(self.model))

    @strawberry.field(
        description="A change waiting for staff review; `content` stays until it is accepted."
    )
    def pending_content(self) -> PostingContent | None:
        if self.model.pending_content is None:
            return None
        return PostingContent.from_content(
            postings.PostingContent.from_json(self.model.pending_content)
        )

    @strawberry.field(description="The establishment (事業所) the posting belongs to.")
    async def establishment(self, info: Info) -> Establishment:
        loaded = await info.context.loaders.establishment_by_id.load(self.establishment_id)
        return Establishment.from_model(loaded)

    @strawberry.field(description="The establishment's approved images (画像), in display order.")
    async def images(self, info: Info) -> list[PostingImage]:
        return await posting_images(info, self.establishment_id)

    @strawberry.field(description="Every state change: who, when, from, to and why.")
    async def history(self, info: Info) -> list[PostingEvent]:
        rows = await info.context.loaders.posting_events_by_posting_id.load(self.id)
        return [PostingEvent.from_row(row) for row in rows]

    @strawberry.field(description="The posting this one renews (更新前の求人).")
    async def renewed_from(self, info: Info) -> Posting | None:
        return await _linked(info, self.renewed_from_id)

    @strawberry.field(description="The posting this draft was copied from (転用元).")
    async def reused_from(self, info: Info) -> Posting | None:
        return await _linked(info, self.reused_from_id)

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        viewer = info.context.viewer
        return await visible_nodes(
            node_ids, lambda ids: postings.visible_postings(viewer, ids), cls.from_model
        )


async def _linked(info: Info, posting_id: int | None) -> Posting | None:
    """A renewal or reuse link: always within one establishment, so visible with its posting."""
    if posting_id is None:
        return None
    return Posting.from_model(await info.context.loaders.posting_by_id.load(posting_id))


# The form's items a search result shows everyone; the address and the contact, which follow the
# publication range, are the type's own fields. `PostingContent` is where the items are described.
_SEARCH_ITEMS = (
    PostingForm.category,
    PostingForm.work_style,
    PostingForm.employment_type,
    PostingForm.job_title,
    PostingForm.job_description,
    PostingForm.workplace_prefecture,
    PostingForm.employment_period,
    PostingForm.number_to_hire,
    PostingForm.wage_form,
    PostingForm.base_wage_min,
    PostingForm.base_wage_max,
    PostingForm.working_hours,
    PostingForm.annual_holidays,
    PostingForm.weekly_two_days_off,
    PostingForm.accepts_online_applications,
    PostingForm.pr,
    PostingForm.selection_method,
)


@strawberry.type(description="An active posting as job seekers find it (求人検索).")
@_with_items(_SEARCH_ITEMS, lambda item: None)
class PostingSearchResult:
    posting_number: str = strawberry.field(description="求人番号.")
    referral_deadline: dt.date = strawberry.field(description="紹介期限日.")
    establishment_name: str | None = strawberry.field(
        description="Null when the publication range (公開範囲) hides it from this viewer."
    )
    workplace_address: str | None = strawberry.field(
        description="Null when the establishment name is hidden; the prefecture is always shown."
    )
    contact: str | None = strawberry.field(description="Null when the name is hidden.")
    establishment_id: strawberry.Private[int]
    shows_name: strawberry.Private[bool]

    @strawberry.field(
        description="The establishment's approved images; empty when the name is hidden, "
        "since pictures of the workplace would show it."
    )
    async def images(self, info: Info) -> list[PostingImage]:
        if not self.shows_name:
            return []
        return await posting_images(info, self.establishment_id)

    @classmethod
    def from_model(cls, posting: models.Posting, *, show_name: bool) -> Self:
        assert posting.posting_number is not None
        assert posting.referral_deadline is not None
        return cls(
            posting_number=posting.posting_number,
            referral_deadline=posting.referral_deadline,
            establishment_name=posting.establishment.name if show_name else None,
            workplace_address=posting.workplace_address if show_name else None,
            contact=posting.contact if show_name else None,
            **{item.name: item.load(getattr(posting, item.name)) for item in _SEARCH_ITEMS},
            establishment_id=posting.establishment_id,
            shows_name=show_name,
        )


@strawberry.type(description="A page of search results; `first` is at most 100.")
class PostingSearchResultConnection(Connection[Edge[PostingSearchResult]]):
    pass


# --- Paging -------------------------------------------------------------------------------

_CURSOR_KIND = "posting"


def _cursor(posting_id: int) -> str:
    return encode_cursor(_CURSOR_KIND, posting_id)


def _page_args(first: int, after: str | None) -> int | None:
    """Check `first` and decode `after` into the id to continue from."""
    return page_args(_CURSOR_KIND, first, after)


def _edge(posting: models.Posting) -> relay.Edge[Posting]:
    return relay.Edge(cursor=_cursor(posting.id), node=Posting.from_model(posting))


def _connection(page: Page[models.Posting]) -> relay.Connection[Posting]:
    return connection(relay.Connection, page, _edge)


async def establishment_postings(
    info: Info,
    status: enums.PostingStatus | None,
    category: enums.PostingCategory | None,
    renewable: bool,
    first: int,
    after: str | None,
) -> relay.Connection[Posting]:
    """A page of the viewer's establishment's postings; the root field and the home use it."""
    ctx = info.context
    after_id = _page_args(first, after)
    page = await postings.establishment_postings(
        ctx.viewer,
        status=status,
        category=category,
        renewable_on=ctx.rt.clock.today() if renewable else None,
        first=first,
        after_id=after_id,
    )
    return _connection(page)


@strawberry.type
class PostingQuery:
    @strawberry.field(
        description=(
            "Employer: the establishment's postings, newest first. `renewable` keeps the "
            "active postings whose renewal can be reserved today."
        )
    )
    async def postings(
        self,
        info: Info,
        status: PostingStatus | None = None,
        category: PostingCategory | None = None,
        renewable: bool = False,
        first: int = 20,
        after: str | None = None,
    ) -> relay.Connection[Posting]:
        return await establishment_postings(info, status, category, renewable, first, after)

    @strawberry.field(
        description="Staff: submitted postings and changes to active ones, oldest first."
    )
    async def posting_review_queue(
        self, info: Info, first: int = 20, after: str | None = None
    ) -> relay.Connection[Posting]:
        after_id = _page_args(first, after)
        page = await postings.review_queue(info.context.viewer, first=first, after_id=after_id)
        return _connection(page)

    @strawberry.field(description="Anyone: search the active postings (求人検索).")
    async def posting_search(
        self,
        info: Info,
        keyword: str | None = None,
        category: PostingCategory | None = None,
        prefecture: str | None = None,
        employment_type: EmploymentType | None = None,
        work_style: WorkStyle | None = None,
        first: int = 20,
        after: str | None = None,
    ) -> PostingSearchResultConnection:
        viewer = info.context.viewer
        after_id = _page_args(first, after)
        filters = postings.SearchFilters(
            keyword=keyword,
            category=category,
            prefecture=prefecture,
            employment_type=employment_type,
            work_style=work_style,
        )
        page = await postings.search_postings(filters, first=first, after_id=after_id)
        return connection(
            PostingSearchResultConnection,
            page,
            lambda item: Edge(
                cursor=_cursor(item.id),
                node=PostingSearchResult.from_model(
                    item, show_name=postings.shows_establishment(viewer, item)
                ),
            ),
        )


# --- Mutations ----------------------------------------------------------------------------


@strawberry.input
class PostingCreateInput:
    content: PostingContentInput


@strawberry.input
class PostingUpdateInput:
    id: relay.GlobalID = strawberry.field(description="A DRAFT or RETURNED posting.")
    content: PostingContentInput


@strawberry.input
class PostingSubmitInput:
    id: relay.GlobalID


@strawberry.input
class PostingWithdrawInput:
    id: relay.GlobalID = strawberry.field(description="A SUBMITTED posting.")


@strawberry.input
class PostingStopInput:
    id: relay.GlobalID = strawberry.field(description="An ACTIVE posting.")
    reason: str = strawberry.field(description="募集停止の理由, up to 500 characters.")


@strawberry.input
class PostingChangeRequestInput:
    id: relay.GlobalID = strawberry.field(description="An ACTIVE posting.")
    content: PostingContentInput


@strawberry.input
class PostingRenewalReserveInput:
    id: relay.GlobalID = strawberry.field(description="An ACTIVE posting.")


@strawberry.input
class PostingReuseInput:
    id: relay.GlobalID = strawberry.field(description="Any posting of the establishment.")


@strawberry.input
class PostingAcceptInput:
    id: relay.GlobalID = strawberry.field(
        description="A SUBMITTED posting, or an ACTIVE one with a change waiting."
    )


@strawberry.input
class PostingReturnInput:
    id: relay.GlobalID
    reason: str = strawberry.field(description="修正依頼の理由, up to 500 characters.")


@strawberry.type
class PostingCreatePayload:
    posting: Posting | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class PostingUpdatePayload:
    posting: Posting | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class PostingSubmitPayload:
    posting: Posting | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class PostingWithdrawPayload:
    posting: Posting | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class PostingStopPayload:
    posting: Posting | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class PostingChangeRequestPayload:
    posting: Posting | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class PostingRenewalReservePayload:
    posting: Posting | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class PostingReusePayload:
    posting: Posting | None = strawberry.field(default=None, description="The new draft.")
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class PostingAcceptPayload:
    posting: Posting | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class PostingReturnPayload:
    posting: Posting | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


P = TypeVar("P")


async def _run(payload: Callable[..., P], change: Callable[[], Awaitable[models.Posting]]) -> P:
    return await run_change(payload, change, "posting", Posting.from_model)


def _posting_id(global_id: relay.GlobalID) -> int:
    return decode_id(global_id, "Posting", "id")


@strawberry.type
class PostingMutation:
    @strawberry.mutation(
        description="Employer: a new draft posting (仮登録).", permission_classes=[IsEmployer]
    )
    async def posting_create(self, info: Info, input: PostingCreateInput) -> PostingCreatePayload:
        ctx = info.context
        return await _run(
            PostingCreatePayload,
            lambda: postings.create_posting(ctx.rt, ctx.viewer, input.content.to_content()),
        )

    @strawberry.mutation(
        description="Employer: rewrite a draft or a returned posting.",
        permission_classes=[IsEmployer],
    )
    async def posting_update(self, info: Info, input: PostingUpdateInput) -> PostingUpdatePayload:
        ctx = info.context
        return await _run(
            PostingUpdatePayload,
            lambda: postings.update_posting(
                ctx.rt, ctx.viewer, _posting_id(input.id), input.content.to_content()
            ),
        )

    @strawberry.mutation(
        description="Employer: submit a draft for review (提出).",
        permission_classes=[IsEmployer],
    )
    async def posting_submit(self, info: Info, input: PostingSubmitInput) -> PostingSubmitPayload:
        ctx = info.context
        return await _run(
            PostingSubmitPayload,
            lambda: postings.submit_posting(ctx.rt, ctx.viewer, _posting_id(input.id)),
        )

    @strawberry.mutation(
        description="Employer: take a submitted posting back to draft.",
        permission_classes=[IsEmployer],
    )
    async def posting_withdraw(
        self, info: Info, input: PostingWithdrawInput
    ) -> PostingWithdrawPayload:
        ctx = info.context
        return await _run(
            PostingWithdrawPayload,
            lambda: postings.withdraw_posting(ctx.rt, ctx.viewer, _posting_id(input.id)),
        )

    @strawberry.mutation(
        description="Employer: stop recruiting (募集停止); the posting ends.",
        permission_classes=[IsEmployer],
    )
    async def posting_stop(self, info: Info, input: PostingStopInput) -> PostingStopPayload:
        ctx = info.context
        return await _run(
            PostingStopPayload,
            lambda: postings.stop_posting(ctx.rt, ctx.viewer, _posting_id(input.id), input.reason),
        )

    @strawberry.mutation(
        description="Employer: propose a change to an active posting; staff review it.",
        permission_classes=[IsEmployer],
    )
    async def posting_change_request(
        self, info: Info, input: PostingChangeRequestInput
    ) -> PostingChangeRequestPayload:
        ctx = info.context
        return await _run(
            PostingChangeRequestPayload,
            lambda: postings.request_change(
                ctx.rt, ctx.viewer, _posting_id(input.id), input.content.to_content()
            ),
        )

    @strawberry.mutation(
        description="Employer: reserve the renewal (更新予約), from 14 days before the deadline.",
        permission_classes=[IsEmployer],
    )
    async def posting_renewal_reserve(
        self, info: Info, input: PostingRenewalReserveInput
    ) -> PostingRenewalReservePayload:
        ctx = info.context
        return await _run(
            PostingRenewalReservePayload,
            lambda: postings.reserve_renewal(ctx.rt, ctx.viewer, _posting_id(input.id)),
        )

    @strawberry.mutation(
        description="Employer: a new draft copied from an earlier posting (転用).",
        permission_classes=[IsEmployer],
    )
    async def posting_reuse(self, info: Info, input: PostingReuseInput) -> PostingReusePayload:
        ctx = info.context
        return await _run(
            PostingReusePayload,
            lambda: postings.reuse_posting(ctx.rt, ctx.viewer, _posting_id(input.id)),
        )

    @strawberry.mutation(
        description="Staff: accept (受理) a submitted posting, or a change to an active one.",
        permission_classes=[IsStaff],
    )
    async def posting_accept(self, info: Info, input: PostingAcceptInput) -> PostingAcceptPayload:
        ctx = info.context
        return await _run(
            PostingAcceptPayload,
            lambda: postings.accept_posting(ctx.rt, ctx.viewer, _posting_id(input.id)),
        )

    @strawberry.mutation(
        description="Staff: return a posting for correction (修正依頼), or refuse a change.",
        permission_classes=[IsStaff],
    )
    async def posting_return(self, info: Info, input: PostingReturnInput) -> PostingReturnPayload:
        ctx = info.context
        return await _run(
            PostingReturnPayload,
            lambda: postings.return_posting(
                ctx.rt, ctx.viewer, _posting_id(input.id), input.reason
            ),
        )
