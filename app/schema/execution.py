"""Compiled execution: each operation the service has run before is planned once, and the plan
runs without graphql-core's general executor, with the same results.

graphql-core executes every field the same general way: it looks the field up, builds a
`GraphQLResolveInfo` (and Strawberry its `Info`), coerces the arguments, calls the resolver
through Strawberry's wrapper, checks for an awaitable, and walks the return type through
`complete_value`'s chain of type tests — about 1,300 times for a page of 50 applications. Most of
those fields are plain attribute reads. A plan (`FieldPlan`, `ObjectPlan`) is made the first time
an operation runs, per selection and runtime type, and kept for the next runs of the same
document (the parser cache hands back the same document for the same text, so the operation node
is the key), per value of the variables that `@skip`/`@include` read:

- a field whose Strawberry definition has no resolver is read with Strawberry's default resolver
  (`getattr`), with no info, no arguments and no path unless it fails;
- `__typename` is the parent type's name;
- a relay `Node`'s `id` is encoded at once (the type name and the id, base64), as Strawberry's
  resolver and the `ID` scalar encode it, where the node's class keeps Strawberry's
  `resolve_id` and `resolve_typename` and its id attribute holds an int or a str;
- a field with a resolver gets its info and arguments as graphql-core gives them
  (`build_resolve_info`, `get_argument_values`) and is called through Strawberry's wrapper;
- the return type is known in advance: a leaf is coerced at once, an object's fields are run from
  its plan, a list is completed item by item; awaitables of one object are awaited together.

Whatever the plan does not cover is left to graphql-core's own methods, so its behaviour is kept
by construction: errors go through `handle_field_error` (the same located errors and null
propagation), abstract types, `is_type_of` functions that are not Strawberry's, iterables that
are no list or tuple, and async iterables through `complete_value`. Whole operations fall back to
graphql-core when they are mutations (run serially), when a middleware or an abort signal is in
play, or when their fragments take variables.

`EXECUTION=compare` (the test suite's setting) runs every compiled operation through graphql-core
too, after the plan, on the same data, and records any difference in data or errors in
`MISMATCHES` (and the log); the client gets the compiled answer. The second run has loaders of its
own (`Context.for_reference_run`) and its SQL is left out of Tortoise's query log
(`install_shadow_filter`), so tests that count statements see the compiled run alone.
"""

from __future__ import annotations

import asyncio
import base64
import contextvars
import datetime as dt
import enum
import json
import logging
import weakref
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine, Iterable
from copy import copy
from decimal import Decimal
from functools import partial
from typing import Any, TypeVar

from graphql import (
    ExecutionResult,
    FieldNode,
    GraphQLBoolean,
    GraphQLEnumType,
    GraphQLError,
    GraphQLField,
    GraphQLID,
    GraphQLLeafType,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLResolveInfoHelpers,
    GraphQLString,
    OperationDefinitionNode,
    OperationType,
    is_leaf_type,
    is_list_type,
    is_non_null_type,
    is_object_type,
)
from graphql.execution.collect_fields import (
    FieldDetails,
    collect_fields,
    collect_subfields,
)
from graphql.execution.executor import Executor, invalid_return_type_error
from graphql.execution.values import get_argument_values
from graphql.language import BooleanValueNode, VariableNode
from graphql.pyutils import Path, RefMap, Undefined, inspect
from graphql.type.introspection import TypeNameMetaFieldDef
from strawberry.relay import Node
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from app.schema.extensions import DocumentCache
from app.settings import ExecutionMode

PLAN_CACHE_SIZE = 512
"""Operations kept planned, as many as the parser cache keeps parsed (`app.transport`)."""

MISMATCHES: list[dict[str, Any]] = []
"""What `EXECUTION=compare` found different between graphql-core and the plan, in order."""

RUNS: dict[str, int] = {"compiled": 0, "graphql-core": 0}
"""Operations run by a plan and by graphql-core's executor in this process, for tests and
profiling (a mutation runs by graphql-core; a planned operation in `compare` counts as both)."""

logger = logging.getLogger("app.execution")

T = TypeVar("T")

_shadow = contextvars.ContextVar("shadow_execution", default=False)

FieldGroup = list[FieldDetails]

