"""イベント情報: staff publish events of their office, employers search them and register their
interest within the capacity."""

from __future__ import annotations

import asyncio
import base64
from typing import Any

import pytest

from app.models import OfficeEvent, OfficeEventInterest
from tests import flows
from tests.conftest import GraphQLClient, Server, new_employer_of, new_staff, reopen_session

EVENT_FIELDS = """id kind title description target startsAt endsAt venue prefecture capacity
  cancelledAt remainingCapacity registered office { code }"""

CREATE = f"""
mutation ($input: OfficeEventCreateInput!) {{
  officeEventCreate(input: $input) {{
    officeEvent {{ {EVENT_FIELDS} }}
    errors {{ field code message }}
  }}
}}"""


def event_mutation(name: str) -> str:
    return f"""mutation ($id: ID!) {{
      {name}(input: {{eventId: $id}}) {{
        officeEvent {{ {EVENT_FIELDS} }} errors {{ field code message }}
      }}
    }}"""


CANCEL = event_mutation("officeEventCancel")
REGISTER = event_mutation("officeEventRegisterInterest")
WITHDRAW = event_mutation("officeEventWithdrawInterest")

SEARCH = """
query ($from: Date, $to: Date, $prefecture: String, $keyword: String, $first: Int!,
       $after: String) {
  officeEvents(from: $from, to: $to, prefecture: $prefecture, keyword: $keyword, first: $first,
               after: $after) {
    pageInfo { hasNextPage endCursor }
    edges { cursor node { title remainingCapacity registered } }
  }
}"""

REGISTRATIONS = """query ($id: ID!, $first: Int!, $after: String) { node(id: $id) {
  ... on OfficeEvent { registrations(first: $first, after: $after) {
    pageInfo { hasNextPage endCursor }
    edges { node { establishmentNumber establishmentName phoneNumber registeredAt } } } } } }"""

NODE = """query ($id: ID!) { node(id: $id) { ... on OfficeEvent { title remainingCapacity
  registered } } }"""


def event_input(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "kind": "JOB_FAIR",
        "title": "文京区合同就職面接会",
        "description": "介護・福祉分野の事業所が集まる面接会です。",
        "target": "介護・福祉分野の事業所",
        "startsAt": "2026-12-10T13:00:00+09:00",
        "endsAt": "2026-12-10T16:00:00+09:00",
        "venue": "文京シビックセンター",
        "prefecture": "東京都",
        "capacity": 3,
    }
    values.update(overrides)
    return values


def error_fields(payload: dict[str, Any]) -> list[tuple[str, str]]:
    return [(error["field"], error["code"]) for error in payload["errors"]]


async def create(staff: GraphQLClient, **overrides: Any) -> dict[str, Any]:
    data = await staff.execute(CREATE, {"input": event_input(**overrides)})
    payload: dict[str, Any] = data["officeEventCreate"]
    return payload


async def created(staff: GraphQLClient, **overrides: Any) -> dict[str, Any]:
    payload = await create(staff, **overrides)
    assert payload["errors"] == [], payload
    event: dict[str, Any] = payload["officeEvent"]
    return event


async def act(client: GraphQLClient, document: str, event_id: str) -> dict[str, Any]:
    data = await client.execute(document, {"id": event_id})
    payload: dict[str, Any] = next(iter(data.values()))
    return payload


async def search(client: GraphQLClient, first: int = 20, **filters: Any) -> dict[str, Any]:
    data = await client.execute(SEARCH, {"first": first, **filters})
    connection: dict[str, Any] = data["officeEvents"]
    return connection


def titles(connection: dict[str, Any]) -> list[str]:
    return [edge["node"]["title"] for edge in connection["edges"]]


async def employers(
    server: Server, staff: GraphQLClient, new_client: Any, count: int
) -> list[GraphQLClient]:
    """`count` establishments of the staff's office, each with a logged-in employer."""
    clients = []
    for i in range(count):
        number, phone = f"1301-{100000 + i}-1", f"03-3812-{1000 + i}"
        clients.append(
            await new_employer_of(server, staff, new_client(), number, phone, f"hr{i}@example.jp")
        )
    return clients


# --- Publishing -----------------------------------------------------------------------------------


