"""GET /applications/documents/<global id>: an applicant's document (応募書類), as an attachment.

The viewer is found and throttled as for the printed documents (`print_routes`: the bearer
token, else the session cookie). Whoever may not have the document is told it is not there
(404, never 403), as for an id that names nothing, so that ids cannot be probed. Every download
by the establishment or staff is recorded (DESIGN.md §11).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import anyio
from starlette.requests import Request
from starlette.responses import Response

from app import documents as storage
from app.file_routes import (
    CACHE_CONTROL,
    TokenOf,
    authenticated_viewer,
    content_disposition,
    global_row_id,
    not_found,
)
from app.resolvers import documents
from app.runtime import Runtime

PATH = "/applications/documents/{id}"


def document_download(token_of: TokenOf) -> Callable[[Request], Awaitable[Response]]:
    """The endpoint; `token_of` reads the session token as the GraphQL view does."""

    async def serve(request: Request) -> Response:
        viewer = await authenticated_viewer(request, token_of)
        if isinstance(viewer, Response):
            return viewer
        document_id = global_row_id(request.path_params["id"], "ApplicationDocument")
        if document_id is None:
            return not_found()
        download = await documents.document_for_download(viewer, document_id)
        if download is None:
            return not_found()
        rt: Runtime = request.app.state.runtime
        document = download.document
        data = await anyio.to_thread.run_sync(
            storage.read, rt.settings.document_root, document.content_hash
        )
        await documents.record_download(rt, viewer, download)
        return Response(
            data,
            media_type=documents.CONTENT_TYPES[document.file_format],
            headers={
                "Content-Disposition": content_disposition("attachment", document.file_name),
                "Cache-Control": CACHE_CONTROL,
                "X-Content-Type-Options": "nosniff",
            },
        )

    return serve
