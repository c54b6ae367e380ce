"""Steps the seeker and application tests share, taken through the public API."""

from __future__ import annotations

import itertools
from typing import Any

from strawberry import relay

from app.models import Application, ApplicationEvent, Portal, Posting, SeekerProfile, User
from app.models.applications import ApplicationSource, ApplicationStatus
from app.schema.nodes import decode_id
from tests.conftest import SEEKER_PASSWORD, GraphQLClient, Server, open_session

REGISTER = """
mutation ($input: SeekerRegisterInput!) {
  seekerRegister(input: $input) { verificationKeyExpiresAt errors { field code message } }
}"""

VERIFY = """
mutation ($input: SeekerVerifyEmailInput!) {
  seekerVerifyEmail(input: $input) {
    seekerProfile { id displayName email published }
    errors { field code message }
  }
}"""

PROFILE_FIELDS = """id displayName email phoneNumber desiredJob desiredPrefecture
  desiredEmploymentType desiredWorkStyle experience licenses published updatedAt"""

PROFILE_UPDATE = f"""
mutation ($input: SeekerProfileUpdateInput!) {{
  seekerProfileUpdate(input: $input) {{
    seekerProfile {{ {PROFILE_FIELDS} }}
    errors {{ field code message }}
  }}
}}"""

APPLICATION_FIELDS = """id status source referralLetterNumber hasMyPage motivation createdAt
  posting { id status postingNumber }
  postingSummary { postingNumber jobTitle establishmentName }
  applicant { profileId desiredJob desiredPrefecture desiredEmploymentType experience licenses }
  statusHistory { actorPortal at fromStatus toStatus reason }"""

APPLICATION_CREATE = f"""
mutation ($input: ApplicationCreateInput!) {{
  applicationCreate(input: $input) {{
    application {{ {APPLICATION_FIELDS} }}
    errors {{ field code message }}
  }}
}}"""

REFERRAL_CREATE = f"""
mutation ($input: ReferralCreateInput!) {{
  referralCreate(input: $input) {{
    application {{ {APPLICATION_FIELDS} }}
    errors {{ field code message }}
  }}
}}"""

STATUS_UPDATE = f"""
mutation ($input: ApplicationStatusUpdateInput!) {{
  applicationStatusUpdate(input: $input) {{
    application {{ {APPLICATION_FIELDS} }}
    numberToHireReached
    errors {{ field code message }}
  }}
}}"""


def registration_input(
    email: str, name: str = "求職 太郎", password: str = SEEKER_PASSWORD, **overrides: str
) -> dict[str, Any]:
    values = {
        "email": email,
        "emailConfirmation": email,
        "password": password,
        "passwordConfirmation": password,
        "displayName": name,
    }
    values.update(overrides)
    return {"input": values}


async def register(client: GraphQLClient, email: str, **overrides: str) -> dict[str, Any]:
    data = await client.execute(REGISTER, registration_input(email, **overrides))
    payload: dict[str, Any] = data["seekerRegister"]
    return payload


async def verify(client: GraphQLClient, email: str, key: str) -> dict[str, Any]:
    data = await client.execute(VERIFY, {"input": {"email": email, "key": key}})
    payload: dict[str, Any] = data["seekerVerifyEmail"]
    return payload


def profile_input(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "desiredJob": "介護職員",
        "desiredPrefecture": "東京都",
        "desiredEmploymentType": "REGULAR",
        "desiredWorkStyle": "FULL_TIME",
        "experience": "特別養護老人ホームで5年",
        "licenses": "介護福祉士",
        "published": True,
        "phoneNumber": "090-1234-5678",
    }
    values.update(overrides)
    return values


async def update_profile(client: GraphQLClient, **overrides: Any) -> dict[str, Any]:
    data = await client.execute(PROFILE_UPDATE, {"input": profile_input(**overrides)})
    payload: dict[str, Any] = data["seekerProfileUpdate"]
    assert payload["errors"] == [], payload
    profile: dict[str, Any] = payload["seekerProfile"]
    return profile


async def mutate(
    client: GraphQLClient, document: str, name: str, input: dict[str, Any]
) -> dict[str, Any]:
    data = await client.execute(document, {"input": input})
    payload: dict[str, Any] = data[name]
    return payload


async def apply(client: GraphQLClient, posting_id: str, **extra: Any) -> dict[str, Any]:
    """An online application that must succeed (`extra`: more of its input); the application."""
    payload = await mutate(
        client, APPLICATION_CREATE, "applicationCreate", {"postingId": posting_id, **extra}
    )
    assert payload["errors"] == [], payload
    application: dict[str, Any] = payload["application"]
    return application


async def move(
    client: GraphQLClient, application_id: str, status: str, **extra: Any
) -> dict[str, Any]:
    """Run applicationStatusUpdate; its payload."""
    return await mutate(
        client,
        STATUS_UPDATE,
        "applicationStatusUpdate",
        {"applicationId": application_id, "status": status, **extra},
    )


def error_codes(payload: dict[str, Any]) -> list[str]:
    return [error["code"] for error in payload["errors"]]


# --- Written straight to the database, for tests that need many applicants -----------------

_seeded = itertools.count(1)


async def seed_applicants(
    server: Server, posting_id: str, statuses: list[str], *, published: bool = False
) -> list[str]:
    """One seeker (with profile) and one referral in each of `statuses`, made directly;
    the applications' global IDs, in order."""
    posting_pk = decode_id(posting_id, "Posting", "id")
    now = server.clock.now()
    ids = []
    for status in statuses:
        n = next(_seeded)
        user = await User.create(
            portal=Portal.SEEKER, email=f"seeded{n}@example.jp", password_hash="-", created_at=now
        )
        await SeekerProfile.create(
            user=user,
            display_name=f"登録 {n}号",
            phone_number=f"080-0000-{n:04d}",
            desired_job=f"希望職種{n}",
            desired_prefecture="東京都",
            published=published,
            updated_at=now,
        )
        application = await Application.create(
            posting_id=posting_pk,
            establishment_id=(await Posting.get(id=posting_pk)).establishment_id,
            seeker=user,
            source=ApplicationSource.REFERRAL,
            status=ApplicationStatus(status),
            referral_letter_number=f"R-{n}",
            created_at=now,
            updated_at=now,
        )
        await ApplicationEvent.create(
            application=application, to_status=ApplicationStatus.APPLIED, at=now
        )
        ids.append(relay.to_base64("Application", application.id))
    return ids


async def seeker_session(server: Server, client: GraphQLClient, application_id: str) -> None:
    """Log `client` in as the seeker of a seeded application."""
    application = await Application.get(id=decode_id(application_id, "Application", "id"))
    await open_session(server, client, await User.get(id=application.seeker_id))


async def seed_profiles(server: Server, count: int, **fields: Any) -> list[str]:
    """`count` seekers with published profiles, made directly; the profiles' global IDs."""
    now = server.clock.now()
    ids = []
    for _ in range(count):
        n = next(_seeded)
        user = await User.create(
            portal=Portal.SEEKER, email=f"seeded{n}@example.jp", password_hash="-", created_at=now
        )
        values: dict[str, Any] = {
            "display_name": f"登録 {n}号",
            "phone_number": f"080-0000-{n:04d}",
            "desired_job": "一般事務",
            "desired_prefecture": "東京都",
            "published": True,
            **fields,
        }
        profile = await SeekerProfile.create(user=user, updated_at=now, **values)
        ids.append(relay.to_base64("SeekerProfile", profile.id))
    return ids
