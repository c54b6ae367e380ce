"""Browser safety, as pure ASGI middleware: security headers on every response, the
cross-site request forgery (CSRF) guard of cookie-authenticated requests, and cross-origin
resource sharing (CORS, Starlette's) for the pages of `ALLOWED_ORIGINS`.

Pure ASGI rather than `BaseHTTPMiddleware`, so WebSockets and streamed bodies pass untouched.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

import orjson
from starlette.datastructures import Headers
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.observability import REQUEST_ID_HEADER
from app.settings import ConfigurationError
from app.throttle import RATE_LIMIT_HEADERS

HSTS = "max-age=63072000; includeSubDomains"
"""Two years, as the HSTS preload list asks; sent only in production (behind TLS)."""

# Nothing of this service is meant to be framed, to load anything or to post a form: the API
# answers JSON and images, which a browser must neither run nor embed elsewhere.
API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

# The service's own pages (`app/web.py`) load their bundled scripts and style sheets from this
# origin only, with no inline script, and talk to this service only (fetch and WebSocket).
DASHBOARD_CSP = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "form-action 'none'",
    ]
)

# GraphiQL (development only) also shows the fonts its style sheet carries as data: URLs.
GRAPHIQL_CSP = DASHBOARD_CSP + "; font-src data:"

SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
}

# The content types a web page can post to another site without asking first (a form's
# enctypes); anything else makes the browser send a CORS preflight, which this service fails.
SIMPLE_CONTENT_TYPES = frozenset(
    {"application/x-www-form-urlencoded", "multipart/form-data", "text/plain"}
)

# Headers outside the CORS safelist: a page of another site cannot set them without a
# preflight. The two Apollo clients send (and Apollo Server's own CSRF prevention accepts).
PREFLIGHT_HEADERS = ("authorization", "apollo-require-preflight", "x-apollo-operation-name")

_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# What a page of an allowed origin may send and read (besides the CORS safelist): the bearer
# token, the headers Apollo's clients add, and the request id to correlate with the logs.
CORS_REQUEST_HEADERS = ("content-type", *PREFLIGHT_HEADERS, REQUEST_ID_HEADER)
CORS_RESPONSE_HEADERS = (REQUEST_ID_HEADER, "Retry-After", *RATE_LIMIT_HEADERS)
CORS_METHODS = ("GET", "POST", "OPTIONS")
CORS_MAX_AGE_SECONDS = 3600
"""How long a browser may keep a preflight's answer (Chromium keeps at most two hours)."""


class SecurityHeadersMiddleware:
    """Adds the security headers to every HTTP response that does not set its own:
    no sniffing, no framing, no referrer, a deny-all CSP, `Cache-Control: no-store` (answers
    carry personal data; media sets its own), and HSTS in production."""

    def __init__(self, app: ASGIApp, *, production: bool) -> None:
        self.app = app
        headers = dict(SECURITY_HEADERS)
        headers["content-security-policy"] = API_CSP
        headers["cache-control"] = "no-store"
        if production:
            headers["strict-transport-security"] = HSTS
        # Encoded once: every response gets them.
        self.headers = [(name.encode(), value.encode()) for name, value in headers.items()]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                # Header names are lower case in ASGI messages.
                headers = list(message.get("headers", ()))
                present = {name for name, _ in headers}
                headers.extend(pair for pair in self.headers if pair[0] not in present)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


def cors(allowed_origins: Iterable[str]) -> Middleware:
    """Starlette's CORS middleware for the pages of `allowed_origins` (normalised, as the
    WebSocket's Origin check has them), with their cookies: it answers their preflights, and
    lets them read the answers and the headers above. Browsers do not ask before opening a
    WebSocket; Strawberry checks its Origin against the same list."""
    origins = sorted(allowed_origins)
    if "*" in origins:
        # With cookies allowed, every site could then act as the logged-in user.
        raise ConfigurationError("ALLOWED_ORIGINS lists origins; '*' is not accepted")
    return Middleware(
        CORSMiddleware,
        allow_origins=origins,
        allow_methods=CORS_METHODS,
        allow_headers=CORS_REQUEST_HEADERS,
        allow_credentials=True,
        expose_headers=CORS_RESPONSE_HEADERS,
        max_age=CORS_MAX_AGE_SECONDS,
    )


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def is_cross_site_safe(headers: Headers, allowed_origins: Iterable[str]) -> bool:
    """Whether a browser could only have sent this request after a CORS preflight, or from a
    page of this service or of an allowed origin: then the cookies that came with it are the
    user's intent, not another site's (CSRF)."""
    if any(headers.get(name) for name in PREFLIGHT_HEADERS):
        return True
    content_type = headers.get("content-type", "").partition(";")[0].strip().lower()
    if content_type and content_type not in SIMPLE_CONTENT_TYPES:
        return True
    origin = headers.get("origin", "").lower()
    if not origin or origin == "null":
        return False
    host = headers.get("host", "").lower()
    if host and urlsplit(origin).netloc == host:
        return True
    return origin in {_origin(allowed) for allowed in allowed_origins}


class CsrfMiddleware:
    """Refuses (403) a state-changing HTTP request that carries cookies, no `Authorization`,
    and nothing a cross-site page could not send without a preflight (`is_cross_site_safe`)."""

    def __init__(self, app: ASGIApp, *, allowed_origins: Iterable[str]) -> None:
        self.app = app
        self.allowed_origins = tuple(allowed_origins)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] not in _SAFE_METHODS:
            headers = Headers(scope=scope)
            if headers.get("cookie") and not is_cross_site_safe(headers, self.allowed_origins):
                await _refuse(send)
                return
        await self.app(scope, receive, send)


async def _refuse(send: Send) -> None:
    body = orjson.dumps(
        {
            "errors": [
                {
                    "message": "A request with cookies needs Content-Type: application/json, "
                    "an Apollo-Require-Preflight header or an allowed Origin",
                    "extensions": {"code": "CSRF_REFUSED"},
                }
            ]
        }
    )
    await send(
        {
            "type": "http.response.start",
            "status": 403,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
