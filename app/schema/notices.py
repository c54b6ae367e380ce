"""Hello Work's notices (ハローワークからのお知らせ) in the establishment's inbox, read marks."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Self

import strawberry
from strawberry import relay

import app.schema.describe as describe
from app import models
from app.errors import UserErrors
from app.models.counter import NoticeKind as NoticeKindEnum
from app.resolvers import notices
from app.schema.applications import Application
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
from app.schema.permissions import IsEmployer
from app.schema.postings import Posting

describe.enum(
    NoticeKindEnum,
    name="NoticeKind",
    description="お知らせの種類 (notice kind): what Hello Work tells.",
)
NoticeKind = NoticeKindEnum

NOTICE_TYPE = "HelloWorkNotice"
_CURSOR = "notice"


@strawberry.type(
    description=(
        "ハローワークからのお知らせ (notice): a notice of Hello Work in the establishment's inbox, "
        "read by any of its logins. `title` and `body` are plain text: escape them to show "
        "them. Readable by `node` for the establishment's logins only."
    )
)
class HelloWorkNotice(relay.Node):
    id: relay.NodeID[int]
    kind: NoticeKind = strawberry.field(description="種類 (kind): what it is about.")
    title: str = strawberry.field(description="件名 (title).")
    body: str = strawberry.field(description="本文 (body).")
    due_on: dt.date | None = strawberry.field(
        description="期限: the last day of what it asks for (Asia/Tokyo), if it asks for one."
    )
    created_at: dt.datetime = strawberry.field(description="受信日時: when it reached the inbox.")
    read_at: dt.datetime | None = strawberry.field(
        description="既読 (read at): when a login of the establishment first marked it read; "
        "null while unread."
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

    resolve_nodes = visible_to_viewer(notices.visible_notices)


@strawberry.type(description="A page of the inbox, newest first; at most 100.")
class HelloWorkNoticeConnection(Connection[Edge[HelloWorkNotice]]):
    pass


def _edge(notice: models.HelloWorkNotice) -> Edge[HelloWorkNotice]:
    return Edge(cursor=encode_cursor(_CURSOR, notice.id), node=HelloWorkNotice.from_model(notice))


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
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        unread_only: Annotated[
            bool,
            strawberry.argument(
                description="未読のみ (unread only): only the notices no login has read; the "
                "count is theirs too."
            ),
        ] = False,
    ) -> HelloWorkNoticeConnection:
        window = id_window(_CURSOR, first, after, last, before)
        page = await notices.inbox(info.context.viewer, window=window, unread_only=unread_only)
        return connection(HelloWorkNoticeConnection, page, _edge)


@strawberry.input(description="既読にする (mark read): notices of the establishment.")
class HelloWorkNoticeMarkReadInput:
    ids: list[relay.GlobalID] = strawberry.field(
        description="1 to 100 notices (`HelloWorkNotice.id`) of the establishment; one that is "
        "not its marks nothing (NOT_FOUND)."
    )


@strawberry.type(description="The answer of `helloWorkNoticeMarkRead`.")
class HelloWorkNoticeMarkReadPayload:
    notices: list[HelloWorkNotice] | None = strawberry.field(
        default=None, description="The notices named, read, in the order given."
    )
    errors: list[UserError] = strawberry.field(
        default_factory=list, description="Why nothing was marked; empty when done."
    )


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
        self,
        info: Info,
        input: Annotated[
            HelloWorkNoticeMarkReadInput, strawberry.argument(description="The notices.")
        ],
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
