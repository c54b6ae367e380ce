"""The office's establishments (事業所検索): staff find those of their office by number, name,
kana or phone, page through them, and read each one's postings, applicants, logins and review
history; nobody else sees any of it."""

from __future__ import annotations

from typing import Any

import pytest
from strawberry import relay

from app.models import Posting
from app.resolvers import accounts, establishments
from app.schema.nodes import decode_id
from tests import flows, login_flows
from tests import seeker_flows as sf
from tests.conftest import (
    GraphQLClient,
    Server,
    new_employer_of,
    new_place,
    new_seeker,
    new_staff,
    user_of,
)
from tests.test_establishment_settings import profile, review, update
from tests.test_posting_queries import counting_queries

LIST = """
query ($search: String, $first: Int!, $after: String) {
  establishments(search: $search, first: $first, after: $after) {
    pageInfo { hasNextPage endCursor }
    edges { cursor node { id establishmentNumber name nameKana phoneNumber } }
  }
}"""

COUNTED = """
query ($search: String, $first: Int!) {
  establishments(search: $search, first: $first) { totalCount edges { node { name } } }
}"""

RECORDS = """
postings(first: 20) { totalCount edges { node { id status } } }
applications(first: 20) { totalCount edges { node { id status } } }
logins { id email createdAt lastLoginAt lockedUntil locked }
reviewHistory(first: 20) {
  totalCount edges { node { at action reason by byViewer posting { id } } }
}"""

NESTED = f"""
query ($search: String) {{
  establishments(search: $search, first: 20) {{ edges {{ node {{ name {RECORDS} }} }} }}
}}"""

NODE = f"""query ($id: ID!) {{ node(id: $id) {{ ... on Establishment {{ name {RECORDS} }} }} }}"""

MINE = f"{{ viewer {{ establishment {{ name {RECORDS} }} }} }}"


async def register(
    server: Server, staff: GraphQLClient, number: str, name: str, kana: str, phone: str
) -> str:
    """An establishment registered by `staff` under their office; its global ID."""
    viewer = await accounts.viewer_for_token(server.rt, staff.token)
    establishment = await establishments.register_establishment(
        server.rt,
        viewer,
        establishment_number=number,
        name=name,
        name_kana=kana,
        phone_number=phone,
        postal_code="112-8577",
        address="東京都文京区後楽1-9-20",
    )
    return relay.to_base64("Establishment", establishment.id)


async def office_of_three(server: Server, staff: GraphQLClient) -> dict[str, str]:
    """Three establishments of the staff's office, by name: their global IDs."""
    return {
        "白山製作所": await register(
            server, staff, "1301-123456-7", "白山製作所", "ハクサンセイサクショ", "03-3812-0001"
        ),
        "ABC商事": await register(
            server, staff, "1301-654321-0", "ABC商事", "エービーシーショウジ", "045-123-4567"
        ),
        "飯田橋ケア": await register(
            server, staff, "1302-023456-1", "飯田橋ケア", "イイダバシケア", "03-9999-0001"
        ),
    }


async def names(client: GraphQLClient, search: str | None, first: int = 20) -> list[str]:
    data = await client.execute(LIST, {"search": search, "first": first})
    return [edge["node"]["name"] for edge in data["establishments"]["edges"]]


@pytest.fixture
async def staff_a(server: Server, new_client: Any) -> GraphQLClient:
    return await new_staff(server, new_client(), "13010")


# --- Search -------------------------------------------------------------------------------


async def test_by_number_with_or_without_hyphens(server: Server, staff_a: GraphQLClient) -> None:
    await office_of_three(server, staff_a)
    # Kana order: エービーシー, ハクサン (イイダバシ is 1302-).
    assert await names(staff_a, "1301") == ["ABC商事", "白山製作所"]
    for search in ("1301-12", "130112", "1301-123456", "1301123456", "13011234567"):
        assert await names(staff_a, search) == ["白山製作所"], search
    assert await names(staff_a, "1301-123456-7") == ["白山製作所"]
    # Full-width digits and hyphen, spaces around.
    assert await names(staff_a, " １３０１－１２ ") == ["白山製作所"]
    # A whole number with its middle part unpadded is the padded one.
    assert await names(staff_a, "1302-23456-1") == ["飯田橋ケア"]
    # Not a start of the number: the middle digits alone find nothing.
    assert await names(staff_a, "654321-0") == []


