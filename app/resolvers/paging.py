"""Keyset paging, for every list the resolvers return: a page is read on an order that ends in
a unique column, continuing after (or, paging backward, before) where the previous page ended,
one row past its end to tell whether more follow. A row added or changed meanwhile never shifts
the next page.

A `Window` is the slice the client asked for, in the list's own positions (a row id, or a
tuple of the order's columns); `window_page` (or `columns_page`, `newest`, `oldest`) reads it
on an order, with the filters of the positions built by `past`, and tells truly whether rows
lie on either side of the page: past its end by the extra row, on the side the client came
from by one `EXISTS` query, asked only when the client came from a cursor.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from tortoise.expressions import Q
from tortoise.models import Model
from tortoise.queryset import QuerySet

from app.db import Argument, Prepared

MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20

T = TypeVar("T")
M = TypeVar("M", bound=Model)
P = TypeVar("P", covariant=True)
R = TypeVar("R")


Count = Callable[[], Awaitable[int]]
"""How many rows the whole list holds: counted only when awaited (when a client asks)."""


async def _none() -> int:
    return 0


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list: `items` in the list's order, whether more follow and precede, and
    the `count` of the whole list (with the list's filter, not the page's)."""

    items: list[T]
    has_next_page: bool
    has_previous_page: bool = False
    count: Count | None = None


def empty_page() -> Page[Any]:
    """The page of a list that holds nothing (a filter naming no row)."""
    return Page(items=[], has_next_page=False, count=_none)


def counted(count: Count) -> Count:
    """`count`, awaited once however often `totalCount` is selected (aliases)."""
    found: list[int] = []

    async def once() -> int:
        if not found:
            found.append(await count())
        return found[0]

    return once


@dataclass(frozen=True)
class Window(Generic[P]):
    """The slice of a list one page is: the first `size` rows after the position `after`
    (`first`), or the last `size` before `before` (`last`, `backward`); the rows strictly
    between both when both are given. Positions are the list's own: a row id, or the values
    of the order's columns in a tuple."""

    size: int = DEFAULT_PAGE_SIZE
    after: P | None = None
    before: P | None = None
    backward: bool = False

    def map(self, position: Callable[[P], R]) -> Window[R]:
        """The same window with its positions made into another form."""
        return Window(
            size=self.size,
            after=None if self.after is None else position(self.after),
            before=None if self.before is None else position(self.before),
            backward=self.backward,
        )


def forward(first: int, after: P | None = None) -> Window[P]:
    """A window going forward: what the callers that page only forward (exports, the
    service's own readers) ask for."""
    check_page_size(first)
    return Window(size=first, after=after)


def check_page_size(size: int) -> None:
    if not 0 <= size <= MAX_PAGE_SIZE:
        raise ValueError(f"a page holds 0 to {MAX_PAGE_SIZE} rows, not {size}")


def flip(order: Sequence[str]) -> tuple[str, ...]:
    """`order` the other way round (`-id` for `id`, `name` for `-name`)."""
    return tuple(field[1:] if field.startswith("-") else f"-{field}" for field in order)


def past(order: Sequence[str], position: Sequence[object]) -> Q:
    """The rows strictly past `position` (a value per column of `order`) on `order`: the
    keyset condition, column by column (`a > x OR (a = x AND b > y)`)."""
    if len(order) != len(position) or not order:
        raise ValueError("a position holds one value per column of the order")
    terms: list[Q] = []
    for index, field in enumerate(order):
        name, op = (field[1:], "lt") if field.startswith("-") else (field, "gt")
        earlier = zip(order[:index], position[:index], strict=True)
        conditions: dict[str, Any] = {column.lstrip("-"): value for column, value in earlier}
        conditions[f"{name}__{op}"] = position[index]
        terms.append(Q(**conditions))
    found = terms[0]
    for term in terms[1:]:
        found = found | term
    return found


async def window_page(
    query: QuerySet[M],
    window: Window[Q],
    *,
    order: Sequence[str],
) -> Page[M]:
    """The page `window` names of `query` on `order` (ending in a unique column), the window's
    positions being the filters of the rows past each (`past(order, …)` for `after`,
    `past(flip(order), …)` for `before`)."""
    check_page_size(window.size)
    bounded = query
    if window.after is not None:
        bounded = bounded.filter(window.after)
    if window.before is not None:
        bounded = bounded.filter(window.before)
    read = flip(order) if window.backward else tuple(order)
    rows = await bounded.order_by(*read).limit(window.size + 1)
    more = len(rows) > window.size
    items = rows[: window.size]
    if window.backward:
        items.reverse()
        # Rows after the page: those not strictly before the `before` cursor.
        after_it = window.before is not None and await query.filter(~window.before).exists()
        return Page(
            items, has_next_page=after_it, has_previous_page=more, count=counted(query.count)
        )
    before_it = window.after is not None and await query.filter(~window.after).exists()
    return Page(items, has_next_page=more, has_previous_page=before_it, count=counted(query.count))


