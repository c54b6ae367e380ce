"""Logins of an establishment (up to 10): invitation by mail, acceptance, listing, removal."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from app.models import MailedKey, User
from tests import flows
from tests import login_flows as lf
from tests.conftest import (
    START,
    GraphQLClient,
    Place,
    Server,
    create_staff,
    mail_body,
    new_code,
    new_employer_login,
    new_place,
    new_seeker,
    reopen_session,
)

NEW = "new@care.example.jp"


async def fill_up_to(server: Server, place: Place, new_client: Any, active: int) -> list[str]:
    """Invite and accept logins until the establishment has `active` of them; their emails."""
    emails = [f"staff{n}@care.example.jp" for n in range(2, active + 1)]
    for email in emails:
        await lf.add_login(server, place.owner, new_client(), email)
    return emails


# --- Invitation and acceptance ----------------------------------------------------------------


async def test_an_invitation_opens_a_login_that_can_log_in(server: Server, new_client: Any) -> None:
    place = await new_place(server, new_client)

    payload = await lf.mutate(place.owner, "employerLoginAdd", email="  New@Care.Example.JP ")

    assert payload["errors"] == []
    assert payload["invitation"]["email"] == NEW
    assert dt.datetime.fromisoformat(payload["invitation"]["expiresAt"]) == START + dt.timedelta(
        hours=24
    )
    mail = await server.last_mail_to(NEW)
    assert flows.mail_subject(mail) == "求人者マイページ ログイン追加のご案内"
    assert "ハローワークケア 様" in mail_body(mail)
    pending = (await place.owner.execute(lf.INVITATIONS))["employerLoginInvitations"]
    assert [p["email"] for p in pending] == [NEW]

    accepted = await lf.accept(new_client(), NEW, await lf.key_from_mail(server, NEW))

    assert accepted["errors"] == []
    assert accepted["establishment"]["name"] == "ハローワークケア"
    assert (await place.owner.execute(lf.INVITATIONS))["employerLoginInvitations"] == []
    newcomer = new_client()
    await flows.log_in(server, newcomer, "EMPLOYER", NEW, lf.PASSWORD)
    home = await newcomer.execute(lf.HOME)
    assert home["employerHome"]["establishmentName"] == "ハローワークケア"
    listed = await lf.logins(newcomer)
    assert [(login["email"], login["isViewer"]) for login in listed] == [
        (lf.OWNER, False),
        (NEW, True),
    ]
    assert all(login["lastLoginAt"] and login["locked"] is False for login in listed)
    assert (await lf.user(NEW)).establishment_id == (await lf.user(lf.OWNER)).establishment_id


async def test_the_tenth_login_is_accepted_and_the_eleventh_refused_at_invitation(
    server: Server, new_client: Any
) -> None:
    place = await new_place(server, new_client)
    await fill_up_to(server, place, new_client, 9)
    tenth_key = await lf.invite(server, place.owner, "tenth@care.example.jp")

    tenth = await lf.accept(new_client(), "tenth@care.example.jp", tenth_key)

    assert tenth["errors"] == []
    assert len(await lf.logins(place.owner)) == 10
    eleventh = await lf.mutate(place.owner, "employerLoginAdd", email="eleventh@care.example.jp")
    assert [(e["field"], e["code"]) for e in eleventh["errors"]] == [
        ("email", "LOGIN_LIMIT_REACHED")
    ]
    assert eleventh["invitation"] is None
    assert not await MailedKey.exists(email="eleventh@care.example.jp")


async def test_pending_invitations_hold_a_seat(server: Server, new_client: Any) -> None:
    place = await new_place(server, new_client)
    await fill_up_to(server, place, new_client, 9)
    await lf.invite(server, place.owner, "tenth@care.example.jp")

    refused = await lf.mutate(place.owner, "employerLoginAdd", email="eleventh@care.example.jp")
    # Inviting the same address again replaces its invitation: no new seat.
    again = await lf.mutate(place.owner, "employerLoginAdd", email="tenth@care.example.jp")

    assert lf.codes(refused) == ["LOGIN_LIMIT_REACHED"]
    assert again["errors"] == []
    pending = (await place.owner.execute(lf.INVITATIONS))["employerLoginInvitations"]
    assert [p["email"] for p in pending] == ["tenth@care.example.jp"]


async def test_an_expired_invitation_frees_its_seat(server: Server, new_client: Any) -> None:
    place = await new_place(server, new_client)
    await fill_up_to(server, place, new_client, 9)
    await lf.invite(server, place.owner, "tenth@care.example.jp")
    server.clock.advance(hours=24)
    await reopen_session(server, place.owner)

    payload = await lf.mutate(place.owner, "employerLoginAdd", email="other@care.example.jp")

    assert payload["errors"] == []


async def test_the_eleventh_login_is_refused_at_acceptance(server: Server, new_client: Any) -> None:
    """The counter's account creation code opened a login while an invitation was pending."""
    place = await new_place(server, new_client)
    await fill_up_to(server, place, new_client, 8)
    key = await lf.invite(server, place.owner, "invited@care.example.jp")
    for email in ("ninth@care.example.jp", "tenth@care.example.jp"):
        await new_employer_login(server, await new_code(server, place.staff, place.counter), email)
    assert len(await lf.logins(place.owner)) == 10

    payload = await lf.accept(new_client(), "invited@care.example.jp", key)

    assert lf.codes(payload) == ["LOGIN_LIMIT_REACHED"]
    assert not await User.exists(email="invited@care.example.jp")
    assert len(await lf.logins(place.owner)) == 10


