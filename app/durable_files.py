"""Files written whole or not at all, and kept once written: the one way the service stores
bytes on disk (uploaded images, applicants' documents)."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def write(root: Path, name: str, data: bytes, *, file_mode: int, folder_mode: int) -> None:
    """Write `root/name`: a temporary file, synced, renamed, then the folder synced (the
    rename is an entry of the folder, durable only once the folder is). After a crash the
    file is there whole or not at all; once this returns, a power cut keeps it."""
    root.mkdir(mode=folder_mode, parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=root, prefix=".upload-", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, file_mode)
        os.replace(temporary, root / name)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    folder = os.open(root, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)
