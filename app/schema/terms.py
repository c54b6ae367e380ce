"""Terms documents (プライバシーポリシー, 利用規約)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Self

import strawberry
from strawberry import relay

import app.schema.describe as describe
from app import terms
from app.schema.context import Info

describe.enum(
    terms.TermsKind,
    description="規約の種類 (which terms document).",
    values={
        "PRIVACY_POLICY": "プライバシーポリシー (privacy policy).",
        "TERMS_OF_USE": "利用規約 (terms of use of the employer My Page).",
    },
)
TermsKind = terms.TermsKind


@strawberry.type(
    description=(
        "A terms document in its current version, to agree to before opening an account. "
        "Readable by `node` for anyone while that version is current."
    )
)
class TermsDocument(relay.Node):
    id: relay.NodeID[str]
    kind: TermsKind = strawberry.field(description="規約の種類 (which document).")
    version: str = strawberry.field(
        description="版 (version), as 2026-04-01: send it back as the version agreed to."
    )
    title: str = strawberry.field(description="表題 (title), as プライバシーポリシー.")
    body: str = strawberry.field(description="本文 (the text), in Markdown.")

    @classmethod
    def of(cls, document: terms.TermsDocument) -> Self:
        return cls(
            id=f"{document.kind.value}:{document.version}",
            kind=document.kind,
            version=document.version,
            title=document.title,
            body=document.body,
        )

    @classmethod
    def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        current = {f"{d.kind.value}:{d.version}": d for d in terms.current_documents()}
        return [cls.of(current[i]) if i in current else None for i in node_ids]


@strawberry.type
class TermsQuery:
    @strawberry.field(description="The documents to agree to before opening an account.")
    def terms_documents(self) -> list[TermsDocument]:
        return [TermsDocument.of(d) for d in terms.current_documents()]
