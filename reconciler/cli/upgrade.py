"""`reconciler upgrade --from URL --to vX.Y.Z`: take a release into a team's repository
without merging our history into theirs (docs/upgrading.md).

A team's repository is a copy of a release plus what is theirs: `tenants/` and
`platform.yaml` (and anything they add). Upgrading applies the difference between the
release they run (pyproject.toml's version, tag `v<version>`) and the new one, to our files
only, as changes in their working tree for them to review and commit:

- a file the new release changed or added is written as the release has it;
- a file the new release removed is removed;
- a file they changed themselves that the release also changed (or removed) is a conflict:
  nothing is written, and the command lists them (`--force` takes the release's version);
- their files, and files neither release has, are never touched.

Both tags are fetched into a private ref namespace (`refs/tenant-gitops/`), so no upstream
commit joins their branches and their tag list stays theirs. The decision is a pure
function (`upgrade_plan`) of three file lists (path -> blob id), tested by a table.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from reconciler.cli.options import UpgradeOptions
from reconciler.report.status import EXIT_BLOCKED, EXIT_OK, EXIT_USAGE
from reconciler.settings import Settings

THEIRS = ("tenants/", "platform.yaml")
"""Paths that belong to the team: an upgrade never writes or removes them."""
REFS = "refs/tenant-gitops"
_TAG = re.compile(r"^v\d+\.\d+\.\d+(?:[-.][0-9A-Za-z.]+)?$")


def theirs(path: str) -> bool:
    return any(path == p or (p.endswith("/") and path.startswith(p)) for p in THEIRS)


@dataclass(frozen=True)
class UpgradePlan:
    write: tuple[str, ...]
    remove: tuple[str, ...]
    conflicts: tuple[str, ...]
    """Changed by the team and by the release: left alone unless forced."""


def upgrade_plan(
    old: Mapping[str, str], new: Mapping[str, str], current: Mapping[str, str], force: bool
) -> UpgradePlan:
    """What to write and remove; `old`/`new` are the releases', `current` the working tree's
    (path -> blob id; a path missing from `current` is absent there)."""
    write, remove, conflicts = [], [], []
    for path in sorted(set(old) | set(new)):
        if theirs(path) or old.get(path) == new.get(path):
            continue  # theirs, or the release did not change it: whatever they have stays
        here = current.get(path)
        if here == new.get(path):
            continue  # already as the new release has it
        if here is not None and here != old.get(path) and not force:
            conflicts.append(path)  # they changed it (or added it) and so did we
        elif path in new:
            write.append(path)
        elif here is not None:
            remove.append(path)
    return UpgradePlan(tuple(write), tuple(remove), tuple(conflicts))


def _git(root: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise UpgradeError(f"git {' '.join(args[:2])} failed: {done.stderr.strip()[:500]}")
    return done.stdout


class UpgradeError(Exception):
    pass


def _tree(root: Path, ref: str) -> dict[str, str]:
    found = {}
    for line in _git(root, "ls-tree", "-r", "-z", ref).split("\0"):
        if line:
            meta, path = line.split("\t", 1)
            found[path] = meta.split()[2]
    return found


def _current(root: Path, paths: Sequence[str]) -> dict[str, str]:
    present = [p for p in paths if (root / p).is_file()]
    if not present:
        return {}
    ids = _git(root, "hash-object", "--", *present).split()
    return dict(zip(present, ids, strict=True))


def running_version(root: Path) -> str:
    with (root / "pyproject.toml").open("rb") as handle:
        return str(tomllib.load(handle)["project"]["version"])


def upgrade(root: Path, source: str, to: str, force: bool) -> tuple[UpgradePlan, str]:
    """Fetch both releases, apply the plan unless it has conflicts; (plan, from tag)."""
    if not _TAG.match(to):
        raise UpgradeError(f"--to {to!r} is not a release tag such as v0.3.0")
    if _git(root, "status", "--porcelain", "--untracked-files=no").strip():
        raise UpgradeError("the working tree has uncommitted changes: commit or stash them first")
    since = f"v{running_version(root)}"
    if since == to:
        raise UpgradeError(f"this repository already runs {to}")
    refspecs = [f"refs/tags/{tag}:{REFS}/{tag}" for tag in (since, to)]
    _git(root, "fetch", "--quiet", "--no-tags", source, *refspecs)
    old, new = _tree(root, f"{REFS}/{since}"), _tree(root, f"{REFS}/{to}")
    plan = upgrade_plan(old, new, _current(root, sorted(set(old) | set(new))), force)
    if plan.conflicts:
        return plan, since
    for start in range(0, len(plan.write), 200):  # bounded command lines
        _git(root, "checkout", f"{REFS}/{to}", "--", *plan.write[start : start + 200])
    for start in range(0, len(plan.remove), 200):
        _git(root, "rm", "--quiet", "--", *plan.remove[start : start + 200])
    return plan, since


def run_upgrade(options: UpgradeOptions, _settings: Settings) -> int:
    root = options.globals.root.resolve()
    try:
        plan, since = upgrade(root, options.source, options.to, options.force)
    except (UpgradeError, OSError, KeyError, tomllib.TOMLDecodeError) as error:
        print(f"reconciler upgrade: {error}", file=sys.stderr)
        return EXIT_USAGE
    if plan.conflicts:
        print(
            f"reconciler upgrade: {len(plan.conflicts)} file(s) changed both here and in "
            f"{options.to}; nothing was changed:\n"
            + "".join(f"  {path}\n" for path in plan.conflicts)
            + "  Move your change out of our files (or re-apply it after --force).",
            file=sys.stderr,
        )
        return EXIT_BLOCKED
    print(f"{since} -> {options.to}: {len(plan.write)} file(s) written, {len(plan.remove)} removed")
    for path in plan.write:
        print(f"  wrote   {path}")
    for path in plan.remove:
        print(f"  removed {path}")
    print(
        f"\nRead CHANGELOG.md ({options.to}, 'Upgrading'), run the tests, then:\n"
        f'  git add -A && git commit -m "Upgrade tenant-gitops to {options.to}"'
    )
    return EXIT_OK
