"""Who is acting: a logged-in user with their session, or nobody."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

from tortoise.models import Model
from tortoise.queryset import QuerySet

from app.errors import Forbidden, NotAuthenticated
from app.models import Portal, Session, User

M = TypeVar("M", bound=Model)


@dataclass(frozen=True)
class Viewer:
    user: User | None = None
    session: Session | None = None

    @classmethod
    def anonymous(cls) -> Viewer:
        return cls()

    @property
    def is_authenticated(self) -> bool:
        return self.user is not None

    def require(self, portal: Portal) -> User:
        """The user, if logged in to `portal`; otherwise the matching top-level error."""
        if self.user is None:
            raise NotAuthenticated
        if self.user.portal != portal:
            raise Forbidden
        return self.user

    def require_staff(self) -> User:
        return self.require(Portal.STAFF)

    def require_employer(self) -> User:
        return self.require(Portal.EMPLOYER)

    def require_employer_or_staff(self) -> User:
        if self.user is None:
            raise NotAuthenticated
        if self.user.portal not in (Portal.EMPLOYER, Portal.STAFF):
            raise Forbidden
        return self.user

    def scope(self, query: QuerySet[M], *, establishment: str, office: str) -> QuerySet[M] | None:
        """The rows of `query` an employer sees (its establishment's, through the lookup
        `establishment`) or staff see (their office's, through `office`); None for others."""
        user = self.user
        if user is None:
            return None
        if user.establishment_id is not None:
            return query.filter(**{establishment: user.establishment_id})
        if user.office_id is not None:
            return query.filter(**{office: user.office_id})
        return None
