"""Deployed state, read in bulk straight from a DIY Pulumi backend (no CLI process per stack).

A DIY backend (`file://`, `gs://`) keeps, for project-scoped stacks,
`.pulumi/stacks/<project>/<stack>.json[.gz|.zst]` (the checkpoint),
`.pulumi/stacks/<project>/<stack>.pulumi-tags` (stack tags, JSON, version 1) and
`.pulumi/locks/organization/<project>/<stack>/*.json` (held locks; a run killed mid-write
leaves a `*.json.<hex>.tmp`, which is a lock too). One listing of each prefix
gives every stack, its reconciler record (a stack tag written after each engine run) and
whether another run holds its lock (who, since when: see `reconciler.engine.backend.locks`). Writes
always go through the engine, never through here.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from reconciler.engine.backend.errors import BackendAccessError, BackendError
from reconciler.engine.backend.locks import HeldLock, parse_lock
from reconciler.engine.backend.records import STATUS_TAG, StackRecord, decode_record

__all__ = [
    "BackendAccessError",
    "BackendError",
    "Bucket",
    "DeployedStack",
    "FileBucket",
    "open_bucket",
    "read_deployed",
]

BULK_SCHEMES = ("file://", "gs://")
"""Backends read here in bulk; others are listed through the CLI (see engine.list_deployed)."""

_STACK_SUFFIXES = (".json", ".json.gz", ".json.zst")
_TAGS_SUFFIX = ".pulumi-tags"
_ATTRS_SUFFIX = ".attrs"
"""file-blob (gocloud.dev) keeps each object's attributes beside it; never an object itself."""


@dataclass(frozen=True)
class DeployedStack:
    """One tenant stack as the backend records it."""

    name: str
    """Stack name (= tenant name)."""
    record: StackRecord
    """The reconciler's record (fingerprint, last result, protection)."""
    locked: bool
    """Another run holds the stack's lock right now."""
    lock: HeldLock | None = None
    """The lock file's holder and age, when the backend was read in bulk."""
    recorded_at: float | None = None
    """When the record was last written (seconds since the epoch): the end of the last
    engine run on the stack; None when the backend does not say."""


class Bucket(Protocol):
    """The reads a DIY backend needs: list keys under a prefix, read one key or many."""

    def list(self, prefix: str) -> Iterator[str]: ...

    def read(self, key: str) -> bytes | None:
        """The object's bytes, or None when it does not exist."""
        ...

    def read_many(self, keys: Iterable[str]) -> dict[str, bytes | None]:
        """Each key's bytes (None when missing), in whatever order is fastest."""
        ...


class FileBucket:
    """A `file://` backend: keys are paths relative to the backend root."""

    def __init__(self, root: Path) -> None:
        self._root = root

    def list(self, prefix: str) -> Iterator[str]:
        base = self._root / prefix
        if not base.is_dir():
            return
        for directory, _dirs, files in os.walk(base):
            rel = Path(directory).relative_to(self._root).as_posix()
            for name in files:
                yield f"{rel}/{name}"

    def read(self, key: str) -> bytes | None:
        try:
            return (self._root / key).read_bytes()
        except FileNotFoundError:
            return None

    def read_many(self, keys: Iterable[str]) -> dict[str, bytes | None]:
        # Local files: a thread per read would cost more than it saves.
        return {key: self.read(key) for key in keys}

    def modified(self, key: str) -> float | None:
        """When the object was last written."""
        try:
            return (self._root / key).stat().st_mtime
        except OSError:
            return None


def open_bucket(backend_url: str, storage_emulator: str | None = None) -> Bucket:
    """The backend's bucket; a `gs://` one at `storage_emulator` (a URL) when given."""
    if backend_url.startswith("file://"):
        return FileBucket(Path(backend_url[len("file://") :]))
    if backend_url.startswith("gs://"):
        from reconciler.engine.backend.gcs import GcsBucket

        return GcsBucket(backend_url, storage_emulator)
    raise BackendError(
        f"backend {backend_url!r}: bulk reads support file:// and gs:// backends; "
        "use one of those for the reconciler's state"
    )


def parse_record(tags_file: bytes | None) -> StackRecord:
    """The reconciler's record from a `.pulumi-tags` file."""
    try:
        tags = json.loads(tags_file).get("tags") or {} if tags_file else {}
    except (ValueError, AttributeError):
        tags = {}
    value = tags.get(STATUS_TAG) if isinstance(tags, dict) else None
    return decode_record(value if isinstance(value, str) else None)


