"""Applications: how they arrive, the selection's state machine, its history and events,
reaching the number to hire, the result lock, the employer's page and who may see what."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import pytest
from strawberry import relay

from app.clock import TOKYO
from app.models import Application, ApplicationEvent, Event, Posting, PostingEvent
from app.models.applications import ApplicationStatus
from app.models.events import EventKind
from app.models.postings import PostingAction
from app.resolvers.applications import EMPLOYER_MOVES, SEEKER_MOVES, result_locked_from
from app.schema.nodes import decode_id
from tests import flows
from tests import seeker_flows as sf
from tests.conftest import GraphQLClient, Seeker, Server, new_seeker, new_staff, reopen_session
from tests.test_posting_queries import counting_queries

PAGE = f"""query ($first: Int!, $after: String, $postingId: ID, $status: ApplicationStatus) {{
  applications(first: $first, after: $after, postingId: $postingId, status: $status) {{
    pageInfo {{ hasNextPage endCursor }}
    edges {{ cursor node {{ {sf.APPLICATION_FIELDS} }} }}
  }}
}}"""

MINE = f"""query {{ myApplications(first: 20) {{
  edges {{ node {{ {sf.APPLICATION_FIELDS} }} }} }} }}"""

NODE = f"""query ($id: ID!) {{ node(id: $id) {{
  ... on Application {{ {sf.APPLICATION_FIELDS} }} }} }}"""

STATUSES = [s.value for s in ApplicationStatus]


@pytest.fixture
async def seeker(seeker: Seeker) -> Seeker:
    """With the profile of `sf.profile_input`."""
    await sf.update_profile(seeker.client)
    return seeker


def _pk(global_id: str, type_name: str = "Application") -> int:
    return decode_id(global_id, type_name, "id")


async def _status(application_id: str) -> str:
    return (await Application.get(id=_pk(application_id))).status.value


# --- Arrival --------------------------------------------------------------------------------


async def test_online_application(
    staff: GraphQLClient, employer: GraphQLClient, seeker: Seeker
) -> None:
    posting = await flows.active_posting(employer, staff)
    application = await sf.apply(seeker.client, posting["id"])
    assert application["status"] == "APPLIED"
    assert application["source"] == "ONLINE"
    assert application["posting"] is None  # the seeker reads the summary
    assert application["postingSummary"]["postingNumber"] == posting["postingNumber"]
    assert application["postingSummary"]["establishmentName"] == "ハローワークケア"
    assert application["statusHistory"] == [
        {
            "actorPortal": "SEEKER",
            "at": application["createdAt"],
            "fromStatus": None,
            "toStatus": "APPLIED",
            "reason": "",
        }
    ]
    entry = await ApplicationEvent.get(application_id=_pk(application["id"]))
    event = await Event.get(application_event_id=entry.id)
    assert event.kind is EventKind.APPLICATION_STATUS_CHANGED
    assert (
        event.establishment_id
        == (await Posting.get(id=_pk(posting["id"], "Posting"))).establishment_id
    )

    data = await seeker.client.execute(MINE)
    assert [e["node"]["id"] for e in data["myApplications"]["edges"]] == [application["id"]]
    data = await employer.execute(PAGE, {"first": 10})
    [node] = [e["node"] for e in data["applications"]["edges"]]
    assert node["posting"]["id"] == posting["id"]
    assert node["applicant"]["desiredJob"] == "介護職員"
    assert node["applicant"]["profileId"] == seeker.profile_id


async def test_application_rules(
    server: Server, staff: GraphQLClient, employer: GraphQLClient, seeker: Seeker
) -> None:
    async def codes(**input: Any) -> list[str]:
        payload = await sf.mutate(seeker.client, sf.APPLICATION_CREATE, "applicationCreate", input)
        return sf.error_codes(payload)

    draft = await flows.create_posting(employer)
    assert await codes(postingId=draft["id"]) == ["NOT_FOUND"]
    closed = await flows.active_posting(employer, staff, acceptsOnlineApplications=False)
    assert await codes(postingId=closed["id"]) == ["NOT_ACCEPTING_APPLICATIONS"]
    stopped = await flows.active_posting(employer, staff)
    await flows.posting_step(employer, "postingStop", {"id": stopped["id"], "reason": "充足"})
    assert await codes(postingId=stopped["id"]) == ["NOT_ACCEPTING_APPLICATIONS"]
    assert await codes() == ["REQUIRED"]
    assert await codes(postingId=relay.to_base64("Establishment", 1)) == ["NOT_FOUND"]

    open_posting = await flows.active_posting(employer, staff)
    assert await codes(postingNumber=open_posting["postingNumber"]) == []
    assert await codes(postingId=open_posting["id"]) == ["ALREADY_EXISTS"]
    assert await Application.all().count() == 1

    response = await employer.post(
        sf.APPLICATION_CREATE, {"input": {"postingId": open_posting["id"]}}
    )
    assert flows.top_level_codes(response) == ["FORBIDDEN"]


async def test_referral_by_staff_of_the_office(
    server: Server,
    staff: GraphQLClient,
    employer: GraphQLClient,
    seeker: Seeker,
    new_client: Any,
) -> None:
    posting = await flows.active_posting(employer, staff, acceptsOnlineApplications=False)
    lookup = "query ($email: String!) { counterSeeker(email: $email) { profileId displayName } }"
    found = (await staff.execute(lookup, {"email": seeker.email.upper()}))["counterSeeker"]
    assert found == {"profileId": seeker.profile_id, "displayName": seeker.name}
    assert (await staff.execute(lookup, {"email": "nobody@example.jp"}))["counterSeeker"] is None
    denied = await employer.post(lookup, {"email": seeker.email})
    assert flows.top_level_codes(denied) == ["FORBIDDEN"]
    referral = {
        "postingId": posting["id"],
        "seekerId": found["profileId"],
        "referralLetterNumber": "13010-2026-0001",
        "note": "介護職の経験5年",
    }
    other_office = await new_staff(server, new_client(), "27010")
    response = await other_office.post(sf.REFERRAL_CREATE, {"input": referral})
    assert flows.not_found_for_another_office(response, "referralCreate")
    response = await employer.post(sf.REFERRAL_CREATE, {"input": referral})
    assert flows.top_level_codes(response) == ["FORBIDDEN"]
    assert await Application.all().count() == 0

    payload = await sf.mutate(
        staff, sf.REFERRAL_CREATE, "referralCreate", {**referral, "referralLetterNumber": ""}
    )
    assert sf.error_codes(payload) == ["REQUIRED"]
    payload = await sf.mutate(staff, sf.REFERRAL_CREATE, "referralCreate", referral)
    assert payload["errors"] == []
    application = payload["application"]
    assert application["source"] == "REFERRAL"
    assert application["referralLetterNumber"] == "13010-2026-0001"
    assert application["posting"]["id"] == posting["id"]  # staff of the office see it
    assert application["statusHistory"][0]["actorPortal"] == "STAFF"
    payload = await sf.mutate(staff, sf.REFERRAL_CREATE, "referralCreate", referral)
    assert sf.error_codes(payload) == ["ALREADY_EXISTS"]
    # The seeker cannot apply online on top of the referral.
    payload = await sf.mutate(
        seeker.client, sf.APPLICATION_CREATE, "applicationCreate", {"postingId": posting["id"]}
    )
    assert sf.error_codes(payload) == ["NOT_ACCEPTING_APPLICATIONS"]


# --- The state machine ------------------------------------------------------------------------


async def test_every_employer_move(
    server: Server, staff: GraphQLClient, employer: GraphQLClient
) -> None:
    posting = await flows.active_posting(employer, staff, numberToHire=99)
    pairs = list(itertools.product(STATUSES, STATUSES))
    ids = await sf.seed_applicants(server, posting["id"], [current for current, _ in pairs])
    for (current, target), application_id in zip(pairs, ids, strict=True):
        events_before = await ApplicationEvent.all().count()
        payload = await sf.move(employer, application_id, target, reason="電話で辞退の連絡")
        legal = ApplicationStatus(target) in EMPLOYER_MOVES.get(
            ApplicationStatus(current), frozenset()
        )
        if legal:
            assert payload["errors"] == [], (current, target, payload)
            assert payload["application"]["status"] == target
            assert await ApplicationEvent.all().count() == events_before + 1
        else:
            assert sf.error_codes(payload) == ["ILLEGAL_TRANSITION"], (current, target)
            assert await _status(application_id) == current
            assert await ApplicationEvent.all().count() == events_before
    legal_moves = sum(len(targets) for targets in EMPLOYER_MOVES.values())
    assert legal_moves == 14


async def test_every_seeker_move(
    server: Server, staff: GraphQLClient, employer: GraphQLClient, new_client: Any
) -> None:
    posting = await flows.active_posting(employer, staff)
    pairs = list(itertools.product(STATUSES, STATUSES))
    ids = await sf.seed_applicants(server, posting["id"], [current for current, _ in pairs])
    client = new_client()
    for (current, target), application_id in zip(pairs, ids, strict=True):
        await sf.seeker_session(server, client, application_id)
        payload = await sf.move(client, application_id, target)
        legal = ApplicationStatus(target) in SEEKER_MOVES.get(
            ApplicationStatus(current), frozenset()
        )
        if legal:
            assert payload["errors"] == [], (current, target, payload)
            assert target == "WITHDRAWN"
        else:
            assert sf.error_codes(payload) == ["ILLEGAL_TRANSITION"], (current, target)
            assert await _status(application_id) == current
    # A seeker cannot move another seeker's application.
    other = ids[0]
    await sf.seeker_session(server, client, ids[1])
    payload = await sf.move(client, other, "WITHDRAWN")
    assert sf.error_codes(payload) == ["NOT_FOUND"]


async def test_the_selection_writes_its_history(
    staff: GraphQLClient, employer: GraphQLClient, seeker: Seeker
) -> None:
    posting = await flows.active_posting(employer, staff)
    application = await sf.apply(seeker.client, posting["id"])
    app_id = application["id"]
    assert (await sf.move(employer, app_id, "SCREENING", reason="書類確認"))["errors"] == []
    assert (await sf.move(employer, app_id, "INTERVIEW"))["errors"] == []
    payload = await sf.move(employer, app_id, "HIRED", reason="内定")
    assert payload["errors"] == []
    hired = payload["application"]
    assert [
        (e["actorPortal"], e["fromStatus"], e["toStatus"], e["reason"])
        for e in hired["statusHistory"]
    ] == [
        ("SEEKER", None, "APPLIED", ""),
        ("EMPLOYER", "APPLIED", "SCREENING", "書類確認"),
        ("EMPLOYER", "SCREENING", "INTERVIEW", ""),
        ("EMPLOYER", "INTERVIEW", "HIRED", "内定"),
    ]
    # Every change is also a stored event for the subscriptions, linked to its entry.
    entries = await ApplicationEvent.filter(application_id=_pk(app_id)).order_by("id")
    stored = await Event.filter(kind=EventKind.APPLICATION_STATUS_CHANGED).order_by("id")
    assert [e.application_event_id for e in stored] == [e.id for e in entries]
    # The seeker sees the same history on their side.
    data = await seeker.client.execute(NODE, {"id": app_id})
    assert data["node"]["statusHistory"] == hired["statusHistory"]
    # A correction of the result is one more entry.
    payload = await sf.move(employer, app_id, "REJECTED", reason="訂正")
    assert payload["application"]["statusHistory"][-1]["toStatus"] == "REJECTED"


async def test_hiring_the_number_to_hire_asks_and_closes_nothing(
    server: Server, staff: GraphQLClient, employer: GraphQLClient
) -> None:
    posting = await flows.active_posting(employer, staff, numberToHire=2)
    first, second, third = await sf.seed_applicants(server, posting["id"], ["INTERVIEW"] * 3)
    payload = await sf.move(employer, first, "HIRED")
    assert (payload["errors"], payload["numberToHireReached"]) == ([], False)
    payload = await sf.move(employer, second, "HIRED")
    assert (payload["errors"], payload["numberToHireReached"]) == ([], True)
    stored = await Posting.get(id=_pk(posting["id"], "Posting"))
    assert stored.status.value == "ACTIVE"
    assert not await PostingEvent.filter(
        posting_id=stored.id, action=PostingAction.STOPPED
    ).exists()
    # The employer decides: more hires go on saying so, until it stops recruiting.
    assert (await sf.move(employer, third, "HIRED"))["numberToHireReached"] is True
    await flows.posting_step(employer, "postingStop", {"id": posting["id"], "reason": "充足"})
    assert (await Posting.get(id=stored.id)).status.value == "INVALID"


# --- The result lock ------------------------------------------------------------------------


def test_result_lock_date() -> None:
    def at(day: str, time: str = "12:00") -> dt.datetime:
        return dt.datetime.fromisoformat(f"{day}T{time}").replace(tzinfo=TOKYO)

    assert result_locked_from(at("2027-02-10")) == dt.date(2027, 6, 1)
    assert result_locked_from(at("2027-10-31")) == dt.date(2028, 2, 1)
    assert result_locked_from(at("2027-12-01")) == dt.date(2028, 4, 1)
    # The Tokyo date counts: 2027-02-28 15:30 UTC is already March 1st in Tokyo.
    late = dt.datetime(2027, 2, 28, 15, 30, tzinfo=dt.UTC)
    assert result_locked_from(late) == dt.date(2027, 7, 1)


@pytest.fixture
def february_10(server: Server) -> None:
    """The clock on 2027-02-10 before anyone logs in."""
    server.clock.set(dt.datetime(2027, 2, 10, 10, 0, tzinfo=TOKYO))


async def test_a_result_is_locked_after_the_third_month_end(
    server: Server, february_10: None, staff: GraphQLClient, employer: GraphQLClient
) -> None:
    posting = await flows.active_posting(employer, staff, numberToHire=10)
    hired, rejected, interview, applied = await sf.seed_applicants(
        server, posting["id"], ["HIRED", "REJECTED", "INTERVIEW", "APPLIED"]
    )
    await flows.posting_step(employer, "postingStop", {"id": posting["id"], "reason": "募集終了"})

    server.clock.set(dt.datetime(2027, 5, 31, 23, 59, tzinfo=TOKYO))
    await reopen_session(server, employer)
    payload = await sf.move(employer, hired, "REJECTED", reason="訂正")
    assert payload["errors"] == []

    server.clock.set(dt.datetime(2027, 6, 1, 0, 0, tzinfo=TOKYO))
    await reopen_session(server, employer)
    for application_id, target in [(hired, "HIRED"), (rejected, "HIRED"), (interview, "HIRED")]:
        payload = await sf.move(employer, application_id, target)
        assert sf.error_codes(payload) == ["RESULT_LOCKED"], application_id
    assert [await _status(i) for i in (hired, rejected, interview)] == [
        "REJECTED",
        "REJECTED",
        "INTERVIEW",
    ]
    # Moves that set no result are not locked.
    assert (await sf.move(employer, applied, "SCREENING"))["errors"] == []


# --- Reading: the page, its statement count, and who sees what --------------------------------


def _posting_reads(statements: list[str]) -> list[str]:
    return [sql for sql in statements if sql.startswith("SELECT") and 'FROM "POSTING"' in sql]


async def test_a_page_reads_only_the_posting_items_it_shows(
    server: Server, staff: GraphQLClient, employer: GraphQLClient
) -> None:
    """`posting { content { jobTitle } }` reads the postings' own columns and the job title,
    not the hundred columns of their form; with a field that reads more of it (`postingSummary`,
    `check`) in the same batch, one read of every column. The answers are the same."""
    first = await flows.active_posting(employer, staff, jobTitle="介護職員")
    second = await flows.active_posting(employer, staff, jobTitle="調理補助")
    await sf.seed_applicants(server, first["id"], ["APPLIED"] * 3)
    await sf.seed_applicants(server, second["id"], ["APPLIED"] * 3)
    titled = "applications(first: 10) { edges { node { id posting { id postingNumber status"
    documents = {
        "title": "{ " + titled + " content { jobTitle } } } } } }",
        "summary": "{ " + titled + " content { jobTitle } } postingSummary { jobTitle } } } } }",
        "check": "{ " + titled + " content { jobTitle } check { errors { code } } } } } } }",
        "fragment": "{ "
        + titled
        + " ...T } } } } } fragment T on Posting { content { jobTitle } }",
    }
    answers: dict[str, list[dict[str, object]]] = {}
    reads: dict[str, list[str]] = {}
    for name, document in documents.items():
        with counting_queries() as statements:
            data = await employer.execute(document)
        answers[name] = [
            {key: edge["node"]["posting"][key] for key in ("id", "postingNumber", "status")}
            | {"jobTitle": edge["node"]["posting"]["content"]["jobTitle"]}
            for edge in data["applications"]["edges"]
        ]
        reads[name] = _posting_reads(statements)
    assert len(answers["title"]) == 6
    assert {a["jobTitle"] for a in answers["title"]} == {"介護職員", "調理補助"}
    assert answers["title"] == answers["summary"] == answers["check"] == answers["fragment"]
    assert [len(found) for found in reads.values()] == [1, 1, 1, 1]
    # Only the title of the form's 69 items; every one of them where more is asked for.
    assert '"JOB_TITLE"' in reads["title"][0]
    assert '"WORK_STYLE"' not in reads["title"][0]
    assert reads["fragment"] == reads["title"]
    assert '"WORK_STYLE"' in reads["summary"][0]
    assert '"WORK_STYLE"' in reads["check"][0]


async def test_statement_count_does_not_grow_with_the_page(
    server: Server, staff: GraphQLClient, employer: GraphQLClient
) -> None:
    first = await flows.active_posting(employer, staff)
    second = await flows.active_posting(employer, staff)
    await sf.seed_applicants(server, first["id"], ["APPLIED"] * 30)
    await sf.seed_applicants(server, second["id"], ["SCREENING"] * 30)
    with counting_queries() as small:
        data = await employer.execute(PAGE, {"first": 5})
    assert len(data["applications"]["edges"]) == 5
    with counting_queries() as large:
        data = await employer.execute(PAGE, {"first": 50})
    edges = data["applications"]["edges"]
    assert len(edges) == 50
    assert all(e["node"]["posting"] and e["node"]["applicant"] for e in edges)
    assert all(e["node"]["statusHistory"] for e in edges)

    assert small, "no statements were seen"
    assert len(large) == len(small), (small, large)
    # the session with its login, the page, postings, their establishments (the summary),
    # profiles, histories
    assert len(large) == 6, large


async def test_paging_and_filters(
    server: Server, staff: GraphQLClient, employer: GraphQLClient
) -> None:
    first = await flows.active_posting(employer, staff)
    second = await flows.active_posting(employer, staff)
    await sf.seed_applicants(server, first["id"], ["APPLIED"] * 4 + ["SCREENING"] * 3)
    await sf.seed_applicants(server, second["id"], ["APPLIED"])
    seen: list[str] = []
    after = None
    while True:
        data = await employer.execute(PAGE, {"first": 3, "after": after})
        page = data["applications"]
        seen += [e["node"]["id"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert len(seen) == len(set(seen)) == 8

    data = await employer.execute(PAGE, {"first": 20, "postingId": first["id"]})
    assert len(data["applications"]["edges"]) == 7
    data = await employer.execute(
        PAGE, {"first": 20, "postingId": first["id"], "status": "SCREENING"}
    )
    assert len(data["applications"]["edges"]) == 3
    response = await employer.post(PAGE, {"first": 101})
    assert flows.top_level_codes(response) == ["BAD_USER_INPUT"]
    response = await employer.post(PAGE, {"first": 5, "after": "bm90LWEtY3Vyc29y"})
    assert flows.top_level_codes(response) == ["BAD_USER_INPUT"]


async def test_another_establishment_sees_none_of_it(
    server: Server,
    staff: GraphQLClient,
    employer: GraphQLClient,
    seeker: Seeker,
    other_employer: GraphQLClient,
    new_client: Any,
) -> None:
    posting = await flows.active_posting(employer, staff)
    application = await sf.apply(seeker.client, posting["id"])
    other = other_employer
    await flows.active_posting(other, staff)

    data = await other.execute(PAGE, {"first": 20})
    assert data["applications"]["edges"] == []
    data = await other.execute(PAGE, {"first": 20, "postingId": posting["id"]})
    assert data["applications"]["edges"] == []
    data = await other.execute(NODE, {"id": application["id"]})
    assert data["node"] is None
    payload = await sf.move(other, application["id"], "SCREENING")
    assert sf.error_codes(payload) == ["NOT_FOUND"]
    assert await _status(application["id"]) == "APPLIED"

    another_seeker = await new_seeker(server, new_client(), "jiro@example.jp")
    data = await another_seeker.client.execute(NODE, {"id": application["id"]})
    assert data["node"] is None
    data = await another_seeker.client.execute(MINE)
    assert data["myApplications"]["edges"] == []

    data = await staff.execute(NODE, {"id": application["id"]})
    assert data["node"]["id"] == application["id"]
    other_office = await new_staff(server, new_client(), "27010")
    data = await other_office.execute(NODE, {"id": application["id"]})
    assert data["node"] is None
    response = await staff.post(PAGE, {"first": 5})
    assert flows.top_level_codes(response) == ["FORBIDDEN"]
    response = await new_client().post(PAGE, {"first": 5})
    assert flows.top_level_codes(response) == ["UNAUTHENTICATED"]


async def test_the_anonymised_profile_never_carries_name_email_or_phone(
    server: Server, staff: GraphQLClient, employer: GraphQLClient, seeker: Seeker
) -> None:
    """`applicant` is the profile as seeker search shows it; who applied is `person`
    (tests/test_applicants.py), never selected here."""
    posting = await flows.active_posting(employer, staff)
    application = await sf.apply(seeker.client, posting["id"])
    await sf.move(employer, application["id"], "SCREENING")
    responses = [
        await employer.post(PAGE, {"first": 20}),
        await employer.post(NODE, {"id": application["id"]}),
        await employer.post(
            sf.STATUS_UPDATE,
            {"input": {"applicationId": application["id"], "status": "INTERVIEW"}},
        ),
        await employer.post(
            """query ($id: ID!) { node(id: $id) { ... on SeekerProfile { displayName } } }""",
            {"id": seeker.profile_id},
        ),
    ]
    for response in responses:
        assert response.status_code == 200
        text = response.text
        assert "求職 太郎" not in text
        assert seeker.email not in text
        assert "090-1234-5678" not in text
    assert responses[0].json()["data"]["applications"]["edges"][0]["node"]["applicant"]
    # The seeker's own view has them.
    data = await seeker.client.execute(f"{{ seekerProfile {{ {sf.PROFILE_FIELDS} }} }}")
    assert data["seekerProfile"]["displayName"] == "求職 太郎"
