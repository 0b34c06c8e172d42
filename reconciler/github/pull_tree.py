"""A pull request's `tenants/`, read from git objects: what the pull request holds, never
what its own workflow run uploaded.

The preview runs main's code with the state credential; the pull request's commit is data.
So nothing of it is checked out or executed: its tree is listed (`git ls-tree`) and each
manifest's blob read (`git cat-file`), after the same limits the schema's file name rule
sets for a tenants/ folder: at most MAX_FILES regular files named `<tenant>.yaml`, none
larger than MAX_FILE_BYTES, MAX_TOTAL_BYTES in all; a folder, a symbolic link (mode
120000) or a submodule (160000) in tenants/ refuses the whole set (git's modes:
gitformat-index(5), "object type and permissions"). Accepted files go to
`CANDIDATE/tenants/` next to a copy of main's platform.yaml, for main's validator.

The artifact the pull request's run uploaded is only compared (`compare`): a pull request
whose code changed its manifests before the upload would otherwise be previewed as
something it does not merge.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Mapping
from pathlib import Path

from reconciler.github.git import Git

MAX_FILES = 2000
MAX_FILE_BYTES = 256 * 1024
MAX_TOTAL_BYTES = 16 * 1024 * 1024
TENANTS = "tenants"
TENANT_FILE = re.compile(r"^[a-z][a-z0-9-]{1,26}[a-z0-9]\.yaml$")
REGULAR_MODES = ("100644", "100755")


def _shown(name: str) -> str:
    return ascii(name)[1:-1]


def read_manifests(git: Git, commit: str) -> tuple[dict[str, bytes], list[str]]:
    """`tenants/*.yaml` at `commit` (name -> bytes), or the reasons none is taken."""
    entries = git.tree(commit, TENANTS)
    if len(entries) > MAX_FILES:
        return {}, [f"{len(entries)} entries in tenants/: more than {MAX_FILES} manifests"]
    problems: list[str] = []
    total = 0
    wanted = []
    for entry in entries:
        name = entry.path.removeprefix(f"{TENANTS}/")
        if entry.kind != "blob" or entry.mode not in REGULAR_MODES:
            problems.append(
                f"tenants/{_shown(name)}: a {entry.kind} of mode {entry.mode}, not a regular "
                "file (folders, links and submodules are refused)"
            )
        elif not TENANT_FILE.fullmatch(name):
            problems.append(f"tenants/{_shown(name)}: not a tenant file name (tenants/<name>.yaml)")
        elif (entry.size or 0) > MAX_FILE_BYTES:
            problems.append(f"tenants/{name}: {entry.size} bytes, more than {MAX_FILE_BYTES}")
        else:
            total += entry.size or 0
            wanted.append((name, entry.oid))
    if total > MAX_TOTAL_BYTES:
        problems.append(f"{total} bytes in all, more than {MAX_TOTAL_BYTES}")
    if problems:
        return {}, problems
    return {name: git.blob(oid) for name, oid in wanted}, []


def write_candidate(manifests: Mapping[str, bytes], trusted_root: Path, candidate: Path) -> None:
    """The manifests under `candidate/tenants/`, next to main's platform.yaml."""
    tenants = candidate / TENANTS
    tenants.mkdir(parents=True, exist_ok=False)
    (candidate / "platform.yaml").write_bytes((trusted_root / "platform.yaml").read_bytes())
    for name, data in sorted(manifests.items()):
        (tenants / name).write_bytes(data)


def read_uploaded(folder: Path) -> tuple[dict[str, bytes], list[str]]:
    """What the pull request's run uploaded, read as bytes (no link followed), bounded."""
    if not folder.is_dir():
        return {}, []  # no artifact: the run uploaded no manifest
    found: dict[str, bytes] = {}
    odd: list[str] = []
    for entry in sorted(os.scandir(folder), key=lambda e: e.name)[: MAX_FILES + 1]:
        if not stat.S_ISREG(entry.stat(follow_symlinks=False).st_mode):
            odd.append(_shown(entry.name))
            continue
        fd = os.open(entry.path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        with os.fdopen(fd, "rb") as source:
            found[entry.name] = source.read(MAX_FILE_BYTES + 1)
    return found, odd


def compare(
    committed: Mapping[str, bytes], uploaded: Mapping[str, bytes], odd: list[str]
) -> list[str]:
    """How the upload differs from the commit (empty: byte for byte the same)."""
    differences = [
        f"tenants/{n}: not in the commit" for n in sorted(set(uploaded) - set(committed))
    ]
    differences += [f"tenants/{n}: not uploaded" for n in sorted(set(committed) - set(uploaded))]
    differences += [
        f"tenants/{n}: other bytes than the commit's"
        for n in sorted(set(committed) & set(uploaded))
        if committed[n] != uploaded[n]
    ]
    differences += [f"{name}: not a regular file" for name in odd]
    return differences


def changed_outside_tenants(git: Git, base: str, commit: str) -> list[str]:
    """The paths the pull request changes outside tenants/ (since it left `base`)."""
    fork = git.merge_base(base, commit)
    return [p for p in git.changed_paths(fork, commit) if not p.startswith(f"{TENANTS}/")]
