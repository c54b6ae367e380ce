"""Withdrawal (退会): the owner closes their login; its records stay."""

from __future__ import annotations

from tortoise.transactions import in_transaction

from app.models import AuditAction, Establishment, Portal, User
from app.resolvers import audit
from app.resolvers.accounts.logins import check_not_last_login, close_login
from app.resolvers.accounts.owner import account_owner, password_given, recheck_password
from app.resolvers.accounts.sessions import sessions_ended
from app.runtime import Runtime
from app.viewer import Viewer


async def withdraw(rt: Runtime, viewer: Viewer, *, password: str) -> User:
    """退会: the login closes, every session ends, every record stays.

    The address is free again at once (see `User`). An establishment's last login cannot
    withdraw, as it cannot be removed: the establishment would be left without a login.
    """
    user = account_owner(viewer)
    password_given(password)
    await recheck_password(rt, user, password, step="withdrawal")
    now = rt.clock.now()
    async with in_transaction():
        if user.portal == Portal.EMPLOYER:
            await Establishment.select_for_update().get(id=user.establishment_id)
            await check_not_last_login(user)
        ended = await close_login(user, now, removed_by_id=None)
        await audit.record(rt, AuditAction.WITHDRAWN, actor=user, subject=user)
    await sessions_ended(rt, ended)
    return user
