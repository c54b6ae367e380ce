"""The counter's lists page both ways and count: the office's establishments (kana order, ties
on the kana broken by id), an establishment's postings, applications and review history (merged
from several tables, ties on the moment broken by table and id), and the audit trail. And the
global IDs of the accounts' objects: `AuditEvent` (a Node for its office's staff), the login's
`OtpChallenge`, `Viewer`, `EmployerLoginInvitation`, `TermsDocument`, `MinimumWage` and the
review history's entries."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from strawberry import relay

from app.models import AuditAction, AuditEvent, OtpChallenge
from app.resolvers import audit
from tests import flows, login_flows
from tests import seeker_flows as sf
from tests.conftest import (
    EMPLOYER_EMAIL,
    EMPLOYER_PASSWORD,
    GraphQLClient,
    Place,
    Server,
    new_place,
    new_seeker,
    new_staff,
    user_of,
)
from tests.test_establishment_settings import profile, review, update
from tests.test_office_establishments import register

PAGE = "totalCount pageInfo { hasPreviousPage hasNextPage startCursor endCursor }"
ARGS = "first: $first, after: $after, last: $last, before: $before"
VARS = "$first: Int, $after: String, $last: Int, $before: String"

ESTABLISHMENTS = f"""query EstablishmentsPage({VARS}, $search: String) {{
  establishments({ARGS}, search: $search) {{ {PAGE} edges {{ cursor node {{ id nameKana }} }} }}
}}"""

NESTED_FIELDS = {
    "postings": "postings(ARGS, status: $status) { PAGE edges { cursor node { id } } }",
    "applications": "applications(ARGS) { PAGE edges { cursor node { id } } }",
    "reviewHistory": "reviewHistory(ARGS) { PAGE edges { cursor node { id at action } } }",
}


def nested(field: str) -> str:
    """The query of one list of an establishment."""
    selection = NESTED_FIELDS[field].replace("ARGS", ARGS).replace("PAGE", PAGE)
    variables = f"$id: ID!, {VARS}" + (", $status: [PostingStatus!]" if field == "postings" else "")
    name = field[0].upper() + field[1:]
    return f"""query Establishment{name}Page({variables}) {{
      node(id: $id) {{ ... on Establishment {{ {selection} }} }}
    }}"""


AUDIT = f"""query AuditPage({VARS}, $actions: [AuditAction!]) {{
  auditEvents({ARGS}, actions: $actions) {{
    {PAGE} edges {{ cursor node {{ id eventNumber action }} }}
  }}
}}"""

Fetch = Callable[..., Awaitable[dict[str, Any]]]


def _ids(page: dict[str, Any]) -> list[str]:
    return [edge["node"]["id"] for edge in page["edges"]]


async def _walk_both_ways(fetch: Fetch, expected: list[str], size: int = 2) -> None:
    """Forward by `size` from the start, then backward by `size` from the end: each way the
    pages hold `expected` once, in order, and say truly what lies on either side."""
    seen: list[str] = []
    after = None
    while True:
        page = await fetch(first=size, after=after)
        assert page["totalCount"] == len(expected)
        assert page["pageInfo"]["hasPreviousPage"] is (after is not None)
        seen += _ids(page)
        assert page["pageInfo"]["hasNextPage"] is (len(seen) < len(expected))
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == expected

    seen = []
    before = None
    while True:
        page = await fetch(last=size, before=before)
        assert page["pageInfo"]["hasNextPage"] is (before is not None)
        seen = _ids(page) + seen
        assert page["pageInfo"]["hasPreviousPage"] is (len(seen) < len(expected))
        if not page["pageInfo"]["hasPreviousPage"]:
            break
        before = page["pageInfo"]["startCursor"]
    assert seen == expected

    # Strictly between two cursors: all but the ends.
    whole = await fetch(first=len(expected))
    cursors = [edge["cursor"] for edge in whole["edges"]]
    between = await fetch(after=cursors[0], before=cursors[-1])
    assert _ids(between) == expected[1:-1]
    assert between["pageInfo"]["hasPreviousPage"] is True


async def _bad_before(client: GraphQLClient, query: str, variables: dict[str, Any]) -> None:
    for cursor in ("bm90LW91cnM=", "nonsense", relay.to_base64("x", "y")):
        response = await client.post(query, {**variables, "last": 1, "before": cursor})
        assert flows.top_level_codes(response) == ["BAD_USER_INPUT"], cursor
        assert "before" in response.json()["errors"][0]["message"]


# --- The office's establishments ------------------------------------------------------------


async def test_establishments_page_both_ways_in_kana_order_ties_by_id(
    server: Server, new_client: Any
) -> None:
    staff = await new_staff(server, new_client(), "13010")
    # Three share one kana: their order, across page boundaries, is their ids'.
    kana = ["イロハ", "アオバ", "イロハ", "ウミ", "イロハ", "エキマエ"]
    made = []
    for n, name_kana in enumerate(kana):
        made.append(
            (
                name_kana,
                n,
                await register(
                    server, staff, f"1301-{n:06d}-1", f"事業所{n}", name_kana, f"03-0000-{n:04d}"
                ),
            )
        )
    expected = [global_id for _, _, global_id in sorted(made)]
    # Another office's establishment is never part of the list nor of its count.
    staff_x = await new_staff(server, new_client(), "13020")
    await register(server, staff_x, "1302-000001-1", "他所", "アアア", "03-1111-0001")

    async def fetch(**variables: Any) -> dict[str, Any]:
        found: dict[str, Any] = (await staff.execute(ESTABLISHMENTS, variables))["establishments"]
        return found

    await _walk_both_ways(fetch, expected)
    await _walk_both_ways(fetch, expected, size=1)

    # The count follows the search, whichever way the page goes.
    found = await staff.execute(ESTABLISHMENTS, {"search": "イロハ", "last": 1})
    page = found["establishments"]
    assert page["totalCount"] == 3
    assert _ids(page) == [expected[3]]
    assert page["pageInfo"]["hasPreviousPage"] is True
    assert page["pageInfo"]["hasNextPage"] is False
    await _bad_before(staff, ESTABLISHMENTS, {})


# --- An establishment's records --------------------------------------------------------------


async def _nested(place: Place, field: str, **variables: Any) -> dict[str, Any]:
    data = await place.staff.execute(
        nested(field), {"id": place.counter.establishment_id, **variables}
    )
    found: dict[str, Any] = data["node"][field]
    return found


async def test_postings_and_applications_page_both_ways(server: Server, new_client: Any) -> None:
    place = await new_place(server, new_client)
    active = await flows.active_posting(place.owner, place.staff)
    drafts = [await flows.create_posting(place.owner) for _ in range(2)]
    submitted = []
    for _ in range(2):
        posting = await flows.create_posting(place.owner)
        await flows.posting_step(place.owner, "postingSubmit", {"id": posting["id"]})
        submitted.append(posting["id"])
    # The employer's own drafts are not the staff's to see.
    assert not {d["id"] for d in drafts} & {
        e["node"]["id"] for e in (await _nested(place, "postings", first=100))["edges"]
    }
    expected = list(reversed([active["id"], *submitted]))

    async def postings(**variables: Any) -> dict[str, Any]:
        return await _nested(place, "postings", **variables)

    await _walk_both_ways(postings, expected, size=1)
    # The count is the filter's, whichever way the page goes.
    page = await postings(last=1, status=["SUBMITTED"])
    assert page["totalCount"] == 2
    assert _ids(page) == [submitted[0]]
    assert page["pageInfo"]["hasPreviousPage"] is True

    applied = await sf.seed_applicants(
        server, active["id"], ["APPLIED", "SCREENING", "APPLIED", "APPLIED"]
    )

    async def applications(**variables: Any) -> dict[str, Any]:
        return await _nested(place, "applications", **variables)

    await _walk_both_ways(applications, list(reversed(applied)))
    for field in NESTED_FIELDS:
        await _bad_before(place.staff, nested(field), {"id": place.counter.establishment_id})


async def test_review_history_pages_both_ways_through_equal_moments(
    server: Server, new_client: Any
) -> None:
    place = await new_place(server, new_client)
    # Everything at one moment (the clock does not move): the order falls to the tie-breaks,
    # the table the entry comes from, then its id.
    for _ in range(2):
        await flows.active_posting(place.owner, place.staff)
    change = await update(place.owner, **profile())
    await review(place.staff, change["change"]["id"], approve=False, reason="所在地が違います")
    server.clock.advance(minutes=1)
    change = await update(place.owner, **profile())
    await review(place.staff, change["change"]["id"], approve=True)

    whole = await _nested(place, "reviewHistory", first=100)
    entries = [edge["node"] for edge in whole["edges"]]
    assert len(entries) >= 5
    assert entries[0]["action"] == "PROFILE_CHANGE_APPROVED"
    # At the one earlier moment, the profile change before the postings' decisions.
    assert entries[1]["action"] == "PROFILE_CHANGE_REJECTED"
    assert len({entry["at"] for entry in entries[1:]}) == 1
    assert [entry["at"] for entry in entries] == sorted(
        (entry["at"] for entry in entries), reverse=True
    )
    expected = [entry["id"] for entry in entries]
    assert len(set(expected)) == len(expected)

    async def history(**variables: Any) -> dict[str, Any]:
        return await _nested(place, "reviewHistory", **variables)

    await _walk_both_ways(history, expected, size=1)
    await _walk_both_ways(history, expected, size=2)
    # An entry's ID is the same however it is read.
    again = await history(last=2)
    assert _ids(again) == expected[-2:]


async def test_the_records_are_null_for_all_but_the_offices_staff(
    server: Server, new_client: Any
) -> None:
    place = await new_place(server, new_client)
    query = """query ($id: ID!) { node(id: $id) { ... on Establishment {
      postings(last: 1) { totalCount } applications(last: 1) { totalCount }
      reviewHistory(last: 1) { totalCount } } } }"""
    data = await place.owner.execute(query, {"id": place.counter.establishment_id})
    assert data["node"] == {"postings": None, "applications": None, "reviewHistory": None}


# --- The audit trail ------------------------------------------------------------------------


async def _audit_events(server: Server, staff: GraphQLClient, count: int) -> list[AuditEvent]:
    """`count` events of the staff's office, all at one moment, alternating two actions."""
    staff_user = await user_of(server, staff)
    actions = (AuditAction.LOGIN_FAILED, AuditAction.LOGOUT)
    return [await audit.record(server.rt, actions[n % 2], subject=staff_user) for n in range(count)]


