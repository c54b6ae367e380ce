"""Who applied (応募者): the person behind an application and who may see it, the record of
every read of it (DESIGN.md §11), the seeker's kana, birth date and address (and the age
employers see), the 志望動機, and people without a My Page referred at the counter (walk-ins)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from asyncpg.exceptions import PostgresError
from strawberry import relay
from tortoise.exceptions import BaseORMException

from app.clock import TOKYO
from app.models import (
    Application,
    AuditAction,
    AuditEvent,
    Event,
    MessageThread,
    PersonalDataAccess,
    SeekerProfile,
)
from app.models.applications import PersonalDataKind
from app.resolvers import accounts, applicants
from app.schema.nodes import decode_id
from app.schema.subscriptions import event_cursor
from tests import flows
from tests import seeker_flows as sf
from tests.conftest import (
    EMPLOYER_EMAIL,
    START,
    GraphQLClient,
    Seeker,
    Server,
    mail_body,
    new_seeker,
    new_staff,
    reopen_session,
    user_of,
)
from tests.test_posting_queries import counting_queries
from tests.ws_client import GraphQLWebSocket

PERSON = "person { name kana age prefecture city phone email hasMyPage }"

FIELDS = f"""id status source hasMyPage motivation referralLetterNumber referralNote createdAt
  {PERSON} applicant {{ profileId desiredJob }}"""

NODE = f"""query ($id: ID!) {{ node(id: $id) {{ ... on Application {{ {FIELDS} }} }} }}"""

PAGE = f"""query ($first: Int!, $postingId: ID) {{
  applications(first: $first, postingId: $postingId) {{ edges {{ node {{ {FIELDS} }} }} }}
}}"""

MINE = f"""{{ myApplications(first: 20) {{ edges {{ node {{ {FIELDS} }} }} }} }}"""

CREATE = f"""mutation ($input: ApplicationCreateInput!) {{
  applicationCreate(input: $input) {{
    application {{ {FIELDS} }}
    errors {{ field code message }}
  }}
}}"""

REFERRAL = f"""mutation ($input: ReferralCreateInput!) {{
  referralCreate(input: $input) {{
    application {{ {FIELDS} }}
    errors {{ field code message }}
  }}
}}"""

LOG = """query ($applicationId: ID, $first: Int!, $after: String) {
  personalDataAccessLog(applicationId: $applicationId, first: $first, after: $after) {
    pageInfo { hasNextPage endCursor }
    edges { cursor node { id at kind readerEmail readerPortal applicationId postingId
      documentId } }
  }
}"""

PROFILE = """id displayName email phoneNumber nameKana birthDate prefecture city desiredJob
  published"""

PROFILE_UPDATE = f"""mutation ($input: SeekerProfileUpdateInput!) {{
  seekerProfileUpdate(input: $input) {{
    seekerProfile {{ {PROFILE} }}
    errors {{ field code message }}
  }}
}}"""

MY_PROFILE = f"{{ seekerProfile {{ {PROFILE} }} }}"

SEND = """mutation ($input: MessageSendInput!) {
  messageSend(input: $input) { message { id } errors { field code message } }
}"""

TARO = {
    "name": "求職 太郎",
    "kana": "キュウショク タロウ",
    "age": 36,
    "prefecture": "東京都",
    "city": "文京区",
    "phone": "090-1234-5678",
    "email": "taro@example.jp",
    "hasMyPage": True,
}
"""The person behind `seeker` as the establishment and its office see him on START."""

WALK_IN = {
    "name": "窓口 花子",
    "kana": "マドグチ ハナコ",
    "age": 42,
    "phone": "03-5800-8609",
    "email": "Hanako@Example.jp",
    "prefecture": "東京都",
    "city": "新宿区",
}
"""A person without a My Page, as staff enter her at the counter."""


@pytest.fixture
async def seeker(seeker: Seeker) -> Seeker:
    """With a whole profile: kana, birth date (36 on START) and address too."""
    await sf.update_profile(
        seeker.client,
        nameKana=TARO["kana"],
        birthDate="1990-11-25",
        prefecture="東京都",
        city="文京区",
    )
    return seeker


def _pk(global_id: str, type_name: str = "Application") -> int:
    return decode_id(global_id, type_name, "id")


async def _node(client: GraphQLClient, application_id: str) -> dict[str, Any] | None:
    data = await client.execute(NODE, {"id": application_id})
    node: dict[str, Any] | None = data["node"] or None
    return node


async def _person(client: GraphQLClient, application_id: str) -> dict[str, Any] | None:
    node = await _node(client, application_id)
    assert node is not None
    person: dict[str, Any] | None = node["person"]
    return person


async def _reads() -> list[tuple[int, int | None, PersonalDataKind]]:
    """Every recorded read: (reader, application, kind), oldest first."""
    return [
        (row.reader_id, row.application_id, row.kind)
        for row in await PersonalDataAccess.all().order_by("id")
    ]


def walk_in_referral(posting_id: str, **walk_in: Any) -> dict[str, Any]:
    """The input of a referral of a walk-in (`WALK_IN` with `walk_in` over it)."""
    return {
        "postingId": posting_id,
        "referralLetterNumber": "13010-2026-0100",
        "note": "電話連絡を希望",
        "walkIn": {**WALK_IN, **walk_in},
    }


async def refer_walk_in(staff: GraphQLClient, posting_id: str, **walk_in: Any) -> dict[str, Any]:
    """A referral of a walk-in that must succeed; the application."""
    payload = await sf.mutate(
        staff, REFERRAL, "referralCreate", walk_in_referral(posting_id, **walk_in)
    )
    assert payload["errors"] == [], payload
    application: dict[str, Any] = payload["application"]
    return application


async def _apply(
    client: GraphQLClient, posting_id: str, motivation: str | None = None
) -> dict[str, Any]:
    input: dict[str, Any] = {"postingId": posting_id}
    if motivation is not None:
        input["motivation"] = motivation
    return await sf.mutate(client, CREATE, "applicationCreate", input)


# --- Who sees the person ----------------------------------------------------------------------


async def test_the_establishment_and_its_office_see_who_applied(
    server: Server,
    staff: GraphQLClient,
    employer: GraphQLClient,
    other_employer: GraphQLClient,
    seeker: Seeker,
    new_client: Any,
) -> None:
    posting = await flows.active_posting(employer, staff)
    payload = await _apply(seeker.client, posting["id"], "貴社の理念に共感しました。")
    assert payload["errors"] == []
    application_id = payload["application"]["id"]
    # The seeker's own answer has no person: not even theirs, and no read is recorded.
    assert payload["application"]["person"] is None
    assert payload["application"]["hasMyPage"] is True
    assert await _reads() == []

    data = await employer.execute(PAGE, {"first": 10})
    [node] = [edge["node"] for edge in data["applications"]["edges"]]
    assert node["person"] == TARO
    assert node["hasMyPage"] is True
    assert node["motivation"] == "貴社の理念に共感しました。"
    assert node["applicant"]["profileId"] == seeker.profile_id
    assert await _person(staff, application_id) == TARO

    # The seeker sees their application, without the person; the others do not see it at all.
    assert (await _node(seeker.client, application_id) or {})["person"] is None
    data = await seeker.client.execute(MINE)
    assert [edge["node"]["person"] for edge in data["myApplications"]["edges"]] == [None]
    assert await _node(other_employer, application_id) is None
    other_office = await new_staff(server, new_client(), "27010")
    assert await _node(other_office, application_id) is None

    employer_user = await user_of(server, employer)
    staff_user = await user_of(server, staff)
    pk = _pk(application_id)
    kind = PersonalDataKind.CONTACT
    assert await _reads() == [(employer_user.id, pk, kind), (staff_user.id, pk, kind)]

    # The reading itself refuses them too, whatever path leads to the application.
    for client in (other_employer, other_office, seeker.client):
        viewer = await accounts.viewer_for_token(server.rt, client.token)
        assert await applicants.read_persons(server.rt, viewer, [pk]) == [None]
    assert len(await _reads()) == 2


async def test_a_referred_seeker_is_seen_as_their_profile_says(
    server: Server, staff: GraphQLClient, employer: GraphQLClient, seeker: Seeker
) -> None:
    posting = await flows.active_posting(employer, staff, acceptsOnlineApplications=False)
    payload = await sf.mutate(
        staff,
        REFERRAL,
        "referralCreate",
        {
            "postingId": posting["id"],
            "seekerId": seeker.profile_id,
            "referralLetterNumber": "13010-2026-0001",
        },
    )
    assert payload["errors"] == []
    application = payload["application"]
    assert application["person"] == TARO
    assert (application["hasMyPage"], application["motivation"]) == (True, "")
    # The employer sees the profile as it is now: the seeker keeps it up to date.
    await sf.update_profile(seeker.client, phoneNumber="03-1111-2222", city="台東区")
    person = await _person(employer, application["id"])
    assert person == {**TARO, "phone": "03-1111-2222", "city": "台東区"}


async def test_seeker_search_stays_anonymised(
    server: Server, staff: GraphQLClient, employer: GraphQLClient, seeker: Seeker
) -> None:
    await flows.active_posting(employer, staff)
    search = """{ seekerSearch(first: 20) { edges { node { profileId desiredJob } } } }"""
    response = await employer.post(search)
    assert response.json()["data"]["seekerSearch"]["edges"][0]["node"]["profileId"] == (
        seeker.profile_id
    )
    profile = """query ($id: ID!) { node(id: $id) { ... on SeekerProfile { nameKana city
      birthDate prefecture } } }"""
    responses = [response, await employer.post(profile, {"id": seeker.profile_id})]
    for response in responses:
        assert response.status_code == 200
        for secret in ("キュウショク", "文京区", "1990-11-25", "taro@example.jp", "求職 太郎"):
            assert secret not in response.text, (secret, response.text)
    assert await _reads() == []


async def test_the_person_comes_live_to_the_establishment_only(
    server: Server, staff: GraphQLClient, employer: GraphQLClient, seeker: Seeker
) -> None:
    posting = await flows.active_posting(employer, staff)
    application = await sf.apply(seeker.client, posting["id"])
    changed = f"""subscription ($after: String) {{
      applicationStatusChanged(after: $after) {{ toStatus application {{ id {PERSON} }} }}
    }}"""
    latest = await Event.all().order_by("-id").first()
    after = {"after": event_cursor(latest.id if latest else 0)}
    assert employer.token is not None
    assert seeker.client.token is not None
    async with (
        GraphQLWebSocket.connected(server.url, employer.token) as theirs,
        GraphQLWebSocket.connected(server.url, seeker.client.token) as mine,
    ):
        employer_op = await theirs.subscribe(changed, after)
        seeker_op = await mine.subscribe(changed, after)
        payload = await sf.move(employer, application["id"], "SCREENING")
        assert payload["errors"] == []
        to_employer = (await theirs.next(employer_op))["applicationStatusChanged"]
        to_seeker = (await mine.next(seeker_op))["applicationStatusChanged"]
    assert to_seeker["application"]["person"] is None
    assert to_employer["application"]["person"] == TARO
    employer_user = await user_of(server, employer)
    assert await _reads() == [(employer_user.id, _pk(application["id"]), PersonalDataKind.CONTACT)]


# --- The record of reads ----------------------------------------------------------------------


async def test_every_read_is_recorded_once_per_application_and_request(
    server: Server, staff: GraphQLClient, employer: GraphQLClient
) -> None:
    posting = await flows.active_posting(employer, staff)
    ids = await sf.seed_applicants(server, posting["id"], ["APPLIED", "SCREENING", "INTERVIEW"])
    employer_user = await user_of(server, employer)
    establishment_id = employer_user.establishment_id

    # Asked for twice in one request (aliases, and a node besides the page): one read each.
    twice = f"""query ($id: ID!) {{
      a: applications(first: 10) {{ edges {{ node {{ id {PERSON} }} }} }}
      b: applications(first: 10) {{ edges {{ node {{ id {PERSON} }} }} }}
      c: node(id: $id) {{ ... on Application {{ {PERSON} }} }}
    }}"""
    data = await employer.execute(twice, {"id": ids[0]})
    seeded = [edge["node"]["person"] for edge in data["a"]["edges"]]
    assert len(seeded) == 3
    # A seeded seeker gave no kana, birth date or address: empty, and no age.
    assert all(p["kana"] == "" and p["age"] is None and p["city"] == "" for p in seeded)
    assert all(p["email"].startswith("seeded") and p["hasMyPage"] for p in seeded)
    rows = await PersonalDataAccess.all().order_by("id")
    assert sorted(row.application_id for row in rows) == sorted(_pk(i) for i in ids)
    office_id = (await user_of(server, staff)).office_id
    for row in rows:
        assert row.reader_id == employer_user.id
        assert row.kind is PersonalDataKind.CONTACT
        assert (row.office_id, row.establishment_id) == (office_id, establishment_id)
        assert row.at == START
        assert row.posting_id is None
        assert row.document_id is None

    # Nothing is recorded when the person is not asked for.
    await employer.execute("{ applications(first: 10) { edges { node { id status } } } }")
    assert await PersonalDataAccess.all().count() == 3
    # A new request is a new read.
    await employer.execute(PAGE, {"first": 10})
    assert await PersonalDataAccess.all().count() == 6

    # The record is append-only: the database refuses to change a row.
    before = await _reads()
    with pytest.raises((BaseORMException, PostgresError), match="append-only"):
        await PersonalDataAccess.filter(id=rows[0].id).update(reader_id=0)
    assert await _reads() == before


async def test_the_reads_are_batched(
    server: Server, staff: GraphQLClient, employer: GraphQLClient
) -> None:
    posting = await flows.active_posting(employer, staff)
    await sf.seed_applicants(server, posting["id"], ["APPLIED"] * 25)
    query = f"""query ($first: Int!) {{
      applications(first: $first) {{ edges {{ node {{ id {PERSON} }} }} }} }}"""
    with counting_queries() as small:
        await employer.execute(query, {"first": 2})
    with counting_queries() as large:
        data = await employer.execute(query, {"first": 25})
    assert len(data["applications"]["edges"]) == 25
    assert small, "no statements were seen"
    assert len(large) == len(small), (small, large)
    assert await PersonalDataAccess.all().count() == 27


async def test_staff_read_the_record_of_their_office(
    server: Server,
    staff: GraphQLClient,
    employer: GraphQLClient,
    seeker: Seeker,
    new_client: Any,
) -> None:
    posting = await flows.active_posting(employer, staff)
    first, second = await sf.seed_applicants(server, posting["id"], ["APPLIED", "APPLIED"])
    await _person(employer, first)
    server.clock.set(START + dt.timedelta(minutes=1))
    await _person(staff, first)
    server.clock.set(START + dt.timedelta(minutes=2))
    await _person(employer, second)

    data = await staff.execute(LOG, {"first": 10})
    nodes = [edge["node"] for edge in data["personalDataAccessLog"]["edges"]]
    # Newest first; the reading of the record is no read of personal data itself.
    assert [(n["readerEmail"], n["readerPortal"], n["applicationId"]) for n in nodes] == [
        (EMPLOYER_EMAIL, "EMPLOYER", second),
        ("staff13010@example.jp", "STAFF", first),
        (EMPLOYER_EMAIL, "EMPLOYER", first),
    ]
    assert {n["kind"] for n in nodes} == {"CONTACT"}
    assert [dt.datetime.fromisoformat(n["at"]) for n in nodes] == [
        START + dt.timedelta(minutes=2),
        START + dt.timedelta(minutes=1),
        START,
    ]
    assert all(n["postingId"] is None and n["documentId"] is None for n in nodes)

    data = await staff.execute(LOG, {"first": 10, "applicationId": first})
    assert [e["node"]["id"] for e in data["personalDataAccessLog"]["edges"]] == [
        n["id"] for n in nodes[1:]
    ]
    # Paged.
    data = await staff.execute(LOG, {"first": 2})
    page = data["personalDataAccessLog"]
    assert page["pageInfo"]["hasNextPage"] is True
    assert [e["node"]["id"] for e in page["edges"]] == [n["id"] for n in nodes[:2]]
    data = await staff.execute(LOG, {"first": 2, "after": page["pageInfo"]["endCursor"]})
    page = data["personalDataAccessLog"]
    assert page["pageInfo"]["hasNextPage"] is False
    assert [e["node"]["id"] for e in page["edges"]] == [nodes[2]["id"]]

    other_office = await new_staff(server, new_client(), "27010")
    data = await other_office.execute(LOG, {"first": 10})
    assert data["personalDataAccessLog"]["edges"] == []
    data = await other_office.execute(LOG, {"first": 10, "applicationId": first})
    assert data["personalDataAccessLog"]["edges"] == []
    for client in (employer, seeker.client):
        response = await client.post(LOG, {"first": 10})
        assert flows.top_level_codes(response) == ["FORBIDDEN"]
    response = await new_client().post(LOG, {"first": 10})
    assert flows.top_level_codes(response) == ["UNAUTHENTICATED"]
    response = await staff.post(LOG, {"first": 101})
    assert flows.top_level_codes(response) == ["BAD_USER_INPUT"]


READ = """query ($ids: [ID!]!) { nodes(ids: $ids) { ... on PersonalDataAccess { id kind
  applicationId } } }"""


async def test_a_read_past_the_32_bit_ids_is_still_a_node(
    server: Server, staff: GraphQLClient, employer: GraphQLClient, seeker: Seeker
) -> None:
    """The record's ids are `bigint`: its global IDs are read up to 2**63 - 1, as its cursors."""
    posting = await flows.active_posting(employer, staff)
    (application,) = await sf.seed_applicants(server, posting["id"], ["APPLIED"])
    await _person(staff, application)
    row = await PersonalDataAccess.all().order_by("-id").first()
    assert row is not None
    fields = ("at", "reader_id", "office_id", "establishment_id", "application_id", "kind")
    far = await PersonalDataAccess.create(
        id=2**31 + 7, **{name: getattr(row, name) for name in fields}
    )
    ids = [relay.to_base64("PersonalDataAccess", n) for n in (row.id, far.id, 2**63 - 1, 2**63)]
    data = await staff.execute(READ, {"ids": ids})
    assert data["nodes"] == [
        {"id": ids[0], "kind": "CONTACT", "applicationId": application},
        {"id": ids[1], "kind": "CONTACT", "applicationId": application},
        None,
        None,
    ]
    data = await staff.execute(LOG, {"first": 1})
    assert data["personalDataAccessLog"]["edges"][0]["node"]["id"] == ids[1]


