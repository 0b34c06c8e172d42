"""`reconciler new`: the starting manifest offers the sign-in security settings."""

from __future__ import annotations

import shutil
from pathlib import Path

from reconciler.manifests.model import Mfa
from reconciler.manifests.validate import validate_tree
from reconciler.scaffold import write_manifest
from tests.repo import REPO


def _repo(tmp_path: Path) -> Path:
    shutil.copytree(REPO / "schema", tmp_path / "schema")
    shutil.copy(REPO / "platform.yaml", tmp_path / "platform.yaml")
    return tmp_path


def test_new_offers_mfa_switched_off(tmp_path: Path):
    root = _repo(tmp_path)
    path = write_manifest(root, "acme-labs", "owner@example.com")
    assert "    mfa:\n      state: DISABLED\n      factors: []\n" in path.read_text()
    result = validate_tree(root)
    assert result.ok, result.issues
    assert result.tenants[0].auth.mfa == Mfa()


def test_switching_mfa_on_in_a_new_manifest_takes_one_edit(tmp_path: Path):
    root = _repo(tmp_path)
    path = write_manifest(root, "acme-labs", "owner@example.com")
    text = path.read_text().replace(
        "      state: DISABLED\n      factors: []\n",
        "      state: ENABLED\n      factors: [PHONE_SMS]\n",
    )
    path.write_text(text)
    result = validate_tree(root)
    assert result.ok, result.issues
    assert result.tenants[0].auth.mfa == Mfa(state="ENABLED", factors=("PHONE_SMS",))
