"""Accounts, one module per concern: employer account opening (`registration`), login and
sessions (`sessions`), the lockout (`lockout`), the mailed key with tries (`keys`), the logins
of an establishment (`logins`), a forgotten password and an early unlock (`recovery`), email
change (`email_change`), withdrawal (`withdrawal`, with `owner` for both) and staff logins
(`staff`). The use cases are named here too.
"""

from app.resolvers.accounts.email_change import confirm_email_change, request_email_change
from app.resolvers.accounts.logins import (
    accept_invitation,
    establishment_logins,
    invite_login,
    pending_invitations,
    remove_login,
    visible_invitations,
    visible_logins,
)
from app.resolvers.accounts.recovery import (
    complete_password_reset,
    request_password_reset,
    unlock_login,
)
from app.resolvers.accounts.registration import (
    complete_employer_registration,
    request_employer_registration,
)
from app.resolvers.accounts.sessions import (
    DEVICE_PURPOSE,
    SESSION_PURPOSE,
    LoginResult,
    NewSession,
    VerifiedLogin,
    live_session_ids,
    login,
    logout,
    session_deadline,
    session_deadlines,
    sessions_ended,
    verify_otp,
    viewer_for_session,
    viewer_for_token,
)
from app.resolvers.accounts.staff import create_staff
from app.resolvers.accounts.withdrawal import withdraw

__all__ = [
    "DEVICE_PURPOSE",
    "SESSION_PURPOSE",
    "LoginResult",
    "NewSession",
    "VerifiedLogin",
    "accept_invitation",
    "complete_employer_registration",
    "complete_password_reset",
    "confirm_email_change",
    "create_staff",
    "establishment_logins",
    "invite_login",
    "live_session_ids",
    "login",
    "logout",
    "pending_invitations",
    "remove_login",
    "request_email_change",
    "request_employer_registration",
    "request_password_reset",
    "session_deadline",
    "session_deadlines",
    "sessions_ended",
    "unlock_login",
    "verify_otp",
    "viewer_for_session",
    "viewer_for_token",
    "visible_invitations",
    "visible_logins",
    "withdraw",
]
