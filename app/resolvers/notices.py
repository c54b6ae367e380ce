"""Hello Work's notices (ハローワークからのお知らせ) in an establishment's inbox.

A notice is written in the transaction of what it reports, with an event for the
establishment's subscribers (`noticeReceived`), published after the commit.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from app.models import Event, HelloWorkNotice
from app.models.counter import NoticeKind
from app.models.events import EventKind
from app.resolvers import events


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
