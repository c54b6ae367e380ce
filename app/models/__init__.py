"""Tortoise models, one module per domain."""

from app.models.accounts import (
    AddressLockout,
    EmployerRegistration,
    MailedKey,
    OtpChallenge,
    Portal,
    RememberedDevice,
    Session,
    TermsAgreement,
    User,
)
from app.models.applications import (
    Application,
    ApplicationDocument,
    ApplicationEvent,
    ApplicationNote,
    Interview,
    PersonalDataAccess,
)
from app.models.audit import AuditAction, AuditEvent
from app.models.counter import EstablishmentPreRegistration, HelloWorkNotice
from app.models.establishments import (
    AccountCreationCode,
    Establishment,
    EstablishmentChange,
    EstablishmentImage,
)
from app.models.events import Event
from app.models.mail import MailStatus, OutgoingMail
from app.models.messages import Message, MessageThread
from app.models.office_events import OfficeEvent, OfficeEventInterest
from app.models.offices import Office
from app.models.postings import Posting, PostingEvent, PostingNumberSerial
from app.models.seekers import SeekerProfile, SeekerRegistration, SeekerRequest

__all__ = [
    "AccountCreationCode",
    "AddressLockout",
    "Application",
    "ApplicationDocument",
    "ApplicationEvent",
    "ApplicationNote",
    "AuditAction",
    "AuditEvent",
    "EmployerRegistration",
    "Establishment",
    "EstablishmentChange",
    "EstablishmentImage",
    "EstablishmentPreRegistration",
    "Event",
    "HelloWorkNotice",
    "Interview",
    "MailStatus",
    "MailedKey",
    "Message",
    "MessageThread",
    "Office",
    "OfficeEvent",
    "OfficeEventInterest",
    "OtpChallenge",
    "OutgoingMail",
    "PersonalDataAccess",
    "Portal",
    "Posting",
    "PostingEvent",
    "PostingNumberSerial",
    "RememberedDevice",
    "SeekerProfile",
    "SeekerRegistration",
    "SeekerRequest",
    "Session",
    "TermsAgreement",
    "User",
]
