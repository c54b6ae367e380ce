"""`app.db.Prepared`: a read whose SQL is built once answers as the query built each time,
with each call's own arguments, on the connection of the moment, and refuses a read whose
argument would not reach its SQL as a parameter. `PreparedIn`: the same for a list of ids,
padded to a power of two."""

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
    with pytest.raises(TypeError, match="ints, strings and lists"):
        await BY_CODE(1.5)  # type: ignore[arg-type]


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
