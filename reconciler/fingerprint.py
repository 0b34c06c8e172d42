"""A tenant stack's fingerprint: what was applied, so an unchanged tenant needs no engine run.

It covers the manifest (its canonical digest), the program (its source and the pulumi-gcp
version) and the platform settings the program reads. Any change to one of them changes the
fingerprint, and so marks the tenant for an update.
"""

from __future__ import annotations

import hashlib

from reconciler.manifests.model import Tenant
from reconciler.platform import Platform
from reconciler.program.version import program_version


def fingerprint(tenant: Tenant, platform: Platform, program: str | None = None) -> str:
    """SHA-256 over the manifest digest, the program version and the platform inputs."""
    parts = (
        "v1",
        tenant.digest,
        program if program is not None else program_version(),
        platform.gcp_project,
        platform.default_location,
        str(platform.default_deletion_protection),
    )
    return hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()


def protected(tenant: Tenant, platform: Platform) -> bool:
    """Whether deletion protection is in force for the tenant (manifest, else platform)."""
    if tenant.decommission:
        return False
    if tenant.deletion_protection is None:
        return platform.default_deletion_protection
    return tenant.deletion_protection
