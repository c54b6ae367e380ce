"""Internal notes (社内メモ) on an application: any login of the establishment adds, edits and
deletes them; the body's limits; to everyone else, staff and the seeker included, a note and
its application look absent."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from strawberry import relay

from app.models import Application, ApplicationNote, Portal, Posting, User
from app.models.applications import ApplicationSource, ApplicationStatus
from app.resolvers import accounts, application_notes
from app.resolvers.application_notes import BODY_MAX_LENGTH
from app.schema.nodes import decode_id
from tests import flows
from tests.conftest import GraphQLClient, Seeker, Server, new_staff, open_session

NOTE_FIELDS = """id body createdAt updatedAt authoredByMe
  author { email isViewer } updatedBy { email isViewer }"""

ADD = f"""mutation ($input: ApplicationNoteAddInput!) {{
  applicationNoteAdd(input: $input) {{ note {{ {NOTE_FIELDS} }} errors {{ field code message }} }}
}}"""

EDIT = f"""mutation ($input: ApplicationNoteEditInput!) {{
  applicationNoteEdit(input: $input) {{ note {{ {NOTE_FIELDS} }} errors {{ field code message }} }}
}}"""

DELETE = """mutation ($input: ApplicationNoteDeleteInput!) {
  applicationNoteDelete(input: $input) { deletedNoteId errors { field code message } }
}"""

NODE = f"""query ($id: ID!) {{ node(id: $id) {{ ... on ApplicationNote {{ {NOTE_FIELDS} }} }} }}"""

SECOND_LOGIN = "second@care.example.jp"


@dataclass
class World:
    employer: GraphQLClient
    colleague: GraphQLClient
    """A second login of the same establishment."""
    other_employer: GraphQLClient
    staff: GraphQLClient
    seeker: GraphQLClient
    application_id: str


@pytest.fixture
async def world(
    server: Server,
    staff: GraphQLClient,
    employer: GraphQLClient,
    other_employer: GraphQLClient,
    seeker: Seeker,
    new_client: Any,
) -> World:
    posting = await flows.active_posting(employer, staff)
    row = await Posting.get(posting_number=posting["postingNumber"])
    now = server.clock.now()
    seeker_user = await User.get(email=seeker.email)
    application = await Application.create(
        posting_id=row.id,
        establishment_id=row.establishment_id,
        seeker_id=seeker_user.id,
        source=ApplicationSource.ONLINE,
        status=ApplicationStatus.APPLIED,
        created_at=now,
        updated_at=now,
    )
    colleague = new_client()
    login = await User.create(
        portal=Portal.EMPLOYER,
        email=SECOND_LOGIN,
        password_hash="-",
        establishment_id=row.establishment_id,
        created_at=now,
    )
    await open_session(server, colleague, login)
    return World(
        employer,
        colleague,
        other_employer,
        staff,
        seeker.client,
        relay.to_base64("Application", application.id),
    )


async def _mutate(client: GraphQLClient, document: str, name: str, **input: Any) -> dict[str, Any]:
    payload: dict[str, Any] = (await client.execute(document, {"input": input}))[name]
    return payload


async def add(client: GraphQLClient, application_id: str, body: str) -> dict[str, Any]:
    return await _mutate(client, ADD, "applicationNoteAdd", applicationId=application_id, body=body)


async def edit(client: GraphQLClient, note_id: str, body: str) -> dict[str, Any]:
    return await _mutate(client, EDIT, "applicationNoteEdit", noteId=note_id, body=body)


async def delete(client: GraphQLClient, note_id: str) -> dict[str, Any]:
    return await _mutate(client, DELETE, "applicationNoteDelete", noteId=note_id)


def codes(payload: dict[str, Any]) -> list[tuple[str | None, str]]:
    return [(error["field"], error["code"]) for error in payload["errors"]]


async def _viewer(server: Server, client: GraphQLClient) -> Any:
    return await accounts.viewer_for_token(server.rt, client.token)


# --- Any login of the establishment -----------------------------------------------------------


async def test_a_note_is_added_edited_by_a_colleague_and_deleted(
    server: Server, world: World
) -> None:
    added = await add(world.employer, world.application_id, "  一次面接の印象は良好。\n経験5年。 ")
    assert added["errors"] == []
    note = added["note"]
    assert note["body"] == "一次面接の印象は良好。\n経験5年。"
    assert note["authoredByMe"] is True
    assert note["author"] == {"email": "hr@care.example.jp", "isViewer": True}
    assert note["updatedBy"] is None
    assert note["updatedAt"] == note["createdAt"]

    server.clock.advance(minutes=5)
    edited = await edit(world.colleague, note["id"], "二次面接へ進める")
    assert edited["errors"] == []
    assert edited["note"]["body"] == "二次面接へ進める"
    assert edited["note"]["authoredByMe"] is False
    assert edited["note"]["author"] == {"email": "hr@care.example.jp", "isViewer": False}
    assert edited["note"]["updatedBy"] == {"email": SECOND_LOGIN, "isViewer": True}
    assert edited["note"]["updatedAt"] > note["createdAt"]
    seen = (await world.employer.execute(NODE, {"id": note["id"]}))["node"]
    assert seen["body"] == "二次面接へ進める"
    assert seen["updatedBy"] == {"email": SECOND_LOGIN, "isViewer": False}

    deleted = await delete(world.colleague, note["id"])
    assert deleted == {"deletedNoteId": note["id"], "errors": []}
    assert not await ApplicationNote.exists(id=decode_id(note["id"], "ApplicationNote", "id"))
    assert (await world.employer.execute(NODE, {"id": note["id"]}))["node"] is None
    again = await delete(world.employer, note["id"])
    assert codes(again) == [("noteId", "NOT_FOUND")]
    assert codes(await edit(world.employer, note["id"], "復活")) == [("noteId", "NOT_FOUND")]


async def test_notes_are_listed_newest_first(server: Server, world: World) -> None:
    for body in ("1件目", "2件目", "3件目"):
        assert (await add(world.employer, world.application_id, body))["errors"] == []
    application_id = decode_id(world.application_id, "Application", "id")

    listed = await application_notes.notes_of(
        await _viewer(server, world.colleague), application_id
    )

    assert [note.body for note in listed] == ["3件目", "2件目", "1件目"]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("あ" * BODY_MAX_LENGTH, []),
        ("あ" * (BODY_MAX_LENGTH + 1), [("body", "TOO_LONG")]),
        (" " + "あ" * BODY_MAX_LENGTH + "\n", []),  # trimmed first
        ("", [("body", "REQUIRED")]),
        (" \n\t ", [("body", "REQUIRED")]),
        ("タブ\tと改行\r\nは可", []),
        ("ベル\x07は不可", [("body", "INVALID_FORMAT")]),  # NUL is refused before GraphQL
        ("エスケープ\x1bも不可", [("body", "INVALID_FORMAT")]),
    ],
)
async def test_the_body_limits(world: World, body: str, expected: list[tuple[str, str]]) -> None:
    added = await add(world.employer, world.application_id, body)
    assert codes(added) == expected
    if expected:
        assert added["note"] is None
        assert "メモ" in added["errors"][0]["message"]
        assert not await ApplicationNote.exists()
        return
    edited = await edit(world.employer, added["note"]["id"], body)
    assert codes(edited) == []


async def test_an_edit_is_checked_like_an_addition(world: World) -> None:
    note = (await add(world.employer, world.application_id, "元のメモ"))["note"]

    assert codes(await edit(world.colleague, note["id"], "あ" * (BODY_MAX_LENGTH + 1))) == [
        ("body", "TOO_LONG")
    ]
    assert codes(await edit(world.colleague, note["id"], "  ")) == [("body", "REQUIRED")]
    assert (await world.employer.execute(NODE, {"id": note["id"]}))["node"]["body"] == "元のメモ"


# --- Nobody else --------------------------------------------------------------------------------


async def test_to_anyone_else_notes_and_their_application_look_absent(
    server: Server, world: World, new_client: Any
) -> None:
    note = (await add(world.employer, world.application_id, "社内限り"))["note"]
    other_office = await new_staff(server, new_client(), "13020")

    for outsider in (world.other_employer, world.staff, other_office, world.seeker):
        assert codes(await add(outsider, world.application_id, "横から")) == [
            ("applicationId", "NOT_FOUND")
        ]
        assert codes(await edit(outsider, note["id"], "書き換え")) == [("noteId", "NOT_FOUND")]
        assert codes(await delete(outsider, note["id"])) == [("noteId", "NOT_FOUND")]
        assert (await outsider.execute(NODE, {"id": note["id"]}))["node"] is None
        application_id = decode_id(world.application_id, "Application", "id")
        viewer = await _viewer(server, outsider)
        assert await application_notes.notes_of(viewer, application_id) == []

    assert await ApplicationNote.filter(body="社内限り").count() == 1
    assert await ApplicationNote.all().count() == 1


async def test_a_note_on_an_application_that_is_not_there(world: World) -> None:
    missing = relay.to_base64("Application", 999_999)
    assert codes(await add(world.employer, missing, "メモ")) == [("applicationId", "NOT_FOUND")]
    posting_id = relay.to_base64("Posting", 1)
    assert codes(await add(world.employer, posting_id, "メモ")) == [("applicationId", "NOT_FOUND")]
    malformed = relay.to_base64("ApplicationNote", "-1")
    assert codes(await edit(world.employer, malformed, "メモ")) == [("noteId", "NOT_FOUND")]


async def test_anonymous_callers_must_log_in(gql: GraphQLClient, world: World) -> None:
    note = (await add(world.employer, world.application_id, "メモ"))["note"]
    for document, input in (
        (ADD, {"applicationId": world.application_id, "body": "メモ"}),
        (EDIT, {"noteId": note["id"], "body": "メモ"}),
        (DELETE, {"noteId": note["id"]}),
    ):
        response = await gql.post(document, {"input": input})
        assert flows.top_level_codes(response) == ["UNAUTHENTICATED"]
