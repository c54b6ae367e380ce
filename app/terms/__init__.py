"""The terms documents users agree to: プライバシーポリシー and 利用規約, each with a version.

A new version is a new file and a new entry below; the registration form must then carry it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from pathlib import Path

_HERE = Path(__file__).parent


class TermsKind(StrEnum):
    PRIVACY_POLICY = "PRIVACY_POLICY"
    TERMS_OF_USE = "TERMS_OF_USE"


@dataclass(frozen=True)
class TermsDocument:
    kind: TermsKind
    version: str
    title: str
    body: str


_CURRENT = {
    TermsKind.PRIVACY_POLICY: ("2026-04-01", "プライバシーポリシー", "privacy_policy.md"),
    TermsKind.TERMS_OF_USE: ("2026-04-01", "求人者マイページ利用規約", "terms_of_use.md"),
}


@cache
def current_documents() -> tuple[TermsDocument, ...]:
    return tuple(
        TermsDocument(
            kind=kind,
            version=version,
            title=title,
            body=(_HERE / filename).read_text(encoding="utf-8"),
        )
        for kind, (version, title, filename) in _CURRENT.items()
    )


def current_version(kind: TermsKind) -> str:
    return _CURRENT[kind][0]
