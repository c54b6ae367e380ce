"""Secrets: password hashing off the event loop, random tokens and their keyed hashes."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import string
from functools import cache

import bcrypt

from app.threads import CORES, ThreadLimit

BCRYPT_MAX_BYTES = 72

# Half-width symbols that are easy to type on a Japanese keyboard and safe in a mail body.
ACCOUNT_CODE_SYMBOLS = "#%&+-=?@"
_ACCOUNT_CODE_ALPHABET = string.ascii_letters + string.digits + ACCOUNT_CODE_SYMBOLS
# Capital letters and digits without the ones read alike (0/O, 1/I/L).
_AUTH_KEY_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


def keyed_hash(secret_key: str, purpose: str, value: str) -> str:
    """HMAC-SHA256 of a secret value; lets a short code be found by its hash, never reversed."""
    message = f"{purpose}\x00{value}".encode()
    return hmac.new(secret_key.encode(), message, hashlib.sha256).hexdigest()


def hashes_match(stored: str, candidate: str) -> bool:
    return hmac.compare_digest(stored.encode(), candidate.encode())


def new_token() -> str:
    """An opaque bearer token: 256 random bits."""
    return secrets.token_urlsafe(32)


def new_account_creation_code(length: int = 10) -> str:
    """A code of letters, digits and symbols, with at least one of each (sample `5z2X#3mwc%`)."""
    while True:
        code = "".join(secrets.choice(_ACCOUNT_CODE_ALPHABET) for _ in range(length))
        if (
            any(c.isalpha() for c in code)
            and any(c.isdigit() for c in code)
            and any(c in ACCOUNT_CODE_SYMBOLS for c in code)
        ):
            return code


def new_auth_key(length: int = 10) -> str:
    return "".join(secrets.choice(_AUTH_KEY_ALPHABET) for _ in range(length))


def new_otp() -> str:
    return f"{secrets.randbelow(1_000_000):06d}"


def password_fits_bcrypt(password: str) -> bool:
    return len(password.encode()) <= BCRYPT_MAX_BYTES


async def hash_password(password: str, rounds: int) -> str:
    if not password_fits_bcrypt(password):
        raise ValueError("password longer than bcrypt's 72 bytes")
    salt = bcrypt.gensalt(rounds=rounds)
    hashed = await BCRYPT_WORK.run(bcrypt.hashpw, password.encode(), salt)
    return hashed.decode()


# bcrypt holds a core for a quarter of a second (cost 12). Run at most this many at once, so
# that a burst of logins queues here and leaves a core to the event loop and its requests.
BCRYPT_THREADS = max(1, CORES - 1)
BCRYPT_WORK = ThreadLimit(BCRYPT_THREADS)


@cache
def _dummy_hash(rounds: int) -> bytes:
    return bcrypt.hashpw(b"unknown-login", bcrypt.gensalt(rounds=rounds))


async def verify_password(password: str, password_hash: str | None, *, rounds: int) -> bool:
    """Check a password.

    With no hash (an unknown login) a hash of the same cost is checked all the same, so the
    answer takes as long for an unknown email as for a known one, and says no.
    """
    if not password_fits_bcrypt(password):
        return False
    if password_hash is None:
        stored = await BCRYPT_WORK.run(_dummy_hash, rounds)
    else:
        stored = password_hash.encode()
    matches = await BCRYPT_WORK.run(bcrypt.checkpw, password.encode(), stored)
    return matches and password_hash is not None