async def test_staff_publish_an_event_of_their_office(server: Server, new_client: Any) -> None:
    staff = await new_staff(server, new_client())

    event = await created(staff, startsAt="2026-12-10T13:00:00", endsAt="2026-12-10T16:00:00")

    assert event["office"] == {"code": "13010"}
    assert event["startsAt"] == "2026-12-10T04:00:00+00:00"  # no offset: a time in Tokyo
    assert event["remainingCapacity"] == 3
    assert event["registered"] is False
    assert event["cancelledAt"] is None
    stored = await OfficeEvent.get()
    assert stored.capacity == 3
    assert stored.created_by_id is not None


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"capacity": 1}, []),
        ({"capacity": 0}, [("capacity", "OUT_OF_RANGE")]),
        ({"capacity": 10_000}, []),
        ({"capacity": 10_001}, [("capacity", "OUT_OF_RANGE")]),
        ({"endsAt": "2026-12-10T13:00:01+09:00"}, []),
        ({"endsAt": "2026-12-10T13:00:00+09:00"}, [("endsAt", "OUT_OF_RANGE")]),
        ({"endsAt": "2026-12-10T12:00:00+09:00"}, [("endsAt", "OUT_OF_RANGE")]),
        # The clock stands at 2026-11-25 10:00 in Tokyo.
        ({"startsAt": "2026-11-25T10:00:01+09:00"}, []),
        ({"startsAt": "2026-11-25T10:00:00+09:00"}, [("startsAt", "OUT_OF_RANGE")]),
        ({"prefecture": "沖縄県"}, []),
        ({"prefecture": "東京"}, [("prefecture", "INVALID_FORMAT")]),
        ({"prefecture": ""}, [("prefecture", "INVALID_FORMAT")]),
        ({"title": "題" * 100}, []),
        ({"title": "題" * 101}, [("title", "TOO_LONG")]),
        ({"title": "  "}, [("title", "REQUIRED")]),
        ({"venue": "会" * 200}, []),
        ({"venue": "会" * 201}, [("venue", "TOO_LONG")]),
        ({"venue": ""}, [("venue", "REQUIRED")]),
        ({"target": "対" * 200}, []),
        ({"target": "対" * 201}, [("target", "TOO_LONG")]),
        ({"description": "内" * 2000}, []),
        ({"description": "内" * 2001}, [("description", "TOO_LONG")]),
    ],
)
async def test_event_validation(
    server: Server, new_client: Any, overrides: dict[str, Any], expected: list[tuple[str, str]]
) -> None:
    staff = await new_staff(server, new_client())

    payload = await create(staff, **overrides)

    assert error_fields(payload) == expected
    assert all(error["message"] for error in payload["errors"])
    assert await OfficeEvent.all().count() == (0 if expected else 1)


async def test_employers_cannot_publish_or_cancel(server: Server, new_client: Any) -> None:
    staff = await new_staff(server, new_client())
    event = await created(staff)
    [employer] = await employers(server, staff, new_client, 1)

    create_response = await employer.post(CREATE, {"input": event_input()})
    cancel_response = await employer.post(CANCEL, {"id": event["id"]})

    assert flows.top_level_codes(create_response) == ["FORBIDDEN"]
    assert flows.top_level_codes(cancel_response) == ["FORBIDDEN"]
    assert await OfficeEvent.all().count() == 1


async def test_staff_cancel_their_office_event_once(server: Server, new_client: Any) -> None:
    staff = await new_staff(server, new_client())
    event = await created(staff)
    other_staff = await new_staff(server, new_client(), "27010")

    forbidden = await other_staff.post(CANCEL, {"id": event["id"]})
    cancelled = await act(staff, CANCEL, event["id"])
    again = await act(staff, CANCEL, event["id"])

    assert flows.not_found_for_another_office(forbidden, "officeEventCancel")
    assert cancelled["errors"] == []
    assert cancelled["officeEvent"]["cancelledAt"] is not None
    assert error_fields(again) == [("eventId", "INVALID_STATE")]


async def test_an_event_can_be_cancelled_until_it_ends(server: Server, new_client: Any) -> None:
    staff = await new_staff(server, new_client())
    ongoing = await created(staff, title="開催中")
    ended = await created(staff, title="終了")
    # 15:59:59 in Tokyo, the last second of both events.
    server.clock.set(server.clock.now().replace(month=12, day=10, hour=6, minute=59, second=59))
    await reopen_session(server, staff)

    in_time = await act(staff, CANCEL, ongoing["id"])
    server.clock.advance(seconds=1)  # 16:00: it has ended
    too_late = await act(staff, CANCEL, ended["id"])

    assert in_time["errors"] == []
    assert error_fields(too_late) == [("eventId", "INVALID_STATE")]


