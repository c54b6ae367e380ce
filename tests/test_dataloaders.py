"""The request's dataloaders are built on first use (an idle WebSocket holds none) and are
then the same object for the rest of the request."""

from __future__ import annotations

from strawberry.dataloader import DataLoader

from app.resolvers.applicants import Person
from app.schema.dataloaders import Loaders


def _built(loaders: Loaders) -> list[str]:
    return [name for name, value in vars(loaders).items() if isinstance(value, DataLoader)]


def test_no_loader_is_built_before_it_is_read() -> None:
    loaders = Loaders()
    assert _built(loaders) == []
    first = loaders.posting_by_id
    assert isinstance(first, DataLoader)
    assert loaders.posting_by_id is first
    assert _built(loaders) == ["posting_by_id"]


def test_each_request_has_loaders_of_its_own() -> None:
    one, other = Loaders(), Loaders()
    assert one.office_by_id is not other.office_by_id
    assert one.office_by_id.load_fn is other.office_by_id.load_fn


async def test_the_person_loader_reads_through_the_function_it_was_given() -> None:
    asked: list[list[int]] = []

    async def read(ids: list[int]) -> list[Person | None]:
        asked.append(ids)
        return [None for _ in ids]

    loaders = Loaders()
    loaders.read_persons = read
    assert await loaders.person_by_application_id.load_many([3, 4]) == [None, None]
    assert asked == [[3, 4]]
    assert _built(loaders) == ["person_by_application_id"]
