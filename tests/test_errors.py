"""Top-level errors: coded for clients, and logged only when they are the service's fault."""

from __future__ import annotations

import logging

import pytest
from graphql import GraphQLError

from app.errors import Forbidden
from app.schema.errors import is_expected
from tests.conftest import GraphQLClient


async def test_a_client_error_is_answered_with_a_code_and_not_logged(
    gql: GraphQLClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR):
        response = await gql.post("{ employerHome { establishmentName } }")
        invalid = await gql.post("{ employerHome { noSuchField } }")

    assert [e["extensions"]["code"] for e in response.json()["errors"]] == ["UNAUTHENTICATED"]
    assert response.json()["errors"][0]["message"] == "ログインしてください。"
    assert [e["extensions"]["code"] for e in invalid.json()["errors"]] == [
        "GRAPHQL_VALIDATION_FAILED"
    ]
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []


def test_only_failures_of_the_service_count_as_unexpected() -> None:
    assert is_expected(GraphQLError("syntax"))
    assert is_expected(GraphQLError("no", original_error=Forbidden()))
    assert not is_expected(GraphQLError("boom", original_error=ZeroDivisionError()))