def read_deployed(bucket: Bucket, project: str) -> dict[str, DeployedStack]:
    """Every stack of `project` with its record and lock state, from two listings."""
    stacks_prefix = f".pulumi/stacks/{project}/"
    locks_prefix = f".pulumi/locks/organization/{project}/"
    try:
        # Three independent round trips at once (a remote bucket's latency, not its work).
        with ThreadPoolExecutor(max_workers=3) as pool:
            meta_read = pool.submit(_read_meta_version, bucket)
            stack_keys = pool.submit(lambda: list(bucket.list(stacks_prefix)))
            lock_files = pool.submit(lambda: list(bucket.list(locks_prefix)))
            meta, listed_stacks, listed_locks = (
                meta_read.result(),
                stack_keys.result(),
                lock_files.result(),
            )
        if meta == 0:
            raise BackendError(
                "the backend uses Pulumi's legacy (non-project) layout; "
                "upgrade it with `pulumi state upgrade`"
            )
        names: set[str] = set()
        tag_keys: dict[str, str] = {}
        for key in listed_stacks:
            leaf = key[len(stacks_prefix) :]
            if "/" in leaf:
                continue
            for suffix in _STACK_SUFFIXES:
                if leaf.endswith(suffix):
                    names.add(leaf[: -len(suffix)])
            if leaf.endswith(_TAGS_SUFFIX):
                tag_keys[leaf[: -len(_TAGS_SUFFIX)]] = key
        # As Pulumi does (diy/lock.go, checkForLock), every file in a stack's lock folder
        # is a lock, also a temporary file cut off mid-write by a killed run; file-blob's
        # `.attrs` sidecars are not. A complete `.json` lock names the holder when there is one.
        lock_keys: dict[str, list[str]] = {}
        for key in listed_locks:
            if not key.endswith(_ATTRS_SUFFIX):
                stack = key[len(locks_prefix) :].split("/", 1)[0]
                lock_keys.setdefault(stack, []).append(key)
        holders = {
            stack: min(keys, key=lambda k: (not k.endswith(".json"), k))
            for stack, keys in lock_keys.items()
        }
        # One batch of reads: every stack's tags and every held lock's holder.
        wanted = [tag_keys[name] for name in sorted(names) if name in tag_keys]
        contents = bucket.read_many([*wanted, *holders.values()])
        locks = {stack: parse_lock(contents[key]) for stack, key in holders.items()}
        deployed = {}
        # When each record was written: the listing's object times where the bucket keeps
        # them (a rollout's shards meet on them, reconcile/barrier.py).
        modified = getattr(bucket, "modified", None)
        for name in sorted(names):
            tags = contents[tag_keys[name]] if name in tag_keys else None
            deployed[name] = DeployedStack(
                name=name,
                record=parse_record(tags),
                locked=name in locks,
                lock=locks.get(name),
                recorded_at=modified(tag_keys[name]) if modified and name in tag_keys else None,
            )
        return deployed
    except BackendError:
        raise
    except OSError as error:
        raise BackendError(f"could not read the state backend: {error}") from error


def _read_meta_version(bucket: Bucket) -> int | None:
    meta = bucket.read(".pulumi/meta.yaml")
    if meta is None:
        return None
    for line in meta.decode("utf-8", "replace").splitlines():
        if line.strip().startswith("version:"):
            return int(line.split(":", 1)[1].strip() or 0)
    return 0


def stack_lock(
    backend_url: str, project: str, stack: str, storage_emulator: str | None = None
) -> HeldLock | None:
    """The lock another run holds on `stack`, read directly (None: there is none, or the
    backend is not one read here, or it cannot be read)."""
    if not backend_url.startswith(BULK_SCHEMES):
        return None
    try:
        bucket = open_bucket(backend_url, storage_emulator)
        prefix = f".pulumi/locks/organization/{project}/{stack}/"
        keys = [k for k in bucket.list(prefix) if not k.endswith(_ATTRS_SUFFIX)]
        if not keys:
            return None
        return parse_lock(bucket.read(min(keys, key=lambda k: (not k.endswith(".json"), k))))
    except (BackendError, OSError):
        return None
