"""Errors a use case can end with.

`UserErrors` are the user's to fix and end up in a mutation payload's `errors`; the others
become top-level GraphQL errors with `extensions.code`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ErrorCode(StrEnum):
    """Stable codes of `UserError`; clients branch on these, never on messages."""

    REQUIRED = "REQUIRED"
    """未入力 (required): a required item is empty or missing."""
    INVALID_FORMAT = "INVALID_FORMAT"
    """形式誤り (invalid format): not in the form the item takes (an email, a number, a choice)."""
    NOT_HALF_WIDTH = "NOT_HALF_WIDTH"
    """半角以外 (not half-width): the item takes half-width characters only."""
    TOO_LONG = "TOO_LONG"
    """文字数超過 (too long): longer than the item's limit."""
    MISMATCH = "MISMATCH"
    """不一致 (mismatch): a confirmation differs, or a list does not match what it must name."""
    PASSWORD_POLICY = "PASSWORD_POLICY"  # noqa: S105 - a code, not a password
    """パスワードの条件 (password policy): 8 to 32 half-width letters, digits and symbols."""
    TERMS_VERSION_OUTDATED = "TERMS_VERSION_OUTDATED"
    """規約の版が古い (terms outdated): agree to the current privacy policy and terms."""
    REGISTRATION_DETAILS_INVALID = "REGISTRATION_DETAILS_INVALID"
    """申込内容の誤り: the establishment number, phone or code is wrong (one try)."""
    ACCOUNT_CREATION_CODE_VOID = "ACCOUNT_CREATION_CODE_VOID"
    """アカウント作成コード無効 (code void): replaced, used or tried 10 times."""
    ACCOUNT_CREATION_CODE_EXPIRED = "ACCOUNT_CREATION_CODE_EXPIRED"
    """アカウント作成コードの期限切れ (code expired): issue a new one at the counter."""
    AUTH_KEY_INVALID = "AUTH_KEY_INVALID"
    """認証キー誤り (authentication key invalid): a wrong key counts as one try."""
    AUTH_KEY_EXPIRED = "AUTH_KEY_EXPIRED"
    """認証キーの期限切れ (authentication key expired): 50 minutes have passed."""
    AUTH_KEY_VOID = "AUTH_KEY_VOID"
    """認証キー無効 (authentication key void): 5 wrong tries, or replaced by a newer key."""
    EMAIL_TAKEN = "EMAIL_TAKEN"
    """メールアドレス登録済み (email taken): the address already has a login."""
    LOGIN_LIMIT_REACHED = "LOGIN_LIMIT_REACHED"
    """ログイン数の上限 (login limit): 10 logins per establishment, invitations included."""
    INVALID_CREDENTIALS = "INVALID_CREDENTIALS"
    """認証失敗 (invalid credentials): the email or password is wrong."""
    OTP_INVALID = "OTP_INVALID"
    """ワンタイムパスワード誤り (one-time password invalid): a wrong one counts as one try."""
    OTP_EXPIRED = "OTP_EXPIRED"
    """ワンタイムパスワードの期限切れ・無効 (expired, or void after its tries): log in again."""
    NOT_FOUND = "NOT_FOUND"
    """見つからない (not found): no such object the viewer may act on."""
    ALREADY_EXISTS = "ALREADY_EXISTS"
    """登録済み (already exists): the same thing was done or registered before."""
    MAIL_DELIVERY_FAILED = "MAIL_DELIVERY_FAILED"
    """No longer answered: mail leaves through the outbox and is retried. Kept for clients."""
    INVALID_STATE = "INVALID_STATE"
    """The object's current status does not allow this move."""
    OUT_OF_RANGE = "OUT_OF_RANGE"
    """範囲外 (out of range): a number, date or time outside what the item allows."""
    BELOW_MINIMUM_WAGE = "BELOW_MINIMUM_WAGE"
    """最低賃金割れ (below minimum wage) of the workplace's prefecture on the day."""
    RENEWAL_NOT_OPEN = "RENEWAL_NOT_OPEN"
    """Too early: a renewal is reserved from 14 days before the referral deadline."""
    NOT_ACCEPTING_APPLICATIONS = "NOT_ACCEPTING_APPLICATIONS"
    """応募受付なし (not accepting): not active, or no online applications."""
    ILLEGAL_TRANSITION = "ILLEGAL_TRANSITION"
    """状態変更不可 (illegal transition): the application cannot move to that status."""
    RESULT_LOCKED = "RESULT_LOCKED"
    """A result cannot change after the end of the third month after the posting became
    invalid."""
    TOO_MANY_ITEMS = "TOO_MANY_ITEMS"
    """An input list is longer than its limit (100 applications in one bulk change)."""
    REQUEST_LIMIT_REACHED = "REQUEST_LIMIT_REACHED"
    """リクエスト上限 (request limit): at most 10 seekers per posting."""
    NO_ACTIVE_POSTING = "NO_ACTIVE_POSTING"
    """有効中の求人なし (no active posting): the posting is not active."""
    NO_RELATION = "NO_RELATION"
    """やり取り不可 (no relation): no application or request, or a walk-in without My Page."""
    VERIFICATION_KEY_INVALID = "VERIFICATION_KEY_INVALID"
    """認証キー誤り (verification key invalid): a wrong key counts as one try."""
    VERIFICATION_KEY_EXPIRED = "VERIFICATION_KEY_EXPIRED"
    """認証キーの期限切れ (verification key expired): 50 minutes have passed."""
    VERIFICATION_KEY_VOID = "VERIFICATION_KEY_VOID"
    """A seeker's verification key after 5 wrong tries, or replaced by a newer one."""
    ACCOUNT_LOCKED = "ACCOUNT_LOCKED"
    """5 wrong passwords in a row: no login for 30 minutes, or until the mailed unlock key."""
    LAST_ACTIVE_LOGIN = "LAST_ACTIVE_LOGIN"
    """The establishment's only login cannot be removed or withdraw."""
    UNSUPPORTED_PORTAL = "UNSUPPORTED_PORTAL"
    """Staff passwords are not reset by mail."""
    IMAGE_LIMIT_REACHED = "IMAGE_LIMIT_REACHED"
    """An establishment has 10 images waiting for review or approved."""
    FILE_TOO_LARGE = "FILE_TOO_LARGE"
    """ファイルサイズ超過 (file too large): over the size or pixel limit."""
    UNSUPPORTED_FILE_TYPE = "UNSUPPORTED_FILE_TYPE"
    """An image not a JPEG, PNG, GIF or BMP by its name; a document not a PDF, JPEG or PNG by
    its bytes."""
    IMAGE_INVALID = "IMAGE_INVALID"
    """The bytes do not decode as an image: truncated, damaged or not an image at all."""
    IMAGE_FORMAT_MISMATCH = "IMAGE_FORMAT_MISMATCH"
    """The file's name says one format and its bytes another (a PNG named .jpg)."""
    DOCUMENT_LIMIT_REACHED = "DOCUMENT_LIMIT_REACHED"
    """An application has its 5 documents (応募書類)."""
    DOCUMENT_INVALID = "DOCUMENT_INVALID"
    """A document's bytes do not read as the PDF, JPEG or PNG they start as: damaged, a PDF
    protected by a password, or a PDF without a page."""
    EVENT_FULL = "EVENT_FULL"
    """Every seat (定員) of the office event is taken."""
    INCONSISTENT = "INCONSISTENT"
    """Two items of a form contradict each other."""
    UNLAWFUL = "UNLAWFUL"
    """The posting breaks a rule of labour law (hours, breaks, paid leave, overtime pay)."""
    AGE_LIMIT_NOT_ALLOWED = "AGE_LIMIT_NOT_ALLOWED"
    """An age limit its exception reason (例外事由) does not allow."""
    ONLINE_APPLICATIONS_NOT_ALLOWED = "ONLINE_APPLICATIONS_NOT_ALLOWED"
    """Online applications need the publication range WITH_NAME or WITHOUT_NAME."""
    GRADUATE_NOT_YET_ACCEPTED = "GRADUATE_NOT_YET_ACCEPTED"
    """大卒等 postings are accepted from 1 February of the year before the graduation."""
    WARNINGS_NOT_ACKNOWLEDGED = "WARNINGS_NOT_ACKNOWLEDGED"
    """The posting check has warnings whose codes `acknowledgedWarnings` does not list."""
    COUNTER_REGISTRATION_PENDING = "COUNTER_REGISTRATION_PENDING"
    """The posting needs 本登録 at the counter before staff accept it."""
    SELECTION_NOT_OPEN = "SELECTION_NOT_OPEN"
    """No selection on a 大卒等 posting before 1 June of the graduation year."""
    NOT_PUBLISHED = "NOT_PUBLISHED"
    """The posting is not published to job seekers (公開範囲, or not yet)."""
    NO_JURISDICTION = "NO_JURISDICTION"
    """No office of the service has the municipality of the address in its jurisdiction."""
    SAME_STAFF_REVIEW = "SAME_STAFF_REVIEW"
    """With FOUR_EYES_REVIEW=on, the staff member who entered a posting cannot accept it."""
    NOTHING_CHANGED = "NOTHING_CHANGED"
    """A correction that changes no item."""


@dataclass(frozen=True)
class UserError:
    code: ErrorCode
    message: str
    field: str | None = None


class UserErrors(Exception):
    """The input cannot be accepted; nothing was changed (beyond counting a wrong try)."""

    def __init__(self, *errors: UserError) -> None:
        super().__init__("; ".join(f"{e.field}: {e.code}" for e in errors))
        self.errors = list(errors)


def user_error(code: ErrorCode, message: str, field: str | None = None) -> UserErrors:
    return UserErrors(UserError(code=code, message=message, field=field))


class NotAuthenticated(Exception):
    """No valid session; the client must log in."""


class Forbidden(Exception):
    """The viewer is logged in but may not do this; a message, if given, says why."""


class Throttled(Exception):
    """Too many tries in too little time; nothing was done. Retry after `retry_after` seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"throttled; retry after {retry_after}s")
        self.retry_after = retry_after
