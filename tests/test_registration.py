"""Account opening at its boundaries (DESIGN.md §2.3-§2.4), over real HTTP.

パスワード登録申込 (`employerRegistrationRequest`): tries against the counter's code, format
errors, terms versions, the code's expiry day, the mail. パスワード登録
(`employerRegistrationComplete`): the key's lifetime and tries, the password policy, what a
success stores, the login limit of an establishment.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from app.clock import TOKYO
from app.models import AccountCreationCode, Establishment, Portal, TermsAgreement, User
from app.models.establishments import AccountCodeStatus
from app.terms import TermsKind, current_version
from tests import flows
from tests.conftest import (
    START,
    Counter,
    GraphQLClient,
    Server,
    mail_body,
    new_establishment,
    new_staff,
)

EMAIL = "apply@care.example.jp"
WRONG_NUMBER = "1301-654321-7"
WRONG_PHONE = "03-3812-0002"
MISMATCH_CODE = "REGISTRATION_DETAILS_INVALID"


def wrong_code(counter: Counter) -> str:
    """A well-formed code that is not the counter's."""
    code = "Wr0ng#Code"
    return code if code != counter.code else "Wr0ng#Cod3"


async def at_counter(server: Server, new_client: Any) -> tuple[GraphQLClient, Counter]:
    staff = await new_staff(server, new_client())
    return staff, await new_establishment(server, staff)


async def code_row(counter: Counter) -> AccountCreationCode:
    """The establishment's newest code, read from the database."""
    establishment = await Establishment.get(number=counter.establishment_number)
    row = (
        await AccountCreationCode.filter(establishment_id=establishment.id)
        .order_by("-issued_at", "-id")
        .first()
    )
    assert row is not None
    return row


async def request_with(gql: GraphQLClient, counter: Counter, **overrides: str) -> dict[str, Any]:
    """A registration request for EMAIL with any item, the address too, overridden."""
    variables = flows.registration_input(counter, EMAIL)
    variables["input"].update(overrides)
    data = await gql.execute(flows.REGISTRATION_REQUEST, variables)
    payload: dict[str, Any] = data["employerRegistrationRequest"]
    return payload


def only_error(payload: dict[str, Any]) -> dict[str, Any]:
    assert len(payload["errors"]) == 1, payload
    error: dict[str, Any] = payload["errors"][0]
    return error


async def fail_with(
    gql: GraphQLClient, counter: Counter, kind: str, email: str = EMAIL
) -> dict[str, Any]:
    """One try with exactly one of the three items wrong; the single error it gets."""
    overrides = {
        "number": {"establishmentNumber": WRONG_NUMBER},
        "phone": {"phoneNumber": WRONG_PHONE},
        "code": {"accountCreationCode": wrong_code(counter)},
    }[kind]
    return only_error(await flows.request_registration(gql, counter, email, **overrides))


# --- Failed tries against the account creation code -------------------------------------------


async def test_nine_wrong_tries_leave_the_code_usable(
    server: Server, gql: GraphQLClient, new_client: Any
) -> None:
    _, counter = await at_counter(server, new_client)
    for attempt in range(9):
        error = await fail_with(gql, counter, ("number", "phone", "code")[attempt % 3])
        assert error["code"] == MISMATCH_CODE
    assert (await code_row(counter)).failed_attempts == 9
    assert (await code_row(counter)).status == AccountCodeStatus.ACTIVE

    payload = await flows.request_registration(gql, counter, EMAIL)

    assert payload["errors"] == []
    assert await flows.auth_key_from_mail(server, EMAIL)


async def test_the_tenth_wrong_try_voids_the_code(
    server: Server, gql: GraphQLClient, new_client: Any
) -> None:
    _, counter = await at_counter(server, new_client)
    for _ in range(9):
        assert (await fail_with(gql, counter, "phone"))["code"] == MISMATCH_CODE

    tenth = await fail_with(gql, counter, "code")

    assert tenth["code"] == "ACCOUNT_CREATION_CODE_VOID"
    row = await code_row(counter)
    assert row.failed_attempts == 10
    assert row.status == AccountCodeStatus.VOID
    mails_before = await flows.mail_count(server, EMAIL)
    payload = await flows.request_registration(gql, counter, EMAIL)
    assert only_error(payload)["code"] == "ACCOUNT_CREATION_CODE_VOID"
    assert "窓口" in only_error(payload)["message"]
    assert await flows.mail_count(server, EMAIL) == mails_before


