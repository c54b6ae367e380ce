"""The lists of messages, seekers, office events and notices page both ways and count:
`first`/`after` forward, `last`/`before` backward, a true `pageInfo` on either side, and
`totalCount` with the list's own filter; composite orders hold their ties (threads by their
last message, events by their start). And the global ids of what a client caches there:
`ApplicantProfile` and `OfficeEventRegistration` by `node` for those entitled, the message
parties, relations, posting images and counter seekers as cache keys."""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from strawberry import relay

from app.models import Application, Portal, Posting, SeekerProfile, SeekerRequest, User
from app.models.applications import ApplicationSource, ApplicationStatus
from app.schema.nodes import decode_id
from tests import flows, seeker_flows
from tests.conftest import (
    GraphQLClient,
    Server,
    new_employer_of,
    new_seeker,
    new_staff,
    open_session,
    user_of,
)
from tests.test_notices import establishment_of, send_notice

PAGE = "pageInfo { hasPreviousPage hasNextPage startCursor endCursor } totalCount"
ARGUMENTS = "first: $first, after: $after, last: $last, before: $before"
VARIABLES = "$first: Int, $after: String, $last: Int, $before: String"

THREADS = f"""query PagingThreads({VARIABLES}) {{
  messageThreads({ARGUMENTS}) {{ {PAGE} edges {{ cursor node {{ id }} }} }}
}}"""
MESSAGES = f"""query PagingMessages($threadId: ID!, {VARIABLES}) {{
  messages(threadId: $threadId, {ARGUMENTS}) {{ {PAGE} edges {{ cursor node {{ id }} }} }}
}}"""
SEEKER_SEARCH = f"""query PagingSeekerSearch($prefecture: String, {VARIABLES}) {{
  seekerSearch(prefecture: $prefecture, {ARGUMENTS}) {{
    {PAGE} edges {{ cursor node {{ id }} }}
  }}
}}"""
MY_REQUESTS = f"""query PagingMyRequests({VARIABLES}) {{
  myRequests({ARGUMENTS}) {{ {PAGE} edges {{ cursor node {{ id }} }} }}
}}"""
OFFICE_EVENTS = f"""query PagingOfficeEvents($prefecture: String, {VARIABLES}) {{
  officeEvents(prefecture: $prefecture, {ARGUMENTS}) {{
    {PAGE} edges {{ cursor node {{ id }} }}
  }}
}}"""
REGISTRATIONS = f"""query PagingRegistrations($id: ID!, {VARIABLES}) {{
  node(id: $id) {{ ... on OfficeEvent {{
    registrations({ARGUMENTS}) {{ {PAGE} edges {{ cursor node {{ id establishmentName }} }} }}
  }} }}
}}"""
NOTICES = f"""query PagingNotices($unreadOnly: Boolean, {VARIABLES}) {{
  helloWorkNotices(unreadOnly: $unreadOnly, {ARGUMENTS}) {{
    {PAGE} edges {{ cursor node {{ id }} }}
  }}
}}"""

SEND = """mutation PagingSend($input: MessageSendInput!) {
  messageSend(input: $input) { message { id thread { id } } errors { code } }
}"""
EVENT_CREATE = """mutation PagingEventCreate($input: OfficeEventCreateInput!) {
  officeEventCreate(input: $input) { officeEvent { id } errors { field code } }
}"""
EVENT_REGISTER = """mutation PagingEventRegister($id: ID!) {
  officeEventRegisterInterest(input: {eventId: $id}) { officeEvent { id } errors { code } }
}"""
EVENT_WITHDRAW = """mutation PagingEventWithdraw($id: ID!) {
  officeEventWithdrawInterest(input: {eventId: $id}) { officeEvent { id } errors { code } }
}"""
NODE = """query PagingNode($id: ID!) {
  node(id: $id) {
    __typename id
    ... on ApplicantProfile { desiredJob profileId }
    ... on OfficeEventRegistration { establishmentNumber establishmentName registeredAt }
  }
}"""


