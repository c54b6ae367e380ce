"""Settings, read once from the environment."""

from __future__ import annotations

import dataclasses
import math
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal
from urllib.parse import urlparse

DEVELOPMENT_SECRET = "development-secret-do-not-use-in-production"  # noqa: S105

Environment = Literal["development", "production"]
LogFormat = Literal["json", "text"]
TrustedDocuments = Literal["off", "allow", "only"]
ExecutionMode = Literal["compiled", "graphql-core", "compare"]


class ConfigurationError(RuntimeError):
    """The environment asks for something the service refuses to run with."""


def _int(env: dict[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigurationError(f"{name} must be an integer, got {raw!r}") from exc


def _database_url(raw: str) -> str:
    """Tortoise wants `postgres://`; accept the `postgresql://` spelling too."""
    if raw.startswith("postgresql://"):
        return "postgres://" + raw.removeprefix("postgresql://")
    if raw.startswith(("postgres://", "sqlite://")):
        return raw
    raise ConfigurationError(f"DATABASE_URL must be sqlite:// or postgres://, got {raw!r}")


def _choice(env: dict[str, str], name: str, choices: tuple[str, ...], default: str) -> str:
    raw = env.get(name, "").strip()
    if raw == "":
        return default
    for choice in choices:
        if raw.lower() == choice.lower():
            return choice
    raise ConfigurationError(f"{name} must be one of {', '.join(choices)}, got {raw!r}")


def _log_format(env: dict[str, str], production: bool) -> LogFormat:
    """LOG_FORMAT: JSON lines by default in production, text in development."""
    chosen = _choice(env, "LOG_FORMAT", ("json", "text"), "json" if production else "text")
    return "json" if chosen == "json" else "text"


def _directory(env: dict[str, str], name: str) -> Path | None:
    raw = env.get(name)
    if not raw:
        return None
    path = Path(raw)
    if not path.is_dir():
        raise ConfigurationError(f"{name} must be an existing directory, got {raw!r}")
    return path


def _trusted_documents(env: dict[str, str]) -> TrustedDocuments:
    chosen = _choice(env, "TRUSTED_DOCUMENTS", ("off", "allow", "only"), "allow")
    return "off" if chosen == "off" else "only" if chosen == "only" else "allow"


def _execution(env: dict[str, str]) -> ExecutionMode:
    chosen = _choice(env, "EXECUTION", ("compiled", "graphql-core", "compare"), "compiled")
    return (
        "compare"
        if chosen == "compare"
        else "graphql-core"
        if chosen == "graphql-core"
        else "compiled"
    )


def _manifests(env: dict[str, str]) -> tuple[Path, ...]:
    """TRUSTED_DOCUMENTS_MANIFESTS: comma-separated paths of existing files."""
    paths = tuple(
        Path(raw.strip())
        for raw in env.get("TRUSTED_DOCUMENTS_MANIFESTS", "").split(",")
        if raw.strip()
    )
    for path in paths:
        if not path.is_file():
            raise ConfigurationError(f"TRUSTED_DOCUMENTS_MANIFESTS: no file {str(path)!r}")
    return paths


def _switch(env: dict[str, str], name: str, default: bool) -> bool:
    raw = env.get(name, "").strip().lower()
    if raw == "":
        return default
    if raw in ("on", "true", "1", "yes"):
        return True
    if raw in ("off", "false", "0", "no"):
        return False
    raise ConfigurationError(f"{name} must be on or off, got {raw!r}")


@dataclass(frozen=True)
class RateLimit:
    """At most `count` tries per `seconds` (one fixed window, see `app.throttle`)."""

    count: int
    seconds: int

    @classmethod
    def parse(cls, name: str, raw: str) -> RateLimit:
        """`count/seconds`, as in `RATE_LIMIT_LOGIN_PER_ADDRESS=10/60`."""
        count, _, seconds = raw.partition("/")
        try:
            limit = cls(int(count), int(seconds))
        except ValueError as exc:
            raise ConfigurationError(f"{name} must be count/seconds, got {raw!r}") from exc
        if limit.count < 1 or limit.seconds < 1:
            raise ConfigurationError(f"{name} needs a count and seconds of 1 or more")
        return limit


@dataclass(frozen=True)
class RateLimits:
    """The limits of `app.throttle`; each field is set by `RATE_LIMIT_<FIELD NAME>`.

    `*_per_address` counts by the client's address, `*_per_account` by the email given
    (normalised), `otp_per_challenge` by the OTP challenge. Paths that mail a key allow fewer.
    """

    login_per_address: RateLimit = RateLimit(10, 60)
    login_per_account: RateLimit = RateLimit(5, 60)
    otp_per_address: RateLimit = RateLimit(10, 60)
    otp_per_challenge: RateLimit = RateLimit(5, 60)
    registration_request_per_address: RateLimit = RateLimit(5, 60)
    registration_request_per_account: RateLimit = RateLimit(3, 600)
    registration_complete_per_address: RateLimit = RateLimit(10, 60)
    registration_complete_per_account: RateLimit = RateLimit(5, 60)
    password_reset_request_per_address: RateLimit = RateLimit(5, 60)
    password_reset_request_per_account: RateLimit = RateLimit(3, 600)
    password_reset_complete_per_address: RateLimit = RateLimit(10, 60)
    password_reset_complete_per_account: RateLimit = RateLimit(5, 60)
    seeker_register_per_address: RateLimit = RateLimit(5, 60)
    seeker_register_per_account: RateLimit = RateLimit(3, 600)
    seeker_verify_per_address: RateLimit = RateLimit(10, 60)
    seeker_verify_per_account: RateLimit = RateLimit(5, 60)
    invitation_accept_per_address: RateLimit = RateLimit(10, 60)
    invitation_accept_per_account: RateLimit = RateLimit(5, 60)
    unlock_per_address: RateLimit = RateLimit(10, 60)
    unlock_per_account: RateLimit = RateLimit(5, 60)
    pre_registration_per_address: RateLimit = RateLimit(5, 60)
    pre_registration_per_account: RateLimit = RateLimit(3, 600)
    pre_registration_verify_per_address: RateLimit = RateLimit(10, 60)
    pre_registration_verify_per_account: RateLimit = RateLimit(5, 60)
    requests_per_session: RateLimit = RateLimit(600, 60)
    """Every GraphQL HTTP request, by session (by address when anonymous)."""

    @classmethod
    def from_env(cls, env: dict[str, str]) -> RateLimits:
        overrides = {}
        for f in dataclasses.fields(cls):
            name = f"RATE_LIMIT_{f.name.upper()}"
            if env.get(name):
                overrides[f.name] = RateLimit.parse(name, env[name])
        return cls(**overrides)


SECRET_MIN_BITS = 88
"""What production asks of SECRET_KEY, estimated as its length times the Shannon entropy of
its characters. 32 random hex digits (128 bits) are estimated at 90 or more (the lowest of
200,000 tries), `secrets.token_urlsafe(32)` at about 200; a repeated character at 0, two
alternating ones at 32."""

PRODUCTION_QUERY_LIMITS = {
    "query_max_depth": 20,
    "query_max_aliases": 50,
    "query_max_tokens": 10_000,
    "query_max_cost": 50_000,
    "query_max_size": 10_000,
}
"""The most that production accepts for each query limit (QUERY_MAX_…): above these, one
request can hold a worker for long."""

MAX_SESSION_MINUTES = 24 * 60


def is_strong_secret(key: str) -> bool:
    """Long, not a known value (with or without something around it), and varied enough to
    have been made at random."""
    if len(key) < 32 or DEVELOPMENT_SECRET in key.lower():
        return False
    counts = Counter(key)
    entropy = -sum(n / len(key) * math.log2(n / len(key)) for n in counts.values())
    return entropy * len(key) >= SECRET_MIN_BITS


@dataclass(frozen=True)
class Settings:
    app_env: Environment = "development"
    database_url: str = "sqlite://var/hellowork.sqlite3"
    redis_url: str | None = None
    mail_url: str = "maildir://var/mail"
    mail_from: str = "hellowork-mypage@localhost"
    secret_key: str = DEVELOPMENT_SECRET
    port: int = 8000
    bcrypt_rounds: int = 12
    account_code_valid_days: int = 30
    session_ttl_minutes: int = 12 * 60
    session_idle_minutes: int = 30
    """A session ends after this many minutes without a request (SESSION_IDLE_MINUTES), and
    at the latest `session_ttl_minutes` after the login (SESSION_TTL_MINUTES)."""
    otp_ttl_minutes: int = 10
    remembered_device_days: int = 30
    expiry_interval_seconds: int = 300
    mail_interval_seconds: int = 10
    """How often each process looks for mail due in the outbox (MAIL_INTERVAL_SECONDS): retries,
    and mail stored by other processes. A process sends its own mail as soon as it commits."""
    query_max_depth: int = 10
    query_max_aliases: int = 15
    query_max_tokens: int = 2000
    query_max_cost: int = 5000
    query_max_size: int = 2000
    """At most this many field selections in an operation with its fragments expanded
    (QUERY_MAX_SIZE)."""
    allowed_origins: tuple[str, ...] = field(default_factory=tuple)
    media_root: Path = Path("var/media")
    """Where uploaded images are stored (MEDIA_ROOT), one file per content hash."""
    document_root: Path = Path("var/documents")
    """Where applicants' documents (応募書類) are stored (DOCUMENT_ROOT), one file per content
    hash; personal data, so never inside MEDIA_ROOT, which is served to anyone."""
    four_eyes_review: bool = False
    """FOUR_EYES_REVIEW=on|off (off by default): a posting staff entered for an establishment
    must be accepted by another staff member (on), or may be accepted by the same one with a
    note (off)."""
    rate_limits: bool = True
    """RATE_LIMITS=on|off (on by default): throttling of the credential paths and the
    per-session request budget (`app.throttle`); off only for local development and tests."""
    rate_limit_table: RateLimits = field(default_factory=RateLimits)
    """Each limit from RATE_LIMIT_<NAME>=count/seconds, e.g. RATE_LIMIT_LOGIN_PER_ADDRESS=10/60."""
    log_format: LogFormat = "text"
    """LOG_FORMAT=json|text: one JSON object per line (the default in production) or text."""
    log_level: str = "INFO"
    """LOG_LEVEL: DEBUG, INFO (the default), WARNING, ERROR or CRITICAL."""
    metrics_token: str | None = None
    """METRICS_TOKEN: `/metrics` answers only `Authorization: Bearer <token>`; without it the
    page is open in development and not served in production."""
    prometheus_multiproc_dir: Path | None = None
    """PROMETHEUS_MULTIPROC_DIR: where every worker process writes its metrics (prometheus-client
    multiprocess mode, needed with `uvicorn --workers`); unset for one process."""
    trusted_documents: TrustedDocuments = "allow"
    """TRUSTED_DOCUMENTS=off|allow|only (`app.persisted`): `allow` (the default) runs any
    document and the trusted ones by id; `only` runs nothing but the trusted documents (by id
    or as their text); `off` reads no manifest (APQ only)."""
    trusted_documents_manifests: tuple[Path, ...] = ()
    """TRUSTED_DOCUMENTS_MANIFESTS: comma-separated paths of further manifests (graphql-codegen's
    `persisted-documents.json`), beside the one of the service's own pages."""
    apq_cache_size: int = 1000
    """APQ_CACHE_SIZE: at most this many APQ documents kept in memory (without REDIS_URL, or
    while Redis is away)."""
    apq_cache_bytes: int = 10 * 1024 * 1024
    """APQ_CACHE_BYTES: at most this many bytes of APQ documents kept in memory."""
    apq_ttl_seconds: int = 24 * 60 * 60
    """APQ_TTL_SECONDS: how long Redis keeps an APQ document after it was last registered."""
    execution: ExecutionMode = "compiled"
    """EXECUTION=compiled|graphql-core|compare (`app.schema.execution`): `compiled` (the
    default) runs the plans of known queries and subscriptions; `graphql-core` runs
    graphql-core's executor only; `compare` runs both and records where they differ (the test
    suite's setting)."""

    @property
    def is_production(self) -> bool:
        return self.app_env == "production"

    @property
    def uses_postgres(self) -> bool:
        return self.database_url.startswith("postgres://")

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        app_env = env.get("APP_ENV", "development")
        if app_env not in ("development", "production"):
            raise ConfigurationError(f"APP_ENV must be development or production, got {app_env!r}")
        production = app_env == "production"
        base_dir = Path(env.get("APP_VAR_DIR", "var"))
        settings = cls(
            app_env=app_env,  # type: ignore[arg-type]
            database_url=_database_url(
                env.get("DATABASE_URL") or f"sqlite://{base_dir / 'hellowork.sqlite3'}"
            ),
            redis_url=env.get("REDIS_URL") or None,
            mail_url=env.get("MAIL_URL") or f"maildir://{base_dir / 'mail'}",
            mail_from=env.get("MAIL_FROM", cls.mail_from),
            secret_key=env.get("SECRET_KEY", DEVELOPMENT_SECRET),
            port=_int(env, "PORT", 8000),
            bcrypt_rounds=_int(env, "BCRYPT_ROUNDS", 12),
            account_code_valid_days=_int(env, "ACCOUNT_CODE_VALID_DAYS", 30),
            session_ttl_minutes=_int(env, "SESSION_TTL_MINUTES", 12 * 60),
            session_idle_minutes=_int(env, "SESSION_IDLE_MINUTES", 30),
            otp_ttl_minutes=_int(env, "OTP_TTL_MINUTES", 10),
            remembered_device_days=_int(env, "REMEMBERED_DEVICE_DAYS", 30),
            expiry_interval_seconds=_int(env, "EXPIRY_INTERVAL_SECONDS", 300),
            mail_interval_seconds=_int(env, "MAIL_INTERVAL_SECONDS", 10),
            query_max_depth=_int(env, "QUERY_MAX_DEPTH", 10),
            query_max_aliases=_int(env, "QUERY_MAX_ALIASES", 15),
            query_max_tokens=_int(env, "QUERY_MAX_TOKENS", 2000),
            query_max_cost=_int(env, "QUERY_MAX_COST", 5000),
            query_max_size=_int(env, "QUERY_MAX_SIZE", 2000),
            allowed_origins=tuple(
                origin.strip()
                for origin in env.get("ALLOWED_ORIGINS", "").split(",")
                if origin.strip()
            ),
            media_root=Path(env.get("MEDIA_ROOT") or base_dir / "media"),
            document_root=Path(env.get("DOCUMENT_ROOT") or base_dir / "documents"),
            four_eyes_review=_switch(env, "FOUR_EYES_REVIEW", default=False),
            rate_limits=_switch(env, "RATE_LIMITS", default=True),
            rate_limit_table=RateLimits.from_env(env),
            log_format=_log_format(env, production),
            log_level=_choice(
                env, "LOG_LEVEL", ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"), "INFO"
            ),
            metrics_token=env.get("METRICS_TOKEN") or None,
            prometheus_multiproc_dir=_directory(env, "PROMETHEUS_MULTIPROC_DIR"),
            trusted_documents=_trusted_documents(env),
            execution=_execution(env),
            trusted_documents_manifests=_manifests(env),
            apq_cache_size=_int(env, "APQ_CACHE_SIZE", 1000),
            apq_cache_bytes=_int(env, "APQ_CACHE_BYTES", 10 * 1024 * 1024),
            apq_ttl_seconds=_int(env, "APQ_TTL_SECONDS", 24 * 60 * 60),
        )
        if settings.document_root.resolve().is_relative_to(settings.media_root.resolve()):
            raise ConfigurationError("DOCUMENT_ROOT must not be inside MEDIA_ROOT, which is served")
        if settings.apq_cache_size < 0 or settings.apq_cache_bytes < 0:
            raise ConfigurationError("APQ_CACHE_SIZE and APQ_CACHE_BYTES must not be negative")
        if settings.apq_ttl_seconds < 1:
            # Redis refuses a key's expiry of 0: every registration would fail.
            raise ConfigurationError("APQ_TTL_SECONDS must be 1 or more")
        if not 4 <= settings.bcrypt_rounds <= 31:
            # bcrypt accepts no other cost: the service would start and fail every login.
            raise ConfigurationError("BCRYPT_ROUNDS must be between 4 and 31")
        if production:
            settings.check_production()
        return settings

    def check_production(self) -> None:
        """Refuse to serve the public with development secrets, without real mail, or with
        a protection turned off or loosened past what is sane."""
        if not is_strong_secret(self.secret_key):
            raise ConfigurationError(
                "production needs a random SECRET_KEY: at least 32 characters, varied as a "
                "random key is, not containing the development value "
                '(python -c "import secrets; print(secrets.token_urlsafe(32))")'
            )
        if not self.rate_limits:
            raise ConfigurationError("production refuses RATE_LIMITS=off")
        for name, most in PRODUCTION_QUERY_LIMITS.items():
            if getattr(self, name) > most:
                raise ConfigurationError(f"production needs {name.upper()} of {most} or less")
        for name in ("session_ttl_minutes", "session_idle_minutes"):
            if not 1 <= getattr(self, name) <= MAX_SESSION_MINUTES:
                raise ConfigurationError(
                    f"production needs {name.upper()} between 1 and {MAX_SESSION_MINUTES} (a day)"
                )
        if urlparse(self.mail_url).scheme not in ("smtp", "smtps"):
            raise ConfigurationError("production needs MAIL_URL=smtp://user:pass@host:port")
        if self.bcrypt_rounds < 12:
            raise ConfigurationError("production needs BCRYPT_ROUNDS of 12 or more")
        if self.metrics_token is not None and len(self.metrics_token) < 32:
            raise ConfigurationError("production needs a METRICS_TOKEN of at least 32 characters")
