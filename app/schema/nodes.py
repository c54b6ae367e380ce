"""Global IDs: decoding the IDs clients send back, the one rule for the numbers in them, and
the `resolve_nodes` of the Nodes the viewer may see.

A row id is written in ASCII digits and lies within its column's range: `integer` (32 bits
on PostgreSQL) for every primary key but the `bigint` of the event and audit streams, of the
record of personal-data reads and of the mail outbox. Anything else
(`²`, `٣`, `-1`, `0`, a number past the column) names no row: the database never sees it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any, Protocol, Self, TypeVar

from strawberry import relay

from app.errors import ErrorCode, user_error
from app.schema.context import Info
from app.viewer import Viewer

MAX_INT_ID = 2**31 - 1
"""The largest `integer` of PostgreSQL: the range of the primary keys (Tortoise `IntField`)."""
MAX_BIGINT_ID = 2**63 - 1
"""The largest `bigint`: the range of the `BigIntField` ids (`Event`, `AuditEvent`,
`PersonalDataAccess`, `OutgoingMail`)."""

M = TypeVar("M")
M_contra = TypeVar("M_contra", contravariant=True)
N = TypeVar("N")


def number(text: str, maximum: int) -> int | None:
    """The number written in `text`, or None when it is not ASCII digits within 0..`maximum`."""
    # `str.isdigit` alone also takes '²' and other digits that `int` refuses or reads; the
    # length keeps `int` from parsing thousands of digits.
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(maximum)):
        return None
    value = int(text)
    return value if value <= maximum else None


def row_id(text: str, maximum: int = MAX_INT_ID) -> int | None:
    """The id written in `text`, or None when it is not ASCII digits within 1..`maximum`."""
    value = number(text, maximum)
    return value if value else None


def decode_id(global_id: relay.GlobalID | str, type_name: str, field: str) -> int:
    """The database id behind a global ID of `type_name`; NOT_FOUND for anything else."""
    not_found = user_error(ErrorCode.NOT_FOUND, "指定されたIDが見つかりません。", field)
    try:
        gid = (
            global_id
            if isinstance(global_id, relay.GlobalID)
            else relay.GlobalID.from_id(global_id)
        )
    except Exception as exc:  # strawberry raises several kinds for malformed base64
        raise not_found from exc
    found = row_id(gid.node_id) if gid.type_name == type_name else None
    if found is None:
        raise not_found
    return found


async def visible_nodes(
    node_ids: Iterable[str],
    visible: Callable[[list[int]], Awaitable[Mapping[int, M]]],
    present: Callable[[M], N],
    maximum: int = MAX_INT_ID,
) -> list[N | None]:
    """A `resolve_nodes`: the rows `visible` lets the viewer see, presented, in the order of
    `node_ids`; None for each id that names no such row (malformed ones, and ids past
    `maximum`, the id column's range, included)."""
    ids = [row_id(node_id, maximum) for node_id in node_ids]
    found = await visible([i for i in ids if i is not None])
    return [present(found[i]) if i is not None and i in found else None for i in ids]


class _FromModel(Protocol[M_contra]):
    @classmethod
    def from_model(cls, row: M_contra, /) -> Self: ...


# Any: `Node` declares `resolve_nodes` overloaded, a type no classmethod object has; the
# function inside is typed.
def visible_to_viewer(
    visible: Callable[[Viewer, list[int]], Awaitable[Mapping[int, M]]],
    maximum: int = MAX_INT_ID,
) -> Any:
    """The `resolve_nodes` of a Node made by its `from_model` from one row: the rows
    `visible(viewer, ids)` lets the viewer see, as `visible_nodes` reads them. Assigned in
    the class body: `resolve_nodes = visible_to_viewer(establishments.visible_offices)`."""

    async def resolve_nodes(
        cls: type[_FromModel[M]], *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[_FromModel[M] | None]:
        viewer = info.context.viewer
        return await visible_nodes(
            node_ids, lambda ids: visible(viewer, ids), cls.from_model, maximum
        )

    return classmethod(resolve_nodes)