def _ids(page: dict[str, Any]) -> list[str]:
    return [edge["node"]["id"] for edge in page["edges"]]


def _sides(page: dict[str, Any]) -> tuple[bool, bool]:
    info = page["pageInfo"]
    return info["hasPreviousPage"], info["hasNextPage"]


Read = Callable[..., Awaitable[dict[str, Any]]]


def reader(client: GraphQLClient, document: str, field: str, **fixed: Any) -> Read:
    """A function reading one page of the list `field` with `fixed` variables."""

    async def read(**variables: Any) -> dict[str, Any]:
        data = await client.execute(document, {**fixed, **variables})
        found: dict[str, Any] = data[field]
        return found

    return read


async def pages_both_ways(read: Read, expected: list[str]) -> None:
    """`read` pages through `expected` (at least 3 items, in the list's order) one item at a
    time forward, then backward, then two at a time, with a true `pageInfo` on each page and
    the whole list's `totalCount`."""
    assert len(expected) >= 3
    # Forward, one by one: across every tie of the order.
    seen: list[str] = []
    after = None
    for index in range(len(expected)):
        page = await read(first=1, after=after)
        assert page["totalCount"] == len(expected)
        assert _sides(page) == (index > 0, index < len(expected) - 1), index
        seen += _ids(page)
        after = page["pageInfo"]["endCursor"]
    assert seen == expected
    end = await read(first=1, after=after)
    assert (_ids(end), _sides(end)) == ([], (True, False))
    # Backward, one by one, from the end.
    seen = []
    before = None
    for index in range(len(expected)):
        page = await read(last=1, before=before)
        assert _sides(page) == (index < len(expected) - 1, index > 0), index
        seen = _ids(page) + seen
        before = page["pageInfo"]["startCursor"]
    assert seen == expected
    # Two at a time, both ways.
    first = await read(first=2)
    assert (_ids(first), _sides(first)) == (expected[:2], (False, True))
    rest = await read(first=100, after=first["pageInfo"]["endCursor"])
    assert (_ids(rest), _sides(rest)) == (expected[2:], (True, False))
    last = await read(last=2)
    assert (_ids(last), _sides(last)) == (expected[-2:], (True, False))
    earlier = await read(last=100, before=last["pageInfo"]["startCursor"])
    assert (_ids(earlier), _sides(earlier)) == (expected[:-2], (False, True))
    # Between two cursors: the items strictly between.
    between = await read(after=first["edges"][0]["cursor"], before=last["edges"][-1]["cursor"])
    assert _ids(between) == expected[1:-1]
    assert between["pageInfo"]["hasPreviousPage"] is True


async def refuses_a_malformed_before(client: GraphQLClient, document: str, **fixed: Any) -> None:
    response = await client.post(document, {**fixed, "last": 1, "before": "bm90LW91cnM="})
    body = response.json()
    assert body["data"] is None or all(value is None for value in body["data"].values())
    assert [(e["message"], e["extensions"]["code"]) for e in body["errors"]] == [
        ("after または before に指定されたカーソルが正しくありません。", "BAD_USER_INPUT")
    ]


# --- Set-up -------------------------------------------------------------------------------


@dataclasses.dataclass
class Place:
    staff: GraphQLClient
    employer: GraphQLClient
    posting: Posting


@pytest.fixture
async def place(server: Server, gql: GraphQLClient, new_client: Any) -> Place:
    """Staff of office 13010 and an employer of it with an active posting."""
    staff = await new_staff(server, new_client())
    employer = await new_employer_of(server, staff, gql)
    active = await flows.active_posting(employer, staff)
    posting = await Posting.get(id=decode_id(active["id"], "Posting", "id"))
    return Place(staff, employer, posting)


