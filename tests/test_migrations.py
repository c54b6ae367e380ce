"""The checked-in migrations are the whole database schema, and they apply cleanly."""

from __future__ import annotations

import inspect
import subprocess
import sys
from pathlib import Path

import pytest
from tortoise import connections
from tortoise.models import Model

from app import models
from tests.processes import REPO, service_env

# Run in a child process: the autodetector starts Tortoise on its own, away from the test server.
_PENDING_CHANGES = """
import asyncio
from tortoise.cli.cli import tortoise_cli_context
from tortoise.migrations.autodetector import MigrationAutodetector
from app.db import tortoise_config
from app.settings import Settings

async def main():
    config = tortoise_config(Settings.from_env())
    async with tortoise_cli_context(config) as ctx:
        writers = await MigrationAutodetector(ctx.apps, config["apps"]).changes()
    print(sum(len(w.operations) for w in writers))

asyncio.run(main())
"""


def test_models_have_no_change_missing_from_the_migrations(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-c", _PENDING_CHANGES],
        env=service_env(tmp_path),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "0", "run `tortoise makemigrations`"


def _model_classes() -> list[type[Model]]:
    return [
        cls
        for _, cls in inspect.getmembers(models, inspect.isclass)
        if issubclass(cls, Model) and cls.__module__.startswith("app.models")
    ]


def test_model_docstrings_have_no_semicolon() -> None:
    """Docstrings become table comments, and Tortoise splits SQLite migrations on `;`."""
    model_classes = _model_classes()
    assert len(model_classes) > 10
    assert [c.__name__ for c in model_classes if ";" in (c.__doc__ or "")] == []


def _column(model: type[Model], name: str) -> str:
    """The database column of a model field named in `Meta` (a foreign key by its relation)."""
    meta = model._meta
    if name in meta.fields_db_projection:
        return meta.fields_db_projection[name]
    source: str = meta.fields_map[name].source_field  # type: ignore[assignment]
    return source


def _declared(model: type[Model]) -> set[tuple[bool, tuple[str, ...]]]:
    """(unique, columns) of every index and unique constraint the model declares."""
    meta = model._meta
    declared = {
        (True, tuple(_column(model, name) for name in names)) for names in meta.unique_together
    }
    for index in meta.indexes:
        names = index if isinstance(index, tuple | list) else tuple(index.fields)
        declared.add((False, tuple(_column(model, name) for name in names)))
    for name, field in meta.fields_map.items():
        if field.unique and not field.pk and name in meta.fields_db_projection:
            declared.add((True, (meta.fields_db_projection[name],)))
    return declared


_POSTGRES_INDEXES = """
SELECT ix.indisunique AS is_unique, array_agg(a.attname::text ORDER BY k.n) AS columns
FROM pg_class t
JOIN pg_index ix ON ix.indrelid = t.oid
CROSS JOIN LATERAL unnest(ix.indkey) WITH ORDINALITY AS k(attnum, n)
JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
WHERE t.relname = $1 AND t.relnamespace = 'public'::regnamespace
GROUP BY ix.indexrelid, ix.indisunique
"""


async def _existing(table: str) -> set[tuple[bool, tuple[str, ...]]]:
    connection = connections.get("default")
    if connection.capabilities.dialect == "postgres":
        _, rows = await connection.execute_query(_POSTGRES_INDEXES, [table])
        return {(bool(row["is_unique"]), tuple(row["columns"])) for row in rows}
    _, indexes = await connection.execute_query(f'PRAGMA index_list("{table}")')
    found = set()
    for index in indexes:
        _, columns = await connection.execute_query(f'PRAGMA index_info("{index["name"]}")')
        found.add((bool(index["unique"]), tuple(c["name"] for c in columns)))
    return found


@pytest.mark.usefixtures("server")
async def test_every_declared_index_and_unique_constraint_exists_in_the_database() -> None:
    """The migrations built every index and unique constraint the models declare (Tortoise's
    SQLite table rebuild, used by AlterField, is known to drop them)."""
    missing = {}
    for model in _model_classes():
        lacking = _declared(model) - await _existing(model._meta.db_table)
        if lacking:
            missing[model.__name__] = sorted(lacking)
    assert missing == {}
