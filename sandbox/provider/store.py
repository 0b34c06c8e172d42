"""The sandbox's own cloud state: one SQLite file shared by every provider process.

What the Auth emulator cannot hold (buckets, service accounts, IAM bindings, IdP configs,
Secret Manager versions) lives here as JSON documents keyed by kind and resource name.
Several plugin processes write at once (one per stack being deployed), so the file runs in
WAL mode with a generous busy timeout, and each operation is its own short transaction.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sandbox import DEFAULT_STATE_DIR

STATE_DB_ENV = "SANDBOX_STATE_DB"
DEFAULT_STATE_DB = DEFAULT_STATE_DIR / "sandbox.db"
BUSY_TIMEOUT_SECONDS = 30.0

_SCHEMA = """
CREATE TABLE IF NOT EXISTS objects (
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    parent TEXT,
    body TEXT NOT NULL,
    updated REAL NOT NULL,
    PRIMARY KEY (kind, key)
);
CREATE INDEX IF NOT EXISTS objects_parent ON objects (parent);
CREATE TABLE IF NOT EXISTS secret_versions (
    project TEXT NOT NULL,
    secret TEXT NOT NULL,
    version INTEGER NOT NULL,
    data TEXT NOT NULL,
    create_time TEXT NOT NULL,
    PRIMARY KEY (project, secret, version)
);
"""


class AlreadyExists(Exception):
    """An object with that kind and key is already stored."""


class LimitReached(Exception):
    """`parent` already holds as many objects of that kind as the insert allows."""


class NotFound(Exception):
    """No object with that kind and key is stored."""


@dataclass(frozen=True)
class SecretVersion:
    """One stored Secret Manager secret version."""

    project: str
    secret: str
    version: int
    data: str
    create_time: str

    def __repr__(self) -> str:
        return f"SecretVersion({self.project}/{self.secret}/{self.version}, data=[secret])"


def _enable_wal(db: sqlite3.Connection) -> None:
    """WAL (persistent in the file) lets readers run beside the one writer."""
    deadline = time.monotonic() + BUSY_TIMEOUT_SECONDS
    while True:
        try:
            db.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError:
            # Switching modes needs the file to itself; another process may be mid-write.
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def state_db_path(environ: dict[str, str] | None = None) -> Path:
    """The SQLite file: $SANDBOX_STATE_DB, else `.sandbox/sandbox.db` in the checkout."""
    env = os.environ if environ is None else environ
    configured = env.get(STATE_DB_ENV)
    return Path(configured) if configured else DEFAULT_STATE_DB


class Store:
    """JSON documents by (kind, key), each optionally under a parent resource name."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        db = self._connect()
        try:
            _enable_wal(db)
            # Every statement inside one IMMEDIATE transaction: concurrent first openers wait
            # for each other instead of failing on the schema.
            db.execute("BEGIN IMMEDIATE")
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    db.execute(statement)
            db.execute("COMMIT")
        finally:
            db.close()

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None)
        db.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_SECONDS * 1000)}")
        db.execute("PRAGMA synchronous = NORMAL")  # WAL stays consistent; a sandbox needs no more
        return db

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        db = self._connect()
        try:
            # IMMEDIATE: take the write lock up front so read-then-write never deadlocks.
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
        finally:
            db.close()

    def get(self, kind: str, key: str) -> dict[str, Any] | None:
        with self._transaction() as db:
            row = db.execute(
                "SELECT body FROM objects WHERE kind = ? AND key = ?", (kind, key)
            ).fetchone()
        return None if row is None else dict(json.loads(row[0]))

    def insert(
        self,
        kind: str,
        key: str,
        body: dict[str, Any],
        parent: str | None = None,
        limit: int | None = None,
    ) -> None:
        """Store a new object (AlreadyExists if its key is taken); with `limit`, refuse
        (LimitReached) when `parent` already holds that many of `kind`. The checks and the
        insert share one IMMEDIATE transaction, so two processes racing for the last place
        cannot both take it."""
        with self._transaction() as db:
            taken = db.execute(
                "SELECT 1 FROM objects WHERE kind = ? AND key = ?", (kind, key)
            ).fetchone()
            if taken:
                raise AlreadyExists(f"{kind} {key}")
            if limit is not None:
                (held,) = db.execute(
                    "SELECT COUNT(*) FROM objects WHERE kind = ? AND parent = ?", (kind, parent)
                ).fetchone()
                if held >= limit:
                    raise LimitReached(f"{kind} under {parent}: {held} of {limit}")
            db.execute(
                "INSERT INTO objects (kind, key, parent, body, updated) VALUES (?, ?, ?, ?, ?)",
                (kind, key, parent, json.dumps(body, sort_keys=True), time.time()),
            )

    def replace(self, kind: str, key: str, body: dict[str, Any]) -> None:
        with self._transaction() as db:
            cursor = db.execute(
                "UPDATE objects SET body = ?, updated = ? WHERE kind = ? AND key = ?",
                (json.dumps(body, sort_keys=True), time.time(), kind, key),
            )
            if cursor.rowcount == 0:
                raise NotFound(f"{kind} {key}")

    def delete(self, kind: str, key: str) -> bool:
        with self._transaction() as db:
            cursor = db.execute("DELETE FROM objects WHERE kind = ? AND key = ?", (kind, key))
            return cursor.rowcount > 0

    def delete_children(self, parent: str) -> int:
        """Delete every object stored under `parent` (what the cloud cascades)."""
        with self._transaction() as db:
            return db.execute("DELETE FROM objects WHERE parent = ?", (parent,)).rowcount

    def children(self, kind: str, parent: str) -> list[tuple[str, dict[str, Any]]]:
        with self._transaction() as db:
            rows = db.execute(
                "SELECT key, body FROM objects WHERE kind = ? AND parent = ? ORDER BY key",
                (kind, parent),
            ).fetchall()
        return [(key, dict(json.loads(body))) for key, body in rows]

    def of_kind(self, kind: str) -> list[tuple[str, dict[str, Any]]]:
        """Every object of one kind (the sandbox is small; IAM rewrites need a full scan)."""
        with self._transaction() as db:
            rows = db.execute(
                "SELECT key, body FROM objects WHERE kind = ? ORDER BY key", (kind,)
            ).fetchall()
        return [(key, dict(json.loads(body))) for key, body in rows]

    def count(self, kind: str, parent: str) -> int:
        with self._transaction() as db:
            row = db.execute(
                "SELECT COUNT(*) FROM objects WHERE kind = ? AND parent = ?", (kind, parent)
            ).fetchone()
        return int(row[0])

    def put_secret_version(self, project: str, secret: str, data: str) -> SecretVersion:
        """Add a version (numbered from 1) holding `data`."""
        created = time.strftime("%Y-%m-%dT%H:%M:%S.000000Z", time.gmtime())
        with self._transaction() as db:
            row = db.execute(
                "SELECT COALESCE(MAX(version), 0) FROM secret_versions"
                " WHERE project = ? AND secret = ?",
                (project, secret),
            ).fetchone()
            version = int(row[0]) + 1
            db.execute(
                "INSERT INTO secret_versions VALUES (?, ?, ?, ?, ?)",
                (project, secret, version, data, created),
            )
        return SecretVersion(project, secret, version, data, created)

    def secret_version(
        self, project: str, secret: str, version: int | None
    ) -> SecretVersion | None:
        """The given version, or the latest when `version` is None."""
        query = (
            "SELECT version, data, create_time FROM secret_versions"
            " WHERE project = ? AND secret = ?"
        )
        args: tuple[Any, ...] = (project, secret)
        if version is None:
            query += " ORDER BY version DESC LIMIT 1"
        else:
            query += " AND version = ?"
            args += (version,)
        with self._transaction() as db:
            row = db.execute(query, args).fetchone()
        return None if row is None else SecretVersion(project, secret, int(row[0]), row[1], row[2])

    def secret_projects(self) -> list[str]:
        """Every project that holds a secret version (to map a project number back)."""
        with self._transaction() as db:
            rows = db.execute("SELECT DISTINCT project FROM secret_versions").fetchall()
        return [str(row[0]) for row in rows]
