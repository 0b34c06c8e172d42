"""The capture (the program of a checkout under Pulumi's mocks) and the runner (base and
head in a git repository), on this repository's own program and example tenants."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from reconciler.impact import capture, graph
from reconciler.impact.diff import CHANGED, UPDATE
from reconciler.impact.runner import ImpactRequest, compute_impact, run_capture
from reconciler.impact.summary import fleet_line, render_full
from tests.repo import REPO

COPIED = ("reconciler", "schema", "platform.yaml", "tenants", "pyproject.toml")


def git(root: Path, *args: str) -> str:
    identity = ["-c", "user.name=t", "-c", "user.email=t@example.com"]
    return subprocess.run(
        ["git", *identity, *args], cwd=root, check=True, capture_output=True, text=True
    ).stdout


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A git repository whose one commit holds this checkout's code and tenants."""
    root = tmp_path_factory.mktemp("impact") / "repo"
    root.mkdir()
    for name in COPIED:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, root / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, root / name)
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "base")
    return root


@pytest.fixture
def repo(template: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "repo"
    shutil.copytree(template, copy, symlinks=True)
    return copy


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_the_capture_script_repeats_the_graph_formats_constants():
    ours = (capture.GRAPH_SCHEMA, capture.SECRET, capture.UNKNOWN, capture.OPTIONS)
    assert ours == (graph.GRAPH_SCHEMA, graph.SECRET, graph.UNKNOWN, graph.OPTIONS)


def test_every_example_tenant_is_captured_with_secrets_as_digests_only(tmp_path: Path):
    found = run_capture(sys.executable, REPO, tmp_path / "graphs.json")
    assert found.error is None
    assert sorted(found.tenants) == ["tenant-one", "tenant-two"]
    one = found.tenants["tenant-one"]
    assert one.error is None and len(one.resources) == 9
    idp = one.resources[
        "gcp:identityplatform/tenantDefaultSupportedIdpConfig:"
        "TenantDefaultSupportedIdpConfig::tenant-one-idp-google.com"
    ]
    assert graph.is_secret(idp.inputs["clientSecret"])
    text = (tmp_path / "graphs.json").read_text()
    assert "placeholder" not in text  # placeholders are hashed, never written


def test_a_base_without_a_program_is_said_so(tmp_path: Path):
    (tmp_path / "platform.yaml").write_text("")
    found = run_capture(sys.executable, tmp_path, tmp_path / "graphs.json")
    assert found.error is not None and "no tenant program" in found.error


def test_no_code_change_computes_nothing(repo: Path):
    edit(repo / "tenants" / "tenant-one.yaml", "tier: standard", "tier: premium")
    impact = compute_impact(ImpactRequest(repo, "main"))
    assert impact.code_changed is False and impact.tenants == ()


def test_a_label_change_in_the_program_updates_every_bucket_and_replaces_nothing(repo: Path):
    edit(repo / "reconciler/program/context.py", '"tenant-gitops"\n', '"tenant-gitops-v2"\n')
    # The same pull request renames a secret's variable: a changed secret, no value shown.
    edit(
        repo / "tenants/tenant-one.yaml",
        "TENANT_ONE_GOOGLE_CLIENT_SECRET",
        "TENANT_ONE_GOOGLE_CLIENT_SECRET_V2",
    )
    impact = compute_impact(ImpactRequest(repo, "main", parallel=False))

    assert (
        fleet_line(impact)
        == "updates 2 of 2 tenants: bucket labels, sign-in provider clientSecret; replaces nothing"
    )
    one = {t.tenant: t for t in impact.tenants}["tenant-one"]
    assert one.state == CHANGED
    assert {(c.op, c.type.split(":")[-1], c.fields) for c in one.changes} == {
        (UPDATE, "Bucket", ("labels",)),
        (UPDATE, "TenantDefaultSupportedIdpConfig", ("clientSecret",)),
    }
    full = render_full(impact)
    assert "changed (secret)" in full and "TENANT_ONE" not in full
    assert "tenant-gitops-v2" in full


def test_a_display_name_change_keeps_the_providers_of_the_identity_tenant(repo: Path):
    """The mocks' server-assigned tenant id does not follow the display name, as GCP's does
    not: the IdP configs bound to it are not replaced."""
    edit(
        repo / "reconciler/program/identity.py",
        "display_name=ctx.tenant.display_name,",
        "display_name=ctx.tenant.display_name.upper(),",
    )
    impact = compute_impact(ImpactRequest(repo, "main"))
    ops = {(c.op, c.type.split(":")[-1]) for t in impact.tenants for c in t.changes}
    assert ops == {(UPDATE, "Tenant")}


def test_the_cli_writes_the_document_and_renders_it_from_the_file(repo: Path, tmp_path: Path):
    edit(repo / "reconciler/program/context.py", '"tenant-gitops"\n', '"tenant-gitops-v2"\n')
    reconciler = str(Path(sys.executable).parent / "reconciler")
    document = tmp_path / "impact.json"
    computed = subprocess.run(
        [reconciler, "--root", str(repo), "impact", "--base", "main", "--json-out", str(document)],
        capture_output=True,
        text=True,
    )
    assert computed.returncode == 0, computed.stderr
    assert computed.stdout.startswith("updates 2 of 2 tenants: bucket labels; replaces nothing")
    comment = tmp_path / "comment.md"
    shown = subprocess.run(
        [reconciler, "impact", "--from", str(document), "--markdown-out", str(comment)],
        capture_output=True,
        text=True,
    )
    assert shown.returncode == 0, shown.stderr
    assert "**updates 2 of 2 tenants: bucket labels; replaces nothing**" in comment.read_text()
    document.write_text(json.dumps({"kind": "impact"}))
    refused = subprocess.run(
        [reconciler, "impact", "--from", str(document), "--markdown-out", str(comment)],
        capture_output=True,
        text=True,
    )
    assert refused.returncode == 2
    assert "could not be read: not an impact document" in comment.read_text()


def test_a_link_in_place_of_the_document_is_not_followed(tmp_path: Path):
    secret = tmp_path / "elsewhere.json"
    secret.write_text("{}")
    link = tmp_path / "impact.json"
    link.symlink_to(secret)
    comment = tmp_path / "comment.md"
    reconciler = str(Path(sys.executable).parent / "reconciler")
    refused = subprocess.run(
        [reconciler, "impact", "--from", str(link), "--markdown-out", str(comment)],
        capture_output=True,
        text=True,
    )
    assert refused.returncode == 2
    assert "could not be read" in comment.read_text()
