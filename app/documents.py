"""Stored applicants' documents (応募書類) under DOCUMENT_ROOT, named by content hash.

A file is named by the SHA-256 of its bytes, so writing it twice is harmless and its content
never changes under its name. The folder is served by no route: the bytes leave only through
`app.document_routes`, to whoever may read them. A write is whole or absent after a crash
(a temporary file, synced, renamed, then the folder synced), so a row committed after it
always finds its file.
"""

from __future__ import annotations

import re
from pathlib import Path

from app import durable_files

_HASH = re.compile(r"^[0-9a-f]{64}$")


def path(root: Path, content_hash: str) -> Path:
    """Where the document with this SHA-256 (lowercase hex) lives."""
    if not _HASH.match(content_hash):
        raise ValueError("not a SHA-256 in lowercase hex")
    return root / content_hash


def write(root: Path, content_hash: str, data: bytes) -> None:
    """Store `data` under its hash, durably: once this returns, a power cut keeps it."""
    path(root, content_hash)  # a hash, nothing else, names a file
    # Personal data: readable by the service's own user only.
    durable_files.write(root, content_hash, data, file_mode=0o600, folder_mode=0o700)


def read(root: Path, content_hash: str) -> bytes:
    """The stored bytes; `FileNotFoundError` when there are none."""
    return path(root, content_hash).read_bytes()