async def test_by_name_or_kana(server: Server, staff_a: GraphQLClient) -> None:
    await office_of_three(server, staff_a)
    assert await names(staff_a, "製作") == ["白山製作所"]
    assert await names(staff_a, "ＡＢＣ") == ["ABC商事"]  # full-width finds half-width
    assert await names(staff_a, "abc") == ["ABC商事"]  # any case
    assert await names(staff_a, "セイサク") == ["白山製作所"]
    assert await names(staff_a, "せいさく") == ["白山製作所"]  # hiragana finds the kana
    assert await names(staff_a, "ｾｲｻｸ") == ["白山製作所"]  # half-width katakana too
    assert await names(staff_a, "ケア") == ["飯田橋ケア"]
    # LIKE's wildcards are plain characters.
    assert await names(staff_a, "%") == []
    assert await names(staff_a, "_") == []


async def test_by_phone_digits(server: Server, staff_a: GraphQLClient) -> None:
    await office_of_three(server, staff_a)
    assert await names(staff_a, "0338120001") == ["白山製作所"]
    assert await names(staff_a, "03-3812-0001") == ["白山製作所"]
    assert await names(staff_a, "3812-0001") == ["白山製作所"]
    assert await names(staff_a, "1234567") == ["ABC商事"]
    assert await names(staff_a, "0001") == ["飯田橋ケア", "白山製作所"]


async def test_empty_search_lists_the_whole_office(server: Server, staff_a: GraphQLClient) -> None:
    await office_of_three(server, staff_a)
    everyone = ["飯田橋ケア", "ABC商事", "白山製作所"]
    assert await names(staff_a, None) == everyone
    assert await names(staff_a, "") == everyone
    assert await names(staff_a, "   ") == everyone
    assert await names(staff_a, "存在しない事業所") == []


async def test_other_offices_establishments_never_appear(
    server: Server, staff_a: GraphQLClient, new_client: Any
) -> None:
    await office_of_three(server, staff_a)
    staff_x = await new_staff(server, new_client(), "13020")
    await register(
        server,
        staff_x,
        "1302-111111-1",
        "白山製作所 北",
        "ハクサンセイサクショキタ",
        "03-1111-2222",
    )
    assert await names(staff_a, "白山") == ["白山製作所"]
    assert await names(staff_a, "1302-111111-1") == []
    assert await names(staff_a, "0311112222") == []
    assert await names(staff_a, None) == ["飯田橋ケア", "ABC商事", "白山製作所"]
    assert await names(staff_x, None) == ["白山製作所 北"]
    assert await names(staff_x, "1301") == []
    data = await staff_x.execute(COUNTED, {"search": None, "first": 0})
    assert data["establishments"]["totalCount"] == 1


async def test_total_count_follows_the_search_not_the_page(
    server: Server, staff_a: GraphQLClient
) -> None:
    await office_of_three(server, staff_a)
    data = await staff_a.execute(COUNTED, {"search": None, "first": 1})
    assert data["establishments"]["totalCount"] == 3
    assert len(data["establishments"]["edges"]) == 1
    data = await staff_a.execute(COUNTED, {"search": "1301", "first": 0})
    assert data["establishments"]["totalCount"] == 2
    assert data["establishments"]["edges"] == []
    data = await staff_a.execute(COUNTED, {"search": "ない", "first": 20})
    assert data["establishments"]["totalCount"] == 0


async def test_total_count_is_counted_only_when_asked(
    server: Server, staff_a: GraphQLClient
) -> None:
    await office_of_three(server, staff_a)
    with counting_queries() as without:
        await staff_a.execute(LIST, {"search": "1301", "first": 20})
    with counting_queries() as counted:
        await staff_a.execute(COUNTED, {"search": "1301", "first": 20})
    assert not any("COUNT(" in statement for statement in without), without
    assert sum("COUNT(" in statement for statement in counted) == 1, counted


async def test_pages_cover_the_list_once_in_kana_order(
    server: Server, staff_a: GraphQLClient
) -> None:
    kana = ["アオバ", "イロハ", "イロハ", "ウミ", "エキマエ", "オカ", "カワ"]
    for n, name_kana in enumerate(kana):
        await register(
            server, staff_a, f"1301-{n:06d}-1", f"事業所{n}", name_kana, f"03-0000-{n:04d}"
        )
    seen: list[tuple[str, str]] = []
    after = None
    pages = 0
    while True:
        data = await staff_a.execute(LIST, {"search": None, "first": 2, "after": after})
        page = data["establishments"]
        seen += [(e["node"]["nameKana"], e["node"]["id"]) for e in page["edges"]]
        pages += 1
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
        assert after == page["edges"][-1]["cursor"]
    assert pages == 4
    assert [k for k, _ in seen] == kana
    assert len({i for _, i in seen}) == len(kana)
    # The two of the same kana by id, across the page boundary.
    same = [decode_id(i, "Establishment", "id") for k, i in seen if k == "イロハ"]
    assert same == sorted(same)