async def test_a_void_code_is_named_only_to_whoever_holds_it(
    server: Server, gql: GraphQLClient, new_client: Any
) -> None:
    _, counter = await at_counter(server, new_client)
    for _ in range(10):
        await fail_with(gql, counter, "phone")

    guessed = await fail_with(gql, counter, "code")

    assert guessed["code"] == MISMATCH_CODE
    assert (await code_row(counter)).failed_attempts == 10
    held = only_error(await flows.request_registration(gql, counter, EMAIL))
    assert held["code"] == "ACCOUNT_CREATION_CODE_VOID"


async def test_each_wrong_item_counts_and_all_get_the_same_answer(
    server: Server, gql: GraphQLClient, new_client: Any
) -> None:
    _, counter = await at_counter(server, new_client)
    answers = []
    for expected_count, kind in enumerate(("number", "phone", "code"), start=1):
        answers.append(await fail_with(gql, counter, kind))
        assert (await code_row(counter)).failed_attempts == expected_count, kind

    assert answers[0] == answers[1] == answers[2]
    assert answers[0]["code"] == MISMATCH_CODE
    assert answers[0]["field"] is None
    assert "いずれかに誤り" in answers[0]["message"]


async def test_the_count_is_kept_per_code_and_a_reissued_code_starts_at_zero(
    server: Server, gql: GraphQLClient, new_client: Any
) -> None:
    staff, counter = await at_counter(server, new_client)
    for _ in range(5):
        await fail_with(gql, counter, "number")
    old = await code_row(counter)
    assert old.failed_attempts == 5

    counter.code = await flows.issue_code(staff, counter.establishment_id)

    new = await code_row(counter)
    assert new.id != old.id
    assert new.failed_attempts == 0
    await fail_with(gql, counter, "phone")
    assert (await AccountCreationCode.get(id=new.id)).failed_attempts == 1
    assert (await AccountCreationCode.get(id=old.id)).failed_attempts == 5
    # Nine more on the new code would void it only at its own tenth try.
    for _ in range(8):
        await fail_with(gql, counter, "phone")
    assert (await AccountCreationCode.get(id=new.id)).status == AccountCodeStatus.ACTIVE
    assert (await flows.request_registration(gql, counter, EMAIL))["errors"] == []


async def test_details_of_an_unknown_establishment_are_refused_alike(
    server: Server, gql: GraphQLClient, new_client: Any
) -> None:
    _, counter = await at_counter(server, new_client)

    error = only_error(
        await flows.request_registration(
            gql,
            counter,
            EMAIL,
            establishmentNumber=WRONG_NUMBER,
            accountCreationCode=wrong_code(counter),
        )
    )

    assert error == await fail_with(gql, counter, "phone")


async def test_a_shortened_middle_part_of_the_number_matches(
    server: Server, gql: GraphQLClient, new_client: Any
) -> None:
    staff = await new_staff(server, new_client())
    counter = await new_establishment(server, staff, number="1301-023456-7")

    payload = await flows.request_registration(
        gql, counter, EMAIL, establishmentNumber="1301-23456-7"
    )

    assert payload["errors"] == []


# --- Format errors: refused field by field, never counted -------------------------------------

