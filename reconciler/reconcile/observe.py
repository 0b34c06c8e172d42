"""Observe: the desired state (validated manifests) and the deployed state (the backend).

Fail closed: when any manifest is invalid or unreadable, observation stops with the
validation result and no plan is made, so a broken file can never read as a removed tenant.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from reconciler.engine.backend.records import PROGRAM_DIGITS
from reconciler.engine.backend.state import (
    BULK_SCHEMES,
    BackendAccessError,
    BackendError,
    DeployedStack,
    open_bucket,
    read_deployed,
)
from reconciler.engine.port import Engine, EngineError, NoAccess
from reconciler.manifests.platform import Platform
from reconciler.manifests.validate import ValidationResult, validate_tree
from reconciler.program.version import program_version
from reconciler.reconcile.fingerprint import fingerprint, protected, shape_key
from reconciler.reconcile.plan import Desired

# Paths whose change affects every tenant (the program, the platform settings, the schema).
_FLEET_WIDE = ("reconciler/program/", "platform.yaml", "schema/", "pyproject.toml", "uv.lock")


class GitError(Exception):
    """`--changed-since` could not be answered from git."""


@dataclass(frozen=True)
class DesiredState:
    """The validated manifest set: valid tenants, or the issues that stop the run."""

    validation: ValidationResult
    desired: tuple[Desired, ...]


def observe_desired(platform: Platform) -> DesiredState:
    validation = validate_tree(platform.root)
    if not validation.ok:
        return DesiredState(validation, ())
    version = program_version()
    desired = tuple(
        Desired(
            tenant=tenant,
            fingerprint=fingerprint(tenant, platform, version),
            protected=protected(tenant, platform),
            shape=shape_key(tenant, platform, version),
            program=version[:PROGRAM_DIGITS],
        )
        for tenant in validation.tenants
    )
    return DesiredState(validation, desired)


def observe_deployed(
    platform: Platform,
    engine: Callable[[], Engine],
    inventory: str | None = None,
    storage_emulator: str | None = None,
) -> dict[str, DeployedStack]:
    """Every stack of the project, with its record and lock.

    `file://` and `gs://` backends are read in bulk, with no CLI process (and no engine
    built); any other backend is listed through `engine()`, one CLI call per stack
    (`inventory="cli"`, from RECONCILER_INVENTORY, forces that). `storage_emulator`: a local
    Cloud Storage's URL for a `gs://` backend (STORAGE_EMULATOR_HOST).
    """
    url = platform.resolved_backend_url()
    if url.startswith(BULK_SCHEMES) and inventory != "cli":
        return read_deployed(open_bucket(url, storage_emulator), platform.pulumi_project)
    try:
        return engine().list_deployed()
    except NoAccess as error:
        raise BackendAccessError(f"could not list the stacks in {url}: {error.message}") from error
    except EngineError as error:
        raise BackendError(f"could not list the stacks in {url}: {error.message}") from error


def changed_tenants(root: Path, ref: str) -> set[str] | None:
    """Tenants whose manifest changed since `ref` (None: a fleet-wide input changed)."""
    try:
        base = subprocess.run(
            ["git", "merge-base", ref, "HEAD"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        # Against the working tree, so uncommitted edits count locally as they will in CI.
        names = subprocess.run(
            ["git", "diff", "--name-only", "--no-renames", base, "--"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.splitlines()
        untracked = subprocess.run(
            ["git", "ls-files", "--others", "--exclude-standard", "--", "tenants"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.splitlines()
    except (OSError, subprocess.CalledProcessError) as error:
        detail = getattr(error, "stderr", "") or str(error)
        raise GitError(f"cannot compare with git ref {ref!r}: {detail.strip()}") from error
    changed: set[str] = set()
    for name in [*names, *untracked]:
        if name.startswith(_FLEET_WIDE):
            return None
        path = Path(name)
        if path.parts[:1] == ("tenants",) and path.suffix == ".yaml":
            changed.add(path.stem)
    return changed
