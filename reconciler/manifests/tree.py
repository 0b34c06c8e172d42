"""The layout of tenants/: which entries are manifests, and which are mistakes.

tenants/ is flat: one `<name>.yaml` per tenant. Everything else is reported, because an
entry the reconciler does not read would make its tenant look deleted:

- other files (`.yml`, `.json`, editor backups such as `x.yaml~` or `.x.yaml.swp`);
- sub-directories (manifests in them would silently not count);
- symlinks that lead outside tenants/ (the fleet would change without a reviewed change
  here), and broken symlinks.

`.gitkeep` is allowed, so an empty fleet can be kept in git.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from reconciler.manifests.issues import Issue

TENANTS_DIR = "tenants"
MANIFEST_SUFFIX = ".yaml"
ALLOWED_EXTRAS = frozenset({".gitkeep"})
_BACKUP_SUFFIXES = (".bak", ".orig", ".swp", ".swo", ".tmp", ".rej", "~")


@dataclass(frozen=True)
class Entry:
    """One entry of tenants/."""

    path: Path
    """Its path, `root/tenants/<name>` (symlinks not resolved)."""
    display: str
    """How issues name it: `tenants/<name>`."""
    manifest: bool
    """A `.yaml` file to load and validate."""
    issue: Issue | None = None
    """What is wrong with it as an entry of tenants/, if anything."""


def scan_tenants(root: Path) -> tuple[list[Entry], list[Issue]]:
    """Every entry of root/tenants/, and the issues of the directory itself."""
    directory = root / TENANTS_DIR
    if not directory.is_dir():
        return [], [
            Issue(
                TENANTS_DIR,
                1,
                1,
                "$",
                f"no {TENANTS_DIR}/ directory in the repository root",
                "create it; an empty fleet is kept in git with tenants/.gitkeep",
            )
        ]
    real = Path(os.path.realpath(directory))
    try:
        # scandir knows each entry's type from the directory listing: no stat per file.
        with os.scandir(directory) as listing:
            found = sorted(
                (item for item in listing if item.name not in ALLOWED_EXTRAS),
                key=lambda item: item.name,
            )
    except OSError as error:
        return [], [Issue(TENANTS_DIR, 1, 1, "$", f"cannot list {TENANTS_DIR}/: {error.strerror}")]
    return [_entry(directory / item.name, item, real) for item in found], []


def _entry(path: Path, item: os.DirEntry[str], real_dir: Path) -> Entry:
    name, display = item.name, f"{TENANTS_DIR}/{item.name}"
    if item.is_symlink():
        if not path.exists():
            return _bad(path, display, "broken symlink", "remove it or point it at a manifest")
        if Path(os.path.realpath(path)).parent != real_dir:
            return _bad(
                path,
                display,
                f"symlink leads outside {TENANTS_DIR}/ (to {os.readlink(path)})",
                f"copy the manifest into {TENANTS_DIR}/: every tenant change must be reviewed here",
            )
    if item.is_dir():
        return _bad(
            path,
            display,
            f"sub-directory in {TENANTS_DIR}/: manifests in it are not read",
            f"{TENANTS_DIR}/ is flat: move manifests to {TENANTS_DIR}/<name>.yaml",
        )
    if name.endswith(MANIFEST_SUFFIX) and item.is_file():
        return Entry(path, display, manifest=True)
    return _bad(
        path,
        display,
        f"not a manifest: only *{MANIFEST_SUFFIX} files belong in {TENANTS_DIR}/",
        _stray_hint(name),
    )


_TENANT_NAME = re.compile(r"[a-z][a-z0-9-]{1,26}[a-z0-9]")


def _stray_hint(name: str) -> str:
    stem, _, suffix = name.rpartition(".")
    if suffix in ("yml", "json") and stem:
        if _TENANT_NAME.fullmatch(stem):
            return f"rename it to {stem}.yaml (written in YAML) if it is a manifest"
        # Never suggest a file name that is not a valid tenant name.
        return (
            "if it is a manifest, rename it to <name>.yaml (written in YAML), <name> being "
            "its tenant name: 3-28 lowercase letters, digits and hyphens"
        )
    if name.endswith(_BACKUP_SUFFIXES) or name.startswith((".#", "#")):
        return "an editor backup or temporary file: delete it"
    return f"move it out of {TENANTS_DIR}/"


def _bad(path: Path, display: str, message: str, hint: str) -> Entry:
    return Entry(path, display, manifest=False, issue=Issue(display, 1, 1, "$", message, hint))