FORMAT_ERRORS = [
    pytest.param(
        {"establishmentNumber": "１３０１-１２３４５６-７"},
        [("establishmentNumber", "NOT_HALF_WIDTH")],
        id="full-width-number",
    ),
    pytest.param(
        {"establishmentNumber": "1301-1234567-8"},
        [("establishmentNumber", "INVALID_FORMAT")],
        id="number-4-7-1",
    ),
    pytest.param(
        {"establishmentNumber": "130-123456-7"},
        [("establishmentNumber", "INVALID_FORMAT")],
        id="number-3-6-1",
    ),
    pytest.param(
        {"establishmentNumber": "1301-123456-78"},
        [("establishmentNumber", "INVALID_FORMAT")],
        id="number-4-6-2",
    ),
    pytest.param(
        {"phoneNumber": "０３-３８１２-０００１"},
        [("phoneNumber", "NOT_HALF_WIDTH")],
        id="full-width-phone",
    ),
    pytest.param(
        {"phoneNumber": "0338120001"}, [("phoneNumber", "INVALID_FORMAT")], id="phone-one-part"
    ),
    pytest.param(
        {"email": "a" * 89 + "@example.jpx", "emailConfirmation": "a" * 89 + "@example.jpx"},
        [("email", "TOO_LONG")],
        id="email-101-chars",
    ),
    pytest.param(
        {"email": "ｈｒ@care.example.jp", "emailConfirmation": "ｈｒ@care.example.jp"},
        [("email", "NOT_HALF_WIDTH")],
        id="full-width-email",
    ),
    pytest.param(
        {"email": "not-an-address", "emailConfirmation": "not-an-address"},
        [("email", "INVALID_FORMAT")],
        id="email-shape",
    ),
    pytest.param(
        {"emailConfirmation": "other@care.example.jp"},
        [("emailConfirmation", "MISMATCH")],
        id="email-confirmation-mismatch",
    ),
    pytest.param(
        {"accountCreationCode": "5z2X#3mwc%A"},
        [("accountCreationCode", "TOO_LONG")],
        id="code-11-chars",
    ),
    pytest.param(
        {"accountCreationCode": "５z2X#3mwc%"},
        [("accountCreationCode", "NOT_HALF_WIDTH")],
        id="full-width-code",
    ),
    pytest.param(
        {
            "email": "",
            "emailConfirmation": "",
            "establishmentNumber": "",
            "phoneNumber": "",
            "accountCreationCode": "",
        },
        [
            ("email", "REQUIRED"),
            ("establishmentNumber", "REQUIRED"),
            ("phoneNumber", "REQUIRED"),
            ("accountCreationCode", "REQUIRED"),
        ],
        id="all-empty",
    ),
]


@pytest.mark.parametrize(("overrides", "expected"), FORMAT_ERRORS)
async def test_format_errors_are_refused_by_field_and_not_counted(
    server: Server,
    gql: GraphQLClient,
    new_client: Any,
    overrides: dict[str, str],
    expected: list[tuple[str, str]],
) -> None:
    _, counter = await at_counter(server, new_client)
    # The other items are wrong too: a format error must stop before any matching.
    overrides = {"phoneNumber": WRONG_PHONE, **overrides}

    payload = await request_with(gql, counter, **overrides)

    got = sorted((e["field"], e["code"]) for e in payload["errors"])
    assert got == sorted(expected)
    assert all(e["message"] and not e["message"].isascii() for e in payload["errors"])
    assert payload["authKeyExpiresAt"] is None
    assert (await code_row(counter)).failed_attempts == 0


async def test_a_hundred_character_email_is_accepted(
    server: Server, gql: GraphQLClient, new_client: Any
) -> None:
    _, counter = await at_counter(server, new_client)
    email = "a" * 89 + "@example.jp"
    assert len(email) == 100

    payload = await flows.request_registration(gql, counter, email)

    assert payload["errors"] == []
    assert await flows.auth_key_from_mail(server, email)


async def test_ten_format_errors_do_not_void_the_code(
    server: Server, gql: GraphQLClient, new_client: Any
) -> None:
    _, counter = await at_counter(server, new_client)
    for _ in range(10):
        payload = await flows.request_registration(
            gql, counter, EMAIL, establishmentNumber="1301-1234567-8"
        )
        assert only_error(payload)["code"] == "INVALID_FORMAT"

    assert (await flows.request_registration(gql, counter, EMAIL))["errors"] == []


# --- Terms versions ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "field", ["agreedPrivacyPolicyVersion", "agreedTermsVersion"], ids=["privacy", "terms"]
)
async def test_outdated_terms_are_refused_without_counting(
    server: Server, gql: GraphQLClient, new_client: Any, field: str
) -> None:
    _, counter = await at_counter(server, new_client)
    mails_before = await flows.mail_count(server, EMAIL)

    payload = await flows.request_registration(
        gql, counter, EMAIL, phoneNumber=WRONG_PHONE, **{field: "2020-01-01"}
    )

    error = only_error(payload)
    assert (error["field"], error["code"]) == (field, "TERMS_VERSION_OUTDATED")
    assert (await code_row(counter)).failed_attempts == 0
    assert await flows.mail_count(server, EMAIL) == mails_before


