"""Throttling: how often a client address, an account or a session may try something.

Every credential path counts one try per client address and one per account (the email
given, or the OTP challenge) before any password is hashed or any key compared; every GraphQL
HTTP request counts against a budget per session (per address when anonymous). A try over a
limit raises `Throttled` and nothing else happens.

Fixed windows: a limit of N per S seconds allows N tries in each window [k·S, (k+1)·S) of the
clock's time and refuses the rest until the window ends, which is the retry time given. Tries
refused are counted too. Around a window's edge up to 2N may pass in S seconds; the limits are
set with that in mind.

Counters live in Redis when `REDIS_URL` is set, shared by every server process (`INCR` and
`EXPIRE` in one MULTI/EXEC pipeline), in this process's memory otherwise. `RATE_LIMITS=off`
turns all of it off.

What is left of each credential path's limits checked while handling one HTTP request is
collected (`checking`) and told in the `RateLimit-*` headers of its answer
(`RateLimitHeadersMiddleware`).
"""

from __future__ import annotations

import contextlib
import logging
import math
import time
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from enum import Enum
from typing import Protocol

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.clock import Clock
from app.errors import Throttled
from app.security import keyed_hash
from app.settings import RateLimit, RateLimits, Settings

log = logging.getLogger(__name__)

KEY_PREFIX = "hellowork:throttle"


class Action(Enum):
    """A credential path and the two limits it counts against: by address, then by subject."""

    LOGIN = ("login_per_address", "login_per_account")
    OTP = ("otp_per_address", "otp_per_challenge")
    REGISTRATION_REQUEST = (
        "registration_request_per_address",
        "registration_request_per_account",
    )
    REGISTRATION_COMPLETE = (
        "registration_complete_per_address",
        "registration_complete_per_account",
    )
    PASSWORD_RESET_REQUEST = (
        "password_reset_request_per_address",
        "password_reset_request_per_account",
    )
    PASSWORD_RESET_COMPLETE = (
        "password_reset_complete_per_address",
        "password_reset_complete_per_account",
    )
    SEEKER_REGISTER = ("seeker_register_per_address", "seeker_register_per_account")
    SEEKER_VERIFY = ("seeker_verify_per_address", "seeker_verify_per_account")
    INVITATION_ACCEPT = ("invitation_accept_per_address", "invitation_accept_per_account")
    UNLOCK = ("unlock_per_address", "unlock_per_account")
    PRE_REGISTRATION = ("pre_registration_per_address", "pre_registration_per_account")
    PRE_REGISTRATION_VERIFY = (
        "pre_registration_verify_per_address",
        "pre_registration_verify_per_account",
    )


RATE_LIMIT_HEADERS = ("RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset")
"""IETF draft-ietf-httpapi-ratelimit-headers: the limit, the tries left, the seconds to reset."""


@dataclass(frozen=True, slots=True)
class Quota:
    """What is left of one limit in its current window, as the IETF draft's `RateLimit-Limit`,
    `RateLimit-Remaining` and `RateLimit-Reset` (seconds until the window ends) say it."""

    limit: int
    remaining: int
    reset: int


# The quotas of the credential paths checked in the current HTTP request; None outside one.
# A list shared by every task the request starts (each copies the context, not the list).
_checked: ContextVar[list[Quota] | None] = ContextVar("checked_quotas", default=None)


@contextlib.contextmanager
def checking() -> Iterator[list[Quota]]:
    """Collect, into the list given, the quota of every credential limit checked within."""
    checked: list[Quota] = []
    token = _checked.set(checked)
    try:
        yield checked
    finally:
        _checked.reset(token)


def tightest(quotas: list[Quota]) -> Quota | None:
    """The quota nearest to exhaustion (the longest wait among equals), as the draft asks when
    several apply; None without any."""
    return min(quotas, key=lambda quota: (quota.remaining, -quota.reset), default=None)


class Counter(Protocol):
    async def incr(self, key: str, ttl: int, now: float) -> int:
        """Add one to `key` (created at 0, gone after `ttl` seconds); the count after it."""
        ...

    async def close(self) -> None: ...


class MemoryCounter:
    """Counters of this process only; expired ones are dropped once a minute of clock time."""

    PRUNE_EVERY_SECONDS = 60.0

    def __init__(self) -> None:
        self._counts: dict[str, tuple[int, float]] = {}
        self._next_prune = 0.0

    def __len__(self) -> int:
        return len(self._counts)

    async def incr(self, key: str, ttl: int, now: float) -> int:
        if now >= self._next_prune:
            self._counts = {k: v for k, v in self._counts.items() if v[1] > now}
            self._next_prune = now + self.PRUNE_EVERY_SECONDS
        count, expires_at = self._counts.get(key, (0, now + ttl))
        if expires_at <= now:
            count, expires_at = 0, now + ttl
        self._counts[key] = (count + 1, expires_at)
        return count + 1

    async def close(self) -> None:
        self._counts.clear()


