"""The staff review queue (審査待ち): everything of their office waiting for them, in one list.

Submitted postings, changes to active postings, images and establishment profile changes,
oldest first by the moment each started waiting; ties go posting, image, establishment change,
then by id. Pages are keyset pages on that order, so an item reviewed meanwhile never shifts
the next page.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from tortoise.expressions import Q

from app.models import EstablishmentChange, EstablishmentImage, Posting
from app.models.establishments import ReviewStatus
from app.models.postings import PostingStatus
from app.resolvers.postings import MAX_PAGE_SIZE
from app.viewer import Viewer


class ReviewKind(StrEnum):
    """What waits; the order of the members breaks ties between equal moments."""

    POSTING = "POSTING"
    IMAGE = "IMAGE"
    ESTABLISHMENT_CHANGE = "ESTABLISHMENT_CHANGE"


_RANK = {kind: rank for rank, kind in enumerate(ReviewKind)}


@dataclass(frozen=True)
class QueuePosition:
    """An item's place in the queue; a page continues after one."""

    waiting_since: dt.datetime
    kind: ReviewKind
    id: int

    def key(self) -> tuple[dt.datetime, int, int]:
        return (self.waiting_since, _RANK[self.kind], self.id)


@dataclass(frozen=True)
class QueueItem:
    position: QueuePosition
    item: Posting | EstablishmentImage | EstablishmentChange


@dataclass(frozen=True)
class QueuePage:
    items: list[QueueItem]
    has_next_page: bool


@dataclass(frozen=True)
class _Source:
    kind: ReviewKind
    query: Any
    waiting_since: str
    """The field holding the moment the item started waiting."""


def _sources(office_id: int) -> list[_Source]:
    return [
        _Source(
            ReviewKind.POSTING,
            Posting.filter(
                establishment__office_id=office_id,
                status=PostingStatus.SUBMITTED,
                submitted_at__isnull=False,
            ),
            "submitted_at",
        ),
        _Source(
            ReviewKind.POSTING,
            Posting.filter(
                establishment__office_id=office_id,
                status=PostingStatus.ACTIVE,
                change_requested_at__isnull=False,
            ),
            "change_requested_at",
        ),
        _Source(
            ReviewKind.IMAGE,
            EstablishmentImage.filter(
                establishment__office_id=office_id, status=ReviewStatus.PENDING
            ),
            "uploaded_at",
        ),
        _Source(
            ReviewKind.ESTABLISHMENT_CHANGE,
            EstablishmentChange.filter(
                establishment__office_id=office_id, status=ReviewStatus.PENDING
            ),
            "requested_at",
        ),
    ]


def _after(source: _Source, after: QueuePosition) -> Any:
    """The source's items that come after `after` in the queue's order."""
    field = source.waiting_since
    # SQLite compares the stored text, so compare in UTC, as stored.
    at = after.waiting_since.astimezone(dt.UTC)
    rank, after_rank = _RANK[source.kind], _RANK[after.kind]
    if rank > after_rank:
        return source.query.filter(**{f"{field}__gte": at})
    if rank < after_rank:
        return source.query.filter(**{f"{field}__gt": at})
    later: dict[str, Any] = {f"{field}__gt": at}
    same_moment: dict[str, Any] = {field: at, "id__gt": after.id}
    return source.query.filter(Q(**later) | Q(**same_moment))


async def review_queue(
    viewer: Viewer, *, first: int, after: QueuePosition | None = None
) -> QueuePage:
    """Staff: what waits for review in their office, oldest first."""
    staff = viewer.require_staff()
    assert staff.office_id is not None
    if not 0 <= first <= MAX_PAGE_SIZE:
        raise ValueError(f"first must be between 0 and {MAX_PAGE_SIZE}")
    found: list[QueueItem] = []
    for source in _sources(staff.office_id):
        query = source.query if after is None else _after(source, after)
        rows = await query.order_by(source.waiting_since, "id").limit(first + 1)
        found.extend(
            QueueItem(QueuePosition(getattr(row, source.waiting_since), source.kind, row.id), row)
            for row in rows
        )
    found.sort(key=lambda item: item.position.key())
    return QueuePage(items=found[:first], has_next_page=len(found) > first)