async def test_terms_documents_serve_the_versions_to_agree_to(gql: GraphQLClient) -> None:
    data = await gql.execute("{ termsDocuments { kind version title } }")

    versions = {d["kind"]: d["version"] for d in data["termsDocuments"]}
    assert versions == {
        "PRIVACY_POLICY": current_version(TermsKind.PRIVACY_POLICY),
        "TERMS_OF_USE": current_version(TermsKind.TERMS_OF_USE),
    }


# --- Reissue and expiry of the code -----------------------------------------------------------


async def test_a_reissued_code_voids_the_old_one(
    server: Server, gql: GraphQLClient, new_client: Any
) -> None:
    staff, counter = await at_counter(server, new_client)
    old_code = counter.code

    new_code = await flows.issue_code(staff, counter.establishment_id)

    assert new_code != old_code
    payload = await flows.request_registration(gql, counter, EMAIL, accountCreationCode=old_code)
    assert only_error(payload)["code"] == "ACCOUNT_CREATION_CODE_VOID"
    payload = await flows.request_registration(gql, counter, EMAIL, accountCreationCode=new_code)
    assert payload["errors"] == []


async def test_a_reissued_code_voids_the_key_mailed_for_the_old_one(
    server: Server, gql: GraphQLClient, new_client: Any
) -> None:
    staff, counter = await at_counter(server, new_client)
    assert (await flows.request_registration(gql, counter, EMAIL))["errors"] == []
    key = await flows.auth_key_from_mail(server, EMAIL)

    await flows.issue_code(staff, counter.establishment_id)

    payload = await flows.complete_registration(gql, EMAIL, key)
    assert payload["errors"], payload
    assert payload["errors"][0]["code"] == "ACCOUNT_CREATION_CODE_VOID"
    assert not await User.exists(email=EMAIL)


TOKYO_EXPIRY_DAY = dt.date(2026, 12, 25)  # START (2026-11-25 in Tokyo) + 30 days


async def test_the_code_works_until_the_end_of_its_expiry_day_in_tokyo(
    server: Server, gql: GraphQLClient, new_client: Any
) -> None:
    _, counter = await at_counter(server, new_client)
    assert (await code_row(counter)).expires_on == TOKYO_EXPIRY_DAY

    server.clock.set(dt.datetime(2026, 12, 25, 23, 59, tzinfo=TOKYO))

    assert (await flows.request_registration(gql, counter, EMAIL))["errors"] == []
    assert (
        await flows.complete_registration(gql, EMAIL, await flows.auth_key_from_mail(server, EMAIL))
    )["errors"] == []


async def test_the_code_is_refused_the_day_after_its_expiry_day_in_tokyo(
    server: Server, gql: GraphQLClient, new_client: Any
) -> None:
    _, counter = await at_counter(server, new_client)
    # 15:00 UTC on the expiry day is already the next day in Tokyo.
    server.clock.set(dt.datetime(2026, 12, 25, 15, 0, tzinfo=dt.UTC))

    payload = await flows.request_registration(gql, counter, EMAIL)

    error = only_error(payload)
    assert error["code"] == "ACCOUNT_CREATION_CODE_EXPIRED"
    assert "有効期限" in error["message"]


# --- The mail and the authentication key ------------------------------------------------------


async def test_the_mail_holds_the_key_valid_for_fifty_minutes(
    server: Server, gql: GraphQLClient, new_client: Any
) -> None:
    _, counter = await at_counter(server, new_client)
    mails_before = await flows.mail_count(server, EMAIL)

    payload = await flows.request_registration(gql, counter, EMAIL)

    assert payload["errors"] == []
    assert dt.datetime.fromisoformat(payload["authKeyExpiresAt"]) == START + dt.timedelta(
        minutes=50
    )
    assert await flows.mail_count(server, EMAIL) == mails_before + 1
    mail = await server.last_mail_to(EMAIL)
    assert flows.mail_subject(mail) == "パスワード登録申込受付通知"
    body = mail_body(mail)
    assert await flows.auth_key_from_mail(server, EMAIL)
    assert any(line.startswith("認証キー: ") for line in body.splitlines())