# --- The seeker's profile: kana, birth date, address; the age ---------------------------------


async def _update(client: GraphQLClient, **fields: Any) -> dict[str, Any]:
    return await sf.mutate(
        client, PROFILE_UPDATE, "seekerProfileUpdate", sf.profile_input(**fields)
    )


async def test_the_seeker_keeps_kana_birth_date_and_address(seeker: Seeker) -> None:
    client = seeker.client
    profile = (await client.execute(MY_PROFILE))["seekerProfile"]
    assert (profile["nameKana"], profile["birthDate"]) == (TARO["kana"], "1990-11-25")
    assert (profile["prefecture"], profile["city"]) == ("東京都", "文京区")
    # Null keeps each of them.
    payload = await _update(client, desiredJob="看護助手")
    assert payload["errors"] == []
    kept = payload["seekerProfile"]
    assert (kept["nameKana"], kept["birthDate"], kept["prefecture"], kept["city"]) == (
        TARO["kana"],
        "1990-11-25",
        "東京都",
        "文京区",
    )
    assert kept["desiredJob"] == "看護助手"

    def codes(payload: dict[str, Any]) -> list[tuple[str, str]]:
        return [(error["field"], error["code"]) for error in payload["errors"]]

    today = START.astimezone(TOKYO).date()
    refused = [
        ({"nameKana": "きゅうしょく たろう"}, ("nameKana", "INVALID_FORMAT")),
        ({"nameKana": "ア" * 51}, ("nameKana", "TOO_LONG")),
        ({"prefecture": "東京"}, ("prefecture", "INVALID_FORMAT")),
        ({"city": "区" * 51}, ("city", "TOO_LONG")),
        ({"birthDate": (today + dt.timedelta(days=1)).isoformat()}, ("birthDate", "OUT_OF_RANGE")),
        ({"birthDate": "1905-12-31"}, ("birthDate", "OUT_OF_RANGE")),
    ]
    for fields, error in refused:
        payload = await _update(client, **fields)
        assert codes(payload) == [error], fields
    assert (await client.execute(MY_PROFILE))["seekerProfile"] == kept

    accepted = [
        {"nameKana": "ア" * 50},
        {"city": "区" * 50},
        {"prefecture": "北海道"},
        {"birthDate": today.isoformat()},
        {"birthDate": "1906-01-01"},
    ]
    for fields in accepted:
        payload = await _update(client, **fields)
        assert payload["errors"] == [], fields
        [(name, value)] = fields.items()
        assert payload["seekerProfile"][name] == value
    # Empty clears the text ones.
    payload = await _update(client, nameKana="", prefecture="", city="")
    assert payload["errors"] == []
    cleared = payload["seekerProfile"]
    assert (cleared["nameKana"], cleared["prefecture"], cleared["city"]) == ("", "", "")
    assert cleared["birthDate"] == "1906-01-01"


