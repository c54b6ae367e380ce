"""Fail on a breaking change of `schema.graphql` since the last release that CHANGELOG.md does not
list.

    python3 .ci/breaking_changes.py [--repo DIR]

The last release's schema is `git show REF:schema.graphql`, where REF is:

- the last release tag, `git describe --tags --abbrev=0 --match 'v[0-9]*'` (`v0.1.0`), when it
  is the newest release of CHANGELOG.md; if that release's heading names a commit too, the tag
  must be on it;
- otherwise (a clone without tags, or a release not tagged yet) the commit named in the
  heading of CHANGELOG.md's newest release: `## 0.1.0 — 2026-12-01 (commit 14cfa87)`.

A tag newer than every release of CHANGELOG.md, a release without tag nor commit, or a commit
that the clone lacks fails with a message saying so.

The changes come from `graphql-inspector diff OLD schema.graphql` (clients/node_modules, through
the `--onComplete` handler clients/inspector-changes.cjs). Each breaking one must be listed under
`## Unreleased`: its path (`Type`, `Type.field`, `Type.field.argument`, `Enum.VALUE`) written in
an entry (a list item with its continuation lines, or a paragraph) that holds `**Breaking**`.
Dangerous changes are printed, safe ones counted; neither is required.

Exit status: 0 when every breaking change is listed, 1 when one is not, 2 when the check itself
cannot run.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

CLIENTS = Path(__file__).resolve().parent.parent / "clients"
INSPECTOR = CLIENTS / "node_modules" / ".bin" / "graphql-inspector"
HANDLER = CLIENTS / "inspector-changes.cjs"

RELEASE = re.compile(
    r"^## v?(?P<version>\d+\.\d+\.\d+)\s+[—–-]\s+\d{4}-\d{2}-\d{2}"
    r"(?:\s+\(commit (?P<commit>[0-9a-f]{7,40})\))?\s*$"
)
UNRELEASED = re.compile(r"^## Unreleased\s*$", re.IGNORECASE)
TAG = re.compile(r"^v(\d+\.\d+\.\d+)$")
ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")


class CannotCheck(Exception):
    """The check cannot run: no release to compare with, a missing commit, no inspector."""


@dataclass(frozen=True)
class Release:
    version: str
    commit: str | None


def version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def releases(changelog: str) -> list[Release]:
    """The release headings, newest (first) first."""
    found = []
    for line in changelog.splitlines():
        match = RELEASE.match(line)
        if match:
            found.append(Release(match["version"], match["commit"]))
    return found


def unreleased_entries(changelog: str) -> list[str]:
    """The entries under `## Unreleased`: list items with their continuation lines, or
    paragraphs, each joined into one line."""
    entries: list[list[str]] = []
    inside = False
    new_entry = True
    for line in changelog.splitlines():
        if line.startswith("## "):
            inside = bool(UNRELEASED.match(line))
            new_entry = True
            continue
        if not inside:
            continue
        if not line.strip() or line.startswith("#"):
            new_entry = True
            continue
        if new_entry or ITEM.match(line):
            entries.append([])
            new_entry = False
        entries[-1].append(line.strip())
    return [" ".join(lines) for lines in entries]


def lists(entry: str, change: dict[str, object]) -> bool:
    """Whether a **Breaking** entry names the change: its path, not a longer one (`Query.foo`
    is not `Query.fooBar` nor `Query.foo.after`); a change without path, by its message."""
    if "**Breaking**" not in entry:
        return False
    path = change.get("path")
    if not isinstance(path, str) or not path:
        return str(change["message"]) in entry
    return re.search(rf"(?<![\w.]){re.escape(path)}(?!\w|\.\w)", entry) is not None


def git(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - git, with arguments of this script
        ["git", "-C", str(repo), *args],  # noqa: S607 - git from PATH, as CI has it
        capture_output=True,
        text=True,
        check=False,
    )


def commit_of(repo: Path, ref: str) -> str | None:
    found = git(repo, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    return found.stdout.strip() if found.returncode == 0 else None


def baseline(repo: Path, changelog: str) -> tuple[str, str]:
    """The git ref of the last release's schema, and how it was found."""
    described = git(repo, "describe", "--tags", "--abbrev=0", "--match", "v[0-9]*", "HEAD")
    tag = described.stdout.strip() if described.returncode == 0 else None
    tag_match = TAG.match(tag) if tag else None
    tag_version = tag_match[1] if tag_match else None
    known = releases(changelog)
    newest = known[0] if known else None

    if tag_version and (newest is None or version_key(tag_version) > version_key(newest.version)):
        raise CannotCheck(
            f"the last tag is {tag}, but CHANGELOG.md has no `## {tag_version} — DATE` section"
        )
    if tag and newest and tag_version == newest.version:
        if newest.commit:
            on_tag, named = commit_of(repo, tag), commit_of(repo, newest.commit)
            if named is None or on_tag != named:
                raise CannotCheck(
                    f"the tag {tag} is on {on_tag}, but CHANGELOG.md's release {newest.version} "
                    f"names commit {newest.commit}: make them agree"
                )
        return tag, f"the last release tag {tag}"
    if newest is None:
        raise CannotCheck(
            "no release to compare with: neither a tag v* nor a `## X.Y.Z — DATE (commit …)` "
            "heading in CHANGELOG.md"
        )
    if newest.commit is None:
        raise CannotCheck(
            f"release {newest.version} has no tag v{newest.version} here and its heading names "
            "no commit: add `(commit abc1234)` to it, or fetch the tags"
        )
    if commit_of(repo, newest.commit) is None:
        raise CannotCheck(
            f"commit {newest.commit} of release {newest.version} is not in this clone (a "
            f"shallow clone?): fetch it or the tag v{newest.version}"
        )
    return newest.commit, f"release {newest.version} of CHANGELOG.md (commit {newest.commit})"