async def applicant(server: Server, posting: Posting, number: int) -> Application:
    """A seeker with a profile who applied online to `posting`, made directly."""
    now = server.clock.now()
    user = await User.create(
        portal=Portal.SEEKER, email=f"pager{number}@example.jp", password_hash="-", created_at=now
    )
    await SeekerProfile.create(user=user, display_name=f"頁 {number}号", updated_at=now)
    return await Application.create(
        posting_id=posting.id,
        establishment_id=posting.establishment_id,
        seeker=user,
        source=ApplicationSource.ONLINE,
        status=ApplicationStatus.APPLIED,
        created_at=now,
        updated_at=now,
    )


async def write(employer: GraphQLClient, application: Application, body: str) -> str:
    """The employer writes to the applicant; the thread's global ID."""
    data = await employer.execute(
        SEND,
        {
            "input": {
                "applicationId": relay.to_base64("Application", application.id),
                "body": body,
            }
        },
    )
    payload = data["messageSend"]
    assert payload["errors"] == []
    thread_id: str = payload["message"]["thread"]["id"]
    return thread_id


# --- Messages -----------------------------------------------------------------------------


async def test_threads_page_both_ways_by_their_last_message_with_ties(
    server: Server, place: Place
) -> None:
    applications = [await applicant(server, place.posting, n) for n in range(4)]
    # Three threads open at one instant, the first of them ahead of the others one minute
    # later together with a fourth: two ties, and an order that is not the threads' ids'.
    t0, t1, t2 = [await write(place.employer, a, "はじめまして") for a in applications[:3]]
    server.clock.advance(minutes=1)
    t3 = await write(place.employer, applications[3], "ご応募ありがとうございます")
    assert await write(place.employer, applications[0], "面接日のご相談です") == t0
    expected = [t3, t0, t2, t1]
    read = reader(place.employer, THREADS, "messageThreads")
    await pages_both_ways(read, expected)
    await refuses_a_malformed_before(place.employer, THREADS)


async def test_a_threads_messages_page_both_ways_newest_first(server: Server, place: Place) -> None:
    application = await applicant(server, place.posting, 1)
    thread = await write(place.employer, application, "1通目")
    for n in range(2, 5):
        await write(place.employer, application, f"{n}通目")
    other = await write(place.employer, await applicant(server, place.posting, 2), "別の方へ")
    read = reader(place.employer, MESSAGES, "messages", threadId=thread)
    newest_first = _ids(await read(first=100))
    assert len(newest_first) == 4
    await pages_both_ways(read, newest_first)
    # The count is the thread's, not every message's.
    assert (await read(first=0, threadId=other))["totalCount"] == 1
    await refuses_a_malformed_before(place.employer, MESSAGES, threadId=thread)


# --- Seekers ------------------------------------------------------------------------------


async def test_the_seeker_search_pages_both_ways_and_counts_its_filter(
    server: Server, place: Place
) -> None:
    osaka = await seeker_flows.seed_profiles(server, 3, desired_prefecture="大阪府")
    await seeker_flows.seed_profiles(server, 2, desired_prefecture="東京都")
    expected = [
        relay.to_base64("ApplicantProfile", decode_id(i, "SeekerProfile", "id")) for i in osaka
    ]
    read = reader(place.employer, SEEKER_SEARCH, "seekerSearch", prefecture="大阪府")
    await pages_both_ways(read, list(reversed(expected)))
    everyone = reader(place.employer, SEEKER_SEARCH, "seekerSearch")
    assert (await everyone(first=1))["totalCount"] == 5
    # A prefecture that is none of the 47 finds nothing, and counts nothing.
    nowhere = await everyone(first=1, prefecture="火星")
    assert (nowhere["edges"], nowhere["totalCount"], _sides(nowhere)) == ([], 0, (False, False))
    await refuses_a_malformed_before(place.employer, SEEKER_SEARCH)


