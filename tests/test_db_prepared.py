"""`app.db.Prepared`: a read whose SQL is built once answers as the query built each time,
with each call's own arguments, on the connection of the moment, and refuses a read whose
argument would not reach its SQL as a parameter; datetimes (aware only) and updates the
same. `PreparedIn`: the same for a list of ids, padded to a power of two."""

from __future__ import annotations

import datetime as dt

import pytest
from tortoise.transactions import in_transaction

from app.db import LONGEST_PREPARED_LIST, Prepared, PreparedIn
from app.models import Office
from tests.conftest import Server

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
