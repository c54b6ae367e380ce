"""The owner of a login changing it (email change, withdrawal): who may, and the password
asked again first, counted towards the lock like a login's."""

from __future__ import annotations

from app.errors import ErrorCode, Forbidden, NotAuthenticated, user_error
from app.models import Portal, User
from app.resolvers.accounts.lockout import check_login_password
from app.runtime import Runtime
from app.viewer import Viewer


def account_owner(viewer: Viewer) -> User:
    """An employer or a seeker acting on their own login; staff logins are managed apart."""
    if viewer.user is None:
        raise NotAuthenticated
    if viewer.user.portal not in (Portal.EMPLOYER, Portal.SEEKER):
        raise Forbidden
    return viewer.user


def password_given(password: str) -> None:
    if not password:
        raise user_error(ErrorCode.REQUIRED, "パスワードを入力してください。", "password")


async def recheck_password(rt: Runtime, user: User, password: str, *, step: str) -> None:
    """The current password again; a wrong one counts towards the lockout."""
    wrong = user_error(ErrorCode.INVALID_CREDENTIALS, "パスワードが正しくありません。", "password")
    await check_login_password(rt, user, password, wrong, step=step)
