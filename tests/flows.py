"""Steps that many tests share, taken through the public API where a user would: for the tests
of those steps, and for worlds the API must make. Other tests build their world with the
fixtures and builders of tests/conftest.py."""

from __future__ import annotations

from email.header import decode_header, make_header
from email.message import Message
from typing import Any

import httpx

from app.terms import TermsKind, current_version
from tests.conftest import (
    EMPLOYER_EMAIL,
    EMPLOYER_PASSWORD,
    STAFF_PASSWORD,
    Counter,
    GraphQLClient,
    Server,
    create_staff,
    find_in_mail,
)

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


async def log_in(
    server: Server, client: GraphQLClient, portal: str, email: str, password: str
) -> str:
    """Password, then the OTP read from the mail; sets and returns the bearer token."""
    data = await client.execute(
        LOGIN, {"input": {"portal": portal, "email": email, "password": password}}
    )
    payload = data["login"]
    assert payload["errors"] == [], payload
    otp = await otp_from_mail(server, email)
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
    """A new staff login of office `office_code`, logged in through the API."""
    staff = await create_staff(server, office_code)
    await log_in(server, client, "STAFF", staff.email, STAFF_PASSWORD)
    return client


async def register_at_counter(
    staff: GraphQLClient, number: str = "1301-123456-7", phone: str = "03-3812-0001"
) -> Counter:
    """establishmentRegister and accountCreationCodeIssue, as staff at the counter."""
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


async def auth_key_from_mail(server: Server, email: str) -> str:
    return find_in_mail(await server.last_mail_to(email), r"認証キー: (\S+)")


async def open_employer_account(
    server: Server, client: GraphQLClient, counter: Counter, email: str = EMPLOYER_EMAIL
) -> str:
    """The whole leaflet: request, key from the mail, password, login with OTP; the token."""
    payload = await request_registration(client, counter, email)
    assert payload["errors"] == [], payload
    payload = await complete_registration(client, email, await auth_key_from_mail(server, email))
    assert payload["errors"] == [], payload
    return await log_in(server, client, "EMPLOYER", email, EMPLOYER_PASSWORD)


# --- Helpers of the boundary tests (registration, login, staff permissions) ------------------

VIEWER = """{ viewer { portal email establishment { establishmentNumber name }
  office { code name } } }"""


async def mail_count(server: Server, address: str) -> int:
    """How many mails the service has written to `address` so far (the outbox settled)."""
    return len(await server.mails_to(address))


def mail_subject(message: Message) -> str:
    return str(make_header(decode_header(message["Subject"])))


async def otp_from_mail(server: Server, email: str) -> str:
    return find_in_mail(await server.last_mail_to(email), r"ワンタイムパスワード: (\d{6})")


def not_found_for_another_office(response: httpx.Response, field: str) -> bool:
    """Staff of another office get what they would for an ID that does not exist: the
    payload's NOT_FOUND, never a FORBIDDEN that would tell the object is there."""
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    return [error["code"] for error in body["data"][field]["errors"]] == ["NOT_FOUND"]


def top_level_codes(response: httpx.Response) -> list[str]:
    """The `extensions.code` of every top-level error of a GraphQL response."""
    assert response.status_code == 200, response.text
    errors = response.json().get("errors") or []
    return [error.get("extensions", {}).get("code") for error in errors]


async def register_employer(
    server: Server,
    client: GraphQLClient,
    counter: Counter,
    email: str = EMPLOYER_EMAIL,
    password: str = EMPLOYER_PASSWORD,
) -> None:
    """Request and complete the registration (no login yet)."""
    payload = await request_registration(client, counter, email)
    assert payload["errors"] == [], payload
    payload = await complete_registration(
        client, email, await auth_key_from_mail(server, email), password
    )
    assert payload["errors"] == [], payload


# --- Helpers of the posting tests -------------------------------------------------------------

POSTING_FIELDS = """id status postingNumber referralDeadline renewalOpensOn renewalReservedAt
  submittedAt acceptedAt returnReason stopReason changeRequestedAt
  content { category jobTitle numberToHire wageForm baseWageMin baseWageMax publicationRange }
  pendingContent { jobTitle numberToHire }
  renewedFrom { id postingNumber } reusedFrom { id }
  counterRegistration { reasons dueOn confirmedAt }
  history { action actorPortal fromStatus toStatus reason }"""