async def test_the_address_is_matched_without_regard_to_case(
    server: Server, gql: GraphQLClient, new_client: Any
) -> None:
    _, counter = await at_counter(server, new_client)
    assert (await flows.request_registration(gql, counter, "Apply@Care.Example.jp"))["errors"] == []
    key = await flows.auth_key_from_mail(server, "apply@care.example.jp")

    payload = await flows.complete_registration(gql, "APPLY@care.example.jp", key)

    assert payload["errors"] == []
    assert await User.exists(portal=Portal.EMPLOYER, email="apply@care.example.jp")


async def requested_key(server: Server, gql: GraphQLClient, new_client: Any) -> str:
    _, counter = await at_counter(server, new_client)
    assert (await flows.request_registration(gql, counter, EMAIL))["errors"] == []
    return await flows.auth_key_from_mail(server, EMAIL)


async def test_the_key_works_at_49_minutes(
    server: Server, gql: GraphQLClient, new_client: Any
) -> None:
    key = await requested_key(server, gql, new_client)
    server.clock.advance(minutes=49)

    payload = await flows.complete_registration(gql, EMAIL, key)

    assert payload["errors"] == []
    assert payload["establishment"]["name"] == "ハローワークケア"


async def test_the_key_is_expired_at_51_minutes(
    server: Server, gql: GraphQLClient, new_client: Any
) -> None:
    key = await requested_key(server, gql, new_client)
    server.clock.advance(minutes=51)

    payload = await flows.complete_registration(gql, EMAIL, key)

    error = only_error(payload)
    assert (error["field"], error["code"]) == ("authKey", "AUTH_KEY_EXPIRED")
    assert not await User.exists(email=EMAIL)


def other_key(key: str) -> str:
    return "A" * len(key) if key != "A" * len(key) else "B" * len(key)


async def test_four_wrong_keys_leave_the_key_usable(
    server: Server, gql: GraphQLClient, new_client: Any
) -> None:
    key = await requested_key(server, gql, new_client)
    for _ in range(4):
        error = only_error(await flows.complete_registration(gql, EMAIL, other_key(key)))
        assert (error["field"], error["code"]) == ("authKey", "AUTH_KEY_INVALID")

    payload = await flows.complete_registration(gql, EMAIL, key)

    assert payload["errors"] == []


async def test_five_wrong_keys_void_the_key(
    server: Server, gql: GraphQLClient, new_client: Any
) -> None:
    key = await requested_key(server, gql, new_client)
    for _ in range(4):
        error = only_error(await flows.complete_registration(gql, EMAIL, other_key(key)))
        assert error["code"] == "AUTH_KEY_INVALID"
    fifth = only_error(await flows.complete_registration(gql, EMAIL, other_key(key)))
    assert fifth["code"] == "AUTH_KEY_VOID"

    payload = await flows.complete_registration(gql, EMAIL, key)

    assert only_error(payload)["code"] == "AUTH_KEY_VOID"
    assert not await User.exists(email=EMAIL)


async def test_a_key_for_an_address_that_applied_for_nothing_is_refused(
    server: Server, gql: GraphQLClient, new_client: Any
) -> None:
    key = await requested_key(server, gql, new_client)

    payload = await flows.complete_registration(gql, "someone@else.example.jp", key)

    assert only_error(payload)["code"] == "AUTH_KEY_INVALID"
    assert not await User.exists(email="someone@else.example.jp")


# --- Password policy ---------------------------------------------------------------------------

PASSWORD_32 = "Abcdefgh#1" * 3 + "xy"
REFUSED_PASSWORDS = [
    pytest.param("Abcd#12", "PASSWORD_POLICY", id="7-chars"),
    pytest.param(PASSWORD_32 + "z", "PASSWORD_POLICY", id="33-chars"),
    pytest.param("1234#5678", "PASSWORD_POLICY", id="no-letter"),
    pytest.param("Abcd#efgh", "PASSWORD_POLICY", id="no-digit"),
    pytest.param("Abcd12345", "PASSWORD_POLICY", id="no-symbol"),
    pytest.param("Ａｂｃｄ＃１２３４", "NOT_HALF_WIDTH", id="full-width"),
    pytest.param("Abcd#1234あ", "NOT_HALF_WIDTH", id="one-full-width-char"),
    pytest.param("Abcd #1234", "NOT_HALF_WIDTH", id="space"),
    pytest.param("", "REQUIRED", id="empty"),
]


