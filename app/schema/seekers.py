"""Job seekers (求職者): registration, the profile, the seeker search and direct requests."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Self

import strawberry
from strawberry import relay

from app import models
from app.errors import UserErrors
from app.resolvers import postings, seekers
from app.schema.context import Info
from app.schema.errors import UserError, user_errors
from app.schema.nodes import decode_id, visible_to_viewer
from app.schema.paging import (
    After,
    Before,
    Connection,
    Edge,
    First,
    Last,
    connection,
    encode_cursor,
    id_window,
)
from app.schema.permissions import IsEmployer, IsSeeker
from app.schema.postings import EmploymentType, PostingSearchResult, WorkStyle

PROFILE_TYPE = "SeekerProfile"


async def posting_summary(info: Info, posting_id: int) -> PostingSearchResult:
    """A posting as job seekers see it, its publication range (公開範囲) applied."""
    loaders = info.context.loaders
    posting = await loaders.posting(posting_id)
    posting.establishment = await loaders.establishment_by_id.load(posting.establishment_id)
    show_name = postings.shows_establishment(info.context.viewer, posting)
    return PostingSearchResult.from_model(posting, show_name=show_name)


# --- Types --------------------------------------------------------------------------------


@strawberry.type(
    description=(
        "求職者情報 (applicant profile): a seeker's profile as employers see it, desired work, "
        "experience and licences; never the name or any contact (氏名・連絡先は表示されない). "
        "Readable by `node` for the seeker, for employers who find it by the seeker search "
        "(while their establishment has an active posting), who were applied to or sent a "
        "request, and for staff of an office applied to."
    )
)
class ApplicantProfile(relay.Node):
    id: relay.NodeID[int]
    profile_id: strawberry.ID = strawberry.field(
        description="The `SeekerProfile` global ID, for `seekerRequestSend`."
    )
    desired_job: str = strawberry.field(description="希望職種 (desired job); empty when not given.")
    desired_prefecture: str = strawberry.field(
        description="希望勤務地 (desired prefecture): 東京都 …; empty when not given."
    )
    desired_employment_type: EmploymentType | None = strawberry.field(
        description="希望雇用形態 (desired employment type); null when not given."
    )
    desired_work_style: WorkStyle | None = strawberry.field(
        description="希望就業形態 (フルタイム / パート); null when not given."
    )
    experience: str = strawberry.field(description="職務経験 (experience); empty when not given.")
    licenses: str = strawberry.field(description="免許・資格 (licences); empty when not given.")
    updated_at: dt.datetime = strawberry.field(
        description="更新日時: when the seeker last wrote it."
    )

    @classmethod
    def from_model(cls, profile: models.SeekerProfile) -> Self:
        return cls(
            id=profile.id,
            profile_id=strawberry.ID(relay.to_base64(PROFILE_TYPE, profile.id)),
            desired_job=profile.desired_job,
            desired_prefecture=profile.desired_prefecture,
            desired_employment_type=profile.desired_employment_type,
            desired_work_style=profile.desired_work_style,
            experience=profile.experience,
            licenses=profile.licenses,
            updated_at=profile.updated_at,
        )

    resolve_nodes = visible_to_viewer(seekers.visible_applicant_profiles)


@strawberry.type(
    description=(
        "求職者マイページのプロフィール (the seeker's own profile), with name and contact; only "
        "they see it (by `seekerProfile` or `node`)."
    )
)
class SeekerProfile(relay.Node):
    id: relay.NodeID[int]
    display_name: str = strawberry.field(description="氏名 (name).")
    email: str = strawberry.field(description="メールアドレス (email): the seeker's login.")
    phone_number: str = strawberry.field(
        description="電話番号 (phone number): 03-1234-5678; empty when not given."
    )
    name_kana: str = strawberry.field(description="氏名カナ (name in kana); empty when not given.")
    birth_date: dt.date | None = strawberry.field(
        description="生年月日 (birth date; employers of applications see the age); null when "
        "not given."
    )
    prefecture: str = strawberry.field(
        description="住所の都道府県 (prefecture of the address); empty when not given."
    )
    city: str = strawberry.field(
        description="住所の市区町村 (city of the address); empty when not given."
    )
    desired_job: str = strawberry.field(description="希望職種 (desired job); empty when not given.")
    desired_prefecture: str = strawberry.field(
        description="希望勤務地 (desired prefecture): 東京都 …; empty when not given."
    )
    desired_employment_type: EmploymentType | None = strawberry.field(
        description="希望雇用形態 (desired employment type); null when not given."
    )
    desired_work_style: WorkStyle | None = strawberry.field(
        description="希望就業形態 (フルタイム / パート); null when not given."
    )
    experience: str = strawberry.field(description="職務経験 (experience); empty when not given.")
    licenses: str = strawberry.field(description="免許・資格 (licences); empty when not given.")
    published: bool = strawberry.field(
        description="公開希望 (published): employers with an active posting can find the "
        "profile, anonymised."
    )
    updated_at: dt.datetime = strawberry.field(
        description="更新日時: when the seeker last wrote it."
    )

    @classmethod
    def from_model(cls, profile: models.SeekerProfile) -> Self:
        return cls(
            id=profile.id,
            display_name=profile.display_name,
            email=profile.user.email,
            phone_number=profile.phone_number,
            name_kana=profile.name_kana,
            birth_date=profile.birth_date,
            prefecture=profile.prefecture,
            city=profile.city,
            desired_job=profile.desired_job,
            desired_prefecture=profile.desired_prefecture,
            desired_employment_type=profile.desired_employment_type,
            desired_work_style=profile.desired_work_style,
            experience=profile.experience,
            licenses=profile.licenses,
            published=profile.published,
            updated_at=profile.updated_at,
        )

    resolve_nodes = visible_to_viewer(seekers.visible_profiles)


@strawberry.type(
    description=(
        "直接リクエスト (request): an establishment's invitation to a seeker to apply online to "
        "one posting. Readable by `node` for the seeker and the establishment's logins."
    )
)
class SeekerRequest(relay.Node):
    id: relay.NodeID[int]
    posting_id: strawberry.ID = strawberry.field(
        description="The posting's global ID: the seeker answers with `applicationCreate`."
    )
    message: str = strawberry.field(
        description="メッセージ (message) of the establishment, plain text; empty when none."
    )
    created_at: dt.datetime = strawberry.field(description="送信日時 (sent at).")
    posting_pk: strawberry.Private[int]
    seeker_id: strawberry.Private[int]

    @classmethod
    def from_model(cls, request: models.SeekerRequest) -> Self:
        return cls(
            id=request.id,
            posting_id=strawberry.ID(relay.to_base64("Posting", request.posting_id)),
            message=request.message,
            created_at=request.created_at,
            posting_pk=request.posting_id,
            seeker_id=request.seeker_id,
        )

    resolve_nodes = visible_to_viewer(seekers.visible_requests)

    @strawberry.field(description="The posting as seekers see it (公開範囲 applied).")
    async def posting(self, info: Info) -> PostingSearchResult:
        return await posting_summary(info, self.posting_pk)

    @strawberry.field(description="The seeker invited, anonymised.")
    async def seeker(self, info: Info) -> ApplicantProfile:
        profile = await info.context.loaders.seeker_profile_by_user_id.load(self.seeker_id)
        assert profile is not None
        return ApplicantProfile.from_model(profile)


@strawberry.type(description="A page of the seeker search, newest profile first; at most 100.")
class ApplicantProfileConnection(Connection[Edge[ApplicantProfile]]):
    pass


@strawberry.type(description="A page of direct requests, newest first; at most 100.")
class SeekerRequestConnection(Connection[Edge[SeekerRequest]]):
    pass


_PROFILE_CURSOR = "seeker-profile"
_REQUEST_CURSOR = "seeker-request"


def _profile_edge(item: models.SeekerProfile) -> Edge[ApplicantProfile]:
    return Edge(
        cursor=encode_cursor(_PROFILE_CURSOR, item.id), node=ApplicantProfile.from_model(item)
    )


def _request_edge(item: models.SeekerRequest) -> Edge[SeekerRequest]:
    return Edge(cursor=encode_cursor(_REQUEST_CURSOR, item.id), node=SeekerRequest.from_model(item))


@strawberry.type(
    description=(
        "窓口での求職者確認 (a seeker as counter staff identify them before a referral); staff "
        "only."
    )
)
class CounterSeeker:
    id: strawberry.ID = strawberry.field(
        description="Global ID of this view of the seeker (opaque), a key for caches; not a `node`."
    )
    profile_id: strawberry.ID = strawberry.field(description="The `seekerId` of `referralCreate`.")
    display_name: str = strawberry.field(description="氏名 (name).")
    email: str = strawberry.field(description="メールアドレス (email): the seeker's login.")


@strawberry.type
class SeekerQuery:
    @strawberry.field(description="Seeker: their own profile, with name and contact.")
    async def seeker_profile(self, info: Info) -> SeekerProfile:
        return SeekerProfile.from_model(await seekers.my_profile(info.context.viewer))

    @strawberry.field(description="Staff: a registered seeker by email, or null.")
    async def counter_seeker(
        self,
        info: Info,
        email: Annotated[
            str,
            strawberry.argument(
                description="メールアドレス (email) of the seeker's login, in any case."
            ),
        ],
    ) -> CounterSeeker | None:
        profile = await seekers.profile_for_counter(info.context.viewer, email)
        if profile is None:
            return None
        return CounterSeeker(
            id=strawberry.ID(relay.to_base64("CounterSeeker", profile.id)),
            profile_id=strawberry.ID(relay.to_base64(PROFILE_TYPE, profile.id)),
            display_name=profile.display_name,
            email=profile.user.email,
        )

    @strawberry.field(
        description=(
            "Employer: 求職者情報検索 (seeker search), published profiles (公開希望) only, "
            "anonymised, newest first. Only an establishment with an active posting may search "
            "(else FORBIDDEN)."
        )
    )
    async def seeker_search(
        self,
        info: Info,
        keyword: Annotated[
            str | None,
            strawberry.argument(
                description="キーワード (keyword): found in the desired job, the experience or "
                "the licences, in any case; blank for all."
            ),
        ] = None,
        prefecture: Annotated[
            str | None,
            strawberry.argument(
                description="希望勤務地 (desired prefecture), one of the 47: 東京都 …; another "
                "value finds nothing."
            ),
        ] = None,
        employment_type: Annotated[
            EmploymentType | None,
            strawberry.argument(description="希望雇用形態 (desired employment type)."),
        ] = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> ApplicantProfileConnection:
        window = id_window(_PROFILE_CURSOR, first, after, last, before)
        filters = seekers.SearchFilters(
            keyword=keyword, prefecture=prefecture, employment_type=employment_type
        )
        page = await seekers.search_seekers(info.context.viewer, filters, window=window)
        return connection(ApplicantProfileConnection, page, _profile_edge)

    @strawberry.field(description="Seeker: the direct requests they received, newest first.")
    async def my_requests(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> SeekerRequestConnection:
        window = id_window(_REQUEST_CURSOR, first, after, last, before)
        page = await seekers.my_requests(info.context.viewer, window=window)
        return connection(SeekerRequestConnection, page, _request_edge)


# --- Mutations ----------------------------------------------------------------------------


@strawberry.input(
    description=(
        "求職者マイページ 仮登録 (seeker registration): mails a 認証キー valid 50 minutes. An "
        "address that already has a login is answered alike (its owner is told by mail)."
    )
)
class SeekerRegisterInput:
    email: str = strawberry.field(
        description="メールアドレス (email): required, half-width, up to 100 characters."
    )
    email_confirmation: str = strawberry.field(
        description="メールアドレス（確認用）: the same address again (case aside), else MISMATCH."
    )
    password: str = strawberry.field(
        description=(
            "パスワード (password): 8 to 32 half-width characters with letters, digits and "
            "symbols, all three."
        )
    )
    password_confirmation: str = strawberry.field(
        description="パスワード（確認用）: the same password again, else MISMATCH."
    )
    display_name: str = strawberry.field(description="氏名 (name): required, up to 50 characters.")


@strawberry.type(description="The answer of `seekerRegister`.")
class SeekerRegisterPayload:
    verification_key_expires_at: dt.datetime | None = strawberry.field(
        default=None, description="The mailed 認証キー is valid until then (50 minutes)."
    )
    errors: list[UserError] = strawberry.field(
        default_factory=list, description="Why nothing was registered; empty when the key left."
    )


@strawberry.input(
    description="本登録 (verification): the 認証キー from the mail; 5 wrong keys void it."
)
class SeekerVerifyEmailInput:
    email: str = strawberry.field(
        description="メールアドレス (email) registered with `seekerRegister`: half-width, up to "
        "100 characters."
    )
    key: str = strawberry.field(
        description="認証キー (verification key) from the mail: half-width, valid 50 minutes."
    )


@strawberry.type(description="The answer of `seekerVerifyEmail`.")
class SeekerVerifyEmailPayload:
    seeker_profile: SeekerProfile | None = strawberry.field(
        default=None, description="The new, empty profile; log in with portal SEEKER."
    )
    errors: list[UserError] = strawberry.field(
        default_factory=list, description="Why no login was opened; empty when it was."
    )


@strawberry.input(
    description=(
        "プロフィール (profile): the desired-work part is sent whole; name, contact and address "
        "stay as they are when null."
    )
)
class SeekerProfileUpdateInput:
    desired_job: str = strawberry.field(
        description="希望職種 (desired job): up to 100 characters, or empty."
    )
    desired_prefecture: str = strawberry.field(
        description="希望勤務地 (desired prefecture): one of the 47 (東京都, 大阪府 …) or empty."
    )
    desired_employment_type: EmploymentType | None = strawberry.field(
        description="希望雇用形態 (desired employment type); null for none."
    )
    desired_work_style: WorkStyle | None = strawberry.field(
        description="希望就業形態 (フルタイム / パート); null for none."
    )
    experience: str = strawberry.field(
        description="職務経験 (experience): up to 2000 characters, or empty."
    )
    licenses: str = strawberry.field(
        description="免許・資格 (licences): up to 1000 characters, or empty."
    )
    published: bool = strawberry.field(
        description="公開希望 (publish): whether the seeker search finds the profile, anonymised."
    )
    display_name: str | None = strawberry.field(
        default=None, description="氏名 (name): 1 to 50 characters; null keeps it."
    )
    phone_number: str | None = strawberry.field(
        default=None,
        description=(
            "電話番号 (phone number): half-width digits in three groups (03-1234-5678), 10 or "
            "11 digits; empty clears it, null keeps it."
        ),
    )
    name_kana: str | None = strawberry.field(
        default=None,
        description=(
            "氏名カナ (name in kana): full-width katakana, up to 50 characters; empty clears "
            "it, null keeps it."
        ),
    )
    birth_date: dt.date | None = strawberry.field(
        default=None,
        description=(
            "生年月日 (birth date): not in the future nor before 1 January 120 years ago; null "
            "keeps it."
        ),
    )
    prefecture: str | None = strawberry.field(
        default=None,
        description=(
            "住所の都道府県 (prefecture of the address): one of the 47 (東京都 …); empty clears "
            "it, null keeps it."
        ),
    )
    city: str | None = strawberry.field(
        default=None,
        description=(
            "住所の市区町村 (city of the address): up to 50 characters; empty clears it, null "
            "keeps it."
        ),
    )


@strawberry.type(description="The answer of `seekerProfileUpdate`.")
class SeekerProfileUpdatePayload:
    seeker_profile: SeekerProfile | None = strawberry.field(
        default=None, description="The profile as it is now."
    )
    errors: list[UserError] = strawberry.field(
        default_factory=list, description="Why nothing was changed; empty when it was."
    )


@strawberry.input(
    description=(
        "直接リクエスト (request): invite a seeker found by the search to apply to a posting; at "
        "most 10 seekers per posting, once each, for a posting that accepts online "
        "applications."
    )
)
class SeekerRequestSendInput:
    posting_id: relay.GlobalID = strawberry.field(
        description="An ACTIVE posting of the establishment that accepts online applications."
    )
    seeker_profile_id: strawberry.ID = strawberry.field(
        description="`profileId` from `seekerSearch`: a published profile."
    )
    message: str = strawberry.field(
        default="", description="メッセージ (message) to the seeker: up to 1000 characters."
    )


@strawberry.type(description="The answer of `seekerRequestSend`.")
class SeekerRequestSendPayload:
    request: SeekerRequest | None = strawberry.field(default=None, description="The request sent.")
    errors: list[UserError] = strawberry.field(
        default_factory=list, description="Why nothing was sent; empty when the request was."
    )


@strawberry.type
class SeekerMutation:
    @strawberry.mutation(description="求職者マイページ 仮登録: mails a 認証キー valid 50 minutes.")
    async def seeker_register(
        self,
        info: Info,
        input: Annotated[SeekerRegisterInput, strawberry.argument(description="The applicant.")],
    ) -> SeekerRegisterPayload:
        try:
            registration = await seekers.register_seeker(
                info.context.rt,
                email=input.email,
                email_confirmation=input.email_confirmation,
                password=input.password,
                password_confirmation=input.password_confirmation,
                display_name=input.display_name,
                client=info.context.client_address,
            )
        except UserErrors as exc:
            return SeekerRegisterPayload(errors=user_errors(exc))
        return SeekerRegisterPayload(verification_key_expires_at=registration.expires_at)

    @strawberry.mutation(description="本登録: opens the seeker's login and an empty profile.")
    async def seeker_verify_email(
        self,
        info: Info,
        input: Annotated[
            SeekerVerifyEmailInput, strawberry.argument(description="The address and its key.")
        ],
    ) -> SeekerVerifyEmailPayload:
        try:
            user = await seekers.verify_seeker_email(
                info.context.rt,
                email=input.email,
                key=input.key,
                client=info.context.client_address,
            )
        except UserErrors as exc:
            return SeekerVerifyEmailPayload(errors=user_errors(exc))
        profile = await models.SeekerProfile.get(user_id=user.id).select_related("user")
        return SeekerVerifyEmailPayload(seeker_profile=SeekerProfile.from_model(profile))

    @strawberry.mutation(
        description="Seeker: rewrite their profile and choose to publish it.",
        permission_classes=[IsSeeker],
    )
    async def seeker_profile_update(
        self,
        info: Info,
        input: Annotated[
            SeekerProfileUpdateInput, strawberry.argument(description="The new profile.")
        ],
    ) -> SeekerProfileUpdatePayload:
        ctx = info.context
        profile = seekers.ProfileInput(
            desired_job=input.desired_job,
            desired_prefecture=input.desired_prefecture,
            desired_employment_type=input.desired_employment_type,
            desired_work_style=input.desired_work_style,
            experience=input.experience,
            licenses=input.licenses,
            published=input.published,
            display_name=input.display_name,
            phone_number=input.phone_number,
            name_kana=input.name_kana,
            birth_date=input.birth_date,
            prefecture=input.prefecture,
            city=input.city,
        )
        try:
            updated = await seekers.update_profile(ctx.rt, ctx.viewer, profile)
        except UserErrors as exc:
            return SeekerProfileUpdatePayload(errors=user_errors(exc))
        return SeekerProfileUpdatePayload(seeker_profile=SeekerProfile.from_model(updated))

    @strawberry.mutation(
        description="Employer: 直接リクエスト to a seeker found by the search.",
        permission_classes=[IsEmployer],
    )
    async def seeker_request_send(
        self,
        info: Info,
        input: Annotated[SeekerRequestSendInput, strawberry.argument(description="The request.")],
    ) -> SeekerRequestSendPayload:
        ctx = info.context
        try:
            request = await seekers.send_request(
                ctx.rt,
                ctx.viewer,
                posting_id=decode_id(input.posting_id, "Posting", "postingId"),
                seeker_profile_id=decode_id(
                    input.seeker_profile_id, PROFILE_TYPE, "seekerProfileId"
                ),
                message=input.message,
            )
        except UserErrors as exc:
            return SeekerRequestSendPayload(errors=user_errors(exc))
        return SeekerRequestSendPayload(request=SeekerRequest.from_model(request))
