"""`reviewQueueChanged` over real WebSockets: the staff of an office see items enter their
review queue (an image uploaded, an establishment change requested) and leave it (taken by a
colleague, deleted, replaced), replayed after a reconnect with nothing lost or repeated; the
staff of another office, employers and seekers see nothing of it."""

from __future__ import annotations

from typing import Any

import pytest

from app.models import Event
from app.models.events import EventKind
from app.schema.subscriptions import event_cursor
from tests.conftest import GraphQLClient, Seeker, Server, new_employer_of, new_staff
from tests.test_establishment_settings import REVIEW as CHANGE_REVIEW
from tests.test_establishment_settings import UPDATE as CHANGE_REQUEST
from tests.test_establishment_settings import profile
from tests.test_images import CAPTION, DELETE, approved, png, review, uploaded
from tests.test_pre_registration import confirm, entered
from tests.ws_client import Closed, GraphQLWebSocket

QUEUE_CHANGED = """
subscription ($after: String) {
  reviewQueueChanged(after: $after) {
    cursor change kind itemId at
    item {
      __typename
      ... on EstablishmentImage { id status caption }
      ... on EstablishmentChange { id status proposed { name } }
      ... on Posting { id postingStatus: status }
      ... on EstablishmentPreRegistration { id name entryStatus: status }
    }
  }
}"""


@pytest.fixture
async def colleague(server: Server, new_client: Any) -> GraphQLClient:
    """A second staff member of office 13010."""
    return await new_staff(server, new_client(), email="colleague13010@example.jp")


@pytest.fixture
async def other_staff(server: Server, new_client: Any) -> GraphQLClient:
    """Staff of another office, 13020."""
    return await new_staff(server, new_client(), office_code="13020")


def token(client: GraphQLClient) -> str:
    assert client.token is not None
    return client.token


async def subscribed(ws: GraphQLWebSocket) -> str:
    """Subscribed from the current end of the stored events."""
    latest = await Event.all().order_by("-id").first()
    return await ws.subscribe(QUEUE_CHANGED, {"after": event_cursor(latest.id if latest else 0)})


async def change(ws: GraphQLWebSocket, op: str) -> dict[str, Any]:
    event: dict[str, Any] = (await ws.next(op))["reviewQueueChanged"]
    return event


async def request_change(employer: GraphQLClient, name: str) -> dict[str, Any]:
    data = await employer.execute(CHANGE_REQUEST, {"input": profile(name=name)})
    payload: dict[str, Any] = data["establishmentUpdate"]
    assert payload["errors"] == [], payload
    return payload["change"]


# --- Images ---------------------------------------------------------------------------------


async def test_an_uploaded_image_arrives_and_leaves_when_a_colleague_takes_it(
    server: Server,
    staff: GraphQLClient,
    colleague: GraphQLClient,
    other_staff: GraphQLClient,
    employer: GraphQLClient,
) -> None:
    async with (
        GraphQLWebSocket.connected(server.url, token(staff)) as ws,
        GraphQLWebSocket.connected(server.url, token(other_staff)) as elsewhere,
    ):
        op = await subscribed(ws)
        await subscribed(elsewhere)

        image = await uploaded(employer, png(), "shop.png", caption="店舗外観")
        added = await change(ws, op)
        assert (added["change"], added["kind"], added["itemId"]) == ("ADDED", "IMAGE", image["id"])
        assert added["item"] == {
            "__typename": "EstablishmentImage",
            "id": image["id"],
            "status": "PENDING",
            "caption": "店舗外観",
        }
        assert added["at"] == image["uploadedAt"]

        await approved(colleague, image["id"])
        taken = await change(ws, op)
        assert (taken["change"], taken["itemId"]) == ("TAKEN", image["id"])
        assert taken["item"]["status"] == "APPROVED"
        await ws.nothing_within(0.3)
        await elsewhere.nothing_within(0.1)


async def test_deleting_a_waiting_image_removes_it_and_a_decided_one_changes_nothing(
    server: Server, staff: GraphQLClient, employer: GraphQLClient
) -> None:
    waiting = await uploaded(employer, png(1), "1.png")
    decided = await uploaded(employer, png(2), "2.png")
    await review(staff, decided["id"], False, "人物の顔が写っています")
    async with GraphQLWebSocket.connected(server.url, token(staff)) as ws:
        op = await subscribed(ws)
        for image in (decided, waiting):
            data = await employer.execute(DELETE, {"input": {"imageId": image["id"]}})
            assert data["establishmentImageDelete"]["errors"] == []
        removed = await change(ws, op)
        assert (removed["change"], removed["itemId"], removed["item"]) == (
            "REMOVED",
            waiting["id"],
            None,
        )
        await ws.nothing_within(0.3)


