"""Forgotten password: a key mailed for 50 minutes, the §2.4 policy, every session ends."""

from __future__ import annotations

from typing import Any

import pytest

from app.models import MailedKey
from tests import flows
from tests import login_flows as lf
from tests.conftest import GraphQLClient, Server, new_place, new_seeker, open_session

NEW_PASSWORD = "Reset#pass22"


async def request(client: GraphQLClient, email: str, portal: str = "EMPLOYER") -> dict[str, Any]:
    return await lf.mutate(client, "passwordResetRequest", portal=portal, email=email)


async def complete(
    client: GraphQLClient,
    key: str,
    password: str = NEW_PASSWORD,
    email: str = lf.OWNER,
    portal: str = "EMPLOYER",
    confirmation: str | None = None,
) -> dict[str, Any]:
    return await lf.mutate(
        client,
        "passwordResetComplete",
        portal=portal,
        email=email,
        key=key,
        password=password,
        passwordConfirmation=password if confirmation is None else confirmation,
    )


async def requested_key(server: Server, client: GraphQLClient, email: str = lf.OWNER) -> str:
    payload = await request(client, email)
    assert payload["errors"] == [], payload
    return await lf.key_from_mail(server, email)


async def test_a_reset_sets_the_new_password(server: Server, new_client: Any) -> None:
    await new_place(server, new_client)
    client = new_client()
    mails_before = await flows.mail_count(server, lf.OWNER)

    key = await requested_key(server, client)

    assert await flows.mail_count(server, lf.OWNER) == mails_before + 1
    mail = await server.last_mail_to(lf.OWNER)
    assert flows.mail_subject(mail) == "パスワード再設定のご案内"
    assert (await complete(client, key))["errors"] == []
    assert lf.codes(await lf.try_login(new_client(), lf.OWNER, lf.PASSWORD)) == [
        "INVALID_CREDENTIALS"
    ]
    await flows.log_in(server, new_client(), "EMPLOYER", lf.OWNER, NEW_PASSWORD)


async def test_unknown_addresses_get_the_same_answer_and_no_mail(
    server: Server, new_client: Any
) -> None:
    await new_place(server, new_client)
    client = new_client()
    known = await request(client, lf.OWNER)
    owner_mails = await flows.mail_count(server, lf.OWNER)

    unknown = await request(client, "nobody@care.example.jp")
    wrong_portal = await request(client, lf.OWNER, portal="SEEKER")

    assert known == unknown == wrong_portal == {"errors": []}
    assert await flows.mail_count(server, "nobody@care.example.jp") == 0
    assert await flows.mail_count(server, lf.OWNER) == owner_mails
    # The unknown addresses got a key all the same, with no owner, and never mailed.
    assert await MailedKey.filter(purpose="PASSWORD_RESET", user_id__isnull=False).count() == 1
    assert await MailedKey.filter(purpose="PASSWORD_RESET", user_id__isnull=True).count() == 2


async def test_known_and_unknown_addresses_are_answered_alike_up_to_the_void_key(
    server: Server, new_client: Any
) -> None:
    """The request, and the wrong keys after it, answer the same whether or not the address
    has a login: nobody learns it from the reset (the times are not asserted here)."""
    await new_place(server, new_client)
    nobody = "nobody@care.example.jp"

    async def raw(name: str, variables: dict[str, Any]) -> Any:
        """The whole response body, as a client sees it."""
        response = await new_client().post(lf.document(name), {"input": variables})
        assert response.status_code == 200, response.text
        return response.json()

    answers = {}
    for email in (lf.OWNER, nobody):
        asked = await raw("passwordResetRequest", {"portal": "EMPLOYER", "email": email})
        wrong = {
            "portal": "EMPLOYER",
            "email": email,
            "key": "WRONGKEY00",
            "password": NEW_PASSWORD,
            "passwordConfirmation": NEW_PASSWORD,
        }
        tries = [await raw("passwordResetComplete", wrong) for _ in range(6)]
        answers[email] = [asked, *tries]

    assert answers[nobody] == answers[lf.OWNER]
    codes = [
        [e["code"] for e in answer["data"]["passwordResetComplete"]["errors"]]
        for answer in answers[nobody][1:]
    ]
    assert codes == [["AUTH_KEY_INVALID"]] * 4 + [["AUTH_KEY_VOID"]] * 2


async def test_the_key_works_at_49_minutes(server: Server, new_client: Any) -> None:
    await new_place(server, new_client)
    key = await requested_key(server, new_client())
    server.clock.advance(minutes=49)

    assert (await complete(new_client(), key))["errors"] == []


async def test_the_key_is_expired_at_51_minutes(server: Server, new_client: Any) -> None:
    await new_place(server, new_client)
    key = await requested_key(server, new_client())
    server.clock.advance(minutes=51)

    payload = await complete(new_client(), key)

    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("key", "AUTH_KEY_EXPIRED")]
    await flows.log_in(server, new_client(), "EMPLOYER", lf.OWNER, lf.PASSWORD)


async def test_four_wrong_keys_then_the_right_one(server: Server, new_client: Any) -> None:
    await new_place(server, new_client)
    key = await requested_key(server, new_client())
    client = new_client()
    for _ in range(4):
        assert lf.codes(await complete(client, "WRONGKEY22")) == ["AUTH_KEY_INVALID"]

    assert (await complete(client, key))["errors"] == []


