"""Messages between an establishment and a seeker: who may talk, sending, reading, paging,
read marks, the stored events, and what an employer never sees."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from strawberry.relay import to_base64

from app.models import (
    Application,
    Event,
    Message,
    MessageThread,
    Portal,
    Posting,
    SeekerProfile,
    SeekerRequest,
    User,
)
from app.models.applications import ApplicationSource, ApplicationStatus
from app.models.events import EventKind
from app.models.messages import MessageSender
from app.resolvers import messages
from app.schema.nodes import decode_id
from app.security import hash_password
from tests import flows
from tests.conftest import SEEKER_PASSWORD, START, GraphQLClient, Server, open_session
from tests.test_posting_queries import counting_queries

SEND = """mutation ($input: MessageSendInput!) {
  messageSend(input: $input) {
    message { id body sender createdAt readAt thread { id unreadCount lastMessageAt } }
    errors { field code message }
  }
}"""

MARK_READ = """mutation ($threadId: ID!) {
  messageMarkRead(input: {threadId: $threadId}) {
    thread { id unreadCount }
    markedCount
    errors { field code message }
  }
}"""

THREADS = """query ($first: Int!, $after: String) {
  messageThreads(first: $first, after: $after) {
    pageInfo { hasNextPage endCursor }
    edges { cursor node { id createdAt lastMessageAt unreadCount
      lastMessage { id body sender createdAt readAt }
      counterpart { __typename
        ... on MessageSeeker { label relations { kind postingNumber jobTitle createdAt } }
        ... on MessageEstablishment { name relations { kind postingNumber jobTitle } } } } }
  }
}"""

HISTORY = """query ($threadId: ID!, $first: Int!, $after: String) {
  messages(threadId: $threadId, first: $first, after: $after) {
    pageInfo { hasNextPage endCursor }
    edges { cursor node { id body sender createdAt readAt thread { id } } }
  }
}"""

NODE = """query ($id: ID!) {
  node(id: $id) { __typename id ... on Message { body } ... on MessageThread { unreadCount } }
}"""

HOME = "{ employerHome { unreadMessageCount } }"


# --- Set-up -------------------------------------------------------------------------------


@pytest.fixture
async def posting(employer: GraphQLClient, staff: GraphQLClient) -> Posting:
    active = await flows.active_posting(employer, staff, jobTitle="介護職員")
    return await Posting.get(posting_number=active["postingNumber"])


@dataclass
class Seeker:
    client: GraphQLClient
    user: User
    name: str
    phone: str


async def seeker_user(server: Server, number: int) -> tuple[User, str, str]:
    """A seeker with a profile whose name and phone number must never reach an employer."""
    now = server.clock.now()
    name = f"求職花子{number:03d}"
    phone = f"090-5555-{number:04d}"
    user = await User.create(
        portal=Portal.SEEKER,
        email=f"seeker{number}@example.jp",
        password_hash=await hash_password(SEEKER_PASSWORD, 4),
        created_at=now,
    )
    await SeekerProfile.create(
        user_id=user.id, display_name=name, phone_number=phone, updated_at=now
    )
    return user, name, phone


async def new_seeker(server: Server, client: GraphQLClient, number: int = 1) -> Seeker:
    user, name, phone = await seeker_user(server, number)
    await open_session(server, client, user)
    return Seeker(client, user, name, phone)


async def apply(server: Server, seeker: User, posting: Posting) -> Application:
    now = server.clock.now()
    return await Application.create(
        posting_id=posting.id,
        establishment_id=posting.establishment_id,
        seeker_id=seeker.id,
        source=ApplicationSource.ONLINE,
        status=ApplicationStatus.APPLIED,
        created_at=now,
        updated_at=now,
    )


async def request(server: Server, seeker: User, posting: Posting) -> SeekerRequest:
    sender = await User.get(portal=Portal.EMPLOYER, establishment_id=posting.establishment_id)
    return await SeekerRequest.create(
        posting_id=posting.id,
        seeker_id=seeker.id,
        sent_by_id=sender.id,
        created_at=server.clock.now(),
    )


def application_id(application: Application) -> str:
    return to_base64("Application", application.id)


def request_id(seeker_request: SeekerRequest) -> str:
    return to_base64("SeekerRequest", seeker_request.id)


async def send(client: GraphQLClient, body: str, **target: str) -> dict[str, Any]:
    """The payload of `messageSend`; `target` is threadId, applicationId or requestId."""
    data = await client.execute(SEND, {"input": {"body": body, **target}})
    payload: dict[str, Any] = data["messageSend"]
    return payload


async def sent(client: GraphQLClient, body: str, **target: str) -> dict[str, Any]:
    """A message that must go through."""
    payload = await send(client, body, **target)
    assert payload["errors"] == [], payload
    message: dict[str, Any] = payload["message"]
    return message


def error_codes(payload: dict[str, Any]) -> list[str]:
    return [error["code"] for error in payload["errors"]]


async def threads(client: GraphQLClient, first: int = 20) -> list[dict[str, Any]]:
    data = await client.execute(THREADS, {"first": first})
    return [edge["node"] for edge in data["messageThreads"]["edges"]]


async def history(client: GraphQLClient, thread_id: str, first: int = 100) -> list[dict[str, Any]]:
    data = await client.execute(HISTORY, {"threadId": thread_id, "first": first})
    assert data["messages"] is not None
    return [edge["node"] for edge in data["messages"]["edges"]]


async def unread_at_home(client: GraphQLClient) -> int:
    data = await client.execute(HOME)
    count: int = data["employerHome"]["unreadMessageCount"]
    return count


# --- Who may talk -------------------------------------------------------------------------


async def test_seeker_and_employer_exchange_messages(
    server: Server, employer: GraphQLClient, posting: Posting, new_client: Any
) -> None:
    seeker = await new_seeker(server, new_client())
    application = await apply(server, seeker.user, posting)

    first = await sent(
        employer,
        "  面接日程のご相談です。\n候補日をお知らせください。  ",
        applicationId=application_id(application),
    )
    assert first["body"] == "面接日程のご相談です。\n候補日をお知らせください。"
    assert first["sender"] == "EMPLOYER"
    assert first["readAt"] is None
    thread_id = first["thread"]["id"]
    assert first["thread"]["unreadCount"] == 0  # nothing from the seeker yet

    [seen_by_seeker] = await threads(seeker.client)
    assert seen_by_seeker["id"] == thread_id
    assert seen_by_seeker["unreadCount"] == 1
    assert seen_by_seeker["lastMessage"]["id"] == first["id"]
    assert seen_by_seeker["counterpart"] == {
        "__typename": "MessageEstablishment",
        "name": "ハローワークケア",
        "relations": [
            {"kind": "APPLICATION", "postingNumber": posting.posting_number, "jobTitle": "介護職員"}
        ],
    }

    server.clock.advance(minutes=5)
    reply = await sent(seeker.client, "12月3日の午後でお願いします。", threadId=thread_id)
    assert reply["sender"] == "SEEKER"
    assert reply["thread"]["id"] == thread_id

    [seen_by_employer] = await threads(employer)
    assert seen_by_employer["unreadCount"] == 1
    assert seen_by_employer["lastMessage"]["body"] == "12月3日の午後でお願いします。"
    assert seen_by_employer["lastMessageAt"] == reply["createdAt"]
    counterpart = seen_by_employer["counterpart"]
    assert counterpart["__typename"] == "MessageSeeker"
    assert counterpart["label"].startswith("求職者 ")
    assert [r["jobTitle"] for r in counterpart["relations"]] == ["介護職員"]

    bodies = [(m["sender"], m["body"]) for m in await history(employer, thread_id)]
    assert bodies == [
        ("SEEKER", "12月3日の午後でお願いします。"),
        ("EMPLOYER", "面接日程のご相談です。\n候補日をお知らせください。"),
    ]
    assert await history(seeker.client, thread_id) == await history(employer, thread_id)

    # Both are stored as events for the subscriptions, with who may see them.
    stored = await Event.filter(kind=EventKind.MESSAGE_RECEIVED).order_by("id")
    assert [(e.kind, e.establishment_id, e.seeker_id) for e in stored] == [
        (EventKind.MESSAGE_RECEIVED, posting.establishment_id, seeker.user.id)
    ] * 2
    assert [e.message_id for e in stored] == [
        decode_id(first["id"], "Message", "id"),
        decode_id(reply["id"], "Message", "id"),
    ]
    assert await MessageThread.all().count() == 1


async def test_a_request_opens_the_same_thread_as_an_application(
    server: Server, employer: GraphQLClient, posting: Posting, new_client: Any
) -> None:
    seeker = await new_seeker(server, new_client())
    seeker_request = await request(server, seeker.user, posting)
    by_request = await sent(
        seeker.client, "リクエストありがとうございます。", requestId=request_id(seeker_request)
    )
    server.clock.advance(minutes=5)
    application = await apply(server, seeker.user, posting)
    by_application = await sent(
        employer, "ご応募ありがとうございます。", applicationId=application_id(application)
    )
    assert by_request["thread"]["id"] == by_application["thread"]["id"]

    [thread] = await threads(employer)
    assert [r["kind"] for r in thread["counterpart"]["relations"]] == ["REQUEST", "APPLICATION"]


async def test_no_relation_no_conversation(
    server: Server, employer: GraphQLClient, posting: Posting, new_client: Any
) -> None:
    seeker = await new_seeker(server, new_client())
    # A thread left without any application or request (e.g. written by an import).
    establishment_id = posting.establishment_id
    orphan = await MessageThread.create(
        establishment_id=establishment_id, seeker_id=seeker.user.id, created_at=server.clock.now()
    )
    orphan_id = to_base64("MessageThread", orphan.id)
    for client in (employer, seeker.client):
        payload = await send(client, "こんにちは", threadId=orphan_id)
        assert error_codes(payload) == ["NO_RELATION"]
        assert payload["message"] is None

    # A seeker who closed their account can no longer be written to.
    application = await apply(server, seeker.user, posting)
    await User.filter(id=seeker.user.id).update(is_active=False)
    payload = await send(employer, "こんにちは", applicationId=application_id(application))
    assert error_codes(payload) == ["NO_RELATION"]
    assert await Message.all().count() == 0
    assert await Event.filter(kind=EventKind.MESSAGE_RECEIVED).count() == 0


async def test_outsiders_see_nothing_and_write_nothing(
    server: Server,
    staff: GraphQLClient,
    employer: GraphQLClient,
    other_employer: GraphQLClient,
    posting: Posting,
    gql: GraphQLClient,
    new_client: Any,
) -> None:
    seeker = await new_seeker(server, new_client(), 1)
    stranger = await new_seeker(server, new_client(), 2)
    application = await apply(server, seeker.user, posting)
    seeker_request = await request(server, seeker.user, posting)
    message = await sent(
        employer, "ご応募ありがとうございます。", applicationId=application_id(application)
    )
    thread_id = message["thread"]["id"]
    missing_thread = to_base64("MessageThread", 999999)

    for outsider in (other_employer, stranger.client):
        # by node: the same nothing as an id that does not exist
        for node_id in (thread_id, message["id"]):
            data = await outsider.execute(NODE, {"id": node_id})
            assert data["node"] is None
        # by the history: null, exactly as for a thread that does not exist
        for some_thread in (thread_id, missing_thread):
            data = await outsider.execute(HISTORY, {"threadId": some_thread, "first": 10})
            assert data["messages"] is None
        # by writing and marking read: NOT_FOUND, as for a thread that does not exist
        for some_thread in (thread_id, missing_thread):
            payload = await send(outsider, "割り込み", threadId=some_thread)
            assert error_codes(payload) == ["NOT_FOUND"]
            data = await outsider.execute(MARK_READ, {"threadId": some_thread})
            assert error_codes(data["messageMarkRead"]) == ["NOT_FOUND"]
        payload = await send(outsider, "割り込み", applicationId=application_id(application))
        assert [(e["field"], e["code"]) for e in payload["errors"]] == [
            ("applicationId", "NOT_FOUND")
        ]
        payload = await send(outsider, "割り込み", requestId=request_id(seeker_request))
        assert [(e["field"], e["code"]) for e in payload["errors"]] == [("requestId", "NOT_FOUND")]
        assert await threads(outsider) == []

    # The parties themselves do see it.
    data = await seeker.client.execute(NODE, {"id": message["id"]})
    assert data["node"] == {
        "__typename": "Message",
        "id": message["id"],
        "body": "ご応募ありがとうございます。",
    }
    data = await employer.execute(NODE, {"id": thread_id})
    assert data["node"]["__typename"] == "MessageThread"

    # Staff take no part in messages, and nobody anonymous.
    for client, code in ((staff, "FORBIDDEN"), (gql, "UNAUTHENTICATED")):
        response = await client.post(THREADS, {"first": 5})
        assert flows.top_level_codes(response) == [code]
        response = await client.post(SEND, {"input": {"body": "x", "threadId": thread_id}})
        assert flows.top_level_codes(response) == [code]
        response = await client.post(NODE, {"id": thread_id})
        assert response.json()["data"]["node"] is None

    assert await Message.all().count() == 1


async def test_the_target_is_exactly_one_of_thread_application_request(
    server: Server, employer: GraphQLClient, posting: Posting, new_client: Any
) -> None:
    seeker = await new_seeker(server, new_client())
    application = await apply(server, seeker.user, posting)
    message = await sent(employer, "はじめまして", applicationId=application_id(application))

    payload = await send(employer, "宛先なし")
    assert error_codes(payload) == ["REQUIRED"]
    payload = await send(
        employer,
        "宛先二つ",
        threadId=message["thread"]["id"],
        applicationId=application_id(application),
    )
    assert error_codes(payload) == ["INVALID_FORMAT"]
    # A posting's ID is not a thread.
    payload = await send(employer, "違う種類", threadId=to_base64("Posting", posting.id))
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("threadId", "NOT_FOUND")]
    assert await Message.all().count() == 1


# --- The body -----------------------------------------------------------------------------


async def test_body_is_plain_text_of_1_to_2000_characters(
    server: Server, employer: GraphQLClient, posting: Posting, new_client: Any
) -> None:
    seeker = await new_seeker(server, new_client())
    application = await apply(server, seeker.user, posting)
    target = {"applicationId": application_id(application)}

    longest = "あ" * messages.BODY_MAX_LENGTH
    assert (await sent(employer, f" {longest}\n", **target))["body"] == longest
    payload = await send(employer, longest + "い", **target)
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("body", "TOO_LONG")]
    for blank in ("", "   ", "\n\t "):
        payload = await send(employer, blank, **target)
        assert [(e["field"], e["code"]) for e in payload["errors"]] == [("body", "REQUIRED")]
    payload = await send(employer, "制御\x01文字", **target)
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("body", "INVALID_FORMAT")]
    # NUL, which PostgreSQL text cannot hold, is refused in any input before it runs.
    response = await employer.post(SEND, {"input": {"body": "制御\x00文字", **target}})
    assert flows.top_level_codes(response) == ["BAD_USER_INPUT"]

    markup = '<script>alert("x")</script> &amp; <b>太字</b>'
    assert (await sent(employer, markup, **target))["body"] == markup
    assert (await Message.all().order_by("-id").first()).body == markup  # type: ignore[union-attr]
    # Both errors at once: the body and the missing target.
    payload = await send(employer, "")
    assert sorted(error_codes(payload)) == ["REQUIRED", "REQUIRED"]
    assert await Message.all().count() == 2


# --- Unread counts and read marks ---------------------------------------------------------


async def test_unread_counts_and_read_marks(
    server: Server, employer: GraphQLClient, posting: Posting, new_client: Any
) -> None:
    seekers = [await new_seeker(server, new_client(), n) for n in (1, 2)]
    thread_ids = []
    for seeker in seekers:
        application = await apply(server, seeker.user, posting)
        message = await sent(
            employer, "ご応募ありがとうございます。", applicationId=application_id(application)
        )
        thread_ids.append(message["thread"]["id"])
    assert await unread_at_home(employer) == 0

    for _ in range(3):
        await sent(seekers[0].client, "質問があります。", threadId=thread_ids[0])
    await sent(seekers[1].client, "よろしくお願いします。", threadId=thread_ids[1])
    assert await unread_at_home(employer) == 4
    unread = {t["id"]: t["unreadCount"] for t in await threads(employer)}
    assert unread == {thread_ids[0]: 3, thread_ids[1]: 1}
    assert [t["unreadCount"] for t in await threads(seekers[0].client)] == [1]

    server.clock.advance(minutes=1)
    data = await employer.execute(MARK_READ, {"threadId": thread_ids[0]})
    assert data["messageMarkRead"] == {
        "thread": {"id": thread_ids[0], "unreadCount": 0},
        "markedCount": 3,
        "errors": [],
    }
    assert await unread_at_home(employer) == 1
    read_at = {m["sender"]: m["readAt"] for m in await history(employer, thread_ids[0])}
    assert read_at["SEEKER"] == "2026-11-25T01:01:00+00:00"
    # The employer's own message stays unread until the seeker reads it.
    assert read_at["EMPLOYER"] is None

    data = await employer.execute(MARK_READ, {"threadId": thread_ids[0]})
    assert data["messageMarkRead"]["markedCount"] == 0

    data = await seekers[0].client.execute(MARK_READ, {"threadId": thread_ids[0]})
    assert data["messageMarkRead"]["markedCount"] == 1
    assert all(m["readAt"] is not None for m in await history(employer, thread_ids[0]))
    assert await unread_at_home(employer) == 1  # the second seeker's message


# --- Paging -------------------------------------------------------------------------------


async def test_paging_through_the_history(
    server: Server, employer: GraphQLClient, posting: Posting, new_client: Any
) -> None:
    seeker = await new_seeker(server, new_client())
    application = await apply(server, seeker.user, posting)
    first = await sent(employer, "0", applicationId=application_id(application))
    thread_id = first["thread"]["id"]
    for i in range(1, 25):
        await sent(seeker.client if i % 2 else employer, str(i), threadId=thread_id)

    seen: list[str] = []
    after = None
    while True:
        data = await seeker.client.execute(
            HISTORY, {"threadId": thread_id, "first": 10, "after": after}
        )
        page = data["messages"]
        seen += [edge["node"]["body"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == [str(i) for i in reversed(range(25))]

    response = await employer.post(HISTORY, {"threadId": thread_id, "first": 101})
    assert flows.top_level_codes(response) == ["BAD_USER_INPUT"]
    response = await employer.post(THREADS, {"first": 101})
    assert flows.top_level_codes(response) == ["BAD_USER_INPUT"]
    for cursor in ("bm90LWEtY3Vyc29y", to_base64("message", "1:2"), "%%%"):
        response = await employer.post(
            HISTORY, {"threadId": thread_id, "first": 5, "after": cursor}
        )
        assert flows.top_level_codes(response) == ["BAD_USER_INPUT"]
        response = await employer.post(THREADS, {"first": 5, "after": cursor})
        assert flows.top_level_codes(response) == ["BAD_USER_INPUT"]
    assert len(await history(employer, thread_id, first=100)) == 25


async def test_threads_are_listed_by_latest_activity(
    server: Server, employer: GraphQLClient, posting: Posting, new_client: Any
) -> None:
    seekers = [await new_seeker(server, new_client(), n) for n in range(4)]
    applications = [await apply(server, s.user, posting) for s in seekers]

    async def write(n: int) -> str:
        message = await sent(employer, f"{n}さんへ", applicationId=application_id(applications[n]))
        thread_id: str = message["thread"]["id"]
        return thread_id

    a, b = await write(0), await write(1)  # the same moment: the newer thread comes first
    server.clock.advance(minutes=1)
    c = await write(2)
    d = await write(3)
    server.clock.advance(minutes=1)
    await sent(seekers[0].client, "返信します", threadId=a)

    order: list[str] = []
    after = None
    while True:
        data = await employer.execute(THREADS, {"first": 1, "after": after})
        page = data["messageThreads"]
        order += [edge["node"]["id"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert order == [a, d, c, b]
    assert [t["id"] for t in await threads(employer, first=3)] == [a, d, c]


# --- Privacy ------------------------------------------------------------------------------


async def test_an_employer_never_receives_the_seekers_contact_details(
    server: Server, employer: GraphQLClient, posting: Posting, new_client: Any
) -> None:
    seeker = await new_seeker(server, new_client())
    application = await apply(server, seeker.user, posting)
    received: list[httpx.Response] = []

    async def as_employer(query: str, variables: dict[str, Any]) -> dict[str, Any]:
        response = await employer.post(query, variables)
        received.append(response)
        body: dict[str, Any] = response.json()
        assert "errors" not in body, body
        return body

    body = await as_employer(
        SEND,
        {
            "input": {
                "body": "ご応募ありがとうございます。",
                "applicationId": application_id(application),
            }
        },
    )
    thread_id = body["data"]["messageSend"]["message"]["thread"]["id"]
    reply = await sent(seeker.client, "よろしくお願いします。", threadId=thread_id)
    await as_employer(THREADS, {"first": 10})
    await as_employer(HISTORY, {"threadId": thread_id, "first": 10})
    await as_employer(NODE, {"id": thread_id})
    await as_employer(NODE, {"id": reply["id"]})
    await as_employer(MARK_READ, {"threadId": thread_id})

    everything = "\n".join(json.dumps(response.json(), ensure_ascii=False) for response in received)
    assert "よろしくお願いします。" in everything  # the check does look at what arrived
    for secret in (seeker.user.email, seeker.name, seeker.phone, "seeker1"):
        assert secret not in everything
    assert "5555" not in everything


async def test_the_seeker_label_is_stable_and_differs_between_establishments(
    server: Server,
) -> None:
    label = messages.seeker_label(server.rt, 1, 7)
    assert label == messages.seeker_label(server.rt, 1, 7)
    assert label != messages.seeker_label(server.rt, 2, 7)
    assert label != messages.seeker_label(server.rt, 1, 8)


# --- Concurrency and query counts ---------------------------------------------------------


async def test_first_messages_racing_share_one_thread(
    server: Server, employer: GraphQLClient, posting: Posting, new_client: Any
) -> None:
    seeker = await new_seeker(server, new_client())
    application = await apply(server, seeker.user, posting)
    target = {"applicationId": application_id(application)}
    payloads = await asyncio.gather(
        *(send(employer, f"同時{i}", **target) for i in range(4)),
        *(send(seeker.client, f"同時返信{i}", **target) for i in range(4)),
    )
    assert all(payload["errors"] == [] for payload in payloads), payloads
    assert len({payload["message"]["thread"]["id"] for payload in payloads}) == 1
    assert await MessageThread.all().count() == 1
    assert await Message.all().count() == 8
    assert await Event.filter(kind=EventKind.MESSAGE_RECEIVED).count() == 8

    # The unique constraint settles a race for the thread itself.
    other, _, _ = await seeker_user(server, 2)
    opened = await asyncio.gather(
        *(messages.open_thread(posting.establishment_id, other.id, START) for _ in range(5))
    )
    assert len({thread.id for thread in opened}) == 1


async def test_the_thread_list_runs_a_constant_number_of_statements(
    server: Server, employer: GraphQLClient, posting: Posting
) -> None:
    employer_user = await User.get(portal=Portal.EMPLOYER)
    now = server.clock.now()
    for n in range(55):
        seeker, _, _ = await seeker_user(server, n)
        await apply(server, seeker, posting)
        if n % 2:
            await request(server, seeker, posting)
        moment = now + dt.timedelta(seconds=n)
        thread = await MessageThread.create(
            establishment_id=posting.establishment_id,
            seeker_id=seeker.id,
            created_at=moment,
            last_message_at=moment,
        )
        for sender, user in (
            (MessageSender.EMPLOYER, employer_user),
            (MessageSender.SEEKER, seeker),
        ):
            await Message.create(
                thread=thread,
                establishment_id=posting.establishment_id,
                sender=sender,
                sender_user=user,
                body=f"{sender} {n}",
                created_at=moment,
            )

    with counting_queries() as small:
        data = await employer.execute(THREADS, {"first": 5})
    assert len(data["messageThreads"]["edges"]) == 5
    with counting_queries() as large:
        data = await employer.execute(THREADS, {"first": 50})
    nodes = [edge["node"] for edge in data["messageThreads"]["edges"]]
    assert len(nodes) == 50
    assert all(node["unreadCount"] == 1 for node in nodes)
    assert nodes[0]["lastMessage"]["body"] == "SEEKER 54"
    assert len(nodes[1]["counterpart"]["relations"]) == 2  # seeker 53: application, request

    assert small, "no statements were seen"
    assert len(large) == len(small), (small, large)
    # session and its login, the page, last messages, unread counts, applications and requests
    assert len(large) <= 7, large
