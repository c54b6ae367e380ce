"""Subscription fan-out: many graphql-transport-ws subscribers of `messageReceived`, one
message sent by the seeker over HTTP, and how long each subscriber waited for it.

The delay of a subscriber is from just before the `messageSend` request leaves to the moment
its `next` frame is read, so it includes the mutation itself and the client's own event loop
(one process reads every socket).
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass

import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Subprotocol

from bench.load import percentile

PROTOCOL = Subprotocol("graphql-transport-ws")
SUBSCRIPTION = (
    "subscription { messageReceived(after: null) { cursor message { body sender createdAt } } }"
)
SEND = """mutation Send($input: MessageSendInput!) {
  messageSend(input: $input) { errors { code message } } }"""


@dataclass(frozen=True)
class FanOut:
    subscribers: int
    events: int
    p50_ms: float
    p99_ms: float
    max_ms: float
    missed: int

    def as_dict(self) -> dict[str, float | int]:
        return {
            "subscribers": self.subscribers,
            "events": self.events,
            "p50_ms": round(self.p50_ms, 2),
            "p99_ms": round(self.p99_ms, 2),
            "max_ms": round(self.max_ms, 2),
            "missed": self.missed,
        }


async def _subscribe(url: str, token: str) -> ClientConnection:
    connection = await connect(
        url.replace("http://", "ws://", 1) + "/graphql",
        subprotocols=[PROTOCOL],
        compression=None,
        open_timeout=60,
        max_queue=None,
    )
    await connection.send(
        json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}})
    )
    ack = json.loads(await connection.recv())
    if ack.get("type") != "connection_ack":
        raise AssertionError(f"no connection_ack: {ack}")
    await connection.send(
        json.dumps({"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIPTION}})
    )
    return connection


async def fan_out(
    server_urls: list[str],
    employer_token: str,
    seeker_token: str,
    thread_id: str,
    *,
    subscribers: int,
    events: int = 5,
    settle_seconds: float = 2.0,
) -> FanOut:
    """`subscribers` WebSockets spread evenly over `server_urls`; the message is always sent
    through the first server."""
    connections: list[ClientConnection] = []
    for start in range(0, subscribers, 100):  # open in batches: the server's backlog is finite
        batch = range(start, min(start + 100, subscribers))
        connections += await asyncio.gather(
            *(_subscribe(server_urls[i % len(server_urls)], employer_token) for i in batch)
        )
    # graphql-transport-ws does not acknowledge a subscribe: give the server time to listen.
    await asyncio.sleep(settle_seconds)
    delays: list[float] = []
    missed = 0
    try:
        async with httpx.AsyncClient(base_url=server_urls[0], timeout=60) as http:
            for n in range(events):
                arrivals: list[float] = []

                async def receive(
                    connection: ClientConnection, arrivals: list[float] = arrivals
                ) -> None:
                    frame = json.loads(await connection.recv())
                    arrivals.append(time.perf_counter())
                    if frame.get("type") != "next":
                        raise AssertionError(f"unexpected frame {frame}")

                waiting = [asyncio.create_task(receive(c)) for c in connections]
                await asyncio.sleep(0)
                started = time.perf_counter()
                response = await http.post(
                    "/graphql",
                    json={
                        "query": SEND,
                        "variables": {"input": {"threadId": thread_id, "body": f"ベンチ{n}"}},
                    },
                    headers={"Authorization": f"Bearer {seeker_token}"},
                )
                body = response.json()
                if body.get("errors") or body["data"]["messageSend"]["errors"]:
                    raise AssertionError(f"messageSend failed: {body}")
                done, pending = await asyncio.wait(waiting, timeout=30)
                for task in pending:
                    task.cancel()
                for task in done:
                    task.result()
                missed += len(pending)
                delays += [arrival - started for arrival in arrivals]
                await asyncio.sleep(0.5)
    finally:
        await asyncio.gather(*(c.close() for c in connections), return_exceptions=True)
    return FanOut(
        subscribers=subscribers,
        events=events,
        p50_ms=percentile(delays, 50) * 1000,
        p99_ms=percentile(delays, 99) * 1000,
        max_ms=max(delays, default=0.0) * 1000,
        missed=missed,
    )
