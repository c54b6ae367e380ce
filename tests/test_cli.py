"""`python -m app …` run as a child process, each test with its own SQLite file and var dir."""

from __future__ import annotations

import re
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import bcrypt
import pytest

from app.resolvers.establishments import ACCOUNT_CODE_PURPOSE
from app.security import keyed_hash
from tests.processes import REPO, TEST_SECRET_KEY, run_app, run_app_ok, service_env

pytestmark = pytest.mark.slow

OFFICE_NAME = "飯田橋公共職業安定所"
PASSWORD = "Counter#2026"


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return service_env(tmp_path / "var")


@pytest.fixture(scope="module")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated database file, copied for every test that needs one."""
    env = service_env(tmp_path_factory.mktemp("template"))
    run_app_ok(env, "migrate")
    return Path(env["DATABASE_URL"].removeprefix("sqlite://"))


@pytest.fixture
def migrated(env: dict[str, str], migrated_template: Path) -> dict[str, str]:
    target = Path(env["DATABASE_URL"].removeprefix("sqlite://"))
    target.parent.mkdir(parents=True)
    shutil.copyfile(migrated_template, target)
    return env


@contextmanager
def database(env: dict[str, str]) -> Iterator[sqlite3.Connection]:
    path = env["DATABASE_URL"].removeprefix("sqlite://")
    with closing(sqlite3.connect(path)) as connection:
        yield connection


def staff_create(*, office_code: str = "13010", email: str) -> list[str]:
    args = ["staff", "create", "--office-code", office_code, "--office-name", OFFICE_NAME]
    return [*args, "--email", email, "--password", PASSWORD]


def test_migrate_creates_the_schema_and_can_run_again(env: dict[str, str]) -> None:
    run_app_ok(env, "migrate")
    with database(env) as db:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert {"office", "user", "establishment", "account_creation_code"} <= tables
        db.execute("INSERT INTO office (code, name, created_at) VALUES ('13010', 'x', '2026')")
        db.commit()

    run_app_ok(env, "migrate")  # a release runs it on every deploy: nothing changes

    with database(env) as db:
        assert db.execute("SELECT code FROM office").fetchall() == [("13010",)]


def test_staff_create_makes_the_office_and_a_hashed_login(migrated: dict[str, str]) -> None:
    out = run_app_ok(migrated, *staff_create(email="Kato@Iidabashi.example.jp"))
    assert "13010" in out
    run_app_ok(migrated, *staff_create(email="sato@iidabashi.example.jp"))

    with database(migrated) as db:
        assert db.execute("SELECT code, name FROM office").fetchall() == [("13010", OFFICE_NAME)]
        rows = db.execute(
            "SELECT u.email, u.portal, u.password_hash, o.code FROM user u "
            "JOIN office o ON o.id = u.office_id ORDER BY u.email"
        ).fetchall()
    assert [(email, portal, code) for email, portal, _, code in rows] == [
        ("kato@iidabashi.example.jp", "STAFF", "13010"),
        ("sato@iidabashi.example.jp", "STAFF", "13010"),
    ]
    for _, _, password_hash, _ in rows:
        assert PASSWORD not in password_hash
        assert bcrypt.checkpw(PASSWORD.encode(), password_hash.encode())


def test_staff_create_refuses_a_duplicate_email(migrated: dict[str, str]) -> None:
    run_app_ok(migrated, *staff_create(email="kato@iidabashi.example.jp"))

    again = run_app(migrated, *staff_create(email="KATO@iidabashi.example.jp"))

    assert again.returncode == 2, again
    assert "このメールアドレスはすでに登録されています" in again.stderr
    assert "EMAIL_TAKEN" in again.stderr
    assert "Traceback" not in again.stderr
    with database(migrated) as db:
        assert db.execute("SELECT count(*) FROM user").fetchone() == (1,)


def test_staff_create_refuses_a_bad_office_code(migrated: dict[str, str]) -> None:
    for office_code in ("1301", "130100", "1301a", ""):
        result = run_app(migrated, *staff_create(office_code=office_code, email="k@example.jp"))

        assert result.returncode == 2, result
        assert "安定所番号は半角数字5桁です" in result.stderr
        assert "Traceback" not in result.stderr
    with database(migrated) as db:
        assert db.execute("SELECT count(*) FROM office").fetchone() == (0,)
        assert db.execute("SELECT count(*) FROM user").fetchone() == (0,)


def test_staff_create_refuses_full_width_digits_in_the_office_code(
    migrated: dict[str, str],
) -> None:
    result = run_app(migrated, *staff_create(office_code="１３０１０", email="k@example.jp"))

    assert result.returncode == 2, result
    assert "安定所番号は半角数字5桁です" in result.stderr


def test_staff_create_refuses_a_weak_password(migrated: dict[str, str]) -> None:
    args = staff_create(email="k@example.jp")
    args[-1] = "password"

    result = run_app(migrated, *args)

    assert result.returncode == 2, result
    assert "PASSWORD_POLICY" in result.stderr


def test_demo_issues_a_new_code_each_time_and_replaces_the_old(
    migrated: dict[str, str],
) -> None:
    codes = []
    for _ in range(2):
        out = run_app_ok(migrated, "demo")
        code = re.search(r"アカウント作成コード\s*: (\S+)\n", out)
        assert code, out
        assert len(code.group(1)) == 10
        assert re.fullmatch(r"[\x21-\x7e]{10}", code.group(1))
        assert re.search(r"有効期限\s*: 令和\d+年\d+月\d+日", out), out
        assert code.group(1) in out.split("アカウント作成コード")[1]  # shown for the mutation
        codes.append(code.group(1))
    first, second = codes
    assert first != second

    with database(migrated) as db:
        rows = dict(db.execute("SELECT code_hash, status FROM account_creation_code"))
        assert db.execute("SELECT count(*) FROM establishment").fetchone() == (1,)
        assert db.execute("SELECT count(*) FROM user").fetchone() == (1,)
    assert rows == {
        keyed_hash(TEST_SECRET_KEY, ACCOUNT_CODE_PURPOSE, first): "REPLACED",
        keyed_hash(TEST_SECRET_KEY, ACCOUNT_CODE_PURPOSE, second): "ACTIVE",
    }


def test_export_schema_writes_the_checked_in_sdl(env: dict[str, str], tmp_path: Path) -> None:
    output = tmp_path / "exported.graphql"

    run_app_ok(env, "export-schema", "--output", str(output))

    assert output.read_text(encoding="utf-8") == (REPO / "schema.graphql").read_text(
        encoding="utf-8"
    )


def test_a_command_is_required(env: dict[str, str]) -> None:
    result = run_app(env)
    assert result.returncode == 2
    assert "usage" in result.stderr
