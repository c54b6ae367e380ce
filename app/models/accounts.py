"""Logins of every portal, their sessions, and the employer registration in progress."""

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model

from app.models.establishments import AccountCreationCode, Establishment
from app.models.offices import Office


class Portal(StrEnum):
    """Which My Page a login belongs to."""

    STAFF = "STAFF"
    """職員 (staff of a Hello Work office)."""
    EMPLOYER = "EMPLOYER"
    """求人者 (a login of an establishment: 求人者マイページ)."""
    SEEKER = "SEEKER"
    """求職者 (a job seeker: 求職者マイページ)."""


class User(Model):
    """A login: staff of an office, an employer of an establishment, or a job seeker.

    A login that withdrew (退会) or was removed by another login of its establishment is kept
    with `is_active` false and every record it made. Its `email` becomes a placeholder that
    no address can equal, so the address may open a new login, and the address it had is
    kept in `former_email`.
    """

    id = fields.IntField(primary_key=True)
    portal = fields.CharEnumField(Portal, max_length=10)
    email = fields.CharField(max_length=100)
    password_hash = fields.CharField(max_length=100)
    office: fields.ForeignKeyNullableRelation[Office] = fields.ForeignKeyField(
        "models.Office", related_name="staff", null=True, on_delete=fields.RESTRICT
    )
    office_id: int | None
    establishment: fields.ForeignKeyNullableRelation[Establishment] = fields.ForeignKeyField(
        "models.Establishment", related_name="users", null=True, on_delete=fields.RESTRICT
    )
    establishment_id: int | None
    is_active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField()
    last_login_at = fields.DatetimeField(null=True)
    failed_logins = fields.IntField(default=0, description="wrong passwords in a row")
    locked_until = fields.DatetimeField(null=True)
    withdrawn_at = fields.DatetimeField(null=True, description="退会")
    former_email = fields.CharField(
        max_length=100, null=True, description="the address before withdrawal or removal"
    )
    removed_by: fields.ForeignKeyNullableRelation["User"] = fields.ForeignKeyField(
        "models.User", related_name="removed_logins", null=True, on_delete=fields.SET_NULL
    )
    removed_by_id: int | None

    class Meta:
        table = "user"
        unique_together = (("portal", "email"),)


class AddressLockout(Model):
    """Wrong passwords in a row at login for an address that has no login of the portal,
    counted and locked as a login's own are (`User.failed_logins`, `User.locked_until`), so
    that the answer does not tell which addresses have a login. Only a keyed hash of the
    portal and address is kept.
    """

    id = fields.IntField(primary_key=True)
    address_hash = fields.CharField(max_length=64, unique=True)
    failed_logins = fields.IntField(default=0, description="wrong passwords in a row")
    locked_until = fields.DatetimeField(null=True)

    class Meta:
        table = "address_lockout"


class Session(Model):
    """A logged-in session. The bearer token is kept only as a hash."""

    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="sessions", on_delete=fields.CASCADE
    )
    user_id: int
    token_hash = fields.CharField(max_length=64, unique=True)
    created_at = fields.DatetimeField()
    expires_at = fields.DatetimeField()
    ended_at = fields.DatetimeField(null=True)
    last_seen_at = fields.DatetimeField(null=True)
    """The last request of the session, to the minute, for the idle timeout. Null for sessions
    opened before it was kept: their login counts as their last request."""

    class Meta:
        table = "session"


class OtpChallenge(Model):
    """A one-time password (ワンタイムパスワード) mailed after a correct password."""

    id = fields.UUIDField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="otp_challenges", on_delete=fields.CASCADE
    )
    user_id: int
    otp_hash = fields.CharField(max_length=64)
    created_at = fields.DatetimeField()
    expires_at = fields.DatetimeField()
    failed_attempts = fields.IntField(default=0)
    closed_at = fields.DatetimeField(null=True)

    class Meta:
        table = "otp_challenge"


class RememberedDevice(Model):
    """A browser that may skip the one-time password until `expires_at`."""

    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="remembered_devices", on_delete=fields.CASCADE
    )
    user_id: int
    token_hash = fields.CharField(max_length=64, unique=True)
    created_at = fields.DatetimeField()
    expires_at = fields.DatetimeField()

    class Meta:
        table = "remembered_device"


class TermsAgreement(Model):
    """Which version of a terms document a user agreed to, and when."""

    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="terms_agreements", on_delete=fields.CASCADE
    )
    user_id: int
    kind = fields.CharField(max_length=20)
    version = fields.CharField(max_length=20)
    agreed_at = fields.DatetimeField()

    class Meta:
        table = "terms_agreement"


class RegistrationStatus(StrEnum):
    PENDING = "PENDING"
    COMPLETED = "COMPLETED"
    VOID = "VOID"


class EmployerRegistration(Model):
    """A password registration application (パスワード登録申込) waiting for its 認証キー."""

    id = fields.IntField(primary_key=True)
    account_creation_code: fields.ForeignKeyRelation[AccountCreationCode] = fields.ForeignKeyField(
        "models.AccountCreationCode", related_name="registrations", on_delete=fields.CASCADE
    )
    account_creation_code_id: int
    email = fields.CharField(max_length=100, db_index=True)
    auth_key_hash = fields.CharField(max_length=64)
    status = fields.CharEnumField(RegistrationStatus, max_length=10)
    failed_attempts = fields.IntField(default=0)
    privacy_policy_version = fields.CharField(max_length=20)
    terms_of_use_version = fields.CharField(max_length=20)
    agreed_at = fields.DatetimeField()
    created_at = fields.DatetimeField()
    expires_at = fields.DatetimeField()
    closed_at = fields.DatetimeField(null=True)

    class Meta:
        table = "employer_registration"


class MailedKeyPurpose(StrEnum):
    LOGIN_INVITATION = "LOGIN_INVITATION"
    """An employer invites another login of the establishment."""
    PASSWORD_RESET = "PASSWORD_RESET"  # noqa: S105 - a purpose, not a password
    EMAIL_CHANGE = "EMAIL_CHANGE"
    """Confirms the new address, mailed to it."""
    UNLOCK = "UNLOCK"
    """Lifts a lockout before it ends."""


class MailedKey(Model):
    """A key mailed to an address to confirm one action. Only its hash is kept.

    A password reset asked for an address without a login makes a key too, with no owner and
    a keyed hash of the address in `email`, never mailed: the answers are then alike.
    """

    id = fields.IntField(primary_key=True)
    purpose = fields.CharEnumField(MailedKeyPurpose, max_length=20)
    user: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="mailed_keys", null=True, on_delete=fields.CASCADE
    )
    user_id: int | None
    establishment: fields.ForeignKeyNullableRelation[Establishment] = fields.ForeignKeyField(
        "models.Establishment", related_name="mailed_keys", null=True, on_delete=fields.CASCADE
    )
    establishment_id: int | None
    email = fields.CharField(max_length=100, db_index=True, description="where the key went")
    key_hash = fields.CharField(max_length=64)
    created_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="keys_sent", null=True, on_delete=fields.SET_NULL
    )
    created_by_id: int | None
    created_at = fields.DatetimeField()
    expires_at = fields.DatetimeField()
    failed_attempts = fields.IntField(default=0)
    closed_at = fields.DatetimeField(null=True)

    class Meta:
        table = "mailed_key"
        indexes = (("purpose", "email"),)
