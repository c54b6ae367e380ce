"""One process of dashboards for the fan-out and memory benchmarks (`bench.fanout`,
`bench.memory`): `python -m bench.fanout_client`, driven over its stdin and stdout.

Each dashboard is one graphql-transport-ws WebSocket, authenticated with a Bearer token in
`connection_init`, with the dashboard's two subscriptions (`messageReceived`,
`applicationStatusChanged`) started from a cursor as the dashboard starts them. The frames are
only stamped and kept while the benchmark runs; they are decoded when it is over, so reading
costs the client as little as possible.

Every line in and out is one JSON value:

- in: the spec, `{"dashboards": [[index, url, token], …], "after": cursor, "documents":
  {field: document}, "compression": bool}`; out: `{"ready": n, "failed": [[index, why], …],
  "seconds": s}` once every socket is open and subscribed (or failed);
- in: `"count"`; out: `{"frames": n, "closed": n}`;
- in: `"stop"`; out: `{"arrivals": [[index, key, received, server_time], …], "errors": […],
  "closed": n}`, then the process ends.

`received` is `time.time()` when the frame was read: the wall clock is the one clock that the
driver, every client process and the server's `createdAt`/`at` share.
"""

from __future__ import annotations

import asyncio
import sys
import time
from typing import Any

import orjson
import uvloop
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

PROTOCOL = Subprotocol("graphql-transport-ws")
OPEN_BATCH = 100
"""Sockets opened at once by one process: the server's accept backlog is finite."""


class Dashboards:
    """The open sockets of this process and what they read."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        self.frames: list[tuple[int, float, str]] = []
        self.errors: list[str] = []
        self.closed = 0
        self.connections: list[ClientConnection] = []
        self.readers: list[asyncio.Task[None]] = []

    async def open_all(self) -> dict[str, Any]:
        started = time.monotonic()
        failed: list[tuple[int, str]] = []
        dashboards = self.spec["dashboards"]
        for start in range(0, len(dashboards), OPEN_BATCH):
            batch = dashboards[start : start + OPEN_BATCH]
            opened = await asyncio.gather(
                *(self._open(index, url, token) for index, url, token in batch),
                return_exceptions=True,
            )
            for (index, _, _), outcome in zip(batch, opened, strict=True):
                if isinstance(outcome, BaseException):
                    failed.append((index, repr(outcome)))
        return {
            "ready": len(dashboards) - len(failed),
            "failed": failed,
            "seconds": round(time.monotonic() - started, 2),
        }

    async def _open(self, index: int, url: str, token: str) -> None:
        connection = await connect(
            url.replace("http://", "ws://", 1) + "/graphql",
            subprotocols=[PROTOCOL],
            # A browser offers permessage-deflate and the server accepts it by default.
            compression="deflate" if self.spec["compression"] else None,
            open_timeout=120,
            ping_interval=None,
            max_queue=None,
        )
        init = {"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}}
        await connection.send(orjson.dumps(init).decode())
        ack = orjson.loads(await connection.recv())
        if ack.get("type") != "connection_ack":
            await connection.close()
            raise RuntimeError(f"no connection_ack: {ack}")
        for number, document in enumerate(self.spec["documents"].values(), start=1):
            payload = {"query": document, "variables": {"after": self.spec["after"]}}
            message = {"id": str(number), "type": "subscribe", "payload": payload}
            await connection.send(orjson.dumps(message).decode())
        self.connections.append(connection)
        self.readers.append(asyncio.create_task(self._read(index, connection)))

    async def _read(self, index: int, connection: ClientConnection) -> None:
        try:
            async for frame in connection:
                self.frames.append((index, time.time(), str(frame)))
        except ConnectionClosed:
            pass
        self.closed += 1
        if connection.close_code is not None and connection.close_code != 1000:
            self.errors.append(f"dashboard {index} closed: {connection.close_code}")

    async def close_all(self) -> None:
        for reader in self.readers:
            reader.cancel()
        await asyncio.gather(*self.readers, return_exceptions=True)
        await asyncio.gather(*(c.close() for c in self.connections), return_exceptions=True)

    def arrivals(self) -> list[tuple[int, str, float, str | None]]:
        """Each `next` frame as (dashboard, event key, time read, the event's server time)."""
        found = []
        for index, received, text in self.frames:
            frame = orjson.loads(text)
            key, server_time = _event(frame)
            if key is None:
                self.errors.append(f"dashboard {index}: {text[:300]}")
            else:
                found.append((index, key, received, server_time))
        return found


def _event(frame: dict[str, Any]) -> tuple[str | None, str | None]:
    """The key the driver gave the event (`m:<body>` or `s:<application>:<status>`) and its
    time on the server (`createdAt`, `at`)."""
    if frame.get("type") != "next" or frame["payload"].get("errors"):
        return None, None
    data = frame["payload"]["data"]
    if "messageReceived" in data:
        message = data["messageReceived"]["message"]
        return f"m:{message['body']}", message["createdAt"]
    change = data["applicationStatusChanged"]
    return f"s:{change['application']['id']}:{change['toStatus']}", change["at"]


def _say(value: Any) -> None:
    sys.stdout.write(orjson.dumps(value).decode() + "\n")
    sys.stdout.flush()


async def _line() -> Any:
    line = await asyncio.to_thread(sys.stdin.readline)
    if not line:
        raise EOFError("the driver went away")
    return orjson.loads(line)


async def serve() -> None:
    dashboards = Dashboards(await _line())
    _say(await dashboards.open_all())
    try:
        while True:
            command = await _line()
            if command == "count":
                _say({"frames": len(dashboards.frames), "closed": dashboards.closed})
            elif command == "stop":
                break
    finally:
        await dashboards.close_all()
    arrivals = dashboards.arrivals()
    _say({"arrivals": arrivals, "errors": dashboards.errors[:50], "closed": dashboards.closed})


if __name__ == "__main__":
    uvloop.run(serve())