async def test_an_invitation_is_valid_for_24_hours(server: Server, new_client: Any) -> None:
    place = await new_place(server, new_client)
    key = await lf.invite(server, place.owner, NEW)
    other_key = await lf.invite(server, place.owner, "other@care.example.jp")

    server.clock.advance(hours=23, minutes=59)
    assert (await lf.accept(new_client(), NEW, key))["errors"] == []
    server.clock.advance(minutes=1)
    late = await lf.accept(new_client(), "other@care.example.jp", other_key)

    assert [(e["field"], e["code"]) for e in late["errors"]] == [("key", "AUTH_KEY_EXPIRED")]


async def test_four_wrong_keys_leave_the_invitation_usable(server: Server, new_client: Any) -> None:
    place = await new_place(server, new_client)
    key = await lf.invite(server, place.owner, NEW)
    client = new_client()
    for _ in range(4):
        assert lf.codes(await lf.accept(client, NEW, "WRONGKEY22")) == ["AUTH_KEY_INVALID"]

    assert (await lf.accept(client, NEW, key))["errors"] == []


async def test_five_wrong_keys_void_the_invitation(server: Server, new_client: Any) -> None:
    place = await new_place(server, new_client)
    key = await lf.invite(server, place.owner, NEW)
    client = new_client()
    for _ in range(4):
        assert lf.codes(await lf.accept(client, NEW, "WRONGKEY22")) == ["AUTH_KEY_INVALID"]
    assert lf.codes(await lf.accept(client, NEW, "WRONGKEY22")) == ["AUTH_KEY_VOID"]

    payload = await lf.accept(client, NEW, key)

    assert lf.codes(payload) == ["AUTH_KEY_VOID"]
    row = await MailedKey.get(email=NEW)
    assert row.failed_attempts == 5
    assert row.closed_at is not None


async def test_an_invitation_can_be_used_once(server: Server, new_client: Any) -> None:
    place = await new_place(server, new_client)
    key = await lf.invite(server, place.owner, NEW)
    assert (await lf.accept(new_client(), NEW, key))["errors"] == []

    again = await lf.accept(new_client(), NEW, key)

    assert lf.codes(again) in (["AUTH_KEY_VOID"], ["EMAIL_TAKEN"])


@pytest.mark.parametrize(
    ("password", "code"),
    [("Abc#123", "PASSWORD_POLICY"), ("abcdefgh1", "PASSWORD_POLICY"), ("", "REQUIRED")],
)
async def test_acceptance_applies_the_password_policy(
    server: Server, new_client: Any, password: str, code: str
) -> None:
    place = await new_place(server, new_client)
    key = await lf.invite(server, place.owner, NEW)

    payload = await lf.accept(new_client(), NEW, key, password)

    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("password", code)]
    assert not await User.exists(email=NEW)


