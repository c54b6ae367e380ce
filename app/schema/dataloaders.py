"""Dataloaders, built per request so that no cache outlives its viewer."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from strawberry.dataloader import DataLoader

from app import models


async def _offices(ids: Sequence[int]) -> list[models.Office]:
    by_id = {office.id: office for office in await models.Office.filter(id__in=list(ids))}
    return [by_id[i] for i in ids]


async def _establishments(ids: Sequence[int]) -> list[models.Establishment]:
    found = await models.Establishment.filter(id__in=list(ids))
    by_id = {establishment.id: establishment for establishment in found}
    return [by_id[i] for i in ids]


async def _postings(ids: Sequence[int]) -> list[models.Posting]:
    by_id = {posting.id: posting for posting in await models.Posting.filter(id__in=list(ids))}
    return [by_id[i] for i in ids]


async def _posting_events(posting_ids: Sequence[int]) -> list[list[models.PostingEvent]]:
    """The history of each posting, oldest first, with who acted."""
    history: dict[int, list[models.PostingEvent]] = {i: [] for i in posting_ids}
    events = models.PostingEvent.filter(posting_id__in=list(posting_ids))
    for event in await events.order_by("id").select_related("actor"):
        history[event.posting_id].append(event)
    return [history[i] for i in posting_ids]


@dataclass
class Loaders:
    office_by_id: DataLoader[int, models.Office] = field(
        default_factory=lambda: DataLoader(load_fn=_offices)
    )
    establishment_by_id: DataLoader[int, models.Establishment] = field(
        default_factory=lambda: DataLoader(load_fn=_establishments)
    )
    posting_events_by_posting_id: DataLoader[int, list[models.PostingEvent]] = field(
        default_factory=lambda: DataLoader(load_fn=_posting_events)
    )
    posting_by_id: DataLoader[int, models.Posting] = field(
        default_factory=lambda: DataLoader(load_fn=_postings)
    )
