"""The ASGI application factory."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field

import orjson
from cross_web import AsyncHTTPRequestAdapter, HTTPException
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState
from strawberry.asgi import ASGIWebSocketAdapter, GraphQL
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.http.base import BaseRequestProtocol
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.http.parse_content_type import parse_content_type
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
    Operation,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import (
    ConnectionInitMessage,
    SubscribeMessage,
)
from strawberry.types import ExecutionResult, SubscriptionExecutionResult
from strawberry.types.unset import UNSET, UnsetType
from tortoise import connections
from tortoise.contrib.starlette import RegisterTortoise

from app import document_routes, export_routes, media, print_routes, transport, web
from app.broker import running
from app.clock import Clock
from app.db import tortoise_config
from app.errors import Throttled
from app.middleware import CsrfMiddleware, SecurityHeadersMiddleware, cors
from app.observability import (
    MetricsMiddleware,
    RequestIdMiddleware,
    configure_logging,
    count_graphql_errors,
    count_transport_ws_errors,
    metrics_endpoint,
    process_metrics,
    quiet_sql_parameters,
)
from app.persisted import PersistedDocuments
from app.resolvers.accounts import viewer_for_session, viewer_for_token
from app.resolvers.documents import MAX_DOCUMENT_BYTES
from app.resolvers.images import MAX_IMAGE_BYTES
from app.runtime import Runtime
from app.schema import build_schema
from app.schema.context import SESSION_COOKIE, Context
from app.schema.errors import TopLevelCode, throttled_error
from app.schema.extensions import cost_extension
from app.schema.shared import SharedDeliveries, sharing
from app.settings import Settings
from app.sockets import SESSION_ENDED_CLOSE_CODE, SESSION_ENDED_CLOSE_REASON, OpenSockets
from app.tasks import periodic_tasks
from app.throttle import RateLimitHeadersMiddleware
from app.viewer import Viewer

log = logging.getLogger(__name__)


def bearer_token(request: Request | WebSocket) -> str | None:
    """The session token from `Authorization: Bearer …`, else from the session cookie."""
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip()
    return request.cookies.get(SESSION_COOKIE)


CREDENTIAL_SHAPES = 'authorization: "Bearer TOKEN" (any case, or in headers), authToken or token'
"""The `connection_init` payloads that carry a session token, as a close reason names them."""

NO_TOKEN_REASON = f"Forbidden: no session token; send {CREDENTIAL_SHAPES}"
BAD_TOKEN_SHAPE_REASON = f"Forbidden: unexpected token shape; send {CREDENTIAL_SHAPES}"
INVALID_TOKEN_REASON = f"Forbidden: invalid or expired token; send {CREDENTIAL_SHAPES}"

FORBIDDEN_CLOSE_CODE = 4403
"""graphql-transport-ws's Forbidden: the socket has no session (the reasons above)."""


