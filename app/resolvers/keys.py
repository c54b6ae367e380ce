"""The mailed key with tries: a secret stored hashed, usable until it expires, closed by too
many wrong tries, used up once.

One `KeyKind` per kind of secret says where its rows are and how a try is answered: the keys
mailed for a purpose (`MailedKey`: invitation, password reset, email change, unlock), the
employer's and the seeker's registration keys, the counter's account creation code and the
login's one-time password. Counting and using up are conditional UPDATEs, so concurrent tries
from any number of processes each count once and only one of concurrent uses gets the key.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Generic, Protocol, TypeVar, cast

from tortoise.expressions import F
from tortoise.models import Model
from tortoise.transactions import in_transaction

from app.errors import ErrorCode, UserError, UserErrors
from app.models.accounts import MailedKey, MailedKeyPurpose
from app.runtime import Runtime
from app.security import hashes_match, new_auth_key

M = TypeVar("M", bound=Model)

MAILED_KEY_MAX_FAILED_TRIES = 5


class _KeyRow(Protocol):
    """The columns every kind of key has; `status` only those with `open_status`."""

    expires_at: dt.datetime
    closed_at: dt.datetime | None
    status: Enum


@dataclass(frozen=True)
class KeyKind(Generic[M]):
    """One kind of secret with tries: where its rows are and how a try is answered.

    Every kind's table has `failed_attempts` and `closed_at`; `new_key` and `open_key` need
    `created_at` and `expires_at` too (the account creation code, issued at the counter with a
    day of expiry, is matched by its own rule and only counted and claimed here).
    """

    model: type[M]
    hash_purpose: str
    """What the secret's hash is keyed with (`Runtime.secret_hash`)."""
    hash_field: str
    max_failed_tries: int
    wrong: UserError
    expired: UserError
    void: UserError
    """The answer once the key is closed: used, replaced, or out of tries."""
    open_status: Enum | None = None
    """Open while the row's `status` is this; without one, while `closed_at` is null."""
    void_status: Enum | None = None
    """The `status` of a row out of tries or replaced by a newer one."""
    used_status: Enum | None = None
    """The `status` of a row used up."""
    scope: Mapping[str, Any] = field(default_factory=dict)
    """The kind's rows in a table that several kinds share (`MailedKey.purpose`)."""
    new_secret: Callable[[], str] = new_auth_key

    def hash(self, rt: Runtime, secret: str) -> str:
        return rt.secret_hash(self.hash_purpose, secret)

    def is_open(self, row: M) -> bool:
        if self.open_status is None:
            return _columns(row).closed_at is None
        return _columns(row).status == self.open_status


def _columns(row: Model) -> _KeyRow:
    return cast(_KeyRow, row)


def _open_rows(kind: KeyKind[Any]) -> dict[str, Any]:
    if kind.open_status is None:
        return {"closed_at__isnull": True}
    return {"status": kind.open_status}


def _closing(status: Enum | None, now: dt.datetime) -> dict[str, Any]:
    """What a row becomes as it closes, with `status` if its kind has one."""
    return {"closed_at": now} if status is None else {"status": status, "closed_at": now}


async def new_key(
    rt: Runtime,
    kind: KeyKind[M],
    *,
    expires_at: dt.datetime,
    supersedes: Mapping[str, Any] | None,
    now: dt.datetime | None = None,
    **values: Any,
) -> tuple[M, str]:
    """A new key of `kind`, with `values`; the open ones matching `supersedes` close as void.

    Call inside a transaction; the plaintext is returned once, for the mail.
    """
    now = now or rt.clock.now()
    secret = kind.new_secret()
    if supersedes is not None:
        await kind.model.filter(**_open_rows(kind), **kind.scope, **supersedes).update(
            **_closing(kind.void_status, now)
        )
    columns: dict[str, Any] = {
        **kind.scope,
        kind.hash_field: kind.hash(rt, secret),
        "created_at": now,
        "expires_at": expires_at,
        **values,
    }
    if kind.open_status is not None:
        columns["status"] = kind.open_status
    return await kind.model.create(**columns), secret


async def open_key(
    rt: Runtime, kind: KeyKind[M], key: str, *, related: Sequence[str] = (), **owner: Any
) -> M:
    """The newest key of `kind` for `owner`, if `key` is it and it is still usable.

    A wrong key is one wrong try against that newest key; the last one closes it. The key is
    not used up here: `claim_key` does that in the transaction of the change. `related` are
    read with it (`select_related`).
    """
    now = rt.clock.now()
    query = kind.model.filter(**kind.scope, **owner).order_by("-created_at", "-id")
    if related:
        query = query.select_related(*related)
    row = await query.first()
    if row is None:
        raise UserErrors(kind.wrong)
    if not kind.is_open(row):
        raise UserErrors(kind.void)
    if now >= _columns(row).expires_at:
        raise UserErrors(kind.expired)
    if not hashes_match(getattr(row, kind.hash_field), kind.hash(rt, key)):
        if await count_wrong_try(rt, kind, row.pk):
            raise UserErrors(kind.void)
        raise UserErrors(kind.wrong)
    return row


async def count_wrong_try(rt: Runtime, kind: KeyKind[M], row_id: Any) -> bool:
    """Add one to the row's `failed_attempts` while it is open; close it, void, at the kind's
    limit. True when the row is closed after this try (also when it was already)."""
    async with in_transaction():
        open_rows = _open_rows(kind)
        counted = await kind.model.filter(id=row_id, **open_rows).update(
            failed_attempts=F("failed_attempts") + 1
        )
        if counted == 0:
            return True
        closed = await kind.model.filter(
            id=row_id, failed_attempts__gte=kind.max_failed_tries, **open_rows
        ).update(**_closing(kind.void_status, rt.clock.now()))
    return closed > 0


async def claim_key(
    kind: KeyKind[M], row: M, now: dt.datetime, *, lost: UserError | None = None
) -> None:
    """Use the key up, in the transaction of the change. Only one of concurrent uses gets it;
    the others are answered `lost` (the kind's `void` unless told)."""
    claimed = await kind.model.filter(id=row.pk, **_open_rows(kind)).update(
        **_closing(kind.used_status, now)
    )
    if claimed != 1:
        raise UserErrors(lost or kind.void)


def _mailed(purpose: MailedKeyPurpose) -> KeyKind[MailedKey]:
    return KeyKind(
        model=MailedKey,
        hash_purpose=f"mailed-key:{purpose.value}",
        hash_field="key_hash",
        max_failed_tries=MAILED_KEY_MAX_FAILED_TRIES,
        wrong=UserError(ErrorCode.AUTH_KEY_INVALID, "認証キーが正しくありません。", "key"),
        expired=UserError(
            ErrorCode.AUTH_KEY_EXPIRED,
            "認証キーの有効期限が過ぎています。もう一度はじめからお手続きください。",
            "key",
        ),
        void=UserError(
            ErrorCode.AUTH_KEY_VOID,
            "この認証キーは無効です。もう一度はじめからお手続きください。",
            "key",
        ),
        scope={"purpose": purpose},
    )


LOGIN_INVITATION = _mailed(MailedKeyPurpose.LOGIN_INVITATION)
PASSWORD_RESET = _mailed(MailedKeyPurpose.PASSWORD_RESET)
EMAIL_CHANGE = _mailed(MailedKeyPurpose.EMAIL_CHANGE)
UNLOCK = _mailed(MailedKeyPurpose.UNLOCK)
