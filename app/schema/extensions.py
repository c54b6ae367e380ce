"""Schema extensions of our own: a cost limit on top of Strawberry's depth, alias and token
limits, so that a connection's `first` multiplies the cost of everything under it; and a
parser cache whose syntax errors reach clients like any other error."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from graphql import (
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
)
from strawberry.extensions import ParserCache, SchemaExtension

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


def query_cost(document: Any, operation_name: str | None, variables: Mapping[str, Any]) -> int:
    """Every field costs 1; the fields under a list page cost `first` times (20 when unset).

    A field counts as a page when it takes `first` or selects `edges`, as every connection of
    this schema does. Unknown or invalid values count as the largest page, 100.
    """
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    chosen = [
        op
        for op in operations
        if operation_name is None or (op.name and op.name.value == operation_name)
    ]
    if not chosen:
        return 0
    return _cost(chosen[0].selection_set, fragments, variables, frozenset())


def _cost(
    selection_set: SelectionSetNode | None,
    fragments: Mapping[str, FragmentDefinitionNode],
    variables: Mapping[str, Any],
    spreading: frozenset[str],
) -> int:
    if selection_set is None:
        return 0
    total = 0
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            children = _cost(selection.selection_set, fragments, variables, spreading)
            total += 1 + _page_size(selection, variables) * children
        elif isinstance(selection, InlineFragmentNode):
            total += _cost(selection.selection_set, fragments, variables, spreading)
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            fragment = fragments.get(name)
            if fragment is not None and name not in spreading:
                total += _cost(fragment.selection_set, fragments, variables, spreading | {name})
    return total


def _page_size(field: FieldNode, variables: Mapping[str, Any]) -> int:
    first = next((a for a in field.arguments or () if a.name.value == "first"), None)
    if first is None:
        selects_edges = field.selection_set is not None and any(
            isinstance(s, FieldNode) and s.name.value == "edges"
            for s in field.selection_set.selections
        )
        return DEFAULT_PAGE_SIZE if selects_edges else 1
    value: Any = None
    if isinstance(first.value, IntValueNode):
        value = int(first.value.value)
    elif isinstance(first.value, VariableNode):
        value = variables.get(first.value.name.value, DEFAULT_PAGE_SIZE)
    if not isinstance(value, int) or not 0 <= value <= MAX_PAGE_SIZE:
        return MAX_PAGE_SIZE
    return value


class QueryCostLimiter(SchemaExtension):
    """Refuses, before executing anything, an operation whose cost exceeds `max_cost`."""

    def __init__(self, max_cost: int) -> None:
        self.max_cost = max_cost

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        if context.graphql_document is not None:
            cost = query_cost(
                context.graphql_document, context.operation_name, context.variables or {}
            )
            if cost > self.max_cost:
                context.result = ExecutionResult(
                    data=None,
                    errors=[
                        GraphQLError(
                            f"クエリが複雑すぎます（コスト {cost}、上限 {self.max_cost}）。"
                            "取得件数（first）や項目を減らしてください。",
                            extensions={
                                "code": "QUERY_TOO_COMPLEX",
                                "cost": cost,
                                "maxCost": self.max_cost,
                            },
                        )
                    ],
                )
        yield


class ReportingParserCache(ParserCache):
    """Strawberry's parser cache, except that a syntax error is left to Strawberry's own parse.

    Raised from the cache's hook, the error would skip every extension's `on_operation`
    (and so the error codes of `CodedErrors`); parsed again by Strawberry it is reported
    like any other pre-execution error. Only broken documents are parsed twice.
    """

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        try:
            context.graphql_document = self.cached_parse_document(
                context.query, **context.parse_options
            )
        except GraphQLError:
            context.graphql_document = None
        yield
