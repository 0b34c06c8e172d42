"""The few git reads the GitHub checks make, on a local clone, as plumbing commands.

Nothing here checks out a commit or runs anything a commit holds: objects are read with
`git cat-file`, `git ls-tree` and `git diff` only. A fetch may carry a token for a private
repository; it goes through git's `GIT_CONFIG_*` environment (git-config(1),
"GIT_CONFIG_COUNT"), never the command line, so no process listing shows it.
"""

from __future__ import annotations

import base64
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

ZERO = "0" * 40
"""The `before` of a push that created the branch: no commit."""


class GitError(Exception):
    """A git command failed: the message says which and what it printed."""


@dataclass(frozen=True)
class TreeEntry:
    """One `git ls-tree` line: mode, type, object id, size and path."""

    mode: str
    kind: str
    oid: str
    size: int | None
    path: str


@dataclass(frozen=True)
class Git:
    """A clone at `root`."""

    root: Path

    def run(self, *args: str, env: dict[str, str] | None = None) -> bytes:
        command = ["git", "-C", str(self.root), *args]
        done = subprocess.run(
            command, capture_output=True, env={**os.environ, **(env or {})}, check=False
        )
        if done.returncode != 0:
            said = done.stderr.decode("utf-8", "replace").strip().splitlines()
            raise GitError(f"git {' '.join(args[:2])} failed: {said[-1] if said else 'no output'}")
        return done.stdout

    def text(self, *args: str) -> str:
        return self.run(*args).decode("utf-8", "replace").strip()

    def has_commit(self, sha: str) -> bool:
        try:
            self.run("cat-file", "-e", f"{sha}^{{commit}}")
        except GitError:
            return False
        return True

    def fetch(self, refspec: str, token: str = "") -> None:
        """`git fetch origin REFSPEC` (no tags), authenticated with `token` when given."""
        env: dict[str, str] = {}
        if token:
            basic = base64.b64encode(f"x-access-token:{token}".encode()).decode()
            env = {
                "GIT_CONFIG_COUNT": "1",
                "GIT_CONFIG_KEY_0": "http.extraheader",
                "GIT_CONFIG_VALUE_0": f"AUTHORIZATION: basic {basic}",
            }
        self.run("fetch", "-q", "--no-tags", "--no-write-fetch-head", "origin", refspec, env=env)

    def show(self, commit: str, path: str) -> bytes | None:
        """A file's bytes at `commit`, or None when it has none at that path."""
        try:
            return self.run("cat-file", "blob", f"{commit}:{path}")
        except GitError:
            return None

    def changed_paths(self, base: str, commit: str) -> tuple[str, ...]:
        """Every path that differs between two commits; a rename is its old and new name."""
        out = self.run("diff", "--name-only", "--no-renames", "-z", base, commit)
        return tuple(p for p in out.decode("utf-8", "surrogateescape").split("\0") if p)

    def merge_base(self, a: str, b: str) -> str:
        return self.text("merge-base", a, b)

    def is_ancestor(self, a: str, b: str) -> bool:
        try:
            self.run("merge-base", "--is-ancestor", a, b)
        except GitError:
            return False
        return True

    def tree(self, commit: str, path: str) -> tuple[TreeEntry, ...]:
        """The entries directly under `path/` at `commit` (`git ls-tree -l`), none followed."""
        out = self.run("ls-tree", "-l", "-z", commit, "--", path.rstrip("/") + "/")
        entries = []
        for record in out.decode("utf-8", "surrogateescape").split("\0"):
            if not record:
                continue
            meta, name = record.split("\t", 1)
            mode, kind, oid, size = meta.split()
            entries.append(TreeEntry(mode, kind, oid, int(size) if size != "-" else None, name))
        return tuple(entries)

    def blob(self, oid: str) -> bytes:
        return self.run("cat-file", "blob", oid)