async def test_my_requests_page_both_ways_newest_first(
    server: Server, place: Place, new_client: Any
) -> None:
    seeker = await new_seeker(server, new_client(), "asked@example.jp")
    me = await user_of(server, seeker.client)
    sender = await user_of(server, place.employer)
    others = [await flows.create_posting(place.employer) for _ in range(2)]
    postings = [place.posting.id, *(decode_id(p["id"], "Posting", "id") for p in others)]
    requests = [
        await SeekerRequest.create(
            posting_id=posting_id,
            seeker_id=me.id,
            sent_by_id=sender.id,
            created_at=server.clock.now(),
        )
        for posting_id in postings
    ]
    expected = [relay.to_base64("SeekerRequest", r.id) for r in reversed(requests)]
    await pages_both_ways(reader(seeker.client, MY_REQUESTS, "myRequests"), expected)
    await refuses_a_malformed_before(seeker.client, MY_REQUESTS)


# --- Office events ------------------------------------------------------------------------


def event_input(title: str, starts: str, prefecture: str = "東京都") -> dict[str, Any]:
    return {
        "kind": "JOB_FAIR",
        "title": title,
        "startsAt": f"{starts}T13:00:00+09:00",
        "endsAt": f"{starts}T16:00:00+09:00",
        "venue": "文京シビックセンター",
        "prefecture": prefecture,
        "capacity": 5,
    }


async def new_event(
    staff: GraphQLClient, title: str, starts: str, prefecture: str = "東京都"
) -> str:
    data = await staff.execute(EVENT_CREATE, {"input": event_input(title, starts, prefecture)})
    payload = data["officeEventCreate"]
    assert payload["errors"] == []
    event_id: str = payload["officeEvent"]["id"]
    return event_id


async def test_office_events_page_both_ways_by_their_start_with_ties(place: Place) -> None:
    staff = place.staff
    last = await new_event(staff, "年末の面接会", "2026-12-12")
    tied_first = await new_event(staff, "合同面接会 午後の部", "2026-12-10")
    tied_second = await new_event(staff, "合同面接会 別会場", "2026-12-10")
    middle = await new_event(staff, "介護職の面接会", "2026-12-11")
    osaka = await new_event(staff, "大阪の面接会", "2026-12-09", "大阪府")
    tokyo = [tied_first, tied_second, middle, last]
    read = reader(place.employer, OFFICE_EVENTS, "officeEvents", prefecture="東京都")
    await pages_both_ways(read, tokyo)
    everywhere = reader(staff, OFFICE_EVENTS, "officeEvents")
    await pages_both_ways(everywhere, [osaka, *tokyo])
    await refuses_a_malformed_before(place.employer, OFFICE_EVENTS)


async def _three_registered(
    server: Server, place: Place, new_client: Any
) -> tuple[str, list[GraphQLClient]]:
    """An event of the office and three establishments registered for it, in that order."""
    event = await new_event(place.staff, "合同面接会", "2026-12-10")
    employers = [place.employer]
    for n in (1, 2):
        employers.append(
            await new_employer_of(
                server,
                place.staff,
                new_client(),
                f"1301-00000{n}-{n}",
                f"03-3812-100{n}",
                f"hr{n}@pager.example.jp",
            )
        )
    for employer in employers:
        data = await employer.execute(EVENT_REGISTER, {"id": event})
        assert data["officeEventRegisterInterest"]["errors"] == []
    return event, employers


async def test_an_events_registrations_page_both_ways_oldest_first(
    server: Server, place: Place, new_client: Any
) -> None:
    event, _ = await _three_registered(server, place, new_client)
    read = reader(place.staff, REGISTRATIONS, "node", id=event)

    async def registrations(**variables: Any) -> dict[str, Any]:
        found: dict[str, Any] = (await read(**variables))["registrations"]
        return found

    oldest_first = _ids(await registrations(first=100))
    assert len(oldest_first) == 3
    names = [edge["node"]["establishmentName"] for edge in (await registrations())["edges"]]
    assert len(names) == 3
    await pages_both_ways(registrations, oldest_first)
    response = await place.staff.post(REGISTRATIONS, {"id": event, "last": 1, "before": "eA=="})
    errors = response.json()["errors"]
    assert [e["extensions"]["code"] for e in errors] == ["BAD_USER_INPUT"]


