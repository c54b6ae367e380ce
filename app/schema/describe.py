"""Descriptions of the enums' values: every GraphQL enum value is described (its Japanese term
and English), as every type, field and argument is (`tests/test_descriptions.py`).

The enums of the models already say what each member means in the docstring under it
(`APPLIED = "APPLIED"` then `\"\"\"応募 (applied)\"\"\"`); `enum` registers such an enum with
strawberry and gives each value that docstring, or the one `values` names, so that a value's
meaning is written once, beside it.
"""

from __future__ import annotations

import ast
import enum as std_enum
import inspect
import textwrap
from collections.abc import Mapping
from functools import cache
from typing import TypeVar

import strawberry

E = TypeVar("E", bound=type[std_enum.Enum])


@cache
def member_docstrings(cls: type[std_enum.Enum]) -> dict[str, str]:
    """The docstring under each member of `cls` in its source, by member name."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(cls)))
    body = tree.body[0]
    assert isinstance(body, ast.ClassDef)
    found: dict[str, str] = {}
    for statement, following in zip(body.body, body.body[1:], strict=False):
        if (
            isinstance(statement, ast.Assign)
            and len(statement.targets) == 1
            and isinstance(statement.targets[0], ast.Name)
            and isinstance(following, ast.Expr)
            and isinstance(following.value, ast.Constant)
            and isinstance(following.value.value, str)
        ):
            found[statement.targets[0].id] = inspect.cleandoc(following.value.value)
    return found


def enum(
    cls: E,
    *,
    description: str,
    name: str | None = None,
    values: Mapping[str, str] | None = None,
) -> E:
    """`cls` as a GraphQL enum (`strawberry.enum`), each value described by `values` or else
    by its docstring in the source; a value with neither is a mistake caught at import."""
    strawberry.enum(cls, name=name, description=description)
    given = dict(values or {})
    written = member_docstrings(cls)
    definition = cls.__strawberry_definition__  # type: ignore[attr-defined]
    for value in definition.values:
        text = given.pop(value.name, None) or written.get(value.name)
        if not text:
            raise ValueError(f"{definition.name}.{value.name} has no description")
        value.description = text
    if given:
        raise ValueError(f"{definition.name} has no values {sorted(given)}")
    return cls
