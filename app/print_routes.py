"""The printed documents, as PDFs: `GET /postings/<global id>/kyujinhyo.pdf`, a posting's
求人票, and `GET /applications/<global id>/shokaijo.pdf`, a referral's 紹介状.

The viewer, the budget and the 404 are those of every file route (`app.file_routes`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response

from app.file_routes import (
    CACHE_CONTROL,
    TokenOf,
    authenticated_viewer,
    content_disposition,
    global_row_id,
    not_found,
)
from app.printing import PRINTING, render_kyujinhyo, render_shokaijo
from app.resolvers.printing import printable_posting, referral_letter

PATH = "/postings/{id}/kyujinhyo.pdf"
REFERRAL_LETTER_PATH = "/applications/{id}/shokaijo.pdf"


def referral_letter_path(global_id: str) -> str:
    """Where the 紹介状 of the application `global_id` (an `Application` global ID) is had."""
    return REFERRAL_LETTER_PATH.replace("{id}", global_id)


def _pdf(pdf: bytes, file_name: str) -> Response:
    return Response(
        pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": content_disposition("inline", file_name),
            "Cache-Control": CACHE_CONTROL,
            "X-Content-Type-Options": "nosniff",
        },
    )


def kyujinhyo(token_of: TokenOf) -> Callable[[Request], Awaitable[Response]]:
    """The 求人票 endpoint."""

    async def serve(request: Request) -> Response:
        viewer = await authenticated_viewer(request, token_of)
        if isinstance(viewer, Response):
            return viewer
        posting_id = global_row_id(request.path_params["id"], *PRINTED_TYPES)
        if posting_id is None:
            return not_found()
        job = await printable_posting(request.app.state.runtime, viewer, posting_id)
        if job is None:
            return not_found()
        return _pdf(await PRINTING.run(render_kyujinhyo, job.form), job.file_name)

    return serve


def shokaijo(token_of: TokenOf) -> Callable[[Request], Awaitable[Response]]:
    """The 紹介状 endpoint: each letter served is recorded as read."""

    async def serve(request: Request) -> Response:
        viewer = await authenticated_viewer(request, token_of)
        if isinstance(viewer, Response):
            return viewer
        application_id = global_row_id(request.path_params["id"], "Application")
        if application_id is None:
            return not_found()
        job = await referral_letter(request.app.state.runtime, viewer, application_id)
        if job is None:
            return not_found()
        return _pdf(await PRINTING.run(render_shokaijo, job.letter), job.file_name)

    return serve


PRINTED_TYPES = ("Posting", "PostingSearchResult")
"""The global IDs that name a posting to print: its own, and, for a published posting, that of
its search result (the posting's own ID is not shown to seekers)."""
