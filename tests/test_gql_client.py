"""A third-party Python client, `gql`, against the real server: the employer's account opening
over its httpx transport and a `messageReceived` subscription over its WebSockets transport
(graphql-transport-ws), every document validated client-side against `schema.graphql`.

Only the employer goes through gql; staff at the counter and the seeker use the test helpers.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import aclosing, asynccontextmanager
from typing import Any

import pytest
from gql import Client, GraphQLRequest
from gql.client import AsyncClientSession
from gql.transport.httpx import HTTPXAsyncTransport
from gql.transport.websockets import WebsocketsTransport
from graphql import GraphQLError, GraphQLSchema, build_ast_schema, parse

from app.models import Event
from app.schema.subscriptions import event_cursor
from tests import flows
from tests import seeker_flows as sf
from tests.conftest import Counter, Server, new_establishment, new_seeker, new_staff
from tests.processes import REPO
from tests.ws_client import ws_url

SCHEMA: GraphQLSchema = build_ast_schema(parse((REPO / "schema.graphql").read_text("utf-8")))
"""The checked-in public API (tests/test_schema.py keeps it equal to the server's)."""

EMPLOYER_EMAIL = "hr@gql.example.jp"

TERMS = "query Terms { termsDocuments { kind version } }"

VIEWER = """query Viewer {
  viewer { portal email establishment { establishmentNumber name } }
}"""

MESSAGE_SEND = """mutation MessageSend($input: MessageSendInput!) {
  messageSend(input: $input) { message { id body sender createdAt } errors { field code message } }
}"""

MESSAGE_RECEIVED = """subscription MessageReceived($after: String) {
  messageReceived(after: $after) { cursor message { id body sender createdAt } }
}"""


@asynccontextmanager
async def http_session(
    server: Server, token: str | None = None
) -> AsyncIterator[AsyncClientSession]:
    """A gql session over HTTP (httpx), with the bearer token when given."""
    headers = {"Authorization": f"Bearer {token}"} if token else None
    transport = HTTPXAsyncTransport(url=f"{server.url}/graphql", headers=headers, timeout=30)
    async with Client(schema=SCHEMA, transport=transport) as session:
        assert isinstance(session, AsyncClientSession)
        yield session


@asynccontextmanager
async def websocket_session(server: Server, token: str) -> AsyncIterator[AsyncClientSession]:
    """A gql session over one WebSocket, authenticated in `connection_init`."""
    transport = WebsocketsTransport(
        url=ws_url(server.url),
        init_payload={"authorization": f"Bearer {token}"},
        # The service speaks only graphql-transport-ws; gql would offer Apollo's too.
        subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL],
        # Loopback: no proxy from the environment, no per-message deflate.
        connect_args={"proxy": None, "compression": None},
    )
    async with Client(schema=SCHEMA, transport=transport) as session:
        assert isinstance(session, AsyncClientSession)
        yield session


