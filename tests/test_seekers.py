"""Seeker registration with a mailed key, login with portal SEEKER, and the own profile."""

from __future__ import annotations

from typing import Any

import pytest

from app.models import Portal, SeekerProfile, User
from tests import flows
from tests import seeker_flows as sf
from tests.conftest import GraphQLClient, Server, mail_body, new_seeker, new_staff

MY_PROFILE = f"{{ seekerProfile {{ {sf.PROFILE_FIELDS} }} }}"
NODE = """query ($id: ID!) { node(id: $id) { ... on SeekerProfile { displayName email } } }"""


async def test_register_verify_and_log_in(server: Server, gql: GraphQLClient) -> None:
    payload = await sf.register(gql, "Taro@Example.jp", name="求職 太郎")
    assert payload["errors"] == []
    message = await server.last_mail_to("taro@example.jp")
    assert flows.mail_subject(message) == "求職者マイページ 仮登録のお知らせ"
    assert not await User.exists(portal=Portal.SEEKER)

    key = await flows.auth_key_from_mail(server, "taro@example.jp")
    payload = await sf.verify(gql, "taro@example.jp", key)
    assert payload["errors"] == []
    assert payload["seekerProfile"]["displayName"] == "求職 太郎"
    assert payload["seekerProfile"]["published"] is False

    await flows.log_in(server, gql, "SEEKER", "taro@example.jp", sf.SEEKER_PASSWORD)
    data = await gql.execute(MY_PROFILE)
    assert data["seekerProfile"]["email"] == "taro@example.jp"
    # The key is spent.
    payload = await sf.verify(gql, "taro@example.jp", key)
    assert sf.error_codes(payload) == ["VERIFICATION_KEY_VOID"]
    # An employer login is another portal.
    response = await gql.post(
        flows.LOGIN,
        {"input": {"portal": "EMPLOYER", "email": "taro@example.jp", "password": "x"}},
    )
    assert response.json()["data"]["login"]["errors"][0]["code"] == "INVALID_CREDENTIALS"


async def test_a_taken_address_is_answered_as_a_free_one_and_only_its_owner_is_told(
    server: Server, gql: GraphQLClient, new_client: Any
) -> None:
    """Nothing in the answer, nor in what follows it, tells which addresses have a login."""
    await new_seeker(server, new_client(), "taro@example.jp")

    other = "Other#pass9"
    taken = await gql.post(sf.REGISTER, sf.registration_input("taro@example.jp", password=other))
    free = await gql.post(sf.REGISTER, sf.registration_input("jiro@example.jp", password=other))

    assert taken.status_code == free.status_code == 200
    assert taken.json() == free.json()
    assert free.json()["data"]["seekerRegister"]["errors"] == []
    notice = await server.last_mail_to("taro@example.jp")
    assert flows.mail_subject(notice) == "マイページ 登録済みのメールアドレスです"
    assert "すでに求職者マイページに登録されている" in mail_body(notice)
    assert "認証キー" not in mail_body(notice)
    assert flows.mail_subject(await server.last_mail_to("jiro@example.jp")) == (
        "求職者マイページ 仮登録のお知らせ"
    )
    # Wrong keys are answered alike too; the owner's login is untouched.
    for address in ("taro@example.jp", "jiro@example.jp"):
        codes = [sf.error_codes(await sf.verify(gql, address, "WRONGKEY00")) for _ in range(5)]
        assert codes == [["VERIFICATION_KEY_INVALID"]] * 4 + [["VERIFICATION_KEY_VOID"]]
    await flows.log_in(server, new_client(), "SEEKER", "taro@example.jp", sf.SEEKER_PASSWORD)


async def test_form_errors_change_nothing(server: Server, gql: GraphQLClient) -> None:
    payload = await sf.register(
        gql,
        "form-errors@example.jp",
        emailConfirmation="jiro@example.jp",
        password="short",
        passwordConfirmation="other",
        displayName=" ",
    )
    assert {(e["field"], e["code"]) for e in payload["errors"]} == {
        ("emailConfirmation", "MISMATCH"),
        ("password", "PASSWORD_POLICY"),
        ("passwordConfirmation", "MISMATCH"),
        ("displayName", "REQUIRED"),
    }
    payload = await sf.register(
        gql, "form-errors@example.jp", password="noSymbol123", passwordConfirmation="noSymbol123"
    )
    assert sf.error_codes(payload) == ["PASSWORD_POLICY"]
    assert await flows.mail_count(server, "form-errors@example.jp") == 0


@pytest.mark.parametrize(("minutes", "accepted"), [(49, True), (51, False)])
async def test_the_key_is_valid_for_50_minutes(
    server: Server, gql: GraphQLClient, minutes: int, accepted: bool
) -> None:
    await sf.register(gql, "taro@example.jp")
    key = await flows.auth_key_from_mail(server, "taro@example.jp")
    server.clock.advance(minutes=minutes)
    payload = await sf.verify(gql, "taro@example.jp", key)
    if accepted:
        assert payload["errors"] == []
    else:
        assert sf.error_codes(payload) == ["VERIFICATION_KEY_EXPIRED"]
        assert not await User.exists(portal=Portal.SEEKER)


