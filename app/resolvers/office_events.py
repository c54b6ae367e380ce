"""Events that offices publish (イベント情報): job fairs and seminars; employers search them and
register their interest (参加申込) within the capacity.

A registration counts the registrations and inserts its own in one transaction, holding the
event's row (`SELECT … FOR UPDATE` on PostgreSQL, the one connection's transaction lock on
SQLite), so registrations racing for the last seat queue and never exceed the capacity; the
unique (event, establishment) constraint keeps one registration per establishment.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from app.clock import TOKYO
from app.errors import ErrorCode, Forbidden, NotAuthenticated, user_error
from app.models import AuditAction, OfficeEvent, OfficeEventInterest, Portal
from app.models.office_events import OfficeEventKind
from app.resolvers import audit, validation
from app.resolvers.paging import Page, Window, columns_page, empty_page, oldest
from app.runtime import Runtime
from app.viewer import Viewer
from app.wages import PREFECTURES

TITLE_MAX_LENGTH = 100
DESCRIPTION_MAX_LENGTH = 2000
TARGET_MAX_LENGTH = 200
VENUE_MAX_LENGTH = 200
CAPACITY_MAX = 10_000


@dataclass(frozen=True)
class EventDetails:
    """What staff write when they publish an event."""

    kind: OfficeEventKind
    title: str
    description: str
    target: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    venue: str
    prefecture: str
    capacity: int


def _utc(moment: dt.datetime) -> dt.datetime:
    """In UTC, as stored and compared (SQLite compares the text); a time without an offset
    is a time in Tokyo, as the office writes it."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=TOKYO)
    return aware.astimezone(dt.UTC)


def _optional_text(field: str, value: str, label: str, max_length: int) -> str:
    value = value.strip()
    if len(value) > max_length:
        raise user_error(
            ErrorCode.TOO_LONG, f"{label}は{max_length}文字以内で入力してください。", field
        )
    return value


def validate_details(rt: Runtime, details: EventDetails) -> EventDetails:
    """The details with text trimmed and times aware, or `UserErrors` for every fault."""
    form = validation.Form()
    d = details
    starts_at, ends_at = _utc(d.starts_at), _utc(d.ends_at)
    title = form.check(lambda: validation.required("title", d.title, "タイトル", TITLE_MAX_LENGTH))
    description = form.check(
        lambda: _optional_text("description", d.description, "内容", DESCRIPTION_MAX_LENGTH)
    )
    target = form.check(lambda: _optional_text("target", d.target, "対象", TARGET_MAX_LENGTH))
    venue = form.check(lambda: validation.required("venue", d.venue, "会場", VENUE_MAX_LENGTH))
    if d.prefecture not in PREFECTURES:
        form.error(ErrorCode.INVALID_FORMAT, "都道府県を選択してください。", "prefecture")
    if starts_at <= rt.clock.now():
        form.error(
            ErrorCode.OUT_OF_RANGE,
            "開始日時は現在より後の日時を入力してください。",
            "starts_at",
        )
    if ends_at <= starts_at:
        form.error(
            ErrorCode.OUT_OF_RANGE,
            "終了日時は開始日時より後の日時を入力してください。",
            "ends_at",
        )
    if not 1 <= d.capacity <= CAPACITY_MAX:
        form.error(
            ErrorCode.OUT_OF_RANGE,
            f"定員は1から{CAPACITY_MAX}までで入力してください。",
            "capacity",
        )
    form.done()
    return EventDetails(
        kind=d.kind,
        title=title,
        description=description,
        target=target,
        starts_at=starts_at,
        ends_at=ends_at,
        venue=venue,
        prefecture=d.prefecture,
        capacity=d.capacity,
    )


# --- Staff --------------------------------------------------------------------------------


def _not_found() -> Exception:
    return user_error(ErrorCode.NOT_FOUND, "イベントが見つかりません。", "event_id")


