"""Graceful shutdown of real uvicorn processes: SIGTERM closes every open subscription's
WebSocket with 1012 (Service Restart), so clients reconnect elsewhere with their cursor, and
the process ends instead of waiting for WebSockets that would never close by themselves."""

from __future__ import annotations

import asyncio
import datetime as dt
import signal
import subprocess
from pathlib import Path

import pytest

from app.models import Portal, Session, User
from app.resolvers.accounts import SESSION_PURPOSE
from app.security import keyed_hash, new_token
from tests.conftest import Server
from tests.processes import (
    TEST_SECRET_KEY,
    UvicornProcess,
    postgres_url_from_environment,
    service_env,
)
from tests.ws_client import GraphQLWebSocket

SERVICE_RESTART = 1012
"""WebSocket close code 1012 "Service Restart" (RFC 6455 registry): reconnect, soon."""

WATCH = "subscription { messageReceived { cursor } }"

# Far longer than a shutdown takes; were the WebSockets left open, uvicorn would wait this long.
GRACEFUL_SHUTDOWN_SECONDS = "60"


async def _session(email: str) -> str:
    # The child processes run on the real clock, the test server on its movable one.
    now = dt.datetime.now(dt.UTC)
    user = await User.create(
        portal=Portal.SEEKER, email=email, password_hash="not-used", created_at=now
    )
    token = new_token()
    await Session.create(
        user=user,
        token_hash=keyed_hash(TEST_SECRET_KEY, SESSION_PURPOSE, token),
        created_at=now,
        expires_at=now + dt.timedelta(hours=1),
    )
    return token


def _wait(process: subprocess.Popen[bytes]) -> int:
    return process.wait(timeout=30)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("workers", "exit_code"),
    [
        # One process: uvicorn re-raises the SIGTERM it handled, once it has shut down.
        ("1", -signal.SIGTERM),
        # `--workers` (the Procfile): the supervisor stops its workers and exits normally.
        ("2", 0),
    ],
)
async def test_sigterm_closes_subscriptions_with_service_restart(
    server: Server, tmp_path: Path, workers: str, exit_code: int
) -> None:
    database = postgres_url_from_environment() or server.settings.database_url
    tokens = [await _session(f"seeker{i}@shutdown.example.jp") for i in range(2)]
    env = service_env(
        tmp_path / "var",
        DATABASE_URL=database,
        EXPIRY_INTERVAL_SECONDS="0",
        UVICORN_WORKERS=workers,
        UVICORN_TIMEOUT_GRACEFUL_SHUTDOWN=GRACEFUL_SHUTDOWN_SECONDS,
    )
    service = UvicornProcess(env, tmp_path / "uvicorn.log")
    await asyncio.to_thread(service.__enter__)
    try:
        assert service.process is not None
        async with (
            GraphQLWebSocket.connected(service.url, tokens[0]) as first,
            GraphQLWebSocket.connected(service.url, tokens[1]) as second,
        ):
            for ws in (first, second):
                await ws.subscribe(WATCH)
                await ws.nothing_within(0.2)

            service.process.send_signal(signal.SIGTERM)

            for ws in (first, second):
                closed = await ws.closed(within=15)
                assert closed.code == SERVICE_RESTART, (closed, service.log)
        assert await asyncio.to_thread(_wait, service.process) == exit_code, service.log
    finally:
        await asyncio.to_thread(service.stop)
    assert "Application shutdown complete." in service.log
    assert "timeout graceful shutdown exceeded" not in service.log
    assert "Exception in ASGI application" not in service.log
