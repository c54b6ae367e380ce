"""Stored applicants' documents (応募書類) under DOCUMENT_ROOT, named by content hash.

A file is named by the SHA-256 of its bytes, so writing it twice is harmless and its content
never changes under its name. The folder is served by no route: the bytes leave only through
`app.document_routes`, to whoever may read them. A write is whole or absent after a crash
(a temporary file, synced, renamed, then the folder synced), so a row committed after it
always finds its file.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from pathlib import Path

_HASH = re.compile(r"^[0-9a-f]{64}$")


def path(root: Path, content_hash: str) -> Path:
    """Where the document with this SHA-256 (lowercase hex) lives."""
    if not _HASH.match(content_hash):
        raise ValueError("not a SHA-256 in lowercase hex")
    return root / content_hash


def write(root: Path, content_hash: str, data: bytes) -> None:
    """Store `data` under its hash, durably: once this returns, a power cut keeps it."""
    target = path(root, content_hash)
    # Personal data: readable by the service's own user only.
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=root, prefix=".upload-", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    # The rename is an entry of the folder: it is durable once the folder is synced.
    folder = os.open(root, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


def read(root: Path, content_hash: str) -> bytes:
    """The stored bytes; `FileNotFoundError` when there are none."""
    return path(root, content_hash).read_bytes()
