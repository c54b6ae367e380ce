"""`app.db.Prepared`: a read whose SQL is built once answers as the query built each time,
with each call's own arguments, on the connection of the moment, and refuses a read whose
argument would not reach its SQL as a parameter; datetimes (aware only) and updates the
same. `PreparedIn`: the same for a list of ids, padded to a power of two. The models of a
plain read are made from its rows as Tortoise makes them, for every model of the service."""

from __future__ import annotations

import datetime as dt

import pytest
from tortoise import Tortoise
from tortoise.exceptions import DoesNotExist, MultipleObjectsReturned
from tortoise.expressions import F
from tortoise.models import Model
from tortoise.transactions import in_transaction

from app.db import LONGEST_PREPARED_LIST, Prepared, PreparedIn, _conversion, _Dicts, _Rows
from app.models import Message, MessageThread, Office, Posting, User
from app.models.accounts import Portal
from app.models.messages import MessageSender
from tests import flows
from tests.conftest import GraphQLClient, Server
from tests.test_messages import apply, seeker_user

AT = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)

BY_CODE: Prepared[Office | None] = Prepared(lambda code: Office.get_or_none(code=code))
CODES_OF: Prepared[list[str]] = Prepared(
    lambda ids: Office.filter(id__in=ids).order_by("id").values_list("code", flat=True)
)
COUNT_FROM: Prepared[int] = Prepared(lambda first_id: Office.filter(id__gte=first_id).count())


async def _offices(codes: list[str]) -> list[Office]:
    return [await Office.create(code=code, name=f"安定所{code}", created_at=AT) for code in codes]


async def test_each_call_reads_with_its_own_arguments(server: Server) -> None:
    first, second, third = await _offices(["91001", "91002", "91003"])
    for office in (first, second, third, first):
        found = await BY_CODE(office.code)
        assert found is not None
        assert (found.id, found.name) == (office.id, office.name)
    assert await BY_CODE("99999") is None
    for ids in ([first.id], [third.id, first.id], [first.id, second.id, third.id], []):
        expected = await Office.filter(id__in=ids).order_by("id").values_list("code", flat=True)
        assert await CODES_OF(ids) == expected
    for office in (first, third):
        assert await COUNT_FROM(office.id) == await Office.filter(id__gte=office.id).count()


async def test_inside_a_transaction_it_reads_the_transactions_rows(server: Server) -> None:
    class Rollback(Exception):
        pass

    async def add_and_roll_back() -> None:
        async with in_transaction():
            await _offices(["92001"])
            assert await BY_CODE("92001") is not None
            raise Rollback

    with pytest.raises(Rollback):
        await add_and_roll_back()
    assert await BY_CODE("92001") is None


async def test_an_argument_that_is_no_parameter_is_refused(server: Server) -> None:
    # `__startswith` turns the argument into a LIKE pattern: its value never reaches the SQL.
    pattern: Prepared[list[Office]] = Prepared(lambda code: Office.filter(code__startswith=code))
    with pytest.raises(ValueError, match="not a parameter"):
        await pattern("91")
    with pytest.raises(TypeError, match="ints, strings, aware datetimes and lists"):
        await BY_CODE(1.5)  # type: ignore[arg-type]


CODES_UP_TO: Prepared[list[str]] = Prepared(
    lambda first_id, at: (
        Office.filter(id__gte=first_id, created_at__lte=at)
        .order_by("id")
        .values_list("code", flat=True)
    )
)
RENAME: Prepared[int] = Prepared(
    lambda office_id, name: Office.filter(id=office_id).update(name=name)
)
MOVE_UP_TO: Prepared[int] = Prepared(
    lambda first_id, at, to: Office.filter(id__gte=first_id, created_at__lte=at).update(
        created_at=to
    )
)


async def test_a_datetime_argument_reads_as_the_query_built_each_time(server: Server) -> None:
    offices = await _offices(["94001", "94002", "94003"])
    for seconds, office in enumerate(offices):
        office.created_at = AT + dt.timedelta(seconds=seconds)
        await office.save(update_fields=["created_at"])
    first_id = offices[0].id
    one_second = AT + dt.timedelta(seconds=1)
    jst = dt.timezone(dt.timedelta(hours=9))
    for at in (
        AT - dt.timedelta(microseconds=1),
        AT,
        one_second - dt.timedelta(microseconds=1),
        one_second,
        one_second + dt.timedelta(microseconds=1),
        AT + dt.timedelta(days=1),
        one_second.astimezone(dt.UTC),
        one_second.astimezone(jst),  # as the unprepared query compares it, whatever that is
    ):
        built_each_time = (
            await Office.filter(id__gte=first_id, created_at__lte=at)
            .order_by("id")
            .values_list("code", flat=True)
        )
        assert await CODES_UP_TO(first_id, at) == built_each_time, at
    assert await CODES_UP_TO(first_id, one_second) == ["94001", "94002"]
    with pytest.raises(TypeError, match="aware datetimes"):
        await CODES_UP_TO(first_id, dt.datetime(2026, 12, 1))  # naive


