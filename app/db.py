"""Database set-up: Tortoise configuration, connection and migrations; and `Prepared`, the
hot reads and updates whose SQL Tortoise builds once."""

from __future__ import annotations

import asyncio
import datetime as dt
import types
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

from tortoise import Tortoise
from tortoise.backends.base.config_generator import expand_db_url
from tortoise.backends.base.executor import CHUNK_SIZE
from tortoise.exceptions import DoesNotExist, MultipleObjectsReturned, ValidationError
from tortoise.fields import DatetimeField, Field
from tortoise.fields import data as tortoise_fields
from tortoise.fields.data import CharEnumFieldInstance, IntEnumFieldInstance
from tortoise.migrations.api import migrate
from tortoise.models import Model
from tortoise.queryset import (
    AwaitableQuery,
    CountQuery,
    ExistsQuery,
    QuerySet,
    UpdateQuery,
    ValuesListQuery,
    ValuesQuery,
)
from tortoise.timezone import get_default_timezone, get_use_tz

from app.settings import Settings

MODELS_MODULE = "app.models"
MIGRATIONS_MODULE = "app.migrations"
SQLITE_ENGINE = "app.sqlite"


def tortoise_config(settings: Settings) -> dict[str, Any]:
    connection = expand_db_url(settings.database_url)
    if connection["engine"].endswith("sqlite"):
        Path(connection["credentials"]["file_path"]).parent.mkdir(parents=True, exist_ok=True)
        # Wait for a busy writer instead of failing at once (several processes, one file).
        connection["credentials"]["busy_timeout"] = 5000
        # Tortoise's client, with the reads outside transactions on a connection of their own.
        connection["engine"] = SQLITE_ENGINE
    elif connection["engine"].endswith("asyncpg"):
        connection["credentials"]["reset"] = keep_session
    return {
        "connections": {"default": connection},
        "apps": {
            "models": {
                "models": [MODELS_MODULE],
                "default_connection": "default",
                "migrations": MIGRATIONS_MODULE,
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


def __getattr__(name: str) -> Any:
    # `tortoise makemigrations` reads `app.db.TORTOISE_ORM` (see pyproject.toml).
    if name == "TORTOISE_ORM":
        return tortoise_config(Settings.from_env())
    raise AttributeError(name)


async def init_db(settings: Settings) -> None:
    await Tortoise.init(config=tortoise_config(settings))


async def keep_session(connection: object) -> None:
    """asyncpg's pool, given this as `reset`, no longer sends its reset query (advisory
    unlock, `CLOSE ALL`, `UNLISTEN *`, `RESET ALL`) each time a connection goes back to the
    pool, which Tortoise does after every statement outside a transaction: a round trip per
    read. asyncpg still rolls back a transaction left open and drops the connection's
    listeners first (`Connection._reset`). The service leaves nothing else in a session: no
    advisory lock, `LISTEN`, cursor or `SET` (events go through the broker)."""


async def close_db() -> None:
    await Tortoise.close_connections()


async def apply_migrations(settings: Settings) -> None:
    """Bring the database schema up to date; safe to run on every release."""
    try:
        await migrate(config=tortoise_config(settings))
    finally:
        await Tortoise.close_connections()


# --- Prepared reads ---------------------------------------------------------------------------

T = TypeVar("T")

Argument = int | str | dt.datetime | Sequence[int] | Sequence[str]
"""What a prepared query is called with: ints, strings and aware datetimes, or lists of ints
or of strings (for `__in`)."""

_QUERIES = (QuerySet, ValuesQuery, ValuesListQuery, CountQuery, ExistsQuery, UpdateQuery)

# Stand-ins for the arguments while the SQL is built, told apart from any real value by being
# far outside the ids and text the service stores (positive: Tortoise refuses a negative limit).
_INT_STAND_IN = 2**62
_STR_STAND_IN = 0xF0000
"""Strings stand in as two characters, a noncharacter and one of the supplementary private use
area naming the argument and element: short enough for the length checks Tortoise runs on a
filter's value."""
_MAX_STR_ARGUMENTS, _MAX_STR_ELEMENTS = 60, 1023
_DATETIME_STAND_IN = dt.datetime(2999, 12, 31, tzinfo=dt.UTC)
"""Datetimes stand in as this instant plus as many microseconds as name the argument; each is
found again by identity, so a datetime Tortoise converted on its way is refused."""


class Prepared(Generic[T]):
    """A read (or an `UPDATE`) whose SQL Tortoise builds once per shape of its arguments
    (their types, and the length of each list): for a small read, building the SQL costs more
    than running it.

    `build` makes the query the usual way from the arguments. The first run of a shape calls it
    with stand-ins, keeps the SQL and where the stand-ins went among its parameters; every run
    then executes that SQL with its own arguments in their places, through the query's own
    `_execute` (rows, models, `select_related` and conversions as Tortoise makes them; a plain
    read's models made by `_Rows`, as Tortoise makes them), on the connection the query would
    choose now (a transaction's within one; the write connection for an update). An argument
    must reach the SQL as a parameter of a filter, limit or update, unconverted (ints, strings
    and aware datetimes are: Tortoise converts only naive ones, which are refused): one that
    does not, or that the query keeps for itself (a count's limit), is refused when the shape
    is built.
    """

    def __init__(self, build: Callable[..., Awaitable[T]]) -> None:
        self._build = build
        self._shapes: dict[tuple[object, ...], _Built] = {}

    async def __call__(self, *arguments: Argument) -> T:
        shape = tuple(_shape(argument) for argument in arguments)
        built = self._shapes.get(shape)
        db = None if built is None else built.query.model._choose_db(built.writes)
        if built is None or db is None or db.query_class is not built.query_class:
            built = self._shapes[shape] = _prepare(self._build, arguments)
            db = built.query.model._choose_db(built.writes)
        values = list(built.values)
        for place, argument, element in built.places:
            given = arguments[argument]
            values[place] = given if element < 0 else given[element]  # type: ignore[index]
        if built.rows is not None:
            rows: T = await built.rows.select(db, built.sql, values)
            return rows
        if built.dicts is not None:
            dicts: T = await built.dicts.select(db, built.sql, values)
            return dicts
        run = _Run(built.query, _Parameters(built.sql, values), db)
        result: T = await type(built.query)._execute(run)  # type: ignore[arg-type]
        return result


LONGEST_PREPARED_LIST = 256
"""`PreparedIn` pads lists up to this long; a longer one is read unprepared (rare: padded, it
could pass the parameters a statement may hold)."""


class PreparedIn(Generic[T]):
    """A read by a list of ids (a dataloader's `id__in`) whose SQL is built once per power of
    two of the list's length: the list is padded with its last id (an `IN` ignores repeats),
    so a few shapes serve every length instead of one shape each. `build` takes the list, and
    then the other arguments, as `Prepared` takes them."""

    def __init__(self, build: Callable[..., Awaitable[list[T]]]) -> None:
        self._build = build
        self._prepared: Prepared[list[T]] = Prepared(build)

    async def __call__(self, ids: Sequence[int], *arguments: Argument) -> list[T]:
        wanted = list(ids)
        if not wanted:
            return []
        if len(wanted) > LONGEST_PREPARED_LIST:
            return await self._build(wanted, *arguments)
        size = 1 << (len(wanted) - 1).bit_length()
        return await self._prepared(wanted + [wanted[-1]] * (size - len(wanted)), *arguments)


@dataclass(frozen=True)
class _Built:
    query: AwaitableQuery[Any]
    """The query as built with stand-ins: what its `_execute` reads besides the SQL."""
    query_class: type
    """The dialect the SQL is written in."""
    writes: bool
    """An update or a read `select_for_update`: run on the connection for writes."""
    sql: str
    values: tuple[object, ...]
    """The parameters that are constants; the arguments' places are filled in each run."""
    places: tuple[tuple[int, int, int], ...]
    """(parameter, argument, element of the argument's list or -1)."""
    rows: _Rows | None = None
    """How a plain read's models are made from its rows; None where Tortoise makes them."""
    dicts: _Dicts | None = None
    """How a `values()` read's rows are converted; None where Tortoise converts them."""


_NATIVE, _TYPED, _CONVERTED = 0, 1, 2
"""How a column becomes an attribute, as `Model._init_from_db` does it: as the driver gives it
(Tortoise's native fields), by the field's type unless null (its default fields), or by the
field's conversion (its complex fields, and every field of a partial model not native)."""


Step = tuple[int | str, str, int, Callable[[Any], Any] | None]
"""(the column's place in the row, or its name in a dict, attribute, how, conversion)."""


@dataclass(frozen=True)
class _Plan:
    """How the models of rows with these columns are made: each attribute from the column at
    its place in the row, in the order Tortoise sets them."""

    partial: bool
    """A column of the model is missing (an `only` read): Tortoise's partial model."""
    steps: tuple[Step, ...]
    make: Callable[[Any], Model]
    """One model from one row: a function written for these steps (`_maker`)."""


def _maker(model: type[Model], generated_pk: bool, partial: bool, steps: Sequence[Step]) -> Any:
    """A function making one model of `model` from one row by `steps`: its attributes as one
    dict, written out (a loop over the steps costs twice as much). As `object.__setattr__`
    in Tortoise's order would, a repeated attribute keeps the place of its first step and
    the value of its last. The source holds only the places, the attributes (both as
    literals) and the conversions by name."""
    names: dict[str, Any] = {"new": object.__new__, "model": model}
    items = [
        f"'_partial': {partial!r}",
        "'_saved_in_db': True",
        f"'_custom_generated_pk': {generated_pk!r}",
        "'_await_when_save': {}",
    ]
    for number, (at, attribute, how, convert) in enumerate(steps):
        column = f"row[{at!r}]"
        if how == _NATIVE:
            items.append(f"{attribute!r}: {column}")
            continue
        names[f"convert_{number}"] = convert
        if how == _TYPED:
            value = f"None if (value := {column}) is None else convert_{number}(value)"
        else:
            value = f"convert_{number}({column})"
        items.append(f"{attribute!r}: {value}")
    source = (
        "def make(row):\n"
        "    instance = new(model)\n"
        f"    instance.__dict__.update({{{', '.join(items)}}})\n"
        "    return instance\n"
    )
    exec(compile(source, f"<rows of {model.__name__}>", "exec"), names)  # noqa: S102
    return names["make"]


class _Rows:
    """A plain read's models made from its rows as Tortoise's `Model._init_from_db` makes them
    (the same attributes, in the same order, values and conversions), without Tortoise's
    executor, which is built anew for every query and looks its model's queries up each time,
    with each column read by its place in the row (SQLite's rows find a name by comparing it
    with each column's, case-insensitively: 60 µs for a posting's 90 columns), by a function
    written for the read's columns (`_maker`). A plain read
    is a `QuerySet` of whole models or of some of their own fields (`only`): no
    `select_related`, `prefetch_related`, annotations or related fields (Tortoise's executor
    reads those)."""

    __slots__ = ("generated_pk", "model", "plans", "query")

    def __init__(self, query: QuerySet[Any]) -> None:
        model: type[Model] = query.model
        self.query = query
        self.model = model
        self.generated_pk = model._meta.db_pk_column not in model._meta.generated_db_fields
        self.plans: dict[tuple[str, ...], _Plan] = {}
        """By the columns of the rows: one entry for the SQL of a read."""

    @staticmethod
    def serve(query: AwaitableQuery[Any]) -> _Rows | None:
        """How the models of `query` are made when it is a plain read; None otherwise."""
        if (
            type(query) is not QuerySet
            or query._prefetch_map
            or query._prefetch_queries
            or query._select_related
            or len(query._select_related_idx) > 1  # the first is the model's own columns
            or query._annotations
            or any("__" in name for name in query._fields_for_select)
        ):
            return None
        return _Rows(query)

    def plan(self, row: Any) -> _Plan:
        """The plan for rows with the columns of `row`: `Model._init_from_db(**dict(row))`
        replayed. It sets the model's native, default and complex fields in turn until a
        column is missing; then, on a partial model, every column of a field, converted unless
        it is native or default under its column's name."""
        columns = tuple(row.keys())
        found = self.plans.get(columns)
        if found is not None:
            return found
        # `dict(row)`: a repeated name holds its last column, in the place of its first.
        place: dict[str, int | str] = {}
        for index, column in enumerate(columns):
            place[column] = column if isinstance(row, dict) else index
        meta = self.model._meta
        steps: list[Step] = []
        partial = False
        whole = (
            *((key, attribute, _NATIVE, None) for key, attribute, _ in meta.db_native_fields),
            *(
                (key, attribute, _TYPED, field.field_type)
                for key, attribute, field in meta.db_default_fields
            ),
            *(
                (key, attribute, _CONVERTED, _conversion(field))
                for key, attribute, field in meta.db_complex_fields
            ),
        )
        for key, attribute, how, convert in whole:
            if key not in place:
                partial = True
                break
            steps.append((place[key], attribute, how, convert))
        if partial:
            native = {key for key, _, _ in meta.db_native_fields}
            default = {key for key, _, _ in meta.db_default_fields}
            for key, at in place.items():
                field = meta.fields_map.get(key)
                if field is None:
                    continue
                attribute = meta.fields_db_projection_reverse.get(key, key)
                if key in native:
                    steps.append((at, attribute, _NATIVE, None))
                elif key in default:
                    steps.append((at, attribute, _TYPED, field.field_type))
                else:
                    steps.append((at, attribute, _CONVERTED, _conversion(field)))
        make = _maker(self.model, self.generated_pk, partial, steps)
        found = self.plans[columns] = _Plan(partial=partial, steps=tuple(steps), make=make)
        return found

    def build(self, plan: _Plan, rows: Sequence[Any]) -> list[Model]:
        """`Model._init_from_db(**dict(row))` of each row, by `plan` (their columns' plan)."""
        make = plan.make
        return [make(row) for row in rows]

    async def select(self, db: Any, sql: str, values: list[object]) -> Any:
        """`QuerySet._execute` and its executor's `execute_select`, for a plain read."""
        query = self.query
        _, rows = await db.execute_query(sql, values)
        instances: list[Model] = []
        if rows:
            plan = self.plan(rows[0])
            for start in range(0, len(rows), CHUNK_SIZE):
                if start:
                    await asyncio.sleep(0)  # as Tortoise yields to the loop during a long read
                instances += self.build(plan, rows[start : start + CHUNK_SIZE])
        return _answer(query, instances)


class _Dicts:
    """A `values()` read's rows converted as `ValuesQuery._execute` converts them (each column
    by the function Tortoise resolves for it, once per query here instead of once per run,
    and an enum's or a date's by `_conversion`)."""

    __slots__ = ("conversions", "query")

    def __init__(self, query: ValuesQuery[Any]) -> None:
        self.query = query
        conversions = []
        for alias, name in query._fields_for_select.items():
            convert = query.resolve_to_python_value(query.model, name)
            if isinstance(convert, types.LambdaType):  # as is: Tortoise leaves these out
                continue
            field = getattr(convert, "__self__", None)
            if isinstance(field, Field) and convert == field.to_python_value:
                convert = _conversion(field)
            conversions.append((alias, convert))
        self.conversions: tuple[tuple[str, Callable[[Any], Any]], ...] = tuple(conversions)

    @staticmethod
    def serve(query: AwaitableQuery[Any]) -> _Dicts | None:
        return _Dicts(query) if type(query) is ValuesQuery else None

    async def select(self, db: Any, sql: str, values: list[object]) -> Any:
        """`ValuesQuery._execute`."""
        result: list[dict[str, Any]] = await db.execute_query_dict(sql, values)
        conversions = self.conversions
        if conversions:
            for row in result:
                for column, convert in conversions:
                    row[column] = convert(row[column])
        return _answer(self.query, result)


def _answer(query: QuerySet[Any] | ValuesQuery[Any], found: list[Any]) -> Any:
    """What the query answers with the rows (or models) `found`: all of them, or for a single
    one (`get`, `first`, …) the one, None, or Tortoise's errors, as its `_execute` does."""
    if not query._single:
        return found
    if len(found) == 1:
        return found[0]
    if not found:
        if query._raise_does_not_exist:
            raise DoesNotExist(query.model)
        return None
    raise MultipleObjectsReturned(query.model)


_NOT_A_MEMBER = object()


def _conversion(field: Field[Any]) -> Callable[[Any], Any]:
    """`field.to_python_value`, or what answers the same for what a driver gives it at less
    cost, for a field of Tortoise's own classes: an enum's member looked up by its value (the
    enum asked only for a value it has no member of, which it refuses as Tortoise lets it),
    and a date parsed from SQLite's text and set in the configured time zone as Tortoise sets
    it (with the function it parses with, its time zone and `use_tz` as set at start-up)."""
    to_python_value = field.to_python_value
    kind = type(field)
    if kind is CharEnumFieldInstance or kind is IntEnumFieldInstance:
        members = {member.value: member for member in field.enum_type}  # type: ignore[attr-defined]
        find = members.get

        def member(value: Any) -> Any:
            if value is None:
                return None
            found = find(value, _NOT_A_MEMBER)
            return to_python_value(value) if found is _NOT_A_MEMBER else found

        return member
    if kind is DatetimeField and get_use_tz():
        zone = get_default_timezone()
        # ciso8601's parser when installed, else iso8601's: whichever Tortoise parses with.
        parse: Callable[[str], dt.datetime] = tortoise_fields.parse_datetime  # type: ignore[attr-defined]

        def instant(value: Any) -> Any:
            if type(value) is not str:
                return None if value is None else to_python_value(value)
            parsed = parse(value)
            if parsed.utcoffset() is None:
                return parsed.replace(tzinfo=zone)
            return parsed.astimezone(zone)

        return instant
    return to_python_value


class _Parameters:
    """In place of pypika's query in a run: the SQL built before, with this run's values."""

    __slots__ = ("sql", "values")

    def __init__(self, sql: str, values: list[object]) -> None:
        self.sql = sql
        self.values = values

    def get_parameterized_sql(self) -> tuple[str, list[object]]:
        return self.sql, self.values


class _Run:
    """The built query as one run executes it: its own SQL and connection, the rest as built
    (shared, and only read, by the runs at the same time)."""

    __slots__ = ("_built", "_db", "query")

    def __init__(self, built: AwaitableQuery[Any], query: _Parameters, db: object) -> None:
        self._built = built
        self.query = query
        self._db = db

    def __getattr__(self, name: str) -> Any:
        return getattr(self._built, name)


def _shape(argument: Argument) -> object:
    if type(argument) in (int, str):
        return type(argument)
    if type(argument) is dt.datetime:
        if argument.utcoffset() is None:
            raise TypeError(f"a prepared query takes aware datetimes, not {argument!r}")
        return dt.datetime
    if isinstance(argument, Sequence) and not isinstance(argument, str):
        kinds = {type(element) for element in argument}
        if kinds <= {int} or kinds == {str}:
            return (kinds.pop() if kinds else int, len(argument))
    raise TypeError(
        "a prepared query takes ints, strings, aware datetimes and lists of ints or strings,"
        f" not {argument!r}"
    )


def _stand_in(kind: type, argument: int, element: int) -> int | str | dt.datetime:
    if kind is int:
        return _INT_STAND_IN + (argument << 16) + element + 1
    if kind is dt.datetime:
        return _DATETIME_STAND_IN + dt.timedelta(microseconds=argument + 1)
    if argument >= _MAX_STR_ARGUMENTS or element >= _MAX_STR_ELEMENTS:
        raise TypeError("a prepared read takes at most 60 strings or lists of 1,023 of them")
    return "\ufffe" + chr(_STR_STAND_IN + (argument << 10) + element + 1)


def _prepare(build: Callable[..., Awaitable[Any]], arguments: Sequence[Argument]) -> _Built:
    stand_ins: dict[object, tuple[int, int]] = {}
    given: list[Argument] = []
    for index, argument in enumerate(arguments):
        shape = _shape(argument)
        if isinstance(shape, tuple):
            kind, length = shape
            elements = [_stand_in(kind, index, element) for element in range(length)]
            stand_ins.update((value, (index, element)) for element, value in enumerate(elements))
            given.append(elements)  # type: ignore[arg-type]
        else:
            assert isinstance(shape, type)
            value = _stand_in(shape, index, -1)
            stand_ins[value] = (index, -1)
            given.append(value)
    name = getattr(build, "__qualname__", repr(build))
    try:
        query = build(*given)
    except ValidationError as exc:
        raise ValueError(f"{name}: a field's validator refused an argument's stand-in") from exc
    if not isinstance(query, _QUERIES):
        raise TypeError(f"{name} builds {type(query).__name__}, not a query Prepared can run")
    # As Tortoise chooses: the connection for writes for an update or a locking read.
    writes = isinstance(query, UpdateQuery) or bool(getattr(query, "_select_for_update", False))
    query._choose_db_if_not_chosen(writes)
    query._make_query()
    sql, values = query.query.get_parameterized_sql()
    datetimes = {id(value): key for value, key in stand_ins.items() if type(value) is dt.datetime}
    places = []
    constants: list[object] = []
    for place, value in enumerate(values):
        if type(value) is dt.datetime:
            found = datetimes.get(id(value))
        else:
            found = stand_ins.get(value) if type(value) in (int, str) else None
        constants.append(None if found else value)
        if found:
            places.append((place, *found))
    missing = set(stand_ins.values()) - {(argument, element) for _, argument, element in places}
    inlined = [value for value in stand_ins if str(value) in sql]
    kept = (
        [getattr(query, name, None) in stand_ins for name in ("_limit", "_offset")]
        if isinstance(query, CountQuery)
        else []
    )
    if missing or inlined or any(kept):
        raise ValueError(f"{name}: an argument is not a parameter of its SQL as Tortoise builds it")
    return _Built(
        query=query,
        query_class=query._db.query_class,
        writes=writes,
        sql=sql,
        values=tuple(constants),
        places=tuple(places),
        rows=_Rows.serve(query),
        dicts=_Dicts.serve(query),
    )
