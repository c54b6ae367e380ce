"""How failures reach clients: `UserError` in payloads, coded top-level errors otherwise."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from enum import Enum
from typing import TypeVar

import strawberry
from graphql import GraphQLError
from strawberry.extensions import MaskErrors
from strawberry.utils.str_converters import to_camel_case

import app.schema.describe as describe
from app.errors import ErrorCode, Forbidden, NotAuthenticated, Throttled, UserErrors

describe.enum(
    ErrorCode,
    name="UserErrorCode",
    description=(
        "エラーコード (error code): stable codes of `UserError`; clients branch on these, never "
        "on messages."
    ),
)
UserErrorCode = ErrorCode


@strawberry.type(
    description=(
        "入力エラー (user error): a problem with the input; `message` is for people, `code` for "
        "code. A payload with errors changed nothing (beyond counting a wrong try)."
    )
)
class UserError:
    field: str | None = strawberry.field(
        description=(
            "The input field at fault as sent (`content.jobTitle`, `ids.2`); null when the "
            "error is about the input as a whole."
        )
    )
    code: UserErrorCode = strawberry.field(description="What went wrong, stable.")
    message: str = strawberry.field(
        description="エラーメッセージ (message) in Japanese, to show as it is."
    )


ERRORS = "What was wrong (field, stable code, Japanese message); empty when the change was made."
"""The description of a payload's `errors` where nothing more particular is said."""


def user_errors(exc: UserErrors) -> list[UserError]:
    return [
        UserError(field=graphql_path(e.field), code=e.code, message=e.message) for e in exc.errors
    ]


def graphql_path(field: str | None) -> str | None:
    """A field at fault as use cases name it, in Python (`content.job_title`), as the client
    sent it (`content.jobTitle`): each part named as Strawberry names inputs and arguments."""
    if field is None:
        return None
    return ".".join(to_camel_case(part) for part in field.split("."))


P = TypeVar("P")
M = TypeVar("M")


async def run_change(
    payload: Callable[..., P],
    change: Callable[[], Awaitable[M]],
    field: str,
    present: Callable[[M], object],
) -> P:
    """Call a use case for a mutation: its `UserErrors` go into the payload, other errors to
    the top; what it changed goes, presented, into the payload's `field`."""
    try:
        changed = await change()
    except UserErrors as exc:
        return payload(errors=user_errors(exc))
    return payload(**{field: present(changed)})


class TopLevelCode(Enum):
    UNAUTHENTICATED = "ログインしてください。"
    FORBIDDEN = "この操作を行う権限がありません。"
    INTERNAL_SERVER_ERROR = "システムエラーが発生しました。時間をおいて再度お試しください。"
    THROTTLED = (
        "短時間に操作が繰り返されたため、受け付けを一時停止しています。"
        "しばらくしてから再度お試しください。"
    )


_KNOWN = {
    NotAuthenticated: TopLevelCode.UNAUTHENTICATED,
    Forbidden: TopLevelCode.FORBIDDEN,
    Throttled: TopLevelCode.THROTTLED,
}


def throttled_error(exc: Throttled, error: GraphQLError | None = None) -> GraphQLError:
    """THROTTLED with `extensions.retryAfter` (seconds); the HTTP answer is 429 with the
    same time in `Retry-After` (see `app.main.GraphQLApp.create_response`)."""
    return GraphQLError(
        message=TopLevelCode.THROTTLED.value,
        nodes=error.nodes if error else None,
        source=error.source if error else None,
        positions=error.positions if error else None,
        path=error.path if error else None,
        extensions={"code": TopLevelCode.THROTTLED.name, "retryAfter": exc.retry_after},
    )


def _coded(error: GraphQLError, code: TopLevelCode, message: str | None = None) -> GraphQLError:
    return GraphQLError(
        message=message or code.value,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        extensions={"code": code.name},
    )


class CodedErrors(MaskErrors):
    """Every top-level error carries `extensions.code`; unexpected ones are masked.

    Errors in the document (parse and validation) keep their message, which names the
    problem in the query, with the code `GRAPHQL_VALIDATION_FAILED`.
    """

    def _process_errors(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        return [self._process_error(error) for error in errors]

    def _process_error(self, error: GraphQLError) -> GraphQLError:
        original = error.original_error
        if isinstance(original, Throttled):
            return throttled_error(original, error)
        for exc_type, code in _KNOWN.items():
            if isinstance(original, exc_type):
                return _coded(error, code, str(original) or code.value)
        # The document or its variables (graphql-core), or an error raised with its own code.
        if original is None or isinstance(original, GraphQLError):
            if not (error.extensions and "code" in error.extensions):
                error.extensions = {**(error.extensions or {}), "code": "GRAPHQL_VALIDATION_FAILED"}
            return error
        return _coded(error, TopLevelCode.INTERNAL_SERVER_ERROR)


def is_expected(error: GraphQLError) -> bool:
    """Errors that are the client's doing; they are answered, not logged as failures."""
    original = error.original_error
    if original is None:
        return True  # the document itself: syntax, validation, variables
    return isinstance(original, (GraphQLError, *_KNOWN))
