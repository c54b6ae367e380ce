"""The SQLite engine's reader connection (`app.sqlite`): reads outside transactions do not wait
for a transaction under way, and see what was committed, as on PostgreSQL."""

from __future__ import annotations

import asyncio
import contextvars

import pytest
from tortoise import connections
from tortoise.transactions import in_transaction

from app.models import Office
from app.settings import Settings
from app.sqlite import SqliteWithReader, only_reads
from tests.conftest import Server

pytestmark = pytest.mark.skipif(
    not Settings.from_env().database_url.startswith("sqlite"), reason="SQLite's engine"
)


def _engine() -> SqliteWithReader:
    client = connections.get("default")
    assert isinstance(client, SqliteWithReader)
    return client


async def _office(server: Server, code: str) -> Office:
    return await Office.create(code=code, name=f"ハローワーク{code}", created_at=server.clock.now())


async def _codes() -> list[str]:
    return await Office.all().order_by("code").values_list("code", flat=True)  # type: ignore[return-value]


async def test_a_read_does_not_wait_for_a_transaction_and_sees_only_what_was_committed(
    server: Server,
) -> None:
    assert _engine().has_reader
    before = await _office(server, "01010")
    another_request = contextvars.copy_context()  # outside the transaction
    async with in_transaction():
        await _office(server, "01020")
        # Another request reads while the transaction is open (it holds the writer's lock):
        # it is answered at once, with the committed rows only.
        read = asyncio.create_task(_codes(), context=another_request)
        assert await asyncio.wait_for(read, timeout=2) == [before.code]
    assert sorted(await Office.all().values_list("code", flat=True)) == ["01010", "01020"]


async def test_a_rolled_back_write_is_never_read(server: Server) -> None:
    async def undone() -> None:
        async with in_transaction():
            await _office(server, "02010")
            assert await Office.filter(code="02010").exists()  # inside: the writer's view
            raise RuntimeError("undo")

    with pytest.raises(RuntimeError):
        await undone()
    assert not await Office.filter(code="02010").exists()


async def test_writes_stay_on_the_writer_and_the_reader_refuses_them(server: Server) -> None:
    client = _engine()
    await client.execute_query(
        "INSERT INTO office (code, name, created_at) VALUES (?, ?, ?)",
        ["03010", "ハローワーク03010", server.clock.now().isoformat()],
    )
    assert await Office.filter(code="03010").exists()
    assert client._reader is not None
    with pytest.raises(Exception, match="readonly"):
        await client._reader.execute("DELETE FROM office")
    assert await Office.filter(code="03010").exists()


def test_only_plain_selects_are_reads() -> None:
    assert only_reads('SELECT "id" FROM "office"')
    assert only_reads("  select 1")
    assert not only_reads('UPDATE "office" SET "name"=?')
    assert not only_reads("WITH gone AS (DELETE FROM office RETURNING id) SELECT * FROM gone")
    assert not only_reads("PRAGMA journal_mode")


async def test_an_in_memory_database_keeps_one_connection() -> None:
    client = SqliteWithReader(":memory:", connection_name="memory")
    await client.create_connection(with_db=True)
    try:
        assert not client.has_reader
        await client.execute_script("CREATE TABLE t (n INTEGER)")
        await client.execute_query("INSERT INTO t VALUES (1)")
        assert (await client.execute_query("SELECT n FROM t"))[1][0]["n"] == 1
    finally:
        await client.close()
