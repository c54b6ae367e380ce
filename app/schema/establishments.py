"""Offices, establishments, account creation codes, and the profile (事業所情報設定) with its
review."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import TYPE_CHECKING, Annotated, NewType, Self

import strawberry
from strawberry import relay
from strawberry.dataloader import DataLoader

import app.schema.describe as describe
from app import models
from app.errors import UserErrors
from app.japanese import japanese_era_date
from app.mail import masked
from app.models.establishments import ReviewStatus as ReviewStatusEnum
from app.models.postings import PostingCategory as PostingCategoryEnum
from app.resolvers import establishments, office_establishments
from app.resolvers.accounts import counter_recovery
from app.resolvers.office_establishments import (
    EstablishmentPosition,
    HistoryPosition,
    HistorySource,
    ReviewHistoryAction,
    establishment_position,
)
from app.resolvers.paging import Page
from app.schema.context import Info
from app.schema.errors import ERRORS, UserError, user_errors
from app.schema.nodes import decode_id, visible_to_viewer
from app.schema.paging import (
    After,
    Before,
    Connection,
    Edge,
    First,
    Last,
    bad_cursor,
    bad_input,
    connection,
    cursor_moment,
    cursor_number,
    cursor_parts,
    encode_cursor,
    id_window,
    window,
)
from app.schema.permissions import IsEmployer, IsStaff

if TYPE_CHECKING:
    from app.schema.accounts import EmployerLogin
    from app.schema.applications import Application
    from app.schema.postings import Posting, PostingStatus

# The types of the staff's nested lists are declared where they belong, and those modules
# import this one: they are named lazily.
LazyPosting = Annotated["Posting", strawberry.lazy("app.schema.postings")]
LazyApplication = Annotated["Application", strawberry.lazy("app.schema.applications")]
LazyEmployerLogin = Annotated["EmployerLogin", strawberry.lazy("app.schema.accounts")]
LazyPostingStatus = Annotated["PostingStatus", strawberry.lazy("app.schema.postings")]


describe.enum(
    PostingCategoryEnum,
    description="求人区分 (posting category): 一般, 大卒等 (新卒・既卒), 季節, 出稼ぎ, 障害者.",
)
PostingCategory = PostingCategoryEnum


@strawberry.type(
    description=(
        "A Hello Work office (公共職業安定所). Readable by `node` for its staff and for the "
        "employers of the establishments it has jurisdiction over (管轄安定所)."
    )
)
class Office(relay.Node):
    id: relay.NodeID[int]
    code: str = strawberry.field(description="安定所番号 (office code): 5 digits.")
    name: str = strawberry.field(description="安定所名 (the office's name).")

    @classmethod
    def from_model(cls, office: models.Office) -> Self:
        return cls(id=office.id, code=office.code, name=office.name)

    resolve_nodes = visible_to_viewer(establishments.visible_offices)


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


@strawberry.type(
    description=(
        "事業所情報 (establishment profile): what Hello Work shows of the establishment on "
        "postings; the one in use, or one proposed (`EstablishmentChange.proposed`)."
    )
)
class EstablishmentProfile:
    name: str = strawberry.field(description="事業所名 (establishment name).")
    name_kana: str = strawberry.field(description="事業所名（カナ） (name in full-width katakana).")
    postal_code: str = strawberry.field(description="郵便番号 (postal code): 123-4567.")
    address: str = strawberry.field(description="所在地 (address).")
    phone_number: str = strawberry.field(
        description="電話番号 (phone number): three groups of digits, 03-1234-5678."
    )
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
        "postings until staff approve a `pendingChange`. Seen by its own employers and by "
        "staff of its office (`node` too); its records (postings, applications, logins, "
        "review history) by that office's staff only."
    )
)
class Establishment(relay.Node):
    id: relay.NodeID[int]
    establishment_number: str = strawberry.field(
        description="事業所番号 (establishment number): NNNN-NNNNNN-N, given by Hello Work."
    )
    name: str = strawberry.field(description="事業所名 (establishment name).")
    name_kana: str = strawberry.field(
        description=(
            "事業所名（カナ） (name in full-width katakana): the order of `establishments`."
        )
    )
    phone_number: str = strawberry.field(
        description="電話番号 (phone number): three groups of digits, 03-1234-5678."
    )
    postal_code: str = strawberry.field(description="郵便番号 (postal code): 123-4567.")
    address: str = strawberry.field(description="所在地 (address).")
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
    logins_loader: strawberry.Private[DataLoader[int, list[models.User]] | None] = None
    """The logins of a whole page of `establishments`, read at once; None elsewhere."""

    @classmethod
    def from_model(
        cls,
        establishment: models.Establishment,
        logins_loader: DataLoader[int, list[models.User]] | None = None,
    ) -> Self:
        return cls(
            id=establishment.id,
            establishment_number=establishment.number,
            office_id=establishment.office_id,
            logins_loader=logins_loader,
            **establishments.EstablishmentProfile.of(establishment).values(),
        )

    def _sees_records(self, info: Info) -> bool:
        return office_establishments.office_staff(info.context.viewer, self.office_id) is not None

    @strawberry.field(
        description=(
            "Staff of its office: its postings in every state, newest first; of the drafts "
            "(一時保存) only those staff entered, an employer's unsent draft being its own. "
            "`status` keeps those states. Null for anyone else."
        )
    )
    async def postings(
        self,
        info: Info,
        status: Annotated[
            list[LazyPostingStatus] | None,
            strawberry.argument(
                description=(
                    "求人の状態 (posting states): only postings in these; null: every state, "
                    "empty: none."
                )
            ),
        ] = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> EstablishmentPostingConnection | None:
        if not self._sees_records(info):
            return None
        page_window = id_window(_POSTINGS_CURSOR, first, after, last, before)
        page = await office_establishments.establishment_postings(
            info.context.viewer, self.id, self.office_id, statuses=status, window=page_window
        )
        return _postings_connection(page)

    @strawberry.field(
        description=(
            "Staff of its office: the applications to its postings (応募者), newest first. "
            "Null for anyone else."
        )
    )
    async def applications(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> EstablishmentApplicationConnection | None:
        if not self._sees_records(info):
            return None
        page_window = id_window(_APPLICATIONS_CURSOR, first, after, last, before)
        page = await office_establishments.establishment_applications(
            info.context.viewer, self.id, self.office_id, window=page_window
        )
        return _applications_connection(page)

    @strawberry.field(
        description=(
            "Staff of its office: its logins, active and closed (removed or 退会), oldest "
            "first, without any secret. Null for anyone else; employers read `employerLogins`."
        )
    )
    async def logins(self, info: Info) -> list[LazyEmployerLogin] | None:
        from app.schema.accounts import EmployerLogin

        if not self._sees_records(info):
            return None
        if self.logins_loader is not None:
            found = await self.logins_loader.load(self.id)
        else:
            found = (await office_establishments.logins_of([self.id]))[0]
        now = info.context.rt.clock.now()
        return [EmployerLogin.from_model(user, viewer_id=None, now=now) for user in found]

    @strawberry.field(
        description=(
            "Staff of its office: the decisions taken about it, newest first — postings "
            "accepted, returned, corrected or confirmed at the counter (本登録), changes and "
            "renewals reviewed, images and profile changes reviewed, the pre-registration "
            "confirmed. Null for anyone else."
        )
    )
    async def review_history(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> ReviewHistoryEntryConnection | None:
        if not self._sees_records(info):
            return None
        page_window = window(first, after, last, before, _history_position)
        page = await office_establishments.review_history(
            info.context.viewer, self.id, self.office_id, window=page_window
        )
        return connection(ReviewHistoryEntryConnection, page, _history_edge)

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

    resolve_nodes = visible_to_viewer(establishments.visible_establishments)


@strawberry.type(
    description=(
        "A page of the office's establishments (事業所検索), in kana order; `totalCount` "
        "counts what the search finds."
    )
)
class EstablishmentConnection(Connection[Edge[Establishment]]):
    pass


@strawberry.type(description="One posting of an establishment's page and its cursor.")
class EstablishmentPostingEdge:
    cursor: str = strawberry.field(
        description="Where this item stands, for `after` or `before` (opaque; do not parse it)."
    )
    node: LazyPosting = strawberry.field(description="The posting (求人).")


@strawberry.type(
    description=(
        "A page of an establishment's postings, newest first; `totalCount` counts those of "
        "the states asked for."
    )
)
class EstablishmentPostingConnection(Connection[EstablishmentPostingEdge]):
    pass


@strawberry.type(description="One application of an establishment's page and its cursor.")
class EstablishmentApplicationEdge:
    cursor: str = strawberry.field(
        description="Where this item stands, for `after` or `before` (opaque; do not parse it)."
    )
    node: LazyApplication = strawberry.field(description="The application (応募).")


@strawberry.type(description="A page of the applications to an establishment, newest first.")
class EstablishmentApplicationConnection(Connection[EstablishmentApplicationEdge]):
    pass


describe.enum(
    ReviewHistoryAction,
    description=(
        "審査の内容 (what staff decided): a posting accepted (受理), returned (修正依頼), "
        "corrected, confirmed at the counter (本登録); a change or renewal of an active "
        "posting accepted or returned; an image or profile change approved or rejected; the "
        "online pre-registration confirmed (本登録)."
    ),
)


@strawberry.type(
    description=(
        "審査履歴 (review history): one decision staff took about an establishment or one of "
        "its postings."
    )
)
class ReviewHistoryEntry:
    id: strawberry.ID = strawberry.field(
        description=(
            "The entry's global ID, for a client's cache; not readable by `node` (the "
            "establishment's `reviewHistory` lists it)."
        )
    )
    at: dt.datetime = strawberry.field(description="審査日時 (when it was decided).")
    action: ReviewHistoryAction = strawberry.field(description="審査の内容 (what was decided).")
    reason: str = strawberry.field(
        description="The reason or note given with it (修正依頼の理由, 差戻しの理由); may be empty."
    )
    posting_pk: strawberry.Private[int | None]
    by_id: strawberry.Private[int | None]

    @strawberry.field(
        description="The posting decided about (求人); null for the establishment's own."
    )
    async def posting(self, info: Info) -> LazyPosting | None:
        from app.schema.postings import Posting

        if self.posting_pk is None:
            return None
        return Posting.from_model(await info.context.loaders.posting(self.posting_pk))

    @strawberry.field(
        description=(
            "Who decided, as the office shows a colleague: the staff login's address masked "
            "(s***@example.jp); null when unknown."
        )
    )
    async def by(self, info: Info) -> str | None:
        if self.by_id is None:
            return None
        user = await info.context.loaders.user_by_id.load(self.by_id)
        return masked(user.email) if user is not None else None

    @strawberry.field(description="The viewer took this decision.")
    def by_viewer(self, info: Info) -> bool:
        user = info.context.viewer.user
        return user is not None and self.by_id == user.id


@strawberry.type(description="A page of an establishment's review history, newest first.")
class ReviewHistoryEntryConnection(Connection[Edge[ReviewHistoryEntry]]):
    pass


_ESTABLISHMENTS_CURSOR = "establishment"
_POSTINGS_CURSOR = "establishment-posting"
_APPLICATIONS_CURSOR = "establishment-application"
_HISTORY_CURSOR = "review-history"
REVIEW_HISTORY_ENTRY_TYPE = "ReviewHistoryEntry"


def _establishment_cursor(establishment: models.Establishment) -> str:
    # The kana in hex: a cursor's parts are split on a separator the kana must not hold.
    name_kana, establishment_id = establishment_position(establishment)
    return encode_cursor(_ESTABLISHMENTS_CURSOR, name_kana.encode().hex(), establishment_id)


def _establishment_position(cursor: str) -> EstablishmentPosition:
    kana, establishment_id = cursor_parts(cursor, _ESTABLISHMENTS_CURSOR, 2)
    try:
        name_kana = bytes.fromhex(kana).decode()
    except ValueError as exc:  # not hex, or not UTF-8 inside (UnicodeError is a ValueError)
        raise bad_cursor() from exc
    return (name_kana, cursor_number(establishment_id))


def _postings_connection(page: Page[models.Posting]) -> EstablishmentPostingConnection:
    from app.schema.postings import Posting

    return connection(
        EstablishmentPostingConnection,
        page,
        lambda posting: EstablishmentPostingEdge(
            cursor=encode_cursor(_POSTINGS_CURSOR, posting.id), node=Posting.from_model(posting)
        ),
    )


def _applications_connection(
    page: Page[models.Application],
) -> EstablishmentApplicationConnection:
    from app.schema.applications import Application

    return connection(
        EstablishmentApplicationConnection,
        page,
        lambda application: EstablishmentApplicationEdge(
            cursor=encode_cursor(_APPLICATIONS_CURSOR, application.id),
            node=Application.from_model(application),
        ),
    )


def _history_cursor(position: HistoryPosition) -> str:
    at = position.at.astimezone(dt.UTC).isoformat()
    return encode_cursor(_HISTORY_CURSOR, at, position.source.value, position.id, separator="|")


def _history_position(cursor: str) -> HistoryPosition:
    at, source, entry_id = cursor_parts(cursor, _HISTORY_CURSOR, 3, separator="|")
    try:
        history_source = HistorySource(source)
    except ValueError as exc:
        raise bad_cursor() from exc
    return HistoryPosition(at=cursor_moment(at), source=history_source, id=cursor_number(entry_id))


def _history_edge(entry: office_establishments.ReviewHistoryEntry) -> Edge[ReviewHistoryEntry]:
    position = entry.position
    return Edge(
        cursor=_history_cursor(position),
        node=ReviewHistoryEntry(
            id=strawberry.ID(
                relay.to_base64(REVIEW_HISTORY_ENTRY_TYPE, f"{position.source.value}:{position.id}")
            ),
            at=position.at,
            action=entry.action,
            reason=entry.reason,
            posting_pk=entry.posting_id,
            by_id=entry.by_id,
        ),
    )


@strawberry.type
class EstablishmentQuery:
    @strawberry.field(
        description=(
            "Staff: the establishments of their office (事業所検索), in kana order "
            "(アイウエオ順, then by id), found by `search`."
        ),
        permission_classes=[IsStaff],
    )
    async def establishments(
        self,
        info: Info,
        search: Annotated[
            str | None,
            strawberry.argument(
                description=(
                    "検索語 (search), up to 100 characters: finds the name or kana holding "
                    "it — full- and half-width alike, hiragana finding the kana — and, for "
                    "digits with or without hyphens, an establishment number (事業所番号) "
                    "starting with them or a phone number holding them. Null or empty: every "
                    "establishment of the office."
                )
            ),
        ] = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> EstablishmentConnection:
        viewer = info.context.viewer
        page_window = window(first, after, last, before, _establishment_position)
        if search is not None and len(search.strip()) > office_establishments.SEARCH_MAX_LENGTH:
            raise bad_input(
                f"search は{office_establishments.SEARCH_MAX_LENGTH}文字以内で指定してください。"
            )
        page = await office_establishments.office_establishments(
            viewer, search=search, window=page_window
        )
        logins: DataLoader[int, list[models.User]] = DataLoader(
            load_fn=office_establishments.logins_of
        )
        return connection(
            EstablishmentConnection,
            page,
            lambda establishment: Edge(
                cursor=_establishment_cursor(establishment),
                node=Establishment.from_model(establishment, logins),
            ),
        )


describe.enum(
    ReviewStatusEnum,
    description=(
        "審査の状態 (review status) of a profile change or an image: 審査待ち, 承認 or 差戻し."
    ),
)
ReviewStatus = ReviewStatusEnum


@strawberry.type(
    description=(
        "事業所情報の変更申請 (a change of an establishment's profile), proposed by its employer "
        "and reviewed by staff. Seen (`node` too) by the establishment's employers and its "
        "office's staff."
    )
)
class EstablishmentChange(relay.Node):
    id: relay.NodeID[int]
    status: ReviewStatus = strawberry.field(description="審査の状態 (review status).")
    proposed: EstablishmentProfile = strawberry.field(description="The profile as proposed.")
    requested_at: dt.datetime = strawberry.field(
        description="申請日時 (when the employer proposed it)."
    )
    reviewed_at: dt.datetime | None = strawberry.field(
        description="審査日時 (when staff approved or rejected it); null while PENDING."
    )
    review_reason: str = strawberry.field(
        description="差戻しの理由 (why it was rejected); empty otherwise."
    )
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

    resolve_nodes = visible_to_viewer(establishments.visible_changes)


@strawberry.input(
    description=(
        "事業所登録 (registering an establishment at the counter), under the staff member's office."
    )
)
class EstablishmentRegisterInput:
    establishment_number: str = strawberry.field(
        description=(
            "事業所番号 (establishment number), required: half-width NNNN-NNNNNN-N (4 digits, "
            "up to 6 digits, 1 digit); unique."
        )
    )
    name: str = strawberry.field(
        description="事業所名 (establishment name), required, up to 100 characters."
    )
    name_kana: str = strawberry.field(
        description="事業所名（カナ） (name in kana), required: full-width katakana, up to 200."
    )
    phone_number: str = strawberry.field(
        description=(
            "電話番号 (phone number), required: three groups of half-width digits, 10 or 11 "
            "in all (03-1234-5678)."
        )
    )
    postal_code: str = strawberry.field(
        description="郵便番号 (postal code), required: half-width 123-4567."
    )
    address: str = strawberry.field(description="所在地 (address), required, up to 300 characters.")


@strawberry.type(description="The answer to `establishmentRegister`.")
class EstablishmentRegisterPayload:
    establishment: Establishment | None = strawberry.field(
        default=None, description="The establishment registered; null on errors."
    )
    errors: list[UserError] = strawberry.field(default_factory=list, description=ERRORS)


@strawberry.input(
    description=(
        "アカウント作成コードの発行 (issuing an account creation code) for an establishment of "
        "the staff member's office."
    )
)
class AccountCreationCodeIssueInput:
    # A plain ID, decoded in the resolver: a malformed one is NOT_FOUND, not an internal error.
    establishment_id: strawberry.ID = strawberry.field(
        description=(
            "An `Establishment` ID of the staff member's office; any other (or a malformed "
            "one) is NOT_FOUND."
        )
    )


@strawberry.type(description="A new account creation code; the plaintext is shown only here.")
class AccountCreationCodeIssuePayload:
    code: str | None = strawberry.field(
        default=None,
        description=(
            "アカウント作成コード (account creation code): 10 half-width letters, digits and "
            "symbols; the previous code stops working."
        ),
    )
    expires_on: dt.date | None = strawberry.field(
        default=None, description="有効期限 (expiry date), inclusive (Asia/Tokyo)."
    )
    expires_on_japanese: str | None = strawberry.field(
        default=None, description="有効期限 in the Japanese era: 令和8年12月15日."
    )
    establishment: Establishment | None = strawberry.field(
        default=None, description="The establishment the code opens an account of."
    )
    errors: list[UserError] = strawberry.field(default_factory=list, description=ERRORS)


@strawberry.input(
    description=(
        "事業所情報設定 (establishment settings): the whole profile, always sent whole; the "
        "establishment number (事業所番号) is not part of it and cannot be changed here. Text "
        "is trimmed."
    )
)
class EstablishmentUpdateInput:
    name: str = strawberry.field(
        description="事業所名 (establishment name), required, up to 100 characters."
    )
    name_kana: str = strawberry.field(
        description="事業所名（カナ）, required: full-width katakana, up to 200 characters."
    )
    postal_code: str = strawberry.field(
        description="郵便番号 (postal code), required: half-width 123-4567."
    )
    address: str = strawberry.field(description="所在地 (address), required, up to 300 characters.")
    phone_number: str = strawberry.field(
        description=(
            "電話番号 (phone number), required: three groups of half-width digits, 10 or 11 "
            "in all (03-1234-5678)."
        )
    )
    business_content: str = strawberry.field(
        default="", description="事業内容 (business), up to 1000 characters."
    )
    features: str = strawberry.field(
        default="", description="会社の特長 (features), up to 1000 characters."
    )
    representative_title: str = strawberry.field(
        default="", description="代表者役職 (representative's title), up to 50 characters."
    )
    representative_name: str = strawberry.field(
        default="", description="代表者名 (representative's name), up to 50 characters."
    )
    employee_count: int | None = strawberry.field(
        default=None, description="従業員数（企業全体） (employees, whole company): 0 to 9999999."
    )
    workplace_employee_count: int | None = strawberry.field(
        default=None, description="従業員数（就業場所） (employees at the workplace): 0 to 9999999."
    )
    founded_year: int | None = strawberry.field(
        default=None, description="設立年 (year founded): 1800 to this year (Asia/Tokyo)."
    )
    capital_yen: Yen | None = strawberry.field(
        default=None, description="資本金 (capital) in yen: 0 to 999999999999999."
    )
    website: str = strawberry.field(
        default="",
        description=(
            "ホームページ (website): a half-width http:// or https:// URL, up to 200 "
            "characters; empty: none."
        ),
    )
    notification_email: str = strawberry.field(
        default="",
        description=(
            "通知先メールアドレス (notification email): half-width, up to 100 characters; "
            "empty: the logins' own addresses."
        ),
    )

    def to_profile(self) -> establishments.EstablishmentProfile:
        return establishments.EstablishmentProfile(
            **{
                f.name: getattr(self, f.name)
                for f in dataclasses.fields(establishments.EstablishmentProfile)
            }
        )


@strawberry.type(description="The answer to `establishmentUpdate`.")
class EstablishmentUpdatePayload:
    change: EstablishmentChange | None = strawberry.field(
        default=None, description="The change, waiting for staff review."
    )
    establishment: Establishment | None = strawberry.field(
        default=None, description="The establishment, with the approved profile still in use."
    )
    errors: list[UserError] = strawberry.field(default_factory=list, description=ERRORS)


@strawberry.input(
    description="審査 (review) of a profile change by staff of the establishment's office."
)
class EstablishmentChangeReviewInput:
    # A plain ID, decoded in the resolver: a malformed one is NOT_FOUND, not an internal error.
    change_id: strawberry.ID = strawberry.field(
        description=(
            "An `EstablishmentChange` ID (`Establishment.pendingChange`); one of another "
            "office, or a malformed one, is NOT_FOUND."
        )
    )
    approve: bool = strawberry.field(description="true 承認 (approve), false 差戻し (reject).")
    reason: str = strawberry.field(
        default="", description="差戻しの理由: required to reject, up to 500 characters."
    )


@strawberry.type(description="The answer to `establishmentChangeReview`.")
class EstablishmentChangeReviewPayload:
    change: EstablishmentChange | None = strawberry.field(
        default=None, description="The change as reviewed (APPROVED or REJECTED)."
    )
    establishment: Establishment | None = strawberry.field(
        default=None, description="The establishment, with the profile now in use."
    )
    errors: list[UserError] = strawberry.field(default_factory=list, description=ERRORS)


@strawberry.input(
    description=(
        "窓口でのメールアドレス再設定: staff, after checking the person's identity at the "
        "counter, give a login whose address no longer works a new one."
    )
)
class LoginEmailResetAtCounterInput:
    # A plain ID, decoded in the resolver: a malformed one is NOT_FOUND, not an internal error.
    login_id: strawberry.ID = strawberry.field(
        description=(
            "An `EmployerLogin` ID (from `Establishment.logins`) of the staff member's office; "
            "another office's is NOT_FOUND."
        )
    )
    new_email: str = strawberry.field(
        description="新しいメールアドレス (the new email): half-width, up to 100 characters."
    )
    new_email_confirmation: str = strawberry.field(
        description="新しいメールアドレス（確認用）: the same address again."
    )
    identity_check: str = strawberry.field(
        description=(
            "What was checked in person (本人確認の内容, e.g. 運転免許証で本人確認); "
            "required, up to 200 characters."
        )
    )


@strawberry.type(
    description=(
        "On success the login has the new address, every session of it has ended, and a "
        "password reset key (認証キー, 50 minutes) went to the new address for "
        "`passwordResetComplete`."
    )
)
class LoginEmailResetAtCounterPayload:
    login: LazyEmployerLogin | None = strawberry.field(
        default=None, description="The login, with its new address."
    )
    key_expires_at: dt.datetime | None = strawberry.field(
        default=None, description="The mailed key is valid until then."
    )
    establishment: Establishment | None = strawberry.field(
        default=None, description="The login's establishment."
    )
    errors: list[UserError] = strawberry.field(default_factory=list, description=ERRORS)


@strawberry.type
class EstablishmentMutation:
    @strawberry.mutation(
        description="Staff: register an establishment under their office.",
        permission_classes=[IsStaff],
    )
    async def establishment_register(
        self,
        info: Info,
        input: Annotated[
            EstablishmentRegisterInput,
            strawberry.argument(description="The establishment to register."),
        ],
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
        self,
        info: Info,
        input: Annotated[
            AccountCreationCodeIssueInput,
            strawberry.argument(description="The establishment to issue a code for."),
        ],
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
        self,
        info: Info,
        input: Annotated[
            EstablishmentUpdateInput, strawberry.argument(description="The whole profile proposed.")
        ],
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
        self,
        info: Info,
        input: Annotated[
            EstablishmentChangeReviewInput,
            strawberry.argument(description="The change and the decision."),
        ],
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

    @strawberry.mutation(
        description=(
            "Staff of the establishment's office: set a new email for an active login after "
            "an identity check at the counter; its sessions end and a password reset key is "
            "mailed to the new address. Another office's login is NOT_FOUND."
        ),
        permission_classes=[IsStaff],
    )
    async def login_email_reset_at_counter(
        self,
        info: Info,
        input: Annotated[
            LoginEmailResetAtCounterInput,
            strawberry.argument(description="The login, its new address and the identity check."),
        ],
    ) -> LoginEmailResetAtCounterPayload:
        from app.schema.accounts import EMPLOYER_LOGIN_TYPE, EmployerLogin

        ctx = info.context
        try:
            login_id = decode_id(input.login_id, EMPLOYER_LOGIN_TYPE, "loginId")
            reset = await counter_recovery.reset_login_email(
                ctx.rt,
                ctx.viewer,
                login_id=login_id,
                new_email=input.new_email,
                new_email_confirmation=input.new_email_confirmation,
                identity_check=input.identity_check,
                client=ctx.client_address,
            )
        except UserErrors as exc:
            return LoginEmailResetAtCounterPayload(errors=user_errors(exc))
        assert reset.login.establishment_id is not None
        establishment = await models.Establishment.get(id=reset.login.establishment_id)
        return LoginEmailResetAtCounterPayload(
            login=EmployerLogin.from_model(reset.login, viewer_id=None, now=ctx.rt.clock.now()),
            key_expires_at=reset.key.expires_at,
            establishment=Establishment.from_model(establishment),
        )
