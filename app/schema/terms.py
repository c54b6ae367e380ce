"""Terms documents (プライバシーポリシー, 利用規約)."""

from __future__ import annotations

import strawberry

from app import terms

strawberry.enum(terms.TermsKind, description="Which terms document.")
TermsKind = terms.TermsKind


@strawberry.type(description="A terms document in its current version.")
class TermsDocument:
    kind: TermsKind
    version: str
    title: str
    body: str


@strawberry.type
class TermsQuery:
    @strawberry.field(description="The documents to agree to before opening an account.")
    def terms_documents(self) -> list[TermsDocument]:
        return [
            TermsDocument(kind=d.kind, version=d.version, title=d.title, body=d.body)
            for d in terms.current_documents()
        ]