async def create_event(rt: Runtime, viewer: Viewer, details: EventDetails) -> OfficeEvent:
    """Staff publish an event of their own office."""
    staff = viewer.require_staff()
    assert staff.office_id is not None
    details = validate_details(rt, details)
    async with in_transaction():
        event = await OfficeEvent.create(
            office_id=staff.office_id,
            kind=details.kind,
            title=details.title,
            description=details.description,
            target=details.target,
            starts_at=details.starts_at,
            ends_at=details.ends_at,
            venue=details.venue,
            prefecture=details.prefecture,
            capacity=details.capacity,
            created_by_id=staff.id,
            created_at=rt.clock.now(),
        )
        await audit.record(rt, AuditAction.OFFICE_EVENT_CREATED, actor=staff, event=event.id)
    return event


async def _office_event(viewer: Viewer, event_id: int) -> OfficeEvent:
    """An event of the staff member's own office."""
    staff = viewer.require_staff()
    event = await OfficeEvent.get_or_none(id=event_id)
    # Another office's event is answered as one that is not there: no oracle of its IDs.
    if event is None or event.office_id != staff.office_id:
        raise _not_found()
    return event


async def cancel_event(rt: Runtime, viewer: Viewer, event_id: int) -> OfficeEvent:
    """Staff cancel (中止) an event of their office that has not ended; registrations stay
    on record."""
    event = await _office_event(viewer, event_id)
    now = rt.clock.now()
    async with in_transaction():
        cancelled = await OfficeEvent.filter(
            id=event.id, cancelled_at__isnull=True, ends_at__gt=now
        ).update(cancelled_at=now)
        if not cancelled:
            raise user_error(
                ErrorCode.INVALID_STATE,
                "このイベントは中止済みか、すでに終了しています。",
                "event_id",
            )
        await audit.record(
            rt, AuditAction.OFFICE_EVENT_CANCELLED, actor=viewer.user, event=event.id
        )
    return await OfficeEvent.get(id=event.id)


async def event_registrations(
    viewer: Viewer, event_id: int, *, window: Window[int]
) -> Page[OfficeEventInterest]:
    """Staff of the event's office: the establishments registered, in the order they came."""
    staff = viewer.require_staff()
    event = await OfficeEvent.get_or_none(id=event_id)
    if event is None or event.office_id != staff.office_id:
        raise Forbidden
    return await oldest(OfficeEventInterest.filter(event_id=event_id), window)


# --- Employers ----------------------------------------------------------------------------


async def _open_event(rt: Runtime, event_id: int, *, lock: bool = False) -> OfficeEvent:
    """An event that is neither cancelled nor started; call inside a transaction to lock."""
    query = OfficeEvent.select_for_update() if lock else OfficeEvent
    event = await query.get_or_none(id=event_id)
    if event is None:
        raise _not_found()
    if event.cancelled_at is not None:
        raise user_error(ErrorCode.INVALID_STATE, "このイベントは中止されました。", "event_id")
    if event.starts_at <= rt.clock.now():
        raise user_error(
            ErrorCode.INVALID_STATE, "このイベントはすでに開始しています。", "event_id"
        )
    return event


async def register_interest(rt: Runtime, viewer: Viewer, event_id: int) -> OfficeEvent:
    """参加申込: the employer's establishment takes one seat, if one is left."""
    user = viewer.require_employer()
    already = user_error(
        ErrorCode.ALREADY_EXISTS, "このイベントにはすでに参加申込済みです。", "event_id"
    )
    try:
        async with in_transaction():
            event = await _open_event(rt, event_id, lock=True)
            if await OfficeEventInterest.exists(
                event_id=event.id, establishment_id=user.establishment_id
            ):
                raise already
            taken = await OfficeEventInterest.filter(event_id=event.id).count()
            if taken >= event.capacity:
                raise user_error(
                    ErrorCode.EVENT_FULL, "このイベントは定員に達しています。", "event_id"
                )
            await OfficeEventInterest.create(
                event_id=event.id,
                establishment_id=user.establishment_id,
                registered_by_id=user.id,
                created_at=rt.clock.now(),
            )
    except IntegrityError as exc:
        raise already from exc
    return event


