"""Office events (イベント情報): staff publish and cancel them, employers search them and register
their interest within the capacity; staff see who registered."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Iterable
from typing import Annotated, Self, TypeVar

import strawberry
from strawberry import relay

from app import models
from app.models import office_events as enums
from app.resolvers import office_events
from app.schema.context import Info
from app.schema.errors import UserError, run_change
from app.schema.establishments import Office
from app.schema.nodes import decode_id, visible_nodes
from app.schema.paging import (
    Connection,
    Edge,
    check_first,
    connection,
    cursor_moment,
    cursor_number,
    cursor_parts,
    encode_cursor,
    page_args,
)
from app.schema.permissions import IsEmployer, IsStaff

strawberry.enum(
    enums.OfficeEventKind,
    description=(
        "JOB_FAIR 就職面接会・合同企業説明会, SEMINAR セミナー, BRIEFING 事業所向け説明会, "
        "OTHER その他."
    ),
)
OfficeEventKind = enums.OfficeEventKind


@strawberry.type(description="An establishment registered for an event (参加申込).")
class OfficeEventRegistration:
    establishment_number: str = strawberry.field(description="事業所番号.")
    establishment_name: str = strawberry.field(description="事業所名.")
    phone_number: str
    registered_at: dt.datetime


@strawberry.type(description="A page of registrations, oldest first; `first` is at most 100.")
class OfficeEventRegistrationConnection(Connection[Edge[OfficeEventRegistration]]):
    pass


@strawberry.type(description="An event of a Hello Work office (イベント情報).")
class OfficeEvent(relay.Node):
    id: relay.NodeID[int]
    kind: OfficeEventKind
    title: str
    description: str
    target: str = strawberry.field(description="対象.")
    starts_at: dt.datetime
    ends_at: dt.datetime
    venue: str = strawberry.field(description="会場.")
    prefecture: str = strawberry.field(description="都道府県: 東京都.")
    capacity: int = strawberry.field(description="定員: how many establishments may register.")
    cancelled_at: dt.datetime | None = strawberry.field(description="中止; null if it goes ahead.")
    created_at: dt.datetime
    office_id: strawberry.Private[int]

    @classmethod
    def from_model(cls, event: models.OfficeEvent) -> Self:
        return cls(
            id=event.id,
            kind=event.kind,
            title=event.title,
            description=event.description,
            target=event.target,
            starts_at=event.starts_at,
            ends_at=event.ends_at,
            venue=event.venue,
            prefecture=event.prefecture,
            capacity=event.capacity,
            cancelled_at=event.cancelled_at,
            created_at=event.created_at,
            office_id=event.office_id,
        )

    @strawberry.field(description="The office that holds the event.")
    async def office(self, info: Info) -> Office:
        return Office.from_model(await info.context.loaders.office_by_id.load(self.office_id))

    @strawberry.field(description="Seats left: the capacity less the registrations.")
    async def remaining_capacity(self, info: Info) -> int:
        taken = await info.context.loaders.registration_count_by_office_event_id.load(self.id)
        return max(self.capacity - taken, 0)

    @strawberry.field(description="Whether the viewer's establishment registered; false for staff.")
    async def registered(self, info: Info) -> bool:
        user = info.context.viewer.user
        if user is None or user.establishment_id is None:
            return False
        loader = info.context.loaders.registered_by_office_event_and_establishment
        return await loader.load((self.id, user.establishment_id))

    @strawberry.field(
        description=(
            "Staff of the event's office: the establishments registered, oldest first. "
            "Registrants may be under other offices, so only what the event needs is shown. "
            "Anyone else gets null here with a FORBIDDEN error, and the rest of the event."
        )
    )
    async def registrations(
        self, info: Info, first: int = 20, after: str | None = None
    ) -> OfficeEventRegistrationConnection | None:
        after_id = page_args(_REGISTRATION_CURSOR, first, after)
        page = await office_events.event_registrations(
            info.context.viewer, self.id, first=first, after_id=after_id
        )
        loader = info.context.loaders.establishment_by_id
        found = await loader.load_many([item.establishment_id for item in page.items])
        establishments = {establishment.id: establishment for establishment in found}
        return connection(
            OfficeEventRegistrationConnection,
            page,
            lambda item: _registration_edge(item, establishments[item.establishment_id]),
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        viewer = info.context.viewer
        return await visible_nodes(
            node_ids, lambda ids: office_events.visible_events(viewer, ids), cls.from_model
        )


# --- Paging -------------------------------------------------------------------------------

_EVENT_CURSOR = "officeEvent"
_REGISTRATION_CURSOR = "officeEventRegistration"


def _event_cursor(event: models.OfficeEvent) -> str:
    starts_at = event.starts_at.astimezone(dt.UTC).isoformat()
    return encode_cursor(_EVENT_CURSOR, starts_at, event.id, separator="|")


def _registration_edge(
    item: models.OfficeEventInterest, establishment: models.Establishment
) -> Edge[OfficeEventRegistration]:
    return Edge(
        cursor=encode_cursor(_REGISTRATION_CURSOR, item.id),
        node=OfficeEventRegistration(
            establishment_number=establishment.number,
            establishment_name=establishment.name,
            phone_number=establishment.phone_number,
            registered_at=item.created_at,
        ),
    )


def _event_edge(event: models.OfficeEvent) -> relay.Edge[OfficeEvent]:
    return relay.Edge(cursor=_event_cursor(event), node=OfficeEvent.from_model(event))


def _event_cursor_args(first: int, after: str | None) -> office_events.EventCursor | None:
    check_first(first)
    if after is None:
        return None
    starts_at, event_id = cursor_parts(after, _EVENT_CURSOR, 2, separator="|")
    return office_events.EventCursor(starts_at=cursor_moment(starts_at), id=cursor_number(event_id))


@strawberry.type
class OfficeEventQuery:
    @strawberry.field(
        description=(
            "Employers and staff: upcoming events of every office that are not cancelled, "
            "soonest first (イベント情報検索). `from` and `to` are days in Asia/Tokyo, both "
            "inclusive, on the start; `keyword` looks in the title, description, target and venue."
        )
    )
    async def office_events(
        self,
        info: Info,
        from_: Annotated[dt.date | None, strawberry.argument(name="from")] = None,
        to: dt.date | None = None,
        prefecture: str | None = None,
        keyword: str | None = None,
        first: int = 20,
        after: str | None = None,
    ) -> relay.Connection[OfficeEvent]:
        ctx = info.context
        cursor = _event_cursor_args(first, after)
        page = await office_events.search_events(
            ctx.rt,
            ctx.viewer,
            office_events.EventFilters(
                from_date=from_, to_date=to, prefecture=prefecture, keyword=keyword
            ),
            first=first,
            after=cursor,
        )
        return connection(relay.Connection, page, _event_edge)


# --- Mutations ----------------------------------------------------------------------------


@strawberry.input(description="A new event of the staff member's own office.")
class OfficeEventCreateInput:
    kind: OfficeEventKind
    title: str = strawberry.field(description="Up to 100 characters.")
    starts_at: dt.datetime = strawberry.field(
        description="In the future; without an offset, a time in Asia/Tokyo."
    )
    ends_at: dt.datetime = strawberry.field(description="After `startsAt`.")
    venue: str = strawberry.field(description="会場, up to 200 characters.")
    prefecture: str = strawberry.field(description="One of the 47: 東京都, 大阪府 …")
    capacity: int = strawberry.field(description="定員: from 1 to 10000 establishments.")
    description: str = strawberry.field(default="", description="Up to 2000 characters.")
    target: str = strawberry.field(default="", description="対象, up to 200 characters.")

    def to_details(self) -> office_events.EventDetails:
        return office_events.EventDetails(
            kind=self.kind,
            title=self.title,
            description=self.description,
            target=self.target,
            starts_at=self.starts_at,
            ends_at=self.ends_at,
            venue=self.venue,
            prefecture=self.prefecture,
            capacity=self.capacity,
        )


@strawberry.input
class OfficeEventCancelInput:
    event_id: strawberry.ID = strawberry.field(description="An event of the staff's office.")


@strawberry.input
class OfficeEventRegisterInterestInput:
    event_id: strawberry.ID


@strawberry.input
class OfficeEventWithdrawInterestInput:
    event_id: strawberry.ID


@strawberry.type
class OfficeEventCreatePayload:
    office_event: OfficeEvent | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class OfficeEventCancelPayload:
    office_event: OfficeEvent | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class OfficeEventRegisterInterestPayload:
    office_event: OfficeEvent | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class OfficeEventWithdrawInterestPayload:
    office_event: OfficeEvent | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


P = TypeVar("P")


async def _run(payload: Callable[..., P], change: Callable[[], Awaitable[models.OfficeEvent]]) -> P:
    return await run_change(payload, change, "office_event", OfficeEvent.from_model)


def _event_id(event_id: strawberry.ID) -> int:
    return decode_id(event_id, "OfficeEvent", "eventId")


@strawberry.type
class OfficeEventMutation:
    @strawberry.mutation(
        description="Staff: publish an event of their office.", permission_classes=[IsStaff]
    )
    async def office_event_create(
        self, info: Info, input: OfficeEventCreateInput
    ) -> OfficeEventCreatePayload:
        ctx = info.context
        return await _run(
            OfficeEventCreatePayload,
            lambda: office_events.create_event(ctx.rt, ctx.viewer, input.to_details()),
        )

    @strawberry.mutation(
        description="Staff: cancel (中止) an event of their office.", permission_classes=[IsStaff]
    )
    async def office_event_cancel(
        self, info: Info, input: OfficeEventCancelInput
    ) -> OfficeEventCancelPayload:
        ctx = info.context
        return await _run(
            OfficeEventCancelPayload,
            lambda: office_events.cancel_event(ctx.rt, ctx.viewer, _event_id(input.event_id)),
        )

    @strawberry.mutation(
        description="Employer: register the establishment's interest (参加申込), within capacity.",
        permission_classes=[IsEmployer],
    )
    async def office_event_register_interest(
        self, info: Info, input: OfficeEventRegisterInterestInput
    ) -> OfficeEventRegisterInterestPayload:
        ctx = info.context
        return await _run(
            OfficeEventRegisterInterestPayload,
            lambda: office_events.register_interest(ctx.rt, ctx.viewer, _event_id(input.event_id)),
        )

    @strawberry.mutation(
        description="Employer: withdraw the registration before the event.",
        permission_classes=[IsEmployer],
    )
    async def office_event_withdraw_interest(
        self, info: Info, input: OfficeEventWithdrawInterestInput
    ) -> OfficeEventWithdrawInterestPayload:
        ctx = info.context
        return await _run(
            OfficeEventWithdrawInterestPayload,
            lambda: office_events.withdraw_interest(ctx.rt, ctx.viewer, _event_id(input.event_id)),
        )