async def test_an_update_changes_what_its_arguments_name(server: Server) -> None:
    first, second = await _offices(["95001", "95002"])
    assert await RENAME(first.id, "新宿") == 1
    assert await RENAME(second.id, "渋谷") == 1
    assert await RENAME(second.id + 1000, "どこにもない") == 0
    assert [o.name for o in await Office.filter(id__in=[first.id, second.id]).order_by("id")] == [
        "新宿",
        "渋谷",
    ]
    # A datetime in the filter and in the value; inside a transaction, undone with it.
    later = AT + dt.timedelta(days=3)
    assert await MOVE_UP_TO(first.id, AT, later) == 2
    assert await MOVE_UP_TO(first.id, AT, later) == 0  # none is at or before AT any more

    class Rollback(Exception):
        pass

    async def rename_and_roll_back() -> None:
        async with in_transaction():
            assert await RENAME(first.id, "取り消される") == 1
            assert (await Office.get(id=first.id)).name == "取り消される"
            raise Rollback

    with pytest.raises(Rollback):
        await rename_and_roll_back()
    renamed = await Office.get(id=first.id)
    assert (renamed.name, renamed.created_at) == ("新宿", later)


async def test_a_read_by_ids_answers_every_length_from_a_few_shapes(server: Server) -> None:
    offices = await _offices([f"93{n:03d}" for n in range(LONGEST_PREPARED_LIST + 1)])
    ids = [office.id for office in offices]
    by_ids: PreparedIn[Office] = PreparedIn(lambda wanted: Office.filter(id__in=wanted))
    lengths = [1, 2, 3, 4, 5, 8, 9, 31, 32, 33, LONGEST_PREPARED_LIST, LONGEST_PREPARED_LIST + 1]
    for length in lengths:
        wanted = ids[-length:][::-1]  # any order, the last id repeated as padding
        found = await by_ids(wanted)
        assert sorted(office.id for office in found) == sorted(wanted), length
    assert await by_ids([]) == []
    assert sorted(office.id for office in await by_ids([ids[0], ids[0], ids[1]])) == ids[:2]
    # 1, 2, 4, 8, 16, 32, 64, 256 (the list one longer was read unprepared).
    shapes = {length for ((_, length),) in by_ids._prepared._shapes}
    assert shapes == {1, 2, 4, 8, 16, 32, 64, LONGEST_PREPARED_LIST}


async def test_a_read_by_ids_takes_its_other_arguments_after_them(server: Server) -> None:
    """Each call's own arguments after the ids, prepared or (a list too long) not."""
    offices = await _offices([f"94{n:03d}" for n in range(LONGEST_PREPARED_LIST + 1)])
    late = offices[-1]
    await Office.filter(id=late.id).update(created_at=AT + dt.timedelta(days=1))
    ids = [office.id for office in offices]
    created_since: PreparedIn[int] = PreparedIn(
        lambda wanted, since, code: Office.filter(
            id__in=wanted, created_at__gte=since, code__not=code
        ).values_list("id", flat=True)
    )
    for wanted in (ids[-3:], ids):  # 3 ids, padded to 4; then one too many to prepare
        assert sorted(await created_since(wanted, AT, "00000")) == sorted(wanted)
        assert await created_since(wanted, AT + dt.timedelta(hours=1), "00000") == [late.id]
        assert await created_since(wanted, AT + dt.timedelta(hours=1), late.code) == []
    assert {shape for shape, *_ in created_since._prepared._shapes} == {(int, 4)}


@pytest.fixture
async def posting(employer: GraphQLClient, staff: GraphQLClient) -> Posting:
    active = await flows.active_posting(employer, staff, jobTitle="介護職員")
    return await Posting.get(posting_number=active["postingNumber"])


def _same(found: Model, expected: Model) -> None:
    """The same attributes, equal, of the same types and time zones (`repr` shows both)."""
    assert type(found) is type(expected)
    assert found.__dict__ == expected.__dict__
    assert [repr(value) for value in found.__dict__.values()] == [
        repr(value) for value in expected.__dict__.values()
    ]