async def test_the_age_turns_on_the_tokyo_birthday(
    server: Server, staff: GraphQLClient, employer: GraphQLClient, seeker: Seeker
) -> None:
    posting = await flows.active_posting(employer, staff)
    application = await sf.apply(seeker.client, posting["id"])

    async def age_at(moment: dt.datetime) -> int | None:
        server.clock.set(moment)
        await reopen_session(server, employer)
        person = await _person(employer, application["id"])
        assert person is not None
        age: int | None = person["age"]
        return age

    # Born 1990-11-25: the birthday begins at midnight in Tokyo, 15:00 UTC the day before.
    assert await age_at(dt.datetime(2026, 11, 24, 12, 0, tzinfo=TOKYO)) == 35
    assert await age_at(dt.datetime(2026, 11, 24, 14, 59, 59, tzinfo=dt.UTC)) == 35
    assert await age_at(dt.datetime(2026, 11, 24, 15, 0, tzinfo=dt.UTC)) == 36
    assert await age_at(dt.datetime(2026, 11, 25, 12, 0, tzinfo=TOKYO)) == 36


async def test_a_birthday_on_29_february(
    server: Server, staff: GraphQLClient, employer: GraphQLClient, seeker: Seeker
) -> None:
    await sf.update_profile(seeker.client, birthDate="2000-02-29")
    posting = await flows.active_posting(employer, staff)
    application = await sf.apply(seeker.client, posting["id"])
    walk_in = await refer_walk_in(staff, posting["id"])

    async def ages_on(day: dt.date) -> tuple[int | None, int | None]:
        server.clock.set(dt.datetime.combine(day, dt.time(12, 0), tzinfo=TOKYO))
        await reopen_session(server, employer)
        mine = await _person(employer, application["id"])
        theirs = await _person(employer, walk_in["id"])
        assert mine is not None
        assert theirs is not None
        return mine["age"], theirs["age"]

    # In a common year the birthday counts from 1 March; in a leap year on the day itself. A
    # walk-in's age stays as staff entered it.
    assert await ages_on(dt.date(2027, 2, 28)) == (26, 42)
    assert await ages_on(dt.date(2027, 3, 1)) == (27, 42)
    assert await ages_on(dt.date(2028, 2, 28)) == (27, 42)
    assert await ages_on(dt.date(2028, 2, 29)) == (28, 42)


