"""Login recovery at the counter (loginEmailResetAtCounter): staff of the establishment's
office, after an identity check in person, give a login a new address; its sessions end, a
password reset key goes to the new address, the change is audited and the establishment told."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from strawberry import relay

from app.models import (
    AuditAction,
    AuditEvent,
    Event,
    HelloWorkNotice,
    MailedKey,
    OutgoingMail,
    RememberedDevice,
    Session,
    User,
)
from app.models.counter import NoticeKind
from app.models.events import EventKind
from app.resolvers.accounts.counter_recovery import NEW_ADDRESS_MAIL_SUBJECT
from tests import flows, login_flows
from tests.conftest import (
    EMPLOYER_EMAIL,
    GraphQLClient,
    Place,
    Server,
    find_in_mail,
    mail_body,
    new_employer_of,
    new_place,
    new_seeker,
    new_staff,
    user_of,
)
from tests.test_socket_sessions import closed_unanswered
from tests.ws_client import GraphQLWebSocket

NEW_EMAIL = "new-hr@care.example.jp"
NEW_PASSWORD = "Renewed#pass2"
IDENTITY = "運転免許証で本人確認"

RESET = """
mutation ($input: LoginEmailResetAtCounterInput!) {
  loginEmailResetAtCounter(input: $input) {
    login { id email }
    keyExpiresAt
    establishment { id }
    errors { field code message }
  }
}"""

LOGINS = """query ($id: ID!) { node(id: $id) { ... on Establishment { logins { id email } } } }"""

HOME = "{ employerHome { establishmentName } }"


def reset_input(login_id: str, **overrides: str) -> dict[str, Any]:
    values = {
        "loginId": login_id,
        "newEmail": NEW_EMAIL,
        "newEmailConfirmation": NEW_EMAIL,
        "identityCheck": IDENTITY,
    }
    values.update(overrides)
    return {"input": values}


async def reset(staff: GraphQLClient, login_id: str, **overrides: str) -> dict[str, Any]:
    data = await staff.execute(RESET, reset_input(login_id, **overrides))
    payload: dict[str, Any] = data["loginEmailResetAtCounter"]
    return payload


def codes(payload: dict[str, Any]) -> list[tuple[str, str]]:
    return [(error["field"], error["code"]) for error in payload["errors"]]


async def owner_login_id(place: Place) -> str:
    data = await place.staff.execute(LOGINS, {"id": place.counter.establishment_id})
    return next(login["id"] for login in data["node"]["logins"] if login["email"] == EMPLOYER_EMAIL)


@pytest.fixture
async def place(server: Server, new_client: Any) -> Place:
    return await new_place(server, new_client)


async def test_staff_reset_the_address_end_to_end(
    server: Server, place: Place, new_client: Any
) -> None:
    owner = await user_of(server, place.owner)
    login_id = await owner_login_id(place)
    await RememberedDevice.create(
        user_id=owner.id,
        token_hash="remembered-device-hash",
        created_at=server.clock.now(),
        expires_at=server.clock.now() + dt.timedelta(days=30),
    )
    # A reset key mailed to the old address before: not to be used any more.
    payload = await login_flows.mutate(
        new_client(), "passwordResetRequest", portal="EMPLOYER", email=EMPLOYER_EMAIL
    )
    assert payload["errors"] == []
    old_key = await login_flows.key_from_mail(server, EMPLOYER_EMAIL)
    assert (await place.owner.execute(HOME))["employerHome"]["establishmentName"]

    payload = await reset(place.staff, login_id)
    assert payload["errors"] == []
    assert payload["login"] == {"id": login_id, "email": NEW_EMAIL}
    assert payload["establishment"] == {"id": place.counter.establishment_id}
    expires = dt.datetime.fromisoformat(payload["keyExpiresAt"])
    assert expires == server.clock.now() + dt.timedelta(minutes=50)

    # The old sessions ended: the old token is nobody.
    response = await place.owner.post(HOME)
    assert flows.top_level_codes(response) == ["UNAUTHENTICATED"]
    assert not await Session.filter(user_id=owner.id, ended_at__isnull=True).exists()
    assert not await RememberedDevice.filter(user_id=owner.id).exists()
    # Only the new key is open.
    open_keys = await MailedKey.filter(user_id=owner.id, closed_at__isnull=True)
    assert [key.email for key in open_keys] == [NEW_EMAIL]

    # The key went to the new address, with why.
    mail = await server.last_mail_to(NEW_EMAIL)
    assert flows.mail_subject(mail) == NEW_ADDRESS_MAIL_SUBJECT
    assert "窓口" in mail_body(mail)
    key = find_in_mail(mail, r"認証キー: (\S+)")
    # The old address is told, without the new one.
    told = await server.last_mail_to(EMPLOYER_EMAIL)
    assert "窓口" in mail_body(told)
    assert NEW_EMAIL not in mail_body(told)

    anonymous = new_client()
    stale = await login_flows.mutate(
        anonymous,
        "passwordResetComplete",
        portal="EMPLOYER",
        email=EMPLOYER_EMAIL,
        key=old_key,
        password=NEW_PASSWORD,
        passwordConfirmation=NEW_PASSWORD,
    )
    assert login_flows.codes(stale) == ["AUTH_KEY_INVALID"]
    completed = await login_flows.mutate(
        anonymous,
        "passwordResetComplete",
        portal="EMPLOYER",
        email=NEW_EMAIL,
        key=key,
        password=NEW_PASSWORD,
        passwordConfirmation=NEW_PASSWORD,
    )
    assert completed["errors"] == []

    # The new address and password log in, with the OTP mailed there; the old address not.
    refused = await login_flows.try_login(new_client(), EMPLOYER_EMAIL, NEW_PASSWORD)
    assert login_flows.codes(refused) == ["INVALID_CREDENTIALS"]
    renewed = new_client()
    await flows.log_in(server, renewed, "EMPLOYER", NEW_EMAIL, NEW_PASSWORD)
    assert (await renewed.execute(HOME))["employerHome"]["establishmentName"]


async def test_audited_and_noticed_with_masked_addresses_only(server: Server, place: Place) -> None:
    staff = await user_of(server, place.staff)
    owner = await user_of(server, place.owner)
    payload = await reset(place.staff, await owner_login_id(place))
    assert payload["errors"] == []

    entry = await AuditEvent.get(action=AuditAction.LOGIN_EMAIL_RESET_AT_COUNTER)
    assert entry.actor_id == staff.id
    assert entry.subject_id == owner.id
    assert entry.office_id == staff.office_id
    assert entry.establishment_id == owner.establishment_id
    assert entry.detail == {
        "old": "h***@care.example.jp",
        "new": "n***@care.example.jp",
        "identity_check": IDENTITY,
    }
    assert EMPLOYER_EMAIL not in str(entry.detail)
    assert NEW_EMAIL not in str(entry.detail)

    notice = await HelloWorkNotice.get(kind=NoticeKind.LOGIN_EMAIL_RESET)
    assert notice.establishment_id == owner.establishment_id
    assert notice.sent_by_id == staff.id
    assert "n***@care.example.jp" in notice.body
    assert NEW_EMAIL not in notice.body + notice.title
    assert EMPLOYER_EMAIL not in notice.body + notice.title
    assert await Event.exists(kind=EventKind.NOTICE_RECEIVED, notice_id=notice.id)


async def test_open_sockets_of_the_login_close(server: Server, place: Place) -> None:
    assert place.owner.token is not None
    async with GraphQLWebSocket.connected(server.url, place.owner.token) as ws:
        await ws.subscribe("{ viewer { email } }")
        assert (await ws.receive())["type"] == "next"
        assert (await ws.receive())["type"] == "complete"
        payload = await reset(place.staff, await owner_login_id(place))
        assert payload["errors"] == []
        closed = await closed_unanswered(ws)
        assert (closed.code, closed.reason) == (4403, "session ended")


@pytest.mark.parametrize(
    ("minutes", "codes_then"), [(49, []), (50, ["AUTH_KEY_EXPIRED"])], ids=["49 min", "50 min"]
)
async def test_the_key_holds_50_minutes(
    server: Server, place: Place, new_client: Any, minutes: int, codes_then: list[str]
) -> None:
    assert (await reset(place.staff, await owner_login_id(place)))["errors"] == []
    key = find_in_mail(await server.last_mail_to(NEW_EMAIL), r"認証キー: (\S+)")
    server.clock.advance(minutes=minutes)
    completed = await login_flows.mutate(
        new_client(),
        "passwordResetComplete",
        portal="EMPLOYER",
        email=NEW_EMAIL,
        key=key,
        password=NEW_PASSWORD,
        passwordConfirmation=NEW_PASSWORD,
    )
    assert login_flows.codes(completed) == codes_then


async def unchanged(server: Server, place: Place) -> None:
    """Nothing of the login changed: its address, its session, no key, no mail, no audit."""
    owner = await User.get(email=EMPLOYER_EMAIL)
    assert owner.is_active
    assert (await place.owner.execute(HOME))["employerHome"]["establishmentName"]
    assert not await MailedKey.filter(user_id=owner.id).exists()
    assert not await AuditEvent.exists(action=AuditAction.LOGIN_EMAIL_RESET_AT_COUNTER)
    assert not await HelloWorkNotice.exists(kind=NoticeKind.LOGIN_EMAIL_RESET)
    assert not await OutgoingMail.filter(to=NEW_EMAIL).exists()


async def test_an_address_taken_by_another_login(
    server: Server, place: Place, new_client: Any
) -> None:
    await new_employer_of(
        server, place.staff, new_client(), "1301-654321-0", "03-3812-0002", "hr@other.example.jp"
    )
    login_id = await owner_login_id(place)
    for taken in ("hr@other.example.jp", "HR@Other.example.jp", EMPLOYER_EMAIL):
        payload = await reset(place.staff, login_id, newEmail=taken, newEmailConfirmation=taken)
        assert codes(payload) == [("newEmail", "EMAIL_TAKEN")], taken
    await unchanged(server, place)
    # A seeker's address is another portal's: the login may take it.
    await new_seeker(server, new_client(), "taro@example.jp")
    payload = await reset(
        place.staff, login_id, newEmail="taro@example.jp", newEmailConfirmation="taro@example.jp"
    )
    assert payload["errors"] == []


async def test_staff_of_another_office_and_unknown_logins_are_not_found(
    server: Server, place: Place, new_client: Any
) -> None:
    login_id = await owner_login_id(place)
    staff_x = await new_staff(server, new_client(), "13020")
    response = await staff_x.post(RESET, reset_input(login_id))
    assert flows.not_found_for_another_office(response, "loginEmailResetAtCounter")
    staff_user = await user_of(server, place.staff)
    for other in (
        relay.to_base64("EmployerLogin", 999999),
        relay.to_base64("EmployerLogin", staff_user.id),  # a staff login, not an employer's
        relay.to_base64("Posting", 1),
        "not-an-id",
    ):
        payload = await reset(place.staff, other)
        assert codes(payload) == [("loginId", "NOT_FOUND")], other
    await unchanged(server, place)


async def test_a_closed_login_cannot_be_reset(
    server: Server, place: Place, new_client: Any
) -> None:
    await login_flows.add_login(server, place.owner, new_client(), "second@care.example.jp")
    second = await login_flows.login_id(place.owner, "second@care.example.jp")
    assert (await login_flows.mutate(place.owner, "employerLoginRemove", userId=second))[
        "errors"
    ] == []
    payload = await reset(place.staff, second)
    assert codes(payload) == [("loginId", "INVALID_STATE")]


@pytest.mark.parametrize(
    ("identity", "expected"),
    [
        ("", [("identityCheck", "REQUIRED")]),
        ("   ", [("identityCheck", "REQUIRED")]),
        ("本" * 201, [("identityCheck", "TOO_LONG")]),
        ("免許証\x07", [("identityCheck", "INVALID_FORMAT")]),
    ],
    ids=["empty", "blank", "201", "control character"],
)
async def test_the_identity_check_is_required_and_bounded(
    server: Server, place: Place, identity: str, expected: list[tuple[str, str]]
) -> None:
    payload = await reset(place.staff, await owner_login_id(place), identityCheck=identity)
    assert codes(payload) == expected
    assert all(error["message"] for error in payload["errors"])
    await unchanged(server, place)


async def test_an_identity_check_of_200_characters_is_taken(server: Server, place: Place) -> None:
    payload = await reset(place.staff, await owner_login_id(place), identityCheck="本" * 200)
    assert payload["errors"] == []
    entry = await AuditEvent.get(action=AuditAction.LOGIN_EMAIL_RESET_AT_COUNTER)
    assert entry.detail["identity_check"] == "本" * 200


async def test_the_new_address_is_checked(server: Server, place: Place) -> None:
    login_id = await owner_login_id(place)
    payload = await reset(place.staff, login_id, newEmail="not an address")
    assert ("newEmail", "NOT_HALF_WIDTH") in codes(payload)
    payload = await reset(place.staff, login_id, newEmailConfirmation="other@care.example.jp")
    assert codes(payload) == [("newEmailConfirmation", "MISMATCH")]
    long_address = "a" * 90 + "@example.jp"  # 101 characters
    payload = await reset(
        place.staff, login_id, newEmail=long_address, newEmailConfirmation=long_address
    )
    assert codes(payload) == [("newEmail", "TOO_LONG")]
    await unchanged(server, place)


async def test_only_staff_may_reset(server: Server, place: Place, new_client: Any) -> None:
    login_id = await owner_login_id(place)
    seeker = await new_seeker(server, new_client(), "taro@example.jp")
    response = await new_client().post(RESET, reset_input(login_id))
    assert flows.top_level_codes(response) == ["UNAUTHENTICATED"]
    for client in (place.owner, seeker.client):
        response = await client.post(RESET, reset_input(login_id))
        assert flows.top_level_codes(response) == ["FORBIDDEN"]
    await unchanged(server, place)