async def test_an_address_with_a_login_cannot_be_invited(server: Server, new_client: Any) -> None:
    place = await new_place(server, new_client)
    other = await new_place(server, new_client, NEW, "1301-222222-2", "03-3812-0002", "13020")
    assert other.owner.token

    for address in (lf.OWNER, NEW):
        payload = await lf.mutate(place.owner, "employerLoginAdd", email=address)
        assert [(e["field"], e["code"]) for e in payload["errors"]] == [("email", "EMAIL_TAKEN")]


async def test_invitation_format_errors(server: Server, new_client: Any) -> None:
    place = await new_place(server, new_client)

    payload = await lf.mutate(place.owner, "employerLoginAdd", email="not-an-address")

    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("email", "INVALID_FORMAT")]


# --- Removal ------------------------------------------------------------------------------------


async def test_removing_a_login_ends_its_sessions_at_once(server: Server, new_client: Any) -> None:
    place = await new_place(server, new_client)
    await lf.add_login(server, place.owner, new_client(), NEW)
    removed = new_client()
    await flows.log_in(server, removed, "EMPLOYER", NEW, lf.PASSWORD)
    assert (await removed.execute(lf.HOME))["employerHome"]

    payload = await lf.mutate(
        place.owner, "employerLoginRemove", userId=await lf.login_id(place.owner, NEW)
    )

    assert payload["errors"] == []
    assert payload["login"]["email"] == NEW
    assert flows.top_level_codes(await removed.post(lf.HOME)) == ["UNAUTHENTICATED"]
    assert [login["email"] for login in await lf.logins(place.owner)] == [lf.OWNER]
    row = await User.get(former_email=NEW)
    owner = await lf.user(lf.OWNER)
    assert (row.is_active, row.removed_by_id, row.withdrawn_at) == (False, owner.id, START)
    assert lf.codes(await lf.try_login(new_client(), NEW, lf.PASSWORD)) == ["INVALID_CREDENTIALS"]
    # The address is free: it can be invited again.
    await lf.add_login(server, place.owner, new_client(), NEW)
    assert [login["email"] for login in await lf.logins(place.owner)] == [lf.OWNER, NEW]


async def test_the_last_login_cannot_be_removed(server: Server, new_client: Any) -> None:
    place = await new_place(server, new_client)
    own_id = await lf.login_id(place.owner, lf.OWNER)

    payload = await lf.mutate(place.owner, "employerLoginRemove", userId=own_id)

    assert lf.codes(payload) == ["LAST_ACTIVE_LOGIN"]
    assert payload["login"] is None
    assert (await place.owner.execute(lf.HOME))["employerHome"]


async def test_a_login_may_remove_itself_while_another_remains(
    server: Server, new_client: Any
) -> None:
    place = await new_place(server, new_client)
    await lf.add_login(server, place.owner, new_client(), NEW)
    newcomer = new_client()
    await flows.log_in(server, newcomer, "EMPLOYER", NEW, lf.PASSWORD)

    first = await lf.mutate(
        place.owner, "employerLoginRemove", userId=await lf.login_id(place.owner, lf.OWNER)
    )
    last = await lf.mutate(newcomer, "employerLoginRemove", userId=await lf.login_id(newcomer, NEW))

    assert first["errors"] == []
    assert first["login"]["isViewer"] is True
    assert flows.top_level_codes(await place.owner.post(lf.HOME)) == ["UNAUTHENTICATED"]
    assert lf.codes(last) == ["LAST_ACTIVE_LOGIN"]


async def test_a_removed_login_frees_a_seat(server: Server, new_client: Any) -> None:
    place = await new_place(server, new_client)
    emails = await fill_up_to(server, place, new_client, 10)
    assert lf.codes(await lf.mutate(place.owner, "employerLoginAdd", email=NEW)) == [
        "LOGIN_LIMIT_REACHED"
    ]
    await lf.mutate(
        place.owner, "employerLoginRemove", userId=await lf.login_id(place.owner, emails[0])
    )

    assert (await lf.mutate(place.owner, "employerLoginAdd", email=NEW))["errors"] == []


# --- Who may do what -------------------------------------------------------------------------


