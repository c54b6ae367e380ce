"""Schema extensions of our own: the limits on what one operation may ask for (expanded size,
depth and aliases in validation, cost before execution, all from one measure that takes each
fragment once); a parser cache whose syntax errors reach clients like any other error; and
errors without suggestions for production.

What validation and the cost find of a document is kept per document object
(`DocumentCache`): the parser cache hands out one document per query text, so a repeated
request finds its answers without hashing the document, which graphql-core's frozen-dataclass
nodes make a walk of the whole tree (as `functools.lru_cache` keyed by it does)."""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from graphql import (
    DocumentNode,
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLArgument,
    GraphQLError,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    NamedTypeNode,
    Node,
    OperationDefinitionNode,
    SelectionSetNode,
    Undefined,
    ValueNode,
    VariableNode,
    get_named_type,
    value_from_ast_untyped,
)
from strawberry.extensions import MaskErrors, ParserCache, SchemaExtension
from strawberry.extensions.utils import is_introspection_key
from strawberry.schema.schema import validate_document

from app.resolvers.paging import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from app.transport import PARSER_CACHE_SIZE

PAGE_SIZE_ARGUMENTS = ("first", "last")
"""The arguments of a connection that size its page: forward and backward."""

T = TypeVar("T")

DOCUMENT_CACHE_SIZE = PARSER_CACHE_SIZE
"""Answers kept per cache: as many as the parser cache keeps documents."""


class DocumentCache(Generic[T]):
    """Answers computed once per document object (or other node of one: the compiled plans
    keep theirs per operation) and key, the least recently used dropped past `maxsize`. An
    entry holds its node, so that its id is not reused while cached."""

    def __init__(self, maxsize: int = DOCUMENT_CACHE_SIZE) -> None:
        self.maxsize = maxsize
        self.hits = 0
        self.misses = 0
        self._entries: OrderedDict[tuple[int, Hashable], tuple[Node, T]] = OrderedDict()

    def get(self, document: Node, key: Hashable, compute: Callable[[], T]) -> T:
        """The answer for `document` and `key`, computed by `compute` the first time."""
        entry_key = (id(document), key)
        entry = self._entries.get(entry_key)
        if entry is not None and entry[0] is document:
            self.hits += 1
            self._entries.move_to_end(entry_key)
            return entry[1]
        self.misses += 1
        answer = compute()
        self._entries[entry_key] = (document, answer)
        if len(self._entries) > self.maxsize:
            self._entries.popitem(last=False)
        return answer


@dataclass(frozen=True, slots=True)
class Measure:
    """What a selection asks for, with its fragments expanded."""

    levels: int = 0
    """Fields on the deepest path; the root field is at depth 0, so the depth is one less."""
    aliases: int = 0
    size: int = 0
    """Field selections."""
    cost: int = 0
    """Every field costs 1; the fields under a page cost its page size times."""

    def __add__(self, other: Measure) -> Measure:
        """Selections side by side: the deeper of the two, and the sum of the rest."""
        return Measure(
            max(self.levels, other.levels),
            self.aliases + other.aliases,
            self.size + other.size,
            self.cost + other.cost,
        )


def fragments_of(document: DocumentNode) -> dict[str, FragmentDefinitionNode]:
    return {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}


def measure(
    operation: OperationDefinitionNode,
    fragments: Mapping[str, FragmentDefinitionNode],
    schema: GraphQLSchema | None = None,
    variables: Mapping[str, Any] | None = None,
) -> Measure:
    """One pass over `operation`, each fragment measured once and reused at every spread.

    Page sizes are read as the executor will take them (see `_Measurer.argument`); without a
    schema the arguments' defaults are unknown and count as the connection default.
    """
    defaults = {
        d.variable.name.value: value_from_ast_untyped(d.default_value)
        for d in operation.variable_definitions or ()
        if d.default_value is not None
    }
    root = schema.get_root_type(operation.operation) if schema else None
    return _Measurer(fragments, schema, {**defaults, **(variables or {})}).selections(
        operation.selection_set, root
    )


