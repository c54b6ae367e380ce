"""Regional minimum wages (地域別最低賃金) by prefecture; open to anyone, logged in or not."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Annotated, Self

import strawberry
from strawberry import relay

from app import wages
from app.schema.context import Info
from app.schema.establishments import Yen
from app.schema.paging import bad_input


@strawberry.type(
    description=(
        "最低賃金の改定: one revision of a prefecture's minimum wage, the hourly figure and "
        "the day it took effect."
    )
)
class MinimumWageRevision:
    hourly_wage: Yen = strawberry.field(description="最低賃金時間額: yen an hour.")
    effective_from: dt.date = strawberry.field(description="発効年月日: the first day it applies.")

    @classmethod
    def of(cls, revision: wages.Revision) -> Self:
        return cls(hourly_wage=Yen(revision.yen), effective_from=revision.effective_from)


@strawberry.type(
    description=(
        "地域別最低賃金: a prefecture's minimum wage as it stands on the day asked, "
        "with the revisions it comes from. Readable by `node` for anyone; its `id` names the "
        "prefecture and the day."
    )
)
class MinimumWage(relay.Node):
    id: relay.NodeID[str]
    prefecture: str = strawberry.field(description="都道府県: its full name, as 東京都.")
    hourly_wage: Yen | None = strawberry.field(
        description=(
            "最低賃金時間額: yen an hour in force on the day asked; null before the oldest "
            "revision held."
        )
    )
    effective_from: dt.date | None = strawberry.field(
        description=(
            "発効年月日: the day the figure in force took effect; null when `hourlyWage` is."
        )
    )
    revisions: list[MinimumWageRevision] = strawberry.field(
        description="改定履歴: the revisions held, newest first (the current and the previous)."
    )
    source: str = strawberry.field(
        description="出典: where the figures come from, the page's name and address."
    )

    @classmethod
    def on(cls, prefecture: str, day: dt.date) -> Self:
        current = wages.in_force(prefecture, day)
        return cls(
            id=f"{prefecture}:{day.isoformat()}",
            prefecture=prefecture,
            hourly_wage=Yen(current.yen) if current else None,
            effective_from=current.effective_from if current else None,
            revisions=[MinimumWageRevision.of(r) for r in wages.revisions(prefecture)],
            source=wages.SOURCE,
        )

    @classmethod
    def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        return [cls.named(node_id) for node_id in node_ids]

    @classmethod
    def named(cls, node_id: str) -> Self | None:
        """The figure an `id` names, `<prefecture>:<day>`; None for anything else."""
        prefecture, _, day = node_id.partition(":")
        if prefecture not in wages.PREFECTURES:
            return None
        try:
            return cls.on(prefecture, dt.date.fromisoformat(day))
        except ValueError:
            return None


@strawberry.type
class WageQuery:
    @strawberry.field(
        description=(
            "地域別最低賃金: each prefecture's minimum wage on a day, for anyone. An unknown "
            "prefecture is BAD_USER_INPUT."
        )
    )
    def minimum_wages(
        self,
        info: Info,
        prefecture: Annotated[
            str | None,
            strawberry.argument(
                description="都道府県: one prefecture by its full name (東京都); null: all 47, "
                "in JIS order (北海道 … 沖縄県)."
            ),
        ] = None,
        on: Annotated[
            dt.date | None,
            strawberry.argument(
                description="基準日: the day the figures in force are wanted for; null: today "
                "in Asia/Tokyo."
            ),
        ] = None,
    ) -> list[MinimumWage]:
        if prefecture is not None and prefecture not in wages.PREFECTURES:
            raise bad_input("prefecture には都道府県名を「東京都」のように正しく指定してください。")
        day = on or info.context.rt.clock.today()
        chosen = wages.PREFECTURES if prefecture is None else (prefecture,)
        return [MinimumWage.on(name, day) for name in chosen]
