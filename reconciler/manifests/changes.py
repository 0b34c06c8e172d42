"""Which manifests changed since a git ref, for `reconciler validate --changed-since REF`.

The changed files are checked deeply; the others are only read for the cross-file rules
(from the cache when it has them), which still see every name. A change to something every
manifest is checked against (the schema, the validator) makes every file "changed".
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from reconciler.manifests.tree import TENANTS_DIR

# Inputs of every file's check: when one changed, the answer for every file may change.
_EVERY_FILE = ("schema/", "reconciler/manifests/", "pyproject.toml", "uv.lock")


class ChangedSinceError(Exception):
    """git could not say what changed (unknown ref, not a repository, no git)."""


def _git(root: Path, *args: str) -> list[str]:
    return subprocess.run(
        ["git", *args], cwd=root, capture_output=True, text=True, check=True
    ).stdout.splitlines()


def changed_manifests(root: Path, ref: str) -> list[Path] | None:
    """The manifests in tenants/ changed since `ref` (merge base, against the working tree,
    untracked files included); None when every file must be checked."""
    try:
        base = _git(root, "merge-base", ref, "HEAD")[0]
        # --relative: paths relative to root, even when root is below the top of the repo.
        names = _git(root, "diff", "--name-only", "--no-renames", "--relative", base, "--")
        names += _git(root, "ls-files", "--others", "--exclude-standard", "--", TENANTS_DIR)
    except (OSError, IndexError, subprocess.CalledProcessError) as error:
        detail = (getattr(error, "stderr", "") or str(error) or "no merge base").strip()
        raise ChangedSinceError(f"cannot compare with git ref {ref!r}: {detail}") from error
    changed: list[Path] = []
    for name in dict.fromkeys(names):
        if name.startswith(_EVERY_FILE):
            return None
        path = Path(name)
        # Deleted files are gone from the set; stray and nested files get their layout issue.
        if path.parts[:1] == (TENANTS_DIR,) and (root / path).is_file():
            changed.append(root / path)
    return changed