_LEAF, _OBJECT, _LIST, _NON_NULL, _OTHER = range(5)
_STRAWBERRY_IS_TYPE_OF = "GraphQLCoreConverter.from_object.<locals>._get_is_type_of.<locals>."


class Shape:
    """A return type taken apart once: what completing a value of it takes."""

    __slots__ = ("inner", "kind", "type")

    def __init__(self, type_: GraphQLOutputType) -> None:
        self.type = type_
        self.inner: Shape | None = None
        if is_non_null_type(type_):
            self.kind = _NON_NULL
            self.inner = Shape(type_.of_type)
        elif is_list_type(type_):
            self.kind = _LIST
            self.inner = Shape(type_.of_type)
        elif is_leaf_type(type_):
            self.kind = _LEAF
        elif is_object_type(type_) and _is_type_of_is_plain(type_):
            self.kind = _OBJECT
        else:  # interfaces, unions, objects with their own `is_type_of`
            self.kind = _OTHER


def _plain_resolver(executor: Executor[Any], definition: Any) -> bool:
    """True for a Strawberry field with a resolver that takes no arguments and has no field
    extensions (permission classes are some) and no exception handlers."""
    if definition is None or definition.base_resolver is None or definition.extensions:
        return False
    if definition.arguments or not callable(definition.base_resolver.wrapped_func):
        return False
    strawberry_schema = getattr(executor.schema, "_strawberry_schema", None)
    if strawberry_schema is None:
        return False
    converter = strawberry_schema.schema_converter
    return not converter._get_field_exception_handlers(definition)


def _is_type_of_is_plain(object_type: GraphQLObjectType) -> bool:
    """True when the type has no `is_type_of`, or Strawberry's, which does not read the info."""
    check = object_type.is_type_of
    return check is None or getattr(check, "__qualname__", "").startswith(_STRAWBERRY_IS_TYPE_OF)


_PLAIN_TYPES = frozenset({str, int, float, bool, Decimal, dt.datetime, dt.date, dt.time})
"""Exact types of values that are neither awaitable nor an exception: a leaf read as one is
coerced at once, without graphql-core's checks for either."""


class FastLeaf:
    """How a basic leaf field's value is completed when its exact type is known in advance:
    as it is (a `str` for `String` and `ID`, a `bool` for `Boolean`, `None` where the field is
    nullable), by its name (a member of a Strawberry enum), or coerced by the leaf type
    (`plain`: a scalar's own serializer, whose result is still checked as graphql-core checks
    it). Any other value takes the general way (`CompiledExecutor._read_leaf`)."""

    __slots__ = ("enum", "names", "plain", "same")

    def __init__(self, leaf: GraphQLLeafType, nullable: bool) -> None:
        same: set[type] = {type(None)} if nullable else set()
        if leaf is GraphQLString or leaf is GraphQLID:
            same.add(str)
        elif leaf is GraphQLBoolean:
            same.add(bool)
        self.same = frozenset(same)
        self.enum: type | None = None
        self.names: dict[Any, str] = {}
        wrapped = getattr(leaf, "wrapped_cls", None)
        if (
            isinstance(leaf, GraphQLEnumType)
            and isinstance(wrapped, type)
            and issubclass(wrapped, enum.Enum)
        ):
            # What the enum's own coercion answers for each member, asked once.
            self.enum = wrapped
            self.names = {member: leaf.coerce_output_value(member) for member in wrapped}
        self.plain = _PLAIN_TYPES - self.same


_NODE_ID = Node.__dict__["_id"].__func__
"""Strawberry's resolver of `Node.id`: `GlobalID(type name, str(resolve_id(root)))`."""
_DEFAULT_RESOLVE_ID = Node.__dict__["resolve_id"].__func__
_DEFAULT_RESOLVE_TYPENAME = Node.__dict__["resolve_typename"].__func__


def _is_node_id(definition: Any, leaf: GraphQLLeafType | None) -> bool:
    """True for the `id` field every `relay.Node` inherits, serialized as an `ID`."""
    resolver = getattr(definition, "base_resolver", None)
    wrapped = getattr(resolver, "wrapped_func", None)
    return getattr(wrapped, "__func__", None) is _NODE_ID and leaf is GraphQLID