# --- Search ---------------------------------------------------------------------------------------


async def test_search_by_tokyo_dates_prefecture_and_keyword(
    server: Server, new_client: Any
) -> None:
    staff = await new_staff(server, new_client())
    osaka_staff = await new_staff(server, new_client(), "27010")
    await created(staff, title="前日深夜", startsAt="2026-12-09T23:59:59+09:00")
    # 00:00 in Tokyo is still 12-09 in UTC: the day is Tokyo's.
    await created(staff, title="当日0時", startsAt="2026-12-10T00:00:00+09:00")
    await created(staff, title="当日深夜", startsAt="2026-12-10T23:59:59+09:00",
                  endsAt="2026-12-11T02:00:00+09:00")  # fmt: skip
    await created(staff, title="翌日0時", startsAt="2026-12-11T00:00:00+09:00",
                  endsAt="2026-12-11T02:00:00+09:00")  # fmt: skip
    await created(osaka_staff, title="大阪の説明会", prefecture="大阪府", kind="BRIEFING",
                  venue="大阪市中央区", startsAt="2026-12-10T09:00:00+09:00")  # fmt: skip
    cancelled = await created(staff, title="中止の面接会", startsAt="2026-12-10T11:00:00+09:00")
    await act(staff, CANCEL, cancelled["id"])
    [employer] = await employers(server, staff, new_client, 1)

    everything = await search(employer)
    one_day = await search(employer, **{"from": "2026-12-10", "to": "2026-12-10"})
    until = await search(employer, to="2026-12-09")
    since = await search(employer, **{"from": "2026-12-11"})
    osaka = await search(employer, prefecture="大阪府")
    keyword = await search(employer, keyword="中央区")
    staff_view = await search(osaka_staff, keyword="深夜")

    assert titles(everything) == ["前日深夜", "当日0時", "大阪の説明会", "当日深夜", "翌日0時"]
    assert titles(one_day) == ["当日0時", "大阪の説明会", "当日深夜"]
    assert titles(until) == ["前日深夜"]
    assert titles(since) == ["翌日0時"]
    assert titles(osaka) == ["大阪の説明会"]
    assert titles(keyword) == ["大阪の説明会"]
    assert titles(staff_view) == ["前日深夜", "当日深夜"]


async def test_search_shows_only_upcoming_events(server: Server, new_client: Any) -> None:
    staff = await new_staff(server, new_client())
    await created(staff, title="午前", startsAt="2026-12-10T10:00:00+09:00")
    await created(staff, title="午後", startsAt="2026-12-10T13:00:00+09:00")
    [employer] = await employers(server, staff, new_client, 1)

    server.clock.set(server.clock.now().replace(month=12, day=10, hour=1))  # 10:00 in Tokyo
    # The session would have ended by now; log in again.
    await reopen_session(server, employer)

    assert titles(await search(employer)) == ["午後"]


async def test_search_pages_by_start_time_then_id(server: Server, new_client: Any) -> None:
    staff = await new_staff(server, new_client())
    for title in ("A", "B", "C"):
        await created(staff, title=title, startsAt="2026-12-10T13:00:00+09:00")
    await created(staff, title="早い", startsAt="2026-12-01T13:00:00+09:00",
                  endsAt="2026-12-01T16:00:00+09:00")  # fmt: skip
    [employer] = await employers(server, staff, new_client, 1)

    first = await search(employer, first=2)
    second = await search(employer, first=2, after=first["pageInfo"]["endCursor"])
    empty = await search(employer, first=2, after=second["pageInfo"]["endCursor"])

    assert titles(first) == ["早い", "A"]
    assert first["pageInfo"]["hasNextPage"] is True
    assert titles(second) == ["B", "C"]
    assert second["pageInfo"]["hasNextPage"] is False
    assert titles(empty) == []


