"""A tenant stack's fingerprint: what was applied, so an unchanged tenant needs no engine run.

It covers the manifest (its canonical digest), the program (its source and the pulumi-gcp
version) and the platform settings the program reads. Any change to one of them changes the
fingerprint, and so marks the tenant for an update.
"""

from __future__ import annotations

import hashlib

from reconciler.manifests.model import Tenant
from reconciler.manifests.platform import Platform
from reconciler.program.context import deletion_protected as protected
from reconciler.program.version import program_version

__all__ = ["fingerprint", "protected", "shape_key"]


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


def shape_key(tenant: Tenant, platform: Platform, program: str | None = None) -> str:
    """Everything that could make the engine replace or delete a stateful resource.

    The identity tenant and the data bucket hold what cannot be recreated (users, data).
    The engine replaces them only when their logical names change (program code) or a
    replace-forcing input changes: the project (both), the bucket's location. Those are
    all here, with the pulumi-gcp version (inside the program version), which decides
    what forces a replacement. While this key is unchanged, apply may skip the safety
    preview; when it changes, apply previews first and blocks a replacement.
    """
    version = program if program is not None else program_version()
    location = (tenant.storage.location or platform.default_location).upper()
    text = "\n".join((version, platform.gcp_project, location))
    return hashlib.sha256(text.encode()).hexdigest()[:32]
