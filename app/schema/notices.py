"""Hello Work's notices (ハローワークからのお知らせ) in the establishment's inbox, read marks."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable
from typing import Self

import strawberry
from strawberry import relay

from app import models
from app.errors import UserErrors
from app.models.counter import NoticeKind as NoticeKindEnum
from app.resolvers import notices
from app.schema.applications import Application
from app.schema.context import Info
from app.schema.errors import UserError, user_errors
from app.schema.nodes import decode_id, visible_nodes
from app.schema.paging import connection, encode_cursor, page_args
from app.schema.permissions import IsEmployer
from app.schema.postings import Posting

_KIND_DESCRIPTIONS = {
    NoticeKindEnum.POSTING_ACCEPTED: "求人の受理: the posting is accepted and active.",
    NoticeKindEnum.POSTING_RETURNED: "求人の修正依頼: returned for correction, with the reason.",
    NoticeKindEnum.POSTING_CORRECTED: "求人の軽微な修正: staff corrected minor points.",
    NoticeKindEnum.COUNTER_REGISTRATION_DUE: "本登録のお願い: 本登録 at the counter is due.",
    NoticeKindEnum.RESULT_REPORT_DUE: "選考結果登録のお願い: a result report is due.",
    NoticeKindEnum.LOGIN_EMAIL_RESET: "ログインのメールアドレス変更: set by staff at the counter.",
}

strawberry.enum(
    NoticeKindEnum, name="NoticeKind", description="What Hello Work tells (お知らせの種類)."
)
for value in NoticeKindEnum.__strawberry_definition__.values:  # type: ignore[attr-defined]
    value.description = _KIND_DESCRIPTIONS[NoticeKindEnum(value.value)]
NoticeKind = NoticeKindEnum

NOTICE_TYPE = "HelloWorkNotice"
_CURSOR = "notice"


@strawberry.type(
    description=(
        "A notice of Hello Work in the establishment's inbox (ハローワークからのお知らせ), read by "
        "any of its logins. `title` and `body` are plain text: escape them to show them."
    )
)
class HelloWorkNotice(relay.Node):
    id: relay.NodeID[int]
    kind: NoticeKind
    title: str = strawberry.field(description="件名.")
    body: str = strawberry.field(description="本文.")
    due_on: dt.date | None = strawberry.field(
        description="期限: the last day of what it asks for (Asia/Tokyo), if it asks for one."
    )
    created_at: dt.datetime
    read_at: dt.datetime | None = strawberry.field(
        description="既読: when a login of the establishment first marked it read."
    )
    row: strawberry.Private[models.HelloWorkNotice]

    @classmethod
    def from_model(cls, notice: models.HelloWorkNotice) -> Self:
        """`notice` as the resolvers read it: with its posting and application."""
        return cls(
            id=notice.id,
            kind=notice.kind,
            title=notice.title,
            body=notice.body,
            due_on=notice.due_on,
            created_at=notice.created_at,
            read_at=notice.read_at,
            row=notice,
        )

    @strawberry.field(description="The posting it is about, if any.")
    def posting(self) -> Posting | None:
        posting = self.row.posting
        return Posting.from_model(posting) if posting is not None else None

    @strawberry.field(description="The application it is about (a result to report), if any.")
    def application(self) -> Application | None:
        application = self.row.application
        return Application.from_model(application) if application is not None else None

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        viewer = info.context.viewer
        return await visible_nodes(
            node_ids, lambda ids: notices.visible_notices(viewer, ids), cls.from_model
        )


@strawberry.type(description="A page of the inbox, newest first; `first` is at most 100.")
class HelloWorkNoticeConnection(relay.Connection[HelloWorkNotice]):
    unread_only: strawberry.Private[bool]

    @strawberry.field(
        description="How many notices the list holds over all its pages (counted when asked)."
    )
    async def total_count(self, info: Info) -> int:
        return await notices.inbox_count(info.context.viewer, unread_only=self.unread_only)


def _edge(notice: models.HelloWorkNotice) -> relay.Edge[HelloWorkNotice]:
    return relay.Edge(
        cursor=encode_cursor(_CURSOR, notice.id), node=HelloWorkNotice.from_model(notice)
    )


@strawberry.type
class NoticeQuery:
    @strawberry.field(
        description=(
            "Employer: Hello Work's notices to the establishment, newest first; "
            "`unreadOnly` keeps those no login has read."
        ),
        permission_classes=[IsEmployer],
    )
    async def hello_work_notices(
        self, info: Info, first: int = 20, after: str | None = None, unread_only: bool = False
    ) -> HelloWorkNoticeConnection:
        after_id = page_args(_CURSOR, first, after)
        page = await notices.inbox(
            info.context.viewer, first=first, after_id=after_id, unread_only=unread_only
        )
        make = functools.partial(HelloWorkNoticeConnection, unread_only=unread_only)
        return connection(make, page, _edge)


@strawberry.input
class HelloWorkNoticeMarkReadInput:
    ids: list[relay.GlobalID] = strawberry.field(
        description="1 to 100 notices of the establishment."
    )


@strawberry.type
class HelloWorkNoticeMarkReadPayload:
    notices: list[HelloWorkNotice] | None = strawberry.field(
        default=None, description="The notices named, read, in the order given."
    )
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class NoticeMutation:
    @strawberry.mutation(
        description=(
            "Employer: mark notices read (既読). A notice already read keeps when it was first "
            "read; a list naming a notice that is not the establishment's marks nothing."
        ),
        permission_classes=[IsEmployer],
    )
    async def hello_work_notice_mark_read(
        self, info: Info, input: HelloWorkNoticeMarkReadInput
    ) -> HelloWorkNoticeMarkReadPayload:
        ctx = info.context
        try:
            if len(input.ids) > notices.MAX_MARK_READ_IDS:
                raise notices.too_many_ids()  # before decoding a long list
            ids = [
                decode_id(global_id, NOTICE_TYPE, f"ids.{index}")
                for index, global_id in enumerate(input.ids)
            ]
            marked = await notices.mark_read(ctx.rt, ctx.viewer, ids)
        except UserErrors as exc:
            return HelloWorkNoticeMarkReadPayload(errors=user_errors(exc))
        return HelloWorkNoticeMarkReadPayload(
            notices=[HelloWorkNotice.from_model(notice) for notice in marked]
        )