async def test_audit_events_page_both_ways_and_count_with_the_filter(
    server: Server, new_client: Any
) -> None:
    staff = await new_staff(server, new_client(), "13010")
    await AuditEvent.all().delete()
    events = await _audit_events(server, staff, 5)
    staff_x = await new_staff(server, new_client(), "13020")
    await _audit_events(server, staff_x, 2)
    expected = [relay.to_base64("AuditEvent", event.id) for event in reversed(events)]

    async def fetch(**variables: Any) -> dict[str, Any]:
        found: dict[str, Any] = (await staff.execute(AUDIT, variables))["auditEvents"]
        return found

    await _walk_both_ways(fetch, expected)
    whole = await fetch(first=100)
    assert [e["node"]["eventNumber"] for e in whole["edges"]] == [
        str(event.id) for event in reversed(events)
    ]
    page = await fetch(last=2, actions=["LOGIN_FAILED"])
    assert page["totalCount"] == 3
    assert [e["node"]["action"] for e in page["edges"]] == ["LOGIN_FAILED", "LOGIN_FAILED"]
    assert _ids(page) == [expected[2], expected[4]]
    assert page["pageInfo"]["hasPreviousPage"] is True
    await _bad_before(staff, AUDIT, {})


NODE = """query ($id: ID!) { node(id: $id) { __typename id
  ... on AuditEvent { eventNumber action }
  ... on Viewer { email portal }
  ... on EmployerLoginInvitation { email }
  ... on TermsDocument { kind version }
  ... on MinimumWage { prefecture hourlyWage effectiveFrom }
} }"""


