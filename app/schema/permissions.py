"""Who may call a root field, declared on it once: `permission_classes=[IsEmployer]`.

A refusal is the app's own `NotAuthenticated` (nobody is logged in) or `Forbidden` (a login
of another portal), raised by `has_permission` itself, as `Viewer.require` decides; so
`CodedErrors` gives it the same code, message and path as when a resolver raises it.
Strawberry's `on_unauthorized` is not used: it is told nothing of the request, so it cannot
tell the two apart, and one instance serves every request, so it may not remember either.

The check runs before the field's body. The resolver still checks the viewer against the
object it loads: that check is the authoritative one, also for tests and the command line.
"""

from __future__ import annotations

from typing import ClassVar

from strawberry.permission import BasePermission

from app.errors import NotAuthenticated
from app.models import Portal
from app.schema.context import Info


class IsAuthenticated(BasePermission):
    """Logged in, to any portal."""

    def has_permission(self, source: object, info: Info, **kwargs: object) -> bool:
        if not info.context.viewer.is_authenticated:
            raise NotAuthenticated
        return True


class _InPortal(BasePermission):
    portal: ClassVar[Portal]

    def has_permission(self, source: object, info: Info, **kwargs: object) -> bool:
        info.context.viewer.require(self.portal)
        return True


class IsEmployer(_InPortal):
    """Logged in to the employer portal (求人者マイページ)."""

    portal = Portal.EMPLOYER


class IsStaff(_InPortal):
    """Logged in as staff of a Hello Work office (職員)."""

    portal = Portal.STAFF


class IsSeeker(_InPortal):
    """Logged in to the job seekers' portal (求職者マイページ)."""

    portal = Portal.SEEKER
