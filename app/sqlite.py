"""The SQLite engine (`engine` of `app.db.tortoise_config`): Tortoise's, with a second
connection for the reads outside transactions.

Tortoise's SQLite client has one connection and one lock: a statement waits for the one before
it to come back from aiosqlite's thread, and a transaction holds the lock from `BEGIN` to
`COMMIT`, so every read of every request and delivery waits for whatever write is under way,
statement by statement. At 100 events/s that queue, not the CPU, was the limit: 15 statements
per event of about 0.4 ms each, most of it the hand-over to the thread and back (issue 18).

In WAL mode (Tortoise's default) readers and the writer do not block each other, and a read
sees what was committed before it began, as on PostgreSQL: so a statement that only reads, run
outside a transaction, goes to a reader connection of its own, without the lock. Transactions,
writes and schema changes stay on the writer. The reader is `query_only`: a write sent to it by
mistake fails instead of bypassing the writer. An in-memory database has no second connection
to share it, and keeps the one.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any, cast

import aiosqlite
from tortoise.backends.sqlite.client import SqliteClient, translate_exceptions


def only_reads(query: str) -> bool:
    """Whether `query` is a plain `SELECT` (a `WITH` may write, and is left to the writer)."""
    return query.lstrip()[:6].upper() == "SELECT"


class SqliteWithReader(SqliteClient):
    """`SqliteClient`, whose reads outside transactions go to a reader connection."""

    def __init__(self, file_path: str, **kwargs: Any) -> None:
        super().__init__(file_path, **kwargs)
        self._reader: aiosqlite.Connection | None = None

    @property
    def has_reader(self) -> bool:
        return self._reader is not None

    def _shares_file(self) -> bool:
        name = self.filename
        return name != ":memory:" and "mode=memory" not in name

    async def create_connection(self, with_db: bool) -> None:
        await super().create_connection(with_db)
        if self._reader is None and self._shares_file():
            reader = await aiosqlite.connect(self.filename, isolation_level=None)
            reader._conn.row_factory = sqlite3.Row
            for pragma, value in {**self.pragmas, "query_only": "ON"}.items():
                if pragma != "journal_mode":  # the writer's; a reader may not change it
                    await (await reader.execute(f"PRAGMA {pragma}={value}")).close()
            self._reader = reader

    async def close(self) -> None:
        reader, self._reader = self._reader, None
        if reader is not None:
            await reader.close()
        await super().close()

    @translate_exceptions
    async def execute_query(
        self, query: str, values: list[Any] | None = None
    ) -> tuple[int, Sequence[dict[str, Any]]]:
        if self._reader is None or not only_reads(query):
            answer: tuple[int, Sequence[dict[str, Any]]] = await super().execute_query(
                query, values
            )
            return answer
        rows = await self._read(query, values)
        return len(rows), rows

    @translate_exceptions
    async def execute_query_dict(
        self, query: str, values: list[Any] | None = None
    ) -> list[dict[str, Any]]:
        if self._reader is None or not only_reads(query):
            answer: list[dict[str, Any]] = await super().execute_query_dict(query, values)
            return answer
        return list(map(dict, await self._read(query, values)))

    async def _read(self, query: str, values: list[Any] | None) -> list[dict[str, Any]]:
        """`query` on the reader, escaped and logged as Tortoise's client does."""
        assert self._reader is not None
        query = query.replace("\x00", "'||CHAR(0)||'")
        self.log.debug("%s: %s", query, values)
        # sqlite3.Row reads by column name, as the rows of Tortoise's own client do.
        return cast(list[dict[str, Any]], await self._reader.execute_fetchall(query, values))


client_class = SqliteWithReader
