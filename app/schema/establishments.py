"""Offices, establishments, account creation codes and the employer's home page."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Self

import strawberry
from strawberry import relay

from app import models
from app.errors import UserErrors
from app.japanese import japanese_era_date
from app.models.postings import PostingCategory as PostingCategoryEnum
from app.resolvers import establishments
from app.schema.context import Info
from app.schema.errors import UserError, user_errors
from app.schema.nodes import decode_id

PostingCategory = strawberry.enum(
    PostingCategoryEnum,
    description="求人区分: 一般, 新卒・既卒 (学卒), 季節, 出稼ぎ, 障害者.",
)


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
        node_ids = list(node_ids)
        ids = [int(i) for i in node_ids if i.isdigit()]
        visible = await establishments.visible_offices(info.context.viewer, ids)
        return [
            cls.from_model(visible[int(i)]) if i.isdigit() and int(i) in visible else None
            for i in node_ids
        ]


@strawberry.type(description="An establishment (事業所).")
class Establishment(relay.Node):
    id: relay.NodeID[int]
    establishment_number: str = strawberry.field(description="事業所番号 NNNN-NNNNNN-N.")
    name: str
    name_kana: str
    phone_number: str
    postal_code: str
    address: str
    office_id: strawberry.Private[int]

    @classmethod
    def from_model(cls, establishment: models.Establishment) -> Self:
        return cls(
            id=establishment.id,
            establishment_number=establishment.number,
            name=establishment.name,
            name_kana=establishment.name_kana,
            phone_number=establishment.phone_number,
            postal_code=establishment.postal_code,
            address=establishment.address,
            office_id=establishment.office_id,
        )

    @strawberry.field(description="The jurisdiction office (管轄安定所).")
    async def office(self, info: Info) -> Office:
        return Office.from_model(await info.context.loaders.office_by_id.load(self.office_id))

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        node_ids = list(node_ids)
        ids = [int(i) for i in node_ids if i.isdigit()]
        visible = await establishments.visible_establishments(info.context.viewer, ids)
        return [
            cls.from_model(visible[int(i)]) if i.isdigit() and int(i) in visible else None
            for i in node_ids
        ]


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


@strawberry.type
class EstablishmentMutation:
    @strawberry.mutation(description="Staff: register an establishment under their office.")
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
        description="Staff: issue an account creation code; the previous one stops working."
    )
    async def account_creation_code_issue(
        self, info: Info, input: AccountCreationCodeIssueInput
    ) -> AccountCreationCodeIssuePayload:
        ctx = info.context
        ctx.viewer.require_staff()
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
