"""Counter operations (establishmentRegister, accountCreationCodeIssue) and who may see what."""

from __future__ import annotations

import base64
import string
from typing import Any

import pytest

from app.models import AccountCreationCode, Establishment
from app.models.establishments import AccountCodeStatus
from app.security import ACCOUNT_CODE_SYMBOLS
from tests import flows
from tests.conftest import GraphQLClient, Server, new_employer, new_establishment, new_staff

NODE = """query ($id: ID!) { node(id: $id) {
  __typename id ... on Establishment { establishmentNumber name } ... on Office { code } } }"""

REGISTER_INPUT = {
    "establishmentNumber": "1301-765432-1",
    "name": "株式会社白山商事",
    "nameKana": "カブシキガイシャハクサンショウジ",
    "phoneNumber": "03-3812-0101",
    "postalCode": "112-0001",
    "address": "東京都文京区白山1-1-1",
}


def global_id(type_name: str, node_id: int | str) -> str:
    return base64.b64encode(f"{type_name}:{node_id}".encode()).decode()


async def register(staff: GraphQLClient, **overrides: str) -> dict[str, Any]:
    data = await staff.execute(
        flows.REGISTER_ESTABLISHMENT, {"input": {**REGISTER_INPUT, **overrides}}
    )
    payload: dict[str, Any] = data["establishmentRegister"]
    return payload


async def issue(client: GraphQLClient, establishment_id: str) -> dict[str, Any]:
    data = await client.execute(flows.ISSUE_CODE, {"id": establishment_id})
    payload: dict[str, Any] = data["accountCreationCodeIssue"]
    return payload


async def node(client: GraphQLClient, node_id: str) -> dict[str, Any] | None:
    data = await client.execute(NODE, {"id": node_id})
    found: dict[str, Any] | None = data["node"]
    return found


# --- Who may call the counter's mutations ------------------------------------------------------


async def test_an_employer_cannot_call_staff_mutations(
    server: Server, gql: GraphQLClient, new_client: Any
) -> None:
    staff = await new_staff(server, new_client())
    counter = await new_establishment(server, staff)
    await new_employer(server, gql, counter)
    codes_before = await AccountCreationCode.all().count()

    register_response = await gql.post(flows.REGISTER_ESTABLISHMENT, {"input": REGISTER_INPUT})
    issue_response = await gql.post(flows.ISSUE_CODE, {"id": counter.establishment_id})

    assert flows.top_level_codes(register_response) == ["FORBIDDEN"]
    assert flows.top_level_codes(issue_response) == ["FORBIDDEN"]
    assert register_response.json()["data"] is None
    assert issue_response.json()["data"] is None
    assert not await Establishment.exists(number=REGISTER_INPUT["establishmentNumber"])
    assert await AccountCreationCode.all().count() == codes_before
    # The counter's code was used by the employer; nothing new was issued or replaced.
    assert await AccountCreationCode.filter(status=AccountCodeStatus.ACTIVE).count() == 0


async def test_anonymous_callers_of_staff_mutations_are_unauthenticated(
    server: Server, gql: GraphQLClient, new_client: Any
) -> None:
    staff = await new_staff(server, new_client())
    counter = await new_establishment(server, staff)

    register_response = await gql.post(flows.REGISTER_ESTABLISHMENT, {"input": REGISTER_INPUT})
    issue_response = await gql.post(flows.ISSUE_CODE, {"id": counter.establishment_id})

    assert flows.top_level_codes(register_response) == ["UNAUTHENTICATED"]
    assert flows.top_level_codes(issue_response) == ["UNAUTHENTICATED"]
    malformed = await gql.post(flows.ISSUE_CODE, {"id": "not-a-global-id"})
    assert flows.top_level_codes(malformed) == ["UNAUTHENTICATED"]
    assert register_response.json()["errors"][0]["message"] == "ログインしてください。"
    assert not await Establishment.exists(number=REGISTER_INPUT["establishmentNumber"])
    # The code issued at the counter is still the one that works.
    assert (await flows.request_registration(gql, counter, "hr@care.example.jp"))["errors"] == []


