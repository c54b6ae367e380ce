"""The security audit trail: who signed in, failed, was locked out, changed a password,
and what the staff of an office did (DESIGN.md §10)."""

from enum import StrEnum
from typing import Any

from tortoise import fields
from tortoise.models import Model


class AuditAction(StrEnum):
    """What happened. Logins and their credentials first, then the staff's actions."""

    LOGIN_SUCCEEDED = "LOGIN_SUCCEEDED"
    """ログイン成功 (login succeeded): a session opened."""
    LOGIN_FAILED = "LOGIN_FAILED"
    """ログイン失敗 (login failed): a wrong password, or refused while locked."""
    OTP_FAILED = "OTP_FAILED"
    """ワンタイムパスワード誤り (a wrong one-time password)."""
    LOGIN_LOCKED = "LOGIN_LOCKED"
    """ログイン停止 (locked): 5 wrong passwords in a row, for 30 minutes."""
    LOGIN_UNLOCKED = "LOGIN_UNLOCKED"
    """ログイン停止の解除 (unlocked) early with the mailed 解除キー."""
    LOGOUT = "LOGOUT"
    """ログアウト (logout)."""
    ACCOUNT_OPENED = "ACCOUNT_OPENED"
    """求人者マイページ開設 (account opened) with an account creation code."""
    ACCOUNT_CODE_ISSUED = "ACCOUNT_CODE_ISSUED"
    """アカウント作成コードの発行 (account creation code issued) by staff."""
    ACCOUNT_CODE_VOIDED = "ACCOUNT_CODE_VOIDED"
    """アカウント作成コードの無効化 (code voided): replaced, or after 10 wrong tries."""
    PASSWORD_RESET = "PASSWORD_RESET"  # noqa: S105 - an action, not a password
    """パスワード再設定 (password reset) with a mailed key."""
    EMAIL_CHANGED = "EMAIL_CHANGED"
    """メールアドレス変更 (email changed), confirmed by the new address."""
    LOGIN_INVITED = "LOGIN_INVITED"
    """ログイン追加の招待 (another login invited) by mail."""
    LOGIN_ADDED = "LOGIN_ADDED"
    """ログイン追加 (an invited login opened)."""
    LOGIN_REMOVED = "LOGIN_REMOVED"
    """ログイン削除 (a login removed) by another login of its establishment."""
    WITHDRAWN = "WITHDRAWN"
    """退会 (a login withdrew)."""
    STAFF_CREATED = "STAFF_CREATED"
    """職員ログインの作成 (a staff login created) on the command line."""
    ESTABLISHMENT_REGISTERED = "ESTABLISHMENT_REGISTERED"
    """事業所登録 (an establishment registered) at the counter."""
    ESTABLISHMENT_CHANGE_REVIEWED = "ESTABLISHMENT_CHANGE_REVIEWED"
    """事業所情報の変更の審査 (a profile change approved or rejected)."""
    POSTING_ACCEPTED = "POSTING_ACCEPTED"
    """求人の受理 (a posting accepted)."""
    POSTING_RETURNED = "POSTING_RETURNED"
    """修正依頼 (a posting returned) with a reason."""
    IMAGE_REVIEWED = "IMAGE_REVIEWED"
    """画像の審査 (an image approved or rejected)."""
    REFERRAL_CREATED = "REFERRAL_CREATED"
    """紹介 (a referral): staff referred a job seeker to a posting."""
    OFFICE_EVENT_CREATED = "OFFICE_EVENT_CREATED"
    """イベントの登録 (an office event created)."""
    OFFICE_EVENT_CANCELLED = "OFFICE_EVENT_CANCELLED"
    """イベントの中止 (an office event cancelled)."""
    PRE_REGISTRATION_CONFIRMED = "PRE_REGISTRATION_CONFIRMED"
    """仮登録の本登録 (a pre-registration confirmed)."""
    PRE_REGISTRATION_REFUSED = "PRE_REGISTRATION_REFUSED"
    """仮登録のお断り (a pre-registration refused) with a reason."""
    POSTING_ENTERED_BY_STAFF = "POSTING_ENTERED_BY_STAFF"
    """職員による求人の入力 (a posting entered by staff) from a paper 求人申込書."""
    POSTING_CORRECTED = "POSTING_CORRECTED"
    """軽微な修正 (a submitted posting corrected by staff) with a note."""
    LOGIN_EMAIL_RESET_AT_COUNTER = "LOGIN_EMAIL_RESET_AT_COUNTER"
    """窓口でのメールアドレス再設定 (a login's email reset at the counter)."""


class AuditEvent(Model):
    """One security event, appended and never changed.

    No code path updates or deletes a row, and the database refuses an UPDATE (a trigger, see
    migration 0009). Deleting old rows is left to the operator's retention policy.
    `office_id` says whose staff may read it: the office of the establishment concerned, or
    of the staff who acted. Secrets (passwords, codes, keys) are never part of `detail`.
    """

    id = fields.BigIntField(primary_key=True)
    occurred_at = fields.DatetimeField()
    action = fields.CharEnumField(AuditAction, max_length=40)
    office_id = fields.IntField(null=True)
    establishment_id = fields.IntField(null=True)
    actor_id = fields.IntField(null=True, description="the login who acted, if signed in")
    subject_id = fields.IntField(null=True, description="the login the event concerns")
    client_address = fields.CharField(max_length=64, null=True)
    detail: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)

    class Meta:
        table = "audit_event"
        indexes = (("office_id", "id"), ("office_id", "action", "id"))