@pytest.mark.parametrize(
    ("first", "after"),
    [
        (101, None),
        (-1, None),
        (5, "not-a-cursor"),
        (5, base64.urlsafe_b64encode(b"posting:1").decode()),
        (5, base64.urlsafe_b64encode(b"officeEvent:yesterday|1").decode()),
    ],
)
async def test_search_refuses_bad_pages(
    server: Server, new_client: Any, first: int, after: str | None
) -> None:
    staff = await new_staff(server, new_client())

    response = await staff.post(SEARCH, {"first": first, "after": after})

    assert flows.top_level_codes(response) == ["BAD_USER_INPUT"]


async def test_anonymous_callers_see_no_events(
    server: Server, gql: GraphQLClient, new_client: Any
) -> None:
    staff = await new_staff(server, new_client())
    event = await created(staff)

    response = await gql.post(SEARCH, {"first": 5})
    node = await gql.execute(NODE, {"id": event["id"]})

    assert flows.top_level_codes(response) == ["UNAUTHENTICATED"]
    assert node["node"] is None


# --- Registering interest -------------------------------------------------------------------------


async def test_the_capacity_th_registration_is_accepted_and_the_next_refused(
    server: Server, new_client: Any
) -> None:
    staff = await new_staff(server, new_client())
    event = await created(staff, capacity=2)
    first, second, third = await employers(server, staff, new_client, 3)

    one = await act(first, REGISTER, event["id"])
    two = await act(second, REGISTER, event["id"])
    three = await act(third, REGISTER, event["id"])

    assert one["errors"] == []
    assert one["officeEvent"]["remainingCapacity"] == 1
    assert one["officeEvent"]["registered"] is True
    assert two["errors"] == []
    assert two["officeEvent"]["remainingCapacity"] == 0
    assert error_fields(three) == [("eventId", "EVENT_FULL")]
    assert three["errors"][0]["message"] == "このイベントは定員に達しています。"
    seen = await third.execute(NODE, {"id": event["id"]})
    assert seen["node"]["registered"] is False
    assert seen["node"]["remainingCapacity"] == 0
    # A withdrawal frees the seat.
    withdrawn = await act(first, WITHDRAW, event["id"])
    assert withdrawn["errors"] == []
    assert withdrawn["officeEvent"]["registered"] is False
    assert withdrawn["officeEvent"]["remainingCapacity"] == 1
    assert (await act(third, REGISTER, event["id"]))["errors"] == []
    assert await OfficeEventInterest.all().count() == 2


async def test_an_establishment_registers_once(server: Server, new_client: Any) -> None:
    staff = await new_staff(server, new_client())
    event = await created(staff)
    [employer] = await employers(server, staff, new_client, 1)

    await act(employer, REGISTER, event["id"])
    again = await act(employer, REGISTER, event["id"])
    withdrawn = await act(employer, WITHDRAW, event["id"])
    withdrawn_again = await act(employer, WITHDRAW, event["id"])

    assert error_fields(again) == [("eventId", "ALREADY_EXISTS")]
    assert withdrawn["errors"] == []
    assert error_fields(withdrawn_again) == [("eventId", "NOT_FOUND")]


async def test_concurrent_registrations_never_exceed_the_capacity(
    server: Server, new_client: Any
) -> None:
    staff = await new_staff(server, new_client())
    event = await created(staff, capacity=3)
    clients = await employers(server, staff, new_client, 8)

    payloads = await asyncio.gather(*(act(client, REGISTER, event["id"]) for client in clients))

    outcomes = sorted(tuple(code for _, code in error_fields(payload)) for payload in payloads)
    assert outcomes == [(), (), (), ("EVENT_FULL",)] + [("EVENT_FULL",)] * 4
    assert await OfficeEventInterest.filter(event_id=int(event_pk(event))).count() == 3


async def test_concurrent_registrations_of_one_establishment_count_once(
    server: Server, new_client: Any
) -> None:
    staff = await new_staff(server, new_client())
    event = await created(staff, capacity=3)
    [employer] = await employers(server, staff, new_client, 1)

    payloads = await asyncio.gather(*(act(employer, REGISTER, event["id"]) for _ in range(4)))

    outcomes = sorted(tuple(code for _, code in error_fields(payload)) for payload in payloads)
    assert outcomes == [(), ("ALREADY_EXISTS",), ("ALREADY_EXISTS",), ("ALREADY_EXISTS",)]
    assert await OfficeEventInterest.all().count() == 1


