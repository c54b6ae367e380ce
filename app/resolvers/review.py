"""The staff review queue (審査待ち): everything of their office waiting for them, in one list.

Submitted postings, changes to active postings, images, establishment profile changes and
online pre-registrations (事業所の仮登録) whose address was confirmed, oldest first by the moment
each started waiting; ties go posting, image, establishment change, pre-registration, then by
id. Pages are keyset pages on that order, forward or backward, so an item reviewed meanwhile
never shifts the next page.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from tortoise.expressions import Q

from app.models import EstablishmentChange, EstablishmentImage, Posting
from app.models.counter import EstablishmentPreRegistration, PreRegistrationStatus
from app.models.establishments import ReviewStatus
from app.models.postings import PostingStatus
from app.resolvers.paging import Page, Window, merge_window, window_page
from app.viewer import Viewer


class ReviewKind(StrEnum):
    """What waits; the order of the members breaks ties between equal moments."""

    POSTING = "POSTING"
    IMAGE = "IMAGE"
    ESTABLISHMENT_CHANGE = "ESTABLISHMENT_CHANGE"
    PRE_REGISTRATION = "PRE_REGISTRATION"


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
    item: Posting | EstablishmentImage | EstablishmentChange | EstablishmentPreRegistration


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
        # A reserved renewal (更新予約) is reviewed like a submission; a change waiting on the
        # same posting comes first, and the renewal after it.
        _Source(
            ReviewKind.POSTING,
            Posting.filter(
                establishment__office_id=office_id,
                status=PostingStatus.ACTIVE,
                change_requested_at__isnull=True,
                renewal_reserved_at__isnull=False,
                renewal_accepted_at__isnull=True,
            ),
            "renewal_reserved_at",
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
        _Source(
            ReviewKind.PRE_REGISTRATION,
            EstablishmentPreRegistration.filter(
                office_id=office_id,
                status=PreRegistrationStatus.PENDING,
                verified_at__isnull=False,
            ),
            "verified_at",
        ),
    ]


def _past(source: _Source, position: QueuePosition, *, backward: bool) -> Q:
    """The filter keeping the source's items that come after `position` in the queue's order
    (before it, `backward`): later moments, and at the same moment a kind that ranks after
    (before), or the same kind with a greater (smaller) id."""
    field = source.waiting_since
    # SQLite compares the stored text, so compare in UTC, as stored.
    at = position.waiting_since.astimezone(dt.UTC)
    op = "lt" if backward else "gt"
    beyond: dict[str, Any] = {f"{field}__{op}": at}
    ahead = _RANK[source.kind] - _RANK[position.kind]
    if backward:
        ahead = -ahead
    if ahead > 0:
        at_or_beyond: dict[str, Any] = {f"{field}__{op}e": at}
        return Q(**at_or_beyond)
    if ahead < 0:
        return Q(**beyond)
    same_moment: dict[str, Any] = {field: at, f"id__{op}": position.id}
    return Q(**beyond) | Q(**same_moment)


async def review_queue(viewer: Viewer, *, window: Window[QueuePosition]) -> Page[QueueItem]:
    """Staff: what waits for review in their office, oldest first."""
    staff = viewer.require_staff()
    assert staff.office_id is not None
    pages: list[Page[QueueItem]] = []
    for source in _sources(staff.office_id):
        bounds = Window(
            size=window.size,
            after=None if window.after is None else _past(source, window.after, backward=False),
            before=None if window.before is None else _past(source, window.before, backward=True),
            backward=window.backward,
        )
        page = await window_page(source.query, bounds, order=(source.waiting_since, "id"))
        items = [
            QueueItem(QueuePosition(getattr(row, source.waiting_since), source.kind, row.id), row)
            for row in page.items
        ]
        pages.append(
            Page(
                items=items,
                has_next_page=page.has_next_page,
                has_previous_page=page.has_previous_page,
                count=page.count,
            )
        )
    return merge_window(pages, window, key=lambda item: item.position.key())