async def withdraw_interest(rt: Runtime, viewer: Viewer, event_id: int) -> OfficeEvent:
    """Take the establishment's registration back before the event starts."""
    user = viewer.require_employer()
    event = await _open_event(rt, event_id)
    withdrawn = await OfficeEventInterest.filter(
        event_id=event.id, establishment_id=user.establishment_id
    ).delete()
    if not withdrawn:
        raise user_error(ErrorCode.NOT_FOUND, "このイベントへの参加申込はありません。", "event_id")
    return event


# --- Search -------------------------------------------------------------------------------


@dataclass(frozen=True)
class EventFilters:
    """Dates are days in Tokyo, both inclusive; `keyword` looks in the title, the description,
    the target and the venue."""

    from_date: dt.date | None = None
    to_date: dt.date | None = None
    prefecture: str | None = None
    keyword: str | None = None


EVENT_ORDER = ("starts_at", "id")
"""The search's order: the soonest start first, then the older event (two events can start at
the same time)."""

EventPosition = tuple[dt.datetime, int]
"""Where an event stands in the search: its start (in UTC) and its id."""


def event_position(event: OfficeEvent) -> EventPosition:
    return (_utc(event.starts_at), event.id)


def _start_of_day(day: dt.date) -> dt.datetime:
    """The first instant of `day` in Tokyo, in UTC."""
    return _utc(dt.datetime.combine(day, dt.time.min))


async def search_events(
    rt: Runtime,
    viewer: Viewer,
    filters: EventFilters,
    *,
    window: Window[EventPosition],
) -> Page[OfficeEvent]:
    """Employers and staff: the upcoming events of every office that are not cancelled,
    soonest first."""
    _require_employer_or_staff(viewer)
    query = OfficeEvent.filter(cancelled_at__isnull=True, starts_at__gt=rt.clock.now())
    if filters.from_date is not None:
        query = query.filter(starts_at__gte=_start_of_day(filters.from_date))
    if filters.to_date is not None:
        next_day = filters.to_date + dt.timedelta(days=1)
        query = query.filter(starts_at__lt=_start_of_day(next_day))
    if filters.prefecture:
        if filters.prefecture not in PREFECTURES:
            # No event has another (every write checks it), and Tortoise would refuse a value
            # longer than the column rather than find nothing.
            return empty_page()
        query = query.filter(prefecture=filters.prefecture)
    keyword = (filters.keyword or "").strip()
    if keyword:
        query = query.filter(
            Q(title__icontains=keyword)
            | Q(description__icontains=keyword)
            | Q(target__icontains=keyword)
            | Q(venue__icontains=keyword)
        )
    return await columns_page(query, window.map(_utc_position), order=EVENT_ORDER)


def _utc_position(position: EventPosition) -> EventPosition:
    """`position` with its start in UTC, as stored and compared."""
    starts_at, event_id = position
    return (_utc(starts_at), event_id)


def _require_employer_or_staff(viewer: Viewer) -> None:
    if viewer.user is None:
        raise NotAuthenticated
    if viewer.user.portal not in (Portal.EMPLOYER, Portal.STAFF):
        raise Forbidden


async def visible_registrations(viewer: Viewer, ids: list[int]) -> dict[int, OfficeEventInterest]:
    """The registrations among `ids` the viewer may read by `node`: staff those of their
    office's events, employers their own establishment's."""
    user = viewer.user
    if user is None:
        return {}
    query = OfficeEventInterest.filter(id__in=ids)
    if user.portal == Portal.STAFF and user.office_id is not None:
        query = query.filter(event__office_id=user.office_id)
    elif user.portal == Portal.EMPLOYER and user.establishment_id is not None:
        query = query.filter(establishment_id=user.establishment_id)
    else:
        return {}
    found = await query.select_related("establishment")
    return {registration.id: registration for registration in found}


async def visible_events(viewer: Viewer, ids: list[int]) -> dict[int, OfficeEvent]:
    """Employers and staff may see every office's events; nobody else any."""
    user = viewer.user
    if user is None or user.portal not in (Portal.EMPLOYER, Portal.STAFF):
        return {}
    return {event.id: event for event in await OfficeEvent.filter(id__in=ids)}
