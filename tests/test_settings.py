"""Settings from the environment, and what production refuses to start with."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from pathlib import Path

import pytest
from tortoise.backends.base.config_generator import expand_db_url

from app.mail import MaildirMailer, SmtpMailer, mailer_from_url
from app.settings import DEVELOPMENT_SECRET, ConfigurationError, Settings

STRONG_SECRET = "9f1c2e7a5b3d4c6e8f0a1b2c3d4e5f60"  # 32 characters
PRODUCTION = {
    "APP_ENV": "production",
    "SECRET_KEY": STRONG_SECRET,
    "MAIL_URL": "smtp://mypage:secret@smtp.example.jp:587",
    "DATABASE_URL": "postgres://hellowork:secret@db.example.jp:5432/hellowork",
}


def test_defaults_keep_everything_under_var() -> None:
    settings = Settings.from_env({})

    assert settings.app_env == "development"
    assert not settings.is_production
    assert settings.database_url == "sqlite://var/hellowork.sqlite3"
    assert expand_db_url(settings.database_url)["credentials"]["file_path"] == (
        "var/hellowork.sqlite3"
    )
    assert not settings.uses_postgres
    assert settings.mail_url == "maildir://var/mail"
    mailer = mailer_from_url(settings.mail_url, settings.mail_from)
    assert isinstance(mailer, MaildirMailer)
    assert mailer.directory == Path("var/mail")
    assert settings.secret_key == DEVELOPMENT_SECRET
    assert settings.redis_url is None
    assert settings.port == 8000
    assert settings.bcrypt_rounds == 12
    assert settings.account_code_valid_days == 30


def test_app_var_dir_moves_the_database_and_the_maildir(tmp_path: Path) -> None:
    settings = Settings.from_env({"APP_VAR_DIR": str(tmp_path)})

    connection = expand_db_url(settings.database_url)
    assert connection["engine"] == "tortoise.backends.sqlite"
    assert connection["credentials"]["file_path"] == str(tmp_path / "hellowork.sqlite3")
    mailer = mailer_from_url(settings.mail_url, settings.mail_from)
    assert isinstance(mailer, MaildirMailer)
    assert mailer.directory == tmp_path / "mail"


def test_values_from_the_environment() -> None:
    settings = Settings.from_env(
        {
            "DATABASE_URL": "sqlite:///srv/hellowork/db.sqlite3",
            "REDIS_URL": "redis://127.0.0.1:6379/0",
            "MAIL_URL": "smtp://127.0.0.1:2525",
            "MAIL_FROM": "noreply@hellowork.example.jp",
            "PORT": "8080",
            "BCRYPT_ROUNDS": "4",
            "ACCOUNT_CODE_VALID_DAYS": "14",
            "ALLOWED_ORIGINS": "https://a.example.jp, https://b.example.jp,",
        }
    )

    assert settings.database_url == "sqlite:///srv/hellowork/db.sqlite3"
    assert settings.redis_url == "redis://127.0.0.1:6379/0"
    assert isinstance(mailer_from_url(settings.mail_url, settings.mail_from), SmtpMailer)
    assert settings.mail_from == "noreply@hellowork.example.jp"
    assert settings.port == 8080
    assert settings.bcrypt_rounds == 4
    assert settings.account_code_valid_days == 14
    assert settings.allowed_origins == ("https://a.example.jp", "https://b.example.jp")


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://hellowork:secret@127.0.0.1:5432/hellowork",
        "postgres://hellowork:secret@127.0.0.1:5432/hellowork",
    ],
)
def test_postgres_urls_are_normalised_for_asyncpg(url: str) -> None:
    settings = Settings.from_env({"DATABASE_URL": url})

    assert settings.database_url == "postgres://hellowork:secret@127.0.0.1:5432/hellowork"
    assert settings.uses_postgres
    connection = expand_db_url(settings.database_url)
    assert connection["engine"] == "tortoise.backends.asyncpg"
    assert connection["credentials"]["database"] == "hellowork"


@pytest.mark.parametrize(
    "url",
    [
        "mysql://hellowork:secret@127.0.0.1/hellowork",
        "hellowork.sqlite3",
        "http://127.0.0.1:5432/hellowork",
        "POSTGRES://127.0.0.1/hellowork",
    ],
)
def test_a_database_url_of_another_kind_is_refused(url: str) -> None:
    with pytest.raises(ConfigurationError, match="DATABASE_URL"):
        Settings.from_env({"DATABASE_URL": url})


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("APP_ENV", "staging"),
        ("PORT", "eighty"),
        ("BCRYPT_ROUNDS", "12.5"),
        # bcrypt knows no cost outside 4-31: refused at start, not at the first login.
        ("BCRYPT_ROUNDS", "3"),
        ("BCRYPT_ROUNDS", "32"),
    ],
)
def test_malformed_values_are_refused(name: str, value: str) -> None:
    with pytest.raises(ConfigurationError, match=name):
        Settings.from_env({name: value})


def test_production_with_proper_values_starts() -> None:
    settings = Settings.from_env(PRODUCTION)

    assert settings.is_production
    assert settings.bcrypt_rounds == 12
    assert settings.secret_key == STRONG_SECRET
    assert isinstance(mailer_from_url(settings.mail_url, settings.mail_from), SmtpMailer)
    stricter = {**PRODUCTION, "MAIL_URL": "smtps://smtp.example.jp", "BCRYPT_ROUNDS": "13"}
    assert Settings.from_env(stricter).bcrypt_rounds == 13


@pytest.mark.parametrize(
    ("override", "complaint"),
    [
        ({"SECRET_KEY": DEVELOPMENT_SECRET}, "SECRET_KEY"),
        ({"SECRET_KEY": STRONG_SECRET[:31]}, "SECRET_KEY"),
        ({"SECRET_KEY": ""}, "SECRET_KEY"),
        ({"MAIL_URL": "maildir://var/mail"}, "MAIL_URL"),
        ({"MAIL_URL": ""}, "MAIL_URL"),
        ({"BCRYPT_ROUNDS": "11"}, "BCRYPT_ROUNDS"),
        ({"RATE_LIMITS": "off"}, "RATE_LIMITS"),
        ({"SECRET_KEY": "x" * 64}, "SECRET_KEY"),
        ({"SECRET_KEY": "ab" * 32}, "SECRET_KEY"),
        ({"SECRET_KEY": DEVELOPMENT_SECRET + "-2026"}, "SECRET_KEY"),
        ({"SECRET_KEY": "prod-" + DEVELOPMENT_SECRET.upper()}, "SECRET_KEY"),
        ({"QUERY_MAX_DEPTH": "21"}, "QUERY_MAX_DEPTH"),
        ({"QUERY_MAX_ALIASES": "51"}, "QUERY_MAX_ALIASES"),
        ({"QUERY_MAX_TOKENS": "10001"}, "QUERY_MAX_TOKENS"),
        ({"QUERY_MAX_COST": "50001"}, "QUERY_MAX_COST"),
        ({"QUERY_MAX_SIZE": "10001"}, "QUERY_MAX_SIZE"),
        ({"SESSION_TTL_MINUTES": "1441"}, "SESSION_TTL_MINUTES"),
        ({"SESSION_IDLE_MINUTES": "1441"}, "SESSION_IDLE_MINUTES"),
        ({"SESSION_IDLE_MINUTES": "0"}, "SESSION_IDLE_MINUTES"),
    ],
)
def test_production_refuses_development_settings(override: dict[str, str], complaint: str) -> None:
    with pytest.raises(ConfigurationError, match=complaint):
        Settings.from_env({**PRODUCTION, **override})


def test_production_accepts_its_limits_at_their_most() -> None:
    at_most = {
        "QUERY_MAX_DEPTH": "20",
        "QUERY_MAX_ALIASES": "50",
        "QUERY_MAX_TOKENS": "10000",
        "QUERY_MAX_COST": "50000",
        "QUERY_MAX_SIZE": "10000",
        "SESSION_TTL_MINUTES": "1440",
        "SESSION_IDLE_MINUTES": "1440",
    }
    settings = Settings.from_env({**PRODUCTION, **at_most})
    assert (settings.query_max_depth, settings.session_ttl_minutes) == (20, 1440)


@pytest.mark.parametrize("make", [secrets.token_hex, secrets.token_urlsafe])
def test_production_accepts_any_key_made_as_the_readme_says(make: Callable[[int], str]) -> None:
    for _ in range(200):
        key = make(32)
        assert Settings.from_env({**PRODUCTION, "SECRET_KEY": key}).secret_key == key


def test_production_refuses_to_start_without_a_secret_key() -> None:
    env = {name: value for name, value in PRODUCTION.items() if name != "SECRET_KEY"}
    with pytest.raises(ConfigurationError, match="SECRET_KEY"):
        Settings.from_env(env)


def test_development_accepts_what_production_refuses() -> None:
    settings = Settings.from_env({"BCRYPT_ROUNDS": "4", "MAIL_URL": "maildir:///tmp/mail"})

    assert settings.bcrypt_rounds == 4
    assert settings.secret_key == DEVELOPMENT_SECRET


def test_the_query_limits_come_from_the_environment() -> None:
    settings = Settings.from_env(
        {
            "QUERY_MAX_DEPTH": "8",
            "QUERY_MAX_ALIASES": "5",
            "QUERY_MAX_TOKENS": "900",
            "QUERY_MAX_COST": "300",
        }
    )

    assert (
        settings.query_max_depth,
        settings.query_max_aliases,
        settings.query_max_tokens,
        settings.query_max_cost,
    ) == (8, 5, 900, 300)
    assert Settings.from_env({}).query_max_cost == 5000
