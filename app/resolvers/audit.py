"""The security audit trail: appending events where they happen, and the staff's view of it.

Each event is written in the transaction of the change it records, when there is one, so the
trail holds exactly what took effect. Refusals (a wrong password, a wrong OTP) have no change
to ride with and are written on their own.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from app.models import AuditAction, AuditEvent, Establishment, Portal, User
from app.resolvers.paging import Page, Window, newest
from app.runtime import Runtime
from app.viewer import Viewer


async def record(
    rt: Runtime,
    action: AuditAction,
    *,
    actor: User | None = None,
    subject: User | None = None,
    establishment_id: int | None = None,
    office_id: int | None = None,
    client: str | None = None,
    **detail: Any,
) -> AuditEvent:
    """Append one event. The office whose staff may read it is the one given, else the
    office of the establishment concerned, else the office of the staff who acted."""
    if establishment_id is None:
        establishment_id = _establishment_of(subject) or _establishment_of(actor)
    if office_id is None and establishment_id is not None:
        office_id = await _office_of_establishment(establishment_id)
    if office_id is None:
        office_id = _office_of(subject) or _office_of(actor)
    return await AuditEvent.create(
        occurred_at=rt.clock.now(),
        action=action,
        office_id=office_id,
        establishment_id=establishment_id,
        actor_id=actor.id if actor else None,
        subject_id=subject.id if subject else None,
        client_address=client[:64] if client else None,
        detail=detail,
    )


def _establishment_of(user: User | None) -> int | None:
    return user.establishment_id if user is not None else None


def _office_of(user: User | None) -> int | None:
    return user.office_id if user is not None else None


async def _office_of_establishment(establishment_id: int) -> int | None:
    establishment = await Establishment.get_or_none(id=establishment_id).only("id", "office_id")
    return establishment.office_id if establishment is not None else None


async def office_audit_events(
    viewer: Viewer,
    *,
    actions: list[AuditAction] | None = None,
    establishment_id: int | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    window: Window[int],
) -> Page[AuditEvent]:
    """Staff: the audit events of their own office, newest first.

    `since` is inclusive and `until` exclusive, so consecutive windows neither overlap nor
    leave a gap.
    """
    staff = viewer.require_staff()
    query = AuditEvent.filter(office_id=staff.office_id)
    if actions:
        query = query.filter(action__in=actions)
    if establishment_id is not None:
        query = query.filter(establishment_id=establishment_id)
    if since is not None:
        query = query.filter(occurred_at__gte=since.astimezone(dt.UTC))
    if until is not None:
        query = query.filter(occurred_at__lt=until.astimezone(dt.UTC))
    return await newest(query, window)


async def visible_audit_events(viewer: Viewer, ids: list[int]) -> dict[int, AuditEvent]:
    """The events among `ids` that `office_audit_events` shows the viewer: those of their
    office, to staff; none to anyone else."""
    user = viewer.user
    if user is None or user.portal != Portal.STAFF or user.office_id is None:
        return {}
    found = await AuditEvent.filter(id__in=ids, office_id=user.office_id)
    return {event.id: event for event in found}
