"""The employer's home page (求人者マイページホーム)."""

from __future__ import annotations

import strawberry

from app.models.postings import PostingStatus
from app.resolvers import establishments
from app.schema.context import Info
from app.schema.establishments import Establishment, Office, PostingCategory
from app.schema.paging import After, Before, First, Last
from app.schema.postings import PostingConnection, establishment_postings, posting_window


@strawberry.type(description="有効中求人 (active postings) of one category on the home page.")
class CategorySummary:
    category: PostingCategory = strawberry.field(description="求人区分 (the category).")
    posting_count: int = strawberry.field(
        description="求人件数 (number of postings): the active postings of the category."
    )
    hiring_count: int = strawberry.field(
        description="採用人数 (number to hire): the sum over those postings."
    )


@strawberry.type(
    description=(
        "求人者マイページホーム (the employer's home page): the logged-in employer's "
        "establishment, its office, what is new, and its postings."
    )
)
class EmployerHome:
    establishment_name: str = strawberry.field(
        description="事業所名 (establishment name), shown as 「〇〇 様」."
    )
    office_name: str = strawberry.field(description="管轄安定所名 (the office's name).")
    unread_message_count: int = strawberry.field(
        description="メッセージ 新着 (new messages): messages from seekers not yet read."
    )
    unread_notice_count: int = strawberry.field(
        description=(
            "お知らせ 未読 (unread notices): Hello Work's notices no login of the establishment "
            "has read."
        )
    )
    active_postings: list[CategorySummary] = strawberry.field(
        description="有効中求人 (active postings) by category: 一般, 学卒, 障害者."
    )
    establishment: Establishment = strawberry.field(
        description="The employer's establishment (事業所)."
    )
    office: Office = strawberry.field(description="The establishment's office (管轄安定所).")

    @strawberry.field(
        description=(
            "有効中の求人全て表示 (all active postings): every active posting, newest first."
        )
    )
    async def all_active_postings(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> PostingConnection:
        window = posting_window(first, after, last, before)
        return await establishment_postings(info, window, status=PostingStatus.ACTIVE)

    @strawberry.field(
        description=(
            "無効になった求人全て表示 (invalid postings): postings that are no longer valid, "
            "newest first."
        )
    )
    async def invalid_postings(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> PostingConnection:
        window = posting_window(first, after, last, before)
        return await establishment_postings(info, window, status=PostingStatus.INVALID)

    @strawberry.field(
        description=(
            "有効中求人更新予約 (renewable postings): active postings whose renewal can be "
            "reserved today, newest first."
        )
    )
    async def renewable_postings(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> PostingConnection:
        window = posting_window(first, after, last, before)
        return await establishment_postings(info, window, renewable=True)


@strawberry.type
class HomeQuery:
    @strawberry.field(description="The logged-in employer's home page.")
    async def employer_home(self, info: Info) -> EmployerHome:
        home = await establishments.employer_home(info.context.viewer)
        return EmployerHome(
            establishment_name=home.establishment.name,
            office_name=home.office.name,
            unread_message_count=home.unread_message_count,
            unread_notice_count=home.unread_notice_count,
            active_postings=[
                CategorySummary(
                    category=s.category, posting_count=s.posting_count, hiring_count=s.hiring_count
                )
                for s in home.active_postings
            ],
            establishment=Establishment.from_model(home.establishment),
            office=Office.from_model(home.office),
        )
