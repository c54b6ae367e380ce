"""What one GraphQL request may carry, checked before any of it runs.

A request is one operation (batches are refused): a JSON object whose `query`,
`operationName` and `documentId` (a trusted document's id, see `app.persisted`) are strings or
null and whose `variables` and `extensions` are objects or null, nested at most `MAX_DEPTH`
deep. No text in it, the string literals of the document included,
may hold NUL (U+0000), which PostgreSQL cannot store in text, or a lone surrogate
(U+D800–U+DFFF), which is not text at all: it arrives as a JSON escape (`"\\ud800"`) and fails
wherever it is encoded. Each refusal is a `Refused` with a code: BAD_REQUEST (HTTP 400) for
what is no GraphQL request, BAD_USER_INPUT (200, as for any other refused value) for NUL.

HTTP requests are checked by `app.main.GraphQLApp.parse_http_body`; a WebSocket `subscribe`
payload is the same object and goes through the same `check_operation`. Over HTTP a
subscription is refused (`refuse_subscription`): subscriptions are served over WebSocket only.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    GraphQLError,
    GraphQLFormattedError,
    GraphQLSyntaxError,
    OperationType,
    Source,
    TokenKind,
    get_operation_ast,
)
from graphql.language import Lexer
from strawberry.extensions import ParserCache
from strawberry.file_uploads.utils import replace_placeholders_with_files
from strawberry.http import GraphQLRequestData

MAX_DEPTH = 32
"""Objects and lists inside one another; the deepest input of the schema needs 6."""

BAD_REQUEST = "BAD_REQUEST"
BAD_USER_INPUT = "BAD_USER_INPUT"

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")

# What strawberry's own refusals (`HTTPException`) say to people; its reason goes beside.
_HTTP_REFUSALS = {
    400: (BAD_REQUEST, "リクエストの形式が正しくありません。"),
    404: ("NOT_FOUND", "ページが見つかりません。"),
    405: ("METHOD_NOT_ALLOWED", "GraphQL は GET と POST でのみ受け付けます。"),
    411: ("LENGTH_REQUIRED", "Content-Length を指定してください。"),
    413: ("PAYLOAD_TOO_LARGE", "リクエストが大きすぎます。"),
}


class Refused(Exception):
    """A request refused before it runs; nothing of it was done."""

    def __init__(
        self, message: str, code: str = BAD_REQUEST, status: int = 400, reason: str | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status
        self.reason = reason
        """Strawberry's own words for what it refused, for developers."""

    @classmethod
    def from_http(cls, status: int, reason: str) -> Refused:
        code, message = _HTTP_REFUSALS.get(status, _HTTP_REFUSALS[400])
        return cls(message=message, code=code, status=status, reason=reason)

    @property
    def graphql_errors(self) -> list[GraphQLFormattedError]:
        """The `errors` as an operation's error over a WebSocket carries them."""
        return [GraphQLError(self.message, extensions=self.errors[0]["extensions"]).formatted]

    @property
    def errors(self) -> list[dict[str, Any]]:
        """The `errors` of the answer."""
        extensions: dict[str, str] = {"code": self.code}
        if self.reason:
            extensions["reason"] = self.reason
        return [{"message": self.message, "extensions": extensions}]


@dataclass(frozen=True)
class Operation:
    query: str | None
    operation_name: str | None
    variables: dict[str, Any] | None
    extensions: dict[str, Any] | None
    document_id: str | None = None
    """The id of a trusted document to run instead of a `query` (`app.persisted`)."""


@dataclass
class RequestData(GraphQLRequestData):
    """Strawberry's request data with the `documentId` of the request beside it."""

    document_id: str | None = None


def check_operation(data: object, max_tokens: int) -> Operation:
    """`data` (decoded from JSON, a query string or a multipart form) as one operation;
    `Refused` for anything else. The document is read for its string literals up to
    `max_tokens` tokens, past which it is refused anyway (`MaxTokensLimiter`)."""
    if isinstance(data, list):
        raise Refused("複数の操作をまとめたリクエスト（バッチ）は受け付けていません。")
    if not isinstance(data, dict):
        raise Refused("リクエストは JSON のオブジェクトで送ってください。")
    operation = Operation(
        query=data.get("query"),
        operation_name=data.get("operationName"),
        variables=data.get("variables"),
        extensions=data.get("extensions"),
        document_id=data.get("documentId"),
    )
    for name, value, kind in (
        ("query", operation.query, str),
        ("operationName", operation.operation_name, str),
        ("documentId", operation.document_id, str),
        ("variables", operation.variables, dict),
        ("extensions", operation.extensions, dict),
    ):
        if not isinstance(value, kind | None):
            shape = "文字列" if kind is str else "オブジェクト"
            raise Refused(f"{name} は{shape}または null で指定してください。")
    check_values(data)
    if operation.query is not None:
        for literal in _string_literals(operation.query, max_tokens):
            check_text(literal)
    return operation


