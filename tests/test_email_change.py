"""Email change: a key mailed to the new address, the password checked again, the old told."""

from __future__ import annotations

import datetime as dt
from typing import Any

from app.models import MailedKey
from tests import flows, seeker_flows
from tests import login_flows as lf
from tests.conftest import (
    START,
    GraphQLClient,
    Server,
    mail_body,
    new_place,
    new_seeker,
    open_session,
)

NEW = "new-hr@care.example.jp"


async def request(
    client: GraphQLClient, new_email: str = NEW, password: str = lf.PASSWORD
) -> dict[str, Any]:
    return await lf.mutate(client, "emailChangeRequest", newEmail=new_email, password=password)


async def confirm(client: GraphQLClient, key: str) -> dict[str, Any]:
    return await lf.mutate(client, "emailChangeConfirm", key=key)


async def test_the_new_address_confirms_and_the_old_is_told(
    server: Server, new_client: Any
) -> None:
    place = await new_place(server, new_client)
    old_mails = await flows.mail_count(server, lf.OWNER)

    payload = await request(place.owner, "  New-HR@Care.Example.JP ")

    assert payload["errors"] == []
    assert dt.datetime.fromisoformat(payload["keyExpiresAt"]) == START + dt.timedelta(minutes=50)
    assert flows.mail_subject(await server.last_mail_to(NEW)) == "メールアドレス変更の確認"
    assert await flows.mail_count(server, lf.OWNER) == old_mails
    assert (await lf.user(lf.OWNER)).email == lf.OWNER

    confirmed = await confirm(place.owner, await lf.key_from_mail(server, NEW))

    assert confirmed["errors"] == []
    assert confirmed["viewer"] == {"portal": "EMPLOYER", "email": NEW}
    notice = await server.last_mail_to(lf.OWNER)
    assert flows.mail_subject(notice) == "メールアドレス変更完了のお知らせ"
    assert NEW in mail_body(notice)
    assert (await place.owner.execute("{ viewer { email } }"))["viewer"] == {"email": NEW}
    assert lf.codes(await lf.try_login(new_client(), lf.OWNER, lf.PASSWORD)) == [
        "INVALID_CREDENTIALS"
    ]
    await flows.log_in(server, new_client(), "EMPLOYER", NEW, lf.PASSWORD)


async def test_a_wrong_password_mails_nothing(server: Server, new_client: Any) -> None:
    place = await new_place(server, new_client)
    mails_before = await flows.mail_count(server, NEW)

    payload = await request(place.owner, password="Wrong#pass1")

    assert [(e["field"], e["code"]) for e in payload["errors"]] == [
        ("password", "INVALID_CREDENTIALS")
    ]
    assert payload["keyExpiresAt"] is None
    assert await flows.mail_count(server, NEW) == mails_before


async def test_a_taken_address_is_answered_as_a_free_one_and_its_owner_told(
    server: Server, new_client: Any
) -> None:
    """Anyone may open a seeker login, so a logged-in user must not learn which addresses are
    taken either: the answer is the one for a free address, and only the owner is told."""
    place = await new_place(server, new_client)
    await lf.add_login(server, place.owner, new_client(), NEW)
    free = "free-hr@care.example.jp"
    owner_mails = await flows.mail_count(server, NEW)

    taken = await request(place.owner, NEW)
    untaken = await request(place.owner, free)

    assert taken == untaken
    assert taken["errors"] == []
    assert await flows.mail_count(server, NEW) == owner_mails + 1
    notice = await server.last_mail_to(NEW)
    assert flows.mail_subject(notice) == "マイページ 登録済みのメールアドレスです"
    assert "認証キー" not in mail_body(notice)
    assert flows.mail_subject(await server.last_mail_to(free)) == "メールアドレス変更の確認"


async def test_the_own_address_is_refused_at_the_request(server: Server, new_client: Any) -> None:
    place = await new_place(server, new_client)

    payload = await request(place.owner, lf.OWNER)

    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("newEmail", "EMAIL_TAKEN")]
    assert not await MailedKey.exists(purpose="EMAIL_CHANGE")


async def test_an_address_taken_meanwhile_is_refused_at_the_confirmation(
    server: Server, new_client: Any
) -> None:
    place = await new_place(server, new_client)
    assert (await request(place.owner))["errors"] == []
    key = await lf.key_from_mail(server, NEW)
    await lf.add_login(server, place.owner, new_client(), NEW)

    payload = await confirm(place.owner, key)

    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("newEmail", "EMAIL_TAKEN")]
    assert (await lf.user(lf.OWNER)).email == lf.OWNER


async def test_the_same_address_may_serve_another_portal(server: Server, new_client: Any) -> None:
    """Addresses are unique per portal: a seeker's address is free for an employer login."""
    place = await new_place(server, new_client)
    await new_seeker(server, new_client(), NEW)

    assert (await request(place.owner))["errors"] == []
    assert (await confirm(place.owner, await lf.key_from_mail(server, NEW)))["errors"] == []


async def test_the_key_is_expired_at_51_minutes(server: Server, new_client: Any) -> None:
    place = await new_place(server, new_client)
    assert (await request(place.owner))["errors"] == []
    server.clock.advance(minutes=25)
    await place.owner.execute(flows.VIEWER)  # active, so the session outlives its idle timeout
    server.clock.advance(minutes=26)

    payload = await confirm(place.owner, await lf.key_from_mail(server, NEW))

    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("key", "AUTH_KEY_EXPIRED")]


async def test_five_wrong_keys_void_it(server: Server, new_client: Any) -> None:
    place = await new_place(server, new_client)
    assert (await request(place.owner))["errors"] == []
    for _ in range(4):
        assert lf.codes(await confirm(place.owner, "WRONGKEY22")) == ["AUTH_KEY_INVALID"]
    assert lf.codes(await confirm(place.owner, "WRONGKEY22")) == ["AUTH_KEY_VOID"]

    payload = await confirm(place.owner, await lf.key_from_mail(server, NEW))

    assert lf.codes(payload) == ["AUTH_KEY_VOID"]


async def test_the_key_is_only_for_the_login_that_asked(server: Server, new_client: Any) -> None:
    place = await new_place(server, new_client)
    await lf.add_login(server, place.owner, new_client(), "second@care.example.jp")
    second = new_client()
    await open_session(server, second, await lf.user("second@care.example.jp"))
    assert (await request(place.owner))["errors"] == []

    payload = await confirm(second, await lf.key_from_mail(server, NEW))

    assert lf.codes(payload) == ["AUTH_KEY_INVALID"]
    assert (await lf.user("second@care.example.jp")).email == "second@care.example.jp"


async def test_a_seeker_changes_the_address_too(server: Server, new_client: Any) -> None:
    seeker = await new_seeker(server, new_client(), "seeker@example.jp")

    payload = await request(seeker.client, "seeker-new@example.jp", seeker_flows.SEEKER_PASSWORD)
    assert payload["errors"] == []
    confirmed = await confirm(
        seeker.client, await lf.key_from_mail(server, "seeker-new@example.jp")
    )

    assert confirmed["viewer"] == {"portal": "SEEKER", "email": "seeker-new@example.jp"}