async def columns_page(
    query: QuerySet[M],
    window: Window[Sequence[object]],
    *,
    order: Sequence[str],
) -> Page[M]:
    """The page `window` names of `query` on `order`, its positions being the values of the
    order's columns (`past` builds their filters)."""
    return await window_page(query, keyset_window(window, order), order=order)


def keyset_window(window: Window[Sequence[object]], order: Sequence[str]) -> Window[Q]:
    """`window` with its positions made into the filters of the rows past them on `order`."""
    return Window(
        size=window.size,
        after=None if window.after is None else past(order, window.after),
        before=None if window.before is None else past(flip(order), window.before),
        backward=window.backward,
    )


async def newest(query: QuerySet[M], window: Window[int]) -> Page[M]:
    """A page of `query` by descending id."""
    return await columns_page(query, window.map(lambda row: (row,)), order=("-id",))


async def oldest(query: QuerySet[M], window: Window[int]) -> Page[M]:
    """A page of `query` by ascending id."""
    return await columns_page(query, window.map(lambda row: (row,)), order=("id",))


class IdList(Generic[M]):
    """A list paged by id, as `newest` or `oldest` pages it, whose reads (the page, the
    `EXISTS` on the side the client came from, the count) have their SQL built once per shape
    (`app.db.Prepared`): for the lists every visit reads."""

    def __init__(self, query: Callable[..., QuerySet[M]], *, newest_first: bool) -> None:
        """`query` makes the list's rows from the arguments `page` is given (ints and
        strings, or lists of them)."""
        self._query = query
        self._order = ("-id",) if newest_first else ("id",)
        self._rows: dict[tuple[bool, bool, bool], Prepared[list[M]]] = {}
        self._outsides: dict[tuple[str, ...], Prepared[bool]] = {}
        self._count: Prepared[int] = Prepared(lambda *arguments: query(*arguments).count())

    async def page(self, window: Window[int], *arguments: Argument) -> Page[M]:
        """What `newest` (or `oldest`) gives of `query(*arguments)`."""
        check_page_size(window.size)
        positions = [p for p in (window.after, window.before) if p is not None]
        read = self._read(window.after is not None, window.before is not None, window.backward)
        rows = await read(window.size + 1, *positions, *arguments)
        more = len(rows) > window.size
        items = rows[: window.size]
        count = counted(lambda: self._count(*arguments))
        if window.backward:
            items.reverse()
            after_it = window.before is not None and await self._outside(flip(self._order))(
                window.before, *arguments
            )
            return Page(items, has_next_page=after_it, has_previous_page=more, count=count)
        before_it = window.after is not None and await self._outside(self._order)(
            window.after, *arguments
        )
        return Page(items, has_next_page=more, has_previous_page=before_it, count=count)

    def _read(self, after: bool, before: bool, backward: bool) -> Prepared[list[M]]:
        """The page's rows: called with the limit, the positions given, then the arguments."""
        key = (after, before, backward)
        if key not in self._rows:
            order = self._order

            def build(limit: int, *given: Any) -> QuerySet[M]:
                positions = list(given[: after + before])
                query = self._query(*given[after + before :])
                if after:
                    query = query.filter(past(order, (positions.pop(0),)))
                if before:
                    query = query.filter(past(flip(order), (positions.pop(0),)))
                return query.order_by(*(flip(order) if backward else order)).limit(limit)

            self._rows[key] = Prepared(build)
        return self._rows[key]

    def _outside(self, order: tuple[str, ...]) -> Prepared[bool]:
        """Whether rows lie outside a cursor: those not past the position on `order`."""
        if order not in self._outsides:
            self._outsides[order] = Prepared(
                lambda position, *arguments: (
                    self._query(*arguments).filter(~past(order, (position,))).exists()
                )
            )
        return self._outsides[order]


def merge_window(pages: Sequence[Page[T]], window: Window[Any], key: Callable[[T], Any]) -> Page[T]:
    """One page of a list kept in several tables: `pages` are pages of `window` of each, on one
    order (`key`); the page is the window's `size` of them all nearest its cursor."""
    found = sorted((item for page in pages for item in page.items), key=key)
    size = window.size
    counts = [page.count for page in pages]

    async def count() -> int:
        return sum([await each() for each in counts if each is not None])

    if window.backward:
        return Page(
            items=found[-size:] if size else [],
            has_next_page=any(page.has_next_page for page in pages),
            has_previous_page=len(found) > size or any(page.has_previous_page for page in pages),
            count=counted(count),
        )
    return Page(
        items=found[:size],
        has_next_page=len(found) > size or any(page.has_next_page for page in pages),
        has_previous_page=any(page.has_previous_page for page in pages),
        count=counted(count),
    )