class SocketRefused(Exception):
    """`connection_init` refused: `SessionBoundHandler` closes the socket with 4403 and
    `reason` (Strawberry's `ConnectionRejectionError` would say only "Forbidden")."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        # A close frame's reason holds at most 123 bytes.
        assert len(reason.encode()) <= 123, reason
        self.reason = reason


def connection_token(params: Mapping[str, object], websocket: WebSocket) -> str | None:
    """The session token of a WebSocket: from the `connection_init` payload, else from the
    session cookie. The payload's keys in any case: `authorization` (`Bearer …`), the same
    under `headers`, or `authToken` or `token` (with or without `Bearer `); null or empty
    counts as absent. Raises `SocketRefused` for any other shape of those, or two tokens."""
    tokens: set[str] = set()
    for key, value in params.items():
        name = key.lower()
        if name == "headers":
            if not isinstance(value, Mapping):
                raise SocketRefused(BAD_TOKEN_SHAPE_REASON)
            tokens.update(
                _token(header_value, scheme_required=True)
                for header, header_value in value.items()
                if isinstance(header, str) and header.lower() == "authorization"
            )
        elif name == "authorization":
            tokens.add(_token(value, scheme_required=True))
        elif name in ("authtoken", "token"):
            tokens.add(_token(value, scheme_required=False))
    tokens.discard("")
    if len(tokens) > 1:
        raise SocketRefused(BAD_TOKEN_SHAPE_REASON)
    if tokens:
        return tokens.pop()
    return websocket.cookies.get(SESSION_COOKIE)


def _token(value: object, *, scheme_required: bool) -> str:
    """The token in `Bearer <token>` (or, unless `scheme_required`, alone); "" for none."""
    if value is None or value == "":
        return ""
    if not isinstance(value, str):
        raise SocketRefused(BAD_TOKEN_SHAPE_REASON)
    scheme, _, credentials = value.strip().partition(" ")
    if scheme.lower() == "bearer":
        token = credentials.strip()
    elif scheme_required:
        raise SocketRefused(BAD_TOKEN_SHAPE_REASON)
    else:
        token = value.strip()
    if not token or any(character.isspace() for character in token):
        raise SocketRefused(BAD_TOKEN_SHAPE_REASON)
    return token


@dataclass
class WebSocketContext(Context):
    """The context of one WebSocket; strawberry puts the `connection_init` payload here."""

    connection_params: dict[str, object] = field(default_factory=dict)


class TextWebSocketAdapter(ASGIWebSocketAdapter):
    """Sends graphql-transport-ws messages as text frames, which browser clients expect."""

    async def send_json(self, message: Mapping[str, object]) -> None:
        if self.ws.application_state == WebSocketState.DISCONNECTED:
            # Closed by the server (its session ended): the operations still running are
            # cancelled once the client has answered the close; what they send meanwhile
            # has nowhere to go.
            return
        count_transport_ws_errors(message)
        try:
            await self.ws.send_text(orjson.dumps(message).decode())
        except WebSocketDisconnect as exc:
            raise WebSocketDisconnected from exc


class SessionBoundHandler(BaseGraphQLTransportWSHandler[Context, None]):
    """graphql-transport-ws, every operation held to the socket's session as an HTTP request
    is: the session must still hold (and the operation counts as its use for the idle
    timeout), and the operation counts against the session's request budget. The socket is
    registered with `OpenSockets`, which closes it with 4403 once the session ends."""

    view: GraphQLApp

    async def handle(self) -> None:
        with contextlib.ExitStack() as self._registration:
            await super().handle()

    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        try:
            await super().handle_connection_init(message)
        except SocketRefused as refused:
            await self.websocket.close(FORBIDDEN_CLOSE_CODE, refused.reason)
            return
        session = self.context.viewer.session
        if self.connection_acknowledged and session is not None:
            self._registration.enter_context(self.view.sockets.opened(session, self.end))

    async def end(self) -> None:
        """Close the socket: its session has ended."""
        websocket = self.context.response
        if (
            isinstance(websocket, WebSocket)
            and websocket.application_state == WebSocketState.CONNECTED
        ):
            await self.websocket.close(SESSION_ENDED_CLOSE_CODE, SESSION_ENDED_CLOSE_REASON)

    async def handle_subscribe(self, message: SubscribeMessage) -> None:
        # Not yet acknowledged, or an id in use: the protocol's own refusals come first.
        if self.connection_acknowledged and message["id"] not in self.operations:
            context = self.context
            session = context.viewer.session
            assert session is not None, "only authenticated sockets are acknowledged"
            viewer = await viewer_for_session(self.view.rt, session.id)
            if viewer.session is None:
                await self.end()
                return
            context.viewer = viewer
            self.view.sockets.used(viewer.session)
            try:
                await self.view.rt.throttle.hit_request(
                    session_id=session.id, client=context.client_address
                )
            except Throttled as exc:
                refused = throttled_error(exc).formatted
                await self.send_message(
                    {"id": message["id"], "type": "error", "payload": [refused]}
                )
                return
            try:
                # As over HTTP: the payload's shape, and no NUL or lone surrogate in it; then
                # the document a `documentId` or APQ hash names, or the refusal of an untrusted
                # one (TRUSTED_DOCUMENTS=only).
                operation = transport.check_operation(
                    message["payload"], self.view.rt.settings.query_max_tokens
                )
                query = await self.view.persisted.resolve(
                    query=operation.query,
                    extensions=operation.extensions,
                    document_id=operation.document_id,
                )
            except transport.Refused as exc:
                await self.send_message(
                    {"id": message["id"], "type": "error", "payload": exc.graphql_errors}
                )
                return
            if query is not None and query != operation.query:
                message = {**message, "payload": {**message["payload"], "query": query}}
        await super().handle_subscribe(message)

    async def run_operation(self, operation: Operation[Context, None]) -> None:
        """Run the operation in its task, its events' executions shared with the other
        subscriptions of its audience and document where it selects nothing that depends on
        the viewer (`app.schema.shared`)."""
        shared = self.view.shared_deliveries.operation(
            operation.query, operation.operation_name, operation.variables, self.context.viewer
        )
        with sharing(shared):
            await super().run_operation(operation)


class GraphQLApp(GraphQL[Context, None]):
    websocket_adapter_class = TextWebSocketAdapter
    graphql_transport_ws_handler_class = SessionBoundHandler

    def __init__(self, rt: Runtime) -> None:
        settings = rt.settings
        schema = build_schema(settings)
        self.shared_deliveries = SharedDeliveries(schema, max_tokens=settings.query_max_tokens)
        super().__init__(
            schema,
            graphql_ide=None if settings.is_production else "graphiql",
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
            allowed_origins=settings.allowed_origins,
            # Image uploads (GraphQL multipart request spec); `parse_multipart` guards them.
            multipart_uploads_enabled=True,
        )
        self.rt = rt
        self.sockets = OpenSockets(rt)
        self.persisted = PersistedDocuments.from_settings(settings)

    async def run(  # type: ignore[override]
        self,
        request: Request | WebSocket,
        context: Context | UnsetType = UNSET,
        root_value: UnsetType | None = UNSET,
    ) -> Response | WebSocket:
        try:
            return await super().run(request, context, root_value)  # type: ignore[arg-type]
        except HTTPException as exc:
            # Strawberry's own refusals would be plain text; clients read JSON with a code.
            return _refusal(transport.Refused.from_http(exc.status_code, exc.reason))
        except transport.Refused as exc:
            return _refusal(exc)
        finally:
            if isinstance(request, Request):
                # Uploaded files wait in temporary files until the request's form is closed.
                await request.close()

    async def parse_multipart(self, request: AsyncHTTPRequestAdapter) -> dict[str, str]:
        """Accept a multipart form only with a header a web page cannot make a browser send
        without asking first (CORS preflight), and only as large as one image allows.

        Any page can post a multipart form, and the session cookie would go with it (CSRF):
        clients send `Authorization: Bearer …` or, with the cookie, `Apollo-Require-Preflight`.
        """
        headers = request.headers
        if not (headers.get("authorization") or headers.get("apollo-require-preflight")):
            raise HTTPException(
                400, "Multipart requests need an Authorization or Apollo-Require-Preflight header"
            )
        length = headers.get("content-length", "")
        if not length.isdigit():
            raise HTTPException(411, "Multipart requests need a Content-Length")
        if int(length) > MAX_MULTIPART_BYTES:
            raise HTTPException(413, "Request body too large")
        try:
            form = await request.get_form_data()
        except ValueError as exc:
            raise HTTPException(400, "Unable to parse the multipart body") from exc
        fields = form.form.get("operations", "{}"), form.form.get("map", "{}")
        if not all(isinstance(value, str | bytes) for value in fields):
            raise HTTPException(400, "operations and map are form fields, not files")
        operations, files_map = (self.parse_json(value) for value in fields)
        return transport.with_files(operations, files_map, form.files)  # type: ignore[return-value]

    async def parse_http_body(self, request: AsyncHTTPRequestAdapter) -> GraphQLRequestData:
        """One operation, from the query string, a JSON body or a multipart form, checked by
        `transport.check_operation` before any of it runs (no batches, and no streamed
        transports: this service offers only WebSocket subscriptions)."""
        content_type, _ = parse_content_type(request.content_type or "")
        data: object
        if request.method == "GET":
            data = self.parse_query_params(request.query_params)
        elif "application/json" in content_type:
            data = self.parse_json(await request.get_body())
        elif content_type == "multipart/form-data":
            data = await self.parse_multipart(request)
        else:
            raise HTTPException(400, "Unsupported content type")
        operation = transport.check_operation(data, self.rt.settings.query_max_tokens)
        return transport.RequestData(
            query=operation.query,
            variables=operation.variables,
            operation_name=operation.operation_name,
            extensions=operation.extensions,
            document_id=operation.document_id,
        )

    def should_render_graphql_ide(self, request: BaseRequestProtocol) -> bool:
        # A GET by `documentId` or APQ hash has no `query` either, and may accept anything.
        params = request.query_params
        persisted = params.get("documentId") is not None or params.get("extensions") is not None
        return not persisted and super().should_render_graphql_ide(request)

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        if isinstance(request, WebSocket):
            # The viewer of a WebSocket comes with `connection_init` (see `on_ws_connect`).
            return WebSocketContext(
                request=request, response=response, rt=self.rt, viewer=Viewer.anonymous()
            )
        viewer = await viewer_for_token(self.rt, bearer_token(request))
        return Context(request=request, response=response, rt=self.rt, viewer=viewer)

    async def execute_operation(
        self,
        request: Request,
        request_adapter: AsyncHTTPRequestAdapter,
        request_data: GraphQLRequestData | list[GraphQLRequestData],
        context: Context,
        root_value: None,
        sub_response: Response,
    ) -> ExecutionResult | list[ExecutionResult] | SubscriptionExecutionResult:
        """Count the request against its session's budget (the address's when anonymous)
        before any of it runs; over budget, every operation of it is answered THROTTLED. Then
        the document a `documentId` or APQ hash names (`app.persisted`), refused when it is not
        trusted or is a subscription (served over WebSocket only)."""
        session = context.viewer.session
        try:
            await self.rt.throttle.hit_request(
                session_id=session.id if session else None, client=context.client_address
            )
        except Throttled as exc:
            refused = ExecutionResult(data=None, errors=[throttled_error(exc)])
            return [refused] * len(request_data) if isinstance(request_data, list) else refused
        assert isinstance(request_data, transport.RequestData), "parse_http_body refuses batches"
        request_data.query = await self.persisted.resolve(
            query=request_data.query,
            extensions=request_data.extensions,
            document_id=request_data.document_id,
        )
        transport.refuse_subscription(
            request_data.query, request_data.operation_name, self.rt.settings.query_max_tokens
        )
        return await super().execute_operation(
            request=request,
            request_adapter=request_adapter,
            request_data=request_data,
            context=context,
            root_value=root_value,
            sub_response=sub_response,
        )

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        """Counts the errors of each answer by code, as the client receives them."""
        response_data = await super().process_result(request, result)
        count_graphql_errors(response_data.get("errors"))
        return response_data

    def create_response(
        self,
        response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse],
        sub_response: Response,
    ) -> Response:
        """A throttled answer is HTTP 429 with `Retry-After`, as proxies and clients expect.
        Every answer has `extensions.cost` (`QueryCostLimiter`), at 0 for one refused before
        the schema saw it (the request budget spent)."""
        results = response_data if isinstance(response_data, list) else [response_data]
        for result in results:
            extensions = result.get("extensions") or {}
            if "cost" not in extensions:
                result["extensions"] = {
                    **extensions,
                    "cost": cost_extension(0, self.rt.settings.query_max_cost),
                }
        response = super().create_response(response_data, sub_response)
        retry_after = _throttled_for(response_data)
        if retry_after is not None:
            response.status_code = 429
            response.headers["Retry-After"] = str(retry_after)
        return response

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        """Authenticate the WebSocket at `connection_init` (`connection_token`); without a
        live session it is closed with 4403 (Forbidden) and a reason that names the shapes
        accepted (`SocketRefused`)."""
        assert isinstance(context, WebSocketContext)
        assert isinstance(context.request, WebSocket)
        token = connection_token(context.connection_params, context.request)
        viewer = await viewer_for_token(self.rt, token)
        if not viewer.is_authenticated:
            raise SocketRefused(NO_TOKEN_REASON if token is None else INVALID_TOKEN_REASON)
        context.viewer = viewer
        return UnsetType()  # the one UNSET: acknowledged without a payload

    async def render_graphql_ide(self, request: Request) -> Response:
        # Strawberry's page loads GraphiQL from a CDN; ours is bundled and served here.
        return web.graphiql_page()

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)

    def decode_json(self, data: str | bytes) -> object:
        # Stricter than `json.loads`, each a `JSONDecodeError` (a 400, or 4400 on a WebSocket):
        # only UTF-8, no lone surrogate escapes, at most 1024 levels deep (never a
        # RecursionError), no NaN.
        return orjson.loads(data)


def _refusal(refused: transport.Refused) -> Response:
    count_graphql_errors(refused.errors)
    return Response(
        orjson.dumps({"errors": refused.errors}),
        status_code=refused.status,
        media_type="application/json",
    )


def _throttled_for(response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse]) -> int | None:
    """The longest `retryAfter` of the THROTTLED errors of a response; None without any."""
    results = response_data if isinstance(response_data, list) else [response_data]
    waits = [
        int(extensions.get("retryAfter", 1))
        for result in results
        for error in result.get("errors") or []
        if isinstance(error, dict)
        and (extensions := error.get("extensions") or {}).get("code") == THROTTLED
    ]
    return max(waits, default=None)


THROTTLED = TopLevelCode.THROTTLED.name


# The largest upload (an image, or an applicant's document) and the `operations` and `map`
# fields beside it: larger bodies are refused unread, so an over-size file reaches the upload's
# own check only when it is just over.
MAX_MULTIPART_BYTES = max(MAX_IMAGE_BYTES, MAX_DOCUMENT_BYTES) + 64 * 1024

# A database that accepts connections but never answers would hold the probe for the
# driver's connect timeout (60 s with asyncpg); a probe must answer quickly.
HEALTH_CHECK_TIMEOUT_SECONDS = 3.0


async def healthz(request: Request) -> Response:
    try:
        async with asyncio.timeout(HEALTH_CHECK_TIMEOUT_SECONDS):
            await connections.get("default").execute_query("SELECT 1")
    except Exception:  # any failure to answer (TimeoutError included) means not healthy
        log.exception("health check: database does not answer")
        return JSONResponse({"status": "unavailable", "database": "down"}, status_code=503)
    return JSONResponse({"status": "ok", "database": "up"})


# Requests and deliveries allocate many short-lived objects; with the default threshold (700)
# the collector runs every few hundred of them, and its older generations scan the whole heap,
# including everything imported at start-up. Fewer young collections, and the start-up heap
# frozen out of them, keep those pauses off the latency of pages and subscriptions.
GC_YOUNG_THRESHOLD = 20_000


def tune_garbage_collection() -> None:
    gc.collect()
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(GC_YOUNG_THRESHOLD, older, oldest)


def create_app(settings: Settings | None = None, clock: Clock | None = None) -> Starlette:
    settings = settings or Settings.from_env()
    rt = Runtime.from_settings(settings, clock)
    graphql = GraphQLApp(rt)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        # Global fallback: uvicorn runs the lifespan in a task of its own, and every request
        # task must still find the connections it opened.
        async with (
            RegisterTortoise(app, config=tortoise_config(settings)),
            periodic_tasks(rt),
            running(rt.broker),
            graphql.sockets.running(),
            contextlib.aclosing(rt.throttle),
            contextlib.aclosing(graphql.persisted),
            process_metrics(settings),
        ):
            tune_garbage_collection()
            yield

    app = Starlette(
        routes=[
            # Every method: the view answers those it does not serve (405) in JSON too.
            Route("/graphql", graphql),
            WebSocketRoute("/graphql", graphql),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/metrics", metrics_endpoint(settings), methods=["GET"]),
            Route("/media/{name}", media.serve, methods=["GET"]),
            Route(print_routes.PATH, print_routes.kyujinhyo(bearer_token), methods=["GET"]),
            Route(document_routes.PATH, document_routes.document_download(bearer_token)),
            Route(
                print_routes.REFERRAL_LETTER_PATH,
                print_routes.shokaijo(bearer_token),
                methods=["GET"],
            ),
            Route(
                export_routes.PATH, export_routes.applications_csv(bearer_token), methods=["GET"]
            ),
            *web.routes(production=settings.is_production),
        ],
        middleware=[
            Middleware(RequestIdMiddleware),
            Middleware(MetricsMiddleware),
            Middleware(SecurityHeadersMiddleware, production=settings.is_production),
            # Outside the CSRF guard: a preflight is answered here, and every answer from
            # within, a refusal included, has the CORS headers of its origin.
            cors(graphql.allowed_origins),
            Middleware(CsrfMiddleware, allowed_origins=graphql.allowed_origins),
            Middleware(RateLimitHeadersMiddleware),
        ],
        lifespan=lifespan,
    )
    app.state.runtime = rt
    quiet_sql_parameters()
    return app


def __getattr__(name: str) -> Starlette:
    # `uvicorn app.main:app` builds the app on first access, after the environment is read.
    if name == "app":
        settings = Settings.from_env()
        configure_logging(settings)
        return create_app(settings)
    raise AttributeError(name)
