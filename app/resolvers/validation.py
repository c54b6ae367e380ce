"""Checks of the form fields that several use cases share, with Japanese messages.

Each returns the normalised value, or raises `UserErrors` for its field; `Form` runs several
and reports every failing field at once.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import TypeVar, cast

from app.errors import ErrorCode, UserError, UserErrors, user_error
from app.japanese import is_half_width

T = TypeVar("T")

EMAIL_MAX_LENGTH = 100
PASSWORD_MIN_LENGTH = 8
PASSWORD_MAX_LENGTH = 32
ACCOUNT_CODE_MAX_LENGTH = 10

_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
_ESTABLISHMENT_NUMBER = re.compile(r"^(\d{4})-(\d{1,6})-(\d)$")
_PHONE = re.compile(r"^(\d{2,5})-(\d{1,4})-(\d{3,4})$")
_POSTAL_CODE = re.compile(r"^\d{3}-\d{4}$")
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
"""What free text may not hold: control characters, but line breaks and tabs."""
_KATAKANA = re.compile(r"^[\u30a0-\u30ff\u3000 ・ー（）()ａ-ｚＡ-Ｚ０-９]+$")


def too_long(field: str, label: str, max_length: int) -> UserErrors:
    return user_error(
        ErrorCode.TOO_LONG, f"{label}は{max_length}文字以内で入力してください。", field
    )


def required(field: str, value: str, label: str, max_length: int) -> str:
    value = value.strip()
    if not value:
        raise user_error(ErrorCode.REQUIRED, f"{label}を入力してください。", field)
    if len(value) > max_length:
        raise too_long(field, label, max_length)
    return value


def half_width(field: str, value: str, label: str) -> str:
    if not value:
        raise user_error(ErrorCode.REQUIRED, f"{label}を入力してください。", field)
    if not is_half_width(value):
        raise user_error(ErrorCode.NOT_HALF_WIDTH, f"{label}は半角で入力してください。", field)
    return value


def email(field: str, value: str) -> str:
    """半角英数字100文字以内; compared and stored in lower case."""
    value = half_width(field, value.strip(), "メールアドレス")
    if len(value) > EMAIL_MAX_LENGTH:
        raise user_error(
            ErrorCode.TOO_LONG,
            f"メールアドレスは{EMAIL_MAX_LENGTH}文字以内で入力してください。",
            field,
        )
    if not _EMAIL.match(value):
        raise user_error(
            ErrorCode.INVALID_FORMAT, "メールアドレスの形式が正しくありません。", field
        )
    return value.lower()


def establishment_number(field: str, value: str) -> str:
    """事業所番号 `NNNN-NNNNNN-N`: 4 digits, up to 6 digits (zero-padded to 6), 1 digit."""
    value = half_width(field, value.strip(), "事業所番号")
    match = _ESTABLISHMENT_NUMBER.match(value)
    if not match:
        raise user_error(
            ErrorCode.INVALID_FORMAT,
            "事業所番号は半角数字で「4桁-6桁以内-1桁」の形式で入力してください。",
            field,
        )
    head, middle, check = match.groups()
    return f"{head}-{middle.zfill(6)}-{check}"


def phone_number(field: str, value: str) -> str:
    """Three groups of half-width digits, 10 or 11 in all; compare with `digits_only`."""
    value = half_width(field, value.strip(), "電話番号")
    match = _PHONE.match(value)
    digits = "".join(match.groups()) if match else ""
    if not match or len(digits) not in (10, 11):
        raise user_error(
            ErrorCode.INVALID_FORMAT,
            "電話番号は半角数字で「市外局番-市内局番-番号」の形式で入力してください。",
            field,
        )
    return value


def digits_only(value: str) -> str:
    return "".join(ch for ch in value if ch.isdigit())


def is_postal_code(value: str) -> bool:
    return _POSTAL_CODE.match(value) is not None


def postal_code(field: str, value: str) -> str:
    value = half_width(field, value.strip(), "郵便番号")
    if not _POSTAL_CODE.match(value):
        raise user_error(
            ErrorCode.INVALID_FORMAT, "郵便番号は「123-4567」の形式で入力してください。", field
        )
    return value


def katakana(field: str, value: str, label: str, max_length: int) -> str:
    value = required(field, value, label, max_length)
    if not _KATAKANA.match(value):
        raise user_error(
            ErrorCode.INVALID_FORMAT, f"{label}は全角カタカナで入力してください。", field
        )
    return value


def account_creation_code(field: str, value: str) -> str:
    """半角文字10文字以内."""
    value = half_width(field, value, "アカウント作成コード")
    if len(value) > ACCOUNT_CODE_MAX_LENGTH:
        raise user_error(
            ErrorCode.TOO_LONG,
            f"アカウント作成コードは{ACCOUNT_CODE_MAX_LENGTH}文字以内で入力してください。",
            field,
        )
    return value


def password(field: str, value: str) -> str:
    """半角数字、英字、記号のすべてを含む8文字以上32文字以内."""
    message = (
        f"パスワードは半角の英字・数字・記号をすべて含む{PASSWORD_MIN_LENGTH}文字以上"
        f"{PASSWORD_MAX_LENGTH}文字以内で入力してください。"
    )
    if not value:
        raise user_error(ErrorCode.REQUIRED, "パスワードを入力してください。", field)
    if not is_half_width(value):
        raise user_error(ErrorCode.NOT_HALF_WIDTH, message, field)
    if not PASSWORD_MIN_LENGTH <= len(value) <= PASSWORD_MAX_LENGTH:
        raise user_error(ErrorCode.PASSWORD_POLICY, message, field)
    has_letter = any(c.isascii() and c.isalpha() for c in value)
    has_digit = any(c.isdigit() for c in value)
    has_symbol = any(not c.isalnum() for c in value)
    if not (has_letter and has_digit and has_symbol):
        raise user_error(ErrorCode.PASSWORD_POLICY, message, field)
    return value


def confirmation(field: str, value: str, original: str, label: str) -> None:
    if value != original:
        raise user_error(ErrorCode.MISMATCH, f"{label}と{label}（確認用）が一致しません。", field)


def plain_text(field: str, value: str, label: str, max_length: int, *, required: bool) -> str:
    """Free text as a form takes it, trimmed (empty only when not `required`): at most
    `max_length` characters, no control characters but line breaks and tabs."""
    value = value.strip()
    if required and not value:
        raise user_error(ErrorCode.REQUIRED, f"{label}を入力してください。", field)
    if len(value) > max_length:
        raise too_long(field, label, max_length)
    if CONTROL_CHARACTERS.search(value):
        raise user_error(
            ErrorCode.INVALID_FORMAT, f"{label}に使用できない制御文字が含まれています。", field
        )
    return value


def aware_datetime(field: str, value: dt.datetime, label: str) -> dt.datetime:
    """A moment with its offset: a time without one names no moment."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise user_error(
            ErrorCode.INVALID_FORMAT,
            f"{label}はタイムゾーン付きで指定してください（例: 2026-12-01T14:00:00+09:00）。",
            field,
        )
    return value


class Form:
    """Runs the checks of one input and reports every failing field at once.

    `check` returns the checked value; once any check failed, `done` raises, so a value that
    stood in for a failed check is never used.
    """

    def __init__(self) -> None:
        self.errors: list[UserError] = []

    def check(self, validate: Callable[[], T]) -> T:
        try:
            return validate()
        except UserErrors as exc:
            self.errors.extend(exc.errors)
            return cast(T, None)

    def error(self, code: ErrorCode, message: str, field: str) -> None:
        """Report a rule that failed, beside the checks of single values."""
        self.errors.append(UserError(code=code, message=message, field=field))

    def too_long(self, field: str, label: str, max_length: int) -> None:
        self.errors.append(too_long(field, label, max_length).errors[0])

    def done(self) -> None:
        if self.errors:
            raise UserErrors(*self.errors)