async def test_an_audit_event_is_a_node_for_its_offices_staff_only(
    server: Server, new_client: Any
) -> None:
    place = await new_place(server, new_client)
    (event,) = await _audit_events(server, place.staff, 1)
    global_id = relay.to_base64("AuditEvent", event.id)
    found = (await place.staff.execute(NODE, {"id": global_id}))["node"]
    assert found == {
        "__typename": "AuditEvent",
        "id": global_id,
        "eventNumber": str(event.id),
        "action": "LOGIN_FAILED",
    }
    staff_x = await new_staff(server, new_client(), "13020")
    seeker = await new_seeker(server, new_client(), "taro@example.jp")
    for other in (staff_x, place.owner, seeker.client, new_client()):
        assert (await other.execute(NODE, {"id": global_id}))["node"] is None
    # A number past the column's range, or not a number, names nothing.
    for node_id in (str(2**63), "0", "-1", "x"):
        data = await place.staff.execute(NODE, {"id": relay.to_base64("AuditEvent", node_id)})
        assert data["node"] is None, node_id


# --- The login's objects ----------------------------------------------------------------------


async def test_the_otp_challenge_has_a_global_id_that_logs_in(
    server: Server, new_client: Any
) -> None:
    await new_place(server, new_client)
    client = new_client()
    payload = await login_flows.try_login(client, EMPLOYER_EMAIL, EMPLOYER_PASSWORD)
    global_id = relay.GlobalID.from_id(payload["otpChallenge"]["id"])
    assert global_id.type_name == "OtpChallenge"
    assert await OtpChallenge.exists(id=uuid.UUID(global_id.node_id))
    # Not readable by `node`: only the login step hands it out.
    assert (await client.execute(NODE, {"id": payload["otpChallenge"]["id"]}))["node"] is None
    otp = await flows.otp_from_mail(server, EMPLOYER_EMAIL)
    data = await client.execute(
        flows.VERIFY_OTP, {"input": {"challengeId": payload["otpChallenge"]["id"], "otp": otp}}
    )
    assert data["loginVerifyOtp"]["errors"] == []
    assert data["loginVerifyOtp"]["session"]["token"]