class RedisCounter:
    """Counters in Redis, shared by every process; in memory while Redis does not answer.

    A request never fails because Redis is away: the try is counted in this process's memory
    instead (each process then limits on its own), the outage is logged once, and Redis is
    asked again `retry_seconds` later.
    """

    def __init__(
        self,
        url: str,
        *,
        timeout: float = 0.5,
        retry_seconds: float = 5.0,
        fallback: MemoryCounter | None = None,
    ) -> None:
        self.url = url
        self.fallback = fallback or MemoryCounter()
        self._retry_seconds = retry_seconds
        self._down_until: float | None = None
        # Short timeouts and no retries: a Redis that hangs must not hold up logins.
        self._redis = Redis.from_url(
            url,
            socket_connect_timeout=timeout,
            socket_timeout=timeout,
            retry=Retry(NoBackoff(), 0),
        )

    @property
    def available(self) -> bool:
        """False while the counters are kept in memory because Redis did not answer."""
        return self._down_until is None

    async def incr(self, key: str, ttl: int, now: float) -> int:
        if self._down_until is not None and time.monotonic() < self._down_until:
            return await self.fallback.incr(key, ttl, now)
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.incr(key)
                pipe.expire(key, ttl)
                count, _ = await pipe.execute()
        except (RedisError, OSError) as exc:
            if self._down_until is None:
                log.warning("Redis at %s does not answer (%s); throttling in memory", self.url, exc)
            self._down_until = time.monotonic() + self._retry_seconds
            return await self.fallback.incr(key, ttl, now)
        if self._down_until is not None:
            log.info("Redis at %s answers again; throttling through Redis", self.url)
            self._down_until = None
        return int(count)

    async def close(self) -> None:
        await self._redis.aclose()


class Throttle:
    """Counts tries against `RateLimits`; raises `Throttled` with the seconds to wait."""

    def __init__(
        self,
        limits: RateLimits,
        clock: Clock,
        counter: Counter,
        *,
        secret_key: str,
        enabled: bool = True,
    ) -> None:
        self.limits = limits
        self.clock = clock
        self.counter = counter
        self.enabled = enabled
        self._secret_key = secret_key

    @classmethod
    def from_settings(cls, settings: Settings, clock: Clock) -> Throttle:
        counter: Counter = (
            RedisCounter(settings.redis_url) if settings.redis_url else MemoryCounter()
        )
        return cls(
            settings.rate_limit_table,
            clock,
            counter,
            secret_key=settings.secret_key,
            enabled=settings.rate_limits,
        )

    @classmethod
    def off(cls) -> Throttle:
        return cls(RateLimits(), Clock(), MemoryCounter(), secret_key="", enabled=False)

    async def hit(self, action: Action, *, client: str | None, subject: str) -> None:
        """One try of `action` by the address `client` (None when unknown: not counted by
        address) on `subject`, the account's email or the OTP challenge."""
        if not self.enabled:
            return
        by_address, by_subject = action.value
        checked = _checked.get()
        if client is not None:
            await self._hit(by_address, client, checked)
        await self._hit(by_subject, subject.strip().lower(), checked)

    async def hit_request(self, *, session_id: int | None, client: str | None) -> None:
        """One GraphQL HTTP request of a session, or of an address when anonymous."""
        if not self.enabled:
            return
        if session_id is not None:
            await self._hit("requests_per_session", f"session:{session_id}")
        elif client is not None:
            await self._hit("requests_per_session", f"address:{client}")

    async def _hit(self, name: str, subject: str, checked: list[Quota] | None = None) -> None:
        """One try against the limit `name`; its quota after it added to `checked`."""
        limit: RateLimit = getattr(self.limits, name)
        now = self.clock.now().timestamp()
        window = math.floor(now / limit.seconds)
        # Keyed hash: no email or address is stored in Redis in the clear.
        hashed = keyed_hash(self._secret_key, "throttle", subject)[:32]
        count = await self.counter.incr(
            f"{KEY_PREFIX}:{name}:{window}:{hashed}", limit.seconds, now
        )
        reset = max(1, math.ceil((window + 1) * limit.seconds - now))
        if checked is not None:
            checked.append(Quota(limit.count, max(0, limit.count - count), reset))
        if count > limit.count:
            raise Throttled(reset)

    async def aclose(self) -> None:
        await self.counter.close()


class RateLimitHeadersMiddleware:
    """ASGI middleware: `RATE_LIMIT_HEADERS` on an HTTP answer whose request checked a
    credential path's limits (`checking`), those of the tightest (`tightest`). Answers that
    checked none have none, and so have WebSockets."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        with checking() as checked:

            async def send_with_quota(message: Message) -> None:
                if message["type"] == "http.response.start" and checked:
                    quota = tightest(checked)
                    assert quota is not None
                    headers = MutableHeaders(scope=message)
                    values = (quota.limit, quota.remaining, quota.reset)
                    for name, value in zip(RATE_LIMIT_HEADERS, values, strict=True):
                        headers[name] = str(value)
                await send(message)

            await self.app(scope, receive, send_with_quota)