async def test_plain_reads_make_the_models_tortoise_makes(
    server: Server, employer: GraphQLClient, posting: Posting
) -> None:
    """Every model with rows after an employer's set-up, a posting, an application and a
    thread (enums, JSON, nulls, dates read and unread), made by `_Rows` from the rows of
    `Model.all()` and by Tortoise's executor: the same attributes, values and types."""
    seeker, _, _ = await seeker_user(server, 1)
    await apply(server, seeker, posting)
    employer_user = await User.get(portal=Portal.EMPLOYER)
    now = server.clock.now()
    thread = await MessageThread.create(
        establishment_id=posting.establishment_id,
        seeker_id=seeker.id,
        created_at=now,
        last_message_at=now,
    )
    for sender, user, read_at in (
        (MessageSender.EMPLOYER, employer_user, now),
        (MessageSender.SEEKER, seeker, None),
    ):
        await Message.create(
            thread=thread,
            establishment_id=posting.establishment_id,
            sender=sender,
            sender_user=user,
            body=f"{sender.value}から",
            created_at=now,
            read_at=read_at,
        )
    compared: set[str] = set()
    for model in Tortoise.apps["models"].values():
        query = model.all().order_by(model._meta.pk_attr)
        query._make_query()  # as `Prepared` builds it
        rows = _Rows.serve(query)
        assert rows is not None, model
        sql, values = query.query.get_parameterized_sql()
        expected = await model.all().order_by(model._meta.pk_attr)
        found = await rows.select(model._choose_db(), sql, values)
        assert len(found) == len(expected), model
        for made, built in zip(found, expected, strict=True):
            _same(made, built)
        if expected:
            compared.add(model.__name__)
    assert {"User", "Session", "Establishment", "Posting", "Application", "Message"} <= compared
    await _partial_reads_make_the_models_tortoise_makes()
    await _values_reads_answer_as_tortoise()


async def _partial_reads_make_the_models_tortoise_makes() -> None:
    """`only` reads of every model: every other field (the key first, then every kind of field
    the model has: foreign keys, enums, dates, JSON), one field, its fields twice over, and
    all of them; by `_Rows` and by Tortoise, the same partial (or whole) models."""
    compared: set[str] = set()
    for model in Tortoise.apps["models"].values():
        fields = list(model._meta.fields_db_projection)
        pk = model._meta.pk_attr
        choices = {
            "every other": [pk, *(name for name in fields[1::2] if name != pk)],
            "one": [fields[-1]],
            "twice": [*fields[:3], *fields[:3]],
            "all": fields,
        }
        for name, chosen in choices.items():
            query = model.all().order_by(pk).only(*chosen)
            query._make_query()
            rows = _Rows.serve(query)
            assert rows is not None, (model, name)
            sql, values = query.query.get_parameterized_sql()
            expected = await model.all().order_by(pk).only(*chosen)
            found = await rows.select(model._choose_db(), sql, values)
            assert len(found) == len(expected), (model, name)
            for made, built in zip(found, expected, strict=True):
                _same(made, built)
                assert made._partial is (set(chosen) != set(fields)), (model, name)
            if expected:
                compared.add(model.__name__)
    assert {"User", "Session", "Establishment", "Posting", "Application", "Message"} <= compared


async def _values_reads_answer_as_tortoise() -> None:
    """`values()` reads of every model, of all its fields under their names and under other
    names, and through a relation: by `_Dicts` and by Tortoise, the same rows, values and
    types (enums, dates, JSON, nulls)."""
    compared: set[str] = set()
    for model in Tortoise.apps["models"].values():
        fields = list(model._meta.fields_db_projection)
        pk = model._meta.pk_attr
        renamed = {f"as_{name}": name for name in fields}
        related = {
            f"{name}__{model._meta.fields_map[name].related_model._meta.pk_attr}"  # type: ignore[attr-defined]
            for name in model._meta.fk_fields
        }
        for args, kwargs in (
            (fields, {}),
            ([], renamed),
            ([pk], {f"via_{n}".replace("__", "_"): n for n in sorted(related)}),
        ):
            query = model.all().order_by(pk).values(*args, **kwargs)
            query._choose_db_if_not_chosen()
            query._make_query()
            dicts = _Dicts.serve(query)
            assert dicts is not None, model
            sql, values = query.query.get_parameterized_sql()
            expected = await model.all().order_by(pk).values(*args, **kwargs)
            found = await dicts.select(model._choose_db(), sql, values)
            assert found == expected, model
            assert [[repr(v) for v in row.values()] for row in found] == [
                [repr(v) for v in row.values()] for row in expected
            ], model
            if expected:
                compared.add(model.__name__)
    assert {"User", "Session", "Establishment", "Posting", "Application", "Message"} <= compared


