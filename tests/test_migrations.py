"""The checked-in migrations are the whole database schema, and they apply cleanly."""

from __future__ import annotations

import inspect
import subprocess
import sys
from pathlib import Path

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


def test_model_docstrings_have_no_semicolon() -> None:
    """Docstrings become table comments, and Tortoise splits SQLite migrations on `;`."""
    model_classes = [
        cls
        for _, cls in inspect.getmembers(models, inspect.isclass)
        if issubclass(cls, Model) and cls.__module__.startswith("app.models")
    ]
    assert len(model_classes) > 10
    assert [c.__name__ for c in model_classes if ";" in (c.__doc__ or "")] == []