@pytest.mark.parametrize(("password", "code"), REFUSED_PASSWORDS)
async def test_passwords_outside_the_policy_are_refused_and_keep_the_key(
    server: Server, gql: GraphQLClient, new_client: Any, password: str, code: str
) -> None:
    key = await requested_key(server, gql, new_client)

    payload = await flows.complete_registration(gql, EMAIL, key, password)

    error = only_error(payload)
    assert (error["field"], error["code"]) == ("password", code)
    assert not error["message"].isascii()
    assert not await User.exists(email=EMAIL)
    # A refused password is not a wrong key: the key still works.
    assert (await flows.complete_registration(gql, EMAIL, key))["errors"] == []


@pytest.mark.parametrize("password", ["Abcd#123", PASSWORD_32], ids=["8-chars", "32-chars"])
async def test_passwords_of_8_and_32_characters_are_accepted_and_log_in(
    server: Server, gql: GraphQLClient, new_client: Any, password: str
) -> None:
    key = await requested_key(server, gql, new_client)

    payload = await flows.complete_registration(gql, EMAIL, key, password)

    assert payload["errors"] == []
    await flows.log_in(server, new_client(), "EMPLOYER", EMAIL, password)


async def test_a_password_confirmation_mismatch_is_refused(
    server: Server, gql: GraphQLClient, new_client: Any
) -> None:
    key = await requested_key(server, gql, new_client)

    payload = await flows.complete_registration(
        gql, EMAIL, key, flows.EMPLOYER_PASSWORD, flows.EMPLOYER_PASSWORD + "x"
    )

    error = only_error(payload)
    assert (error["field"], error["code"]) == ("passwordConfirmation", "MISMATCH")
    assert not await User.exists(email=EMAIL)


# --- What a success does -----------------------------------------------------------------------


async def test_success_consumes_the_code(
    server: Server, gql: GraphQLClient, new_client: Any
) -> None:
    _, counter = await at_counter(server, new_client)
    await flows.register_employer(server, gql, counter, EMAIL)
    assert (await code_row(counter)).status == AccountCodeStatus.USED

    payload = await flows.request_registration(gql, counter, "second@care.example.jp")

    assert only_error(payload)["code"] == "ACCOUNT_CREATION_CODE_VOID"
    assert await User.filter(portal=Portal.EMPLOYER).count() == 1


async def test_a_second_key_for_the_same_code_cannot_open_a_second_login(
    server: Server, gql: GraphQLClient, new_client: Any
) -> None:
    _, counter = await at_counter(server, new_client)
    assert (await flows.request_registration(gql, counter, EMAIL))["errors"] == []
    first_key = await flows.auth_key_from_mail(server, EMAIL)
    other = "other@care.example.jp"
    assert (await flows.request_registration(gql, counter, other))["errors"] == []
    second_key = await flows.auth_key_from_mail(server, other)

    # The newer application replaced the older one: only one of them can open a login.
    assert (await flows.complete_registration(gql, other, second_key))["errors"] == []
    payload = await flows.complete_registration(gql, EMAIL, first_key)

    assert payload["errors"], payload
    assert await User.filter(portal=Portal.EMPLOYER).count() == 1


async def test_the_terms_agreed_to_are_stored_with_their_time(
    server: Server, gql: GraphQLClient, new_client: Any
) -> None:
    _, counter = await at_counter(server, new_client)
    assert (await flows.request_registration(gql, counter, EMAIL))["errors"] == []
    agreed_at = server.clock.now()
    server.clock.advance(minutes=5)
    key = await flows.auth_key_from_mail(server, EMAIL)
    assert (await flows.complete_registration(gql, EMAIL, key))["errors"] == []

    user = await User.get(portal=Portal.EMPLOYER, email=EMAIL)
    rows = await TermsAgreement.filter(user_id=user.id).order_by("kind")

    assert [(row.kind, row.version) for row in rows] == [
        ("PRIVACY_POLICY", current_version(TermsKind.PRIVACY_POLICY)),
        ("TERMS_OF_USE", current_version(TermsKind.TERMS_OF_USE)),
    ]
    assert all(row.agreed_at == agreed_at for row in rows)


