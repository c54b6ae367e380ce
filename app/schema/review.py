"""The staff review queue: postings, images, establishment changes and pre-registrations of
their office."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import strawberry

from app import models
from app.resolvers import review
from app.schema.context import Info
from app.schema.establishments import EstablishmentChange
from app.schema.images import EstablishmentImage
from app.schema.paging import (
    After,
    Before,
    Connection,
    First,
    Last,
    bad_cursor,
    connection,
    cursor_moment,
    cursor_number,
    cursor_parts,
    encode_cursor,
    window,
)
from app.schema.postings import Posting
from app.schema.pre_registration import EstablishmentPreRegistration

_Item = Posting | EstablishmentImage | EstablishmentChange | EstablishmentPreRegistration

ReviewItem = Annotated[
    _Item,
    strawberry.union(
        "ReviewItem",
        description=(
            "Something waiting for staff: a submitted posting or a change to an active one "
            "(`postingAccept`, `postingReturn`), an image (`imageReview`), an establishment "
            "profile change (`establishmentChangeReview`), or an online pre-registration "
            "(`establishmentConfirm`, `establishmentPreRegistrationRefuse`)."
        ),
    ),
]


@strawberry.type(description="One item of the review queue (審査待ち), its cursor and its wait.")
class ReviewItemEdge:
    cursor: str = strawberry.field(
        description="Where this item stands, for `after` or `before` (opaque; do not parse it)."
    )
    waiting_since: dt.datetime = strawberry.field(
        description=(
            "When it started waiting: submitted, change requested, uploaded, address confirmed."
        )
    )
    node: ReviewItem = strawberry.field(description="What waits for review.")


@strawberry.type(
    description=(
        "A page of the review queue (審査待ち), oldest first; `totalCount` counts everything of "
        "the office waiting."
    )
)
class ReviewItemConnection(Connection[ReviewItemEdge]):
    pass


_CURSOR = "review"


def _cursor(position: review.QueuePosition) -> str:
    at = position.waiting_since.astimezone(dt.UTC).isoformat()
    return encode_cursor(_CURSOR, position.kind.value, at, position.id, separator="|")


def _position(cursor: str) -> review.QueuePosition:
    """The place in the queue a cursor of `_cursor` holds; `bad_cursor` for any other."""
    kind, at, item_id = cursor_parts(cursor, _CURSOR, 3, separator="|")
    try:
        review_kind = review.ReviewKind(kind)
    except ValueError as exc:
        raise bad_cursor() from exc
    return review.QueuePosition(
        waiting_since=cursor_moment(at), kind=review_kind, id=cursor_number(item_id)
    )


def _node(item: review.QueueItem) -> _Item:
    found = item.item
    if isinstance(found, models.Posting):
        return Posting.from_model(found)
    if isinstance(found, models.EstablishmentImage):
        return EstablishmentImage.from_model(found)
    if isinstance(found, models.EstablishmentPreRegistration):
        return EstablishmentPreRegistration.from_model(found)
    return EstablishmentChange.from_model(found)


def _edge(item: review.QueueItem) -> ReviewItemEdge:
    return ReviewItemEdge(
        cursor=_cursor(item.position),
        waiting_since=item.position.waiting_since,
        node=_node(item),
    )


@strawberry.type
class ReviewQuery:
    @strawberry.field(
        description=(
            "Staff: everything of their office waiting for review (postings, changes to active "
            "postings, images, establishment profile changes, pre-registrations), oldest first."
        )
    )
    async def review_queue(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> ReviewItemConnection:
        page = await review.review_queue(
            info.context.viewer, window=window(first, after, last, before, _position)
        )
        return connection(ReviewItemConnection, page, _edge)
