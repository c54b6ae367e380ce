"""PostgreSQL's pool (asyncpg through Tortoise): a connection goes back to the pool without
asyncpg's reset query (`app.db.keep_session`), and a transaction left open on it is still
rolled back."""

from __future__ import annotations

import datetime as dt

import pytest
from tortoise import connections

from app.models import Office
from tests.conftest import Server

pytestmark = pytest.mark.usefixtures("server")


def _pool() -> object:
    client = connections.get("default")
    if client.capabilities.dialect != "postgres":
        pytest.skip("asyncpg's pool: the PostgreSQL pass of the suite")
    return client._pool  # type: ignore[attr-defined]


async def test_a_released_connection_is_sent_no_reset_query(server: Server) -> None:
    pool = _pool()
    sent: list[str] = []
    async with pool.acquire() as connection:  # type: ignore[attr-defined]
        connection.add_query_logger(lambda record: sent.append(record.query))
        assert await connection.fetchval("SELECT 1") == 1
    assert sent == ["SELECT 1"]  # and nothing on the way back (RESET ALL, UNLISTEN *, …)


async def test_a_transaction_left_open_is_rolled_back_on_release(server: Server) -> None:
    pool = _pool()
    async with pool.acquire() as connection:  # type: ignore[attr-defined]
        await connection.execute("BEGIN")
        await connection.execute(
            "INSERT INTO office (code, name, created_at) VALUES ('96001', '残らない', $1)",
            dt.datetime(2026, 12, 1, tzinfo=dt.UTC),
        )
    assert not await Office.filter(code="96001").exists()
