"""Schemathesis hooks of the fuzzer (`SCHEMATHESIS_HOOKS`): this service's custom scalars, and
the check of its error contract.

Every top-level GraphQL error of the service carries `extensions.code` (README, Security). The
codes that answer the client's own request — not logged in, not allowed, a body that is no
GraphQL request, a broken document or value, a query over the limits — are fine answers;
anything else is the service failing: `INTERNAL_SERVER_ERROR` (an unexpected exception,
masked), an error without a code, or THROTTLED, which cannot happen with `RATE_LIMITS=off` as
the fuzzer runs the server.

Schemathesis's own `not_a_server_error` cannot judge that in GraphQL mode: it counts every
error with a `path` and no code it knows as a server error, FORBIDDEN and UNAUTHENTICATED
included, which are this API's right answers to an employer asking for staff's data.
"""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import strategies as st
from schemathesis import Case, CheckContext, Response
from schemathesis.graphql import nodes

# `Yen` is a whole number beyond Int's 32 bits; `Upload` only comes as a multipart file, so in a
# JSON request any literal is the client's mistake, which the server must answer as one.
schemathesis.graphql.scalar("Yen", st.integers().map(nodes.Int))
schemathesis.graphql.scalar("Upload", st.text(max_size=20).map(nodes.String))

CLIENT_CODES = frozenset(
    {
        "BAD_REQUEST",
        "UNAUTHENTICATED",
        "FORBIDDEN",
        "GRAPHQL_VALIDATION_FAILED",
        "BAD_USER_INPUT",
        "QUERY_TOO_COMPLEX",
    }
)


@schemathesis.check
def coded_client_errors_only(ctx: CheckContext, response: Response, case: Case[Any]) -> bool | None:
    """No 5xx, and every top-level error carries one of the codes of a client's mistake."""
    if response.status_code >= 500:
        raise AssertionError(f"HTTP {response.status_code}: {response.text[:500]}")
    if not response.headers.get("content-type", [""])[0].startswith("application/json"):
        # Even a request refused before GraphQL runs is answered JSON with a code (app.transport).
        raise AssertionError(f"HTTP {response.status_code} not JSON: {response.text[:500]}")
    body: Any = response.json()
    errors = body.get("errors") if isinstance(body, dict) else None
    for error in errors or []:
        extensions = error.get("extensions") if isinstance(error, dict) else None
        code = extensions.get("code") if isinstance(extensions, dict) else None
        if code not in CLIENT_CODES:
            raise AssertionError(
                f"top-level error with code {code!r} (expected one of {sorted(CLIENT_CODES)}): "
                f"{error}"
            )
    return None
