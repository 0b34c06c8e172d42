"""`reconciler init`: a team's platform.yaml from its answers, and the examples out of the way.

A fresh clone carries the sandbox's platform.yaml (`target: sandbox`, a local backend) and
two example tenants whose owner is at example.com; merged to a team's main, they would
deploy. `init` writes a production platform.yaml (target gcp, the state bucket as backend,
the KMS key as secrets provider, the `setup` section `reconciler platform` reads) and
removes the examples, recognised by their name *and* a reserved example owner, so a real
tenant that happens to be called tenant-one stays.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from reconciler.manifests.setup import DEFAULT_POOL, DEFAULT_PROVIDER

EXAMPLE_TENANTS = ("tenant-one", "tenant-two")
DEFAULT_PULUMI_PROJECT = "mlaas-tenants"
_EXAMPLE_OWNER = re.compile(r"@(?:[^@\s]+\.)?example\.(?:com|net|org)$", re.I)
_PROJECT = re.compile(r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$")


@dataclass(frozen=True)
class Answers:
    """What `init` asks (flags, so it runs unattended)."""

    project: str
    repository: str
    repository_id: int
    location: str = "EU"
    """Bucket location (tenants' default and the state bucket's)."""
    kms_location: str = "global"
    state_bucket: str | None = None
    control_project: str | None = None
    reviewers: tuple[str, ...] = ()
    platform_state: str | None = None
    """Where the platform stack keeps its own state (setup.platformState)."""
    pool: str | None = None
    provider: str | None = None
    """Workload Identity ids; None keeps the defaults (not written out)."""
    reconcile: dict[str, Any] = field(default_factory=dict)
    """An earlier platform.yaml's `reconcile` section, kept as it was."""
    pulumi_project: str = DEFAULT_PULUMI_PROJECT
    """An earlier platform.yaml's `pulumi.project`, kept: every stack is <project>/<tenant>,
    so another name would leave each deployed tenant without its stack."""

    @property
    def bucket(self) -> str:
        return self.state_bucket or f"{self.project}-tenant-state"

    @property
    def key_project(self) -> str:
        return self.control_project or self.project


def refusal(answers: Answers) -> str | None:
    """Why these answers cannot make a platform.yaml (the schema checks the rest after)."""
    for flag, value in (
        ("--project", answers.project),
        ("--control-project", answers.control_project),
    ):
        if value is not None and not _PROJECT.match(value):
            return f"{flag} {value!r} is not a GCP project id (6-30 letters, digits, hyphens)"
    state = answers.platform_state or ""
    if state.startswith("gs://") and state[5:].split("/", 1)[0] == answers.bucket:
        return (
            f"--platform-state {state}: that is the tenant state bucket, which the deploy "
            "account writes (roles/storage.objectUser); it could change what the next "
            "`platform up` does with your rights. Name a bucket only admins can write, e.g. "
            f"gs://{answers.key_project}-platform-state"
        )
    if answers.repository_id < 1:
        return (
            "--repository-id must be the repository's numeric id (gh api repos/OWNER/NAME --jq .id)"
        )
    return None


def platform_yaml(answers: Answers) -> str:
    """The text of platform.yaml, commented like the shipped one."""
    setup: dict[str, Any] = {}
    if answers.control_project:
        setup["controlProject"] = answers.control_project
    if answers.platform_state:
        setup["platformState"] = answers.platform_state
    github: dict[str, Any] = {
        "repository": answers.repository,
        "repositoryId": answers.repository_id,
    }
    if answers.reviewers:
        github["reviewers"] = list(answers.reviewers)
    setup["github"] = github
    identity = {
        key: value
        for key, value, default in (
            ("pool", answers.pool, DEFAULT_POOL),
            ("provider", answers.provider, DEFAULT_PROVIDER),
        )
        if value and value != default
    }
    if identity:
        setup["workloadIdentity"] = identity
    reconcile = {"defaultDeletionProtection": True, "maxDeleteFraction": 0.25, "parallelism": 2}
    reconcile.update(answers.reconcile)
    key = (
        f"gcpkms://projects/{answers.key_project}/locations/{answers.kms_location}"
        "/keyRings/tenant-gitops/cryptoKeys/pulumi-secrets"
    )

    def block(value: Any) -> str:
        return yaml.safe_dump(value, sort_keys=False, default_flow_style=False).rstrip()

    indent = "\n".join("  " + line for line in block(setup).splitlines())
    rules = "\n".join("  " + line for line in block(reconcile).splitlines())
    return f"""\
# yaml-language-server: $schema=schema/platform.schema.json
# Platform settings shared by every tenant stack, written by `reconciler init`.
# `reconciler platform preview|up` creates what they name (docs/platform-setup.md);
# `reconciler doctor` checks it. RECONCILER_* variables override single settings.
apiVersion: mlaas.dev/v1
kind: Platform
target: gcp
gcp:
  project: {answers.project}
  defaultLocation: {answers.location}
pulumi:
  project: {answers.pulumi_project}
  # Tenant state: the versioned bucket the platform stack creates.
  backendUrl: gs://{answers.bucket}
  # Stack secrets: the platform stack's KMS key.
  secretsProvider: {key}
reconcile:
{rules}
# What the platform set-up needs beyond the settings above.
setup:
{indent}
"""


def example_tenants(root: Path) -> list[Path]:
    """The shipped examples still in tenants/: their name, and an example.com owner."""
    found = []
    for name in EXAMPLE_TENANTS:
        path = root / "tenants" / f"{name}.yaml"
        try:
            document = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError):
            continue
        owner = str(((document or {}).get("metadata") or {}).get("owner", ""))
        if _EXAMPLE_OWNER.search(owner):
            found.append(path)
    return found
