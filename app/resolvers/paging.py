"""Keyset paging, for every list the resolvers return: a page is read on an order that ends in
a unique column, continuing after where the previous page ended, one row past its end to tell
whether more follow. A row added or changed meanwhile never shifts the next page."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from tortoise.expressions import Q
from tortoise.models import Model
from tortoise.queryset import QuerySet

MAX_PAGE_SIZE = 100

T = TypeVar("T")
M = TypeVar("M", bound=Model)


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list: `items` in the list's order, and whether more follow."""

    items: list[T]
    has_next_page: bool


def check_page_size(first: int) -> None:
    if not 0 <= first <= MAX_PAGE_SIZE:
        raise ValueError(f"first must be between 0 and {MAX_PAGE_SIZE}")


async def keyset_page(
    query: QuerySet[M], first: int, *, order: Sequence[str], after: Q | None = None
) -> Page[M]:
    """The first `first` rows of `query` on `order`, among those `after` keeps (the rows past
    the previous page's last one on that order)."""
    check_page_size(first)
    if after is not None:
        query = query.filter(after)
    rows = await query.order_by(*order).limit(first + 1)
    return Page(items=rows[:first], has_next_page=len(rows) > first)


async def newest_first(query: QuerySet[M], first: int, after_id: int | None) -> Page[M]:
    """A page of `query` by descending id, continuing below `after_id`."""
    after = None if after_id is None else Q(id__lt=after_id)
    return await keyset_page(query, first, order=("-id",), after=after)


async def oldest_first(query: QuerySet[M], first: int, after_id: int | None) -> Page[M]:
    """A page of `query` by ascending id, continuing above `after_id`."""
    after = None if after_id is None else Q(id__gt=after_id)
    return await keyset_page(query, first, order=("id",), after=after)


def merge_pages(pages: Sequence[Page[T]], first: int, key: Callable[[T], Any]) -> Page[T]:
    """One page of a list kept in several tables: `pages` are keyset pages of `first` of each,
    on one order (`key`) after one position; the page is the first `first` of them all."""
    found = sorted((item for page in pages for item in page.items), key=key)
    more = len(found) > first or any(page.has_next_page for page in pages)
    return Page(items=found[:first], has_next_page=more)
