"""Compiled execution (`app.schema.execution`) answers exactly as graphql-core does.

The whole suite runs with `EXECUTION=compare` (every query and subscription event both ways,
`same_answers_both_ways` in conftest). Here: a small schema with what the service's own seldom
does — plain attributes holding values of every kind a leaf meets, failing resolvers at every
nullability, async failures in lists, null propagation through lists and objects, interfaces and
unions, enums and scalars that cannot be coerced, `@skip` and `@include` by variables, aliases
and fragments — run by graphql-core and by the plan, twice (planned, then from the cached plan),
compared to the last character of every message, path and location, in order; and the
comparison itself, which must see a difference when there is one.
"""

from __future__ import annotations

import asyncio
import datetime
import enum
from collections.abc import Generator
from decimal import Decimal
from typing import Annotated, Any

import pytest
import strawberry
from strawberry import relay

from app.schema import execution
from app.schema.execution import ComparingExecutor, CompiledExecutor
from tests.conftest import GraphQLClient, Server


@strawberry.enum
class Colour(enum.Enum):
    RED = "red"
    BLUE = "blue"


@strawberry.interface
class Named:
    name: str


@strawberry.type
class Person(Named):
    age: int


@strawberry.type
class Company(Named):
    employees: int | None


Party = Annotated[Person | Company, strawberry.union("Party")]


class NotOnOddItems(strawberry.BasePermission):
    message = "奇数の品目は見られません。"

    def has_permission(self, source: Any, info: strawberry.Info, **kwargs: Any) -> bool:
        return bool(source.id % 2 == 0)


@strawberry.type
class Item:
    id: int
    label: str | None
    colour: Colour
    raw_colour: str = "red"

    @strawberry.field
    async def slow(self) -> str:
        await asyncio.sleep(0)
        return f"slow-{self.id}"

    @strawberry.field
    async def locked(self, info: strawberry.Info) -> str:
        """Siblings waiting on one another: the holder waits on a timer while holding the lock."""
        lock = info.context.setdefault("lock", asyncio.Lock())
        async with lock:
            await asyncio.sleep(0.001)
            return f"locked-{self.id}"

    @strawberry.field
    def fails(self) -> str | None:
        raise ValueError(f"item {self.id} fails")

    @strawberry.field
    def fails_required(self) -> str:
        raise ValueError(f"item {self.id} fails, required")

    @strawberry.field
    async def fails_async(self) -> str | None:
        await asyncio.sleep(0)
        raise ValueError(f"item {self.id} fails later")

    @strawberry.field
    async def fails_async_required(self) -> str:
        await asyncio.sleep(0)
        raise ValueError(f"item {self.id} fails later, required")

    @strawberry.field
    def missing_required(self) -> str:
        return None  # type: ignore[return-value]

    @strawberry.field
    def bad_int(self) -> int | None:
        return "not a number"  # type: ignore[return-value]

    @strawberry.field
    def bad_colour(self) -> Colour | None:
        return "green"  # type: ignore[return-value]

    @strawberry.field
    def children(self, count: int = 2) -> list[Item]:
        return [Item(id=self.id * 10 + n, label=None, colour=Colour.BLUE) for n in range(count)]

    @strawberry.field
    async def async_children(self, count: int = 2) -> list[Item | None]:
        await asyncio.sleep(0)
        return [
            None if n == 1 else Item(id=self.id * 10 + n, label=f"c{n}", colour=Colour.RED)
            for n in range(count)
        ]

    @strawberry.field
    def awaitable_items(self) -> list[str | None]:
        async def value(n: int) -> str:
            await asyncio.sleep(0)
            if n == 1:
                raise ValueError("second item fails")
            return f"v{n}"

        return [value(n) for n in range(3)]  # type: ignore[misc]

    @strawberry.field
    def required_items(self) -> list[str] | None:
        return ["a", None, "c"]  # type: ignore[list-item]

    @strawberry.field
    def not_a_list(self) -> list[int] | None:
        return 42  # type: ignore[return-value]

    @strawberry.field
    def generated(self) -> list[int]:
        return (n * n for n in range(3))  # type: ignore[return-value]

    @strawberry.field
    def where(self, info: strawberry.Info) -> str:
        return f"{info.field_name} at {info.path.as_list()} under {info.parent_type.name}"

    @strawberry.field
    @staticmethod
    def from_root(root: Item) -> int:
        return root.id * 2

    @strawberry.field(permission_classes=[NotOnOddItems])
    def guarded(self) -> str | None:
        return f"guarded-{self.id}"

    @strawberry.field
    def wrong_object(self) -> Person | None:
        return Company(name="株式会社", employees=3)  # type: ignore[return-value]


class Shade(enum.Enum):
    """Another enum with a member named as one of `Colour`'s."""

    RED = "red"


