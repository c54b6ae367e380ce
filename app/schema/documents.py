"""Applicants' documents (応募書類): the type, its enums, and the seeker's upload.

The upload follows the GraphQL multipart request spec, as images do: `operations`, `map`,
then the file. The bytes are downloaded from `downloadUrl`, not through GraphQL.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Self

import strawberry
from starlette.datastructures import UploadFile
from strawberry import relay
from strawberry.file_uploads import Upload

import app.schema.describe as describe
from app import models
from app.errors import ErrorCode, UserErrors, user_error
from app.models import applications as enums
from app.resolvers import documents
from app.schema.context import Info
from app.schema.errors import UserError, run_change, user_errors
from app.schema.nodes import decode_id, visible_to_viewer
from app.schema.permissions import IsSeeker

describe.enum(enums.DocumentKind, description="応募書類の種類 (what kind of application document).")
DocumentKind = enums.DocumentKind
describe.enum(
    enums.DocumentFormat,
    description=(
        "ファイル形式 (file format) of a document, as read from the file's bytes, whatever its "
        "name says."
    ),
)
DocumentFormat = enums.DocumentFormat


@strawberry.type(
    description=(
        "応募書類: a document (履歴書, 職務経歴書) the seeker attached to an application. Seen by "
        "the establishment of the posting, staff of its office and the seeker; its bytes are "
        "at `downloadUrl`, and every download by the establishment or staff is recorded."
    )
)
class ApplicationDocument(relay.Node):
    id: relay.NodeID[int]
    kind: DocumentKind = strawberry.field(description="書類の種類 (which document it is).")
    file_format: DocumentFormat = strawberry.field(
        description="ファイル形式 (format), read from its bytes."
    )
    file_name: str = strawberry.field(
        description="The name it was sent with, cleaned: no folders or control characters, the "
        "extension of its format, at most 100 characters."
    )
    size: int = strawberry.field(description="ファイルサイズ (size) in bytes, at most 5 MB.")
    uploaded_at: dt.datetime = strawberry.field(description="登録日時 (when it was attached).")
    application_id: strawberry.Private[int]

    @classmethod
    def from_model(cls, document: models.ApplicationDocument) -> Self:
        return cls(
            id=document.id,
            kind=document.kind,
            file_format=document.file_format,
            file_name=document.file_name,
            size=document.size,
            uploaded_at=document.uploaded_at,
            application_id=document.application_id,
        )

    @strawberry.field(
        description="Path of the file on this service (/applications/documents/<id>): sent as an "
        "attachment to a request with the session (bearer token or cookie)."
    )
    def download_url(self) -> str:
        return f"/applications/documents/{relay.to_base64('ApplicationDocument', self.id)}"

    resolve_nodes = visible_to_viewer(documents.visible_documents)


@strawberry.input(description="Send as a multipart request: operations, map, then the file.")
class ApplicationDocumentUploadInput:
    application_id: strawberry.ID = strawberry.field(
        description=(
            "The application (an `Application` ID), one of the seeker's own; at most 5 "
            "documents each."
        )
    )
    kind: DocumentKind = strawberry.field(description="書類の種類 (which document), required.")
    file: Upload = strawberry.field(
        description="PDF, JPEG or PNG, at most 5 MB (5,242,880 bytes); its format is read from "
        "its bytes. A PDF needs a page and no password."
    )


@strawberry.type(description="The answer to `applicationDocumentUpload`.")
class ApplicationDocumentUploadPayload:
    document: ApplicationDocument | None = strawberry.field(
        default=None, description="The new document; null on errors."
    )
    errors: list[UserError] = strawberry.field(
        default_factory=list,
        description=(
            "What was wrong (field, stable code, Japanese message); empty when the document "
            "was attached."
        ),
    )


@strawberry.type
class DocumentMutation:
    @strawberry.mutation(
        description=(
            "Seeker: attach a document (履歴書, 職務経歴書) to an own application, with it or "
            "later; at most 5 per application."
        ),
        permission_classes=[IsSeeker],
    )
    async def application_document_upload(
        self,
        info: Info,
        input: Annotated[
            ApplicationDocumentUploadInput,
            strawberry.argument(description="The application, the kind and the file."),
        ],
    ) -> ApplicationDocumentUploadPayload:
        ctx = info.context
        file = input.file
        if not isinstance(file, UploadFile):
            # Sent as a plain value rather than as a file of the multipart request.
            error = user_error(ErrorCode.REQUIRED, "ファイルを添付してください。", "file")
            return ApplicationDocumentUploadPayload(errors=user_errors(error))
        try:
            application_id = decode_id(input.application_id, "Application", "applicationId")
        except UserErrors as exc:
            return ApplicationDocumentUploadPayload(errors=user_errors(exc))
        # One byte past the limit is enough to refuse it.
        data = await file.read(documents.MAX_DOCUMENT_BYTES + 1)
        return await run_change(
            ApplicationDocumentUploadPayload,
            lambda: documents.upload_document(
                ctx.rt,
                ctx.viewer,
                application_id=application_id,
                kind=input.kind,
                file_name=file.filename,
                data=data,
            ),
            "document",
            ApplicationDocument.from_model,
        )