async def test_staff_of_another_office_cannot_issue_a_code_nor_see_the_establishment(
    server: Server, new_client: Any
) -> None:
    iidabashi = await new_staff(server, new_client(), "13010")
    counter = await new_establishment(server, iidabashi)
    hakusan = await new_staff(server, new_client(), "13020")

    response = await hakusan.post(flows.ISSUE_CODE, {"id": counter.establishment_id})

    assert flows.not_found_for_another_office(response, "accountCreationCodeIssue")
    assert await node(hakusan, counter.establishment_id) is None
    # The code of the own office is untouched and still works.
    assert await AccountCreationCode.all().count() == 1
    payload = await flows.request_registration(new_client(), counter, "hr@care.example.jp")
    assert payload["errors"] == []
    # The own office's staff see it.
    seen = await node(iidabashi, counter.establishment_id)
    assert seen == {
        "__typename": "Establishment",
        "id": counter.establishment_id,
        "establishmentNumber": counter.establishment_number,
        "name": "ハローワークケア",
    }


async def test_staff_register_under_their_own_office(server: Server, new_client: Any) -> None:
    hakusan = await new_staff(server, new_client(), "13020")

    payload = await register(hakusan)

    assert payload["errors"] == []
    assert payload["establishment"]["office"] == {
        "code": "13020",
        "name": "テスト13020公共職業安定所",
    }
    assert payload["establishment"]["establishmentNumber"] == "1301-765432-1"


async def test_an_employer_sees_its_own_establishment_only(
    server: Server, gql: GraphQLClient, new_client: Any
) -> None:
    staff = await new_staff(server, new_client())
    counter = await new_establishment(server, staff)
    other = await register(staff)
    assert other["errors"] == []
    await new_employer(server, gql, counter)
    home = await gql.execute("{ employerHome { office { id } } }")

    own = await node(gql, counter.establishment_id)
    not_own = await node(gql, other["establishment"]["id"])
    office = await node(gql, home["employerHome"]["office"]["id"])

    assert own is not None
    assert own["establishmentNumber"] == counter.establishment_number
    assert not_own is None
    assert office == {
        "__typename": "Office",
        "id": home["employerHome"]["office"]["id"],
        "code": "13010",
    }


async def test_anonymous_callers_see_no_node(
    server: Server, gql: GraphQLClient, new_client: Any
) -> None:
    staff = await new_staff(server, new_client())
    counter = await new_establishment(server, staff)

    assert await node(gql, counter.establishment_id) is None


# --- establishmentRegister: validation ---------------------------------------------------------

INVALID_REGISTRATIONS = [
    pytest.param({"postalCode": "1120001"}, [("postalCode", "INVALID_FORMAT")], id="postal-7"),
    pytest.param({"postalCode": "112-001"}, [("postalCode", "INVALID_FORMAT")], id="postal-3-3"),
    pytest.param(
        {"postalCode": "１１２-０００１"}, [("postalCode", "NOT_HALF_WIDTH")], id="postal-fw"
    ),
    pytest.param({"nameKana": "はくさんしょうじ"}, [("nameKana", "INVALID_FORMAT")], id="hiragana"),
    pytest.param({"nameKana": "ﾊｸｻﾝｼｮｳｼﾞ"}, [("nameKana", "INVALID_FORMAT")], id="half-kana"),
    pytest.param({"nameKana": "白山商事"}, [("nameKana", "INVALID_FORMAT")], id="kanji-kana"),
    pytest.param({"phoneNumber": "03-3812"}, [("phoneNumber", "INVALID_FORMAT")], id="phone-2"),
    pytest.param(
        {"phoneNumber": "03-3812-01O1"}, [("phoneNumber", "INVALID_FORMAT")], id="phone-letter"
    ),
    pytest.param(
        {"phoneNumber": "０３-３８１２-０１０１"},
        [("phoneNumber", "NOT_HALF_WIDTH")],
        id="phone-fw",
    ),
    pytest.param(
        {"establishmentNumber": "1301-7654321-1"},
        [("establishmentNumber", "INVALID_FORMAT")],
        id="number-4-7-1",
    ),
    pytest.param({"name": "  "}, [("name", "REQUIRED")], id="blank-name"),
    pytest.param({"address": ""}, [("address", "REQUIRED")], id="empty-address"),
    pytest.param(
        {"postalCode": "x", "nameKana": "abc", "phoneNumber": "1"},
        [
            ("nameKana", "INVALID_FORMAT"),
            ("phoneNumber", "INVALID_FORMAT"),
            ("postalCode", "INVALID_FORMAT"),
        ],
        id="several-at-once",
    ),
]