def _default_id_attribute(node_class: type) -> str | None:
    """The attribute `Node.id` of `node_class` reads, when the class keeps Strawberry's own
    `resolve_id` and `resolve_typename`; None otherwise."""
    if not issubclass(node_class, Node):
        return None
    resolve_id = getattr(node_class.resolve_id, "__func__", None)
    resolve_typename = getattr(node_class.resolve_typename, "__func__", None)
    if resolve_id is not _DEFAULT_RESOLVE_ID or resolve_typename is not _DEFAULT_RESOLVE_TYPENAME:
        return None
    try:
        return node_class.resolve_id_attr()
    except Exception:  # no `NodeID`, or several: Strawberry's resolver reports it
        return None


class FieldPlan:
    """One response key of a selection on one object type."""

    __slots__ = (
        "attr",
        "call",
        "call_with_self",
        "default_resolver",
        "definition",
        "fast",
        "field_def",
        "group",
        "has_args",
        "id_attributes",
        "info_class",
        "info_name",
        "key",
        "leaf",
        "name",
        "node_id",
        "nodes",
        "non_null_leaf",
        "parent_name",
        "parent_type",
        "resolve",
        "root_names",
        "shape",
        "subplans",
        "typename",
    )

    def __init__(
        self,
        executor: Executor[Any],
        parent_type: GraphQLObjectType,
        key: str,
        group: FieldGroup,
        field_def: GraphQLField,
    ) -> None:
        node = group[0].node
        self.key = key
        self.name = node.name.value
        self.group = group
        self.nodes: list[FieldNode] = [details.node for details in group]
        self.field_def = field_def
        self.parent_type = parent_type
        self.parent_name = parent_type.name
        self.has_args = bool(field_def.args or node.arguments)
        self.shape = Shape(field_def.type)
        self.subplans: dict[GraphQLObjectType, ObjectPlan] = {}
        self.typename = parent_type.name if field_def is TypeNameMetaFieldDef else None
        resolve = field_def.resolve or executor.field_resolver
        self.resolve = resolve
        self.attr: str | None = None
        self.default_resolver: Any = None
        definition = field_def.extensions.get("strawberry-definition")
        self.definition = definition
        if getattr(resolve, "_is_default", False) and definition is not None:
            # Strawberry's basic field: `field.get_result(source, None, [], {})`, that is
            self.attr = definition.python_name
            self.default_resolver = definition.default_resolver
        self.call: Any = None
        if not self.has_args and _plain_resolver(executor, definition):
            # What Strawberry's wrapper does for a resolver without arguments or extensions:
            # the source as `self`, `root` or `parent`, the info as Strawberry's `Info`.
            assert definition is not None
            resolver = definition.base_resolver
            self.call = resolver.wrapped_func
            self.call_with_self = resolver.self_parameter is not None
            self.root_names = tuple(
                parameter.name
                for parameter in (resolver.parent_parameter, resolver.root_parameter)
                if parameter is not None
            )
            info = resolver.info_parameter
            self.info_name = info.name if info is not None else None
            self.info_class = executor.schema._strawberry_schema.config.info_class  # type: ignore[attr-defined]
        shape = self.shape
        self.non_null_leaf = shape.kind == _NON_NULL and shape.inner.kind == _LEAF  # type: ignore[union-attr]
        self.leaf: GraphQLLeafType | None = None
        if shape.kind == _LEAF:
            self.leaf = shape.type  # type: ignore[assignment]
        elif self.non_null_leaf:
            self.leaf = shape.inner.type  # type: ignore[union-attr, assignment]
        self.fast: FastLeaf | None = None
        if self.attr is not None and self.leaf is not None:
            self.fast = FastLeaf(self.leaf, nullable=not self.non_null_leaf)
        self.node_id = _is_node_id(definition, self.leaf)
        self.id_attributes: dict[type, str | None] = {}
        """Per class of the sources met, the attribute its `id` reads (`_default_id_attribute`)."""


class ObjectPlan:
    """The fields to produce for one object type under one selection."""

    __slots__ = ("fields", "type")

    def __init__(self, object_type: GraphQLObjectType, fields: list[FieldPlan]) -> None:
        self.type = object_type
        self.fields = fields