# --- Notices ------------------------------------------------------------------------------


async def test_the_inbox_pages_both_ways_and_counts_the_unread_only(
    server: Server, place: Place
) -> None:
    establishment_id = await establishment_of(server, place.employer)
    inbox = reader(place.employer, NOTICES, "helloWorkNotices")
    accepted = _ids(await inbox(first=100))  # 求人の受理, for the posting
    sent = [await send_notice(server, establishment_id, f"お知らせ{n}") for n in range(5)]
    await place.employer.execute(
        """mutation PagingMarkRead($ids: [ID!]!) {
          helloWorkNoticeMarkRead(input: {ids: $ids}) { errors { code } } }""",
        {"ids": [relay.to_base64("HelloWorkNotice", sent[1].id)]},
    )
    newest_first = [relay.to_base64("HelloWorkNotice", n.id) for n in reversed(sent)]
    newest_first += accepted
    await pages_both_ways(inbox, newest_first)
    unread = [i for i in newest_first if i != relay.to_base64("HelloWorkNotice", sent[1].id)]
    read_unread = reader(place.employer, NOTICES, "helloWorkNotices", unreadOnly=True)
    await pages_both_ways(read_unread, unread)
    await refuses_a_malformed_before(place.employer, NOTICES)


# --- Global ids ---------------------------------------------------------------------------


async def node_of(client: GraphQLClient, global_id: str) -> dict[str, Any] | None:
    found: dict[str, Any] | None = (await client.execute(NODE, {"id": global_id}))["node"]
    return found


async def test_an_applicant_profile_is_a_node_for_those_who_reach_it(
    server: Server, place: Place, new_client: Any
) -> None:
    applied = await applicant(server, place.posting, 1)  # not published
    applied_profile = await SeekerProfile.get(user_id=applied.seeker_id)
    published = await seeker_flows.seed_profiles(server, 1, desired_job="調理師")
    published_pk = decode_id(published[0], "SeekerProfile", "id")
    applied_id = relay.to_base64("ApplicantProfile", applied_profile.id)
    published_id = relay.to_base64("ApplicantProfile", published_pk)

    # The employer applied to, and with an active posting: both, as the search and the
    # application show them.
    search = await place.employer.execute(SEEKER_SEARCH, {"first": 10})
    assert _ids(search["seekerSearch"]) == [published_id]
    applications = await place.employer.execute(
        "query PagingApplicants { applications { edges { node { applicant { id } } } } }"
    )
    assert [e["node"]["applicant"]["id"] for e in applications["applications"]["edges"]] == [
        applied_id
    ]
    found = await node_of(place.employer, published_id)
    assert found == {
        "__typename": "ApplicantProfile",
        "id": published_id,
        "desiredJob": "調理師",
        "profileId": published[0],
    }
    assert await node_of(place.employer, applied_id) is not None

    # Another establishment of the office without an active posting: neither, until it sends
    # a request to one of them.
    other = await new_employer_of(
        server, place.staff, new_client(), "1301-654321-0", "03-3812-0002", "hr@other.example.jp"
    )
    assert await node_of(other, published_id) is None
    assert await node_of(other, applied_id) is None
    draft = await flows.create_posting(other)
    await SeekerRequest.create(
        posting_id=decode_id(draft["id"], "Posting", "id"),
        seeker_id=applied.seeker_id,
        sent_by_id=(await user_of(server, other)).id,
        created_at=server.clock.now(),
    )
    assert await node_of(other, applied_id) is not None
    assert await node_of(other, published_id) is None

    # Staff of the office applied to, not another office's; the seeker their own only.
    assert await node_of(place.staff, applied_id) is not None
    assert await node_of(place.staff, published_id) is None
    assert await node_of(await new_staff(server, new_client(), "27010"), applied_id) is None
    seeker = new_client()
    await open_session(server, seeker, await User.get(id=applied.seeker_id))
    assert await node_of(seeker, applied_id) is not None
    assert await node_of(seeker, published_id) is None
    assert await node_of(new_client(), applied_id) is None  # anonymous
    # A profile that stops being published leaves the search's reach.
    await SeekerProfile.filter(id=published_pk).update(published=False)
    assert await node_of(place.employer, published_id) is None


