"""Hello Work's notices (ハローワークからのお知らせ) in an establishment's inbox: written,
read by its logins, marked read; and the ones the service writes itself when something falls
due (本登録 at the counter, a result report).

A notice is written in the transaction of what it reports, with an event for the
establishment's subscribers (`noticeReceived`), published after the commit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from tortoise.queryset import QuerySet

from app.db import Prepared
from app.errors import ErrorCode, UserErrors, user_error
from app.models import Event, HelloWorkNotice
from app.models.counter import NoticeKind
from app.models.events import EventKind
from app.resolvers import events
from app.resolvers.paging import Page, Window, newest
from app.runtime import Runtime
from app.viewer import Viewer

MAX_MARK_READ_IDS = 100
"""At most this many notices are marked read at once (an input list is bounded)."""


@dataclass(frozen=True)
class Posted:
    notice: HelloWorkNotice
    event: Event


async def post(
    *,
    establishment_id: int,
    kind: NoticeKind,
    title: str,
    body: str,
    now: dt.datetime,
    posting_id: int | None = None,
    application_id: int | None = None,
    due_on: dt.date | None = None,
    sent_by_id: int | None = None,
    dedup_key: str | None = None,
) -> Posted | None:
    """Put a notice in the inbox; call inside the transaction of what it reports, then
    `events.publish(rt, posted.event)` after the commit. With `dedup_key`, a notice that
    already exists under that key is not written again (None is returned)."""
    if dedup_key is not None and await HelloWorkNotice.exists(dedup_key=dedup_key):
        return None
    notice = await HelloWorkNotice.create(
        establishment_id=establishment_id,
        kind=kind,
        title=title,
        body=body,
        posting_id=posting_id,
        application_id=application_id,
        due_on=due_on,
        sent_by_id=sent_by_id,
        dedup_key=dedup_key,
        created_at=now,
    )
    event = await events.record(
        EventKind.NOTICE_RECEIVED,
        establishment_id=establishment_id,
        seeker_id=events.NO_SEEKER,
        now=now,
        notice_id=notice.id,
    )
    return Posted(notice=notice, event=event)


# --- The inbox ----------------------------------------------------------------------------


def _inbox(viewer: Viewer, *, unread_only: bool = False) -> QuerySet[HelloWorkNotice]:
    """The notices of the employer's establishment (any of its logins reads them)."""
    user = viewer.require_employer()
    query = HelloWorkNotice.filter(establishment_id=user.establishment_id)
    return query.filter(read_at__isnull=True) if unread_only else query


async def inbox(
    viewer: Viewer, *, window: Window[int], unread_only: bool = False
) -> Page[HelloWorkNotice]:
    """A page of the employer's notices (the unread ones only, when asked), newest first, with
    their posting and application; its count is the list's."""
    query = _inbox(viewer, unread_only=unread_only).select_related("posting", "application")
    return await newest(query, window)


_UNREAD_COUNT: Prepared[int] = Prepared(
    lambda establishment_id: HelloWorkNotice.filter(
        establishment_id=establishment_id, read_at__isnull=True
    ).count()
)


async def unread_count(establishment_id: int) -> int:
    """The notices of the establishment that none of its logins has read (every home page
    asks: its SQL built once)."""
    return await _UNREAD_COUNT(establishment_id)


def too_many_ids() -> UserErrors:
    return user_error(
        ErrorCode.TOO_MANY_ITEMS,
        f"一度に既読にできるお知らせは{MAX_MARK_READ_IDS}件までです。",
        "ids",
    )


async def mark_read(
    rt: Runtime, viewer: Viewer, notice_ids: Sequence[int]
) -> list[HelloWorkNotice]:
    """既読: 1 to 100 notices of the employer's establishment, in the order given (each once).
    A notice already read keeps who read it first and when. A list naming a notice that is
    not the establishment's marks nothing."""
    user = viewer.require_employer()
    if len(notice_ids) > MAX_MARK_READ_IDS:
        raise too_many_ids()
    ids = list(dict.fromkeys(notice_ids))
    if not ids:
        raise user_error(ErrorCode.REQUIRED, "既読にするお知らせを選んでください。", "ids")
    inbox = _inbox(viewer)
    if await inbox.filter(id__in=ids).count() < len(ids):
        # Another establishment's notice looks like one that is not there: no oracle of ids.
        raise user_error(ErrorCode.NOT_FOUND, "お知らせが見つかりません。", "ids")
    await inbox.filter(id__in=ids, read_at__isnull=True).update(
        read_at=rt.clock.now(), read_by_id=user.id
    )
    found = {
        notice.id: notice
        for notice in await inbox.filter(id__in=ids).select_related("posting", "application")
    }
    return [found[notice_id] for notice_id in ids]


async def visible_notices(viewer: Viewer, ids: list[int]) -> dict[int, HelloWorkNotice]:
    """The notices among `ids` the viewer may see: its establishment's, for its employers only
    (Hello Work's staff see the establishment, not its inbox)."""
    user = viewer.user
    if user is None or user.establishment_id is None:
        return {}
    query = HelloWorkNotice.filter(id__in=ids, establishment_id=user.establishment_id)
    return {notice.id: notice for notice in await query.select_related("posting", "application")}