@pytest.mark.parametrize(("overrides", "expected"), INVALID_REGISTRATIONS)
async def test_invalid_registrations_are_field_errors_in_japanese_and_change_nothing(
    server: Server, new_client: Any, overrides: dict[str, str], expected: list[tuple[str, str]]
) -> None:
    staff = await new_staff(server, new_client())

    payload = await register(staff, **overrides)

    assert payload["establishment"] is None
    assert sorted((e["field"], e["code"]) for e in payload["errors"]) == sorted(expected)
    assert all(not e["message"].isascii() for e in payload["errors"])
    assert await Establishment.all().count() == 0


async def test_a_duplicate_establishment_number_already_exists(
    server: Server, new_client: Any
) -> None:
    staff = await new_staff(server, new_client())
    assert (await register(staff, establishmentNumber="1301-012345-6"))["errors"] == []

    # The same number written with its middle part unpadded is the same number.
    for number in ("1301-012345-6", "1301-12345-6"):
        payload = await register(staff, establishmentNumber=number, name="別の事業所")
        assert payload["establishment"] is None
        assert [(e["field"], e["code"]) for e in payload["errors"]] == [
            ("establishmentNumber", "ALREADY_EXISTS")
        ]
        assert "すでに登録" in payload["errors"][0]["message"]
    assert await Establishment.all().count() == 1
    assert (await Establishment.get()).name == REGISTER_INPUT["name"]


async def test_a_number_registered_by_another_office_already_exists(
    server: Server, new_client: Any
) -> None:
    iidabashi = await new_staff(server, new_client(), "13010")
    hakusan = await new_staff(server, new_client(), "13020")
    assert (await register(iidabashi))["errors"] == []

    payload = await register(hakusan)

    assert [e["code"] for e in payload["errors"]] == ["ALREADY_EXISTS"]
    assert await Establishment.all().count() == 1


async def test_valid_kana_with_long_vowel_and_middle_dot_is_accepted(
    server: Server, new_client: Any
) -> None:
    staff = await new_staff(server, new_client())

    payload = await register(staff, nameKana="ハローワーク・ケアセンター")

    assert payload["errors"] == []


# --- accountCreationCodeIssue ------------------------------------------------------------------


async def test_issued_codes_mix_letters_digits_and_symbols_and_expire_in_30_days(
    server: Server, new_client: Any
) -> None:
    staff = await new_staff(server, new_client())
    counter = await new_establishment(server, staff)
    codes = set()
    for _ in range(5):
        payload = await issue(staff, counter.establishment_id)
        assert payload["errors"] == []
        code = payload["code"]
        codes.add(code)
        assert len(code) == 10
        assert all("!" <= ch <= "~" for ch in code), code
        assert any(ch in string.ascii_letters for ch in code), code
        assert any(ch in string.digits for ch in code), code
        assert any(ch in ACCOUNT_CODE_SYMBOLS for ch in code), code
        assert payload["expiresOn"] == "2026-12-25"
        assert payload["expiresOnJapanese"] == "令和8年12月25日"

    assert len(codes) == 5
    # Only the hash is stored; only the newest is active.
    rows = await AccountCreationCode.all()
    assert not any(code in row.code_hash for row in rows for code in codes)
    assert [row.status for row in rows].count(AccountCodeStatus.ACTIVE) == 1


@pytest.mark.parametrize(
    "bad_id",
    [
        pytest.param(global_id("Establishment", 999999), id="no-such-establishment"),
        pytest.param(global_id("Office", 1), id="an-office"),
        pytest.param(global_id("Establishment", "abc"), id="not-a-number"),
        pytest.param("not-a-global-id", id="malformed"),
    ],
)
async def test_a_bad_establishment_id_is_not_found(
    server: Server, new_client: Any, bad_id: str
) -> None:
    staff = await new_staff(server, new_client())
    await new_establishment(server, staff)

    payload = await issue(staff, bad_id)

    assert payload["code"] is None
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [
        ("establishmentId", "NOT_FOUND")
    ]
    assert await AccountCreationCode.filter(status=AccountCodeStatus.ACTIVE).count() == 1
