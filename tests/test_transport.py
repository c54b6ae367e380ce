"""What a request may carry (`app.transport`): every malformed body is a JSON 400 with
`extensions.code`, text holding NUL is BAD_USER_INPUT, and neither runs or stores anything."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from strawberry.relay import to_base64

from app.models import Message, Posting
from app.transport import MAX_DEPTH, Refused, check_operation, check_text
from tests import flows
from tests.conftest import Server, new_employer_of, new_staff
from tests.malformed import CONTROL_STRINGS, UNSTORABLE_STRINGS, no_error_logged
from tests.processes import UvicornProcess, free_port, run_app_ok, service_env
from tests.test_messages import SEND, apply, new_seeker
from tests.ws_client import GraphQLWebSocket

TYPENAME = "{ __typename }"
SEARCH = "query ($k: String) { postingSearch(keyword: $k) { edges { cursor } } }"

MALFORMED_BODIES = {
    "invalid UTF-8": b'{"query": "{ __typename }", "operationName": "\xc3("}',
    "UTF-16": '{"query": "{ __typename }"}'.encode("utf-16"),
    "a byte order mark": b'\xef\xbb\xbf{"query": "{ __typename }"}',
    "not JSON": b"{query: 1}",
    "deeply nested": b'{"query": "{ __typename }", "variables": {"a": '
    + b"[" * 100_000
    + b"]" * 100_000
    + b"}}",
    "nested past the limit": b'{"query": "{ __typename }", "variables": {"a": '
    + b"[" * MAX_DEPTH
    + b"]" * MAX_DEPTH
    + b"}}",
    "a string": b'"{ __typename }"',
    "null": b"null",
    "a number": b"1",
    "an empty batch": b"[]",
    "a batch": b'[{"query": "{ __typename }"}, {"query": "{ __typename }"}]',
    "operationName an object": b'{"query": "{ __typename }", "operationName": {"a": 1}}',
    "operationName a number": b'{"query": "{ __typename }", "operationName": 1}',
    "query a number": b'{"query": 1}',
    "query a list": b'{"query": ["{ __typename }"]}',
    "variables a list": b'{"query": "{ __typename }", "variables": [1]}',
    "variables a string": b'{"query": "{ __typename }", "variables": "{}"}',
    "extensions a string": b'{"query": "{ __typename }", "extensions": "x"}',
    "a lone surrogate in a variable": b'{"query": "{ __typename }", "variables": {"x": "\\ud800"}}',
    "a lone surrogate in the query": b'{"query": "{ __typename } # \\udc00"}',
    "a lone surrogate in a key": b'{"query": "{ __typename }", "variables": {"\\ud800": 1}}',
    "NaN": b'{"query": "{ __typename }", "variables": {"x": NaN}}',
    "no operation of that name": b'{"query": "{ __typename }", "operationName": "Other"}',
    "no query": b'{"variables": {}}',
}


def raw_json(value: Any) -> bytes:
    """JSON as a client that escapes everything outside ASCII sends it (lone surrogates too)."""
    return json.dumps(value).encode()


async def post_raw(
    http: httpx.AsyncClient, body: bytes, token: str | None = None, **headers: str
) -> httpx.Response:
    headers = {"Content-Type": "application/json", **headers}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return await http.post("/graphql", content=body, headers=headers)


def refusal_codes(response: httpx.Response, status: int = 400) -> list[str]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert "data" not in body, body
    return [error["extensions"]["code"] for error in body["errors"]]


def test_an_operation_is_one_object_of_the_right_shape() -> None:
    operation = check_operation(
        {"query": TYPENAME, "operationName": None, "variables": {"a": [{"b": "c"}]}}, 100
    )
    assert operation.query == TYPENAME
    assert operation.variables == {"a": [{"b": "c"}]}
    for refused in ([], "x", None, {"query": 1}, {"operationName": {}}, {"variables": []}):
        with pytest.raises(Refused) as caught:
            check_operation(refused, 100)
        assert (caught.value.code, caught.value.status) == ("BAD_REQUEST", 400)
    # NUL escaped in a string literal of the document, not only in a variable
    for query in ('{ a(b: "\\u0000") }', '{ a(b: "\\u{0}") }', '{ a(b: ["\\u0000"]) }'):
        with pytest.raises(Refused) as caught:
            check_operation({"query": query}, 100)
        assert (caught.value.code, caught.value.status) == ("BAD_USER_INPUT", 200)
    # a `\u` that is no NUL, or sits in a block string, which keeps it as written
    check_operation({"query": '{ a(b: "\\u3042", c: """\\u0000""") }'}, 100)


def test_text_refused_is_nul_and_lone_surrogates_only() -> None:
    for text in UNSTORABLE_STRINGS:
        with pytest.raises(Refused):
            check_text(text)
    for text in (
        *CONTROL_STRINGS,
        "😀",
        "\ud83d\ude00".encode("utf-16", "surrogatepass").decode("utf-16"),
    ):
        check_text(text)


async def test_malformed_bodies_are_json_400_with_a_code(
    http: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    with no_error_logged(caplog):
        assert (await post_raw(http, raw_json({"query": TYPENAME}))).status_code == 200
        for name, body in MALFORMED_BODIES.items():
            response = await post_raw(http, body)
            assert refusal_codes(response) == ["BAD_REQUEST"], name
            assert response.json()["errors"][0]["message"], name
        # Refusals that strawberry words say what they refused beside the Japanese message.
        response = await post_raw(http, b"x", **{"Content-Type": "text/plain"}, Authorization="x")
        assert refusal_codes(response) == ["BAD_REQUEST"]
        assert "Unsupported content type" in response.json()["errors"][0]["extensions"]["reason"]


async def test_malformed_query_strings_are_json_400_with_a_code(
    http: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    with no_error_logged(caplog):
        for params in (
            {"query": TYPENAME, "variables": '{"x": "\\ud800"}'},
            {"query": TYPENAME, "variables": "[" * 2000},
            {"query": TYPENAME, "variables": "[1]"},
            {"query": TYPENAME, "extensions": "{"},
            {"query": TYPENAME, "operationName": "Other"},
        ):
            response = await http.get("/graphql", params=params)
            assert refusal_codes(response) == ["BAD_REQUEST"], params
        response = await http.get("/graphql", params={"query": '{ a(b: "x\u0000") }'})
        assert refusal_codes(response, 200) == ["BAD_USER_INPUT"]


async def test_malformed_multipart_operations_are_json_400_with_a_code(
    http: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    with no_error_logged(caplog):
        for operations, files_map in (
            (b'{"query": "{ __typename }", "variables": {"x": "\\ud800"}}', b"{}"),
            (b'"x"', b"{}"),
            (b"[]", b"{}"),
            (b"{", b"{}"),
            (b'{"query": "{ __typename }"}', b"[1]"),
            (b'{"query": "{ __typename }"}', b'{"0": ["variables.nothing"]}'),
        ):
            response = await http.post(
                "/graphql",
                data={"operations": operations.decode("utf-8", "surrogatepass")},
                files={"map": (None, files_map), "0": ("a.png", b"x", "image/png")},
                headers={"Apollo-Require-Preflight": "true"},
            )
            assert response.status_code == 400, (operations, response.text)
            assert response.headers["content-type"] == "application/json"
            assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


async def test_unstorable_text_is_refused_and_nothing_is_stored(
    server: Server, http: httpx.AsyncClient, new_client: Any, caplog: pytest.LogCaptureFixture
) -> None:
    staff = await new_staff(server, new_client())
    employer = await new_employer_of(server, staff, new_client())
    active = await flows.active_posting(employer, staff)
    posting = await Posting.get(posting_number=active["postingNumber"])
    seeker = await new_seeker(server, new_client())
    application = await apply(server, seeker.user, posting)
    target = {"applicationId": to_base64("Application", application.id)}

    with no_error_logged(caplog):
        for text in UNSTORABLE_STRINGS:
            body = raw_json({"query": SEND, "variables": {"input": {"body": text, **target}}})
            response = await post_raw(http, body, employer.token)
            nul = "\x00" in text
            expected = ["BAD_USER_INPUT"] if nul else ["BAD_REQUEST"]
            assert refusal_codes(response, 200 if nul else 400) == expected, repr(text)

            body = raw_json({"query": SEARCH, "variables": {"k": text}})
            response = await post_raw(http, body, employer.token)
            assert refusal_codes(response, 200 if nul else 400) == expected, repr(text)

            content = flows.posting_content(jobTitle=f"介護{text}職員")
            document = flows.posting_mutation_document("postingCreate")
            body = raw_json({"query": document, "variables": {"input": {"content": content}}})
            response = await post_raw(http, body, employer.token)
            assert refusal_codes(response, 200 if nul else 400) == expected, repr(text)
        # NUL written as an escape in the document itself
        literal = SEND.replace("$input", '{body: "a\\u0000b", applicationId: $id}', 1)
        literal = literal.replace("($input: MessageSendInput!)", "($id: ID)")
        response = await post_raw(
            http,
            raw_json({"query": literal, "variables": {"id": target["applicationId"]}}),
            employer.token,
        )
        assert refusal_codes(response, 200) == ["BAD_USER_INPUT"]
        # Other control characters are the body's own rules' to judge: plain text only.
        for text in ("a\u0001b", "\u001b[31m", "a\u007fb"):
            body = raw_json({"query": SEND, "variables": {"input": {"body": text, **target}}})
            response = await post_raw(http, body, employer.token)
            assert response.status_code == 200, response.text
            errors = response.json()["data"]["messageSend"]["errors"]
            assert [(e["field"], e["code"]) for e in errors] == [("body", "INVALID_FORMAT")]

    assert await Message.all().count() == 0
    assert await Posting.all().count() == 1


@pytest.mark.slow
async def test_production_answers_malformed_bodies_with_a_code(tmp_path: Path) -> None:
    env = service_env(
        tmp_path / "var",
        APP_ENV="production",
        BCRYPT_ROUNDS="12",
        # Never used: nothing here sends mail.
        MAIL_URL=f"smtp://127.0.0.1:{free_port()}",
    )
    run_app_ok(env, "migrate")
    process = UvicornProcess(env, tmp_path / "uvicorn.log")
    await asyncio.to_thread(process.__enter__)
    try:
        async with httpx.AsyncClient(base_url=process.url, timeout=30) as http:
            for name, body in MALFORMED_BODIES.items():
                response = await post_raw(http, body)
                assert refusal_codes(response) == ["BAD_REQUEST"], name
            response = await http.get("/graphql", params={"query": '{ a(b: "\u0000") }'})
            assert refusal_codes(response, 200) == ["BAD_USER_INPUT"]
    finally:
        await asyncio.to_thread(process.stop)
    assert "Traceback" not in process.log
    assert "Exception in ASGI application" not in process.log


WS_REFUSALS = {
    "NUL in a variable": ({"query": SEARCH, "variables": {"k": "a\x00b"}}, "BAD_USER_INPUT"),
    "NUL in the document": (
        {"query": '{ postingSearch(keyword: "a\\u0000") { edges { cursor } } }'},
        "BAD_USER_INPUT",
    ),
    "operationName an object": ({"query": TYPENAME, "operationName": {"a": 1}}, "BAD_REQUEST"),
    "variables a list": ({"query": TYPENAME, "variables": [1]}, "BAD_REQUEST"),
    "nested past the limit": (
        {"query": TYPENAME, "variables": {"a": json.loads("[" * MAX_DEPTH + "]" * MAX_DEPTH)}},
        "BAD_REQUEST",
    ),
}


@pytest.mark.parametrize("case", WS_REFUSALS)
async def test_an_operation_over_a_websocket_is_checked_as_over_http(
    server: Server, new_client: Any, caplog: pytest.LogCaptureFixture, case: str
) -> None:
    """The operation is refused with an `error` message; the socket stays open for the next."""
    payload, code = WS_REFUSALS[case]
    staff = await new_staff(server, new_client())
    assert staff.token is not None
    with no_error_logged(caplog):
        await _refused_over_a_websocket(server, staff.token, payload, code)


async def _refused_over_a_websocket(
    server: Server, token: str, payload: dict[str, Any], code: str
) -> None:
    async with GraphQLWebSocket.connected(server.url, token) as ws:
        await ws.send({"id": "bad", "type": "subscribe", "payload": payload})
        refused = await ws.receive()
        assert (refused["id"], refused["type"]) == ("bad", "error"), refused
        assert [error["extensions"]["code"] for error in refused["payload"]] == [code]

        fine = await ws.subscribe(TYPENAME)
        assert await ws.next(fine) == {"__typename": "Query"}
