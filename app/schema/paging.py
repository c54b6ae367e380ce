"""Keyset paging shared by the connections: `first` ≤ 100, the one codec of the opaque
cursors that say where a page ended (`kind:part…` in URL-safe base64), and the one connection
of the lists that are no `relay.Connection` of Node types, with one builder for both.

A cursor that is not one of ours — not base64, another kind, a part that is not a number,
a time, or a number within its column's range (`app.schema.nodes`) — is BAD_USER_INPUT.
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Generic, Protocol, TypeVar

import strawberry
from graphql import GraphQLError
from strawberry import relay

from app.resolvers.paging import MAX_PAGE_SIZE, Page
from app.schema.nodes import MAX_INT_ID, number

NodeT = TypeVar("NodeT")
EdgeT = TypeVar("EdgeT")
ItemT = TypeVar("ItemT")
ConnectionT = TypeVar("ConnectionT")


def bad_input(message: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": "BAD_USER_INPUT"})


def bad_cursor() -> GraphQLError:
    return bad_input("after に指定されたカーソルが正しくありません。")


def check_first(first: int) -> None:
    if not 0 <= first <= MAX_PAGE_SIZE:
        raise bad_input(f"first は0以上{MAX_PAGE_SIZE}以下で指定してください。")


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


@strawberry.type
class Edge(Generic[NodeT]):
    """One item of a page and where it stands; strawberry names `Edge[Application]`
    ApplicationEdge."""

    cursor: str
    node: NodeT


@strawberry.type
class Connection(Generic[EdgeT]):
    """A page of a list: each list subclasses `Connection[Edge[Node]]` as `<Node>Connection`
    with its description. Generic in the edge, so that an edge can carry more than its cursor
    and node where the schema has it: `ReviewItemEdge.waitingSince` comes before `node`, which
    a subclass of `Edge` would put last."""

    page_info: relay.PageInfo
    edges: list[EdgeT]


@strawberry.type
class CountedConnection(Connection[EdgeT], Generic[EdgeT]):
    """A `Connection` with `totalCount`: counted with the list's own filter, and only when the
    client selects it (a page alone costs one query)."""

    count: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(description="How many the list holds over all its pages.")
    async def total_count(self) -> int:
        return await self.count()


class _Edge(Protocol):
    @property
    def cursor(self) -> str: ...


def connection(
    make: Callable[..., ConnectionT], page: Page[ItemT], edge: Callable[[ItemT], _Edge]
) -> ConnectionT:
    """`make` (a `Connection`, or `relay.Connection` for Node types) of the resolver's `page`,
    with an `edge` and its cursor per item."""
    edges = [edge(item) for item in page.items]
    info = relay.PageInfo(
        has_next_page=page.has_next_page,
        has_previous_page=False,
        start_cursor=edges[0].cursor if edges else None,
        end_cursor=edges[-1].cursor if edges else None,
    )
    return make(page_info=info, edges=edges)
