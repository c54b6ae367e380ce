"""Steps the tests of logins, password reset, email change, lockout and withdrawal share."""

from __future__ import annotations

from typing import Any

from app.models import Portal, User
from tests import flows
from tests.conftest import EMPLOYER_EMAIL, EMPLOYER_PASSWORD, GraphQLClient, Server, find_in_mail

OWNER = EMPLOYER_EMAIL
PASSWORD = EMPLOYER_PASSWORD
HOME = "{ employerHome { establishmentName } }"

LOGIN_FIELDS = "id email createdAt lastLoginAt locked lockedUntil isViewer"
LOGINS = f"{{ employerLogins {{ {LOGIN_FIELDS} }} }}"
INVITATIONS = "{ employerLoginInvitations { email createdAt expiresAt } }"

PAYLOAD_FIELDS = {
    "employerLoginAdd": "invitation { email createdAt expiresAt }",
    "employerInvitationAccept": "establishment { id name }",
    "employerLoginRemove": f"login {{ {LOGIN_FIELDS} }}",
    "passwordResetRequest": "",
    "passwordResetComplete": "",
    "emailChangeRequest": "keyExpiresAt",
    "emailChangeConfirm": "viewer { portal email }",
    "loginUnlock": "",
    "accountWithdraw": "withdrawnAt",
}


def document(name: str) -> str:
    type_name = name[0].upper() + name[1:]
    return f"""mutation ($input: {type_name}Input!) {{
      {name}(input: $input) {{ {PAYLOAD_FIELDS[name]} errors {{ field code message }} }}
    }}"""


async def mutate(client: GraphQLClient, name: str, **input: Any) -> dict[str, Any]:
    """Run one of this feature's mutations; its payload (top-level errors fail the test)."""
    data = await client.execute(document(name), {"input": input})
    payload: dict[str, Any] = data[name]
    return payload


def codes(payload: dict[str, Any]) -> list[str]:
    return [error["code"] for error in payload["errors"]]


async def key_from_mail(server: Server, email: str) -> str:
    return find_in_mail(await server.last_mail_to(email), r"認証キー: (\S+)")


async def unlock_key_from_mail(server: Server, email: str) -> str:
    return find_in_mail(await server.last_mail_to(email), r"解除キー: (\S+)")


async def invite(server: Server, employer: GraphQLClient, email: str) -> str:
    """An invitation that must be mailed; the key from the mail."""
    payload = await mutate(employer, "employerLoginAdd", email=email)
    assert payload["errors"] == [], payload
    return await key_from_mail(server, email)


async def accept(
    client: GraphQLClient, email: str, key: str, password: str = PASSWORD
) -> dict[str, Any]:
    return await mutate(
        client,
        "employerInvitationAccept",
        email=email,
        key=key,
        password=password,
        passwordConfirmation=password,
    )


async def add_login(
    server: Server, employer: GraphQLClient, anonymous: GraphQLClient, email: str
) -> None:
    """Invite `email` and accept the invitation (no login yet)."""
    key = await invite(server, employer, email)
    payload = await accept(anonymous, email, key)
    assert payload["errors"] == [], payload


async def logins(client: GraphQLClient) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = (await client.execute(LOGINS))["employerLogins"]
    return found


async def login_id(client: GraphQLClient, email: str) -> str:
    """The global ID of a login of the client's establishment."""
    return next(login["id"] for login in await logins(client) if login["email"] == email)


async def user(email: str, portal: Portal = Portal.EMPLOYER) -> User:
    return await User.get(portal=portal, email=email)


async def try_login(
    client: GraphQLClient, email: str, password: str, portal: str = "EMPLOYER"
) -> dict[str, Any]:
    """The password step of login; its payload."""
    data = await client.execute(
        flows.LOGIN, {"input": {"portal": portal, "email": email, "password": password}}
    )
    payload: dict[str, Any] = data["login"]
    return payload
