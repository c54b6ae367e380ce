"""Dataloaders, built per request so that no cache outlives its viewer."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from strawberry.dataloader import DataLoader

from app import models


async def _offices(ids: Sequence[int]) -> list[models.Office]:
    by_id = {office.id: office for office in await models.Office.filter(id__in=list(ids))}
    return [by_id[i] for i in ids]


@dataclass
class Loaders:
    office_by_id: DataLoader[int, models.Office] = field(
        default_factory=lambda: DataLoader(load_fn=_offices)
    )