async def test_an_employer_of_another_establishment_reaches_none_of_the_logins(
    server: Server, new_client: Any
) -> None:
    place = await new_place(server, new_client)
    await lf.add_login(server, place.owner, new_client(), NEW)
    other = await new_place(
        server, new_client, "hr@other.example.jp", "1301-222222-2", "03-3812-0002", "13020"
    )
    target = await lf.login_id(place.owner, NEW)

    removal = await lf.mutate(other.owner, "employerLoginRemove", userId=target)
    node = await other.owner.execute("query ($id: ID!) { node(id: $id) { id } }", {"id": target})

    assert [(e["field"], e["code"]) for e in removal["errors"]] == [("userId", "NOT_FOUND")]
    assert node["node"] is None
    assert [login["email"] for login in await lf.logins(other.owner)] == ["hr@other.example.jp"]
    assert (await lf.user(NEW)).is_active
    assert [login["email"] for login in await lf.logins(place.owner)] == [lf.OWNER, NEW]
    own = await place.owner.execute(
        "query ($id: ID!) { node(id: $id) { ... on EmployerLogin { email } } }", {"id": target}
    )
    assert own["node"] == {"email": NEW}


@pytest.mark.parametrize(
    ("name", "input"),
    [
        ("employerLoginAdd", {"email": NEW}),
        ("employerLoginRemove", {"userId": "RW1wbG95ZXJMb2dpbjox"}),
        ("emailChangeRequest", {"newEmail": NEW, "password": flows.STAFF_PASSWORD}),
        ("emailChangeConfirm", {"key": "ABCDEFGHJK"}),
        ("accountWithdraw", {"password": flows.STAFF_PASSWORD}),
    ],
)
async def test_staff_can_do_none_of_it(
    server: Server, new_client: Any, name: str, input: dict[str, Any]
) -> None:
    place = await new_place(server, new_client)
    mails_before = await flows.mail_count(server, NEW)

    response = await place.staff.post(lf.document(name), {"input": input})

    assert flows.top_level_codes(response) == ["FORBIDDEN"]
    for query in (lf.LOGINS, lf.INVITATIONS):
        assert flows.top_level_codes(await place.staff.post(query)) == ["FORBIDDEN"]
    assert await flows.mail_count(server, NEW) == mails_before
    assert (await lf.user(lf.OWNER)).is_active


@pytest.mark.parametrize(
    "name", ["employerLoginAdd", "employerLoginRemove", "emailChangeRequest", "accountWithdraw"]
)
async def test_anonymous_callers_must_log_in(gql: GraphQLClient, name: str) -> None:
    inputs = {
        "employerLoginAdd": {"email": NEW},
        "employerLoginRemove": {"userId": "RW1wbG95ZXJMb2dpbjox"},
        "emailChangeRequest": {"newEmail": NEW, "password": lf.PASSWORD},
        "accountWithdraw": {"password": lf.PASSWORD},
    }

    response = await gql.post(lf.document(name), {"input": inputs[name]})

    assert flows.top_level_codes(response) == ["UNAUTHENTICATED"]


async def test_staff_passwords_are_not_reset_by_mail(server: Server, new_client: Any) -> None:
    staff = await create_staff(server, "13010", "counter@example.jp")
    mails_before = await flows.mail_count(server, staff.email)

    payload = await lf.mutate(
        new_client(), "passwordResetRequest", portal="STAFF", email=staff.email
    )

    assert [(e["field"], e["code"]) for e in payload["errors"]] == [
        ("portal", "UNSUPPORTED_PORTAL")
    ]
    assert await flows.mail_count(server, staff.email) == mails_before


async def test_a_seeker_cannot_manage_employer_logins(server: Server, new_client: Any) -> None:
    seeker = await new_seeker(server, new_client(), "seeker@example.jp")

    for name, input in (
        ("employerLoginAdd", {"email": NEW}),
        ("employerLoginRemove", {"userId": "RW1wbG95ZXJMb2dpbjox"}),
    ):
        response = await seeker.client.post(lf.document(name), {"input": input})
        assert flows.top_level_codes(response) == ["FORBIDDEN"]
    assert flows.top_level_codes(await seeker.client.post(lf.LOGINS)) == ["FORBIDDEN"]
