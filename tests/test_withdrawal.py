"""Withdrawal (退会): the login closes, every session ends, every record stays."""

from __future__ import annotations

from typing import Any

from app.models import Posting, Session, User
from app.schema.nodes import decode_id
from tests import flows, seeker_flows
from tests import login_flows as lf
from tests.conftest import START, GraphQLClient, Place, Server, new_place, new_seeker, open_session

SECOND = "second@care.example.jp"


async def withdraw(client: GraphQLClient, password: str = lf.PASSWORD) -> dict[str, Any]:
    return await lf.mutate(client, "accountWithdraw", password=password)


async def two_logins(server: Server, new_client: Any) -> tuple[Place, GraphQLClient]:
    """An establishment with the owner and SECOND, both logged in."""
    place = await new_place(server, new_client)
    await lf.add_login(server, place.owner, new_client(), SECOND)
    second = new_client()
    await open_session(server, second, await lf.user(SECOND))
    return place, second


async def test_an_employer_withdraws_and_every_session_ends(
    server: Server, new_client: Any
) -> None:
    place, second = await two_logins(server, new_client)
    other_device = new_client()
    await open_session(server, other_device, await lf.user(SECOND))
    user_id = (await lf.user(SECOND)).id

    payload = await withdraw(second)

    assert payload["errors"] == []
    assert payload["withdrawnAt"] is not None
    for client in (second, other_device):
        assert flows.top_level_codes(await client.post(lf.HOME)) == ["UNAUTHENTICATED"]
    assert not await Session.exists(user_id=user_id, ended_at__isnull=True)
    row = await User.get(id=user_id)
    assert (row.is_active, row.withdrawn_at, row.former_email, row.removed_by_id) == (
        False,
        START,
        SECOND,
        None,
    )
    assert row.email != SECOND
    assert [login["email"] for login in await lf.logins(place.owner)] == [lf.OWNER]
    assert lf.codes(await lf.try_login(new_client(), SECOND, lf.PASSWORD)) == [
        "INVALID_CREDENTIALS"
    ]


async def test_the_establishments_records_stay(server: Server, new_client: Any) -> None:
    place, second = await two_logins(server, new_client)
    posting = await flows.create_posting(second)

    assert (await withdraw(second))["errors"] == []

    assert await Posting.exists(id=decode_id(posting["id"], "Posting", "id"))
    data = await place.owner.execute(
        "query ($id: ID!) { node(id: $id) { ... on Posting { content { jobTitle } } } }",
        {"id": posting["id"]},
    )
    assert data["node"] == {"content": {"jobTitle": "介護職員"}}


async def test_a_wrong_password_changes_nothing(server: Server, new_client: Any) -> None:
    _, second = await two_logins(server, new_client)

    payload = await withdraw(second, "Wrong#pass1")

    assert [(e["field"], e["code"]) for e in payload["errors"]] == [
        ("password", "INVALID_CREDENTIALS")
    ]
    assert payload["withdrawnAt"] is None
    assert (await lf.user(SECOND)).is_active
    assert (await second.execute(lf.HOME))["employerHome"]


async def test_an_empty_password_is_required(server: Server, new_client: Any) -> None:
    _, second = await two_logins(server, new_client)

    payload = await withdraw(second, "")

    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("password", "REQUIRED")]


async def test_the_last_login_of_an_establishment_cannot_withdraw(
    server: Server, new_client: Any
) -> None:
    place = await new_place(server, new_client)

    payload = await withdraw(place.owner)

    assert lf.codes(payload) == ["LAST_ACTIVE_LOGIN"]
    assert (await lf.user(lf.OWNER)).is_active
    assert (await place.owner.execute(lf.HOME))["employerHome"]


async def test_the_address_may_open_a_login_again(server: Server, new_client: Any) -> None:
    place, second = await two_logins(server, new_client)
    assert (await withdraw(second))["errors"] == []

    await lf.add_login(server, place.owner, new_client(), SECOND)

    old = await User.get(former_email=SECOND)
    new = await lf.user(SECOND)
    assert (old.email, old.is_active) == (f"withdrawn:{old.id}", False)
    assert (new.is_active, new.former_email, new.id != old.id) == (True, None, True)
    await flows.log_in(server, new_client(), "EMPLOYER", SECOND, lf.PASSWORD)


async def test_a_seeker_withdraws_and_may_register_again(server: Server, new_client: Any) -> None:
    seeker = await new_seeker(server, new_client(), "seeker@example.jp")

    payload = await withdraw(seeker.client, seeker_flows.SEEKER_PASSWORD)

    assert payload["errors"] == []
    response = await seeker.client.post("{ seekerProfile { displayName } }")
    assert flows.top_level_codes(response) == ["UNAUTHENTICATED"]
    old = await User.get(former_email="seeker@example.jp")
    assert not old.is_active
    again = await new_seeker(server, new_client(), "seeker@example.jp", "求職 花子")
    assert again.profile_id != seeker.profile_id


async def test_a_withdrawn_address_gets_no_reset_mail(server: Server, new_client: Any) -> None:
    _, second = await two_logins(server, new_client)
    assert (await withdraw(second))["errors"] == []
    mails_before = await flows.mail_count(server, SECOND)

    payload = await lf.mutate(new_client(), "passwordResetRequest", portal="EMPLOYER", email=SECOND)

    assert payload["errors"] == []
    assert await flows.mail_count(server, SECOND) == mails_before
