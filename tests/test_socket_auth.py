"""WebSocket authentication at `connection_init` forgives the usual shapes (issue 17): the key
`authorization` in any case, under `headers` too, `authToken` and `token` with or without
`Bearer `, else the session cookie; anything else that names a token, and a token that opens
no session, close the socket with 4403 and a reason (at most 123 bytes) naming the shapes
accepted. Against the real server, over a real WebSocket."""

from __future__ import annotations

from typing import Any

import pytest

from app.main import (
    BAD_TOKEN_SHAPE_REASON,
    INVALID_TOKEN_REASON,
    NO_TOKEN_REASON,
    SocketRefused,
)
from tests.conftest import GraphQLClient, Server
from tests.ws_client import GraphQLWebSocket

T = "<token>"
"""Stands for the staff login's session token in the payloads below."""

VIEWER = "query { viewer { email } }"


def with_token(payload: Any, token: str) -> Any:
    if isinstance(payload, dict):
        return {key: with_token(value, token) for key, value in payload.items()}
    if isinstance(payload, str):
        return payload.replace(T, token)
    return payload


async def viewer_email(ws: GraphQLWebSocket) -> str:
    """The email of the socket's viewer, asked over the socket."""
    operation = await ws.subscribe(VIEWER)
    email: str = (await ws.next(operation))["viewer"]["email"]
    return email


async def refusal(server: Server, payload: object, cookie: str | None = None) -> tuple[int, str]:
    async with GraphQLWebSocket.open(server.url, cookie=cookie) as ws:
        await ws.send({"type": "connection_init", "payload": payload})
        closed = await ws.closed()
    assert closed.code is not None
    return closed.code, closed.reason


@pytest.mark.parametrize(
    "payload",
    [
        {"authorization": f"Bearer {T}"},
        {"Authorization": f"Bearer {T}"},
        {"AUTHORIZATION": f"bearer {T}"},
        {"authorization": f"  BEARER   {T} "},
        {"headers": {"Authorization": f"Bearer {T}"}},
        {"Headers": {"authorization": f"Bearer {T}", "X-Other": "1"}},
        {"authToken": T},
        {"authToken": f"Bearer {T}"},
        {"AuthToken": T},
        {"token": T},
        {"Token": f"Bearer {T}"},
        # GraphiQL sends its headers editor as it is.
        {"Authorization": f"Bearer {T}", "Content-Type": "application/json"},
        # The same token twice, and an empty or null key beside it (as clients send when
        # they have no token of that kind).
        {"authorization": f"Bearer {T}", "token": T},
        {"authorization": "", "authToken": T},
        {"authorization": None, "token": T},
    ],
)
async def test_the_usual_shapes_authenticate(
    server: Server, staff: GraphQLClient, payload: dict[str, Any]
) -> None:
    assert staff.token
    async with GraphQLWebSocket.open(server.url) as ws:
        await ws.init(with_token(payload, staff.token))
        assert await viewer_email(ws) == "staff13010@example.jp"


async def test_without_a_token_in_the_payload_the_cookie_authenticates(
    server: Server, staff: GraphQLClient
) -> None:
    for payload in ({}, {"authorization": None}, {"authToken": ""}, {"other": "value"}):
        async with GraphQLWebSocket.open(server.url, cookie=f"hw_session={staff.token}") as ws:
            await ws.init(payload)
            assert await viewer_email(ws) == "staff13010@example.jp"


@pytest.mark.parametrize(
    "payload",
    [
        {"authorization": T},  # the header needs its scheme
        {"Authorization": f"Basic {T}"},
        {"authorization": "Bearer"},
        {"authorization": "Bearer "},
        {"authorization": f"Bearer {T} more"},
        {"authorization": 12345},
        {"authorization": [f"Bearer {T}"]},
        {"headers": f"Bearer {T}"},
        {"headers": [{"Authorization": f"Bearer {T}"}]},
        {"headers": {"Authorization": {"Bearer": T}}},
        {"headers": {"authorization": T}},
        {"authToken": {"value": T}},
        {"token": True},
        {"token": f"{T} {T}"},
        # Two different tokens: which one was meant is not guessed.
        {"authorization": f"Bearer {T}", "token": "another-token"},
        {"Authorization": f"Bearer {T}", "headers": {"Authorization": "Bearer another-token"}},
    ],
)
async def test_other_shapes_close_with_4403_and_the_shapes_accepted(
    server: Server, staff: GraphQLClient, payload: dict[str, Any]
) -> None:
    assert staff.token
    code, reason = await refusal(server, with_token(payload, staff.token))
    assert (code, reason) == (4403, BAD_TOKEN_SHAPE_REASON)
    # The cookie does not stand in for a token that was meant but not understood.
    cookie = f"hw_session={staff.token}"
    assert await refusal(server, with_token(payload, staff.token), cookie) == (4403, reason)


@pytest.mark.parametrize(
    "payload",
    [
        {"authorization": "Bearer not-a-session"},
        {"headers": {"Authorization": "Bearer not-a-session"}},
        {"authToken": "not-a-session"},
        {"token": "Bearer not-a-session"},
    ],
)
async def test_a_token_that_opens_no_session_closes_with_4403(
    server: Server, staff: GraphQLClient, payload: dict[str, Any]
) -> None:
    assert await refusal(server, payload) == (4403, INVALID_TOKEN_REASON)
    # Even beside a good session cookie: the token given is the one meant.
    assert await refusal(server, payload, f"hw_session={staff.token}") == (
        4403,
        INVALID_TOKEN_REASON,
    )


async def test_an_ended_session_closes_with_4403(server: Server, staff: GraphQLClient) -> None:
    token = staff.token
    assert (await staff.execute("mutation { logout { errors { code } } }"))["logout"][
        "errors"
    ] == []
    assert await refusal(server, {"Authorization": f"Bearer {token}"}) == (
        4403,
        INVALID_TOKEN_REASON,
    )
    assert await refusal(server, {}, f"hw_session={token}") == (4403, INVALID_TOKEN_REASON)


async def test_nothing_at_all_closes_with_4403(server: Server) -> None:
    for payload in ({}, {"authorization": None}, {"token": ""}, {"other": "value"}):
        assert await refusal(server, payload) == (4403, NO_TOKEN_REASON)


def test_every_reason_names_the_shapes_within_a_close_frame() -> None:
    for reason in (NO_TOKEN_REASON, BAD_TOKEN_SHAPE_REASON, INVALID_TOKEN_REASON):
        assert reason.startswith("Forbidden: ")
        assert 'authorization: "Bearer TOKEN"' in reason
        assert "headers" in reason
        assert "authToken" in reason
        assert len(reason.encode()) <= 123
    # The frame's limit, checked where a reason is made.
    SocketRefused("x" * 123)
    with pytest.raises(AssertionError):
        SocketRefused("x" * 124)
