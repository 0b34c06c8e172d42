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
from reconciler.platform_setup.blueprint import blueprint
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


def test_platform_up_gives_ci_the_backend_url_with_its_prefix(clone, stack, github):
    """Pulumi keeps a `gs://bucket/prefix` backend's stacks under `prefix/` (pulumi/pulumi
    pkg/backend/diy/backend.go: `blob.PrefixedBucket(bucket, <path>/)`): CI pointed at the
    bucket's root would see no stack and plan to create every tenant."""
    assert main(["--root", str(clone), *INIT]) == 0
    path = clone / "platform.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace(
            "backendUrl: gs://acme-ml-platform-tenant-state",
            "backendUrl: gs://acme-ml-platform-tenant-state/tenants",
        ),
        encoding="utf-8",
    )
    assert main(["--root", str(clone), "platform", "up"]) == 0
    assert (
        github.variables["RECONCILER_BACKEND_URL"] == "gs://acme-ml-platform-tenant-state/tenants"
    )
    setup = load_setup(clone, {})
    assert setup.state_bucket == "acme-ml-platform-tenant-state"
    [locks] = [
        g.condition.expression
        for g in blueprint(setup).grants
        if g.condition and g.condition.title == "pulumi-locks-only"
    ]
    assert locks == (
        'resource.name.startsWith("projects/_/buckets/acme-ml-platform-tenant-state/objects/'
        'tenants/.pulumi/locks/")'
    )


def test_the_platform_state_is_never_kept_where_the_deploy_account_writes(
    clone, stack, github, capsys
):
    """The deploy account has roles/storage.objectUser on the tenant state bucket: a
    platform state there could be rewritten so that the admin's next `up` (owner rights)
    deletes or changes what the deploy account chose."""
    refused = [*INIT, "--platform-state", "gs://acme-ml-platform-tenant-state/platform"]
    assert main(["--root", str(clone), *refused]) == 2
    assert "the deploy account writes" in capsys.readouterr().err
    assert "platformState" not in (clone / "platform.yaml").read_text(encoding="utf-8")

    chosen = [*INIT, "--platform-state", "gs://acme-ml-admin-platform-state", "--force"]
    assert main(["--root", str(clone), *chosen]) == 0
    assert load_setup(clone, {}).platform_state == "gs://acme-ml-admin-platform-state"
    capsys.readouterr()
    assert main(["--root", str(clone), "platform", "preview"]) == 0
    captured = capsys.readouterr()
    assert "Platform stack (gs://acme-ml-admin-platform-state):" in captured.out
    assert "warning" not in captured.err

    moved = ["platform", "preview", "--backend", "gs://acme-ml-platform-tenant-state/platform"]
    assert main(["--root", str(clone), *moved]) == 0
    assert (
        "warning: the platform stack's state is in the tenant state bucket "
        "gs://acme-ml-platform-tenant-state" in capsys.readouterr().err
    )


def test_init_without_a_control_project_says_the_deploy_account_can_escalate(clone, capsys):
    """In one project the deploy account's project-wide iam.serviceAccounts.setIamPolicy
    (no condition can narrow it) lets it make itself TokenCreator on any account there,
    its own and the Compute Engine default account included."""
    assert main(["--root", str(clone), *INIT]) == 0
    err = capsys.readouterr().err
    assert "one project for tenants and the control plane" in err
    assert "act as any service account in acme-ml-platform" in err
    assert "--control-project" in err
    split = [*INIT, "--control-project", "acme-ml-control", "--force"]
    assert main(["--root", str(clone), *split]) == 0
    assert "one project for tenants" not in capsys.readouterr().err


def test_init_over_a_0_1_0_copy_keeps_what_its_stacks_and_identities_use(clone, capsys):
    """0.1.0's guide made the pool `github` and the provider `tenant-gitops`, and the key ring
    in $REGION; its platform.yaml has no setup section (so init does not refuse), and its
    Pulumi project names every stack (<project>/<tenant>)."""
    path = clone / "platform.yaml"
    earlier = yaml.safe_load(path.read_text(encoding="utf-8"))
    earlier["pulumi"]["project"] = "acme-tenants"
    earlier["reconcile"]["parallelism"] = 4
    path.write_text(yaml.safe_dump(earlier, sort_keys=False), encoding="utf-8")
    upgrade = [*INIT, "--pool", "github", "--provider", "tenant-gitops"]
    assert main(["--root", str(clone), *upgrade]) == 0
    setup = load_setup(clone, {})
    assert (setup.pool, setup.provider) == ("github", "tenant-gitops")
    assert setup.kms.location == "europe-west1"
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert document["pulumi"]["project"] == "acme-tenants"
    assert document["reconcile"]["parallelism"] == 4
    # The defaults are not written out: a fresh set-up's platform.yaml stays short.
    assert main(["--root", str(clone), *INIT, "--force"]) == 0
    assert "workloadIdentity" not in path.read_text(encoding="utf-8")
