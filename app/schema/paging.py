"""Keyset paging shared by the connections: opaque cursors naming a row, and `first` ≤ 100."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import Protocol

from graphql import GraphQLError
from strawberry import relay
from tortoise.models import Model

from app.resolvers.postings import MAX_PAGE_SIZE


class Page(Protocol):
    @property
    def items(self) -> Sequence[Model]: ...

    @property
    def has_next_page(self) -> bool: ...


def encode_cursor(kind: str, row_id: int) -> str:
    return base64.urlsafe_b64encode(f"{kind}:{row_id}".encode()).decode()


def bad_input(message: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": "BAD_USER_INPUT"})


def page_args(kind: str, first: int, after: str | None) -> int | None:
    """Check `first` and decode `after` (a cursor of `kind`) into the id to continue from."""
    if not 0 <= first <= MAX_PAGE_SIZE:
        raise bad_input(f"first は0以上{MAX_PAGE_SIZE}以下で指定してください。")
    if after is None:
        return None
    try:
        decoded = base64.urlsafe_b64decode(after.encode()).decode()
    except ValueError as exc:
        raise bad_input("after に指定されたカーソルが正しくありません。") from exc
    prefix, _, row_id = decoded.partition(":")
    if prefix != kind or not row_id.isdigit():
        raise bad_input("after に指定されたカーソルが正しくありません。")
    return int(row_id)


def page_info(kind: str, page: Page) -> relay.PageInfo:
    ids = [item.pk for item in page.items]
    return relay.PageInfo(
        has_next_page=page.has_next_page,
        has_previous_page=False,
        start_cursor=encode_cursor(kind, ids[0]) if ids else None,
        end_cursor=encode_cursor(kind, ids[-1]) if ids else None,
    )
