"""The employer's home page (求人者マイページホーム)."""

from __future__ import annotations

import strawberry
from strawberry import relay

from app.models.postings import PostingStatus
from app.resolvers import establishments
from app.schema.context import Info
from app.schema.establishments import Establishment, Office, PostingCategory
from app.schema.postings import Posting, establishment_postings


@strawberry.type(description="Active postings of one category on the home page.")
class CategorySummary:
    category: PostingCategory
    posting_count: int = strawberry.field(description="求人件数.")
    hiring_count: int = strawberry.field(description="採用人数.")


@strawberry.type(description="求人者マイページホーム.")
class EmployerHome:
    establishment_name: str = strawberry.field(description="Shown as 「〇〇 様」.")
    office_name: str = strawberry.field(description="管轄安定所名.")
    unread_message_count: int = strawberry.field(description="メッセージ 新着.")
    unread_notice_count: int = strawberry.field(
        description="お知らせ 未読: Hello Work's notices no login of the establishment has read."
    )
    active_postings: list[CategorySummary] = strawberry.field(
        description="有効中求人: 一般, 学卒, 障害者."
    )
    establishment: Establishment
    office: Office

    @strawberry.field(description="有効中の求人全て表示: every active posting, newest first.")
    async def all_active_postings(
        self, info: Info, first: int = 20, after: str | None = None
    ) -> relay.Connection[Posting]:
        return await establishment_postings(info, PostingStatus.ACTIVE, None, False, first, after)

    @strawberry.field(description="無効になった求人全て表示: postings that are no longer valid.")
    async def invalid_postings(
        self, info: Info, first: int = 20, after: str | None = None
    ) -> relay.Connection[Posting]:
        return await establishment_postings(info, PostingStatus.INVALID, None, False, first, after)

    @strawberry.field(
        description="有効中求人更新予約: active postings whose renewal can be reserved today."
    )
    async def renewable_postings(
        self, info: Info, first: int = 20, after: str | None = None
    ) -> relay.Connection[Posting]:
        return await establishment_postings(info, None, None, True, first, after)


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
