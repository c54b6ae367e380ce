"""A small graphql-transport-ws client over a real WebSocket (the `websockets` library)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Origin, Subprotocol

PROTOCOL = Subprotocol("graphql-transport-ws")


class Closed(Exception):
    """The server closed the connection, with this code and reason."""

    def __init__(self, code: int | None, reason: str) -> None:
        super().__init__(f"closed with {code}: {reason}")
        self.code = code
        self.reason = reason


def ws_url(http_url: str) -> str:
    return http_url.replace("http://", "ws://", 1) + "/graphql"


class GraphQLWebSocket:
    def __init__(self, connection: ClientConnection) -> None:
        self.connection = connection
        self._ids = 0

    @classmethod
    @asynccontextmanager
    async def open(
        cls, http_url: str, *, origin: str | None = None, cookie: str | None = None
    ) -> AsyncIterator[GraphQLWebSocket]:
        """Open the WebSocket (no `connection_init` yet); closed when the block ends."""
        headers = {"Cookie": cookie} if cookie else None
        async with connect(
            ws_url(http_url),
            subprotocols=[PROTOCOL],
            origin=Origin(origin) if origin else None,
            additional_headers=headers,
            proxy=None,
            compression=None,
            open_timeout=10,
            close_timeout=5,
        ) as connection:
            assert connection.subprotocol == PROTOCOL
            yield cls(connection)

    @classmethod
    @asynccontextmanager
    async def connected(
        cls, http_url: str, token: str, **options: Any
    ) -> AsyncIterator[GraphQLWebSocket]:
        """Opened and acknowledged, authenticated with `token` in `connection_init`."""
        async with cls.open(http_url, **options) as client:
            await client.init({"authorization": f"Bearer {token}"})
            yield client

    async def send(self, message: dict[str, Any]) -> None:
        await self.connection.send(json.dumps(message))

    async def receive(self, within: float = 10) -> dict[str, Any]:
        """The next message; `Closed` when the server closed the connection instead."""
        try:
            async with asyncio.timeout(within):
                frame = await self.connection.recv()
        except ConnectionClosed as exc:
            received = exc.rcvd
            raise Closed(
                received.code if received else None, received.reason if received else ""
            ) from exc
        assert isinstance(frame, str), "graphql-transport-ws messages are text frames"
        message: dict[str, Any] = json.loads(frame)
        return message

    async def init(self, payload: dict[str, Any] | None = None) -> dict[str, Any]:
        await self.send({"type": "connection_init", "payload": payload or {}})
        ack = await self.receive()
        assert ack["type"] == "connection_ack", ack
        return ack

    async def subscribe(self, query: str, variables: dict[str, Any] | None = None) -> str:
        self._ids += 1
        operation_id = str(self._ids)
        payload = {"query": query, "variables": variables or {}}
        await self.send({"id": operation_id, "type": "subscribe", "payload": payload})
        return operation_id

    async def next(self, operation_id: str, within: float = 10) -> dict[str, Any]:
        """The data of the next result of the operation; fails on errors or other messages."""
        message = await self.receive(within)
        assert message.get("id") == operation_id, message
        assert message["type"] == "next", message
        assert "errors" not in message["payload"], message["payload"]
        data: dict[str, Any] = message["payload"]["data"]
        return data

    async def nothing_within(self, seconds: float) -> None:
        """Assert that no message arrives for a while."""
        try:
            async with asyncio.timeout(seconds):
                message = await self.receive(within=seconds + 1)
        except TimeoutError:
            return
        raise AssertionError(f"unexpected message: {message}")

    async def closed(self, within: float = 10) -> Closed:
        """Wait until the server closes the connection; its code and reason."""
        while True:
            try:
                message = await self.receive(within)
            except Closed as closed:
                return closed
            assert message["type"] in ("next", "ping", "pong"), message
