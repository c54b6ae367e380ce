""".ci/breaking_changes.py on small repositories made here (`git init` in a temporary folder):
the real graphql-inspector from clients/node_modules compares two small schemas, and the check
passes or fails by what CHANGELOG.md lists.

Without clients/node_modules (`.ci/clients` installs it) the tests are skipped on a developer's
machine and fail in CI (`CI` set).
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / ".ci" / "breaking_changes.py"
INSPECTOR = ROOT / "clients" / "node_modules" / ".bin" / "graphql-inspector"

RELEASED = """type Query {
  postings(first: Int): [Posting!]!
  bar: Int
}

type Posting {
  id: ID!
  title: String!
}
"""
BAR_REMOVED = RELEASED.replace("  bar: Int\n", "")
FIELD_ADDED = RELEASED.replace("  bar: Int\n", "  bar: Int\n  barCount: Int\n")

INTRO = "# Changelog\n\nEvery change to `schema.graphql`, newest first.\n\n"
RELEASE_SECTION = "## 0.1.0 — 2026-12-01{commit}\n\n- The first release: `Query.bar`.\n"


@pytest.fixture(scope="module", autouse=True)
def inspector() -> None:
    if not INSPECTOR.exists():
        missing = "clients/node_modules is absent (run .ci/clients)"
        if os.environ.get("CI"):
            pytest.fail(f"{missing}: the changelog check must be tested in CI")
        pytest.skip(missing)


def load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("breaking_changes", SCRIPT)
    assert spec
    assert spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["breaking_changes"] = module
    spec.loader.exec_module(module)
    return module


class Repo:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.git("init", "--quiet", "--initial-branch=main")

    def git(self, *args: str) -> str:
        done = subprocess.run(
            [
                "git",
                "-c",
                "user.name=Test",
                "-c",
                "user.email=test@example.jp",
                "-c",
                "commit.gpgsign=false",
                "-c",
                "tag.gpgsign=false",
                *args,
            ],
            cwd=self.path,
            capture_output=True,
            text=True,
            check=True,
        )
        return done.stdout.strip()

    def commit(self, schema: str, changelog: str | None = None) -> str:
        (self.path / "schema.graphql").write_text(schema, encoding="utf-8")
        if changelog is not None:
            (self.path / "CHANGELOG.md").write_text(changelog, encoding="utf-8")
        self.git("add", "-A")
        self.git("commit", "--quiet", "-m", "change")
        return self.git("rev-parse", "--short=7", "HEAD")

    def changelog(self, unreleased: str, commit: str | None) -> None:
        release = RELEASE_SECTION.format(commit=f" (commit {commit})" if commit else "")
        text = f"{INTRO}## Unreleased\n\n{unreleased}\n{release}"
        (self.path / "CHANGELOG.md").write_text(text, encoding="utf-8")

    def check(self) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, str(SCRIPT), "--repo", str(self.path)],
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )


@pytest.fixture
def released(tmp_path: Path) -> tuple[Repo, str]:
    """A repository whose first commit is release 0.1.0, its schema since changed: `Query.bar`
    removed (breaking)."""
    repo = Repo(tmp_path)
    commit = repo.commit(RELEASED, INTRO)
    (tmp_path / "schema.graphql").write_text(BAR_REMOVED, encoding="utf-8")
    return repo, commit


def test_a_breaking_change_fails_until_unreleased_lists_it_as_breaking(
    released: tuple[Repo, str],
) -> None:
    repo, commit = released
    repo.changelog("", commit)
    result = repo.check()
    assert result.returncode == 1, result
    assert f"against release 0.1.0 of CHANGELOG.md (commit {commit})" in result.stdout
    assert "UNLISTED BREAKING: Query.bar: Field 'bar' was removed" in result.stdout
    assert "**Breaking**: `Query.bar`" in result.stderr

    # Listed, but not marked breaking (in the released section it would not count either:
    # RELEASE_SECTION names `Query.bar`); a longer path (more in the last test).
    for unreleased in ("- `Query.bar` is removed.\n", "- **Breaking**: `Query.barCount`.\n"):
        repo.changelog(unreleased, commit)
        assert repo.check().returncode == 1, unreleased

    # An entry over several lines, the path at the end of a sentence.
    repo.changelog("- **Breaking**: the count of postings is gone, read\n  `Query.bar`.\n", commit)
    result = repo.check()
    assert result.returncode == 0, result
    assert "every breaking change (1) is in CHANGELOG.md" in result.stdout


def test_a_change_that_breaks_nothing_needs_no_entry(tmp_path: Path) -> None:
    repo = Repo(tmp_path)
    commit = repo.commit(RELEASED, INTRO)
    repo.changelog("", commit)
    (tmp_path / "schema.graphql").write_text(FIELD_ADDED, encoding="utf-8")
    result = repo.check()
    assert result.returncode == 0, result
    assert "1 changes, 1 of them safe (not shown)" in result.stdout


def test_the_release_tag_is_used_when_the_clone_has_it(released: tuple[Repo, str]) -> None:
    repo, commit = released
    repo.changelog("", None)  # the heading names no commit
    result = repo.check()
    assert result.returncode == 2, result
    assert "no tag v0.1.0 here and its heading names no commit" in result.stderr

    repo.git("tag", "v0.1.0", commit)
    result = repo.check()
    assert result.returncode == 1, result
    assert "against the last release tag v0.1.0" in result.stdout

    # Tag and heading both name the release: they must agree.
    repo.changelog("", commit)
    assert repo.check().returncode == 1
    later = repo.commit(BAR_REMOVED)
    repo.changelog("", later)
    result = repo.check()
    assert result.returncode == 2, result
    assert f"names commit {later}: make them agree" in result.stderr


def test_a_tag_newer_than_every_release_or_no_release_at_all_cannot_be_checked(
    released: tuple[Repo, str],
) -> None:
    repo, commit = released
    repo.changelog("", None)
    repo.git("tag", "v0.2.0", commit)
    result = repo.check()
    assert result.returncode == 2, result
    assert "the last tag is v0.2.0, but CHANGELOG.md has no `## 0.2.0 — DATE` section" in (
        result.stderr
    )

    repo.git("tag", "-d", "v0.2.0")
    (repo.path / "CHANGELOG.md").write_text(INTRO + "## Unreleased\n", encoding="utf-8")
    result = repo.check()
    assert result.returncode == 2, result
    assert "no release to compare with" in result.stderr


def test_a_release_commit_missing_from_the_clone_says_so(released: tuple[Repo, str]) -> None:
    repo, _ = released
    repo.changelog("", "abcdef1")
    result = repo.check()
    assert result.returncode == 2, result
    assert "commit abcdef1 of release 0.1.0 is not in this clone" in result.stderr


def test_entries_are_list_items_or_paragraphs_of_the_unreleased_section_only() -> None:
    script = load_script()
    changelog = (
        "# Changelog\n\nIntro with **Breaking** and `Query.a`.\n\n## Unreleased\n\n"
        "### Issue 17\n\n- **Breaking**: `Query.a` and\n  `Query.b` are gone.\n"
        "- `Query.c` is new.\n\nA paragraph,\nover two lines.\n\n"
        "## 0.1.0 — 2026-12-01 (commit abc1234)\n\n- **Breaking**: `Query.d`.\n"
    )
    assert script.unreleased_entries(changelog) == [
        "- **Breaking**: `Query.a` and `Query.b` are gone.",
        "- `Query.c` is new.",
        "A paragraph, over two lines.",
    ]
    assert script.releases(changelog) == [script.Release("0.1.0", "abc1234")]
    entry = "- **Breaking**: `Query.a` and `Color.RED`; the type `Old`."
    assert script.lists(entry, {"path": "Query.a", "message": "…"})
    assert script.lists(entry, {"path": "Color.RED", "message": "…"})
    assert script.lists(entry, {"path": "Old", "message": "…"})
    assert not script.lists(entry, {"path": "Query", "message": "…"})
    assert not script.lists(entry, {"path": "Color.R", "message": "…"})
    assert not script.lists("- `Query.a` is gone.", {"path": "Query.a", "message": "…"})
