#!/usr/bin/env python3
"""The two commands of the README, on a machine with nothing but Python 3.11+.

python3 dev.py run    set up, migrate, load demo data, serve http://127.0.0.1:8000/graphql
python3 dev.py test   set up and run the whole test suite (extra arguments go to pytest)
python3 dev.py lint   set up and run the linters CI runs: ruff check, ruff format --check, mypy
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / "python"
STAMP = VENV / ".installed"


def run(*args: str | Path, env: dict[str, str] | None = None) -> None:
    print("+", " ".join(str(a) for a in args), flush=True)
    subprocess.run([str(a) for a in args], cwd=ROOT, check=True, env=env)  # noqa: S603


def set_up() -> None:
    """Create .venv and install the project with its dev extras when pyproject.toml changed."""
    if sys.version_info < (3, 11):  # noqa: UP036 - dev.py may be started by an older python3
        sys.exit("Python 3.11 or newer is needed")
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text() == wanted:
        return
    if not PYTHON.exists():
        venv.create(VENV, with_pip=True)
    run(PYTHON, "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    run(PYTHON, "-m", "pip", "install", "--quiet", "-e", ".[dev]")
    STAMP.write_text(wanted)


def main() -> None:
    command, *rest = sys.argv[1:] or ["help"]
    if command == "run":
        set_up()
        run(PYTHON, "-m", "app", "migrate")
        run(PYTHON, "-m", "app", "demo")
        port = os.environ.get("PORT", "8000")
        os.execv(  # noqa: S606 - replace this process with the server
            PYTHON,
            [str(PYTHON), "-m", "uvicorn", "app.main:app", "--host", "127.0.0.1", "--port", port],
        )
    elif command == "test":
        set_up()
        result = subprocess.run([str(PYTHON), "-m", "pytest", *rest], cwd=ROOT, check=False)  # noqa: S603
        sys.exit(result.returncode)
    elif command == "lint":
        set_up()
        for tool in (["ruff", "check"], ["ruff", "format", "--check"], ["mypy"]):
            result = subprocess.run([str(BIN / tool[0]), *tool[1:], *rest], cwd=ROOT, check=False)  # noqa: S603
            if result.returncode != 0:
                sys.exit(result.returncode)
    else:
        print(__doc__)
        sys.exit(0 if command == "help" else 2)


if __name__ == "__main__":
    main()
