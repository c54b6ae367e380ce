"""Inputs of every malformed shape, shared by the tests and the fuzzer (`.ci/fuzz_run.py`).

Global IDs and cursors whose number is not ASCII digits or is out of every column's range,
text that no database or encoder takes (NUL, lone surrogates), and control characters that
each input's own rules judge.
"""

from __future__ import annotations

import base64
import contextlib
import logging
from collections.abc import Iterator

import pytest
from strawberry.relay import to_base64

# Digits that `str.isdigit` takes: '²' that `int` refuses, '٣' (Arabic-Indic three) that `int`
# reads as 3; past PostgreSQL's `integer`, past `bigint`, past `int`'s 4300-digit limit; signs,
# spaces and the like that `int` would forgive.
MALFORMED_NUMBERS = (
    "²",
    "٣",
    "１",
    "2147483648",
    "9223372036854775808",
    "99999999999999999999999",
    "9" * 5000,
    "-1",
    "+1",
    " 1",
    "1 ",
    "1.0",
    "0x1",
    "1_0",
    "",
)

# Strings no column can hold: NUL (PostgreSQL text) and lone surrogates (not text at all).
UNSTORABLE_STRINGS = ("a\u0000b", "\u0000", "\ud800", "a\udfffb", "\udc00\ud800")
# Other control characters: each input's own rules decide (a message keeps tabs and breaks).
CONTROL_STRINGS = ("a\u0001b", "\u001b[31m", "a\u007fb", "行\u2028区切り", "\u200b", "\ufeff")


def urlsafe(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode()


def malformed_ids(type_name: str) -> list[str]:
    """Global IDs of `type_name` (or of no type) with a number that names no row."""
    ids = [to_base64(type_name, number) for number in MALFORMED_NUMBERS]
    return [*ids, to_base64(type_name, "0"), to_base64(type_name, "1:2"), to_base64("Nope", 1)]


NOT_GLOBAL_IDS = (
    base64.b64encode("Posting:\xff".encode("latin-1")).decode(),  # not UTF-8 inside
    base64.b64encode(b"Posting").decode(),  # no colon
    "%%%",
    "",
    "==",
)
"""Strings that are no global ID at all: an `ID` input refuses them as a malformed value."""


def malformed_cursors(
    kind: str, separator: str = ":", parts: int = 1, *, bigint: bool = False
) -> list[str]:
    """Cursors of `kind` (see `app.schema.paging.encode_cursor`) with one malformed number
    in each place, of another kind, of the wrong number of parts, and no cursor at all;
    `bigint` for the ids of the event streams, where 2**31 is still one."""
    numbers = [n for n in MALFORMED_NUMBERS if not (bigint and n == str(2**31))]
    cursors = []
    for place in range(parts):
        for number in numbers:
            values = ["1"] * parts
            values[place] = number
            cursors.append(urlsafe(f"{kind}:{separator.join(values)}"))
    cursors += [urlsafe(f"{kind}:{separator.join(['1'] * (parts + 1))}"), urlsafe("other:1")]
    cursors += [urlsafe(kind), base64.urlsafe_b64encode(b"\xff\xfe").decode(), "%%%", "", "=="]
    return cursors


@contextlib.contextmanager
def no_error_logged(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Fails unless nothing is logged at ERROR meanwhile: no unexpected error of strawberry,
    no traceback of uvicorn's ("Exception in ASGI application")."""
    uvicorn = logging.getLogger("uvicorn")  # does not propagate to the root's capture
    uvicorn.addHandler(caplog.handler)
    try:
        with caplog.at_level(logging.ERROR):
            yield
    finally:
        uvicorn.removeHandler(caplog.handler)
    errors = [record.getMessage() for record in caplog.records if record.levelno >= logging.ERROR]
    assert errors == [], errors