PARSER_CACHE_SIZE = 512
"""Documents kept parsed. `app.schema.build_schema` gives the schema a parser cache of this
size: Strawberry shares one LRU per size, so a document parsed here is not parsed again when it
runs (and the other way round)."""

_parse = ParserCache(maxsize=PARSER_CACHE_SIZE).cached_parse_document


def refuse_subscription(query: str | None, operation_name: str | None, max_tokens: int) -> None:
    """`Refused` when the operation to run is a subscription: over HTTP, Strawberry would run
    it as a query and fail. Anything that does not parse, or names no single operation, is left
    to Strawberry, which reports it with its place in the document."""
    if query is None or "subscription" not in query:
        return
    try:
        document = _parse(query, max_tokens=max_tokens)
    except GraphQLError:
        return
    operation = get_operation_ast(document, operation_name)
    if operation is not None and operation.operation == OperationType.SUBSCRIPTION:
        raise Refused(
            "サブスクリプションは HTTP では受け付けていません。WebSocket で /graphql に接続し、"
            "graphql-transport-ws プロトコルで subscribe してください。",
            reason="Subscriptions are served over WebSocket at /graphql "
            "(subprotocol graphql-transport-ws), not over HTTP",
        )


def with_files(operations: object, files_map: object, files: Mapping[str, Any]) -> object:
    """The `operations` of a multipart request with its files put where `map` says (the
    GraphQL multipart request spec); `Refused` for a map that names a file or a place the
    request does not have."""
    check_values(operations)  # before copying it, which recursion would do at any depth
    if not (
        isinstance(files_map, dict)
        and all(
            isinstance(paths, list) and all(isinstance(path, str) for path in paths)
            for paths in files_map.values()
        )
    ):
        raise Refused("map はファイル名から置き場所の一覧へのオブジェクトで指定してください。")
    if not files_map:
        return operations
    if not isinstance(operations, dict | list):
        raise Refused("リクエストは JSON のオブジェクトで送ってください。")
    try:
        return replace_placeholders_with_files(operations, files_map, files)  # type: ignore[arg-type]
    except (KeyError, IndexError, ValueError, TypeError) as exc:
        raise Refused("map に、リクエストにないファイルか置き場所が指定されています。") from exc


def check_values(data: object) -> None:
    """Every string in `data` (keys too) by `check_text`, and its nesting by `MAX_DEPTH`."""
    pending: list[tuple[object, int]] = [(data, 0)]
    while pending:  # iteratively: a deep value must not exhaust the interpreter's stack
        value, depth = pending.pop()
        if isinstance(value, str):
            check_text(value)
        elif isinstance(value, dict | list):
            if depth >= MAX_DEPTH:
                raise Refused(f"入れ子は{MAX_DEPTH}段までにしてください。")
            children = [*value.keys(), *value.values()] if isinstance(value, dict) else value
            pending.extend((child, depth + 1) for child in children)


def check_text(text: str) -> None:
    """`Refused` for text that holds NUL or a lone surrogate."""
    if "\x00" in text:
        # A value like any other the input's rules refuse: answered 200, as those are.
        raise Refused("文字列に NUL 文字（U+0000）は使えません。", code=BAD_USER_INPUT, status=200)
    if not text.isascii() and _LONE_SURROGATE.search(text):
        raise Refused("文字列に不正な文字（対になっていないサロゲート）が含まれています。")


def _string_literals(query: str, max_tokens: int) -> Iterator[str]:
    """The values of the document's string literals that can differ from their source text,
    which `check_values` has read already: those with a `\\u` escape (NUL as `\\u0000`)."""
    if "\\u" not in query:
        return
    lexer = Lexer(Source(query))
    try:
        for _ in range(max_tokens):
            token = lexer.advance()
            if token.kind == TokenKind.EOF:
                return
            if token.kind == TokenKind.STRING and token.value is not None:
                yield token.value
    except GraphQLSyntaxError:
        return  # the parser reports it, with its place in the document
