"""Fixtures: a real database, a real uvicorn server on loopback and a movable clock.

The database is SQLite in a temporary folder, or PostgreSQL when `DATABASE_URL` says so (CI).
One server runs for the whole session in the test event loop, so tests can move its clock.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import inspect
import mailbox
import os
import re
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from email.message import Message
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
import uvicorn
from tortoise import Tortoise, connections
from tortoise.expressions import Q
from tortoise.models import Model

from app import models
from app.clock import MovableClock
from app.db import apply_migrations
from app.main import create_app
from app.models import MailStatus, OutgoingMail
from app.runtime import Runtime
from app.settings import Settings

START = dt.datetime(2026, 11, 25, 1, 0, tzinfo=dt.UTC)  # 10:00 in Tokyo


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "postgres_only: runs only against PostgreSQL")


@pytest.fixture(scope="session")
def var_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("var")


@pytest.fixture(scope="session")
def settings(var_dir: Path) -> Settings:
    env = {
        "APP_ENV": "development",
        "APP_VAR_DIR": str(var_dir),
        "BCRYPT_ROUNDS": "4",
        # Tests run the expiry themselves, at the moments they choose.
        "EXPIRY_INTERVAL_SECONDS": "0",
        # The server sends its mail as soon as the change commits; without a short timer,
        # the outbox tests choose when a retry is made.
        "MAIL_INTERVAL_SECONDS": "3600",
        # Every test client is 127.0.0.1; tests/test_throttle.py runs the limits on.
        "RATE_LIMITS": "off",
        "SECRET_KEY": "test-secret-key-of-sufficient-length-0123456789",
    }
    if os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        env["DATABASE_URL"] = os.environ["DATABASE_URL"]
    return Settings.from_env(env)


async def _reset_postgres(url: str) -> None:
    connection = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
    try:
        await connection.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    finally:
        await connection.close()


@pytest.fixture(scope="session")
def clock() -> MovableClock:
    return MovableClock(START)


@dataclass
class Server:
    url: str
    settings: Settings
    clock: MovableClock
    mail_dir: Path
    rt: Runtime

    async def mail_settled(self, within: float = 5) -> None:
        """Wait until every mail committed so far has been sent, or has failed an attempt and
        is not due again yet (mail leaves after the answer, usually within milliseconds)."""
        deadline = time.monotonic() + within
        now = self.clock.now().astimezone(dt.UTC)
        unsettled = Q(attempts=0) | Q(next_attempt_at__lte=now)
        while await OutgoingMail.filter(unsettled, status=MailStatus.PENDING).exists():
            assert time.monotonic() < deadline, f"mail still waiting after {within} s"
            await asyncio.sleep(0.01)

    async def mails_to(self, address: str) -> list[Message]:
        """Every mail written to `address`, oldest first, once the outbox has settled."""
        await self.mail_settled()
        box = mailbox.Maildir(self.mail_dir, create=True)
        try:
            found = sorted(
                ((key, m) for key, m in box.iteritems() if m["To"] == address),
                key=lambda pair: Path(self.mail_dir, "new", pair[0]).stat().st_mtime_ns,
            )
        finally:
            box.close()
        return [message for _, message in found]

    async def last_mail_to(self, address: str) -> Message:
        found = await self.mails_to(address)
        assert found, f"no mail to {address}"
        return found[-1]


def mail_body(message: Message) -> str:
    payload = message.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode(message.get_content_charset() or "utf-8")


def find_in_mail(message: Message, pattern: str) -> str:
    match = re.search(pattern, mail_body(message))
    assert match, f"{pattern!r} not in mail"
    return match.group(1)


@pytest.fixture(scope="session")
async def server(settings: Settings, clock: MovableClock) -> AsyncIterator[Server]:
    if settings.uses_postgres:
        await _reset_postgres(settings.database_url)
    await apply_migrations(settings)
    app = create_app(settings, clock)
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on")
    uv = uvicorn.Server(config)
    task = asyncio.create_task(uv.serve())
    while not uv.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    port = uv.servers[0].sockets[0].getsockname()[1]
    mail_dir = Path(settings.mail_url.removeprefix("maildir://"))
    yield Server(f"http://127.0.0.1:{port}", settings, clock, mail_dir, app.state.runtime)
    uv.should_exit = True
    await task


def _tables() -> list[str]:
    """Every table of the models, quoted (`user` is a reserved word in PostgreSQL)."""
    return sorted(
        f'"{cls._meta.db_table}"'
        for _, cls in inspect.getmembers(models, inspect.isclass)
        if issubclass(cls, Model) and cls.__module__.startswith("app.models")
    )


@pytest.fixture(autouse=True)
async def clean_database(server: Server) -> None:
    """Each test starts with empty tables and the clock at START."""
    server.clock.set(START)
    connection = connections.get("default")
    tables = _tables()
    if server.settings.uses_postgres:
        await connection.execute_script(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
    else:
        # Outside a transaction, so the pragma applies: rows go in any order.
        statements = [f"DELETE FROM {table};" for table in tables]  # noqa: S608 - model names
        await connection.execute_script(
            "PRAGMA foreign_keys = OFF;\n" + "\n".join(statements) + "\nPRAGMA foreign_keys = ON;"
        )
    assert Tortoise._inited


class GraphQLClient:
    """Posts GraphQL over real HTTP; keeps cookies like a browser when asked to."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http
        self.token: str | None = None

    async def post(self, query: str, variables: dict[str, Any] | None = None) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        return await self.http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )

    async def execute(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """The `data` of a response that must have no top-level errors."""
        response = await self.post(query, variables)
        assert response.status_code == 200, response.text
        body = response.json()
        assert "errors" not in body, body["errors"]
        data: dict[str, Any] = body["data"]
        return data


@pytest.fixture
async def http(server: Server) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
        yield client


@pytest.fixture
def gql(http: httpx.AsyncClient) -> GraphQLClient:
    return GraphQLClient(http)


@pytest.fixture
async def new_client(server: Server) -> AsyncIterator[Any]:
    """A factory of further independent clients (another browser, another user)."""
    clients: list[httpx.AsyncClient] = []

    def make() -> GraphQLClient:
        client = httpx.AsyncClient(base_url=server.url, timeout=30)
        clients.append(client)
        return GraphQLClient(client)

    yield make
    for client in clients:
        await client.aclose()


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The Redis of the run (`REDIS_URL`). Skipped without it on a developer's machine; in CI
    (`CI` set) a missing Redis fails, so the Redis tests can never silently not run there."""
    url = os.environ.get("REDIS_URL", "")
    if url:
        return url
    if os.environ.get("CI"):
        pytest.fail("REDIS_URL is not set in CI: the Redis tests must run there")
    pytest.skip("REDIS_URL is not set (start redis-server and set it to run the Redis tests)")
