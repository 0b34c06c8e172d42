"""The preview docs/adopting.md shows for a new tenant is what the program does for the
manifest `reconciler new acme --owner ml-lead@acme.io --google-client-id ...` writes (the
sample once said 7 creates where a new tenant has 8: it left out the MFA settings)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import yaml
from program_harness import Harness, execute

from reconciler.cli.scaffold import NewTenant, write_manifest
from reconciler.manifests.model import tenant_from_document
from reconciler.program.tenant import tenant_program
from tests.repo import REPO

STEP = re.compile(r"^\s*> - `create` (\S+) `([^`]+)`$", re.M)


def test_the_sample_preview_lists_what_a_new_tenant_gets(harness: Harness, tmp_path: Path):
    shutil.copytree(REPO / "schema", tmp_path / "schema")
    new = NewTenant("acme", "ml-lead@acme.io", "1234-acme.apps.googleusercontent.com")
    path = tmp_path / write_manifest(tmp_path, new)
    tenant = tenant_from_document(yaml.safe_load(path.read_text()), path)
    run = execute(tenant_program(tenant, harness.platform, "fp", harness.secrets(tenant)), "acme")
    text = (REPO / "docs" / "adopting.md").read_text(encoding="utf-8")
    sample = STEP.findall(text)
    assert sorted(sample) == sorted((r.type, r.name) for r in run.registrations)
    count = len(run.registrations)
    assert f"| `acme` | create | 🔵 planned | {count} create |" in text
    assert f"<code>acme</code>: {count} step(s)" in text