class _Measurer:
    def __init__(
        self,
        fragments: Mapping[str, FragmentDefinitionNode],
        schema: GraphQLSchema | None,
        variables: Mapping[str, Any],
    ) -> None:
        self.fragments = fragments
        self.schema = schema
        self.variables = variables
        self.measured: dict[str, Measure] = {}
        self.open: set[str] = set()

    def selections(
        self, selection_set: SelectionSetNode, parent: GraphQLNamedType | None
    ) -> Measure:
        total = Measure()
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total += self.field(selection, parent)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                total += self.selections(
                    selection.selection_set, self.named_type(condition) if condition else parent
                )
            elif isinstance(selection, FragmentSpreadNode):
                total += self.fragment(selection.name.value)
        return total

    def fragment(self, name: str) -> Measure:
        found = self.measured.get(name)
        if found is not None:
            return found
        fragment = self.fragments.get(name)
        if fragment is None or name in self.open:
            # Unknown and cyclic spreads add nothing: graphql-core's rules refuse them.
            return Measure()
        self.open.add(name)
        found = self.selections(fragment.selection_set, self.named_type(fragment.type_condition))
        self.open.discard(name)
        self.measured[name] = found
        return found

    def field(self, field: FieldNode, parent: GraphQLNamedType | None) -> Measure:
        alias = 1 if field.alias else 0
        if field.selection_set is None:
            return Measure(levels=1, aliases=alias, size=1, cost=1)
        definition = None
        if isinstance(parent, (GraphQLObjectType, GraphQLInterfaceType)):
            definition = parent.fields.get(field.name.value)
        children = self.selections(
            field.selection_set, get_named_type(definition.type) if definition else None
        )
        return Measure(
            # Introspection may nest deeper than any data, as Strawberry's depth limiter allows.
            levels=1 if is_introspection_key(field.name.value) else 1 + children.levels,
            aliases=alias + children.aliases,
            size=1 + children.size,
            cost=1 + self.page_size(field, definition) * children.cost,
        )

    def page_size(self, field: FieldNode, definition: GraphQLField | None) -> int:
        """A field is a page when it takes `first` or `last` or selects `edges`, as every
        connection of this schema does. Its size is the `first` or `last` given (the larger when
        both are, which the resolvers refuse), the connection's default when neither is; a
        value that is not a valid size counts as the largest page."""
        given = {
            argument.name.value: argument.value
            for argument in field.arguments or ()
            if argument.name.value in PAGE_SIZE_ARGUMENTS
        }
        selects_edges = field.selection_set is not None and any(
            isinstance(s, FieldNode) and s.name.value == "edges"
            for s in field.selection_set.selections
        )
        if not given and not selects_edges:
            return 1
        sizes = [self.argument(name, given.get(name), definition) for name in PAGE_SIZE_ARGUMENTS]
        chosen = [size for size in sizes if size is not None]
        valid = [
            size
            for size in chosen
            if isinstance(size, int) and not isinstance(size, bool) and 0 <= size <= MAX_PAGE_SIZE
        ]
        if len(valid) < len(chosen):
            return MAX_PAGE_SIZE
        return max(valid, default=DEFAULT_PAGE_SIZE)

    def argument(
        self, name: str, given: ValueNode | None, definition: GraphQLField | None
    ) -> object:
        """An argument as the executor will take it: as written or sent, else the variable's
        default, else the argument's default in the schema; None when it has none (or null)."""
        if given is not None:
            if not isinstance(given, VariableNode):
                return value_from_ast_untyped(given)
            if given.name.value in self.variables:
                return self.variables[given.name.value]
        argument = definition.args.get(name) if definition else None
        default = _default(argument) if argument else Undefined
        return None if default is Undefined else default

    def named_type(self, condition: NamedTypeNode) -> GraphQLNamedType | None:
        return self.schema.get_type(condition.name.value) if self.schema else None


def _default(argument: GraphQLArgument) -> object:
    """An argument's default in either of graphql-core 3.3's forms (Undefined when none): the
    `default` of an SDL schema, or the legacy `default_value` that Strawberry sets."""
    if argument.default is not None:
        literal = argument.default.literal
        return argument.default.value if literal is None else value_from_ast_untyped(literal)
    return argument.default_value


def query_cost(
    document: DocumentNode,
    operation_name: str | None,
    variables: Mapping[str, Any],
    schema: GraphQLSchema | None = None,
) -> int:
    """The cost of the operation that will run (see `Measure.cost`); 0 when there is none."""
    chosen = [
        d
        for d in document.definitions
        if isinstance(d, OperationDefinitionNode)
        and (operation_name is None or (d.name is not None and d.name.value == operation_name))
    ]
    if not chosen:
        return 0
    return measure(chosen[0], fragments_of(document), schema, variables).cost


