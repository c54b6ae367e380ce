"""Every module of `app/` imports alone: in a process that has imported no other module of
`app`, so that an import cycle fails here, naming the module, and not only in the entry point
that happens to import the modules in the other order.

Each module is imported in a child process of its own. The children are forked, a few at a
time, from one fresh interpreter that has imported only the libraries `app` imports (never a
module of `app`), so that each child spends its time on `app` alone.
"""

from __future__ import annotations

import ast
import contextlib
import importlib
import json
import os
import subprocess
import sys
import traceback
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parent.parent
APP = REPO / "app"
MIGRATIONS = APP / "migrations"
REPORT_LIMIT = 4000
"""Bytes of a child's traceback kept; less than a pipe holds, so a child never waits."""


def app_modules() -> list[str]:
    """Every module of `app/` but the migrations, by its dotted name."""
    modules = []
    for path in sorted(APP.rglob("*.py")):
        if path.is_relative_to(MIGRATIONS):
            continue
        parts = path.relative_to(REPO).with_suffix("").parts
        modules.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return modules


def libraries() -> list[str]:
    """The modules outside `app` that any module of `app/` imports."""
    found: set[str] = set()
    for path in APP.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module)
    return sorted(name for name in found if name.split(".")[0] != "app")


def import_each_alone(preload: list[str], modules: list[str], parallel: int) -> dict[str, str]:
    """Run in a fresh interpreter: import `preload`, then import each of `modules` in a child
    forked for it, `parallel` at a time; the traceback of each module that failed."""
    for name in preload:
        with contextlib.suppress(Exception):  # an optional library that is not installed
            importlib.import_module(name)
    loaded = sorted(name for name in sys.modules if name.split(".")[0] == "app")
    if loaded:
        raise RuntimeError(f"modules of app imported before the children: {loaded}")
    pending = list(reversed(modules))
    running: dict[int, tuple[str, int]] = {}
    failures: dict[str, str] = {}
    while pending or running:
        while pending and len(running) < parallel:
            module = pending.pop()
            read, write = os.pipe()
            pid = os.fork()
            if pid == 0:
                os.close(read)
                status = 0
                try:
                    importlib.import_module(module)
                except BaseException:
                    os.write(write, traceback.format_exc().encode()[-REPORT_LIMIT:])
                    status = 1
                os._exit(status)
            os.close(write)
            running[pid] = (module, read)
        pid, status = os.wait()
        module, read = running.pop(pid)
        with os.fdopen(read, "rb") as pipe:
            report = pipe.read().decode(errors="replace")
        if status != 0:
            failures[module] = report or f"exit status {status}"
    return failures


def test_every_module_imports_alone() -> None:
    modules = app_modules()
    assert "app.resolvers.postings" in modules
    parallel = min(os.cpu_count() or 1, 4)
    driver = (
        "import json, sys\n"
        "from tests.test_imports import import_each_alone\n"
        "print(json.dumps(import_each_alone(*json.loads(sys.argv[1]))))\n"
    )
    argument = json.dumps([libraries(), modules, parallel])
    result = subprocess.run(
        [sys.executable, "-c", driver, argument],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    failures: dict[str, str] = json.loads(result.stdout.splitlines()[-1])
    summary = "\n".join(
        f"{module}: {report.strip().splitlines()[-1]}" for module, report in failures.items()
    )
    details = "\n\n".join(f"--- {module}\n{report}" for module, report in failures.items())
    assert not failures, f"modules that do not import alone:\n{summary}\n\n{details}"
