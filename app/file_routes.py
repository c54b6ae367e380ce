"""What every route that serves a file shares: the viewer found as for GraphQL (the bearer
token, else the session cookie) and counted against the same request budget, the 404 that
answers whoever may not have the file (never 403, so ids cannot be probed), the global id in the
path, the cache policy of personal data and the file's name in `Content-Disposition`."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from typing import Literal
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from app.errors import Throttled, UserErrors
from app.resolvers.accounts import viewer_for_token
from app.runtime import Runtime
from app.viewer import Viewer

# Personal data of the employer's own drafts and of applicants: kept by no cache, the
# browser's included.
CACHE_CONTROL = "private, no-store"

TokenOf = Callable[[Request], str | None]
"""Reads the session token of a request as the GraphQL view does."""

_NOT_TOKEN = re.compile(r"[^A-Za-z0-9._-]+")


async def authenticated_viewer(request: Request, token_of: TokenOf) -> Viewer | Response:
    """The viewer of the request (anonymous without a live session), counted against the
    request budget of its session or address; the 429 answer when that is spent. HEAD (which
    Starlette adds to a GET route) is refused: it would read personal data nobody sees, and
    record it as read."""
    if request.method == "HEAD":
        return Response(status_code=405, headers={"Allow": "GET"})
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
            "Too Many Requests", status_code=429, headers={"Retry-After": str(exc.retry_after)}
        )
    return viewer


def not_found() -> Response:
    return PlainTextResponse("Not Found", status_code=404)


def global_row_id(global_id: str, *type_names: str) -> int | None:
    """The row a global ID of one of `type_names` names; None for anything else."""
    # Imported here: the schema imports the routes' paths from these modules.
    from app.schema.nodes import decode_id

    for type_name in type_names:
        try:
            return decode_id(global_id, type_name, "id")
        except UserErrors:
            continue
    return None


def content_disposition(
    disposition: Literal["inline", "attachment"], file_name: str, fallback: str | None = None
) -> str:
    """The name in UTF-8 (RFC 6266, 5987), and an ASCII one for the clients that read only
    `filename`: `fallback`, else the name's ASCII letters, else `document` with its extension."""
    if fallback is None:
        stem, dot, extension = file_name.rpartition(".")
        if not dot:
            stem, extension = file_name, ""
        ascii_stem = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode()
        ascii_stem = _NOT_TOKEN.sub("_", ascii_stem).strip("._")
        if not any(ch.isalnum() for ch in ascii_stem):
            ascii_stem = "document"
        ascii_extension = _NOT_TOKEN.sub("", extension)
        fallback = f"{ascii_stem}.{ascii_extension}" if ascii_extension else ascii_stem
    if fallback == file_name:
        return f'{disposition}; filename="{fallback}"'
    return f"{disposition}; filename=\"{fallback}\"; filename*=UTF-8''{quote(file_name, safe='')}"