async def test_a_new_caption_puts_an_approved_image_back_in_the_queue(
    server: Server, staff: GraphQLClient, employer: GraphQLClient
) -> None:
    image = await uploaded(employer, png(), "a.png", caption="旧")
    await approved(staff, image["id"])
    async with GraphQLWebSocket.connected(server.url, token(staff)) as ws:
        op = await subscribed(ws)
        data = await employer.execute(CAPTION, {"input": {"imageId": image["id"], "caption": "新"}})
        assert data["establishmentImageCaptionUpdate"]["errors"] == []
        again = await change(ws, op)
        assert (again["change"], again["item"]["caption"], again["item"]["status"]) == (
            "ADDED",
            "新",
            "PENDING",
        )
        # A pending image with a new caption was already waiting: nothing more.
        data = await employer.execute(
            CAPTION, {"input": {"imageId": image["id"], "caption": "新2"}}
        )
        assert data["establishmentImageCaptionUpdate"]["errors"] == []
        await ws.nothing_within(0.3)


# --- Establishment changes ------------------------------------------------------------------


async def test_an_establishment_change_arrives_is_replaced_and_taken(
    server: Server, staff: GraphQLClient, colleague: GraphQLClient, employer: GraphQLClient
) -> None:
    async with GraphQLWebSocket.connected(server.url, token(staff)) as ws:
        op = await subscribed(ws)
        first = await request_change(employer, "株式会社ケア一")
        added = await change(ws, op)
        assert (added["change"], added["kind"], added["itemId"]) == (
            "ADDED",
            "ESTABLISHMENT_CHANGE",
            first["id"],
        )
        assert added["item"]["proposed"] == {"name": "株式会社ケア一"}

        second = await request_change(employer, "株式会社ケア二")
        replaced, newer = await change(ws, op), await change(ws, op)
        assert (replaced["change"], replaced["itemId"], replaced["item"]) == (
            "REMOVED",
            first["id"],
            None,
        )
        assert (newer["change"], newer["itemId"]) == ("ADDED", second["id"])

        data = await colleague.execute(
            CHANGE_REVIEW, {"input": {"changeId": second["id"], "approve": True, "reason": ""}}
        )
        assert data["establishmentChangeReview"]["errors"] == []
        taken = await change(ws, op)
        assert (taken["change"], taken["itemId"], taken["item"]["status"]) == (
            "TAKEN",
            second["id"],
            "APPROVED",
        )
        await ws.nothing_within(0.3)


# --- Pre-registrations ----------------------------------------------------------------------


async def test_a_pre_registration_arrives_once_its_address_is_confirmed_and_leaves_confirmed(
    server: Server,
    staff: GraphQLClient,
    colleague: GraphQLClient,
    other_staff: GraphQLClient,
    gql: GraphQLClient,
) -> None:
    async with (
        GraphQLWebSocket.connected(server.url, token(staff)) as ws,
        GraphQLWebSocket.connected(server.url, token(other_staff)) as elsewhere,
    ):
        op = await subscribed(ws)
        await subscribed(elsewhere)
        await entered(server, gql)  # 千代田区: office 13010
        added = await change(ws, op)
        assert (added["change"], added["kind"]) == ("ADDED", "PRE_REGISTRATION")
        assert added["item"]["__typename"] == "EstablishmentPreRegistration"
        assert added["item"]["id"] == added["itemId"]
        assert added["item"]["entryStatus"] == "PENDING"

        confirmed = await confirm(colleague, added["itemId"], note="代表電話で確認済み")
        assert confirmed["errors"] == []
        taken = await change(ws, op)
        assert (taken["change"], taken["itemId"]) == ("TAKEN", added["itemId"])
        assert taken["item"]["entryStatus"] == "CONFIRMED"
        await elsewhere.nothing_within(0.3)


# --- Replay ---------------------------------------------------------------------------------


