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
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from reconciler.engine.backend.locks import HeldLock, parse_lock
from reconciler.engine.backend.records import STATUS_TAG, StackRecord, decode_record

BULK_SCHEMES = ("file://", "gs://")
"""Backends read here in bulk; others are listed through the CLI (see engine.list_deployed)."""

_STACK_SUFFIXES = (".json", ".json.gz", ".json.zst")
_TAGS_SUFFIX = ".pulumi-tags"
_ATTRS_SUFFIX = ".attrs"
"""file-blob (gocloud.dev) keeps each object's attributes beside it; never an object itself."""


class BackendError(Exception):
    """The backend could not be read; the run must not act on a partial picture."""


class BackendAccessError(BackendError):
    """Our identity may not read the backend, or cannot reach it: credentials, permission,
    network. Set-up, not a bug: the message says what to set up."""


_CREDENTIALS_HINT = (
    "set up Application Default Credentials (`gcloud auth application-default login`, or "
    "GOOGLE_APPLICATION_CREDENTIALS; in CI the google-github-actions/auth step)"
)


def _access_error(error: Exception, url: str) -> BackendError:
    """Google client errors, by type, as the one line a user can act on."""
    from google.api_core import exceptions as api
    from google.auth import exceptions as auth

    if isinstance(error, auth.DefaultCredentialsError | auth.RefreshError):
        return BackendAccessError(
            f"no usable Google credentials to read {url} ({error}): {_CREDENTIALS_HINT}"
        )
    if isinstance(error, api.Forbidden | api.Unauthorized):
        return BackendAccessError(
            f"permission denied reading {url}: grant this identity "
            "roles/storage.objectViewer (plan, drift) or roles/storage.objectAdmin (apply) "
            "on the state bucket"
        )
    if isinstance(error, api.NotFound):
        return BackendAccessError(f"the state bucket of {url} does not exist: check the URL")
    if isinstance(error, auth.TransportError | api.GoogleAPICallError | ConnectionError):
        return BackendAccessError(f"could not reach {url}: {error}; check the network")
    return BackendError(f"could not read {url}: {type(error).__name__}: {error}")


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
    """The two reads a DIY backend needs: list keys under a prefix, read one key."""

    def list(self, prefix: str) -> Iterator[str]: ...

    def read(self, key: str) -> bytes | None:
        """The object's bytes, or None when it does not exist."""
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

    def modified(self, key: str) -> float | None:
        """When the object was last written."""
        try:
            return (self._root / key).stat().st_mtime
        except OSError:
            return None


class GcsBucket:
    """A `gs://bucket[/prefix]` backend, read with google-cloud-storage (imported on use)."""

    def __init__(self, url: str) -> None:
        try:
            from google.cloud import storage
        except ImportError as error:
            raise BackendError(
                "reading a gs:// backend in bulk needs google-cloud-storage: "
                "pip install google-cloud-storage"
            ) from error
        bucket_name, _, prefix = url[len("gs://") :].partition("/")
        self._url = url
        self._updated: dict[str, float] = {}
        self._prefix = prefix.strip("/")
        try:
            self._bucket = storage.Client().bucket(bucket_name)
        except Exception as error:
            raise _access_error(error, url) from error

    def _key(self, key: str) -> str:
        return f"{self._prefix}/{key}" if self._prefix else key

    def list(self, prefix: str) -> Iterator[str]:
        strip = len(self._prefix) + 1 if self._prefix else 0
        try:
            blobs = list(self._bucket.list_blobs(prefix=self._key(prefix)))
        except Exception as error:
            raise _access_error(error, self._url) from error
        for blob in blobs:
            # The listing carries each object's update time: kept, no extra request.
            updated = getattr(blob, "updated", None)  # google.cloud.storage.Blob.updated
            if updated is not None:
                self._updated[blob.name[strip:]] = updated.timestamp()
            yield blob.name[strip:]

    def modified(self, key: str) -> float | None:
        """When the object was last written, as the last listing said."""
        return self._updated.get(key)

    def read(self, key: str) -> bytes | None:
        from google.api_core.exceptions import NotFound

        try:
            data: bytes = self._bucket.blob(self._key(key)).download_as_bytes()
        except NotFound:
            return None
        except Exception as error:
            raise _access_error(error, self._url) from error
        return data


def open_bucket(backend_url: str) -> Bucket:
    if backend_url.startswith("file://"):
        return FileBucket(Path(backend_url[len("file://") :]))
    if backend_url.startswith("gs://"):
        return GcsBucket(backend_url)
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
    try:
        meta = _read_meta_version(bucket)
        if meta == 0:
            raise BackendError(
                "the backend uses Pulumi's legacy (non-project) layout; "
                "upgrade it with `pulumi state upgrade`"
            )
        stacks_prefix = f".pulumi/stacks/{project}/"
        names: set[str] = set()
        tag_keys: dict[str, str] = {}
        for key in bucket.list(stacks_prefix):
            leaf = key[len(stacks_prefix) :]
            if "/" in leaf:
                continue
            for suffix in _STACK_SUFFIXES:
                if leaf.endswith(suffix):
                    names.add(leaf[: -len(suffix)])
            if leaf.endswith(_TAGS_SUFFIX):
                tag_keys[leaf[: -len(_TAGS_SUFFIX)]] = key
        locks_prefix = f".pulumi/locks/organization/{project}/"
        # As Pulumi does (diy/lock.go, checkForLock), every file in a stack's lock folder
        # is a lock, also a temporary file cut off mid-write by a killed run; file-blob's
        # `.attrs` sidecars are not. A complete `.json` lock names the holder when there is one.
        lock_keys: dict[str, list[str]] = {}
        for key in bucket.list(locks_prefix):
            if not key.endswith(_ATTRS_SUFFIX):
                stack = key[len(locks_prefix) :].split("/", 1)[0]
                lock_keys.setdefault(stack, []).append(key)
        locks: dict[str, HeldLock] = {
            stack: parse_lock(bucket.read(min(keys, key=lambda k: (not k.endswith(".json"), k))))
            for stack, keys in lock_keys.items()
        }
        deployed = {}
        modified = getattr(bucket, "modified", None)
        for name in sorted(names):
            tags = bucket.read(tag_keys[name]) if name in tag_keys else None
            when = modified(tag_keys[name]) if modified and name in tag_keys else None
            deployed[name] = DeployedStack(
                name=name,
                record=parse_record(tags),
                locked=name in locks,
                lock=locks.get(name),
                recorded_at=when,
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
