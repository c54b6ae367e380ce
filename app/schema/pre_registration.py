"""The other way in (事業所の仮登録): the applicant's entry and its key, and the office's
本登録 or refusal."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Self

import strawberry
from strawberry import relay

import app.schema.describe as describe
from app import models
from app.errors import UserErrors
from app.models.counter import PreRegistrationStatus as PreRegistrationStatusEnum
from app.resolvers import pre_registration
from app.schema.context import Info
from app.schema.errors import ERRORS, UserError, run_change, user_errors
from app.schema.establishments import Establishment, Office
from app.schema.nodes import decode_id, visible_to_viewer
from app.schema.permissions import IsStaff

describe.enum(
    PreRegistrationStatusEnum,
    name="PreRegistrationStatus",
    description=(
        "仮登録の状態 (the state of a pre-registration): UNVERIFIED 未確認, PENDING 確認待ち, "
        "CONFIRMED 本登録, REFUSED お断り, VOID 無効."
    ),
)
PreRegistrationStatus = PreRegistrationStatusEnum


@strawberry.type(
    description=(
        "事業所の仮登録: an establishment Hello Work does not know yet, entered online and "
        "waiting for its office's 本登録; seen by staff of that office only, once its address "
        "was confirmed."
    )
)
class EstablishmentPreRegistration(relay.Node):
    id: relay.NodeID[int]
    receipt_number: str = strawberry.field(
        description="受付番号 (receipt number): 8 digits, as the applicant's mail has it."
    )
    status: PreRegistrationStatus = strawberry.field(description="仮登録の状態 (its state).")
    name: str = strawberry.field(description="事業所名.")
    name_kana: str = strawberry.field(description="事業所名（カナ）.")
    postal_code: str = strawberry.field(description="郵便番号 123-4567.")
    prefecture: str = strawberry.field(description="都道府県.")
    city: str = strawberry.field(description="市区町村, as the jurisdiction table spells it.")
    street: str = strawberry.field(description="町名番地・建物.")
    phone_number: str = strawberry.field(description="事業所の電話番号.")
    industry: str = strawberry.field(description="産業（事業の内容）.")
    employee_count: int = strawberry.field(description="従業員数.")
    representative_title: str = strawberry.field(description="代表者役職.")
    representative_name: str = strawberry.field(description="代表者名.")
    contact_name: str = strawberry.field(description="担当者名.")
    contact_department: str = strawberry.field(description="担当者の部署.")
    contact_phone: str = strawberry.field(description="担当者の電話番号; empty: the main one.")
    email: str = strawberry.field(description="The address of the first login, confirmed.")
    created_at: dt.datetime = strawberry.field(description="Entered (仮登録).")
    verified_at: dt.datetime | None = strawberry.field(
        description="The address confirmed: entered the office's queue."
    )
    reviewed_at: dt.datetime | None = strawberry.field(description="Confirmed or refused.")
    refusal_reason: str | None = strawberry.field(description="Why it was refused (mailed).")
    review_note: str | None = strawberry.field(description="What staff checked, at 本登録.")
    office_id: strawberry.Private[int]
    establishment_id: strawberry.Private[int | None]

    @classmethod
    def from_model(cls, row: models.EstablishmentPreRegistration) -> Self:
        return cls(
            id=row.id,
            receipt_number=pre_registration.receipt_number(row),
            status=row.status,
            name=row.name,
            name_kana=row.name_kana,
            postal_code=row.postal_code,
            prefecture=row.prefecture,
            city=row.city,
            street=row.street,
            phone_number=row.phone_number,
            industry=row.industry,
            employee_count=row.employee_count,
            representative_title=row.representative_title,
            representative_name=row.representative_name,
            contact_name=row.contact_name,
            contact_department=row.contact_department,
            contact_phone=row.contact_phone,
            email=row.email,
            created_at=row.created_at,
            verified_at=row.verified_at,
            reviewed_at=row.reviewed_at,
            refusal_reason=row.refusal_reason or None,
            review_note=row.review_note or None,
            office_id=row.office_id,
            establishment_id=row.establishment_id,
        )

    @strawberry.field(description="The jurisdiction office (管轄安定所) whose queue it is in.")
    async def office(self, info: Info) -> Office:
        return Office.from_model(await info.context.loaders.office_by_id.load(self.office_id))

    @strawberry.field(description="The establishment made at 本登録; null before.")
    async def establishment(self, info: Info) -> Establishment | None:
        if self.establishment_id is None:
            return None
        loaded = await info.context.loaders.establishment_by_id.load(self.establishment_id)
        return Establishment.from_model(loaded)

    resolve_nodes = visible_to_viewer(pre_registration.visible_pre_registrations)


@strawberry.input(
    description="事業所の仮登録: the establishment, its first login's address, terms."
)
class EstablishmentPreRegisterInput:
    name: str = strawberry.field(
        description="事業所名 (establishment name), required: one line, up to 100 characters."
    )
    name_kana: str = strawberry.field(
        description="事業所名（カナ）, required: full-width katakana, up to 200 characters."
    )
    postal_code: str = strawberry.field(
        description="郵便番号 (postal code), required: half-width 123-4567."
    )
    prefecture: str = strawberry.field(
        description="都道府県 (prefecture), required, by its full name: 東京都."
    )
    city: str = strawberry.field(
        description=(
            "市区町村 (municipality), required, up to 50 characters (千代田区, 大阪市中央区); its "
            "jurisdiction office must be one this service serves (else NO_JURISDICTION)."
        )
    )
    street: str = strawberry.field(
        description="町名番地・建物 (street and building), required: one line, up to 200."
    )
    phone_number: str = strawberry.field(
        description=(
            "電話番号 (phone number), required: three groups of half-width digits, 10 or 11 "
            "in all (03-1234-5678)."
        )
    )
    industry: str = strawberry.field(
        description="産業（事業の内容） (industry), required: one line, up to 100 characters."
    )
    employee_count: int = strawberry.field(
        description="従業員数 (employees), required: 1 to 9999999."
    )
    representative_title: str = strawberry.field(
        default="", description="代表者役職 (representative's title): one line, up to 50."
    )
    representative_name: str = strawberry.field(
        description="代表者名 (representative's name), required: one line, up to 50."
    )
    contact_name: str = strawberry.field(
        description="担当者名 (contact person), required: one line, up to 50 characters."
    )
    contact_department: str = strawberry.field(
        default="", description="担当者の部署 (contact's department): one line, up to 50."
    )
    contact_phone: str = strawberry.field(
        default="",
        description=(
            "担当者の電話番号 (contact's phone): three groups of half-width digits; empty: the "
            "main one."
        ),
    )
    email: str = strawberry.field(
        description="The first login's address, required: half-width, up to 100 characters."
    )
    email_confirmation: str = strawberry.field(description="The same address again.")
    agreed_privacy_policy_version: str = strawberry.field(
        description="The version of the privacy policy agreed to (`termsDocuments`); the current."
    )
    agreed_terms_version: str = strawberry.field(
        description="The version of the terms of use agreed to (`termsDocuments`); the current."
    )

    def details(self) -> pre_registration.PreRegistrationDetails:
        return pre_registration.PreRegistrationDetails(
            name=self.name,
            name_kana=self.name_kana,
            postal_code=self.postal_code,
            prefecture=self.prefecture,
            city=self.city,
            street=self.street,
            phone_number=self.phone_number,
            industry=self.industry,
            employee_count=self.employee_count,
            representative_title=self.representative_title,
            representative_name=self.representative_name,
            contact_name=self.contact_name,
            contact_department=self.contact_department,
            contact_phone=self.contact_phone,
        )


@strawberry.type(
    description="The entry's receipt; the same whether or not the address has a login."
)
class EstablishmentPreRegisterPayload:
    receipt_number: str | None = strawberry.field(default=None, description="受付番号.")
    key_expires_at: dt.datetime | None = strawberry.field(
        default=None, description="The mailed 認証キー is valid until then (50 minutes)."
    )
    errors: list[UserError] = strawberry.field(default_factory=list, description=ERRORS)


@strawberry.input(description="The 認証キー mailed at 仮登録, which confirms the address.")
class EstablishmentPreRegisterVerifyInput:
    email: str = strawberry.field(description="The address the key was mailed to.")
    key: str = strawberry.field(description="認証キー from the mail.")


@strawberry.type(
    description="The answer to `establishmentPreRegisterVerify`: the entry is in the queue."
)
class EstablishmentPreRegisterVerifyPayload:
    receipt_number: str | None = strawberry.field(default=None, description="受付番号.")
    office_name: str | None = strawberry.field(
        default=None, description="The Hello Work office that will check the entry."
    )
    errors: list[UserError] = strawberry.field(default_factory=list, description=ERRORS)


_PRE_REGISTRATION_ID = (
    "An `EstablishmentPreRegistration` ID waiting in the staff member's office (PENDING); "
    "another office's, or a malformed one, is NOT_FOUND."
)


@strawberry.input(description="本登録 of a waiting pre-registration.")
class EstablishmentConfirmInput:
    # A plain ID, decoded in the resolver: a malformed one is NOT_FOUND, not an internal error.
    pre_registration_id: strawberry.ID = strawberry.field(description=_PRE_REGISTRATION_ID)
    note: str = strawberry.field(
        default="", description="確認内容: what was checked (by phone), up to 500 characters."
    )


@strawberry.type(description="The answer to `establishmentConfirm`.")
class EstablishmentConfirmPayload:
    establishment: Establishment | None = strawberry.field(
        default=None, description="The establishment made, with its 事業所番号."
    )
    pre_registration: EstablishmentPreRegistration | None = strawberry.field(
        default=None, description="The pre-registration, now CONFIRMED."
    )
    errors: list[UserError] = strawberry.field(default_factory=list, description=ERRORS)


@strawberry.input(description="Refuse a waiting pre-registration; the reason is mailed.")
class EstablishmentPreRegistrationRefuseInput:
    # A plain ID, decoded in the resolver: a malformed one is NOT_FOUND, not an internal error.
    pre_registration_id: strawberry.ID = strawberry.field(description=_PRE_REGISTRATION_ID)
    reason: str = strawberry.field(description="お断りの理由, required, up to 500 characters.")


@strawberry.type(description="The answer to `establishmentPreRegistrationRefuse`.")
class EstablishmentPreRegistrationRefusePayload:
    pre_registration: EstablishmentPreRegistration | None = strawberry.field(
        default=None, description="The pre-registration, now REFUSED."
    )
    errors: list[UserError] = strawberry.field(default_factory=list, description=ERRORS)


_TYPE = "EstablishmentPreRegistration"
_FIELD = "preRegistrationId"


@strawberry.type
class PreRegistrationMutation:
    @strawberry.mutation(
        description=(
            "事業所の仮登録 (anyone): enter an establishment Hello Work does not know yet; a "
            "認証キー valid 50 minutes is mailed to the address."
        )
    )
    async def establishment_pre_register(
        self,
        info: Info,
        input: Annotated[
            EstablishmentPreRegisterInput,
            strawberry.argument(
                description="The establishment, its first login's address and the terms agreed."
            ),
        ],
    ) -> EstablishmentPreRegisterPayload:
        try:
            row = await pre_registration.pre_register(
                info.context.rt,
                input.details(),
                email=input.email,
                email_confirmation=input.email_confirmation,
                agreed_privacy_policy_version=input.agreed_privacy_policy_version,
                agreed_terms_version=input.agreed_terms_version,
                client=info.context.client_address,
            )
        except UserErrors as exc:
            return EstablishmentPreRegisterPayload(errors=user_errors(exc))
        return EstablishmentPreRegisterPayload(
            receipt_number=pre_registration.receipt_number(row), key_expires_at=row.expires_at
        )

    @strawberry.mutation(
        description=(
            "Confirm the address of a 仮登録 with its 認証キー (anyone): the entry goes to the "
            "jurisdiction office's queue."
        )
    )
    async def establishment_pre_register_verify(
        self,
        info: Info,
        input: Annotated[
            EstablishmentPreRegisterVerifyInput,
            strawberry.argument(description="The address and the mailed 認証キー."),
        ],
    ) -> EstablishmentPreRegisterVerifyPayload:
        try:
            row = await pre_registration.verify_pre_registration(
                info.context.rt,
                email=input.email,
                key=input.key,
                client=info.context.client_address,
            )
        except UserErrors as exc:
            return EstablishmentPreRegisterVerifyPayload(errors=user_errors(exc))
        office = await info.context.loaders.office_by_id.load(row.office_id)
        return EstablishmentPreRegisterVerifyPayload(
            receipt_number=pre_registration.receipt_number(row), office_name=office.name
        )

    @strawberry.mutation(
        description=(
            "Staff of its office: 本登録 of a waiting pre-registration; makes the establishment "
            "with its 事業所番号 and mails the first login a key to set its password "
            "(`employerInvitationAccept`)."
        ),
        permission_classes=[IsStaff],
    )
    async def establishment_confirm(
        self,
        info: Info,
        input: Annotated[
            EstablishmentConfirmInput,
            strawberry.argument(description="The pre-registration and what was checked."),
        ],
    ) -> EstablishmentConfirmPayload:
        ctx = info.context
        try:
            row_id = decode_id(input.pre_registration_id, _TYPE, _FIELD)
            confirmed = await pre_registration.confirm_pre_registration(
                ctx.rt, ctx.viewer, row_id, note=input.note
            )
        except UserErrors as exc:
            return EstablishmentConfirmPayload(errors=user_errors(exc))
        return EstablishmentConfirmPayload(
            establishment=Establishment.from_model(confirmed.establishment),
            pre_registration=EstablishmentPreRegistration.from_model(confirmed.pre_registration),
        )

    @strawberry.mutation(
        description="Staff of its office: refuse a waiting pre-registration with a reason.",
        permission_classes=[IsStaff],
    )
    async def establishment_pre_registration_refuse(
        self,
        info: Info,
        input: Annotated[
            EstablishmentPreRegistrationRefuseInput,
            strawberry.argument(description="The pre-registration and the reason."),
        ],
    ) -> EstablishmentPreRegistrationRefusePayload:
        ctx = info.context

        async def change() -> models.EstablishmentPreRegistration:
            row_id = decode_id(input.pre_registration_id, _TYPE, _FIELD)
            return await pre_registration.refuse_pre_registration(
                ctx.rt, ctx.viewer, row_id, reason=input.reason
            )

        return await run_change(
            EstablishmentPreRegistrationRefusePayload,
            change,
            "pre_registration",
            EstablishmentPreRegistration.from_model,
        )
