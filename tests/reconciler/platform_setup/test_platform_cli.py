"""`reconciler init` and `reconciler platform preview|up` from a fresh clone, end to end in
one process: the engine's part is the platform program under Pulumi's mocks, the GitHub
part the act harness's stand-in."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from platform_harness import MockedPlatformStack

from reconciler.cli import platform_commands
from reconciler.cli.main import main
from reconciler.manifests.setup import load_setup
from tests.repo import REPO
from tests.workflows.act.github_settings_api import FakeGitHubSettings

INIT = [
    "init",
    "--project", "acme-ml-platform",
    "--repository", "acme/tenant-gitops",
    "--repository-id", "987654321",
    "--kms-location", "europe-west1",
    "--reviewer", "team:platform-leads",
]  # fmt: skip


@pytest.fixture
def clone(tmp_path: Path) -> Path:
    """What a fresh clone holds that these commands read: platform.yaml, schema/, tenants/."""
    for folder in ("schema", "tenants"):
        shutil.copytree(REPO / folder, tmp_path / folder)
    shutil.copy(REPO / "platform.yaml", tmp_path / "platform.yaml")
    return tmp_path


@pytest.fixture
def stack(monkeypatch) -> MockedPlatformStack:
    mocked = MockedPlatformStack()
    monkeypatch.setattr(platform_commands, "_platform_stack", lambda *_args: mocked)
    return mocked


@pytest.fixture
def github(monkeypatch):
    server = FakeGitHubSettings("acme/tenant-gitops", "admin-token", 987654321).start()
    server.teams["platform-leads"] = 42
    monkeypatch.setenv("GITHUB_TOKEN", "admin-token")
    monkeypatch.setenv("GITHUB_API_URL", server.url)
    monkeypatch.delenv("GH_TOKEN", raising=False)
    yield server
    server.stop()


def test_init_writes_a_production_platform_yaml_and_removes_the_examples(clone, capsys):
    assert main(["--root", str(clone), *INIT]) == 0
    out = capsys.readouterr().out
    assert "removed the example tenants/tenant-one.yaml" in out
    assert sorted(p.name for p in (clone / "tenants").iterdir()) == []
    setup = load_setup(clone, {})
    assert (setup.project, setup.state_bucket, setup.repository_id) == (
        "acme-ml-platform",
        "acme-ml-platform-tenant-state",
        987654321,
    )
    assert setup.secrets_provider == (
        "gcpkms://projects/acme-ml-platform/locations/europe-west1/keyRings/tenant-gitops/"
        "cryptoKeys/pulumi-secrets"
    )
    document = yaml.safe_load((clone / "platform.yaml").read_text())
    assert document["target"] == "gcp" and document["reconcile"]["parallelism"] == 2
    # Run again: refused, the file is the team's now.
    assert main(["--root", str(clone), *INIT]) == 2
    assert "already has a setup section" in capsys.readouterr().err


def test_init_keeps_a_real_tenant_that_shares_an_example_name(clone, capsys):
    path = clone / "tenants" / "tenant-one.yaml"
    path.write_text(path.read_text().replace("ml-platform@example.com", "ml@tenant-one.io"))
    assert main(["--root", str(clone), *INIT]) == 0
    assert sorted(p.name for p in (clone / "tenants").iterdir()) == ["tenant-one.yaml"]


def test_init_with_answers_the_schema_refuses_writes_nothing(clone, capsys):
    before = (clone / "platform.yaml").read_text()
    assert main(["--root", str(clone), *INIT, "--location", "EUROPA"]) == 1
    err = capsys.readouterr().err
    assert "platform.yaml:" in err and "nothing was written" in err
    assert (clone / "platform.yaml").read_text() == before
    assert (clone / "tenants" / "tenant-one.yaml").exists()


def test_platform_preview_shows_the_whole_set_up_and_writes_nothing(clone, stack, github, capsys):
    assert main(["--root", str(clone), *INIT]) == 0
    capsys.readouterr()
    assert main(["--root", str(clone), "platform", "preview"]) == 0
    out = capsys.readouterr().out
    assert stack.runs == ["preview"]
    assert "  40 create (to do)" in out
    for line in (
        "create   gcp:identityplatform/config:Config  identity-platform",
        "create   gcp:storage/bucket:Bucket  state-bucket",
        "create   gcp:iam/workloadIdentityPool:WorkloadIdentityPool  wif-pool",
        "create   gcp:projects/iAMMember:IAMMember  grant-deploy-AccountManager-project",
        "would create environment tenant-destroy (reviewers team:platform-leads)",
        "would protect main",
        "set variable GCP_WORKLOAD_IDENTITY_PROVIDER once the platform stack is up",
    ):
        assert line in out
    assert github.writes() == []


def test_platform_up_creates_then_a_second_up_changes_nothing_on_github(
    clone, stack, github, capsys
):
    assert main(["--root", str(clone), *INIT]) == 0
    assert main(["--root", str(clone), "platform", "up"]) == 0
    assert github.variables["GCP_WORKLOAD_IDENTITY_PROVIDER"].endswith(
        "/workloadIdentityPools/tenant-gitops/providers/github"
    )
    capsys.readouterr()
    writes = len(github.writes())
    assert main(["--root", str(clone), "platform", "up"]) == 0
    assert "nothing to change" in capsys.readouterr().out
    assert len(github.writes()) == writes


def test_platform_up_without_a_github_token_says_so(clone, stack, monkeypatch, capsys):
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    monkeypatch.delenv("GH_TOKEN", raising=False)
    assert main(["--root", str(clone), *INIT]) == 0
    assert main(["--root", str(clone), "platform", "up"]) == 2
    assert "no GITHUB_TOKEN or GH_TOKEN" in capsys.readouterr().err
    assert main(["--root", str(clone), "platform", "up", "--skip-github"]) == 0


def test_platform_preview_on_the_sandbox_settings_names_each_setting_to_change(
    clone, stack, capsys
):
    assert main(["--root", str(clone), "platform", "preview"]) == 1
    err = capsys.readouterr().err
    assert "platform.yaml:" in err
    for words in ("no setup section", "pulumi.backendUrl is 'file://.state'", "secretsProvider"):
        assert words in err
    assert stack.runs == []