async def test_the_challenges_uuid_alone_still_logs_in(server: Server, new_client: Any) -> None:
    await new_place(server, new_client)
    client = new_client()
    payload = await login_flows.try_login(client, EMPLOYER_EMAIL, EMPLOYER_PASSWORD)
    raw = relay.GlobalID.from_id(payload["otpChallenge"]["id"]).node_id
    otp = await flows.otp_from_mail(server, EMPLOYER_EMAIL)
    data = await client.execute(flows.VERIFY_OTP, {"input": {"challengeId": raw, "otp": otp}})
    assert data["loginVerifyOtp"]["errors"] == []
    # A global ID of another type is no challenge.
    payload = await login_flows.try_login(client, EMPLOYER_EMAIL, EMPLOYER_PASSWORD)
    raw = relay.GlobalID.from_id(payload["otpChallenge"]["id"]).node_id
    otp = await flows.otp_from_mail(server, EMPLOYER_EMAIL)
    wrong_type = relay.to_base64("Posting", raw)
    data = await client.execute(
        flows.VERIFY_OTP, {"input": {"challengeId": wrong_type, "otp": otp}}
    )
    assert data["loginVerifyOtp"]["errors"]
    assert data["loginVerifyOtp"]["session"] is None


async def test_the_viewer_is_a_node_for_itself_only(server: Server, new_client: Any) -> None:
    place = await new_place(server, new_client)
    data = await place.owner.execute("{ viewer { id email } }")
    viewer_id = data["viewer"]["id"]
    owner = await user_of(server, place.owner)
    assert viewer_id == relay.to_base64("Viewer", owner.id)
    found = (await place.owner.execute(NODE, {"id": viewer_id}))["node"]
    assert found == {
        "__typename": "Viewer",
        "id": viewer_id,
        "email": EMPLOYER_EMAIL,
        "portal": "EMPLOYER",
    }
    seeker = await new_seeker(server, new_client(), "taro@example.jp")
    for other in (place.staff, seeker.client, new_client()):
        assert (await other.execute(NODE, {"id": viewer_id}))["node"] is None


