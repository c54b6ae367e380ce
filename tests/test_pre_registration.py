"""The other way in (事業所の仮登録 → 本登録): the anonymous entry and its mailed key, the office of
the address's jurisdiction, its queue, 本登録 with the establishment number and the first login,
and refusal with a reason."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import logging
import re
from typing import Any

import pytest

from app import jurisdictions
from app.models import (
    AuditEvent,
    Establishment,
    Event,
    MailedKey,
    Office,
    OutgoingMail,
    TermsAgreement,
)
from app.models.audit import AuditAction
from app.models.counter import EstablishmentPreRegistration, PreRegistrationStatus
from app.models.events import EventKind, QueueChange
from app.resolvers import pre_registration
from app.terms import TermsKind, current_version
from tests import flows
from tests.conftest import (
    EMPLOYER_PASSWORD,
    GraphQLClient,
    Server,
    find_in_mail,
    mail_body,
    new_establishment,
    new_staff,
)

APPLICANT = "jinji@shinki.example.jp"

PRE_REGISTER = """
mutation ($input: EstablishmentPreRegisterInput!) {
  establishmentPreRegister(input: $input) {
    receiptNumber keyExpiresAt
    errors { field code message }
  }
}"""

VERIFY = """
mutation ($input: EstablishmentPreRegisterVerifyInput!) {
  establishmentPreRegisterVerify(input: $input) {
    receiptNumber officeName
    errors { field code message }
  }
}"""

ENTRY_FIELDS = """id receiptNumber status name nameKana postalCode prefecture city street
  phoneNumber industry employeeCount representativeTitle representativeName contactName
  contactDepartment contactPhone email createdAt verifiedAt reviewedAt refusalReason reviewNote
  office { code } establishment { establishmentNumber name address }"""

CONFIRM = f"""
mutation ($input: EstablishmentConfirmInput!) {{
  establishmentConfirm(input: $input) {{
    establishment {{ id establishmentNumber name nameKana phoneNumber postalCode address
      representativeName employeeCount office {{ code }} }}
    preRegistration {{ {ENTRY_FIELDS} }}
    errors {{ field code message }}
  }}
}}"""

REFUSE = f"""
mutation ($input: EstablishmentPreRegistrationRefuseInput!) {{
  establishmentPreRegistrationRefuse(input: $input) {{
    preRegistration {{ {ENTRY_FIELDS} }}
    errors {{ field code message }}
  }}
}}"""

NODE = f"""
query ($id: ID!) {{ node(id: $id) {{ __typename ... on EstablishmentPreRegistration {{
  {ENTRY_FIELDS} }} }} }}"""

QUEUE = """
query { reviewQueue(first: 20) { edges { waitingSince node { __typename
  ... on EstablishmentPreRegistration { id entryStatus: status name } } } } }"""

INVITATION_ACCEPT = """
mutation ($input: EmployerInvitationAcceptInput!) {
  employerInvitationAccept(input: $input) {
    establishment { id establishmentNumber name }
    errors { field code message }
  }
}"""

HOME = "{ employerHome { establishmentName officeName } }"

NUMBER = re.compile(r"^(\d{4})-(\d{6})-(\d)$")


def entry(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "name": "株式会社しんき製作所",
        "nameKana": "カブシキガイシャシンキセイサクショ",
        "postalCode": "101-0051",
        "prefecture": "東京都",
        "city": "千代田区",
        "street": "神田神保町1-1",
        "phoneNumber": "03-3291-0001",
        "industry": "金属製品製造業",
        "employeeCount": 12,
        "representativeTitle": "代表取締役",
        "representativeName": "新規 一郎",
        "contactName": "人事 花子",
        "contactDepartment": "総務部",
        "contactPhone": "03-3291-0002",
        "email": APPLICANT,
        "emailConfirmation": APPLICANT,
        "agreedPrivacyPolicyVersion": current_version(TermsKind.PRIVACY_POLICY),
        "agreedTermsVersion": current_version(TermsKind.TERMS_OF_USE),
    }
    values.update(overrides)
    return values


async def pre_register(client: GraphQLClient, **overrides: Any) -> dict[str, Any]:
    data = await client.execute(PRE_REGISTER, {"input": entry(**overrides)})
    payload: dict[str, Any] = data["establishmentPreRegister"]
    return payload


async def verify(client: GraphQLClient, key: str, email: str = APPLICANT) -> dict[str, Any]:
    data = await client.execute(VERIFY, {"input": {"email": email, "key": key}})
    payload: dict[str, Any] = data["establishmentPreRegisterVerify"]
    return payload


async def entry_key(server: Server, email: str = APPLICANT) -> str:
    message = await server.last_mail_to(email)
    assert flows.mail_subject(message) == pre_registration.ENTRY_MAIL_SUBJECT
    return find_in_mail(message, r"認証キー: (\S+)")


async def entered(
    server: Server, client: GraphQLClient, email: str = APPLICANT, **overrides: Any
) -> str:
    """An entry made and its address confirmed; the key it was confirmed with."""
    payload = await pre_register(client, email=email, emailConfirmation=email, **overrides)
    assert payload["errors"] == [], payload
    key = await entry_key(server, email)
    confirmed = await verify(client, key, email)
    assert confirmed["errors"] == [], confirmed
    return key


async def queued(staff: GraphQLClient) -> list[dict[str, Any]]:
    data = await staff.execute(QUEUE)
    return [
        edge["node"]
        for edge in data["reviewQueue"]["edges"]
        if edge["node"]["__typename"] == "EstablishmentPreRegistration"
    ]


async def waiting_id(staff: GraphQLClient, name: str = "株式会社しんき製作所") -> str:
    [found] = [node["id"] for node in await queued(staff) if node["name"] == name]
    return found


async def confirm(staff: GraphQLClient, entry_id: str, note: str = "") -> dict[str, Any]:
    data = await staff.execute(CONFIRM, {"input": {"preRegistrationId": entry_id, "note": note}})
    payload: dict[str, Any] = data["establishmentConfirm"]
    return payload


async def refuse(staff: GraphQLClient, entry_id: str, reason: str) -> dict[str, Any]:
    data = await staff.execute(REFUSE, {"input": {"preRegistrationId": entry_id, "reason": reason}})
    payload: dict[str, Any] = data["establishmentPreRegistrationRefuse"]
    return payload


def codes(payload: dict[str, Any]) -> list[tuple[str | None, str]]:
    return [(error["field"], error["code"]) for error in payload["errors"]]


def luhn_valid(number: str) -> bool:
    digits = [int(ch) for ch in number if ch.isdigit()]
    total = 0
    for position, digit in enumerate(reversed(digits)):
        doubled = digit * 2 if position % 2 == 1 else digit
        total += doubled - 9 if doubled > 9 else doubled
    return total % 10 == 0


# --- The whole path ----------------------------------------------------------------------------


async def test_anonymous_entry_to_confirmed_establishment_and_its_first_login(
    server: Server, gql: GraphQLClient, new_client: Any
) -> None:
    staff = await new_staff(server, new_client())
    # The mail folder lives as long as the test session: count what this test sends.
    mailed_before = len(await server.mails_to(APPLICANT))
    payload = await pre_register(gql)
    assert payload["errors"] == []
    assert payload["receiptNumber"]
    expires = dt.datetime.fromisoformat(payload["keyExpiresAt"])
    assert expires == server.clock.now() + dt.timedelta(minutes=50)
    key = await entry_key(server)
    # Before the address is confirmed the office sees nothing.
    assert await queued(staff) == []

    verified = await verify(gql, key)
    assert verified == {
        "receiptNumber": payload["receiptNumber"],
        "officeName": "テスト13010公共職業安定所",
        "errors": [],
    }
    receipt = await server.last_mail_to(APPLICANT)
    assert flows.mail_subject(receipt) == "事業所仮登録受付のお知らせ"
    assert payload["receiptNumber"] in mail_body(receipt)
    assert "お電話" in mail_body(receipt)
    # Until 本登録 nothing exists to log in with: no establishment, no key to open a login.
    assert await Establishment.all().count() == 0
    assert await MailedKey.all().count() == 0
    assert len(await server.mails_to(APPLICANT)) == mailed_before + 2

    [item] = await queued(staff)
    assert item["entryStatus"] == "PENDING"
    seen = (await staff.execute(NODE, {"id": item["id"]}))["node"]
    assert seen["office"] == {"code": "13010"}
    assert seen["city"] == "千代田区"
    assert seen["contactName"] == "人事 花子"
    assert seen["establishment"] is None

    server.clock.advance(minutes=30)
    confirmed = await confirm(staff, item["id"], note="代表電話で担当者に確認済み")
    assert confirmed["errors"] == []
    establishment = confirmed["establishment"]
    assert NUMBER.match(establishment["establishmentNumber"])
    assert establishment == {
        "id": establishment["id"],
        "establishmentNumber": establishment["establishmentNumber"],
        "name": "株式会社しんき製作所",
        "nameKana": "カブシキガイシャシンキセイサクショ",
        "phoneNumber": "03-3291-0001",
        "postalCode": "101-0051",
        "address": "東京都千代田区神田神保町1-1",
        "representativeName": "新規 一郎",
        "employeeCount": 12,
        "office": {"code": "13010"},
    }
    done = confirmed["preRegistration"]
    assert done["status"] == "CONFIRMED"
    assert done["reviewNote"] == "代表電話で担当者に確認済み"
    assert done["establishment"]["establishmentNumber"] == establishment["establishmentNumber"]
    assert await queued(staff) == []

    invitation = await server.last_mail_to(APPLICANT)
    assert flows.mail_subject(invitation) == "事業所登録（本登録）完了のお知らせ"
    assert establishment["establishmentNumber"] in mail_body(invitation)
    invitation_key = find_in_mail(invitation, r"認証キー: (\S+)")
    data = await gql.execute(
        INVITATION_ACCEPT,
        {
            "input": {
                "email": APPLICANT,
                "key": invitation_key,
                "password": EMPLOYER_PASSWORD,
                "passwordConfirmation": EMPLOYER_PASSWORD,
            }
        },
    )
    opened = data["employerInvitationAccept"]
    assert opened["errors"] == []
    assert opened["establishment"]["establishmentNumber"] == establishment["establishmentNumber"]
    # The terms agreed in the entry are the first login's agreement.
    agreed = await TermsAgreement.filter(user__email=APPLICANT).order_by("kind")
    assert {(row.kind, row.version) for row in agreed} == {
        (TermsKind.PRIVACY_POLICY, current_version(TermsKind.PRIVACY_POLICY)),
        (TermsKind.TERMS_OF_USE, current_version(TermsKind.TERMS_OF_USE)),
    }

    employer = new_client()
    await flows.log_in(server, employer, "EMPLOYER", APPLICANT, EMPLOYER_PASSWORD)
    home = await employer.execute(HOME)
    assert home["employerHome"] == {
        "establishmentName": "株式会社しんき製作所",
        "officeName": "テスト13010公共職業安定所",
    }


# --- The key -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("minutes", "accepted"), [(49, True), (51, False)])
async def test_key_is_valid_for_50_minutes(
    server: Server, gql: GraphQLClient, minutes: int, accepted: bool
) -> None:
    await flows.create_staff(server)
    assert (await pre_register(gql))["errors"] == []
    key = await entry_key(server)
    server.clock.advance(minutes=minutes)
    answer = await verify(gql, key)
    if accepted:
        assert answer["errors"] == []
    else:
        assert codes(answer) == [("key", "AUTH_KEY_EXPIRED")]
        assert "50分" in answer["errors"][0]["message"]
        row = await EstablishmentPreRegistration.get()
        assert row.status is PreRegistrationStatus.UNVERIFIED
        assert row.verified_at is None


@pytest.mark.parametrize(("wrong_tries", "accepted"), [(4, True), (5, False)])
async def test_fifth_wrong_key_voids_the_entry(
    server: Server, gql: GraphQLClient, wrong_tries: int, accepted: bool
) -> None:
    await flows.create_staff(server)
    assert (await pre_register(gql))["errors"] == []
    key = await entry_key(server)
    answers = [await verify(gql, "WRONG0KEY") for _ in range(wrong_tries)]
    expected = ["AUTH_KEY_INVALID"] * (wrong_tries - 1) + [
        "AUTH_KEY_INVALID" if accepted else "AUTH_KEY_VOID"
    ]
    assert [a["errors"][0]["code"] for a in answers] == expected
    answer = await verify(gql, key)
    if accepted:
        assert answer["errors"] == []
    else:
        assert codes(answer) == [("key", "AUTH_KEY_VOID")]
        assert (await EstablishmentPreRegistration.get()).status is PreRegistrationStatus.VOID
    assert await Event.filter(kind=EventKind.REVIEW_QUEUE_CHANGED).count() == int(accepted)


async def test_a_newer_entry_voids_the_one_still_waiting_for_its_key(
    server: Server, gql: GraphQLClient
) -> None:
    await flows.create_staff(server)
    assert (await pre_register(gql))["errors"] == []
    first_key = await entry_key(server)
    assert (await pre_register(gql, name="株式会社しんき製作所（訂正）"))["errors"] == []
    second_key = await entry_key(server)
    assert codes(await verify(gql, first_key)) == [("key", "AUTH_KEY_INVALID")]
    assert (await verify(gql, second_key))["errors"] == []
    statuses = (
        await EstablishmentPreRegistration.all().order_by("id").values_list("status", flat=True)
    )
    assert statuses == [PreRegistrationStatus.VOID, PreRegistrationStatus.PENDING]
    # Confirmed once: the key is used up.
    assert codes(await verify(gql, second_key)) == [("key", "AUTH_KEY_VOID")]


async def test_an_address_with_a_login_is_answered_alike_and_never_mailed_the_key(
    server: Server, gql: GraphQLClient, employer: GraphQLClient
) -> None:
    taken = "hr@care.example.jp"
    before = await flows.mail_count(server, taken)
    payload = await pre_register(gql, email=taken, emailConfirmation=taken)
    assert payload["errors"] == []
    assert payload["receiptNumber"]
    assert payload["keyExpiresAt"]
    message = await server.last_mail_to(taken)
    assert await flows.mail_count(server, taken) == before + 1
    assert flows.mail_subject(message) == "マイページ 登録済みのメールアドレスです"
    assert "認証キー" not in mail_body(message)
    assert "事業所の仮登録" in mail_body(message)


async def test_the_key_stays_out_of_the_logs(
    server: Server, gql: GraphQLClient, caplog: pytest.LogCaptureFixture
) -> None:
    """The service logs neither the key nor the mail holding it; only the development
    mailer (`app.mail`, maildir) echoes what it writes, which production's SMTP never does."""
    await flows.create_staff(server)
    root = logging.getLogger()
    root.addHandler(caplog.handler)
    try:
        with caplog.at_level(logging.DEBUG):
            assert (await pre_register(gql))["errors"] == []
            key = await entry_key(server)
            assert (await verify(gql, key))["errors"] == []
            await server.mail_settled()
    finally:
        root.removeHandler(caplog.handler)
    logged = "\n".join(
        f"{record.name} {record.getMessage()} {record.args!r}"
        for record in caplog.records
        if not record.name.startswith(("httpx", "httpcore", "app.mail"))
    )
    assert key not in logged
    assert APPLICANT not in logged