async def test_page_size_search_length_and_cursor_limits(
    server: Server, staff_a: GraphQLClient
) -> None:
    await office_of_three(server, staff_a)
    assert len(await names(staff_a, None, first=100)) == 3
    response = await staff_a.post(LIST, {"search": None, "first": 101})
    assert flows.top_level_codes(response) == ["BAD_USER_INPUT"]
    response = await staff_a.post(LIST, {"search": None, "first": -1})
    assert flows.top_level_codes(response) == ["BAD_USER_INPUT"]
    assert await names(staff_a, "あ" * 100) == []
    response = await staff_a.post(LIST, {"search": "あ" * 101, "first": 20})
    assert flows.top_level_codes(response) == ["BAD_USER_INPUT"]
    assert "100文字以内" in response.json()["errors"][0]["message"]
    for cursor in ("nonsense", "cmV2aWV3OjE=", relay.to_base64("establishment", "zz:1")):
        response = await staff_a.post(LIST, {"search": None, "first": 2, "after": cursor})
        assert flows.top_level_codes(response) == ["BAD_USER_INPUT"], cursor


async def test_only_staff_may_list(server: Server, staff_a: GraphQLClient, new_client: Any) -> None:
    employer = await new_employer_of(server, staff_a, new_client())
    seeker = await new_seeker(server, new_client(), "taro@example.jp")
    response = await new_client().post(LIST, {"first": 20})
    assert flows.top_level_codes(response) == ["UNAUTHENTICATED"]
    assert response.json()["data"] is None
    for client in (employer, seeker.client):
        response = await client.post(LIST, {"first": 20})
        assert flows.top_level_codes(response) == ["FORBIDDEN"]
        assert response.json()["data"] is None


# --- Each establishment's records ---------------------------------------------------------


async def test_postings_applicants_logins_and_review_history_for_staff(
    server: Server, new_client: Any
) -> None:
    place = await new_place(server, new_client)
    staff, owner = place.staff, place.owner
    staff_user = await user_of(server, staff)

    # An employer's draft is its own; one staff entered from paper is shown.
    own_draft = await flows.create_posting(owner)
    paper_draft = await flows.create_posting(owner)
    await Posting.filter(id=decode_id(paper_draft["id"], "Posting", "id")).update(
        entered_by_id=staff_user.id
    )
    server.clock.advance(minutes=1)
    active = await flows.active_posting(owner, staff)
    server.clock.advance(minutes=1)
    returned = await flows.create_posting(owner)
    await flows.submit_and_register(owner, staff, returned["id"])
    server.clock.advance(minutes=1)
    await flows.posting_step(staff, "postingReturn", {"id": returned["id"], "reason": "賃金を確認"})
    server.clock.advance(minutes=1)
    change = await update(owner, **profile())
    await review(staff, change["change"]["id"], approve=False, reason="所在地が違います")
    applied = await sf.seed_applicants(server, active["id"], ["APPLIED", "SCREENING"])

    anonymous = new_client()
    await login_flows.add_login(server, owner, anonymous, "second@care.example.jp")
    second = await login_flows.login_id(owner, "second@care.example.jp")
    removed = await login_flows.mutate(owner, "employerLoginRemove", userId=second)
    assert removed["errors"] == []

    data = await staff.execute(NODE, {"id": place.counter.establishment_id})
    found = data["node"]

    postings = found["postings"]
    assert [e["node"]["id"] for e in postings["edges"]] == [
        returned["id"],
        active["id"],
        paper_draft["id"],
    ]
    assert [e["node"]["status"] for e in postings["edges"]] == ["RETURNED", "ACTIVE", "DRAFT"]
    assert postings["totalCount"] == 3
    assert own_draft["id"] not in [e["node"]["id"] for e in postings["edges"]]

    filtered = """query ($id: ID!, $status: [PostingStatus!]) { node(id: $id) {
      ... on Establishment { postings(status: $status) { totalCount edges { node { id } } } } } }"""
    for status, expected in (
        (["ACTIVE", "DRAFT"], [active["id"], paper_draft["id"]]),
        (["DRAFT"], [paper_draft["id"]]),
        (["SUBMITTED"], []),
        ([], []),
    ):
        data = await staff.execute(
            filtered, {"id": place.counter.establishment_id, "status": status}
        )
        page = data["node"]["postings"]
        assert [e["node"]["id"] for e in page["edges"]] == expected, status
        assert page["totalCount"] == len(expected)

    applications = found["applications"]
    assert [e["node"]["id"] for e in applications["edges"]] == list(reversed(applied))
    assert applications["totalCount"] == 2

    logins = found["logins"]
    assert [login["email"] for login in logins] == [
        "hr@care.example.jp",
        "second@care.example.jp",
    ]
    assert all(
        set(login) == {"id", "email", "createdAt", "lastLoginAt", "lockedUntil", "locked"}
        for login in logins
    )

    history = found["reviewHistory"]
    actions = [e["node"]["action"] for e in history["edges"]]
    assert actions[:2] == ["PROFILE_CHANGE_REJECTED", "POSTING_RETURNED"]
    assert "POSTING_ACCEPTED" in actions
    assert set(actions) <= {
        "PROFILE_CHANGE_REJECTED",
        "POSTING_RETURNED",
        "POSTING_ACCEPTED",
        "POSTING_COUNTER_CONFIRMED",
    }
    assert history["totalCount"] == len(actions)
    ats = [e["node"]["at"] for e in history["edges"]]
    assert ats == sorted(ats, reverse=True)
    first, second_entry = history["edges"][0]["node"], history["edges"][1]["node"]
    assert first["reason"] == "所在地が違います"
    assert first["posting"] is None
    assert second_entry["reason"] == "賃金を確認"
    assert second_entry["posting"] == {"id": returned["id"]}
    assert first["by"] == "s***@example.jp"
    assert "staff13010" not in str(history)
    assert all(e["node"]["byViewer"] for e in history["edges"])


