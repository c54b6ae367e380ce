"""Counting wrong tries against a secret, durably and without lost updates."""

from __future__ import annotations

from typing import Any

from tortoise.expressions import F
from tortoise.models import Model
from tortoise.transactions import in_transaction


async def count_failed_try(
    model: type[Model],
    row_id: Any,
    *,
    still_open: dict[str, Any],
    limit: int,
    close: dict[str, Any],
) -> bool:
    """Add one to the row's `failed_attempts` while it is open; close it at `limit`.

    Both steps are single conditional UPDATEs, so concurrent tries from any number of
    processes each count exactly once and no try is counted after the row closed.
    Returns True when the row is closed after this try.
    """
    async with in_transaction():
        counted = await model.filter(id=row_id, **still_open).update(
            failed_attempts=F("failed_attempts") + 1
        )
        if counted == 0:
            return True
        closed = await model.filter(id=row_id, failed_attempts__gte=limit, **still_open).update(
            **close
        )
    return closed > 0
