"""Office events (イベント情報): staff publish and cancel them, employers search them and register
their interest within the capacity; staff see who registered."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Iterable
from typing import Annotated, Self, TypeVar

import strawberry
from strawberry import relay

import app.schema.describe as describe
from app import models
from app.models import office_events as enums
from app.resolvers import office_events
from app.schema.context import Info
from app.schema.errors import UserError, run_change
from app.schema.establishments import Office
from app.schema.nodes import decode_id, visible_nodes, visible_to_viewer
from app.schema.paging import (
    After,
    Before,
    Connection,
    Edge,
    First,
    Last,
    connection,
    cursor_moment,
    cursor_number,
    cursor_parts,
    encode_cursor,
    id_window,
    window,
)
from app.schema.permissions import IsEmployer, IsStaff

describe.enum(
    enums.OfficeEventKind, description="イベントの種類 (event kind) of an office's event."
)
OfficeEventKind = enums.OfficeEventKind


@strawberry.type(
    description=(
        "参加申込 (registration): an establishment registered for an event. Readable by `node` "
        "for staff of the event's office and for the registered establishment's logins; a "
        "registration withdrawn is gone."
    )
)
class OfficeEventRegistration(relay.Node):
    id: relay.NodeID[int]
    establishment_number: str = strawberry.field(description="事業所番号 (establishment number).")
    establishment_name: str = strawberry.field(description="事業所名 (establishment name).")
    phone_number: str = strawberry.field(
        description="電話番号 (phone number) of the establishment, for the office to call."
    )
    registered_at: dt.datetime = strawberry.field(description="申込日時 (registered at).")

    @classmethod
    def from_model(
        cls, registration: models.OfficeEventInterest, establishment: models.Establishment
    ) -> Self:
        return cls(
            id=registration.id,
            establishment_number=establishment.number,
            establishment_name=establishment.name,
            phone_number=establishment.phone_number,
            registered_at=registration.created_at,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        viewer = info.context.viewer
        return await visible_nodes(
            node_ids,
            lambda ids: office_events.visible_registrations(viewer, ids),
            lambda row: cls.from_model(row, row.establishment),
        )


@strawberry.type(description="A page of an event's registrations, oldest first; at most 100.")
class OfficeEventRegistrationConnection(Connection[Edge[OfficeEventRegistration]]):
    pass


@strawberry.type(
    description=(
        "イベント情報 (office event): a job fair or seminar of a Hello Work office. Readable by "
        "`node` for employers and staff."
    )
)
class OfficeEvent(relay.Node):
    id: relay.NodeID[int]
    kind: OfficeEventKind = strawberry.field(description="種類 (kind).")
    title: str = strawberry.field(description="タイトル (title).")
    description: str = strawberry.field(description="内容 (description); empty when none.")
    target: str = strawberry.field(description="対象 (who it is for); empty when not given.")
    starts_at: dt.datetime = strawberry.field(description="開始日時 (starts at).")
    ends_at: dt.datetime = strawberry.field(description="終了日時 (ends at).")
    venue: str = strawberry.field(description="会場 (venue).")
    prefecture: str = strawberry.field(description="都道府県 (prefecture) of the venue: 東京都.")
    capacity: int = strawberry.field(
        description="定員 (capacity): how many establishments may register."
    )
    cancelled_at: dt.datetime | None = strawberry.field(
        description="中止 (cancelled at); null if it goes ahead."
    )
    created_at: dt.datetime = strawberry.field(description="掲載日時: when staff published it.")
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

    @strawberry.field(description="残席 (seats left): the capacity less the registrations.")
    async def remaining_capacity(self, info: Info) -> int:
        taken = await info.context.loaders.registration_count_by_office_event_id.load(self.id)
        return max(self.capacity - taken, 0)

    @strawberry.field(
        description="申込済み: whether the viewer's establishment registered; false for staff."
    )
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
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> OfficeEventRegistrationConnection | None:
        window = id_window(_REGISTRATION_CURSOR, first, after, last, before)
        page = await office_events.event_registrations(info.context.viewer, self.id, window=window)
        loader = info.context.loaders.establishment_by_id
        found = await loader.load_many([item.establishment_id for item in page.items])
        establishments = {establishment.id: establishment for establishment in found}
        return connection(
            OfficeEventRegistrationConnection,
            page,
            lambda item: _registration_edge(item, establishments[item.establishment_id]),
        )

    resolve_nodes = visible_to_viewer(office_events.visible_events)


@strawberry.type(description="A page of the event search, the soonest start first; at most 100.")
class OfficeEventConnection(Connection[Edge[OfficeEvent]]):
    pass


# --- Paging -------------------------------------------------------------------------------

_EVENT_CURSOR = "officeEvent"
_REGISTRATION_CURSOR = "officeEventRegistration"


def _event_cursor(event: models.OfficeEvent) -> str:
    starts_at, event_id = office_events.event_position(event)
    return encode_cursor(_EVENT_CURSOR, starts_at.isoformat(), event_id, separator="|")


def _event_position(cursor: str) -> office_events.EventPosition:
    starts_at, event_id = cursor_parts(cursor, _EVENT_CURSOR, 2, separator="|")
    return (cursor_moment(starts_at), cursor_number(event_id))


def _registration_edge(
    item: models.OfficeEventInterest, establishment: models.Establishment
) -> Edge[OfficeEventRegistration]:
    return Edge(
        cursor=encode_cursor(_REGISTRATION_CURSOR, item.id),
        node=OfficeEventRegistration.from_model(item, establishment),
    )


def _event_edge(event: models.OfficeEvent) -> Edge[OfficeEvent]:
    return Edge(cursor=_event_cursor(event), node=OfficeEvent.from_model(event))


@strawberry.type
class OfficeEventQuery:
    @strawberry.field(
        description=(
            "Employers and staff: upcoming events of every office that are not cancelled, "
            "soonest first (イベント情報検索); events that start at the same time, the older "
            "first."
        )
    )
    async def office_events(
        self,
        info: Info,
        from_: Annotated[
            dt.date | None,
            strawberry.argument(
                name="from",
                description="開始日 from (a day in Asia/Tokyo, inclusive): events starting on "
                "or after it.",
            ),
        ] = None,
        to: Annotated[
            dt.date | None,
            strawberry.argument(
                description="開始日 to (a day in Asia/Tokyo, inclusive): events starting on or "
                "before it."
            ),
        ] = None,
        prefecture: Annotated[
            str | None,
            strawberry.argument(
                description="都道府県 (prefecture) of the venue, one of the 47: 東京都 …; "
                "another value finds nothing."
            ),
        ] = None,
        keyword: Annotated[
            str | None,
            strawberry.argument(
                description="キーワード (keyword): found in the title, description, target or "
                "venue, in any case; blank for all."
            ),
        ] = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> OfficeEventConnection:
        ctx = info.context
        page = await office_events.search_events(
            ctx.rt,
            ctx.viewer,
            office_events.EventFilters(
                from_date=from_, to_date=to, prefecture=prefecture, keyword=keyword
            ),
            window=window(first, after, last, before, _event_position),
        )
        return connection(OfficeEventConnection, page, _event_edge)


# --- Mutations ----------------------------------------------------------------------------


@strawberry.input(description="イベント登録 (new event) of the staff member's own office.")
class OfficeEventCreateInput:
    kind: OfficeEventKind = strawberry.field(description="種類 (kind).")
    title: str = strawberry.field(description="タイトル (title): required, up to 100 characters.")
    starts_at: dt.datetime = strawberry.field(
        description="開始日時 (starts at): in the future; without an offset, a time in Asia/Tokyo."
    )
    ends_at: dt.datetime = strawberry.field(
        description="終了日時 (ends at): after `startsAt`; without an offset, in Asia/Tokyo."
    )
    venue: str = strawberry.field(description="会場 (venue): required, up to 200 characters.")
    prefecture: str = strawberry.field(
        description="都道府県 (prefecture) of the venue: one of the 47, 東京都, 大阪府 …"
    )
    capacity: int = strawberry.field(description="定員 (capacity): from 1 to 10000 establishments.")
    description: str = strawberry.field(
        default="", description="内容 (description): up to 2000 characters, or empty."
    )
    target: str = strawberry.field(
        default="", description="対象 (who it is for): up to 200 characters, or empty."
    )

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


@strawberry.input(description="イベント中止 (cancel): an event that has not ended.")
class OfficeEventCancelInput:
    event_id: strawberry.ID = strawberry.field(
        description="An event (`OfficeEvent.id`) of the staff's office."
    )


@strawberry.input(description="参加申込 (register): an event that has not started, with a seat.")
class OfficeEventRegisterInterestInput:
    event_id: strawberry.ID = strawberry.field(
        description="An event (`OfficeEvent.id`), not cancelled, not started."
    )


@strawberry.input(description="参加申込の取消 (withdraw) before the event starts.")
class OfficeEventWithdrawInterestInput:
    event_id: strawberry.ID = strawberry.field(
        description="An event (`OfficeEvent.id`) the establishment registered for."
    )


@strawberry.type(description="The answer of `officeEventCreate`.")
class OfficeEventCreatePayload:
    office_event: OfficeEvent | None = strawberry.field(
        default=None, description="The event published."
    )
    errors: list[UserError] = strawberry.field(
        default_factory=list, description="Why nothing was published; empty when it was."
    )


@strawberry.type(description="The answer of `officeEventCancel`.")
class OfficeEventCancelPayload:
    office_event: OfficeEvent | None = strawberry.field(
        default=None, description="The event, cancelled."
    )
    errors: list[UserError] = strawberry.field(
        default_factory=list, description="Why nothing was cancelled; empty when it was."
    )


@strawberry.type(description="The answer of `officeEventRegisterInterest`.")
class OfficeEventRegisterInterestPayload:
    office_event: OfficeEvent | None = strawberry.field(
        default=None, description="The event, the establishment registered."
    )
    errors: list[UserError] = strawberry.field(
        default_factory=list, description="Why no seat was taken; empty when one was."
    )


@strawberry.type(description="The answer of `officeEventWithdrawInterest`.")
class OfficeEventWithdrawInterestPayload:
    office_event: OfficeEvent | None = strawberry.field(
        default=None, description="The event, the registration withdrawn."
    )
    errors: list[UserError] = strawberry.field(
        default_factory=list, description="Why nothing was withdrawn; empty when it was."
    )


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
        self,
        info: Info,
        input: Annotated[OfficeEventCreateInput, strawberry.argument(description="The event.")],
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
        self,
        info: Info,
        input: Annotated[
            OfficeEventCancelInput, strawberry.argument(description="The event to cancel.")
        ],
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
        self,
        info: Info,
        input: Annotated[
            OfficeEventRegisterInterestInput,
            strawberry.argument(description="The event to register for."),
        ],
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
        self,
        info: Info,
        input: Annotated[
            OfficeEventWithdrawInterestInput,
            strawberry.argument(description="The event to withdraw from."),
        ],
    ) -> OfficeEventWithdrawInterestPayload:
        ctx = info.context
        return await _run(
            OfficeEventWithdrawInterestPayload,
            lambda: office_events.withdraw_interest(ctx.rt, ctx.viewer, _event_id(input.event_id)),
        )