def inspector_changes(old: str, new: Path) -> list[dict[str, object]]:
    if not INSPECTOR.exists():
        raise CannotCheck(f"{INSPECTOR} is missing: run `npm ci` in clients/ (.ci/clients)")
    with tempfile.TemporaryDirectory() as folder:
        old_path = Path(folder) / "released.graphql"
        old_path.write_text(old, encoding="utf-8")
        changes_path = Path(folder) / "changes.json"
        ran = subprocess.run(  # noqa: S603 - the inspector of clients/node_modules
            [str(INSPECTOR), "diff", str(old_path), str(new), "--onComplete", str(HANDLER)],
            capture_output=True,
            text=True,
            check=False,
            env={**os.environ, "INSPECTOR_CHANGES": str(changes_path)},
        )
        if ran.returncode != 0:
            raise CannotCheck(f"graphql-inspector diff failed:\n{ran.stdout}{ran.stderr}")
        if not changes_path.exists():  # "No changes detected": the handler is not called
            return []
        changes: list[dict[str, object]] = json.loads(changes_path.read_text(encoding="utf-8"))
        return changes


def level(change: dict[str, object]) -> str:
    criticality = change.get("criticality")
    return str(criticality.get("level")) if isinstance(criticality, dict) else "?"


def check(repo: Path) -> int:
    changelog_path = repo / "CHANGELOG.md"
    changelog = changelog_path.read_text(encoding="utf-8") if changelog_path.exists() else ""
    ref, origin = baseline(repo, changelog)
    shown = git(repo, "show", f"{ref}:schema.graphql")
    if shown.returncode != 0:
        raise CannotCheck(f"git show {ref}:schema.graphql failed: {shown.stderr.strip()}")
    changes = inspector_changes(shown.stdout, repo / "schema.graphql")
    breaking = [c for c in changes if level(c) == "BREAKING"]
    entries = unreleased_entries(changelog)
    unlisted = [c for c in breaking if not any(lists(entry, c) for entry in entries)]

    safe = [c for c in changes if level(c) == "NON_BREAKING"]
    print(
        f"breaking-changes: schema.graphql against {origin}: {len(changes)} changes, "
        f"{len(safe)} of them safe (not shown)"
    )
    for change in changes:
        if change not in safe:
            mark = "UNLISTED " if change in unlisted else ""
            print(f"  {mark}{level(change)}: {change.get('path') or '-'}: {change['message']}")
    if unlisted:
        print(
            f"breaking-changes: {len(unlisted)} breaking change(s) not listed in CHANGELOG.md: "
            "under `## Unreleased`, write each path above in an entry marked **Breaking**, e.g.\n"
            f"  - **Breaking**: `{unlisted[0].get('path') or unlisted[0]['message']}` …",
            file=sys.stderr,
        )
        return 1
    print(f"breaking-changes: every breaking change ({len(breaking)}) is in CHANGELOG.md")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--repo", type=Path, default=Path(__file__).resolve().parent.parent, help="the clone"
    )
    arguments = parser.parse_args()
    try:
        return check(arguments.repo.resolve())
    except CannotCheck as problem:
        print(f"breaking-changes: {problem}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
