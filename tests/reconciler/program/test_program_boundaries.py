"""Import boundaries the program promises to the rest of the reconciler."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest
from program_harness import ROOT

PACKAGE = ROOT / "reconciler"
PROGRAM = PACKAGE / "program"
LIGHT_MODULES = ["names", "program.version", "program.context", "program.secrets"]
"""Used on paths that never start an engine: importing them must not load Pulumi."""


def imported_modules(path: Path) -> set[str]:
    """Every module a source file imports, as dotted names (`from a import b` gives a.b)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


@pytest.mark.parametrize("path", sorted(PROGRAM.rglob("*.py")), ids=lambda p: p.name)
def test_program_never_imports_the_automation_api(path: Path):
    assert not any(
        name == "pulumi.automation" or name.startswith("pulumi.automation.")
        for name in imported_modules(path)
    )


def test_only_the_program_imports_pulumi_gcp():
    importers = {
        path.relative_to(ROOT).as_posix()
        for path in PACKAGE.rglob("*.py")
        if any(name.split(".")[0] == "pulumi_gcp" for name in imported_modules(path))
    }
    assert importers, "the program itself imports pulumi_gcp"
    # ...and the platform stack's program (reconciler platform), run apart from every tenant's.
    allowed = ("reconciler/program/", "reconciler/platform_setup/program.py")
    assert all(path.startswith(allowed) for path in importers), importers


@pytest.mark.parametrize("module", LIGHT_MODULES)
def test_light_modules_load_no_pulumi(module: str):
    code = (
        "import sys\n"
        f"import reconciler.{module}\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('pulumi', 'pulumi_gcp'))\n"
        "assert not loaded, loaded\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)
