"""Steps that many tests share, taken through the public API where a user would."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.models import User
from app.resolvers import accounts
from app.terms import TermsKind, current_version
from tests.conftest import GraphQLClient, Server, find_in_mail

STAFF_PASSWORD = "Staff#pass1"
EMPLOYER_PASSWORD = "Employer#pass1"

LOGIN = """
mutation ($input: LoginInput!) {
  login(input: $input) {
    session { token expiresAt }
    otpChallenge { id expiresAt }
    errors { field code message }
  }
}"""

VERIFY_OTP = """
mutation ($input: LoginVerifyOtpInput!) {
  loginVerifyOtp(input: $input) {
    session { token expiresAt }
    rememberedDevice { token expiresAt }
    errors { field code message }
  }
}"""

REGISTER_ESTABLISHMENT = """
mutation ($input: EstablishmentRegisterInput!) {
  establishmentRegister(input: $input) {
    establishment { id establishmentNumber name phoneNumber office { code name } }
    errors { field code message }
  }
}"""

ISSUE_CODE = """
mutation ($id: ID!) {
  accountCreationCodeIssue(input: {establishmentId: $id}) {
    code expiresOn expiresOnJapanese
    errors { field code message }
  }
}"""

REGISTRATION_REQUEST = """
mutation ($input: EmployerRegistrationRequestInput!) {
  employerRegistrationRequest(input: $input) {
    authKeyExpiresAt
    errors { field code message }
  }
}"""

REGISTRATION_COMPLETE = """
mutation ($input: EmployerRegistrationCompleteInput!) {
  employerRegistrationComplete(input: $input) {
    establishment { id name }
    errors { field code message }
  }
}"""


async def create_staff(
    server: Server, office_code: str = "13010", email: str | None = None
) -> User:
    return await accounts.create_staff(
        server.rt,
        office_code=office_code,
        office_name=f"テスト{office_code}公共職業安定所",
        email=email or f"staff{office_code}@example.jp",
        password=STAFF_PASSWORD,
    )


async def log_in(
    server: Server, client: GraphQLClient, portal: str, email: str, password: str
) -> str:
    """Password, then the OTP read from the mail; sets and returns the bearer token."""
    data = await client.execute(
        LOGIN, {"input": {"portal": portal, "email": email, "password": password}}
    )
    payload = data["login"]
    assert payload["errors"] == [], payload
    otp = find_in_mail(server.last_mail_to(email), r"ワンタイムパスワード: (\d{6})")
    data = await client.execute(
        VERIFY_OTP, {"input": {"challengeId": payload["otpChallenge"]["id"], "otp": otp}}
    )
    assert data["loginVerifyOtp"]["errors"] == [], data
    token: str = data["loginVerifyOtp"]["session"]["token"]
    client.token = token
    return token


async def staff_client(
    server: Server, client: GraphQLClient, office_code: str = "13010"
) -> GraphQLClient:
    staff = await create_staff(server, office_code)
    await log_in(server, client, "STAFF", staff.email, STAFF_PASSWORD)
    return client


@dataclass
class Counter:
    """An establishment registered at the counter, with its code."""

    establishment_id: str
    establishment_number: str
    phone_number: str
    code: str


async def register_at_counter(
    staff: GraphQLClient, number: str = "1301-123456-7", phone: str = "03-3812-0001"
) -> Counter:
    data = await staff.execute(
        REGISTER_ESTABLISHMENT,
        {
            "input": {
                "establishmentNumber": number,
                "name": "ハローワークケア",
                "nameKana": "ハローワークケア",
                "phoneNumber": phone,
                "postalCode": "112-8577",
                "address": "東京都文京区後楽1-9-20",
            }
        },
    )
    payload = data["establishmentRegister"]
    assert payload["errors"] == [], payload
    establishment_id = payload["establishment"]["id"]
    code = await issue_code(staff, establishment_id)
    return Counter(establishment_id, number, phone, code)


async def issue_code(staff: GraphQLClient, establishment_id: str) -> str:
    data = await staff.execute(ISSUE_CODE, {"id": establishment_id})
    payload = data["accountCreationCodeIssue"]
    assert payload["errors"] == [], payload
    code: str = payload["code"]
    return code


def registration_input(counter: Counter, email: str, **overrides: str) -> dict[str, Any]:
    values = {
        "email": email,
        "emailConfirmation": email,
        "establishmentNumber": counter.establishment_number,
        "phoneNumber": counter.phone_number,
        "accountCreationCode": counter.code,
        "agreedPrivacyPolicyVersion": current_version(TermsKind.PRIVACY_POLICY),
        "agreedTermsVersion": current_version(TermsKind.TERMS_OF_USE),
    }
    values.update(overrides)
    return {"input": values}


async def request_registration(
    client: GraphQLClient, counter: Counter, email: str, **overrides: str
) -> dict[str, Any]:
    data = await client.execute(
        REGISTRATION_REQUEST, registration_input(counter, email, **overrides)
    )
    payload: dict[str, Any] = data["employerRegistrationRequest"]
    return payload


async def complete_registration(
    client: GraphQLClient,
    email: str,
    auth_key: str,
    password: str = EMPLOYER_PASSWORD,
    confirmation: str | None = None,
) -> dict[str, Any]:
    data = await client.execute(
        REGISTRATION_COMPLETE,
        {
            "input": {
                "email": email,
                "authKey": auth_key,
                "password": password,
                "passwordConfirmation": password if confirmation is None else confirmation,
            }
        },
    )
    payload: dict[str, Any] = data["employerRegistrationComplete"]
    return payload


def auth_key_from_mail(server: Server, email: str) -> str:
    return find_in_mail(server.last_mail_to(email), r"認証キー: (\S+)")


async def open_employer_account(
    server: Server, client: GraphQLClient, counter: Counter, email: str = "hr@care.example.jp"
) -> str:
    """The whole leaflet: request, key from the mail, password, login with OTP; the token."""
    payload = await request_registration(client, counter, email)
    assert payload["errors"] == [], payload
    payload = await complete_registration(client, email, auth_key_from_mail(server, email))
    assert payload["errors"] == [], payload
    return await log_in(server, client, "EMPLOYER", email, EMPLOYER_PASSWORD)