async def test_five_wrong_keys_void_the_registration(server: Server, gql: GraphQLClient) -> None:
    await sf.register(gql, "taro@example.jp")
    key = await flows.auth_key_from_mail(server, "taro@example.jp")
    codes = [
        sf.error_codes(await sf.verify(gql, "taro@example.jp", "WRONGKEY00"))[0] for _ in range(5)
    ]
    assert codes == ["VERIFICATION_KEY_INVALID"] * 4 + ["VERIFICATION_KEY_VOID"]
    payload = await sf.verify(gql, "taro@example.jp", key)
    assert sf.error_codes(payload) == ["VERIFICATION_KEY_VOID"]
    assert not await User.exists(portal=Portal.SEEKER)
    # Registering again mails a fresh key that works.
    await sf.register(gql, "taro@example.jp")
    payload = await sf.verify(
        gql, "taro@example.jp", await flows.auth_key_from_mail(server, "taro@example.jp")
    )
    assert payload["errors"] == []


async def test_four_wrong_keys_then_the_right_one(server: Server, gql: GraphQLClient) -> None:
    await sf.register(gql, "taro@example.jp")
    key = await flows.auth_key_from_mail(server, "taro@example.jp")
    for _ in range(4):
        await sf.verify(gql, "taro@example.jp", "WRONGKEY00")
    payload = await sf.verify(gql, "taro@example.jp", key)
    assert payload["errors"] == []


async def test_a_new_registration_voids_the_earlier_key(server: Server, gql: GraphQLClient) -> None:
    await sf.register(gql, "taro@example.jp")
    first_key = await flows.auth_key_from_mail(server, "taro@example.jp")
    await sf.register(gql, "taro@example.jp")
    second_key = await flows.auth_key_from_mail(server, "taro@example.jp")
    assert first_key != second_key
    payload = await sf.verify(gql, "taro@example.jp", first_key)
    assert sf.error_codes(payload) == ["VERIFICATION_KEY_INVALID"]
    payload = await sf.verify(gql, "taro@example.jp", second_key)
    assert payload["errors"] == []


async def test_profile_update_and_query(server: Server, gql: GraphQLClient) -> None:
    seeker = await new_seeker(server, gql, "taro@example.jp")
    profile = await sf.update_profile(gql, displayName="求職 次郎")
    assert profile["desiredJob"] == "介護職員"
    assert profile["desiredPrefecture"] == "東京都"
    assert profile["published"] is True
    assert profile["displayName"] == "求職 次郎"
    assert profile["phoneNumber"] == "090-1234-5678"
    data = await gql.execute(MY_PROFILE)
    assert data["seekerProfile"] == profile
    # Name and phone stay when not sent.
    profile = await sf.update_profile(gql, displayName=None, phoneNumber=None, published=False)
    assert profile["displayName"] == "求職 次郎"
    assert profile["phoneNumber"] == "090-1234-5678"
    assert profile["published"] is False
    assert profile["id"] == seeker.profile_id

    data = await gql.execute(
        sf.PROFILE_UPDATE,
        {
            "input": sf.profile_input(
                desiredPrefecture="東京", desiredJob="職" * 101, phoneNumber="0312345678"
            )
        },
    )
    errors = data["seekerProfileUpdate"]["errors"]
    assert {(e["field"], e["code"]) for e in errors} == {
        ("desiredPrefecture", "INVALID_FORMAT"),
        ("desiredJob", "TOO_LONG"),
        ("phoneNumber", "INVALID_FORMAT"),
    }
    stored = await SeekerProfile.get(user__email="taro@example.jp")
    assert stored.desired_prefecture == "東京都"


async def test_the_profile_is_the_seekers_own(
    server: Server, gql: GraphQLClient, new_client
) -> None:
    taro = await new_seeker(server, gql, "taro@example.jp")
    jiro = await new_seeker(server, new_client(), "jiro@example.jp", name="求職 次郎")
    data = await taro.client.execute(NODE, {"id": taro.profile_id})
    assert data["node"] == {"displayName": "求職 太郎", "email": "taro@example.jp"}
    data = await jiro.client.execute(NODE, {"id": taro.profile_id})
    assert data["node"] is None
    staff = await new_staff(server, new_client())
    data = await staff.execute(NODE, {"id": taro.profile_id})
    assert data["node"] is None

    anonymous = new_client()
    response = await anonymous.post(MY_PROFILE)
    assert flows.top_level_codes(response) == ["UNAUTHENTICATED"]
    response = await staff.post(MY_PROFILE)
    assert flows.top_level_codes(response) == ["FORBIDDEN"]
    response = await anonymous.post(sf.PROFILE_UPDATE, {"input": sf.profile_input()})
    assert flows.top_level_codes(response) == ["UNAUTHENTICATED"]