async def test_a_registration_is_a_node_for_the_office_and_the_registrant(
    server: Server, place: Place, new_client: Any
) -> None:
    event, employers = await _three_registered(server, place, new_client)
    page = (await place.staff.execute(REGISTRATIONS, {"id": event}))["node"]["registrations"]
    mine = page["edges"][0]["node"]["id"]
    assert (await node_of(place.staff, mine) or {})["establishmentNumber"] == "1301-123456-7"
    assert (await node_of(place.employer, mine) or {})["__typename"] == "OfficeEventRegistration"
    assert await node_of(employers[1], mine) is None
    assert await node_of(await new_staff(server, new_client(), "27010"), mine) is None
    assert await node_of(new_client(), mine) is None  # anonymous
    seeker = await new_seeker(server, new_client(), "nosy@example.jp")
    assert await node_of(seeker.client, mine) is None
    # A registration withdrawn is gone.
    await place.employer.execute(EVENT_WITHDRAW, {"id": event})
    assert await node_of(place.employer, mine) is None
    assert await node_of(place.staff, mine) is None


async def test_message_parties_and_relations_carry_ids_that_are_cache_keys_only(
    server: Server, place: Place, new_client: Any
) -> None:
    application = await applicant(server, place.posting, 1)
    thread = await write(place.employer, application, "はじめまして")
    document = """query PagingParties {
      messageThreads { edges { node { id counterpart {
        ... on MessageSeeker { id label relations { id kind } }
        ... on MessageEstablishment { id name relations { id kind } } } } } }
    }"""
    employer_side = (await place.employer.execute(document))["messageThreads"]["edges"]
    seeker = new_client()
    await open_session(server, seeker, await User.get(id=application.seeker_id))
    seeker_side = (await seeker.execute(document))["messageThreads"]["edges"]
    party = employer_side[0]["node"]["counterpart"]
    establishment = seeker_side[0]["node"]["counterpart"]
    thread_pk = decode_id(thread, "MessageThread", "id")
    assert party["id"] == relay.to_base64("MessageSeeker", thread_pk)
    assert establishment["id"] == relay.to_base64("MessageEstablishment", thread_pk)
    relation = f"APPLICATION:{application.id}"
    assert party["relations"] == [
        {"id": relay.to_base64("MessageRelation", relation), "kind": "APPLICATION"}
    ]
    assert establishment["relations"] == party["relations"]
    # Keys for caches, not nodes: nothing to read by `node`.
    for global_id in (party["id"], establishment["id"], party["relations"][0]["id"]):
        assert await node_of(place.employer, global_id) is None
        assert await node_of(seeker, global_id) is None


async def test_a_counter_seeker_has_an_id(server: Server, place: Place, new_client: Any) -> None:
    seeker = await new_seeker(server, new_client(), "walkin@example.jp")
    data = await place.staff.execute(
        """query PagingCounterSeeker($email: String!) {
          counterSeeker(email: $email) { id profileId displayName } }""",
        {"email": "WALKIN@example.jp"},
    )
    pk = decode_id(seeker.profile_id, "SeekerProfile", "id")
    assert data["counterSeeker"] == {
        "id": relay.to_base64("CounterSeeker", pk),
        "profileId": seeker.profile_id,
        "displayName": seeker.name,
    }
