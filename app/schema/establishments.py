"""Offices, establishments, account creation codes, and the profile (事業所情報設定) with its
review."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable
from typing import NewType, Self

import strawberry
from strawberry import relay

from app import models
from app.errors import UserErrors
from app.japanese import japanese_era_date
from app.models.establishments import ReviewStatus as ReviewStatusEnum
from app.models.postings import PostingCategory as PostingCategoryEnum
from app.resolvers import establishments
from app.schema.context import Info
from app.schema.errors import UserError, user_errors
from app.schema.nodes import decode_id, visible_nodes
from app.schema.permissions import IsEmployer, IsStaff

strawberry.enum(
    PostingCategoryEnum,
    description="求人区分: 一般, 新卒・既卒 (学卒), 季節, 出稼ぎ, 障害者.",
)
PostingCategory = PostingCategoryEnum


@strawberry.type(description="A Hello Work office (公共職業安定所).")
class Office(relay.Node):
    id: relay.NodeID[int]
    code: str = strawberry.field(description="安定所番号.")
    name: str

    @classmethod
    def from_model(cls, office: models.Office) -> Self:
        return cls(id=office.id, code=office.code, name=office.name)

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        viewer = info.context.viewer
        return await visible_nodes(
            node_ids, lambda ids: establishments.visible_offices(viewer, ids), cls.from_model
        )


def _parse_yen(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("Yen は整数で指定してください。")
    return value


Yen = NewType("Yen", int)
"""An amount in yen; GraphQL's Int stops at 2^31 - 1, short of many a company's capital."""

YEN_SCALAR = strawberry.scalar(
    name="Yen",
    description="An amount in yen, a whole number; unlike Int, not limited to 32 bits.",
    serialize=int,
    parse_value=_parse_yen,
)


@strawberry.type(description="事業所情報: what Hello Work shows of the establishment on postings.")
class EstablishmentProfile:
    name: str = strawberry.field(description="事業所名.")
    name_kana: str = strawberry.field(description="事業所名（カナ）.")
    postal_code: str
    address: str = strawberry.field(description="所在地.")
    phone_number: str
    business_content: str = strawberry.field(description="事業内容.")
    features: str = strawberry.field(description="会社の特長.")
    representative_title: str = strawberry.field(description="代表者役職.")
    representative_name: str = strawberry.field(description="代表者名.")
    employee_count: int | None = strawberry.field(description="従業員数 (企業全体).")
    workplace_employee_count: int | None = strawberry.field(description="従業員数 (就業場所).")
    founded_year: int | None = strawberry.field(description="設立年.")
    capital_yen: Yen | None = strawberry.field(description="資本金 (円).")
    website: str = strawberry.field(description="ホームページ.")
    notification_email: str = strawberry.field(
        description="通知先メールアドレス; empty: the logins' own addresses."
    )

    @classmethod
    def from_profile(cls, profile: establishments.EstablishmentProfile) -> Self:
        return cls(**profile.values())


@strawberry.type(
    description=(
        "An establishment (事業所), with its approved profile (事業所情報): the one in use on "
        "postings until staff approve a `pendingChange`."
    )
)
class Establishment(relay.Node):
    id: relay.NodeID[int]
    establishment_number: str = strawberry.field(description="事業所番号 NNNN-NNNNNN-N.")
    name: str
    name_kana: str
    phone_number: str
    postal_code: str
    address: str
    # The rest of the approved profile (事業所情報), the one in use; see `pendingChange`.
    business_content: str = strawberry.field(description="事業内容.")
    features: str = strawberry.field(description="会社の特長.")
    representative_title: str = strawberry.field(description="代表者役職.")
    representative_name: str = strawberry.field(description="代表者名.")
    employee_count: int | None = strawberry.field(description="従業員数 (企業全体).")
    workplace_employee_count: int | None = strawberry.field(description="従業員数 (就業場所).")
    founded_year: int | None = strawberry.field(description="設立年.")
    capital_yen: Yen | None = strawberry.field(description="資本金 (円).")
    website: str = strawberry.field(description="ホームページ.")
    notification_email: str = strawberry.field(
        description="通知先メールアドレス; empty: the logins' own addresses."
    )
    office_id: strawberry.Private[int]

    @classmethod
    def from_model(cls, establishment: models.Establishment) -> Self:
        return cls(
            id=establishment.id,
            establishment_number=establishment.number,
            office_id=establishment.office_id,
            **establishments.EstablishmentProfile.of(establishment).values(),
        )

    @strawberry.field(description="The jurisdiction office (管轄安定所).")
    async def office(self, info: Info) -> Office:
        return Office.from_model(await info.context.loaders.office_by_id.load(self.office_id))

    @strawberry.field(
        description=(
            "A change of the profile waiting for staff review; for the establishment's "
            "employers and its office's staff, null for anyone else."
        )
    )
    async def pending_change(self, info: Info) -> EstablishmentChange | None:
        viewer = info.context.viewer
        if not establishments.may_see_changes(viewer, self.id, self.office_id):
            return None
        loaded = await info.context.loaders.pending_establishment_change_by_establishment_id.load(
            self.id
        )
        return EstablishmentChange.from_model(loaded) if loaded is not None else None

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        viewer = info.context.viewer
        return await visible_nodes(
            node_ids, lambda ids: establishments.visible_establishments(viewer, ids), cls.from_model
        )


strawberry.enum(ReviewStatusEnum, description="PENDING 審査待ち, APPROVED 承認, REJECTED 差戻し.")
ReviewStatus = ReviewStatusEnum


@strawberry.type(description="A change of an establishment's profile (事業所情報の変更申請).")
class EstablishmentChange(relay.Node):
    id: relay.NodeID[int]
    status: ReviewStatus
    proposed: EstablishmentProfile = strawberry.field(description="The profile as proposed.")
    requested_at: dt.datetime
    reviewed_at: dt.datetime | None
    review_reason: str = strawberry.field(description="Why it was rejected (差戻しの理由).")
    establishment_id: strawberry.Private[int]

    @classmethod
    def from_model(cls, change: models.EstablishmentChange) -> Self:
        return cls(
            id=change.id,
            status=change.status,
            proposed=EstablishmentProfile.from_profile(
                establishments.EstablishmentProfile.from_json(change.proposed)
            ),
            requested_at=change.requested_at,
            reviewed_at=change.reviewed_at,
            review_reason=change.review_reason,
            establishment_id=change.establishment_id,
        )

    @strawberry.field(description="The establishment whose profile would change.")
    async def establishment(self, info: Info) -> Establishment:
        loaded = await info.context.loaders.establishment_by_id.load(self.establishment_id)
        return Establishment.from_model(loaded)

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        viewer = info.context.viewer
        return await visible_nodes(
            node_ids, lambda ids: establishments.visible_changes(viewer, ids), cls.from_model
        )


@strawberry.input(description="事業所登録 at the counter.")
class EstablishmentRegisterInput:
    establishment_number: str = strawberry.field(description="事業所番号 NNNN-NNNNNN-N.")
    name: str
    name_kana: str = strawberry.field(description="Full-width katakana.")
    phone_number: str = strawberry.field(description="Three groups of digits: 03-1234-5678.")
    postal_code: str = strawberry.field(description="123-4567.")
    address: str


@strawberry.type
class EstablishmentRegisterPayload:
    establishment: Establishment | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class AccountCreationCodeIssueInput:
    # A plain ID, decoded in the resolver: a malformed one is NOT_FOUND, not an internal error.
    establishment_id: strawberry.ID


@strawberry.type(description="A new account creation code; the plaintext is shown only here.")
class AccountCreationCodeIssuePayload:
    code: str | None = strawberry.field(default=None, description="アカウント作成コード.")
    expires_on: dt.date | None = strawberry.field(default=None, description="有効期限 (inclusive).")
    expires_on_japanese: str | None = strawberry.field(
        default=None, description="有効期限 in the Japanese era: 令和8年12月15日."
    )
    establishment: Establishment | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input(
    description=(
        "事業所情報設定: the whole profile, always sent whole; the establishment number "
        "(事業所番号) is not part of it and cannot be changed here."
    )
)
class EstablishmentUpdateInput:
    name: str = strawberry.field(description="Up to 100 characters.")
    name_kana: str = strawberry.field(description="Full-width katakana, up to 200 characters.")
    postal_code: str = strawberry.field(description="123-4567.")
    address: str = strawberry.field(description="Up to 300 characters.")
    phone_number: str = strawberry.field(description="Three groups of digits: 03-1234-5678.")
    business_content: str = strawberry.field(default="", description="事業内容, up to 1000.")
    features: str = strawberry.field(default="", description="会社の特長, up to 1000.")
    representative_title: str = strawberry.field(default="", description="代表者役職, up to 50.")
    representative_name: str = strawberry.field(default="", description="代表者名, up to 50.")
    employee_count: int | None = strawberry.field(default=None, description="0 or more.")
    workplace_employee_count: int | None = strawberry.field(default=None, description="0 or more.")
    founded_year: int | None = strawberry.field(
        default=None, description="From 1800 to this year (Asia/Tokyo)."
    )
    capital_yen: Yen | None = strawberry.field(default=None, description="0 or more.")
    website: str = strawberry.field(default="", description="An http:// or https:// URL.")
    notification_email: str = strawberry.field(
        default="", description="通知先メールアドレス; empty: the logins' own addresses."
    )

    def to_profile(self) -> establishments.EstablishmentProfile:
        return establishments.EstablishmentProfile(
            **{
                f.name: getattr(self, f.name)
                for f in dataclasses.fields(establishments.EstablishmentProfile)
            }
        )


@strawberry.type
class EstablishmentUpdatePayload:
    change: EstablishmentChange | None = strawberry.field(
        default=None, description="The change, waiting for staff review."
    )
    establishment: Establishment | None = strawberry.field(
        default=None, description="The establishment, with the approved profile still in use."
    )
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class EstablishmentChangeReviewInput:
    # A plain ID, decoded in the resolver: a malformed one is NOT_FOUND, not an internal error.
    change_id: strawberry.ID
    approve: bool = strawberry.field(description="true 承認, false 差戻し.")
    reason: str = strawberry.field(
        default="", description="Required to reject (差戻しの理由), up to 500 characters."
    )


@strawberry.type
class EstablishmentChangeReviewPayload:
    change: EstablishmentChange | None = None
    establishment: Establishment | None = strawberry.field(
        default=None, description="The establishment, with the profile now in use."
    )
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class EstablishmentMutation:
    @strawberry.mutation(
        description="Staff: register an establishment under their office.",
        permission_classes=[IsStaff],
    )
    async def establishment_register(
        self, info: Info, input: EstablishmentRegisterInput
    ) -> EstablishmentRegisterPayload:
        ctx = info.context
        try:
            establishment = await establishments.register_establishment(
                ctx.rt,
                ctx.viewer,
                establishment_number=input.establishment_number,
                name=input.name,
                name_kana=input.name_kana,
                phone_number=input.phone_number,
                postal_code=input.postal_code,
                address=input.address,
            )
        except UserErrors as exc:
            return EstablishmentRegisterPayload(errors=user_errors(exc))
        return EstablishmentRegisterPayload(establishment=Establishment.from_model(establishment))

    @strawberry.mutation(
        description="Staff: issue an account creation code; the previous one stops working.",
        permission_classes=[IsStaff],
    )
    async def account_creation_code_issue(
        self, info: Info, input: AccountCreationCodeIssueInput
    ) -> AccountCreationCodeIssuePayload:
        ctx = info.context
        try:
            establishment_id = decode_id(input.establishment_id, "Establishment", "establishmentId")
            issued = await establishments.issue_account_creation_code(
                ctx.rt, ctx.viewer, establishment_id=establishment_id
            )
        except UserErrors as exc:
            return AccountCreationCodeIssuePayload(errors=user_errors(exc))
        establishment = await models.Establishment.get(id=issued.record.establishment_id)
        return AccountCreationCodeIssuePayload(
            code=issued.code,
            expires_on=issued.record.expires_on,
            expires_on_japanese=japanese_era_date(issued.record.expires_on),
            establishment=Establishment.from_model(establishment),
        )

    @strawberry.mutation(
        description=(
            "Employer: propose a new profile (事業所情報設定); the approved one stays in use "
            "until staff approve. A newer proposal replaces one still waiting."
        ),
        permission_classes=[IsEmployer],
    )
    async def establishment_update(
        self, info: Info, input: EstablishmentUpdateInput
    ) -> EstablishmentUpdatePayload:
        ctx = info.context
        try:
            change = await establishments.request_profile_change(
                ctx.rt, ctx.viewer, input.to_profile()
            )
        except UserErrors as exc:
            return EstablishmentUpdatePayload(errors=user_errors(exc))
        establishment = await models.Establishment.get(id=change.establishment_id)
        return EstablishmentUpdatePayload(
            change=EstablishmentChange.from_model(change),
            establishment=Establishment.from_model(establishment),
        )

    @strawberry.mutation(
        description="Staff: approve a profile change, which then applies, or reject it.",
        permission_classes=[IsStaff],
    )
    async def establishment_change_review(
        self, info: Info, input: EstablishmentChangeReviewInput
    ) -> EstablishmentChangeReviewPayload:
        ctx = info.context
        try:
            change_id = decode_id(input.change_id, "EstablishmentChange", "changeId")
            change = await establishments.review_profile_change(
                ctx.rt, ctx.viewer, change_id, approve=input.approve, reason=input.reason
            )
        except UserErrors as exc:
            return EstablishmentChangeReviewPayload(errors=user_errors(exc))
        establishment = await models.Establishment.get(id=change.establishment_id)
        return EstablishmentChangeReviewPayload(
            change=EstablishmentChange.from_model(change),
            establishment=Establishment.from_model(establishment),
        )
