"""Paths every test folder shares (imported as `tests.repo`: the root is on sys.path)."""

from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
"""The repository's root: platform.yaml, tenants/, schema/, .github/."""

FIXTURES = REPO / "tests" / "fixtures"
MANIFEST_FIXTURES = FIXTURES / "manifests"