class _Operation:
    """The plans made for one operation, per value of its condition variables."""

    __slots__ = ("conditions", "plans")

    def __init__(self, conditions: tuple[str, ...]) -> None:
        self.conditions = conditions
        self.plans: dict[tuple[Any, ...], ObjectPlan] = {}


_OPERATIONS: DocumentCache[_Operation | None] = DocumentCache(PLAN_CACHE_SIZE)
"""Per operation node, schema and `hide_suggestions`: its plans, or None when not planned."""


def weakly(method: Callable[..., T]) -> Callable[..., T]:
    """`method`, called through a weak reference to its object: what holds the result does not
    keep the object alive (no reference cycle through its own bound method)."""
    reference = weakref.WeakMethod(method)
    name = method.__qualname__  # not `method`: holding it would hold the object

    def call(*args: Any, **kwargs: Any) -> T:
        bound = reference()
        assert bound is not None, f"{name} called after its object was freed"
        return bound(*args, **kwargs)

    return call


class EventExecutor(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's executor, with the memo of each subscription event its own.

    graphql-core makes an event's executor a shallow copy of its subscription's
    (`build_per_event_executor`), sharing the memo of collected subfields, which is keyed by
    the identity of field lists each execution builds anew and holds them to keep that
    identity: every event it executed left its entries there (about 90 objects a delivery in
    tests/test_request_lifetime.py), kept until the subscription ended. A dashboard open all
    day grew with every delivery, and the collector scanned it all."""

    def build_per_event_executor(self, payload: Any) -> Executor[Any]:
        executor = super().build_per_event_executor(payload)
        executor._relevant_sub_fields = {}
        executor._stream_usages = RefMap()
        return executor


class CompiledExecutor(EventExecutor):
    """Strawberry's executor, running the plans of known operations (see the module)."""

    compare = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # graphql-core gives the resolvers its own bound methods (`info.async_helpers`): a
        # cycle that kept every request's executor, and with it the request, context, viewer
        # and rows, for the garbage collector, whose pauses grow with what it has to free.
        # Executing holds the executor, so the helpers find it whenever they are called.
        self.async_helpers = GraphQLResolveInfoHelpers(
            gather=weakly(self.gather_async_work), track=weakly(self.track_async_work)
        )

    def execute_operation(self, serially: bool | None = None) -> Any:
        plan = self._root_plan(serially)
        if plan is None:
            RUNS["graphql-core"] += 1
            return super().execute_operation(serially)
        RUNS["compiled"] += 1
        if self.compare:
            return self._compare(serially, plan)
        return self._execute_plan(plan)

    # --- Plans ---------------------------------------------------------------------------------

    def _root_plan(self, serially: bool | None) -> ObjectPlan | None:
        operation = self.operation
        kind = operation.operation
        if (
            serially
            or kind is OperationType.MUTATION
            or self.abort_signal is not None
            or self.hooks is not None
            or (self.middleware_manager is not None and self.middleware_manager.middlewares)
        ):
            return None
        known = _OPERATIONS.get(
            operation,
            (self.schema, self.hide_suggestions),
            lambda: _plannable(operation, self.fragment_definitions),
        )
        if known is None:
            return None
        coerced = self.variable_values.coerced
        signature = tuple(coerced.get(name) for name in known.conditions)
        plan = known.plans.get(signature)
        if plan is None:
            root_type = self.schema.get_root_type(kind)
            if root_type is None:
                return None
            try:
                grouped, _defers, _forbidden = collect_fields(
                    self.schema,
                    self.fragments,
                    self.variable_values,
                    root_type,
                    operation,
                    self.hide_suggestions,
                )
            except RecursionError:
                return None  # graphql-core reports it
            plan = self._object_plan(root_type, grouped.items())
            known.plans[signature] = plan
        return plan

    def _object_plan(
        self, object_type: GraphQLObjectType, groups: Iterable[tuple[str, FieldGroup]]
    ) -> ObjectPlan:
        fields = []
        for key, group in groups:
            field_def = self.schema.get_field(object_type, group[0].node.name.value)
            if field_def is not None:
                fields.append(FieldPlan(self, object_type, key, group, field_def))
        return ObjectPlan(object_type, fields)

    def _subplan(self, field: FieldPlan, object_type: GraphQLObjectType) -> ObjectPlan:
        plan = field.subplans.get(object_type)
        if plan is None:
            grouped, _defers, _forbidden = collect_subfields(
                self.schema,
                self.fragments,
                self.variable_values,
                self.operation,
                object_type,
                field.group,
                self.hide_suggestions,
            )
            plan = field.subplans[object_type] = self._object_plan(object_type, grouped.items())
        return plan

    # --- Running a plan ------------------------------------------------------------------------

    def _execute_plan(self, plan: ObjectPlan) -> Any:
        """`execute_operation` with the plan in place of graphql-core's collected fields."""
        try:
            data = self._run_object(plan, self.root_value, None)
            if self.is_awaitable(data):

                async def await_data() -> ExecutionResult:
                    try:
                        awaited = await data
                    except GraphQLError as error:
                        self.collected_errors.add(error, None)
                        return self.build_response(None)  # type: ignore[return-value]
                    except Exception:
                        await self.cancel_incremental_work()
                        self.run_async_work_finished_hook()
                        raise
                    return self.build_response(awaited)  # type: ignore[return-value]

                return await_data()
        except GraphQLError as error:
            self.collected_errors.add(error, None)
            return self.finish(self.build_response(None))
        return self.finish(self.build_response(data))

    def _run_object(self, plan: ObjectPlan, source: Any, path: Path | None) -> Any:
        """The object's fields (`execute_fields`): a dict, or an awaitable of it."""
        results: dict[str, Any] = {}
        is_awaitable = self.is_awaitable
        waiting: list[str] = []
        try:
            for field in plan.fields:
                fast = field.fast
                if fast is not None:
                    try:
                        result = field.default_resolver(source, field.attr)
                    except Exception as raw_error:
                        self._leaf_error(field, path, raw_error)
                        results[field.key] = None
                        continue
                    kind = type(result)
                    if kind in fast.same:
                        results[field.key] = result
                        continue
                    if kind is fast.enum:
                        results[field.key] = fast.names[result]
                        continue
                    if kind in fast.plain:
                        value = self._coerce_leaf(field, path, result)
                    else:
                        value = self._read_leaf(field, path, result)
                else:
                    if field.node_id:
                        global_id = _global_id(field, source)
                        if global_id is not None:
                            results[field.key] = global_id
                            continue
                    field_path = Path(path, field.key, field.parent_name)
                    value = self._run_field(field, source, field_path)
                results[field.key] = value
                if is_awaitable(value):
                    waiting.append(field.key)
        except Exception:
            if waiting:
                self.settle_in_background([results[key] for key in waiting])
            raise
        if not waiting:
            return results

        async def gather() -> dict[str, Any]:
            if len(waiting) == 1:
                results[waiting[0]] = await results[waiting[0]]
            else:
                values = await _together([results[key] for key in waiting])
                results.update(zip(waiting, values, strict=True))
            return results

        return gather()

    def _coerce_leaf(self, field: FieldPlan, path: Path | None, result: Any) -> Any:
        """A basic leaf's value of a plain type (`FastLeaf.plain`), coerced."""
        try:
            return _coerce(field.leaf, result)  # type: ignore[arg-type]
        except Exception as raw_error:
            self._leaf_error(field, path, raw_error)
            return None

    def _leaf_error(self, field: FieldPlan, path: Path | None, raw_error: Exception) -> None:
        self.handle_field_error(
            raw_error, field.field_def.type, field.group, Path(path, field.key, field.parent_name)
        )

    def _read_leaf(self, field: FieldPlan, path: Path | None, result: Any) -> Any:
        """A basic field of a leaf type, read as `result`: completed, and located only when it
        fails."""
        try:
            if self.is_awaitable(result):
                field_path = Path(path, field.key, field.parent_name)
                return self._complete_awaitable(field, field.shape, field_path, result)
            if isinstance(result, Exception):
                raise result
            if result is None or result is Undefined:
                if field.non_null_leaf:
                    raise TypeError(
                        "Cannot return null for non-nullable field"
                        f" {field.parent_name}.{field.name}."
                    )
                return None
            return _coerce(field.leaf, result)  # type: ignore[arg-type]
        except Exception as raw_error:
            self._leaf_error(field, path, raw_error)
            return None

    def _run_field(self, field: FieldPlan, source: Any, path: Path) -> Any:
        """`execute_field` for one field of the plan."""
        try:
            if field.typename is not None:
                result: Any = field.typename
            elif field.attr is not None:
                result = field.default_resolver(source, field.attr)
            elif field.call is not None:
                kwargs = dict.fromkeys(field.root_names, source)
                if field.info_name is not None:
                    info = self.build_resolve_info(
                        field.field_def, field.nodes, field.parent_type, path
                    )
                    kwargs[field.info_name] = field.info_class(
                        _raw_info=info, _field=field.definition
                    )
                result = (
                    field.call(source, **kwargs) if field.call_with_self else field.call(**kwargs)
                )
            else:
                info = self.build_resolve_info(
                    field.field_def, field.nodes, field.parent_type, path
                )
                details = field.group[0]
                args = (
                    get_argument_values(
                        field.field_def,
                        details.node,
                        self.variable_values,
                        details.fragment_variable_values,
                        self.hide_suggestions,
                    )
                    if field.has_args
                    else {}
                )
                result = field.resolve(source, info, **args)
            if self.is_awaitable(result):
                return self._complete_awaitable(field, field.shape, path, result)
            completed = self._complete(field, field.shape, path, result)
            if self.is_awaitable(completed):
                return self._await_completed(field, path, completed)
        except Exception as raw_error:
            self.handle_field_error(raw_error, field.field_def.type, field.group, path)
            return None
        return completed

    async def _await_completed(
        self, field: FieldPlan, path: Path, completed: Awaitable[Any]
    ) -> Any:
        try:
            return await completed
        except Exception as raw_error:
            self.handle_field_error(raw_error, field.field_def.type, field.group, path)
            return None

    async def _complete_awaitable(
        self, field: FieldPlan, shape: Shape, path: Path, result: Awaitable[Any]
    ) -> Any:
        """`complete_awaitable_value`."""
        try:
            completed = self._complete(field, shape, path, await result)
            if self.is_awaitable(completed):
                completed = await completed
        except Exception as raw_error:
            self.handle_field_error(raw_error, shape.type, field.group, path)
            return None
        return completed

    def _complete(self, field: FieldPlan, shape: Shape, path: Path, result: Any) -> Any:
        """`complete_value` for a return type taken apart in advance."""
        if isinstance(result, Exception):
            raise result
        kind = shape.kind
        if kind == _NON_NULL:
            completed = self._complete(field, shape.inner, path, result)  # type: ignore[arg-type]
            if completed is None:
                raise TypeError(
                    f"Cannot return null for non-nullable field {field.parent_name}.{field.name}."
                )
            return completed
        if result is None or result is Undefined:
            return None
        if kind == _LEAF:
            return _coerce(shape.type, result)  # type: ignore[arg-type]
        if kind == _OBJECT:
            object_type: GraphQLObjectType = shape.type  # type: ignore[assignment]
            if object_type.is_type_of is not None and not object_type.is_type_of(result, None):  # type: ignore[arg-type]
                raise invalid_return_type_error(object_type, result, field.group)
            return self._run_object(self._subplan(field, object_type), result, path)
        if (
            kind == _LIST
            and isinstance(result, list | tuple)
            and not self.is_async_iterable(result)
        ):
            return self._complete_list(field, shape, path, result)
        return self._complete_generally(field, shape, path, result)

    def _complete_list(
        self, field: FieldPlan, shape: Shape, path: Path, items: list[Any] | tuple[Any, ...]
    ) -> Any:
        """`complete_iterable_value` for a list or tuple (no `@stream` in this schema)."""
        item_shape: Shape = shape.inner  # type: ignore[assignment]
        is_awaitable = self.is_awaitable
        completed: list[Any] = []
        waiting: list[int] = []
        try:
            for index, item in enumerate(items):
                item_path = path.add_key(index, None)
                if is_awaitable(item):
                    completed.append(self._complete_awaitable(field, item_shape, item_path, item))
                    waiting.append(index)
                    continue
                try:
                    value = self._complete(field, item_shape, item_path, item)
                    if is_awaitable(value):
                        value = self._await_item(field, item_shape, item_path, value)
                        waiting.append(index)
                    completed.append(value)
                except Exception as raw_error:
                    self.handle_field_error(raw_error, item_shape.type, field.group, item_path)
                    completed.append(None)
        except Exception:
            if waiting:
                self.settle_in_background([completed[index] for index in waiting])
            raise
        if not waiting:
            return completed

        async def gather() -> list[Any]:
            if len(waiting) == 1:
                completed[waiting[0]] = await completed[waiting[0]]
            else:
                values = await _together([completed[index] for index in waiting])
                for index, value in zip(waiting, values, strict=True):
                    completed[index] = value
            return completed

        return gather()

    async def _await_item(
        self, field: FieldPlan, shape: Shape, path: Path, completed: Awaitable[Any]
    ) -> Any:
        try:
            return await completed
        except Exception as raw_error:
            self.handle_field_error(raw_error, shape.type, field.group, path)
            return None

    def _complete_generally(self, field: FieldPlan, shape: Shape, path: Path, result: Any) -> Any:
        """What the plan leaves to graphql-core, with the info it needs."""
        info = self.build_resolve_info(field.field_def, field.nodes, field.parent_type, path)
        return self.complete_value(shape.type, field.group, info, path, result, None)

    # --- Comparing -----------------------------------------------------------------------------

    def _compare(self, serially: bool | None, plan: ObjectPlan) -> Any:
        reference_executor = copy(self)
        reference_executor.collected_errors = type(self.collected_errors)()
        fresh = getattr(self.context_value, "for_reference_run", None)
        if fresh is not None:
            reference_executor.context_value = fresh()

        async def both() -> Any:
            compiled = self._execute_plan(plan)
            if self.is_awaitable(compiled):
                compiled = await compiled
            token = _shadow.set(True)
            RUNS["graphql-core"] += 1
            try:
                reference = StrawberryGraphQLCoreExecutionContext.execute_operation(
                    reference_executor, serially
                )
                if self.is_awaitable(reference):
                    reference = await reference
            finally:
                _shadow.reset(token)
            _check_same(self.operation, reference, compiled)
            return compiled

        return both()


def _global_id(field: FieldPlan, source: Any) -> str | None:
    """`Node.id` of `source` as Strawberry's resolver and the `ID` scalar make it (the type name
    and the id, base64-encoded) when the node's class reads it from an attribute holding an
    int or a str; None where the general way must answer (its own `resolve_id` or
    `resolve_typename`, an awaitable, None, anything else)."""
    kind = type(source)
    attribute = field.id_attributes.get(kind, Undefined)
    if attribute is Undefined:
        attribute = field.id_attributes[kind] = _default_id_attribute(kind)
    if attribute is None:
        return None
    node_id = getattr(source, attribute, None)  # type: ignore[arg-type]
    if type(node_id) is not int and type(node_id) is not str:
        return None
    return base64.b64encode(f"{field.parent_name}:{node_id}".encode()).decode()


async def _together(awaitables: list[Any]) -> list[Any]:
    """The results of `awaitables` (the plan's own coroutines), run side by side without a task
    each: this coroutine steps each of them until it waits on a future, and steps it again once
    that future is done, as a task would; all of one level's dataloader loads are thus made
    before any batch runs.

    As `gather_with_cancel`: the first exception (a null that propagates) is raised, and the
    others are closed. Each coroutine runs in a copy of the caller's context, as a task would.
    """
    loop = asyncio.get_running_loop()
    count = len(awaitables)
    results: list[Any] = [None] * count
    coroutines: list[Coroutine[Any, Any, Any]] = [
        awaitable if isinstance(awaitable, Coroutine) else _awaited(awaitable)
        for awaitable in awaitables
    ]
    contexts = [contextvars.copy_context() for _ in range(count)]
    finished = [False] * count
    ready: deque[int] = deque(range(count))
    ticked: list[int] = []
    woken: asyncio.Future[None] | None = None
    failure: Exception | None = None
    left = count

    def resume(index: int, _: asyncio.Future[Any]) -> None:
        ready.append(index)
        if woken is not None and not woken.done():
            woken.set_result(None)

    try:
        while left:
            while ready:
                index = ready.popleft()
                try:
                    yielded = contexts[index].run(coroutines[index].send, None)
                except StopIteration as done:
                    results[index] = done.value
                    finished[index] = True
                    left -= 1
                    continue
                except Exception as exc:
                    # Raised once the others have started too: closing a coroutine never
                    # started would leave its resolver's coroutine never awaited.
                    finished[index] = True
                    failure = failure or exc
                    continue
                if yielded is None:  # a bare `yield` (`asyncio.sleep(0)`) asks for a tick
                    ticked.append(index)
                else:
                    yielded._asyncio_future_blocking = False  # as a task does on taking it
                    yielded.add_done_callback(partial(resume, index))
            if failure is not None:
                raise failure
            if not left:
                break
            if ticked:
                await asyncio.sleep(0)
                ready.extend(ticked)
                ticked.clear()
            elif not ready:
                woken = loop.create_future()
                await woken
                woken = None
    except BaseException:
        for index, coroutine in enumerate(coroutines):
            if not finished[index]:
                coroutine.close()
        raise
    return results


async def _awaited(awaitable: Awaitable[Any]) -> Any:
    return await awaitable


def _coerce(leaf: GraphQLLeafType, result: Any) -> Any:
    """`complete_leaf_value`."""
    coerced = leaf.coerce_output_value(result)
    if coerced is Undefined or coerced is None:
        raise TypeError(
            f"Expected `{inspect(leaf)}.coerce_output_value({inspect(result)})` to return"
            f" non-nullable value, returned: {inspect(coerced)}"
        )
    return coerced


def _plannable(operation: OperationDefinitionNode, fragments: dict[str, Any]) -> _Operation | None:
    """The operation's condition variables, or None when fragments take variables (graphql-core's
    experimental fragment arguments, which the plans do not key on)."""
    if any(fragment.variable_definitions for fragment in fragments.values()):
        return None
    conditions: set[str] = set()
    pending: list[Any] = [operation, *fragments.values()]
    while pending:
        node = pending.pop()
        for directive in getattr(node, "directives", None) or ():
            if directive.name.value in ("skip", "include"):
                for argument in directive.arguments:
                    if isinstance(argument.value, VariableNode):
                        conditions.add(argument.value.name.value)
                    elif not isinstance(argument.value, BooleanValueNode):
                        return None
        selection_set = getattr(node, "selection_set", None)
        if selection_set is not None:
            pending.extend(selection_set.selections)
    return _Operation(tuple(sorted(conditions)))


def _check_same(operation: OperationDefinitionNode, reference: Any, compiled: Any) -> None:
    expected = _comparable(reference)
    found = _comparable(compiled)
    if expected != found:
        name = operation.name.value if operation.name else None
        mismatch = {"operation": name, "graphql_core": expected, "compiled": found}
        MISMATCHES.append(mismatch)
        logger.error(
            "compiled execution differs from graphql-core: %s",
            json.dumps(mismatch, ensure_ascii=False, default=repr),
        )


def _comparable(result: Any) -> dict[str, Any]:
    if not isinstance(result, ExecutionResult):
        return {"result": repr(result)}
    return {
        "data": result.data,
        "errors": [error.formatted for error in result.errors or ()],
    }


class ComparingExecutor(CompiledExecutor):
    """`EXECUTION=compare`: every planned operation through graphql-core too (see the module)."""

    compare = True


def executor_class(mode: ExecutionMode) -> type[EventExecutor]:
    """The executor of `EXECUTION=mode`."""
    if mode == "compare":
        install_shadow_filter()
        return ComparingExecutor
    if mode == "compiled":
        return CompiledExecutor
    return EventExecutor


class _NotInShadowRun(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not _shadow.get()


_SHADOW_FILTER = _NotInShadowRun()


def install_shadow_filter() -> None:
    """Leave the reference run's statements out of Tortoise's query log."""
    logging.getLogger("tortoise.db_client").addFilter(_SHADOW_FILTER)


__all__ = [
    "MISMATCHES",
    "ComparingExecutor",
    "CompiledExecutor",
    "executor_class",
]