async def run(
    session: AsyncClientSession, document: str, variables: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The data of an operation; gql raises on top-level errors."""
    data: dict[str, Any] = await session.execute(
        GraphQLRequest(document, variable_values=variables)
    )
    return data


async def payload_of(
    session: AsyncClientSession, document: str, field: str, input: dict[str, Any]
) -> dict[str, Any]:
    """The payload of a mutation that must succeed (no user errors)."""
    data = await run(session, document, {"input": input})
    payload: dict[str, Any] = data[field]
    assert payload["errors"] == [], payload
    return payload


async def open_account_with_gql(server: Server, counter: Counter) -> str:
    """The employer's whole account opening through gql; the session token."""
    async with http_session(server) as session:
        terms = {d["kind"]: d["version"] for d in (await run(session, TERMS))["termsDocuments"]}
        await payload_of(
            session,
            flows.REGISTRATION_REQUEST,
            "employerRegistrationRequest",
            {
                "email": EMPLOYER_EMAIL,
                "emailConfirmation": EMPLOYER_EMAIL,
                "establishmentNumber": counter.establishment_number,
                "phoneNumber": counter.phone_number,
                "accountCreationCode": counter.code,
                "agreedPrivacyPolicyVersion": terms["PRIVACY_POLICY"],
                "agreedTermsVersion": terms["TERMS_OF_USE"],
            },
        )
        completed = await payload_of(
            session,
            flows.REGISTRATION_COMPLETE,
            "employerRegistrationComplete",
            {
                "email": EMPLOYER_EMAIL,
                "authKey": await flows.auth_key_from_mail(server, EMPLOYER_EMAIL),
                "password": flows.EMPLOYER_PASSWORD,
                "passwordConfirmation": flows.EMPLOYER_PASSWORD,
            },
        )
        assert completed["establishment"]["id"] == counter.establishment_id

        login = await payload_of(
            session,
            flows.LOGIN,
            "login",
            {"portal": "EMPLOYER", "email": EMPLOYER_EMAIL, "password": flows.EMPLOYER_PASSWORD},
        )
        assert login["session"] is None
        verified = await payload_of(
            session,
            flows.VERIFY_OTP,
            "loginVerifyOtp",
            {
                "challengeId": login["otpChallenge"]["id"],
                "otp": await flows.otp_from_mail(server, EMPLOYER_EMAIL),
            },
        )
    token: str = verified["session"]["token"]
    return token


async def first_result(session: AsyncClientSession, request: GraphQLRequest) -> dict[str, Any]:
    """The first result of a subscription, which is then ended (gql sends `complete`)."""
    async with aclosing(session.subscribe(request)) as results:
        async for data in results:
            result: dict[str, Any] = data
            return result
    raise AssertionError("the subscription ended without a result")


async def latest_cursor() -> str:
    """The cursor of the newest stored event: a subscription from it gets everything stored
    later, whenever the server starts it."""
    latest = await Event.all().order_by("-id").first()
    return event_cursor(latest.id if latest else 0)


async def test_gql_opens_an_account_and_receives_exactly_the_seekers_message(
    server: Server, new_client: Any
) -> None:
    staff = await new_staff(server, new_client())
    counter = await new_establishment(server, staff, number="1301-246810-1")

    token = await open_account_with_gql(server, counter)

    async with http_session(server, token) as employer:
        viewer = (await run(employer, VIEWER))["viewer"]
        assert viewer == {
            "portal": "EMPLOYER",
            "email": EMPLOYER_EMAIL,
            "establishment": {"establishmentNumber": "1301-246810-1", "name": "ハローワークケア"},
        }
        posting = await payload_of(
            employer,
            flows.posting_mutation_document("postingCreate"),
            "postingCreate",
            {"content": flows.posting_content()},
        )
        posting_id = posting["posting"]["id"]
        await payload_of(
            employer,
            flows.posting_mutation_document("postingSubmit"),
            "postingSubmit",
            {"id": posting_id},
        )
        await flows.posting_step(staff, "postingCounterConfirm", {"id": posting_id})
        await flows.posting_step(staff, "postingAccept", {"id": posting_id})

        seeker = await new_seeker(server, new_client(), "taro@gql.example.jp")
        application = await sf.apply(seeker.client, posting_id)
        after = await latest_cursor()

        async with websocket_session(server, token) as ws:
            request = GraphQLRequest(MESSAGE_RECEIVED, variable_values={"after": after})
            receiving = asyncio.create_task(first_result(ws, request))

            # The employer's own message comes first and must not be delivered to it.
            await payload_of(
                employer,
                MESSAGE_SEND,
                "messageSend",
                {"applicationId": application["id"], "body": "ご応募ありがとうございます"},
            )
            sent = await seeker.client.execute(
                MESSAGE_SEND,
                {"input": {"applicationId": application["id"], "body": "面接の日程について"}},
            )
            assert sent["messageSend"]["errors"] == [], sent

            received = await asyncio.wait_for(receiving, timeout=15)

    delivery = received["messageReceived"]
    assert delivery["message"] == sent["messageSend"]["message"]
    assert delivery["message"]["sender"] == "SEEKER"
    assert delivery["cursor"] != after


async def test_gql_refuses_a_document_the_schema_does_not_have_before_sending_it(
    server: Server,
) -> None:
    transport = HTTPXAsyncTransport(url=f"{server.url}/graphql", timeout=30)
    async with Client(schema=SCHEMA, transport=transport) as session:
        with pytest.raises(GraphQLError, match="Cannot query field 'emial' on type 'Viewer'"):
            await session.execute(GraphQLRequest("{ viewer { emial } }"))
        with pytest.raises(GraphQLError, match="to include required field 'email'"):
            await session.execute(
                GraphQLRequest(
                    'mutation { login(input: {portal: EMPLOYER, password: "x"}) '
                    "{ errors { code } } }"
                )
            )
        # Never sent: the transport has seen no response at all.
        assert transport.response_headers is None

        data = await session.execute(GraphQLRequest(TERMS))
        assert {d["kind"] for d in data["termsDocuments"]} == {"PRIVACY_POLICY", "TERMS_OF_USE"}
        assert transport.response_headers is not None