async def test_reconnecting_with_the_cursor_delivers_exactly_what_was_missed(
    server: Server,
    staff: GraphQLClient,
    other_staff: GraphQLClient,
    employer: GraphQLClient,
    new_client: Any,
) -> None:
    elsewhere = await new_employer_of(
        server, other_staff, new_client(), "1302-111111-1", "03-3812-0009", "hr@x.example.jp"
    )
    async with GraphQLWebSocket.connected(server.url, token(staff)) as ws:
        op = await subscribed(ws)
        first_image = await uploaded(employer, png(0), "0.png")
        first = await change(ws, op)
        assert first["itemId"] == first_image["id"]

    # Away: three changes of the office's queue, and one of another office.
    missed = [await uploaded(employer, png(n), f"{n}.png") for n in (1, 2)]
    await uploaded(elsewhere, png(9), "9.png")
    await review(staff, missed[0]["id"], True)

    async with GraphQLWebSocket.connected(server.url, token(staff)) as ws:
        op = await ws.subscribe(QUEUE_CHANGED, {"after": first["cursor"]})
        replayed = [await change(ws, op) for _ in range(3)]
        assert [(r["change"], r["itemId"]) for r in replayed] == [
            ("ADDED", missed[0]["id"]),
            ("ADDED", missed[1]["id"]),
            ("TAKEN", missed[0]["id"]),
        ]
        # The item as it is now, also in a replay.
        assert replayed[0]["item"]["status"] == "APPROVED"
        await ws.nothing_within(0.3)

        live_image = await uploaded(employer, png(3), "3.png")
        live = await change(ws, op)
        assert (live["change"], live["itemId"]) == ("ADDED", live_image["id"])
        await ws.nothing_within(0.3)

    cursors = [first["cursor"], *(r["cursor"] for r in replayed), live["cursor"]]
    assert len(set(cursors)) == 5


async def test_staff_get_an_event_cursor_of_their_offices_queue(
    server: Server,
    staff: GraphQLClient,
    other_staff: GraphQLClient,
    employer: GraphQLClient,
    new_client: Any,
) -> None:
    elsewhere = await new_employer_of(
        server, other_staff, new_client(), "1302-111111-1", "03-3812-0009", "hr@x.example.jp"
    )

    async def cursor() -> str:
        return str((await staff.execute("{ eventCursor }"))["eventCursor"])

    assert await cursor() == event_cursor(0)
    await uploaded(employer, png(1), "1.png")
    mine = await cursor()
    assert mine != event_cursor(0)
    await uploaded(elsewhere, png(2), "2.png")
    assert await cursor() == mine

    # Stored before the subscription began: delivered from the cursor asked for before it.
    before = await uploaded(employer, png(3), "3.png")
    async with GraphQLWebSocket.connected(server.url, token(staff)) as ws:
        op = await ws.subscribe(QUEUE_CHANGED, {"after": mine})
        assert (await change(ws, op))["itemId"] == before["id"]
        await ws.nothing_within(0.3)


# --- Who may subscribe ----------------------------------------------------------------------


async def test_employers_and_seekers_may_not_subscribe(
    server: Server, employer: GraphQLClient, seeker: Seeker
) -> None:
    for client in (employer, seeker.client):
        async with GraphQLWebSocket.connected(server.url, token(client)) as ws:
            op = await ws.subscribe(QUEUE_CHANGED)
            message = await ws.receive()
            assert message["id"] == op
            assert message["payload"]["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_anonymous_connections_are_refused(server: Server) -> None:
    async with GraphQLWebSocket.open(server.url) as ws:
        await ws.send({"type": "connection_init", "payload": {}})
        assert (await ws.closed()).code == 4403


async def test_employers_see_no_queue_event_in_their_streams(
    server: Server, employer: GraphQLClient
) -> None:
    """A queue event names the establishment, but is not one of the employer's kinds."""
    async with GraphQLWebSocket.connected(server.url, token(employer)) as ws:
        latest = await Event.all().order_by("-id").first()
        after = event_cursor(latest.id if latest else 0)
        await ws.subscribe(
            "subscription ($after: String) { noticeReceived(after: $after) { cursor } }",
            {"after": after},
        )
        await ws.subscribe(
            "subscription ($after: String) { messageReceived(after: $after) { cursor } }",
            {"after": after},
        )
        await uploaded(employer, png(), "a.png")
        assert await Event.filter(kind=EventKind.REVIEW_QUEUE_CHANGED).count() == 1
        await ws.nothing_within(0.5)


async def test_the_subscription_ends_with_the_staff_session(
    server: Server, staff: GraphQLClient, employer: GraphQLClient
) -> None:
    async with GraphQLWebSocket.connected(server.url, token(staff)) as ws:
        op = await subscribed(ws)
        await uploaded(employer, png(1), "1.png")
        assert (await change(ws, op))["change"] == "ADDED"

        logout = await staff.execute("mutation { logout { errors { code } } }")
        assert logout["logout"]["errors"] == []
        await uploaded(employer, png(2), "2.png")

        with pytest.raises(Closed) as closed:
            await ws.receive()  # and nothing of what came after the logout
        assert (closed.value.code, closed.value.reason) == (4403, "session ended")