def posting_content(**overrides: Any) -> dict[str, Any]:
    """A complete, valid posting form (求人票) as `PostingContentInput`."""
    content: dict[str, Any] = {
        "category": "GENERAL",
        "workStyle": "FULL_TIME",
        "employmentType": "REGULAR",
        "publicationRange": "WITH_NAME",
        "acceptsOnlineApplications": True,
        "jobTitle": "介護職員",
        "jobDescription": "特別養護老人ホームでの入居者の生活支援、食事・入浴の介助。",
        "workplacePostalCode": "112-8577",
        "workplacePrefecture": "東京都",
        "workplaceAddress": "東京都文京区後楽1-9-20",
        "employmentPeriod": "INDEFINITE",
        "numberToHire": 2,
        "wageForm": "MONTHLY",
        "baseWageMin": 220000,
        "baseWageMax": 280000,
        "allowances": "",
        "payDay": "月末締切 翌月25日支払",
        "workingHours": "8時30分〜17時30分（休憩60分）",
        "hasOvertime": True,
        "overtimeDetail": "",
        "annualHolidays": 120,
        "weeklyTwoDaysOff": "EVERY_WEEK",
        "insurances": ["EMPLOYMENT", "WORKERS_ACCIDENT", "HEALTH", "PENSION"],
        "retirementAge": 65,
        "selectionMethod": "書類選考、面接",
        "documents": "履歴書",
        "contact": "人事課 山田 03-3812-0001",
        # The items the form has had since the 2026 revision (the whole 求人票).
        "contractingWork": False,
        "trialEmployment": False,
        "workplaceEmployees": 45,
        "workplaceFemaleEmployees": 30,
        "workplacePartTimeEmployees": 10,
        "hasWorkRules": True,
        "childcareLeaveTaken": True,
        "nearestStation": "都営三田線 春日駅 徒歩3分",
        "passiveSmokingMeasure": {"measure": "NO_SMOKING_INDOORS", "smokingAllowed": False},
        "trialPeriod": {"hasTrialPeriod": True, "months": 3, "conditionsDiffer": False},
        "educationRequirement": {"level": "ANY"},
        "workplaceChangeScope": "変更なし",
        "jobChangeScope": "会社の定める介護業務",
        "fixedAllowances": [{"name": "資格手当", "amount": 10000}],
        "commuteAllowance": {"payment": "CAPPED", "monthlyAmount": 30000},
        "payRaise": {"hasRaise": True, "lastYear": "月額3,000円"},
        "bonus": {"hasBonus": True, "timesLastYear": 2, "lastYear": "計4.00か月分"},
        "dailyWorkingMinutes": 480,
        "weeklyWorkingDays": 5,
        "variableWorkingHours": "NONE",
        "breakMinutes": 60,
        "overtime": {"monthlyAverageHours": 10, "specialClause": False},
        "annualPaidLeaveDays": 10,
        "retirementAllowance": True,
        "reemployment": {"available": True, "upperAge": 70},
        "specialNotes": "未経験の方も歓迎します。",
        "resultNoticeDays": 7,
        "resultNoticeMethod": "EMAIL",
    }
    content.update(overrides)
    return content


def posting_mutation_document(name: str) -> str:
    type_name = name[0].upper() + name[1:]
    return f"""mutation ($input: {type_name}Input!) {{
      {name}(input: $input) {{ posting {{ {POSTING_FIELDS} }} errors {{ field code message }} }}
    }}"""


async def posting_mutation(
    client: GraphQLClient, name: str, input: dict[str, Any]
) -> dict[str, Any]:
    """Run `name` (e.g. `postingSubmit`) and return its payload."""
    data = await client.execute(posting_mutation_document(name), {"input": input})
    payload: dict[str, Any] = data[name]
    return payload


async def posting_step(client: GraphQLClient, name: str, input: dict[str, Any]) -> dict[str, Any]:
    """Run a posting mutation that must succeed; the posting."""
    payload = await posting_mutation(client, name, input)
    assert payload["errors"] == [], payload
    posting: dict[str, Any] = payload["posting"]
    return posting


async def create_posting(client: GraphQLClient, **overrides: Any) -> dict[str, Any]:
    return await posting_step(client, "postingCreate", {"content": posting_content(**overrides)})


async def active_posting(
    employer: GraphQLClient, staff: GraphQLClient, **overrides: Any
) -> dict[str, Any]:
    """Drafted, submitted (本登録 at the counter confirmed where it is needed) and accepted;
    the active posting."""
    posting = await create_posting(employer, **overrides)
    await submit_and_register(employer, staff, posting["id"])
    return await posting_step(staff, "postingAccept", {"id": posting["id"]})


async def submit_and_register(
    employer: GraphQLClient, staff: GraphQLClient, posting_id: str
) -> dict[str, Any]:
    """仮登録, and 本登録 at the counter where the submission needs it."""
    submitted = await posting_step(employer, "postingSubmit", {"id": posting_id})
    if submitted["counterRegistration"] is not None:
        return await posting_step(staff, "postingCounterConfirm", {"id": posting_id})
    return submitted
