"""Tortoise models, one module per domain."""

from app.models.accounts import (
    EmployerRegistration,
    OtpChallenge,
    Portal,
    RememberedDevice,
    Session,
    TermsAgreement,
    User,
)
from app.models.establishments import AccountCreationCode, Establishment
from app.models.messages import Message
from app.models.offices import Office
from app.models.postings import Posting, PostingEvent, PostingNumberSerial

__all__ = [
    "AccountCreationCode",
    "EmployerRegistration",
    "Establishment",
    "Message",
    "Office",
    "OtpChallenge",
    "Portal",
    "Posting",
    "PostingEvent",
    "PostingNumberSerial",
    "RememberedDevice",
    "Session",
    "TermsAgreement",
    "User",
]