def page_size_variables(document: DocumentNode) -> tuple[str, ...]:
    """The variables given anywhere in `document` as a `first` or `last`: the only ones a
    cost reads (`_Measurer.argument`)."""
    found: set[str] = set()
    pending: list[Any] = list(document.definitions)
    while pending:
        node = pending.pop()
        if isinstance(node, FieldNode):
            for argument in node.arguments or ():
                if argument.name.value in PAGE_SIZE_ARGUMENTS and isinstance(
                    argument.value, VariableNode
                ):
                    found.add(argument.value.name.value)
        selection_set = getattr(node, "selection_set", None)
        if selection_set is not None:
            pending.extend(selection_set.selections)
    return tuple(sorted(found))


_PAGE_SIZE_VARIABLES: DocumentCache[tuple[str, ...]] = DocumentCache()
_COSTS: DocumentCache[int] = DocumentCache()


def cached_query_cost(
    document: DocumentNode,
    operation_name: str | None,
    variables: Mapping[str, Any],
    schema: GraphQLSchema | None = None,
) -> int:
    """`query_cost`, kept per document, operation and values of its page-size variables."""
    names = _PAGE_SIZE_VARIABLES.get(document, None, lambda: page_size_variables(document))
    # Each value with its type: `True` and `1.0` equal `1`, but are no page size.
    sizes = tuple((type(value), value) for value in (variables.get(n, Undefined) for n in names))
    key = (operation_name, schema, sizes)
    try:
        hash(key)
    except TypeError:  # a list or an object sent as a page size: refused later, not kept
        return query_cost(document, operation_name, variables, schema)
    return _COSTS.get(
        document, key, lambda: query_cost(document, operation_name, variables, schema)
    )


@dataclass(frozen=True, slots=True)
class QueryLimits:
    max_size: int
    max_depth: int
    max_aliases: int
    max_overlap_pairs: int = 2000
    """graphql-core's `OverlappingFieldsCanBeMergedRule` compares every two fields of one
    response name in a selection (and, merged, in their sub-selections): quadratic in the
    repetitions. 2,000 pairs take it about 20 ms; a legitimate document has a few dozen."""


def limit_errors(document: DocumentNode, limits: QueryLimits) -> list[GraphQLError]:
    """What each operation of `document` asks beyond `limits`, found in time linear in the
    document (each fragment measured once, the pairs counted only within the size allowed),
    so that it can be refused before any rule of graphql-core runs."""
    fragments = fragments_of(document)
    errors: list[GraphQLError] = []
    for operation in document.definitions:
        if not isinstance(operation, OperationDefinitionNode):
            continue
        try:
            errors += _operation_errors(operation, fragments, limits)
        except RecursionError:
            # Fragments spreading fragments past Python's stack: far past any limit.
            errors.append(_too_complex(operation, "フラグメントの入れ子が深すぎます。", {}))
    return errors


def _operation_errors(
    operation: OperationDefinitionNode,
    fragments: Mapping[str, FragmentDefinitionNode],
    limits: QueryLimits,
) -> list[GraphQLError]:
    errors: list[GraphQLError] = []
    measured = measure(operation, fragments)
    if measured.size > limits.max_size:
        return [
            _too_complex(
                operation,
                f"クエリが大きすぎます（フラグメントを展開した項目数 {measured.size}、"
                f"上限 {limits.max_size}）。項目やフラグメントの繰り返しを減らしてください。",
                {"size": measured.size, "maxSize": limits.max_size},
            )
        ]
    pairs = overlap_pairs([operation.selection_set], fragments, limits.max_overlap_pairs)
    if pairs > limits.max_overlap_pairs:
        errors.append(
            _too_complex(
                operation,
                "同じ項目が繰り返し選択されすぎています。重複する項目を一度にまとめてください。",
                {"overlapPairs": pairs, "maxOverlapPairs": limits.max_overlap_pairs},
            )
        )
    if measured.levels - 1 > limits.max_depth:
        name = operation.name.value if operation.name else "anonymous"
        errors.append(
            GraphQLError(
                f"'{name}' exceeds maximum operation depth of {limits.max_depth}", operation
            )
        )
    if measured.aliases > limits.max_aliases:
        errors.append(
            GraphQLError(
                f"{measured.aliases} aliases found. Allowed: {limits.max_aliases}", operation
            )
        )
    return errors


def _too_complex(
    node: OperationDefinitionNode, message: str, details: dict[str, int]
) -> GraphQLError:
    return GraphQLError(message, node, extensions={"code": "QUERY_TOO_COMPLEX", **details})