async def test_an_invitation_is_a_node_for_its_establishment_while_pending(
    server: Server, new_client: Any
) -> None:
    place = await new_place(server, new_client)
    other = await new_place(
        server, new_client, "hr@other.example.jp", "1302-654321-0", "045-123-4567", "13020"
    )
    key = await login_flows.invite(server, place.owner, "second@care.example.jp")
    data = await place.owner.execute("{ employerLoginInvitations { id email } }")
    (invitation,) = data["employerLoginInvitations"]
    found = (await place.owner.execute(NODE, {"id": invitation["id"]}))["node"]
    assert found == {
        "__typename": "EmployerLoginInvitation",
        "id": invitation["id"],
        "email": "second@care.example.jp",
    }
    for viewer in (other.owner, place.staff, new_client()):
        assert (await viewer.execute(NODE, {"id": invitation["id"]}))["node"] is None
    accepted = await login_flows.accept(new_client(), "second@care.example.jp", key)
    assert accepted["errors"] == []
    assert (await place.owner.execute(NODE, {"id": invitation["id"]}))["node"] is None


async def test_terms_and_minimum_wages_are_nodes_for_anyone(
    server: Server, new_client: Any
) -> None:
    anonymous = new_client()
    data = await anonymous.execute("{ termsDocuments { id kind version } }")
    for document in data["termsDocuments"]:
        found = (await anonymous.execute(NODE, {"id": document["id"]}))["node"]
        assert found == {"__typename": "TermsDocument", **document}
    stale = relay.to_base64("TermsDocument", "PRIVACY_POLICY:2000-01-01")
    assert (await anonymous.execute(NODE, {"id": stale}))["node"] is None

    query = """query ($on: Date) { minimumWages(prefecture: "東京都", on: $on) {
      id prefecture hourlyWage effectiveFrom } }"""
    (wage,) = (await anonymous.execute(query, {"on": "2026-11-01"}))["minimumWages"]
    assert wage["id"] == relay.to_base64("MinimumWage", "東京都:2026-11-01")
    found = (await anonymous.execute(NODE, {"id": wage["id"]}))["node"]
    assert found == {"__typename": "MinimumWage", **wage}
    # Another day is another object: the figure in force may differ.
    (earlier,) = (await anonymous.execute(query, {"on": "2025-01-01"}))["minimumWages"]
    assert earlier["id"] != wage["id"]
    for node_id in ("東京:2026-11-01", "東京都:11月", "東京都"):
        data = await anonymous.execute(NODE, {"id": relay.to_base64("MinimumWage", node_id)})
        assert data["node"] is None, node_id


@pytest.mark.parametrize("field", ["postings", "applications", "reviewHistory"])
async def test_the_nested_lists_refuse_both_sizes_at_once(
    server: Server, new_client: Any, field: str
) -> None:
    place = await new_place(server, new_client)
    query = f"""query ($id: ID!) {{ node(id: $id) {{ ... on Establishment {{
      {field}(first: 1, last: 1) {{ totalCount }} }} }} }}"""
    response = await place.staff.post(query, {"id": place.counter.establishment_id})
    assert flows.top_level_codes(response) == ["BAD_USER_INPUT"]
