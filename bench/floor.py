"""The least an idle dashboard can cost on this stack: two servers for `bench.memory --server`
that hold the same sockets as the service (`bench.fanout_client`: one graphql-transport-ws
WebSocket per dashboard, `connection_init`, two `subscribe`), under the same uvicorn flags,
and do nothing else.

- `strawberry`: Strawberry's own `GraphQL` app on Starlette with a schema of two
  subscriptions whose generators wait for an event that never comes, and Strawberry's
  `ParserCache` (without it every operation keeps its own parsed document, about 14 KB a
  dashboard more; the service caches them too). No session, other extension, database or
  broker: what Strawberry's graphql-transport-ws handler (a task per operation, its result
  stream, graphql-core's subscription) and uvicorn hold per dashboard.
- `starlette`: a Starlette WebSocket endpoint that speaks the protocol by hand (the ack,
  pings, `complete`) and keeps each `subscribe` as a dict entry: no task per operation. What
  uvicorn, websockets and Starlette hold per socket, the floor under any GraphQL server here.

Both ignore the token and accept any subscription document; the clients send
`FLOOR_DOCUMENTS`, which the Strawberry floor's schema answers.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator

import orjson
import strawberry
from starlette.applications import Starlette
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect
from strawberry.asgi import GraphQL
from strawberry.extensions import ParserCache
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL

FLOOR_DOCUMENTS = {
    "messageReceived": "subscription FloorMessages($after: String) "
    "{ messageReceived(after: $after) { cursor } }",
    "applicationStatusChanged": "subscription FloorChanges($after: String) "
    "{ applicationStatusChanged(after: $after) { cursor } }",
}
"""The dashboard's two subscriptions as the floor's schema has them (the same variable)."""

_never = asyncio.Event()
"""Set by nobody: the floor's subscriptions stay idle, as a dashboard's do between events."""


@strawberry.type
class FloorEvent:
    cursor: str


@strawberry.type
class FloorQuery:
    @strawberry.field
    def ok(self) -> bool:
        return True


@strawberry.type
class FloorSubscription:
    @strawberry.subscription
    async def message_received(self, after: str | None = None) -> AsyncGenerator[FloorEvent, None]:
        await _never.wait()
        yield FloorEvent(cursor=after or "")

    @strawberry.subscription
    async def application_status_changed(
        self, after: str | None = None
    ) -> AsyncGenerator[FloorEvent, None]:
        await _never.wait()
        yield FloorEvent(cursor=after or "")


def strawberry_floor() -> Starlette:
    schema = strawberry.Schema(
        query=FloorQuery, subscription=FloorSubscription, extensions=[ParserCache(maxsize=16)]
    )
    graphql = GraphQL[None, None](
        schema, graphql_ide=None, subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,)
    )
    return Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
        ]
    )


async def _by_hand(websocket: WebSocket) -> None:
    """graphql-transport-ws without execution: ack the init, answer pings, keep each
    subscription as an entry until the client completes it or goes."""
    await websocket.accept(subprotocol=GRAPHQL_TRANSPORT_WS_PROTOCOL)
    operations: dict[str, object] = {}
    acknowledged = False
    try:
        while True:
            message = orjson.loads(await websocket.receive_text())
            kind = message.get("type")
            if kind == "connection_init" and not acknowledged:
                acknowledged = True
                await websocket.send_text('{"type":"connection_ack"}')
            elif kind == "ping":
                await websocket.send_text('{"type":"pong"}')
            elif kind == "subscribe" and acknowledged:
                operations[message["id"]] = message["payload"]
            elif kind == "complete":
                operations.pop(message.get("id"), None)
            else:
                await websocket.close(4400, "Unexpected message")
                return
    except WebSocketDisconnect:
        return


def starlette_floor() -> Starlette:
    return Starlette(routes=[WebSocketRoute("/graphql", _by_hand)])


FLOORS = {"strawberry": strawberry_floor, "starlette": starlette_floor}