async def test_the_eleventh_login_of_an_establishment_is_refused(
    server: Server, gql: GraphQLClient, new_client: Any
) -> None:
    staff, counter = await at_counter(server, new_client)
    establishment = await Establishment.get(number=counter.establishment_number)
    await add_logins(server, establishment.id, 9)
    # The tenth login can still be opened.
    await flows.register_employer(server, gql, counter, "tenth@care.example.jp")
    assert await User.filter(establishment_id=establishment.id).count() == 10

    counter.code = await flows.issue_code(staff, counter.establishment_id)
    eleventh = "eleventh@care.example.jp"
    payload = await flows.request_registration(gql, counter, eleventh)

    error = only_error(payload)
    assert error["code"] == "LOGIN_LIMIT_REACHED"
    assert "10" in error["message"]
    assert await flows.mail_count(server, eleventh) == 0
    assert await User.filter(establishment_id=establishment.id).count() == 10
    assert (await code_row(counter)).status == AccountCodeStatus.ACTIVE
    assert (await code_row(counter)).failed_attempts == 0


async def test_the_limit_is_checked_again_when_the_password_is_registered(
    server: Server, gql: GraphQLClient, new_client: Any
) -> None:
    _, counter = await at_counter(server, new_client)
    establishment = await Establishment.get(number=counter.establishment_number)
    await add_logins(server, establishment.id, 9)
    eleventh = "eleventh@care.example.jp"
    assert (await flows.request_registration(gql, counter, eleventh))["errors"] == []
    # Another login fills the tenth place while the key is on its way.
    await add_logins(server, establishment.id, 1, first=9)

    payload = await flows.complete_registration(
        gql, eleventh, await flows.auth_key_from_mail(server, eleventh)
    )

    assert only_error(payload)["code"] == "LOGIN_LIMIT_REACHED"
    assert await User.filter(establishment_id=establishment.id).count() == 10
    assert not await User.exists(email=eleventh)
    assert (await code_row(counter)).status == AccountCodeStatus.ACTIVE


async def add_logins(server: Server, establishment_id: int, count: int, first: int = 0) -> None:
    for n in range(first, first + count):
        await User.create(
            portal=Portal.EMPLOYER,
            email=f"login{n}@care.example.jp",
            password_hash="not-a-real-hash",
            establishment_id=establishment_id,
            created_at=server.clock.now(),
        )


async def test_an_email_already_registered_is_answered_as_a_free_one(
    server: Server, gql: GraphQLClient, new_client: Any
) -> None:
    """Only the owner learns that the address has a login: by mail, not in the answer."""
    staff, counter = await at_counter(server, new_client)
    await flows.register_employer(server, gql, counter, EMAIL)
    other = await new_establishment(server, staff, number="1301-222222-2", phone="03-3812-0022")
    third = await new_establishment(server, staff, number="1301-333333-3", phone="03-3812-0033")
    mails_before = await flows.mail_count(server, EMAIL)

    taken = await flows.request_registration(gql, other, EMAIL.upper())
    free = await flows.request_registration(gql, third, "free@care.example.jp")

    assert taken == free
    assert taken["errors"] == []
    assert (await code_row(other)).failed_attempts == 0
    assert (await code_row(other)).status == AccountCodeStatus.ACTIVE
    assert await flows.mail_count(server, EMAIL) == mails_before + 1
    notice = await server.last_mail_to(EMAIL)
    assert flows.mail_subject(notice) == "マイページ 登録済みのメールアドレスです"
    assert "すでに求人者マイページに登録されている" in mail_body(notice)
    assert "認証キー" not in mail_body(notice)
    # No key reached anyone: the application cannot be completed.
    payload = await flows.complete_registration(gql, EMAIL, "WRONGKEY00")
    assert only_error(payload)["code"] == "AUTH_KEY_INVALID"
