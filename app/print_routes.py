"""GET /postings/<global id>/kyujinhyo.pdf: a posting's printed 求人票, as a PDF.

The viewer is found as for GraphQL (the bearer token, else the session cookie) and the request
counts against the same budget. Whoever may not have the posting is told it is not there (404,
never 403), as for an id that names nothing, so that ids cannot be probed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from app.errors import Throttled, UserErrors
from app.printing import PRINTING, render_kyujinhyo
from app.resolvers.accounts import viewer_for_token
from app.resolvers.printing import printable_posting
from app.runtime import Runtime
from app.schema.nodes import decode_id

PATH = "/postings/{id}/kyujinhyo.pdf"

# Personal data of the employer's own drafts: kept by no cache, the browser's included.
CACHE_CONTROL = "private, no-store"


def kyujinhyo(
    token_of: Callable[[Request], str | None],
) -> Callable[[Request], Awaitable[Response]]:
    """The endpoint; `token_of` reads the session token as the GraphQL view does."""

    async def serve(request: Request) -> Response:
        rt: Runtime = request.app.state.runtime
        viewer = await viewer_for_token(rt, token_of(request))
        session = viewer.session
        try:
            await rt.throttle.hit_request(
                session_id=session.id if session else None,
                client=request.client.host if request.client else None,
            )
        except Throttled as exc:
            return PlainTextResponse(
                "Too Many Requests",
                status_code=429,
                headers={"Retry-After": str(exc.retry_after)},
            )
        not_found = PlainTextResponse("Not Found", status_code=404)
        posting_id = _posting_id(request.path_params["id"])
        if posting_id is None:
            return not_found
        job = await printable_posting(rt, viewer, posting_id)
        if job is None:
            return not_found
        pdf = await PRINTING.run(render_kyujinhyo, job.form)
        return Response(
            pdf,
            media_type="application/pdf",
            headers={
                "Content-Disposition": f'inline; filename="{job.file_name}"',
                "Cache-Control": CACHE_CONTROL,
                "X-Content-Type-Options": "nosniff",
            },
        )

    return serve


PRINTED_TYPES = ("Posting", "PostingSearchResult")
"""The global IDs that name a posting to print: its own, and, for a published posting, that of
its search result (the posting's own ID is not shown to seekers)."""


def _posting_id(global_id: str) -> int | None:
    for type_name in PRINTED_TYPES:
        try:
            return decode_id(global_id, type_name, "id")
        except UserErrors:
            continue
    return None