@strawberry.type
class Loose:
    """Plain attributes (read without a resolver) holding values of every kind a leaf meets:
    its own type, one its scalar coerces, one it refuses, None where it is required, another
    enum's member, an exception, an awaitable."""

    text: str | None
    required_text: str
    number: int | None
    flag: bool | None
    required_flag: bool
    key: strawberry.ID | None
    colour: Colour | None
    required_colour: Colour
    amount: float | None
    day: datetime.date | None


class _Later:
    """An awaitable attribute value, awaited as many times as a document reads it."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def __await__(self) -> Generator[Any, None, Any]:
        yield from asyncio.sleep(0).__await__()
        return self.value


def _loose() -> list[Loose]:
    def loose(**values: Any) -> Loose:
        return Loose(**{field: None for field in Loose.__annotations__} | values)

    return [
        loose(
            text="文字",
            required_text="必須",
            number=7,
            flag=True,
            required_flag=False,
            key="k1",
            colour=Colour.BLUE,
            required_colour=Colour.RED,
            amount=1.5,
            day=datetime.date(2026, 12, 4),
        ),
        loose(
            text=True,
            required_text=12,
            number="8",
            flag="yes",
            required_flag=1,
            key=5,
            colour="red",
            required_colour=Shade.RED,
            amount=Decimal("2.50"),
            day="2026-12-04",
        ),
        loose(
            text=3.5,
            number=2.5,
            flag=0,
            key=False,
            colour=ValueError("この色は読めません。"),
            required_colour="blue",
            amount=True,
            day=datetime.datetime(2026, 12, 4, 9, 30),
        ),
        loose(
            text=_Later("後で"),
            required_text=_Later(None),
            number=_Later(9),
            flag=ValueError("フラグが読めません。"),
            required_flag=None,
            colour=_Later(Colour.BLUE),
            required_colour=Colour.BLUE,
            amount=float("nan"),
            day=[1],
        ),
    ]


@strawberry.type
class Gadget(relay.Node):
    """A node whose `id` Strawberry reads from its `NodeID` attribute; the attribute holds
    what it may hold at run time: an int, a str, a bool, None, an awaitable, a float."""

    code: relay.NodeID[int]


@strawberry.type
class Numbered(relay.Node):
    """A node with its own `resolve_id`, sometimes awaitable."""

    number: relay.NodeID[int]

    @classmethod
    def resolve_id(cls, root: Numbered, *, info: strawberry.Info) -> Any:
        return _Later(f"n{root.number}") if root.number % 2 else f"n{root.number}"


@strawberry.type
class Renamed(relay.Node):
    """A node that names its type in its ids otherwise."""

    key: relay.NodeID[str]

    @classmethod
    def resolve_typename(cls, root: Renamed, info: strawberry.Info) -> str:
        return "Alias"


def _gadgets() -> list[Gadget]:
    codes: list[Any] = [1, "二", True, None, _Later(5), 6.5]
    return [Gadget(code=code) for code in codes]


def _items(count: int) -> list[Item]:
    return [
        Item(id=n, label=f"品目{n}" if n % 2 else None, colour=list(Colour)[n % 2])
        for n in range(1, count + 1)
    ]


@strawberry.type
class Query:
    @strawberry.field
    def items(self, count: int = 3) -> list[Item]:
        return _items(count)

    @strawberry.field
    def item(self) -> Item:
        return _items(1)[0]

    @strawberry.field
    def maybe_item(self, present: bool = True) -> Item | None:
        return _items(1)[0] if present else None

    @strawberry.field
    def named(self) -> list[Named]:
        return [Person(name="山田", age=40), Company(name="ハローワークケア", employees=None)]

    @strawberry.field
    def parties(self) -> list[Party]:
        return [Company(name="ハローワークケア", employees=12), Person(name="佐藤", age=31)]

    @strawberry.field
    async def required_item_fails(self) -> Item:
        raise ValueError("no item")

    @strawberry.field
    def echo(self, text: str, times: int = 1) -> str:
        return text * times

    @strawberry.field
    def loose(self) -> list[Loose | None]:
        return _loose()  # type: ignore[return-value]

    @strawberry.field
    def gadgets(self) -> list[Gadget | None]:
        return _gadgets()  # type: ignore[return-value]

    @strawberry.field
    def numbered(self) -> list[Numbered]:
        return [Numbered(number=1), Numbered(number=2)]

    @strawberry.field
    def renamed(self) -> Renamed:
        return Renamed(key="鍵")

    @strawberry.field
    def nodes(self) -> list[relay.Node]:
        """Through the interface: completed by graphql-core, ids and all."""
        return [Gadget(code=3), Numbered(number=1), Renamed(key="鍵")]


CONDITIONS = """query Q($withLabel: Boolean!, $skipSlow: Boolean = false, $count: Int) {
  first: items(count: $count) {
    id label @include(if: $withLabel) slow @skip(if: $skipSlow)
  }
  second: items(count: 1) { ...Parts }
}
fragment Parts on Item { id ... on Item { colour } label @skip(if: true) }"""

DOCUMENTS: list[tuple[str, dict[str, Any] | None]] = [
    ("{ items { id label colour rawColour slow } }", None),
    ("{ items(count: 2) { id __typename fails fails_async: failsAsync } }", None),
    ("{ items(count: 2) { id failsRequired } }", None),
    ("{ items(count: 2) { id failsAsyncRequired label } }", None),
    ('{ item { missingRequired } echo(text: "x") }', None),
    ('{ maybeItem { id missingRequired } echo(text: "after") }', None),
    ("{ items(count: 1) { badInt badColour notAList generated wrongObject { age } } }", None),
    ("{ item { children(count: 3) { id children(count: 1) { id label } } } }", None),
    ("{ item { asyncChildren(count: 3) { id slow fails } } }", None),
    ("{ item { asyncChildren(count: 3) { id failsAsyncRequired } } }", None),
    ("{ item { awaitableItems requiredItems } }", None),
    ('{ requiredItemFails { id } echo(text: "z") }', None),
    (
        "{ named { __typename name ... on Person { age } ... on Company { employees } } }",
        None,
    ),
    ("{ parties { __typename ... on Named { name } ... on Person { age } } }", None),
    (CONDITIONS, {"withLabel": True, "count": 2}),
    (CONDITIONS, {"withLabel": False, "skipSlow": True, "count": 1}),
    (
        "query E($t: String!, $n: Int!) { echo(text: $t, times: $n) again: echo(text: $t) }",
        {"t": "ア", "n": 3},
    ),
    ("{ item { id } item { label } i: item { id colour } }", None),
    ("{ items { where fromRoot guarded children(count: 1) { where guarded } } }", None),
    ("{ items(count: 4) { locked slow asyncChildren { locked } } }", None),
    ("{ __typename maybeItem(present: false) { id } }", None),
    ("{ loose { text number flag key colour amount day } }", None),
    ("{ loose { text requiredText number } }", None),
    ("{ loose { key requiredFlag flag } }", None),
    ("{ loose { colour requiredColour amount } }", None),
    ("{ gadgets { id } }", None),
    ("{ gadgets { __typename ident: id } g: gadgets { id __typename } }", None),
    ("{ numbered { id } renamed { id } }", None),
    ("{ nodes { id ... on Numbered { id } ... on Renamed { __typename } } }", None),
]


async def _run(schema: strawberry.Schema, query: str, variables: dict[str, Any] | None) -> Any:
    result = await asyncio.wait_for(
        schema.execute(query, variable_values=variables, context_value={}), timeout=30
    )
    return {"data": result.data, "errors": [error.formatted for error in result.errors or ()]}


@pytest.mark.parametrize(("query", "variables"), DOCUMENTS)
async def test_the_plan_answers_as_graphql_core(
    query: str, variables: dict[str, Any] | None
) -> None:
    types = [Person, Company, Numbered, Renamed]
    reference = strawberry.Schema(Query, types=types)
    compiled = strawberry.Schema(Query, types=types, execution_context_class=CompiledExecutor)
    expected = await _run(reference, query, variables)
    runs = execution.RUNS["compiled"]
    assert await _run(compiled, query, variables) == expected  # planned now
    assert await _run(compiled, query, variables) == expected  # from the plan kept
    assert execution.RUNS["compiled"] == runs + 2


async def test_mutations_run_by_graphql_core() -> None:
    @strawberry.type
    class Mutation:
        @strawberry.mutation
        def touch(self) -> int:
            return 1

    schema = strawberry.Schema(Query, Mutation, execution_context_class=CompiledExecutor)
    compiled, core = execution.RUNS["compiled"], execution.RUNS["graphql-core"]
    result = await schema.execute("mutation { touch }")
    assert result.data == {"touch": 1}
    assert (execution.RUNS["compiled"], execution.RUNS["graphql-core"]) == (compiled, core + 1)


async def test_a_difference_is_seen() -> None:
    """The comparison can fail: a resolver that answers differently each time is caught."""
    answers = iter(range(100))

    @strawberry.type
    class Changing:
        @strawberry.field
        def tick(self) -> int:
            return next(answers)

    schema = strawberry.Schema(Changing, execution_context_class=ComparingExecutor)
    seen = len(execution.MISMATCHES)
    result = await schema.execute("query Ticks { tick }")
    assert result.data == {"tick": 0}  # the compiled run's answer goes to the client
    found = execution.MISMATCHES[seen:]
    del execution.MISMATCHES[seen:]  # expected here; `same_answers_both_ways` must not see it
    assert found == [
        {
            "operation": "Ticks",
            "graphql_core": {"data": {"tick": 1}, "errors": []},
            "compiled": {"data": {"tick": 0}, "errors": []},
        }
    ]


async def test_the_service_runs_its_queries_compiled(
    server: Server, employer: GraphQLClient
) -> None:
    """The test server compares; its queries are planned, its mutations are not."""
    compiled = execution.RUNS["compiled"]
    data = await employer.execute("query Home { employerHome { establishmentName } }")
    assert data["employerHome"]["establishmentName"]
    assert execution.RUNS["compiled"] == compiled + 1
