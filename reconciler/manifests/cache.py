"""Per-file validation results kept between runs, so `reconciler validate` costs what changed.

What a result depends on, and so what finds it again:
- the file's bytes (SHA-256 of what was just read) and its path (the name rule compares the
  file name with `metadata.name`): an entry is found by path and used only when the digest
  matches;
- the schema and the validator: the whole cache is keyed by `validator_version()` (every
  schema file, the source of `reconciler/manifests/`, the versions of Python, PyYAML and
  jsonschema), so a change to any of them starts from an empty cache.

What is kept: a full check's issues and the facts the cross-file rules need (which always
run over every name, cached or not). Not kept: typed tenants (plan and apply validate
without a cache), load-only checks, and anything about a file that could not be read (it has
no digest: the caller never offers it). Storage: one JSON file per validator version,
replaced atomically; a missing, unreadable or malformed cache file reads as empty, and a
cache that cannot be written is skipped: the cache only ever saves time.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import hashlib
import json
import os
import platform
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from reconciler.manifests.issues import ERROR, WARNING, Issue
from reconciler.manifests.rules import Located, ManifestFacts
from reconciler.manifests.schema import SCHEMA_DIR

FORMAT = 2
"""Bump when the layout of an entry changes."""
PACKAGE_DIR = Path(__file__).resolve().parent


def digest(data: bytes) -> str:
    """The content key of a file's bytes."""
    return hashlib.sha256(data).hexdigest()


def _jsonschema_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("jsonschema")
    except PackageNotFoundError:
        return "none"


def compute_version(schema_dir: Path, package_dir: Path, today: str | None = None) -> str:
    """A key that changes whenever a schema or anything that checks a file could change.

    The validator's own source is hashed rather than trusting a version number someone
    must remember to bump. The date is part of it because one check depends on the clock:
    a SAML certificate that was valid (or only expiring soon) yesterday may have expired."""
    day = today or dt.datetime.now(dt.UTC).date().isoformat()
    h = hashlib.sha256(f"format {FORMAT}\nday {day}\n".encode())
    h.update(f"python {platform.python_version()} pyyaml {yaml.__version__}\n".encode())
    h.update(f"jsonschema {_jsonschema_version()}\n".encode())
    for folder, pattern in ((schema_dir, "*.json"), (package_dir, "*.py")):
        for path in sorted(folder.glob(pattern)):
            h.update(f"{path.name}\n".encode())
            h.update(path.read_bytes())
    return h.hexdigest()[:32]


@functools.cache
def validator_version() -> str:
    """`compute_version` of this checkout's schemas and validator, once per process."""
    return compute_version(SCHEMA_DIR, PACKAGE_DIR)


def _located(value: Located | None) -> list[Any] | None:
    return None if value is None else [value.value, value.line, value.column]


def _unlocated(value: Any) -> Located | None:
    if value is None:
        return None
    text, line, column = value
    if not (isinstance(text, str) and isinstance(line, int) and isinstance(column, int)):
        raise ValueError("malformed location")
    return Located(text, line, column)


def _issue(file: str, value: Any) -> Issue:
    line, column, path, message, hint, severity = value
    if not (isinstance(line, int) and isinstance(column, int) and isinstance(message, str)):
        raise ValueError("malformed issue")
    if severity not in (ERROR, WARNING):
        raise ValueError("malformed severity")
    return Issue(file, line, column, str(path), message, hint, severity)


class CheckCache:
    """The cached results of one validator version, in `folder`."""

    def __init__(self, folder: Path, version: str | None = None) -> None:
        self.version = version or validator_version()
        self.path = folder / f"validate-{self.version}.json"
        self._entries: dict[str, list[Any]] = {}
        self._changed = False
        with contextlib.suppress(OSError, ValueError, TypeError):
            body = json.loads(self.path.read_text(encoding="utf-8"))
            if body.get("version") == self.version and isinstance(body.get("entries"), dict):
                self._entries = body["entries"]

    def get(self, file: str, sha: str) -> tuple[tuple[Issue, ...], ManifestFacts] | None:
        """The issues and facts of `file` when its bytes hash to `sha`; else None."""
        entry = self._entries.get(file)
        if not isinstance(entry, list) or len(entry) != 6 or entry[0] != sha:
            return None
        try:
            issues = tuple(_issue(file, item) for item in entry[1])
            located = [_unlocated(item) for item in entry[2:]]
            facts = ManifestFacts(file, *located)
        except (ValueError, TypeError):
            return None  # a damaged entry is a miss, never a pass
        return issues, facts

    def put(self, file: str, sha: str, issues: Iterable[Issue], facts: ManifestFacts) -> None:
        """Keep the full check of `file` whose bytes hash to `sha`."""
        issues = list(issues)
        if any(i.file != file for i in issues):
            return  # an entry answers for its own file only; not worth a special case
        rows = [[i.line, i.column, i.path, i.message, i.hint, i.severity] for i in issues]
        self._entries[file] = [
            sha,
            rows,
            _located(facts.name),
            _located(facts.display_name),
            _located(facts.renamed_from),
            _located(facts.adopt_tenant_id),
        ]
        self._changed = True

    def keep_only(self, files: Iterable[str]) -> None:
        """Forget the entries of files that are gone, so the cache stays the size of tenants/."""
        wanted = set(files)
        stale = [file for file in self._entries if file not in wanted]
        for file in stale:
            del self._entries[file]
        self._changed = self._changed or bool(stale)

    def save(self) -> None:
        """Write the cache when it changed; a folder that cannot be written is skipped."""
        if not self._changed:
            return
        body = json.dumps({"version": self.version, "entries": self._entries})
        with contextlib.suppress(OSError):
            self.path.parent.mkdir(parents=True, exist_ok=True)
            ignore = self.path.parent / ".gitignore"
            if not ignore.exists():
                # Like .pytest_cache: never committed, whichever repository it lands in
                # (e.g. a tenants repository running the pre-commit hook).
                ignore.write_text("# written by reconciler validate\n*\n", encoding="utf-8")
            handle, temporary = tempfile.mkstemp(dir=self.path.parent, suffix=".tmp")
            try:
                with os.fdopen(handle, "w", encoding="utf-8") as stream:
                    stream.write(body)
                os.replace(temporary, self.path)
            finally:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(temporary)
            self._changed = False
            # Caches of other validator versions will never be read again.
            for old in self.path.parent.glob("validate-*.json"):
                if old != self.path:
                    old.unlink(missing_ok=True)
