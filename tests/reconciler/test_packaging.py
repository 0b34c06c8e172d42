"""The built wheel, installed without Pulumi into a fresh virtual environment, as the
pre-commit hook installs it: `validate`, `new` and `schema` work there (the schema ships
inside the wheel), and the engine commands name the `deploy` extra instead of a traceback.

Offline, with the uv that scripts/bootstrap installs: the wheel is built from a copy of the
sources, the core dependencies are installed at their uv.lock versions from uv's local cache
(which bootstrap filled; `uv pip install --offline` cannot resolve names without the index,
`uv sync --frozen` can), then the wheel itself.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.repo import REPO, tool_cache

UV_VERSION = "0.13.9"
SOURCES = ("pyproject.toml", "uv.lock", "README.md", "reconciler", "schema")


def _uv() -> str:
    pinned = tool_cache() / f"uv-{UV_VERSION}" / "bin" / "uv"
    found = str(pinned) if pinned.exists() else shutil.which("uv")
    assert found, "uv is missing: run scripts/bootstrap (it installs the pinned uv)"
    return found


def _run(
    *argv: str | Path, cwd: Path | None = None, **extra_env: str
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "PYTHONPATH"))}
    env.update(extra_env)
    return subprocess.run(
        [str(a) for a in argv], cwd=cwd, capture_output=True, text=True, check=False, env=env
    )


@pytest.fixture(scope="module")
def core_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtual environment holding the wheel and its core dependencies only."""
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"  # a copy: the build writes build/ and *.egg-info next to it
    source.mkdir()
    for name in SOURCES:
        if (REPO / name).is_dir():
            skip = shutil.ignore_patterns("__pycache__")
            shutil.copytree(REPO / name, source / name, ignore=skip)
        else:
            shutil.copy(REPO / name, source / name)
    uv = _uv()
    built = _run(uv, "build", "--wheel", "--offline", "--out-dir", work / "dist", source)
    assert built.returncode == 0, built.stderr
    (wheel,) = (work / "dist").glob("tenant_gitops-*.whl")
    venv = work / "venv"
    # The core dependencies only: no extra, no dev group, not the project (the wheel is).
    core = _run(
        *(uv, "sync", "--frozen", "--offline", "--no-dev", "--no-install-project"),
        *("--python", sys.executable),
        cwd=source,
        UV_PROJECT_ENVIRONMENT=str(venv),
    )
    assert core.returncode == 0, core.stderr
    python = venv / "bin" / "python"
    installed = _run(uv, "pip", "install", "--offline", "--no-deps", "--python", python, wheel)
    assert installed.returncode == 0, installed.stderr
    return venv


@pytest.fixture
def repo_copy(tmp_path: Path) -> Path:
    """Manifests and settings only: no schema/ next to them, so the wheel's own is used."""
    shutil.copytree(REPO / "tenants", tmp_path / "tenants")
    shutil.copy(REPO / "platform.yaml", tmp_path / "platform.yaml")
    return tmp_path


def test_the_core_install_holds_no_pulumi(core_venv: Path) -> None:
    probe = _run(core_venv / "bin" / "python", "-c", "import pulumi")
    assert probe.returncode != 0 and "No module named 'pulumi'" in probe.stderr


def test_validate_runs_from_the_wheel_as_the_pre_commit_hook_does(
    core_venv: Path, repo_copy: Path
) -> None:
    reconciler = core_venv / "bin" / "reconciler"
    ok = _run(reconciler, "validate", "tenants/tenant-one.yaml", cwd=repo_copy)
    assert (ok.returncode, ok.stdout) == (0, "1 manifest valid\n"), ok.stderr
    broken = repo_copy / "tenants" / "tenant-one.yaml"
    broken.write_text(broken.read_text().replace("kind: Tenant", "kind: X"))
    bad = _run(reconciler, "validate", "tenants/tenant-one.yaml", cwd=repo_copy)
    assert bad.returncode == 1
    assert bad.stdout.startswith("tenants/tenant-one.yaml:3:")


def test_new_and_schema_run_from_the_wheel(core_venv: Path, repo_copy: Path) -> None:
    reconciler = core_venv / "bin" / "reconciler"
    made = _run(reconciler, "new", "acme-labs", "--owner", "ml@acme.io", cwd=repo_copy)
    assert made.returncode == 0, made.stderr
    assert _run(reconciler, "validate", cwd=repo_copy).returncode == 0
    schema = _run(reconciler, "schema", cwd=repo_copy)
    assert schema.returncode == 0 and '"$schema"' in schema.stdout


def test_engine_commands_name_the_deploy_extra(core_venv: Path, repo_copy: Path) -> None:
    reconciler = core_venv / "bin" / "reconciler"
    plan = _run(reconciler, "plan", cwd=repo_copy)
    assert plan.returncode == 2
    assert "pip install 'tenant-gitops[deploy]'" in plan.stderr
    assert "Traceback" not in plan.stderr
    version = _run(reconciler, "--version")
    assert "pulumi 3.260.0 (pinned; not installed: pip install 'tenant-gitops[deploy]')" in (
        version.stdout
    )