# --- 志望動機 -------------------------------------------------------------------------------


async def test_motivation_is_at_most_1000_characters(
    server: Server, staff: GraphQLClient, employer: GraphQLClient, seeker: Seeker
) -> None:
    posting = await flows.active_posting(employer, staff)
    payload = await _apply(seeker.client, posting["id"], "志" * 1001)
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("motivation", "TOO_LONG")]
    assert payload["application"] is None
    assert await Application.all().count() == 0

    payload = await _apply(seeker.client, posting["id"], "志" * 1000)
    assert payload["errors"] == []
    assert payload["application"]["motivation"] == "志" * 1000
    node = await _node(employer, payload["application"]["id"])
    assert node is not None
    assert node["motivation"] == "志" * 1000
    assert await Application.all().count() == 1

    # Without one: empty.
    other = await flows.active_posting(employer, staff)
    payload = await _apply(seeker.client, other["id"])
    assert (payload["errors"], payload["application"]["motivation"]) == ([], "")


# --- Walk-ins: referred at the counter without a My Page --------------------------------------


async def test_a_walk_in_is_an_applicant_without_messages(
    server: Server, staff: GraphQLClient, employer: GraphQLClient
) -> None:
    posting = await flows.active_posting(employer, staff, acceptsOnlineApplications=False)
    application = await refer_walk_in(staff, posting["id"])
    person = {**WALK_IN, "email": "hanako@example.jp", "hasMyPage": False}
    assert application["person"] == person
    assert (application["hasMyPage"], application["applicant"]) == (False, None)
    assert (application["source"], application["status"]) == ("REFERRAL", "APPLIED")
    assert application["referralLetterNumber"] == "13010-2026-0100"
    assert application["referralNote"] == "電話連絡を希望"
    assert (await Application.get(id=_pk(application["id"]))).seeker_id is None

    # In the list like any other applicant.
    [seeded] = await sf.seed_applicants(server, posting["id"], ["APPLIED"])
    data = await employer.execute(PAGE, {"first": 10, "postingId": posting["id"]})
    nodes = {edge["node"]["id"]: edge["node"] for edge in data["applications"]["edges"]}
    assert set(nodes) == {application["id"], seeded}
    assert nodes[application["id"]]["person"] == person
    assert nodes[application["id"]]["hasMyPage"] is False
    assert nodes[seeded]["hasMyPage"] is True

    # A second walk-in to the same posting is another applicant.
    second = await refer_walk_in(staff, posting["id"], name="窓口 次郎", kana="マドグチ ジロウ")
    assert second["id"] != application["id"]

    # No messages: the establishment contacts them by phone or mail.
    payload = await sf.mutate(
        employer,
        SEND,
        "messageSend",
        {"applicationId": application["id"], "body": "面接のご案内です。"},
    )
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [
        ("applicationId", "NO_RELATION")
    ]
    assert await MessageThread.all().count() == 0

    # Their name and contact are in no audit detail and no notice mail.
    events = await AuditEvent.filter(action=AuditAction.REFERRAL_CREATED)
    assert len(events) == 2
    for event in events:
        detail = json.dumps(event.detail, ensure_ascii=False)
        for secret in ("窓口", "マドグチ", "03-5800-8609", "hanako", "新宿区"):
            assert secret not in detail, detail
    mails = await server.mails_to(EMPLOYER_EMAIL)
    assert mails, "no notice of the referrals"
    for mail in mails:
        body = mail_body(mail)
        assert "窓口" not in body
        assert "03-5800-8609" not in body


