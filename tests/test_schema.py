"""The checked-in `schema.graphql` is the live schema."""

from pathlib import Path

from app.schema import schema

SDL = Path(__file__).resolve().parent.parent / "schema.graphql"


def test_schema_graphql_matches_the_live_schema() -> None:
    assert SDL.read_text(encoding="utf-8") == schema.as_str() + "\n", (
        "schema.graphql is stale: run `python -m app export-schema`"
    )
