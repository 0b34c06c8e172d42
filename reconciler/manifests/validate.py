"""The validation gate: every manifest under tenants/, checked and reported in one pass.

Stages, each collecting issues and none stopping the others:

1. layout: what tenants/ holds (`tree.py`);
2. per file: safe YAML loading (`loader.py`), the JSON Schema (`schema.py`), the rules
   within one manifest (`rules.py`); large sets are spread over processes;
3. across files: unique names and display names (`rules.py`), always over the whole
   tenants/ set, even when only some files were asked for;
4. the typed `Tenant`s (`model.py`) of the requested files that have no issue.

With a `CheckCache` (`cache.py`, what `reconciler validate` uses), stage 2 is skipped for
every file whose bytes, path, schema and validator are those of a cached result; the
cross-file rules still see every name.

This module must stay light: `reconciler validate` never imports Pulumi.
"""

from __future__ import annotations

import gc
import os
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass, replace
from multiprocessing import get_all_start_methods, get_context
from pathlib import Path

from reconciler.manifests import rules
from reconciler.manifests.cache import CheckCache, digest
from reconciler.manifests.issues import Issue, sort_key
from reconciler.manifests.loader import MAX_FILE_BYTES, LoadedYaml, load_yaml_bytes, load_yaml_file
from reconciler.manifests.model import Tenant, tenant_from_document
from reconciler.manifests.schema import checker
from reconciler.manifests.secret_owner import SecretClaim, secret_claims, secret_owner_issues
from reconciler.manifests.tree import MANIFEST_SUFFIX, TENANTS_DIR, Entry, scan_tenants

PARALLEL_FROM = 1500
"""Below this many files, starting worker processes costs more than it saves."""


@dataclass(frozen=True)
class ValidationResult:
    """Everything one validation run found."""

    issues: tuple[Issue, ...]
    """Every problem in the requested files, ordered by file and position (warnings too)."""
    tenants: tuple[Tenant, ...]
    """The tenants of the requested manifests that have no error, ordered by file."""
    files: tuple[Path, ...]
    """The files that were checked (requested manifests and stray entries of tenants/)."""

    @property
    def ok(self) -> bool:
        """True when there is no error (warnings do not fail a run)."""
        return not any(issue.is_error for issue in self.issues)

    @property
    def errors(self) -> tuple[Issue, ...]:
        """The issues that fail the run."""
        return tuple(issue for issue in self.issues if issue.is_error)

    @property
    def warnings(self) -> tuple[Issue, ...]:
        """The issues reported without failing the run (a certificate expiring soon)."""
        return tuple(issue for issue in self.issues if not issue.is_error)


@dataclass(frozen=True)
class FileCheck:
    """The outcome of checking one manifest file (small and picklable, for worker processes)."""

    issues: tuple[Issue, ...]
    """Issues of the file itself (loading, schema, per-manifest rules)."""
    facts: rules.ManifestFacts
    """What the cross-file rules need."""
    tenant: Tenant | None
    """The typed tenant, when the file has no issue of its own."""


@dataclass(frozen=True)
class _Job:
    path: Path
    display: str
    full: bool
    """False: load only, for the cross-file rules (a tenants/ file that was not requested)."""
    data: bytes | None = None
    """The file's bytes when already read (and hashed): checked as they are, never re-read."""


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Keep the cyclic garbage collector off the documents of a run.

    Every manifest leaves a few hundred live objects, and each collection walks them all:
    with the collector on, reading 10,000 manifests costs more than twice the CPU. The
    collector is paused during the run (forked workers inherit the pause), and what the
    run allocated is then frozen (`gc.freeze`) so later collections skip it instead of
    walking it once more. Frozen objects are still freed as usual when no longer used;
    only reference cycles among them would outlive their use, and documents have none.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if was_enabled:
            gc.enable()


def validate_tree(
    root: Path, paths: Sequence[Path] | None = None, cache: CheckCache | None = None
) -> ValidationResult:
    """Validate the manifests under `root/tenants/`, or only `paths` (with tenants/ as context).

    `paths` may name files in tenants/ (their issues are reported, and the cross-file rules
    still see every manifest in tenants/), the tenants/ directory itself (same as None), or
    manifests elsewhere, which get the per-file checks only.

    With a `cache`, unchanged files are not checked again, and `tenants` holds only the
    files checked in this run (a cache keeps issues, not typed tenants): for reporting.
    """
    with _collector_paused():
        return _validate_tree(root, paths, cache)


