"""Global IDs: decoding the IDs clients send back in inputs."""

from __future__ import annotations

from strawberry import relay

from app.errors import ErrorCode, user_error


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
    if gid.type_name != type_name or not gid.node_id.isdigit():
        raise not_found
    return int(gid.node_id)
