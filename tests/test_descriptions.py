"""Every part of the schema a client sees is described: each type, field, argument, input field
and enum value, as GraphiQL, codegen's comments and graphql-schema-linter show them. Read over
the introspected schema, the one clients get."""

from __future__ import annotations

import enum

import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    build_client_schema,
    get_introspection_query,
    graphql_sync,
)

from app.schema import schema
from app.schema.describe import enum as described_enum
from app.schema.describe import member_docstrings


def _undescribed() -> list[str]:
    introspected = graphql_sync(schema._schema, get_introspection_query(descriptions=True))
    assert introspected.errors is None
    assert introspected.data is not None
    client = build_client_schema(introspected.data)
    missing: list[str] = []

    def check(where: str, description: str | None) -> None:
        if not (description or "").strip():
            missing.append(where)

    for name, named in client.type_map.items():
        if name.startswith("__"):
            continue
        check(name, named.description)
        if isinstance(named, GraphQLObjectType | GraphQLInterfaceType):
            for field_name, field in named.fields.items():
                check(f"{name}.{field_name}", field.description)
                for arg_name, arg in field.args.items():
                    check(f"{name}.{field_name}({arg_name}:)", arg.description)
        elif isinstance(named, GraphQLInputObjectType):
            for field_name, input_field in named.fields.items():
                check(f"{name}.{field_name}", input_field.description)
        elif isinstance(named, GraphQLEnumType):
            for value_name, value in named.values.items():
                check(f"{name}.{value_name}", value.description)
    return missing


def test_every_type_field_argument_and_enum_value_is_described() -> None:
    missing = _undescribed()
    assert missing == [], f"{len(missing)} undescribed: {missing}"


class _Shade(enum.Enum):
    LIGHT = "LIGHT"
    """明るい (light)"""
    DARK = "DARK"


def test_an_enum_value_takes_its_docstring_or_the_one_given_and_none_is_a_mistake() -> None:
    assert member_docstrings(_Shade) == {"LIGHT": "明るい (light)"}
    with pytest.raises(ValueError, match="DARK has no description"):
        described_enum(_Shade, description="色の濃さ (shade).")
    shade = described_enum(_Shade, description="色の濃さ (shade).", values={"DARK": "暗い (dark)"})
    values = {v.name: v.description for v in shade.__strawberry_definition__.values}  # type: ignore[attr-defined]
    assert values == {"LIGHT": "明るい (light)", "DARK": "暗い (dark)"}
    with pytest.raises(ValueError, match="no values"):
        described_enum(_Shade, description="色.", values={"DARK": "暗い", "GREY": "灰色"})