async def test_the_fifth_wrong_key_voids_it(server: Server, new_client: Any) -> None:
    await new_place(server, new_client)
    key = await requested_key(server, new_client())
    client = new_client()
    for _ in range(4):
        assert lf.codes(await complete(client, "WRONGKEY22")) == ["AUTH_KEY_INVALID"]

    fifth = await complete(client, "WRONGKEY22")
    right = await complete(client, key)

    assert lf.codes(fifth) == lf.codes(right) == ["AUTH_KEY_VOID"]
    await flows.log_in(server, new_client(), "EMPLOYER", lf.OWNER, lf.PASSWORD)


async def test_a_newer_request_voids_the_older_key(server: Server, new_client: Any) -> None:
    await new_place(server, new_client)
    client = new_client()
    older = await requested_key(server, client)
    newer = await requested_key(server, client)
    if older == newer:  # vanishingly unlikely
        pytest.skip("the two keys happen to be equal")

    assert lf.codes(await complete(client, older)) == ["AUTH_KEY_INVALID"]
    assert (await complete(client, newer))["errors"] == []


async def test_a_key_is_used_once(server: Server, new_client: Any) -> None:
    await new_place(server, new_client)
    key = await requested_key(server, new_client())
    assert (await complete(new_client(), key))["errors"] == []

    again = await complete(new_client(), key, password="Other#pass33")

    assert lf.codes(again) == ["AUTH_KEY_VOID"]


@pytest.mark.parametrize(("length", "accepted"), [(7, False), (8, True), (32, True), (33, False)])
async def test_the_password_policy_at_its_lengths(
    server: Server, new_client: Any, length: int, accepted: bool
) -> None:
    await new_place(server, new_client)
    key = await requested_key(server, new_client())
    password = ("Ab1#" * 9)[:length]

    payload = await complete(new_client(), key, password)

    if accepted:
        assert payload["errors"] == []
        await flows.log_in(server, new_client(), "EMPLOYER", lf.OWNER, password)
    else:
        assert [(e["field"], e["code"]) for e in payload["errors"]] == [
            ("password", "PASSWORD_POLICY")
        ]
        # A refused form spends no try: the key still works.
        assert (await complete(new_client(), key))["errors"] == []


@pytest.mark.parametrize(
    ("password", "confirmation", "field", "code"),
    [
        ("abcdefgh12", None, "password", "PASSWORD_POLICY"),
        ("ABCD#efgh", None, "password", "PASSWORD_POLICY"),
        ("Ｒｅｓｅｔ＃ｐａｓｓ２２", None, "password", "NOT_HALF_WIDTH"),
        (NEW_PASSWORD, "Reset#pass23", "passwordConfirmation", "MISMATCH"),
    ],
)
async def test_the_password_needs_letters_digits_and_symbols_and_its_confirmation(
    server: Server,
    new_client: Any,
    password: str,
    confirmation: str | None,
    field: str,
    code: str,
) -> None:
    await new_place(server, new_client)
    key = await requested_key(server, new_client())

    payload = await complete(new_client(), key, password, confirmation=confirmation)

    assert [(e["field"], e["code"]) for e in payload["errors"]] == [(field, code)]


async def test_a_reset_ends_every_session(server: Server, new_client: Any) -> None:
    place = await new_place(server, new_client)
    other = new_client()
    await open_session(server, other, await lf.user(lf.OWNER))
    key = await requested_key(server, new_client())

    assert (await complete(new_client(), key))["errors"] == []

    for client in (place.owner, other):
        assert flows.top_level_codes(await client.post(lf.HOME)) == ["UNAUTHENTICATED"]


async def test_a_reset_lifts_a_lockout(server: Server, new_client: Any) -> None:
    await new_place(server, new_client)
    client = new_client()
    for _ in range(5):
        await lf.try_login(client, lf.OWNER, "Wrong#pass1")
    assert lf.codes(await lf.try_login(client, lf.OWNER, lf.PASSWORD)) == ["ACCOUNT_LOCKED"]
    key = await requested_key(server, client)

    assert (await complete(client, key))["errors"] == []

    user = await lf.user(lf.OWNER)
    assert (user.failed_logins, user.locked_until) == (0, None)
    await flows.log_in(server, new_client(), "EMPLOYER", lf.OWNER, NEW_PASSWORD)


async def test_a_seeker_resets_a_password_too(server: Server, new_client: Any) -> None:
    seeker = await new_seeker(server, new_client(), "seeker@example.jp")
    client = new_client()
    assert (await request(client, seeker.email, portal="SEEKER"))["errors"] == []
    key = await lf.key_from_mail(server, seeker.email)

    payload = await complete(client, key, email=seeker.email, portal="SEEKER")

    assert payload["errors"] == []
    response = await seeker.client.post("{ seekerProfile { displayName } }")
    assert flows.top_level_codes(response) == ["UNAUTHENTICATED"]
    await flows.log_in(server, new_client(), "SEEKER", seeker.email, NEW_PASSWORD)


async def test_a_key_for_one_login_does_not_reset_another(server: Server, new_client: Any) -> None:
    place = await new_place(server, new_client)
    await lf.add_login(server, place.owner, new_client(), "second@care.example.jp")
    key = await requested_key(server, new_client())

    payload = await complete(new_client(), key, email="second@care.example.jp")

    assert lf.codes(payload) == ["AUTH_KEY_INVALID"]
