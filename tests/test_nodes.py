"""Global IDs (`app.schema.nodes`): one rule for the number inside, ASCII digits within the
column's range, on every path that takes an ID; a malformed ID is answered as one that names
nothing, never with an internal error, and changes nothing."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from strawberry.relay import to_base64

from app.errors import UserErrors
from app.models import Message, Posting
from app.models.postings import PostingStatus
from app.schema.nodes import MAX_BIGINT_ID, MAX_INT_ID, decode_id, number, row_id
from tests import flows
from tests.conftest import GraphQLClient, Server, new_employer_of, new_staff
from tests.malformed import MALFORMED_NUMBERS, NOT_GLOBAL_IDS, malformed_ids, no_error_logged

NODE = "query ($id: ID!) { node(id: $id) { id } }"
SUBMIT = "mutation ($id: ID!) { postingSubmit(input: {id: $id}) { errors { field code } } }"
HISTORY = "query ($id: ID!) { messages(threadId: $id) { edges { cursor } } }"
SEND = """mutation ($id: ID!) {
  messageSend(input: {threadId: $id, body: "こんにちは"}) { errors { field code } } }"""
APPLICATIONS = "query ($id: ID) { applications(postingId: $id) { edges { cursor } } }"
IMAGES = "query ($id: ID) { establishmentImages(establishmentId: $id) { id } }"
IMAGE_DELETE = """mutation ($id: ID!) {
  establishmentImageDelete(input: {imageId: $id}) { errors { field code } } }"""
INTEREST = """mutation ($id: ID!) {
  officeEventRegisterInterest(input: {eventId: $id}) { errors { field code } } }"""
AUDIT = "query ($id: ID) { auditEvents(establishmentId: $id) { edges { cursor } } }"

ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


def test_a_row_id_is_ascii_digits_within_the_column() -> None:
    assert row_id("1") == 1
    assert row_id(str(MAX_INT_ID)) == MAX_INT_ID
    assert row_id(str(MAX_INT_ID + 1)) is None
    assert row_id(str(MAX_BIGINT_ID), MAX_BIGINT_ID) == MAX_BIGINT_ID
    assert row_id(str(MAX_BIGINT_ID + 1), MAX_BIGINT_ID) is None
    assert row_id("0") is None
    assert number("0", MAX_INT_ID) == 0  # a position before every row, in a cursor
    for text in MALFORMED_NUMBERS:
        assert row_id(text) is None, text
    assert [t for t in MALFORMED_NUMBERS if row_id(t, MAX_BIGINT_ID)] == ["2147483648"]


def test_decode_id_names_only_rows_of_its_type() -> None:
    assert decode_id(to_base64("Posting", 7), "Posting", "id") == 7
    for global_id in [*malformed_ids("Posting"), *NOT_GLOBAL_IDS]:
        with pytest.raises(UserErrors, match="NOT_FOUND"):
            decode_id(global_id, "Posting", "id")


def _payload_codes(response: httpx.Response, field: str) -> list[str]:
    assert flows.top_level_codes(response) == [], response.text
    return [error["code"] for error in response.json()["data"][field]["errors"]]


async def test_malformed_ids_name_nothing_on_every_path(
    server: Server, gql: GraphQLClient, new_client: Any, caplog: pytest.LogCaptureFixture
) -> None:
    staff = await new_staff(server, new_client())
    employer = await new_employer_of(server, staff, gql)
    posting = await flows.create_posting(employer)
    pk = decode_id(posting["id"], "Posting", "id")
    # The real row's number in other digits must not find it ('٣' reads as 3 to `int`).
    lookalikes = [to_base64("Posting", str(pk).translate(ARABIC_INDIC))]
    well_formed_but_missing = to_base64("Posting", MAX_INT_ID)

    with no_error_logged(caplog):
        assert (await employer.execute(NODE, {"id": posting["id"]}))["node"] is not None
        for global_id in [*malformed_ids("Posting"), *lookalikes, well_formed_but_missing]:
            response = await employer.post(NODE, {"id": global_id})
            assert flows.top_level_codes(response) == [], (global_id, response.text)
            assert response.json()["data"]["node"] is None, global_id

            response = await employer.post(SUBMIT, {"id": global_id})
            assert _payload_codes(response, "postingSubmit") == ["NOT_FOUND"], global_id

            response = await employer.post(HISTORY, {"id": global_id})
            assert flows.top_level_codes(response) == [], (global_id, response.text)
            assert response.json()["data"]["messages"] is None

            response = await employer.post(SEND, {"id": global_id})
            assert _payload_codes(response, "messageSend") == ["NOT_FOUND"], global_id

            response = await employer.post(APPLICATIONS, {"id": global_id})
            assert flows.top_level_codes(response) == [], (global_id, response.text)
            assert response.json()["data"]["applications"]["edges"] == []

            response = await employer.post(IMAGES, {"id": global_id})
            assert flows.top_level_codes(response) == ["BAD_USER_INPUT"], global_id

            response = await employer.post(IMAGE_DELETE, {"id": global_id})
            assert _payload_codes(response, "establishmentImageDelete") == ["NOT_FOUND"]

            response = await employer.post(INTEREST, {"id": global_id})
            assert _payload_codes(response, "officeEventRegisterInterest") == ["NOT_FOUND"]

            response = await staff.post(AUDIT, {"id": global_id})
            assert flows.top_level_codes(response) == [], (global_id, response.text)
            assert response.json()["data"]["auditEvents"]["edges"] == []

        # Not an ID at all: the `ID` inputs refuse the value before anything runs.
        for document in (NODE, SUBMIT, HISTORY, APPLICATIONS, IMAGES, SEND):
            for global_id in NOT_GLOBAL_IDS:
                response = await employer.post(document, {"id": global_id})
                codes = flows.top_level_codes(response)
                assert codes in ([], ["GRAPHQL_VALIDATION_FAILED"], ["BAD_USER_INPUT"]), codes

    assert (await Posting.get(id=pk)).status == PostingStatus.DRAFT
    assert await Message.all().count() == 0
