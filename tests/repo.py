"""Paths every test folder shares (imported as `tests.repo`: the root is on sys.path)."""

import os
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
"""The repository's root: platform.yaml, tenants/, schema/, .github/."""

FIXTURES = REPO / "tests" / "fixtures"
MANIFEST_FIXTURES = FIXTURES / "manifests"


def tool_cache() -> Path:
    """Where scripts/bootstrap keeps its tools (uv, Pulumi, act, ...), as it computes it:
    TENANT_GITOPS_CACHE, else $XDG_CACHE_HOME/tenant-gitops, else ~/.cache/tenant-gitops
    (an empty variable counts as unset, as in the shell's `${VAR:-default}`)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(os.environ.get("TENANT_GITOPS_CACHE") or Path(base) / "tenant-gitops")
