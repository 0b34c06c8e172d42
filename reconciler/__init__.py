"""tenant-gitops: GitOps for ML-platform tenants on Google Cloud (one manifest, one stack)."""

from __future__ import annotations

DISTRIBUTION = "tenant-gitops"


def version() -> str:
    """This release's version (pyproject.toml's, as installed), or `unknown` from a checkout
    that was never installed. Every report carries it, so a result names what produced it."""
    from importlib import metadata

    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return "unknown"
