"""A synthetic fleet: a throw-away repository root with N generated tenant manifests.

The root has the checkout's `platform.yaml` and `schema/`, and `tenants/bench-NNNNN.yaml`
files that all pass validation (unique names and display names, one IdP each, whose client
secret comes from one shared variable). Its state backend is the root's own `.state/`
(platform.yaml's `file://.state`), so nothing is ever written to the checkout's state.

`clone_stacks` makes N deployed stacks out of a few real ones: creating a thousand stacks
through the engine would take an hour, and the planner and the CLI only read the files.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.machine import REPO

SECRET_VARIABLE = "BENCH_CLIENT_SECRET"
"""The one value every bench tenant's own variable is set to (`Fleet.secret_environment`)."""
"""Every generated tenant reads its IdP client secret from this variable."""
PULUMI_PROJECT = "mlaas-tenants"
"""The checkout's platform.yaml puts every stack in this Pulumi project."""


@dataclass(frozen=True)
class Fleet:
    """A generated repository root and the tenants in its manifests."""

    root: Path
    names: tuple[str, ...]

    @property
    def backend(self) -> Path:
        """The root's file backend (platform.yaml: `file://.state`)."""
        return self.root / ".state"

    @property
    def stacks_dir(self) -> Path:
        return self.backend / ".pulumi" / "stacks" / PULUMI_PROJECT

    def manifest(self, name: str) -> Path:
        return self.root / "tenants" / f"{name}.yaml"

    def secret_environment(self, value: str) -> dict[str, str]:
        """Every tenant's own client-secret variable, all set to `value`."""
        return {secret_variable(name): value for name in self.names}


def secret_variable(name: str) -> str:
    """A tenant's client-secret variable: a tenant may only name its own secrets
    (docs/security.md), so every bench tenant has one: `BENCH_00001_GOOGLE_CLIENT_SECRET`."""
    return name.upper().replace("-", "_") + "_GOOGLE_CLIENT_SECRET"


def tenant_name(index: int) -> str:
    return f"bench-{index:05d}"


def manifest_text(index: int, revision: int = 0) -> str:
    """A valid manifest; a different `revision` changes only a label (a manifest-only edit)."""
    name = tenant_name(index)
    location = ("EU", "US")[index % 2]
    return f"""\
# yaml-language-server: $schema=../schema/tenant.schema.json
apiVersion: mlaas.dev/v1
kind: Tenant
metadata:
  name: {name}
  owner: ml-platform@example.com
  labels:
    tier: standard
    cost-center: research
    revision: r{revision}
spec:
  displayName: Bench-{index:05d}
  auth:
    allowPasswordSignup: {"true" if index % 3 else "false"}
  identityProviders:
    - id: google.com
      clientId: {100000000000 + index}-{name}.apps.googleusercontent.com
      clientSecret:
        fromEnv: {secret_variable(name)}
  storage:
    location: {location}
    retentionDays: 30
  access:
    admins:
      - user:admin@{name}.example.com
    members:
      - group:data-scientists@{name}.example.com
"""


def write_root(folder: Path, count: int) -> Fleet:
    """A repository root under `folder` with `count` manifests (the folder must not exist)."""
    root = folder
    (root / "tenants").mkdir(parents=True)
    shutil.copy(REPO / "platform.yaml", root / "platform.yaml")
    shutil.copytree(REPO / "schema", root / "schema")
    fleet = Fleet(root=root, names=tuple(tenant_name(i) for i in range(count)))
    write_manifests(fleet, range(count), revision=0)
    return fleet


def write_manifests(fleet: Fleet, indices: Iterable[int], revision: int) -> None:
    for index in indices:
        fleet.manifest(tenant_name(index)).write_text(manifest_text(index, revision))


def records(fleet: Fleet) -> dict[str, str]:
    """Each tenant's reconciler record as the planner would expect it after a clean apply.

    Computed with the reconciler's own validation and fingerprint functions on the
    generated manifests, so a cloned stack reads as up to date.
    """
    from reconciler.engine.backend.records import StackRecord
    from reconciler.manifests.platform import load_platform
    from reconciler.manifests.validate import validate_tree
    from reconciler.program.version import program_version
    from reconciler.reconcile.fingerprint import fingerprint, protected, shape_key

    platform = load_platform(fleet.root, {})
    validation = validate_tree(fleet.root)
    if not validation.ok:
        raise SystemExit(f"generated manifests are invalid: {validation.issues[:3]}")
    version = program_version()
    return {
        tenant.name: StackRecord(
            fingerprint=fingerprint(tenant, platform, version),
            result="succeeded",
            protected=protected(tenant, platform),
            shape=shape_key(tenant, platform, version),
        ).encode()
        for tenant in validation.tenants
    }


def clone_stacks(fleet: Fleet, seeds: Sequence[str], targets: Sequence[str]) -> None:
    """Copy the seeds' checkpoints under the targets' names, with matching records.

    Inside a checkpoint the stack name appears in the stack reference, in every URN and
    in the resources' names and properties; it is replaced throughout (the names have the
    same length), so the CLI reads each clone as a stack of its own. The clones share the
    seeds' cloud resource ids: fine for reading state, not for running the engine on them.
    """
    wanted = records(fleet)
    texts = {seed: (fleet.stacks_dir / f"{seed}.json").read_text() for seed in seeds}
    for position, target in enumerate(targets):
        seed = seeds[position % len(seeds)]
        text = texts[seed].replace(seed, target).replace(_display(seed), _display(target))
        # The `fingerprint` output too, so a per-stack reader sees the clone as up to date.
        text = text.replace(_fingerprint(wanted[seed]), _fingerprint(wanted[target]))
        (fleet.stacks_dir / f"{target}.json").write_text(text)
        tags = {"version": 1, "tags": {"tenant-gitops": wanted[target]}}
        (fleet.stacks_dir / f"{target}.pulumi-tags").write_text(json.dumps(tags))


def _fingerprint(record: str) -> str:
    from reconciler.engine.backend.records import decode_record

    return str(decode_record(record).fingerprint)


def _display(name: str) -> str:
    return name.capitalize()