async def test_rows_given_as_dicts_make_the_same_models(server: Server) -> None:
    """A driver giving each row as a dict (by name, not by place): the same models, whole or
    partial."""
    await _offices(["97001", "97002"])
    for query, expected in (
        (Office.all().order_by("id"), await Office.all().order_by("id")),
        (
            Office.all().order_by("id").only("id", "code"),
            await Office.all().order_by("id").only("id", "code"),
        ),
    ):
        query._make_query()
        rows = _Rows.serve(query)
        assert rows is not None
        dicts = await Office._choose_db().execute_query_dict(*query.query.get_parameterized_sql())
        assert dicts
        assert all(type(row) is dict for row in dicts)
        made = rows.build(rows.plan(dicts[0]), dicts)
        assert len(made) == len(expected)
        for found, built in zip(made, expected, strict=True):
            _same(found, built)


async def test_a_single_values_read_answers_as_tortoise(server: Server) -> None:
    """`values()` of `get`, `get_or_none` and `first`: one row, None, or Tortoise's errors."""
    first, second = await _offices(["96001", "96002"])
    get: Prepared[dict[str, object]] = Prepared(
        lambda code: Office.filter(code=code).get().values("id", "created_at")
    )
    maybe: Prepared[dict[str, object] | None] = Prepared(
        lambda code: Office.filter(code=code).first().values("id")
    )
    assert await get(first.code) == {"id": first.id, "created_at": first.created_at}
    assert next(iter(get._shapes.values())).dicts is not None  # read by `_Dicts`
    assert await maybe(second.code) == {"id": second.id}
    assert await maybe("99999") is None
    with pytest.raises(DoesNotExist):
        await get("99999")
    several: Prepared[dict[str, object]] = Prepared(
        lambda first_id: Office.filter(id__gte=first_id).get().values("id")
    )
    with pytest.raises(MultipleObjectsReturned):
        await several(first.id)


async def test_a_single_plain_read_answers_as_tortoise(server: Server) -> None:
    """`get`, `get_or_none` and `first` through `_Rows`: one model, None, or Tortoise's
    errors."""
    first, second = await _offices(["95001", "95002"])
    get: Prepared[Office] = Prepared(lambda code: Office.get(code=code))
    maybe: Prepared[Office | None] = Prepared(lambda code: Office.get_or_none(code=code))
    newest: Prepared[Office | None] = Prepared(
        lambda first_id: Office.filter(id__gte=first_id).order_by("-id").first()
    )
    assert all(p._shapes == {} for p in (get, maybe, newest))
    _same(await get(first.code), await Office.get(code=first.code))
    assert next(iter(get._shapes.values())).rows is not None  # read by `_Rows`
    assert await maybe("99999") is None
    with pytest.raises(DoesNotExist):
        await get("99999")
    _same(await newest(first.id), await Office.get(id=second.id))  # type: ignore[arg-type]
    assert await newest(second.id + 1) is None
    several: Prepared[Office] = Prepared(lambda first_id: Office.get(id__gte=first_id))
    with pytest.raises(MultipleObjectsReturned):
        await several(first.id)


async def test_reads_tortoise_shapes_itself_are_not_plain(server: Server) -> None:
    """`select_related`, an `only` of a related field, `prefetch_related`, annotations and
    values are read by Tortoise's executor."""
    for plain in (Office.all(), Office.all().only("id", "code")):
        plain._make_query()
        assert _Rows.serve(plain) is not None
    for query in (
        Message.all().only("id", "thread__id"),
        Message.all().select_related("thread"),
        MessageThread.all().prefetch_related("messages"),
        Office.all().annotate(doubled=F("id") * 2),
        Office.all().values("id"),
    ):
        query._make_query()
        assert _Rows.serve(query) is None, query


def test_the_conversions_answer_as_tortoise(server: Server) -> None:
    """An enum's member by its value, and a date from SQLite's text (aware, naive, in another
    zone) or from a driver that gives datetimes: what Tortoise's field answers, refusals too."""
    sender = Message._meta.fields_map["sender"]
    created_at = Message._meta.fields_map["created_at"]
    for field, values in (
        (sender, ["EMPLOYER", "SEEKER", None]),
        (
            created_at,
            [
                "2026-12-04 09:30:00.123456+00:00",
                "2026-12-04T09:30:00",
                "2026-12-04 18:30:00+09:00",
                dt.datetime(2026, 12, 4, 9, 30, tzinfo=dt.UTC),
                dt.datetime(2026, 12, 4, 9, 30),
                None,
            ],
        ),
    ):
        convert = _conversion(field)
        assert convert is not field.to_python_value  # a conversion of its own
        for value in values:
            expected = field.to_python_value(value)
            assert repr(convert(value)) == repr(expected), value
    with pytest.raises(ValueError, match="'NOBODY' is not a valid MessageSender"):
        _conversion(sender)("NOBODY")
    with pytest.raises(ValueError, match=r"month must be in 1\.\.12"):  # ciso8601's words
        created_at.to_python_value("2026-13-45")
    with pytest.raises(ValueError, match=r"month must be in 1\.\.12"):
        _conversion(created_at)("2026-13-45")