async def test_the_walk_in_form_at_its_boundaries(
    server: Server, staff: GraphQLClient, employer: GraphQLClient, new_client: Any
) -> None:
    posting = await flows.active_posting(employer, staff, acceptsOnlineApplications=False)
    cases: list[tuple[dict[str, Any], tuple[str, str] | None]] = [
        ({"name": "名" * 50}, None),
        ({"name": "名" * 51}, ("walkIn.name", "TOO_LONG")),
        ({"name": ""}, ("walkIn.name", "REQUIRED")),
        ({"name": "　"}, ("walkIn.name", "REQUIRED")),
        ({"kana": "ナ" * 50}, None),
        ({"kana": "ナ" * 51}, ("walkIn.kana", "TOO_LONG")),
        ({"kana": "まどぐち はなこ"}, ("walkIn.kana", "INVALID_FORMAT")),
        ({"kana": "Madoguchi"}, ("walkIn.kana", "INVALID_FORMAT")),
        ({"kana": ""}, ("walkIn.kana", "REQUIRED")),
        ({"age": 14}, ("walkIn.age", "OUT_OF_RANGE")),
        ({"age": 15}, None),
        ({"age": 99}, None),
        ({"age": 100}, ("walkIn.age", "OUT_OF_RANGE")),
        ({"phone": "", "email": ""}, ("walkIn.phone", "REQUIRED")),
        ({"phone": " ", "email": " "}, ("walkIn.phone", "REQUIRED")),
        ({"phone": ""}, None),
        ({"email": ""}, None),
        ({"phone": "0358008609"}, ("walkIn.phone", "INVALID_FORMAT")),
        ({"prefecture": "東京"}, ("walkIn.prefecture", "INVALID_FORMAT")),
        ({"prefecture": "Tokyo"}, ("walkIn.prefecture", "INVALID_FORMAT")),
        ({"prefecture": "沖縄県"}, None),
        ({"prefecture": ""}, None),
        ({"city": "市" * 50}, None),
        ({"city": "市" * 51}, ("walkIn.city", "TOO_LONG")),
    ]
    accepted = 0
    for walk_in, error in cases:
        payload = await sf.mutate(
            staff, REFERRAL, "referralCreate", walk_in_referral(posting["id"], **walk_in)
        )
        if error is None:
            assert payload["errors"] == [], (walk_in, payload)
            accepted += 1
            person = payload["application"]["person"]
            for key, value in walk_in.items():
                assert person[key] == value, (key, person)
        else:
            assert [(e["field"], e["code"]) for e in payload["errors"]] == [error], walk_in
            assert payload["application"] is None
        assert await Application.all().count() == accepted, walk_in

    # Exactly one of a seeker with a My Page and a walk-in.
    seeker = await new_seeker(server, new_client(), "jiro@example.jp", "求職 次郎")
    both = {**walk_in_referral(posting["id"]), "seekerId": seeker.profile_id}
    neither = {key: value for key, value in both.items() if key not in ("seekerId", "walkIn")}
    for input in (both, neither):
        payload = await sf.mutate(staff, REFERRAL, "referralCreate", input)
        assert [(e["field"], e["code"]) for e in payload["errors"]] == [("seekerId", "REQUIRED")]
    assert await Application.all().count() == accepted

    # Staff of another office cannot refer to the posting; employers cannot refer at all.
    other_office = await new_staff(server, new_client(), "27010")
    response = await other_office.post(REFERRAL, {"input": walk_in_referral(posting["id"])})
    assert flows.not_found_for_another_office(response, "referralCreate")
    response = await employer.post(REFERRAL, {"input": walk_in_referral(posting["id"])})
    assert flows.top_level_codes(response) == ["FORBIDDEN"]
    assert await Application.all().count() == accepted
    assert not await SeekerProfile.filter(display_name="窓口 花子").exists()


async def test_a_walk_in_email_in_a_wrong_shape_is_refused(
    staff: GraphQLClient, employer: GraphQLClient
) -> None:
    posting = await flows.active_posting(employer, staff, acceptsOnlineApplications=False)
    for email, code in [
        ("hanako-at-example.jp", "INVALID_FORMAT"),
        ("ｈａｎａｋｏ@example.jp", "NOT_HALF_WIDTH"),
    ]:
        response = await staff.post(
            REFERRAL, {"input": walk_in_referral(posting["id"], email=email)}
        )
        assert flows.top_level_codes(response) == [], response.text
        payload = response.json()["data"]["referralCreate"]
        assert [(e["field"], e["code"]) for e in payload["errors"]] == [("walkIn.email", code)]
    assert await Application.all().count() == 0