async def test_no_registration_for_a_cancelled_or_started_event(
    server: Server, new_client: Any
) -> None:
    staff = await new_staff(server, new_client())
    cancelled = await created(staff, title="中止")
    started = await created(staff, title="開始", startsAt="2026-11-25T10:30:00+09:00",
                            endsAt="2026-11-25T12:00:00+09:00")  # fmt: skip
    [employer] = await employers(server, staff, new_client, 1)
    await act(employer, REGISTER, started["id"])
    await act(staff, CANCEL, cancelled["id"])

    on_cancelled = await act(employer, REGISTER, cancelled["id"])
    server.clock.advance(minutes=30)  # 10:30 in Tokyo: it has started
    on_started = await act(employer, REGISTER, started["id"])
    withdraw_started = await act(employer, WITHDRAW, started["id"])

    assert error_fields(on_cancelled) == [("eventId", "INVALID_STATE")]
    assert error_fields(on_started) == [("eventId", "INVALID_STATE")]
    assert error_fields(withdraw_started) == [("eventId", "INVALID_STATE")]


async def test_staff_cannot_register_and_unknown_events_are_not_found(
    server: Server, new_client: Any
) -> None:
    staff = await new_staff(server, new_client())
    event = await created(staff)
    [employer] = await employers(server, staff, new_client, 1)

    staff_response = await staff.post(REGISTER, {"id": event["id"]})
    unknown = await act(employer, REGISTER, base64.b64encode(b"OfficeEvent:999").decode())
    malformed = await act(employer, REGISTER, "nonsense")

    assert flows.top_level_codes(staff_response) == ["FORBIDDEN"]
    assert error_fields(unknown) == [("eventId", "NOT_FOUND")]
    assert error_fields(malformed) == [("eventId", "NOT_FOUND")]


# --- Who registered -------------------------------------------------------------------------------


def event_pk(event: dict[str, Any]) -> str:
    return base64.b64decode(event["id"]).decode().split(":")[1]


async def test_staff_of_the_office_see_the_registered_establishments(
    server: Server, new_client: Any
) -> None:
    staff = await new_staff(server, new_client())
    osaka_staff = await new_staff(server, new_client(), "27010")
    event = await created(staff)
    first, second = await employers(server, staff, new_client, 2)
    # An establishment under another office registers too.
    osaka_employer = await new_employer_of(
        server, osaka_staff, new_client(), "2701-000001-1", "06-6942-0001", "hr@osaka.example.jp"
    )
    for client in (second, osaka_employer, first):
        await act(client, REGISTER, event["id"])
        server.clock.advance(seconds=1)

    page = await staff.execute(REGISTRATIONS, {"id": event["id"], "first": 2})
    cursor = page["node"]["registrations"]["pageInfo"]["endCursor"]
    rest = await staff.execute(REGISTRATIONS, {"id": event["id"], "first": 2, "after": cursor})
    other_office = await osaka_staff.post(REGISTRATIONS, {"id": event["id"], "first": 2})
    employer_view = await first.post(REGISTRATIONS, {"id": event["id"], "first": 2})

    numbers = [
        edge["node"]["establishmentNumber"]
        for connection in (page, rest)
        for edge in connection["node"]["registrations"]["edges"]
    ]
    assert numbers == ["1301-100001-1", "2701-000001-1", "1301-100000-1"]
    assert page["node"]["registrations"]["pageInfo"]["hasNextPage"] is True
    assert rest["node"]["registrations"]["pageInfo"]["hasNextPage"] is False
    assert flows.top_level_codes(other_office) == ["FORBIDDEN"]
    assert flows.top_level_codes(employer_view) == ["FORBIDDEN"]


async def test_others_asking_for_registrations_still_get_the_event(
    server: Server, new_client: Any
) -> None:
    staff = await new_staff(server, new_client())
    event = await created(staff)
    [employer] = await employers(server, staff, new_client, 1)
    document = """query ($id: ID!) { node(id: $id) { ... on OfficeEvent {
      title registrations(first: 5) { edges { node { establishmentNumber } } } } } }"""

    response = await employer.post(document, {"id": event["id"]})

    body = response.json()
    assert body["data"]["node"] == {"title": event["title"], "registrations": None}
    [error] = body["errors"]
    assert error["path"] == ["node", "registrations"]
    assert error["extensions"]["code"] == "FORBIDDEN"