async def test_review_history_pages_through_equal_moments_once(
    server: Server, new_client: Any
) -> None:
    place = await new_place(server, new_client)
    staff, owner = place.staff, place.owner
    # Everything at one moment (the clock does not move): the order falls to the tie-breaks.
    for _ in range(3):
        await flows.active_posting(owner, staff)
    change = await update(owner, **profile())
    await review(staff, change["change"]["id"], approve=True)
    query = """query ($id: ID!, $after: String) { node(id: $id) { ... on Establishment {
      reviewHistory(first: 1, after: $after) {
        totalCount pageInfo { hasNextPage endCursor } edges { node { action } } } } } }"""
    seen: list[str] = []
    after = None
    while True:
        data = await staff.execute(query, {"id": place.counter.establishment_id, "after": after})
        page = data["node"]["reviewHistory"]
        seen += [e["node"]["action"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert len(seen) == page["totalCount"]
    assert seen[0] == "PROFILE_CHANGE_APPROVED"
    assert seen.count("POSTING_ACCEPTED") == 3
    response = await staff.post(
        query, {"id": place.counter.establishment_id, "after": relay.to_base64("x", "y")}
    )
    assert flows.top_level_codes(response) == ["BAD_USER_INPUT"]


async def test_nested_lists_are_limited_to_100(server: Server, new_client: Any) -> None:
    place = await new_place(server, new_client)
    for field in ("postings", "applications", "reviewHistory"):
        for first, codes in ((100, []), (101, ["BAD_USER_INPUT"])):
            query = f"""query ($id: ID!) {{ node(id: $id) {{ ... on Establishment {{
              {field}(first: {first}) {{ totalCount }} }} }} }}"""
            response = await place.staff.post(query, {"id": place.counter.establishment_id})
            assert flows.top_level_codes(response) == codes, (field, first)


async def test_nobody_but_the_offices_staff_sees_the_records(
    server: Server, new_client: Any
) -> None:
    place = await new_place(server, new_client)
    await flows.active_posting(place.owner, place.staff)
    # The establishment's own employer: its profile, none of the staff's records.
    data = await place.owner.execute(MINE)
    mine = data["viewer"]["establishment"]
    assert mine["name"] == "ハローワークケア"
    assert {key: mine[key] for key in mine if key != "name"} == {
        "postings": None,
        "applications": None,
        "logins": None,
        "reviewHistory": None,
    }
    # Staff of another office: not even the establishment.
    staff_x = await new_staff(server, new_client(), "13020")
    data = await staff_x.execute(NODE, {"id": place.counter.establishment_id})
    assert data["node"] is None
    # The office's staff see them.
    data = await place.staff.execute(NODE, {"id": place.counter.establishment_id})
    assert data["node"]["logins"]
    assert data["node"]["postings"]["totalCount"] == 1


async def test_logins_of_a_whole_page_are_read_in_one_statement(
    server: Server, staff_a: GraphQLClient, new_client: Any
) -> None:
    query = """query ($first: Int!) { establishments(first: $first) {
      edges { node { logins { email } } } } }"""
    for n in range(6):
        await new_employer_of(
            server,
            staff_a,
            new_client(),
            f"1301-{n:06d}-1",
            f"03-0000-{n:04d}",
            f"hr{n}@example.jp",
        )
    with counting_queries() as small:
        data = await staff_a.execute(query, {"first": 2})
    assert len(data["establishments"]["edges"]) == 2
    with counting_queries() as large:
        data = await staff_a.execute(query, {"first": 6})
    assert [len(e["node"]["logins"]) for e in data["establishments"]["edges"]] == [1] * 6
    assert small, "no statements were seen"
    assert len(large) == len(small), (small, large)
    assert sum('FROM "USER"' in statement for statement in large) <= 2, large
