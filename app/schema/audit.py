"""The security audit trail, as staff of an office read it."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Self

import strawberry
from strawberry import relay
from strawberry.scalars import JSON

import app.schema.describe as describe
from app import models
from app.clock import TOKYO
from app.errors import UserErrors
from app.resolvers import audit
from app.resolvers.paging import Page, empty_page
from app.schema.context import Info
from app.schema.establishments import Establishment
from app.schema.nodes import MAX_BIGINT_ID, decode_id, visible_to_viewer
from app.schema.paging import (
    After,
    Before,
    Connection,
    Edge,
    First,
    Last,
    connection,
    encode_cursor,
    id_window,
)
from app.schema.permissions import IsStaff

describe.enum(
    models.AuditAction,
    description=(
        "監査ログの種類 (what happened): logins (成功, 失敗, ワンタイムパスワード誤り, ロック, "
        "ロック解除, ログアウト), account opening and its code (発行, 無効化), passwords and "
        "addresses, logins added and removed, withdrawal (退会), and the staff's actions."
    ),
)
AuditAction = models.AuditAction

_CURSOR = "AuditEvent"


@strawberry.type(
    description=(
        "監査ログ (one security event); the trail is append-only. Seen (`node` too) by staff "
        "of the office it belongs to only."
    )
)
class AuditEvent(relay.Node):
    id: relay.NodeID[int]
    event_number: str = strawberry.field(
        description=(
            "監査番号 (event number): the event's own number in the trail, as the database "
            "and the service's logs hold it; larger for later events. What `id` held before "
            "it became a global ID."
        )
    )
    occurred_at: dt.datetime = strawberry.field(description="発生日時 (when it happened).")
    action: AuditAction = strawberry.field(description="監査ログの種類 (what happened).")
    client_address: str | None = strawberry.field(
        description="The client's address for what came from outside (logins, keys)."
    )
    detail: JSON = strawberry.field(
        description="What else is known: the reason of a failure, the posting or image "
        "reviewed, the addresses of an email change. Never a password, code or key."
    )
    actor_id: strawberry.Private[int | None]
    subject_id: strawberry.Private[int | None]
    establishment_id: strawberry.Private[int | None]

    @classmethod
    def from_model(cls, event: models.AuditEvent) -> Self:
        return cls(
            id=event.id,
            event_number=str(event.id),
            occurred_at=event.occurred_at,
            action=event.action,
            client_address=event.client_address,
            detail=JSON(event.detail),
            actor_id=event.actor_id,
            subject_id=event.subject_id,
            establishment_id=event.establishment_id,
        )

    @strawberry.field(
        description="The address of the login who acted, when signed in: its address now, or "
        "the one it had when it was closed."
    )
    async def actor_email(self, info: Info) -> str | None:
        return await _email(info, self.actor_id)

    @strawberry.field(description="The address of the login the event concerns, as `actorEmail`.")
    async def subject_email(self, info: Info) -> str | None:
        return await _email(info, self.subject_id)

    @strawberry.field(description="The establishment concerned, if any.")
    async def establishment(self, info: Info) -> Establishment | None:
        if self.establishment_id is None:
            return None
        found = await info.context.loaders.establishment_by_id.load(self.establishment_id)
        return Establishment.from_model(found)

    resolve_nodes = visible_to_viewer(audit.visible_audit_events, MAX_BIGINT_ID)


async def _email(info: Info, user_id: int | None) -> str | None:
    """The address of a login; for one closed since, the address it had."""
    if user_id is None:
        return None
    user = await info.context.loaders.user_by_id.load(user_id)
    if user is None:
        return None
    return user.former_email if not user.is_active and user.former_email else user.email


@strawberry.type(description="A page of audit events, newest first.")
class AuditEventConnection(Connection[Edge[AuditEvent]]):
    pass


def _edge(item: models.AuditEvent) -> Edge[AuditEvent]:
    return Edge(cursor=encode_cursor(_CURSOR, item.id), node=AuditEvent.from_model(item))


def _connection(page: Page[models.AuditEvent]) -> AuditEventConnection:
    return connection(AuditEventConnection, page, _edge)


def _in_tokyo(moment: dt.datetime | None) -> dt.datetime | None:
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=TOKYO)


@strawberry.type
class AuditQuery:
    @strawberry.field(
        description="Staff: the security events of their office (logins and failures of its "
        "establishments' logins, lockouts, codes issued and voided, password and address "
        "changes, and what its staff did), newest first; `totalCount` counts those the "
        "filters keep.",
        permission_classes=[IsStaff],
    )
    async def audit_events(
        self,
        info: Info,
        actions: Annotated[
            list[AuditAction] | None,
            strawberry.argument(
                description="Only events of these kinds; null or empty: every kind."
            ),
        ] = None,
        establishment_id: Annotated[
            relay.GlobalID | None,
            strawberry.argument(
                description=(
                    "Only events concerning this establishment (an `Establishment` ID); one "
                    "that names no establishment of the office finds none."
                )
            ),
        ] = None,
        since: Annotated[
            dt.datetime | None,
            strawberry.argument(
                description="From this moment, inclusive; a time without offset is Japan time."
            ),
        ] = None,
        until: Annotated[
            dt.datetime | None,
            strawberry.argument(
                description="Before this moment, exclusive; a time without offset is Japan time."
            ),
        ] = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> AuditEventConnection:
        page_window = id_window(_CURSOR, first, after, last, before, MAX_BIGINT_ID)
        establishment_pk = None
        if establishment_id is not None:
            try:
                establishment_pk = decode_id(establishment_id, "Establishment", "establishmentId")
            except UserErrors:
                return _connection(empty_page())
        page = await audit.office_audit_events(
            info.context.viewer,
            actions=actions,
            establishment_id=establishment_pk,
            since=_in_tokyo(since),
            until=_in_tokyo(until),
            window=page_window,
        )
        return _connection(page)
