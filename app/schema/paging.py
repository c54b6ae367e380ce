"""Keyset paging shared by the connections: `first` ≤ 100, and the one codec of the opaque
cursors that say where a page ended (`kind:part…` in URL-safe base64).

A cursor that is not one of ours — not base64, another kind, a part that is not a number,
a time, or a number within its column's range (`app.schema.nodes`) — is BAD_USER_INPUT.
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Sequence
from typing import Protocol

from graphql import GraphQLError
from strawberry import relay
from tortoise.models import Model

from app.resolvers.postings import MAX_PAGE_SIZE
from app.schema.nodes import MAX_INT_ID, number


class Page(Protocol):
    @property
    def items(self) -> Sequence[Model]: ...

    @property
    def has_next_page(self) -> bool: ...


def bad_input(message: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": "BAD_USER_INPUT"})


def bad_cursor() -> GraphQLError:
    return bad_input("after に指定されたカーソルが正しくありません。")


def check_first(first: int, maximum: int = MAX_PAGE_SIZE) -> None:
    if not 0 <= first <= maximum:
        raise bad_input(f"first は0以上{maximum}以下で指定してください。")


def encode_cursor(kind: str, *parts: object, separator: str = ":") -> str:
    text = f"{kind}:{separator.join(str(part) for part in parts)}"
    return base64.urlsafe_b64encode(text.encode()).decode()


def cursor_parts(cursor: str, kind: str, count: int, separator: str = ":") -> list[str]:
    """The `count` parts of a cursor of `kind` (made by `encode_cursor`)."""
    try:
        decoded = base64.urlsafe_b64decode(cursor.encode()).decode()
    except ValueError as exc:  # not base64, or not UTF-8 inside (UnicodeError is a ValueError)
        raise bad_cursor() from exc
    prefix, colon, rest = decoded.partition(":")
    parts = rest.split(separator)
    if prefix != kind or not colon or len(parts) != count:
        raise bad_cursor()
    return parts


def cursor_number(part: str, maximum: int = MAX_INT_ID) -> int:
    """A number in a cursor (ASCII digits, 0..`maximum`): a row id, or a position before
    every row (0), or a time in microseconds."""
    found = number(part, maximum)
    if found is None:
        raise bad_cursor()
    return found


def cursor_moment(part: str) -> dt.datetime:
    """A time with its offset in a cursor (ISO 8601), in UTC."""
    try:
        moment = dt.datetime.fromisoformat(part)
        if moment.tzinfo is None:
            raise bad_cursor()
        # Near the ends of the calendar an offset can carry it past them (OverflowError).
        return moment.astimezone(dt.UTC)
    except (ValueError, OverflowError) as exc:
        raise bad_cursor() from exc


def page_args(kind: str, first: int, after: str | None, maximum: int = MAX_INT_ID) -> int | None:
    """Check `first` and decode `after` (a cursor of `kind`) into the id to continue from;
    `maximum` is the largest id of the rows listed."""
    check_first(first)
    if after is None:
        return None
    return cursor_number(cursor_parts(after, kind, 1)[0], maximum)


def page_info(kind: str, page: Page) -> relay.PageInfo:
    ids = [item.pk for item in page.items]
    return relay.PageInfo(
        has_next_page=page.has_next_page,
        has_previous_page=False,
        start_cursor=encode_cursor(kind, ids[0]) if ids else None,
        end_cursor=encode_cursor(kind, ids[-1]) if ids else None,
    )
