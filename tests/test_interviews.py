"""Interviews (面接): scheduling and cancelling by the establishment's employers, the limits of
each input, the message that tells a My Page holder (none for a walk-in), who sees them, and
the live event with its replay after a cursor."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from strawberry import relay

from app.models import Application, Event, Interview, Message, Posting, User
from app.models.applications import ApplicationSource, ApplicationStatus
from app.models.events import EventKind
from app.models.messages import MessageSender
from app.resolvers import accounts, interviews
from app.schema.nodes import decode_id
from tests import flows
from tests.conftest import START, GraphQLClient, Seeker, Server, new_seeker, new_staff
from tests.test_subscriptions import _subscribed
from tests.ws_client import GraphQLWebSocket

INTERVIEW_FIELDS = """id startsAt durationMinutes place onlineUrl note cancelledAt cancelReason
  createdAt"""

SCHEDULE = f"""mutation ($input: InterviewScheduleInput!) {{
  interviewSchedule(input: $input) {{
    interview {{ {INTERVIEW_FIELDS} }} messageSent errors {{ field code message }}
  }}
}}"""

CANCEL = f"""mutation ($input: InterviewCancelInput!) {{
  interviewCancel(input: $input) {{
    interview {{ {INTERVIEW_FIELDS} }} messageSent errors {{ field code message }}
  }}
}}"""

NODE = f"""query ($id: ID!) {{ node(id: $id) {{ ... on Interview {{ {INTERVIEW_FIELDS} }} }} }}"""

LAST_MESSAGE = """{ messageThreads(first: 5) {
  edges { node { lastMessage { body sender } } } } }"""

INTERVIEW_CHANGED = """
subscription ($after: String) {
  interviewChanged(after: $after) {
    cursor change interview { id startsAt cancelledAt cancelReason } application { id status }
  }
}"""

STARTS_AT = dt.datetime(2026, 12, 1, 14, 0, tzinfo=dt.timezone(dt.timedelta(hours=9)))
"""Tuesday 1 December 2026, 14:00 in Tokyo: six days after START."""


@dataclass
class World:
    staff: GraphQLClient
    employer: GraphQLClient
    other_employer: GraphQLClient
    seeker: Seeker
    posting_pk: int
    establishment_id: int
    application_id: str


async def _application(server: Server, posting_pk: int, **fields: Any) -> str:
    """An application to the posting, written directly; its global ID."""
    posting = await Posting.get(id=posting_pk)
    now = server.clock.now()
    values: dict[str, Any] = {
        "source": ApplicationSource.ONLINE,
        "status": ApplicationStatus.APPLIED,
        **fields,
    }
    application = await Application.create(
        posting_id=posting.id,
        establishment_id=posting.establishment_id,
        created_at=now,
        updated_at=now,
        **values,
    )
    return relay.to_base64("Application", application.id)


@pytest.fixture
async def world(
    server: Server,
    staff: GraphQLClient,
    employer: GraphQLClient,
    other_employer: GraphQLClient,
    seeker: Seeker,
) -> World:
    """An active posting of A; the seeker (a My Page holder) applied to it."""
    posting = await flows.active_posting(employer, staff)
    row = await Posting.get(posting_number=posting["postingNumber"])
    seeker_user = await User.get(email=seeker.email)
    application_id = await _application(server, row.id, seeker_id=seeker_user.id)
    return World(
        staff, employer, other_employer, seeker, row.id, row.establishment_id, application_id
    )


def schedule_input(application_id: str, **overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "applicationId": application_id,
        "startsAt": STARTS_AT.isoformat(),
        "durationMinutes": 60,
        "place": "本社3階 第1会議室",
        "onlineUrl": "",
        "note": "履歴書と筆記用具をお持ちください。",
    }
    values.update(overrides)
    return values


async def schedule(client: GraphQLClient, application_id: str, **overrides: Any) -> dict[str, Any]:
    data = await client.execute(SCHEDULE, {"input": schedule_input(application_id, **overrides)})
    payload: dict[str, Any] = data["interviewSchedule"]
    return payload


async def cancel(client: GraphQLClient, interview_id: str, reason: str = "") -> dict[str, Any]:
    data = await client.execute(CANCEL, {"input": {"interviewId": interview_id, "reason": reason}})
    payload: dict[str, Any] = data["interviewCancel"]
    return payload


def codes(payload: dict[str, Any]) -> list[tuple[str | None, str]]:
    return [(error["field"], error["code"]) for error in payload["errors"]]


def _pk(global_id: str, type_name: str) -> int:
    return decode_id(global_id, type_name, "id")


async def last_message(client: GraphQLClient) -> dict[str, Any] | None:
    edges = (await client.execute(LAST_MESSAGE))["messageThreads"]["edges"]
    if not edges:
        return None
    found: dict[str, Any] = edges[0]["node"]["lastMessage"]
    return found


# --- Scheduling and cancelling ----------------------------------------------------------------


async def test_an_interview_is_set_and_the_seeker_told_by_message(world: World) -> None:
    payload = await schedule(
        world.employer, world.application_id, onlineUrl="https://meet.example.jp/abc?x=1"
    )

    assert payload["errors"] == []
    assert payload["messageSent"] is True
    interview = payload["interview"]
    assert dt.datetime.fromisoformat(interview["startsAt"]) == STARTS_AT
    assert interview["durationMinutes"] == 60
    assert interview["place"] == "本社3階 第1会議室"
    assert interview["onlineUrl"] == "https://meet.example.jp/abc?x=1"
    assert interview["note"] == "履歴書と筆記用具をお持ちください。"
    assert interview["cancelledAt"] is None
    assert dt.datetime.fromisoformat(interview["createdAt"]) == START

    message = await last_message(world.seeker.client)
    assert message is not None
    assert message["sender"] == "EMPLOYER"
    body = message["body"]
    assert "「介護職員」へのご応募について、面接の日時をお知らせします。" in body
    assert "日時：2026年12月01日 14時00分から60分" in body
    assert "場所：本社3階 第1会議室" in body
    assert "オンライン面接のURL：https://meet.example.jp/abc?x=1" in body
    assert "履歴書と筆記用具をお持ちください。" in body

    row = await Interview.get(id=_pk(interview["id"], "Interview"))
    event = await Event.get(kind=EventKind.INTERVIEW_CHANGED)
    seeker_user = await User.get(email=world.seeker.email)
    assert (event.interview_id, event.establishment_id, event.seeker_id) == (
        row.id,
        world.establishment_id,
        seeker_user.id,
    )
    sent = await Message.get()
    assert (sent.sender, sent.establishment_id) == (MessageSender.EMPLOYER, world.establishment_id)
    # The employer moves the application; an interview does not.
    application = await Application.get(id=_pk(world.application_id, "Application"))
    assert application.status is ApplicationStatus.APPLIED


async def test_online_only_and_no_note(world: World) -> None:
    payload = await schedule(
        world.employer, world.application_id, place="", onlineUrl="https://a.example", note=""
    )

    assert payload["errors"] == []
    body = (await last_message(world.seeker.client) or {})["body"]
    assert "オンライン面接のURL：https://a.example" in body
    assert "場所" not in body
    assert "連絡事項" not in body


async def test_cancelling_tells_the_seeker_and_happens_once(server: Server, world: World) -> None:
    interview = (await schedule(world.employer, world.application_id))["interview"]
    server.clock.advance(minutes=10)

    payload = await cancel(world.employer, interview["id"], "  担当者の都合により延期します。 ")

    assert payload["errors"] == []
    assert payload["messageSent"] is True
    cancelled = payload["interview"]
    assert dt.datetime.fromisoformat(cancelled["cancelledAt"]) == server.clock.now()
    assert cancelled["cancelReason"] == "担当者の都合により延期します。"
    body = (await last_message(world.seeker.client) or {})["body"]
    assert "次の面接を取り消しました。" in body
    assert "日時：2026年12月01日 14時00分から60分" in body
    assert "担当者の都合により延期します。" in body
    assert await Event.filter(kind=EventKind.INTERVIEW_CHANGED).count() == 2

    again = await cancel(world.employer, interview["id"], "再度")
    assert codes(again) == [("interviewId", "INVALID_STATE")]
    assert again["messageSent"] is False
    assert await Event.filter(kind=EventKind.INTERVIEW_CHANGED).count() == 2
    assert await Message.all().count() == 2
    # The interview stays, with when and why.
    seen = (await world.employer.execute(NODE, {"id": interview["id"]}))["node"]
    assert seen["cancelReason"] == "担当者の都合により延期します。"


async def test_the_reason_of_a_cancellation_is_at_most_500_characters(world: World) -> None:
    first = (await schedule(world.employer, world.application_id))["interview"]
    second = (await schedule(world.employer, world.application_id))["interview"]

    assert codes(await cancel(world.employer, first["id"], "あ" * 501)) == [("reason", "TOO_LONG")]
    assert codes(await cancel(world.employer, first["id"], "あ" * 500)) == []
    assert codes(await cancel(world.employer, second["id"])) == []  # a reason is optional


# --- The limits of each input -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("starts_at", "expected"),
    [
        (START - dt.timedelta(minutes=1), [("startsAt", "OUT_OF_RANGE")]),
        (START, [("startsAt", "OUT_OF_RANGE")]),
        (START + dt.timedelta(minutes=1), []),
    ],
)
async def test_the_interview_is_in_the_future(
    world: World, starts_at: dt.datetime, expected: list[tuple[str, str]]
) -> None:
    payload = await schedule(world.employer, world.application_id, startsAt=starts_at.isoformat())
    assert codes(payload) == expected


async def test_the_time_needs_its_offset(world: World) -> None:
    payload = await schedule(world.employer, world.application_id, startsAt="2026-12-01T14:00:00")
    assert codes(payload) == [("startsAt", "INVALID_FORMAT")]


async def test_the_clock_decides_what_is_future(server: Server, world: World) -> None:
    server.clock.advance(minutes=5)
    for minutes, expected in ((5, [("startsAt", "OUT_OF_RANGE")]), (6, [])):
        starts_at = (START + dt.timedelta(minutes=minutes)).isoformat()
        payload = await schedule(world.employer, world.application_id, startsAt=starts_at)
        assert codes(payload) == expected


@pytest.mark.parametrize(
    ("minutes", "expected"),
    [
        (0, [("durationMinutes", "OUT_OF_RANGE")]),
        (1, []),
        (480, []),
        (481, [("durationMinutes", "OUT_OF_RANGE")]),
        (-30, [("durationMinutes", "OUT_OF_RANGE")]),
    ],
)
async def test_the_duration_is_1_to_480_minutes(
    world: World, minutes: int, expected: list[tuple[str, str]]
) -> None:
    payload = await schedule(world.employer, world.application_id, durationMinutes=minutes)
    assert codes(payload) == expected


URL_HEAD = "https://meet.example.jp/"


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"place": "", "onlineUrl": ""}, [("place", "REQUIRED")]),
        ({"place": "  ", "onlineUrl": " "}, [("place", "REQUIRED")]),
        ({"place": "あ" * 200}, []),
        ({"place": "あ" * 201}, [("place", "TOO_LONG")]),
        ({"place": "会議室\x07"}, [("place", "INVALID_FORMAT")]),
        ({"place": "", "onlineUrl": URL_HEAD + "a" * (500 - len(URL_HEAD))}, []),
        (
            {"place": "", "onlineUrl": URL_HEAD + "a" * (501 - len(URL_HEAD))},
            [("onlineUrl", "TOO_LONG")],
        ),
        ({"onlineUrl": "http://meet.example.jp/abc"}, [("onlineUrl", "INVALID_FORMAT")]),
        ({"onlineUrl": "javascript:alert(1)"}, [("onlineUrl", "INVALID_FORMAT")]),
        ({"onlineUrl": "https://"}, [("onlineUrl", "INVALID_FORMAT")]),
        ({"onlineUrl": "https://meet.example.jp/面接"}, [("onlineUrl", "INVALID_FORMAT")]),
        ({"onlineUrl": "https://meet.example.jp/a b"}, [("onlineUrl", "INVALID_FORMAT")]),
        ({"note": "あ" * 1000}, []),
        ({"note": "あ" * 1001}, [("note", "TOO_LONG")]),
        (
            {"durationMinutes": 0, "place": "あ" * 201, "note": "あ" * 1001},
            [("durationMinutes", "OUT_OF_RANGE"), ("place", "TOO_LONG"), ("note", "TOO_LONG")],
        ),
    ],
)
async def test_the_place_the_link_and_the_note(
    world: World, overrides: dict[str, Any], expected: list[tuple[str, str]]
) -> None:
    payload = await schedule(world.employer, world.application_id, **overrides)
    assert codes(payload) == expected
    if expected:
        assert payload["interview"] is None
        assert payload["messageSent"] is False
        assert not await Interview.exists()
        assert not await Message.exists()
    else:
        message = await last_message(world.seeker.client)
        assert message is not None
        assert len(message["body"]) <= 2000


@pytest.mark.parametrize(
    ("status", "allowed"),
    [
        (ApplicationStatus.APPLIED, True),
        (ApplicationStatus.SCREENING, True),
        (ApplicationStatus.INTERVIEW, True),
        (ApplicationStatus.HIRED, False),
        (ApplicationStatus.REJECTED, False),
        (ApplicationStatus.WITHDRAWN, False),
    ],
)
async def test_only_while_the_selection_is_under_way(
    world: World, status: ApplicationStatus, allowed: bool
) -> None:
    await Application.filter(id=_pk(world.application_id, "Application")).update(status=status)

    payload = await schedule(world.employer, world.application_id)

    assert codes(payload) == ([] if allowed else [("applicationId", "INVALID_STATE")])
    assert await Interview.exists() is allowed


# --- Who may do what, who sees what ----------------------------------------------------------


async def test_only_the_establishments_employers_schedule_and_cancel(
    server: Server, world: World, gql: GraphQLClient
) -> None:
    interview = (await schedule(world.employer, world.application_id))["interview"]

    other = await schedule(world.other_employer, world.application_id)
    assert codes(other) == [("applicationId", "NOT_FOUND")]
    assert codes(await cancel(world.other_employer, interview["id"])) == [
        ("interviewId", "NOT_FOUND")
    ]
    for client, code in (
        (world.seeker.client, "FORBIDDEN"),
        (world.staff, "FORBIDDEN"),
        (gql, "UNAUTHENTICATED"),
    ):
        variables = {"input": schedule_input(world.application_id)}
        assert flows.top_level_codes(await client.post(SCHEDULE, variables)) == [code]
        variables = {"input": {"interviewId": interview["id"]}}
        assert flows.top_level_codes(await client.post(CANCEL, variables)) == [code]
    assert await Interview.all().count() == 1
    assert (await Interview.get()).cancelled_at is None


async def test_who_sees_an_interview(server: Server, world: World, new_client: Any) -> None:
    later = (await schedule(world.employer, world.application_id))["interview"]
    sooner = (
        await schedule(
            world.employer,
            world.application_id,
            startsAt=(STARTS_AT - dt.timedelta(days=1)).isoformat(),
        )
    )["interview"]
    other_office = await new_staff(server, new_client(), "13020")
    other_seeker = await new_seeker(server, new_client(), "hanako@example.jp")

    for client, sees in (
        (world.employer, True),
        (world.seeker.client, True),
        (world.staff, True),
        (world.other_employer, False),
        (other_office, False),
        (other_seeker.client, False),
    ):
        node = (await client.execute(NODE, {"id": later["id"]}))["node"]
        assert (node is not None) is sees, client
        viewer = await accounts.viewer_for_token(server.rt, client.token)
        listed = await interviews.interviews_of(viewer, _pk(world.application_id, "Application"))
        expected = [_pk(sooner["id"], "Interview"), _pk(later["id"], "Interview")] if sees else []
        assert [row.id for row in listed] == expected  # soonest first


# --- A walk-in: no message -------------------------------------------------------------------


async def test_a_walk_in_is_not_told_by_message(server: Server, world: World) -> None:
    walk_in = await _application(
        server,
        world.posting_pk,
        seeker_id=None,
        source=ApplicationSource.REFERRAL,
        walk_in_name="窓口 花子",
        walk_in_kana="マドグチ ハナコ",
        walk_in_age=30,
        walk_in_phone="03-1234-5678",
    )

    scheduled = await schedule(world.employer, walk_in)

    assert scheduled["errors"] == []
    assert scheduled["messageSent"] is False
    event = await Event.get(kind=EventKind.INTERVIEW_CHANGED)
    assert (event.establishment_id, event.seeker_id) == (world.establishment_id, 0)
    cancelled = await cancel(world.employer, scheduled["interview"]["id"], "日程変更")
    assert cancelled["errors"] == []
    assert cancelled["messageSent"] is False
    assert not await Message.exists()
    assert await last_message(world.seeker.client) is None


async def test_a_closed_my_page_is_not_told_by_message(world: World) -> None:
    await User.filter(email=world.seeker.email).update(is_active=False)

    scheduled = await schedule(world.employer, world.application_id)

    assert scheduled["errors"] == []
    assert scheduled["messageSent"] is False
    assert not await Message.exists()


# --- Live ---------------------------------------------------------------------------------------


def _token(client: GraphQLClient) -> str:
    assert client.token is not None
    return client.token


async def test_the_change_reaches_the_establishment_and_the_seeker_live(
    server: Server, world: World
) -> None:
    async with (
        GraphQLWebSocket.connected(server.url, _token(world.employer)) as employer,
        GraphQLWebSocket.connected(server.url, _token(world.seeker.client)) as seeker,
        GraphQLWebSocket.connected(server.url, _token(world.other_employer)) as other,
    ):
        employer_op = await _subscribed(employer, INTERVIEW_CHANGED)
        seeker_op = await _subscribed(seeker, INTERVIEW_CHANGED)
        await _subscribed(other, INTERVIEW_CHANGED)

        interview = (await schedule(world.employer, world.application_id))["interview"]

        for ws, op in ((employer, employer_op), (seeker, seeker_op)):
            delivered = (await ws.next(op))["interviewChanged"]
            assert delivered["change"] == "SCHEDULED"
            assert delivered["interview"]["id"] == interview["id"]
            assert delivered["interview"]["cancelledAt"] is None
            assert delivered["application"] == {"id": world.application_id, "status": "APPLIED"}
        await other.nothing_within(0.3)

        await cancel(world.employer, interview["id"], "延期")
        delivered = (await employer.next(employer_op))["interviewChanged"]
        assert delivered["change"] == "CANCELLED"
        assert delivered["interview"]["cancelReason"] == "延期"
        await other.nothing_within(0.3)


async def test_a_reconnecting_employer_gets_what_it_missed_in_order(
    server: Server, world: World
) -> None:
    token = _token(world.employer)
    async with GraphQLWebSocket.connected(server.url, token) as ws:
        op = await _subscribed(ws, INTERVIEW_CHANGED)
        first = (await schedule(world.employer, world.application_id))["interview"]
        seen = (await ws.next(op))["interviewChanged"]
        assert (seen["change"], seen["interview"]["id"]) == ("SCHEDULED", first["id"])

    # Away: the first is cancelled, a second set; another establishment's and a message
    # (also an event, of another kind) are not interview changes of A.
    server.clock.advance(minutes=10)
    assert (await cancel(world.employer, first["id"], "延期"))["errors"] == []
    second = (await schedule(world.employer, world.application_id))["interview"]
    posting_b = await flows.active_posting(world.other_employer, world.staff, jobTitle="事務")
    row_b = await Posting.get(posting_number=posting_b["postingNumber"])
    walk_in_b = await _application(server, row_b.id, seeker_id=None, walk_in_name="別 事業所")
    assert (await schedule(world.other_employer, walk_in_b))["errors"] == []

    async with GraphQLWebSocket.connected(server.url, token) as ws:
        op = await ws.subscribe(INTERVIEW_CHANGED, {"after": seen["cursor"]})
        replayed = [(await ws.next(op))["interviewChanged"] for _ in range(2)]
        assert [(r["change"], r["interview"]["id"]) for r in replayed] == [
            ("CANCELLED", first["id"]),
            ("SCHEDULED", second["id"]),
        ]
        # The interview as it is now: the replayed scheduling of a cancelled one says so.
        assert replayed[0]["interview"]["cancelReason"] == "延期"
        await ws.nothing_within(0.5)

    async with GraphQLWebSocket.connected(server.url, token) as ws:
        op = await ws.subscribe(INTERVIEW_CHANGED, {"after": replayed[0]["cursor"]})
        again = (await ws.next(op))["interviewChanged"]
        assert (again["change"], again["cursor"]) == ("SCHEDULED", replayed[1]["cursor"])
        await ws.nothing_within(0.3)


async def test_staff_have_no_interview_stream(server: Server, world: World) -> None:
    async with GraphQLWebSocket.connected(server.url, _token(world.staff)) as ws:
        op = await ws.subscribe(INTERVIEW_CHANGED)
        message = await ws.receive()
        assert message["id"] == op
        assert message["payload"]["errors"][0]["extensions"]["code"] == "FORBIDDEN"
