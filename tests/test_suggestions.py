"""Production names nothing of the schema that the client did not write: no "Did you mean …?"
for misspelt fields, arguments, types, enum values or input fields; development keeps them."""

from __future__ import annotations

from typing import Any

import pytest
import strawberry

from app.schema import build_schema
from app.settings import Settings
from tests.conftest import GraphQLClient

LOGIN = "mutation ($input: LoginInput!) { login(input: $input) { errors { code } } }"
POSTINGS = "query ($status: PostingStatus) { postings(status: $status) { edges { cursor } } }"
LOGIN_LITERAL = (
    'mutation { login(input: {portal: EMPLOYER, emial: "a@example.jp", email: "a@example.jp",'
    ' password: "x"}) { errors { code } } }'
)
CREDENTIALS = {"email": "a@example.jp", "password": "x"}

# Each document, its variables, and the start of the one error it gets.
MISTAKES = [
    pytest.param("{ viewr { email } }", None, "Cannot query field 'viewr'", id="field"),
    pytest.param(
        '{ node(id: "x") { status } }',
        None,
        "Cannot query field 'status' on type 'Node'",
        id="field of an interface",
    ),
    pytest.param(
        "{ postings(frist: 5) { edges { cursor } } }",
        None,
        "Unknown argument 'frist'",
        id="argument",
    ),
    pytest.param(
        "{ viewer @include(if: true, iff: true) { email } }",
        None,
        "Unknown argument 'iff' on directive",
        id="directive argument",
    ),
    pytest.param(
        "query ($status: PostingStatu) { postings(status: $status) { edges { cursor } } }",
        None,
        "Unknown type 'PostingStatu'",
        id="type of a variable",
    ),
    pytest.param(
        '{ node(id: "x") { ... on Postin { id } } }', None, "Unknown type 'Postin'", id="type"
    ),
    pytest.param(
        "{ ...F } fragment F on Qery { viewer { email } }",
        None,
        "Unknown type 'Qery'",
        id="type of a fragment",
    ),
    pytest.param(
        "{ postings(status: ACTIV) { edges { cursor } } }",
        None,
        "Value 'ACTIV' does not exist in 'PostingStatus' enum",
        id="enum value literal",
    ),
    pytest.param(
        POSTINGS,
        {"status": "ACTIV"},
        "Variable '$status' has invalid value: Value 'ACTIV' does not exist",
        id="enum value variable",
    ),
    pytest.param(
        LOGIN,
        {"input": {**CREDENTIALS, "portal": "EMPLOYR"}},
        "Variable '$input' has invalid value at .portal: Value 'EMPLOYR' does not exist",
        id="enum value in an input variable",
    ),
    pytest.param(
        LOGIN_LITERAL,
        None,
        "Expected value of type 'LoginInput' not to include unknown field 'emial'",
        id="input field literal",
    ),
    pytest.param(
        LOGIN,
        {"input": {**CREDENTIALS, "portal": "EMPLOYER", "emial": "a@example.jp"}},
        "Variable '$input' has invalid value: Expected value of type 'LoginInput' not to include"
        " unknown field 'emial'",
        id="input field variable",
    ),
    pytest.param(
        "{ viewer }",
        None,
        "Field 'viewer' of type 'Viewer' must have a selection of subfields",
        id="subfields",
    ),
]


@pytest.fixture(scope="module")
def production() -> strawberry.Schema:
    return build_schema(Settings(app_env="production"))


@pytest.mark.parametrize(("query", "variables", "problem"), MISTAKES)
async def test_production_names_the_mistake_and_suggests_nothing(
    production: strawberry.Schema, query: str, variables: dict[str, Any] | None, problem: str
) -> None:
    result = await production.execute(query, variable_values=variables)

    assert result.errors is not None
    (error,) = result.errors
    assert error.message.startswith(problem)
    assert "Did you mean" not in error.message
    assert error.extensions == {"code": "GRAPHQL_VALIDATION_FAILED"}


@pytest.mark.parametrize(("query", "variables", "problem"), MISTAKES)
async def test_development_suggests(
    gql: GraphQLClient, query: str, variables: dict[str, Any] | None, problem: str
) -> None:
    body = (await gql.post(query, variables)).json()

    (error,) = body["errors"]
    assert error["message"].startswith(problem)
    assert " Did you mean " in error["message"]