def _validate_tree(
    root: Path, paths: Sequence[Path] | None, cache: CheckCache | None
) -> ValidationResult:
    entries, issues = scan_tenants(root)
    selected, outside, selection_issues = _select(root, entries, paths)
    issues += selection_issues
    jobs = [
        _Job(entry.path, entry.display, entry.display in selected)
        for entry in entries
        if entry.manifest
    ]
    jobs += [_Job(path, display, True) for path, display in outside]
    results = _run(jobs) if cache is None else _run_cached(jobs, cache)
    checks = dict(zip((job.display for job in jobs), results, strict=True))

    for entry in entries:
        if entry.issue is not None:
            issues.append(entry.issue)
    for check in checks.values():
        issues.extend(check.issues)
    in_tenants = [checks[e.display].facts for e in entries if e.manifest]
    manifest_paths = {entry.display: entry.path for entry in entries if entry.manifest}
    issues += rules.fleet_rules(in_tenants, lambda file: _claims(manifest_paths[file], file))

    wanted = set(selected) | {display for _, display in outside} | {TENANTS_DIR}
    wanted |= {issue.file for issue in selection_issues}
    issues = sorted({i for i in issues if i.file in wanted}, key=sort_key)
    bad_files = {issue.file for issue in issues if issue.is_error}
    requested = [(e.path, e.display) for e in entries if e.display in selected] + outside
    tenants = tuple(
        tenant
        for _, display in requested
        if display in checks
        and display not in bad_files
        and (tenant := checks[display].tenant) is not None
    )
    return ValidationResult(tuple(issues), tenants, tuple(path for path, _ in requested))


def check_manifest(path: Path, display: str, *, full: bool = True) -> FileCheck:
    """Load one manifest and (when `full`) run the schema and the per-manifest rules."""
    return _check_loaded(load_yaml_file(path, display), path, full)


def _check_loaded(loaded: LoadedYaml, path: Path, full: bool) -> FileCheck:
    issues = list(loaded.issues)
    facts = rules.facts_of(loaded)
    if full and isinstance(loaded.document, dict):
        refused = {issue.path for issue in issues}
        semantic, leaks = rules.semantic_issues(loaded)
        # A secret is reported by its path only: any other issue about it would quote it.
        secret = {leak.path for leak in leaks}
        issues = [i for i in issues if not _under(i.path, secret)]
        issues += [leak.issue for leak in leaks]
        # A value the loader refused (a tag, a duplicate) would only add schema noise, and
        # a specific semantic issue says more than the schema's generic one at its path.
        refused |= secret | {issue.path for issue in semantic}
        issues += [i for i in checker("tenant").check(loaded) if not _under(i.path, refused)]
        issues += [i for i in semantic if not _under(i.path, secret)]
        stem = (
            path.name.removesuffix(MANIFEST_SUFFIX) if path.suffix == MANIFEST_SUFFIX else path.stem
        )
        issues += [
            i for i in rules.manifest_rules(loaded, facts, stem) if not _under(i.path, secret)
        ]
        # Ownership of secret references, for the values nothing above refused.
        reported = refused | {issue.path for issue in issues}
        issues += [i for i in secret_owner_issues(loaded) if not _under(i.path, reported)]
    tenant = None
    if full and not any(issue.is_error for issue in issues):
        tenant = tenant_from_document(loaded.document, path)
    return FileCheck(tuple(issues), facts, tenant)


def _under(path: str, prefixes: set[str]) -> bool:
    return any(path == p or path.startswith((p + ".", p + "[")) for p in prefixes)