def overlap_pairs(
    selection_sets: list[SelectionSetNode],
    fragments: Mapping[str, FragmentDefinitionNode],
    budget: int,
    spreading: frozenset[str] = frozenset(),
) -> int:
    """How many pairs of fields of one response name graphql-core compares in these selections
    merged (as they are when it compares their parents), with their sub-selections likewise;
    counting stops once past `budget`. Every field is visited once per level it is merged at,
    which the size limit already bounds."""
    children: dict[str, list[SelectionSetNode]] = {}
    counts: dict[str, int] = {}
    # graphql-core takes each fragment once per selection, and compares two fragments once.
    spread: set[str] = set()

    def collect(selection_set: SelectionSetNode, spreading: frozenset[str]) -> None:
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                key = (selection.alias or selection.name).value
                counts[key] = counts.get(key, 0) + 1
                if selection.selection_set is not None:
                    children.setdefault(key, []).append(selection.selection_set)
            elif isinstance(selection, InlineFragmentNode):
                collect(selection.selection_set, spreading)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = fragments.get(name)
                if fragment is not None and name not in spreading and name not in spread:
                    spread.add(name)
                    collect(fragment.selection_set, spreading | {name})

    for selection_set in selection_sets:
        collect(selection_set, spreading)
    total = sum(count * (count - 1) // 2 for count in counts.values())
    for merged in children.values():
        if total > budget:
            break
        total += overlap_pairs(merged, fragments, budget - total, spreading)
    return total


LIMIT_ERRORS: DocumentCache[tuple[GraphQLError, ...]] = DocumentCache()
VALIDATION_ERRORS: DocumentCache[list[GraphQLError]] = DocumentCache()


class LimitedValidationCache(SchemaExtension):
    """Validation kept per document (as Strawberry's `ValidationCache` keeps it, without
    hashing the document), with `limit_errors` first: a document over the limits is refused
    with those errors alone, before graphql-core's rules (some of which take time quadratic in
    repeated fields) ever see it. The errors of a document are shared by its requests."""

    def __init__(self, limits: QueryLimits) -> None:
        self.limits = limits

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if document is None:  # never parsed: Strawberry answers with the syntax error
            yield
            return
        schema = context.schema._schema
        rules = context.validation_rules
        limits = self.limits
        errors = LIMIT_ERRORS.get(document, limits, lambda: tuple(limit_errors(document, limits)))
        if errors:
            context.pre_execution_errors = list(errors)
        else:
            context.pre_execution_errors = VALIDATION_ERRORS.get(
                document, (schema, rules), lambda: validate_document(schema, document, rules)
            )
        yield


class QueryCostLimiter(SchemaExtension):
    """Refuses, before executing anything, an operation whose cost exceeds `max_cost`; tells
    every answer its cost in `extensions.cost`, as Shopify does: `requested`, the cost measured
    before execution (0 when the operation was refused before, by its syntax, validation or
    size), and `limit`, the most one operation may cost."""

    def __init__(self, max_cost: int) -> None:
        self.max_cost = max_cost
        self.requested = 0

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        if context.graphql_document is not None:
            cost = cached_query_cost(
                context.graphql_document,
                context.operation_name,
                context.variables or {},
                context.schema._schema,
            )
            self.requested = cost
            if cost > self.max_cost:
                context.result = ExecutionResult(
                    data=None,
                    errors=[
                        GraphQLError(
                            f"クエリが複雑すぎます（コスト {cost}、上限 {self.max_cost}）。"
                            "取得件数（first・last）や項目を減らしてください。",
                            extensions={
                                "code": "QUERY_TOO_COMPLEX",
                                "cost": cost,
                                "maxCost": self.max_cost,
                            },
                        )
                    ],
                )
        yield

    def get_results(self) -> dict[str, Any]:
        return {"cost": cost_extension(self.requested, self.max_cost)}


def cost_extension(requested: int, limit: int) -> dict[str, int]:
    """The `extensions.cost` of an answer."""
    return {"requested": requested, "limit": limit}


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


SUGGESTION = re.compile(r" Did you mean [^?]*\?")
"""graphql-core's `did_you_mean`: " Did you mean 'a', 'b', or 'c'?", the names quoted."""


class HiddenSuggestions(MaskErrors):
    """Every error without its "Did you mean …?", which names the schema's fields, arguments,
    types, enum values and input fields nearest to what the client wrote: for production,
    where introspection is off too."""

    def _process_errors(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        return [_without_suggestion(error) for error in errors]


def _without_suggestion(error: GraphQLError) -> GraphQLError:
    message = SUGGESTION.sub("", error.message)
    if message == error.message:
        return error
    # A copy: validation errors are cached and shared by every request of their document.
    return GraphQLError(
        message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        original_error=error.original_error,
        extensions=error.extensions,
    )