async def test_entries_and_keys_are_throttled(server: Server, gql: GraphQLClient) -> None:
    await flows.create_staff(server)
    throttle = server.rt.throttle
    per_account = throttle.limits.pre_registration_per_account
    verify_limit = throttle.limits.pre_registration_verify_per_account
    window = max(per_account.seconds, verify_limit.seconds)
    start = (int(server.clock.now().timestamp()) // window + 1) * window
    server.clock.set(dt.datetime.fromtimestamp(start, dt.UTC))
    throttle.enabled = True
    try:
        entries = [
            await gql.post(PRE_REGISTER, {"input": entry()}) for _ in range(per_account.count + 1)
        ]
        tries = [
            await gql.post(VERIFY, {"input": {"email": APPLICANT, "key": "WRONG0KEY"}})
            for _ in range(verify_limit.count + 1)
        ]
    finally:
        throttle.enabled = False
    assert [r.status_code for r in entries] == [200] * per_account.count + [429]
    assert entries[-1].json()["errors"][0]["extensions"]["code"] == "THROTTLED"
    assert await EstablishmentPreRegistration.all().count() == per_account.count
    assert [r.status_code for r in tries] == [200] * verify_limit.count + [429]
    assert tries[-1].json()["errors"][0]["extensions"]["code"] == "THROTTLED"


# --- The form ----------------------------------------------------------------------------------


async def nothing_stored() -> bool:
    return (
        await EstablishmentPreRegistration.all().count() == 0
        and await OutgoingMail.all().count() == 0
    )


async def test_a_municipality_outside_the_table_is_no_jurisdiction_and_stores_nothing(
    server: Server, gql: GraphQLClient
) -> None:
    await flows.create_staff(server)
    payload = await pre_register(gql, city="八王子市")
    assert codes(payload) == [("city", "NO_JURISDICTION")]
    assert "管轄のハローワークの窓口" in payload["errors"][0]["message"]
    assert await nothing_stored()


async def test_a_municipality_whose_office_is_not_on_the_service_is_no_jurisdiction(
    server: Server, gql: GraphQLClient
) -> None:
    """港区 is 13030's, which the table holds but this service's offices do not."""
    await flows.create_staff(server)
    assert codes(await pre_register(gql, city="港区")) == [("city", "NO_JURISDICTION")]
    assert await nothing_stored()


async def test_a_prefecture_not_among_the_47_is_refused(server: Server, gql: GraphQLClient) -> None:
    await flows.create_staff(server)
    payload = await pre_register(gql, prefecture="東京")
    assert codes(payload) == [("prefecture", "INVALID_FORMAT")]
    assert await nothing_stored()


async def test_email_confirmation_must_match(server: Server, gql: GraphQLClient) -> None:
    await flows.create_staff(server)
    payload = await pre_register(gql, emailConfirmation="jinji@shinki.example.com")
    assert codes(payload) == [("emailConfirmation", "MISMATCH")]
    too_long = "a" * (101 - len("@example.jp")) + "@example.jp"
    assert len(too_long) == 101
    payload = await pre_register(gql, email=too_long, emailConfirmation=too_long)
    assert codes(payload) == [("email", "TOO_LONG")]
    payload = await pre_register(gql, email="ｊｉｎｊｉ@example.jp", emailConfirmation="x")
    assert ("email", "NOT_HALF_WIDTH") in codes(payload)
    assert await nothing_stored()


async def test_outdated_terms_versions_are_refused(server: Server, gql: GraphQLClient) -> None:
    await flows.create_staff(server)
    payload = await pre_register(gql, agreedTermsVersion="2020-01-01")
    assert codes(payload) == [("agreedTermsVersion", "TERMS_VERSION_OUTDATED")]
    payload = await pre_register(gql, agreedPrivacyPolicyVersion="")
    assert codes(payload) == [("agreedPrivacyPolicyVersion", "TERMS_VERSION_OUTDATED")]
    assert await nothing_stored()


async def test_every_failing_field_is_reported_at_once(server: Server, gql: GraphQLClient) -> None:
    await flows.create_staff(server)
    payload = await pre_register(
        gql,
        name=" ",
        nameKana="しんき",
        postalCode="1010051",
        phoneNumber="0332910001",
        employeeCount=0,
        representativeName="",
        contactName="x" * 51,
        contactPhone="03-329",
        street="神田\n神保町",
    )
    assert sorted(codes(payload)) == sorted(
        [
            ("name", "REQUIRED"),
            ("nameKana", "INVALID_FORMAT"),
            ("postalCode", "INVALID_FORMAT"),
            ("phoneNumber", "INVALID_FORMAT"),
            ("employeeCount", "OUT_OF_RANGE"),
            ("representativeName", "REQUIRED"),
            ("contactName", "TOO_LONG"),
            ("contactPhone", "INVALID_FORMAT"),
            ("street", "INVALID_FORMAT"),
        ]
    )
    assert await nothing_stored()
    # One employee, and no contact phone or department, is a whole entry.
    payload = await pre_register(gql, employeeCount=1, contactPhone="", contactDepartment="")
    assert payload["errors"] == []


async def test_the_city_is_matched_as_people_write_it(server: Server, gql: GraphQLClient) -> None:
    await flows.create_staff(server)
    payload = await pre_register(gql, city="東京都青ケ島村")
    assert payload["errors"] == []
    assert (await EstablishmentPreRegistration.get()).city == "青ヶ島村"


# --- Staff of the office -----------------------------------------------------------------------


async def test_only_staff_of_the_jurisdiction_office_see_and_decide_it(
    server: Server,
    gql: GraphQLClient,
    new_client: Any,
    staff: GraphQLClient,
    employer: GraphQLClient,
) -> None:
    other_office = await new_staff(server, new_client(), "13020")
    await entered(server, gql)
    entry_id = await waiting_id(staff)

    assert await queued(other_office) == []
    assert (await other_office.execute(NODE, {"id": entry_id}))["node"] is None
    assert (await employer.execute(NODE, {"id": entry_id}))["node"] is None
    assert (await gql.execute(NODE, {"id": entry_id}))["node"] is None
    variables = {"input": {"preRegistrationId": entry_id, "reason": "確認できません"}}
    assert flows.not_found_for_another_office(
        await other_office.post(CONFIRM, {"input": {"preRegistrationId": entry_id}}),
        "establishmentConfirm",
    )
    assert flows.not_found_for_another_office(
        await other_office.post(REFUSE, variables), "establishmentPreRegistrationRefuse"
    )
    assert flows.top_level_codes(await employer.post(REFUSE, variables)) == ["FORBIDDEN"]
    assert flows.top_level_codes(await gql.post(REFUSE, variables)) == ["UNAUTHENTICATED"]
    assert flows.top_level_codes(
        await gql.post(CONFIRM, {"input": {"preRegistrationId": entry_id}})
    ) == ["UNAUTHENTICATED"]
    assert (await EstablishmentPreRegistration.get()).status is PreRegistrationStatus.PENDING
    # A malformed ID or one of another type is no entry either.
    assert codes(await confirm(staff, "bm90LWFuLWlk")) == [("preRegistrationId", "NOT_FOUND")]
    assert codes(await confirm(staff, employer_establishment_id())) == [
        ("preRegistrationId", "NOT_FOUND")
    ]


def employer_establishment_id() -> str:
    return base64.b64encode(b"Establishment:1").decode()


async def test_an_entry_whose_address_is_not_confirmed_is_not_the_offices(
    server: Server, gql: GraphQLClient, staff: GraphQLClient
) -> None:
    assert (await pre_register(gql))["errors"] == []
    row = await EstablishmentPreRegistration.get()
    entry_id = base64.b64encode(f"EstablishmentPreRegistration:{row.id}".encode()).decode()
    assert (await staff.execute(NODE, {"id": entry_id}))["node"] is None
    assert codes(await confirm(staff, entry_id)) == [("preRegistrationId", "NOT_FOUND")]
    assert await MailedKey.all().count() == 0


async def test_confirmed_once_and_refused_never_confirmed(
    server: Server, gql: GraphQLClient, staff: GraphQLClient
) -> None:
    await entered(server, gql)
    first = await waiting_id(staff)
    assert (await confirm(staff, first))["errors"] == []
    assert codes(await confirm(staff, first)) == [("preRegistrationId", "INVALID_STATE")]
    assert codes(await refuse(staff, first, "重複")) == [("preRegistrationId", "INVALID_STATE")]
    assert await Establishment.all().count() == 1

    other = "saiyo@betsu.example.jp"
    await entered(server, gql, email=other, name="別の事業所")
    second = await waiting_id(staff, "別の事業所")
    assert (await refuse(staff, second, "所在地に事業所が確認できませんでした。"))["errors"] == []
    assert codes(await confirm(staff, second)) == [("preRegistrationId", "INVALID_STATE")]
    assert await Establishment.all().count() == 1
    # Refused: no invitation ever goes to its address.
    assert await MailedKey.filter(email=other).count() == 0
    assert [flows.mail_subject(m) for m in await server.mails_to(other)] == [
        pre_registration.ENTRY_MAIL_SUBJECT,
        pre_registration.RECEIPT_MAIL_SUBJECT,
        pre_registration.REFUSED_MAIL_SUBJECT,
    ]


async def test_numbers_are_in_the_4_6_1_form_under_the_office_and_never_repeat(
    server: Server, gql: GraphQLClient, staff: GraphQLClient
) -> None:
    await new_establishment(server, staff, number="1301-123456-7")
    numbers = []
    for n in range(2):
        email = f"jinji{n}@shinki.example.jp"
        await entered(server, gql, email=email, name=f"事業所{n}")
        payload = await confirm(staff, await waiting_id(staff, f"事業所{n}"))
        assert payload["errors"] == []
        numbers.append(payload["establishment"]["establishmentNumber"])
    for number in numbers:
        match = NUMBER.match(number)
        assert match, number
        assert match.group(1) == "1301"
        assert luhn_valid(number), number
    assert numbers[0] != numbers[1]
    # The serials follow the highest one used under the prefix, the counter's included.
    assert [n[5:11] for n in numbers] == ["123457", "123458"]


def test_the_check_digit_is_luhn_over_the_ten_digits() -> None:
    assert pre_registration.check_digit("1301000001") == "9"
    assert luhn_valid("1301-000001-9")
    assert not luhn_valid("1301-000001-4")
    for serial in (1, 2, 999_999):
        digits = f"1301{serial:06d}"
        assert luhn_valid(digits + pre_registration.check_digit(digits))


async def test_confirm_refuses_an_address_that_meanwhile_has_a_login(
    server: Server, gql: GraphQLClient, staff: GraphQLClient, employer: GraphQLClient
) -> None:
    await entered(server, gql, email="later@care.example.jp")
    # The address opened a login of another establishment while the entry waited.
    await EstablishmentPreRegistration.all().update(email="hr@care.example.jp")
    payload = await confirm(staff, await waiting_id(staff))
    assert [e["code"] for e in payload["errors"]] == ["EMAIL_TAKEN"]
    assert (await EstablishmentPreRegistration.get()).status is PreRegistrationStatus.PENDING
    assert await Establishment.all().count() == 1


async def test_refusal_needs_a_reason_which_is_mailed_and_kept_out_of_the_audit(
    server: Server, gql: GraphQLClient, staff: GraphQLClient
) -> None:
    await entered(server, gql)
    entry_id = await waiting_id(staff)
    assert codes(await refuse(staff, entry_id, "  ")) == [("reason", "REQUIRED")]
    assert codes(await refuse(staff, entry_id, "理" * 501)) == [("reason", "TOO_LONG")]
    assert [node["id"] for node in await queued(staff)] == [entry_id]

    reason = "所在地に事業所が確認できませんでした。" + "。" * (500 - 19)
    assert len(reason) == 500
    payload = await refuse(staff, entry_id, reason)
    assert payload["errors"] == []
    assert payload["preRegistration"]["status"] == "REFUSED"
    assert payload["preRegistration"]["refusalReason"] == reason
    message = await server.last_mail_to(APPLICANT)
    assert flows.mail_subject(message) == "事業所仮登録についてのお知らせ"
    assert reason in mail_body(message)
    assert await queued(staff) == []

    [audited] = await AuditEvent.filter(action=AuditAction.PRE_REGISTRATION_REFUSED)
    assert "確認できません" not in str(audited.detail)
    assert audited.office_id is not None
    changes = await Event.filter(kind=EventKind.REVIEW_QUEUE_CHANGED).order_by("id")
    assert [(e.review_kind, e.queue_change) for e in changes] == [
        ("PRE_REGISTRATION", QueueChange.ADDED),
        ("PRE_REGISTRATION", QueueChange.TAKEN),
    ]
    assert {e.establishment_id for e in changes} == {0}


async def test_confirm_is_audited_without_personal_data(
    server: Server, gql: GraphQLClient, staff: GraphQLClient
) -> None:
    await entered(server, gql)
    payload = await confirm(staff, await waiting_id(staff), note="人事 花子様に電話で確認")
    assert payload["errors"] == []
    [audited] = await AuditEvent.filter(action=AuditAction.PRE_REGISTRATION_CONFIRMED)
    text = str(audited.detail)
    for personal in ("人事", "新規 一郎", APPLICANT, "03-3291"):
        assert personal not in text
    assert audited.establishment_id == (await Establishment.get()).id
    changes = await Event.filter(kind=EventKind.REVIEW_QUEUE_CHANGED).order_by("id")
    assert [e.queue_change for e in changes] == [QueueChange.ADDED, QueueChange.TAKEN]
    invitation = await MailedKey.get()
    assert invitation.establishment_id == audited.establishment_id
    assert invitation.created_by_id == audited.actor_id


async def test_the_queue_holds_waiting_entries_oldest_first_by_their_confirmation(
    server: Server, gql: GraphQLClient, staff: GraphQLClient
) -> None:
    later = "later@shinki.example.jp"
    assert (await pre_register(gql, name="先に入力"))["errors"] == []
    first_key = await entry_key(server)
    server.clock.advance(minutes=1)
    await entered(server, gql, email=later, name="後に入力")
    server.clock.advance(minutes=1)
    assert (await verify(gql, first_key))["errors"] == []
    data = await staff.execute(QUEUE)
    edges = data["reviewQueue"]["edges"]
    assert [edge["node"]["name"] for edge in edges] == ["後に入力", "先に入力"]
    assert edges[0]["waitingSince"] < edges[1]["waitingSince"]

    assert (await confirm(staff, await waiting_id(staff, "後に入力")))["errors"] == []
    assert [node["name"] for node in await queued(staff)] == ["先に入力"]


# --- The jurisdiction table --------------------------------------------------------------------


def test_the_table_covers_the_23_wards_and_the_islands_of_tokyo() -> None:
    wards = [
        "千代田区",
        "中央区",
        "港区",
        "新宿区",
        "文京区",
        "台東区",
        "墨田区",
        "江東区",
        "品川区",
        "目黒区",
        "大田区",
        "世田谷区",
        "渋谷区",
        "中野区",
        "杉並区",
        "豊島区",
        "北区",
        "荒川区",
        "板橋区",
        "練馬区",
        "足立区",
        "葛飾区",
        "江戸川区",
    ]
    islands = [
        "大島町",
        "利島村",
        "新島村",
        "神津島村",
        "三宅村",
        "御蔵島村",
        "八丈町",
        "青ヶ島村",
        "小笠原村",
    ]
    assert len(wards) == 23
    for city in wards + islands:
        assert jurisdictions.jurisdiction("東京都", city) is not None, city
    assert jurisdictions.cities("13010") == ["千代田区", "中央区", "文京区", *islands]
    assert jurisdictions.jurisdiction("東京都", "八王子市") is None
    assert jurisdictions.jurisdiction("大阪府", "千代田区") is None
    assert not jurisdictions.is_prefecture("東京")
    assert jurisdictions.is_prefecture("北海道")
    assert "jsite.mhlw.go.jp" in jurisdictions.SOURCE


async def test_concurrent_confirmations_draw_different_numbers(
    server: Server, gql: GraphQLClient, new_client: Any
) -> None:
    """Two staff of one office confirm at once, and so does an office whose code shares the
    first four digits (13011: its numbers are 1301-… too; another writer's lock does not hold
    it back, the unique number does)."""
    staff = await new_staff(server, new_client())
    colleague = await new_staff(server, new_client(), email="colleague@example.jp")
    neighbour = await new_staff(server, new_client(), "13011")
    for n in range(3):
        await entered(server, gql, email=f"jinji{n}@shinki.example.jp", name=f"事業所{n}")
    # No municipality is 13011's: its entry is moved there as if the table said so.
    neighbour_office = await Office.get(code="13011")
    await EstablishmentPreRegistration.filter(name="事業所2").update(office_id=neighbour_office.id)
    entries = [await waiting_id(staff, f"事業所{n}") for n in range(2)]
    [neighbours] = [node["id"] for node in await queued(neighbour)]
    answers = await asyncio.gather(
        confirm(staff, entries[0]), confirm(colleague, entries[1]), confirm(neighbour, neighbours)
    )
    assert [a["errors"] for a in answers] == [[], [], []]
    numbers = {a["establishment"]["establishmentNumber"] for a in answers}
    assert len(numbers) == 3
    assert all(NUMBER.match(n) and n.startswith("1301-") for n in numbers)
