"""Keyset paging shared by the connections: the four arguments of a page (`first`/`after`
forward, `last`/`before` backward, at most 100; 20 forward when neither size is given), the
one codec of the opaque cursors that say where a page ended (`kind:part…` in URL-safe base64),
and the one connection of every list, with `totalCount` counted only when selected, and its
builder.

A cursor that is not one of ours — not base64, another kind, a part that is not a number,
a time, or a number within its column's range (`app.schema.nodes`) — is BAD_USER_INPUT.
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Annotated, Generic, Protocol, TypeVar

import strawberry
from graphql import GraphQLError
from strawberry import relay

from app.resolvers.paging import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, Page, Window
from app.schema.nodes import MAX_INT_ID, number

NodeT = TypeVar("NodeT")
EdgeT = TypeVar("EdgeT")
ItemT = TypeVar("ItemT")
ConnectionT = TypeVar("ConnectionT")
PositionT = TypeVar("PositionT")

First = Annotated[
    int | None,
    strawberry.argument(
        description=(
            "前から: the first this many items (0 to 100), after `after` when given. "
            "20 when neither `first` nor `last` is given; not with `last`."
        )
    ),
]
After = Annotated[
    str | None,
    strawberry.argument(
        description="Items after this cursor (an edge's `cursor` or `pageInfo.endCursor`)."
    ),
]
Last = Annotated[
    int | None,
    strawberry.argument(
        description=(
            "後ろから: the last this many items (0 to 100), before `before` when given; "
            "not with `first`."
        )
    ),
]
Before = Annotated[
    str | None,
    strawberry.argument(
        description="Items before this cursor (an edge's `cursor` or `pageInfo.startCursor`)."
    ),
]


def bad_input(message: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": "BAD_USER_INPUT"})


def bad_cursor() -> GraphQLError:
    return bad_input("after または before に指定されたカーソルが正しくありません。")


def check_first(first: int, argument: str = "first") -> None:
    if not 0 <= first <= MAX_PAGE_SIZE:
        raise bad_input(f"{argument} は0以上{MAX_PAGE_SIZE}以下で指定してください。")


def window(
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
    decode: Callable[[str], PositionT],
) -> Window[PositionT]:
    """The window the four arguments of a page name, each cursor made into the list's
    position by `decode` (which raises `bad_cursor` for one that is not the list's)."""
    if first is not None and last is not None:
        raise bad_input("first と last は同時に指定できません。")
    if first is not None:
        check_first(first)
    if last is not None:
        check_first(last, "last")
    size = last if last is not None else first if first is not None else DEFAULT_PAGE_SIZE
    return Window(
        size=size,
        after=None if after is None else decode(after),
        before=None if before is None else decode(before),
        backward=last is not None,
    )


def id_window(
    kind: str,
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
    maximum: int = MAX_INT_ID,
) -> Window[int]:
    """The window of a list whose cursors hold a row id (`encode_cursor(kind, id)`);
    `maximum` is the largest id of the rows listed."""
    return window(
        first,
        after,
        last,
        before,
        lambda cursor: cursor_number(cursor_parts(cursor, kind, 1)[0], maximum),
    )


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


@strawberry.type(description="One item of a page and its cursor.")
class Edge(Generic[NodeT]):
    """One item of a page and where it stands; strawberry names `Edge[Application]`
    ApplicationEdge."""

    cursor: str = strawberry.field(
        description="Where this item stands, for `after` or `before` (opaque; do not parse it)."
    )
    node: NodeT = strawberry.field(description="The item.")


@strawberry.type
class Connection(Generic[EdgeT]):
    """A page of a list: each list subclasses `Connection[Edge[Node]]` as `<Node>Connection`
    with its description. Generic in the edge, so that an edge can carry more than its cursor
    and node where the schema has it: `ReviewItemEdge.waitingSince` comes before `node`, which
    a subclass of `Edge` would put last.

    `totalCount` is counted with the list's own filter, and only when the client selects it (a
    page alone costs one query)."""

    page_info: relay.PageInfo = strawberry.field(
        description="Where the page stands: whether items precede and follow it, its cursors."
    )
    edges: list[EdgeT] = strawberry.field(description="The items of the page, in the list's order.")
    count: strawberry.Private[Callable[[], Awaitable[int]] | None] = None

    @strawberry.field(description="How many the list holds over all its pages.")
    async def total_count(self) -> int:
        if self.count is None:
            raise NotImplementedError(f"{type(self).__name__} is built without its count")
        return await self.count()


class _Edge(Protocol):
    @property
    def cursor(self) -> str: ...


def connection(
    make: Callable[..., ConnectionT],
    page: Page[ItemT],
    edge: Callable[[ItemT], _Edge],
    count: Callable[[], Awaitable[int]] | None = None,
) -> ConnectionT:
    """`make` (a `Connection`) of the resolver's `page`, with an `edge` and its cursor per item,
    and the `count` of the whole list (the page's own unless given), awaited only when
    `totalCount` is selected."""
    edges = [edge(item) for item in page.items]
    info = relay.PageInfo(
        has_next_page=page.has_next_page,
        has_previous_page=page.has_previous_page,
        start_cursor=edges[0].cursor if edges else None,
        end_cursor=edges[-1].cursor if edges else None,
    )
    return make(page_info=info, edges=edges, count=count or page.count)