def _select(
    root: Path, entries: list[Entry], paths: Sequence[Path] | None
) -> tuple[set[str], list[tuple[Path, str]], list[Issue]]:
    """Which tenants/ entries were asked for, which files outside it, and bad arguments."""
    everything = {entry.display for entry in entries}
    if paths is None:
        return everything, [], []
    tenants_real = os.path.realpath(root / TENANTS_DIR)
    by_name = {entry.path.name: entry.display for entry in entries}
    selected: set[str] = set()
    outside: list[tuple[Path, str]] = []
    issues: list[Issue] = []
    for path in paths:
        display = _display(root, path)
        parent_real = os.path.realpath(path.parent)
        if os.path.realpath(path) == tenants_real:
            selected |= everything
        elif parent_real == tenants_real and path.name in by_name:
            selected.add(by_name[path.name])
        elif parent_real == tenants_real or not path.exists():
            issues.append(Issue(display, 1, 1, "$", "no such file"))
        elif tenants_real in (os.path.realpath(p) for p in path.parents):
            issues.append(
                Issue(
                    display,
                    1,
                    1,
                    "$",
                    f"not directly in {TENANTS_DIR}/",
                    f"{TENANTS_DIR}/ is flat: move it to {TENANTS_DIR}/<name>.yaml",
                )
            )
        elif path.is_dir():
            issues.append(
                Issue(
                    display,
                    1,
                    1,
                    "$",
                    "is a directory, not a manifest",
                    f"to validate the repository in {path.as_posix()}, run "
                    f"`reconciler --root {path.as_posix()} validate`",
                )
            )
        else:
            outside.append((path, display))
    return selected, outside, issues


def _display(root: Path, path: Path) -> str:
    """`path` relative to the root when it is inside it, POSIX style; else as given."""
    try:
        return Path(os.path.abspath(path)).relative_to(os.path.abspath(root)).as_posix()
    except ValueError:
        return path.as_posix()


def _run(jobs: list[_Job]) -> list[FileCheck]:
    """Check every job, in worker processes when there are many and cores to spare."""
    if len(jobs) < PARALLEL_FROM or _usable_cores() < 2 or not _safe_to_fork():
        return [_check(job) for job in jobs]
    checker("tenant")  # compiled once here, inherited by the forked workers
    workers = min(_usable_cores(), 8)
    chunk = max(64, len(jobs) // (workers * 4))
    try:
        with ProcessPoolExecutor(workers, mp_context=get_context("fork")) as pool:
            return list(pool.map(_check, jobs, chunksize=chunk))
    except (BrokenProcessPool, OSError):
        # A worker died (out of memory, killed): the answer must not depend on it.
        return [_check(job) for job in jobs]


def _usable_cores() -> int:
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _safe_to_fork() -> bool:
    """Fork only a single-threaded process: a forked thread's lock (gRPC, logging) can hang."""
    return "fork" in get_all_start_methods() and threading.active_count() == 1


def _check(job: _Job) -> FileCheck:
    if job.data is not None:
        return _check_loaded(load_yaml_bytes(job.data, job.display), job.path, job.full)
    return check_manifest(job.path, job.display, full=job.full)


def _claims(path: Path, display: str) -> tuple[SecretClaim, ...]:
    """The secret claims of one manifest, read again (asked for a few files per run)."""
    return secret_claims(load_yaml_file(path, display))


def read_manifest(path: Path) -> bytes | None:
    """A manifest's bytes, or None when it cannot be read or is too large (the uncached
    check then reports why)."""
    # Plain descriptors: for ten thousand small files, file objects cost more than the read.
    try:
        handle = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        chunks, size = [], 0
        while size <= MAX_FILE_BYTES:
            chunk = os.read(handle, MAX_FILE_BYTES + 1 - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError:
        return None
    finally:
        os.close(handle)
    return b"".join(chunks) if size <= MAX_FILE_BYTES else None


def _run_cached(jobs: list[_Job], cache: CheckCache) -> list[FileCheck]:
    """Every job's check, from `cache` when its bytes are those of a cached result.

    Each file is read once: the bytes that were hashed are the bytes that are checked, so
    a file edited during the run cannot leave a result under another content's digest."""
    results: list[FileCheck | None] = []
    misses: list[tuple[int, _Job, str | None]] = []
    for index, job in enumerate(jobs):
        data = read_manifest(job.path)
        sha = digest(data) if data is not None else None
        hit = cache.get(job.display, sha) if sha is not None else None
        if hit is not None:
            results.append(FileCheck(hit[0], hit[1], None))
            continue
        results.append(None)
        misses.append((index, replace(job, data=data), sha))
    for (index, job, sha), check in zip(misses, _run([m[1] for m in misses]), strict=True):
        results[index] = check
        if sha is not None and job.full:  # an unreadable file (no digest) is never kept
            cache.put(job.display, sha, check.issues, check.facts)
    cache.keep_only(job.display for job in jobs)
    cache.save()
    return [check for check in results if check is not None]
