"""`reconciler validate --changed-since REF`: the changed manifests deeply, every name across."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from reconciler.manifests.changes import changed_manifests
from tests.repo import MANIFEST_FIXTURES

MINIMAL = (MANIFEST_FIXTURES / "valid" / "minimal.yaml").read_text()
RECONCILER = str(Path(sys.executable).parent / "reconciler")


def _manifest(name: str, display: str) -> str:
    return MINIMAL.replace("name: minimal", f"name: {name}").replace("Minimal", display)


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)


def _repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "tenants").mkdir(parents=True)
    (root / "tenants" / "alpha.yaml").write_text(_manifest("alpha", "Alpha"))
    # Broken before the ref: not this change's doing, so --changed-since does not report it.
    (root / "tenants" / "old.yaml").write_text(_manifest("old", "Old").replace("Tenant", "T"))
    (root / "schema").mkdir()
    (root / "schema" / "tenant.schema.json").write_text("{}\n")
    _git(root, "init", "-q", "-b", "main")
    _git(root, "add", ".")
    _git(root, "-c", "user.name=t", "-c", "user.email=t@e", "commit", "-qm", "base")
    return root


def _validate(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    argv = [RECONCILER, "--root", str(root), "validate", "--no-cache", *args]
    return subprocess.run(argv, cwd=root, capture_output=True, text=True)


def test_changed_files_are_checked_and_cross_file_rules_see_unchanged_names(tmp_path: Path):
    root = _repo(tmp_path)
    (root / "tenants" / "beta.yaml").write_text(_manifest("beta", "Alpha"))  # untracked
    result = _validate(root, "--changed-since", "HEAD")
    assert result.returncode == 1, result.stderr
    assert "tenants/beta.yaml:9:16: spec.displayName: display name 'Alpha'" in result.stdout
    assert "old.yaml" not in result.stdout
    assert "1 of 1 manifest invalid" in result.stdout


def test_nothing_changed_checks_nothing_deeply(tmp_path: Path):
    root = _repo(tmp_path)
    result = _validate(root, "--changed-since", "HEAD")
    assert result.returncode == 0, result.stdout + result.stderr
    assert changed_manifests(root, "HEAD") == []


def test_a_schema_change_checks_every_file(tmp_path: Path):
    root = _repo(tmp_path)
    (root / "schema" / "tenant.schema.json").write_text('{"type": "object"}\n')
    assert changed_manifests(root, "HEAD") is None
    assert "tenants/old.yaml" in _validate(root, "--changed-since", "HEAD").stdout


def test_an_unknown_ref_is_a_usage_error_naming_it(tmp_path: Path):
    root = _repo(tmp_path)
    result = _validate(root, "--changed-since", "no-such-ref")
    assert result.returncode == 2
    assert "cannot compare with git ref 'no-such-ref'" in result.stderr
    assert "Traceback" not in result.stderr


def test_paths_and_changed_since_together_are_a_usage_error(tmp_path: Path):
    root = _repo(tmp_path)
    result = _validate(root, "tenants/alpha.yaml", "--changed-since", "HEAD")
    assert result.returncode == 2
    assert "either PATHs or --changed-since" in result.stderr
