"""The repository side of the set-up against the act harness's GitHub stand-in: what a
fresh repository gets, that a second run writes nothing, and what is refused."""

from __future__ import annotations

import pytest
from platform_harness import setup

from reconciler.platform_setup.github import (
    REQUIRED_CHECK,
    SetupRefused,
    set_up_github,
    workflow_variables,
)
from reconciler.report.comment import GitHub
from tests.workflows.act.github_settings_api import FakeGitHubSettings

ACCOUNTS = "acme-ml-platform.iam.gserviceaccount.com"
REPO, TOKEN, REPO_ID = "acme/tenant-gitops", "admin-token", 987654321
OUTPUTS = {
    "workloadIdentityProvider": "projects/123/locations/global/workloadIdentityPools/"
    "tenant-gitops/providers/github"
}


@pytest.fixture
def github():
    server = FakeGitHubSettings(REPO, TOKEN, REPO_ID).start()
    server.teams["platform-leads"] = 42
    server.users["grace"] = 7
    yield server
    server.stop()


def run(server, apply=True, outputs=OUTPUTS, **overrides) -> list[str]:
    notes: list[str] = []
    chosen = setup(**overrides)
    api = GitHub(REPO, TOKEN, api_url=server.url)
    set_up_github(api, chosen, workflow_variables(chosen, outputs), apply, notes.append)
    return notes


def test_a_fresh_repository_gets_everything_and_a_second_run_writes_nothing(github):
    notes = run(github, reviewers=("team:platform-leads", "user:grace"))
    destroy = github.environments["tenant-destroy"]
    [rule] = [r for r in destroy["protection_rules"] if r["type"] == "required_reviewers"]
    assert rule["prevent_self_review"] is True
    assert [(r["type"], r["reviewer"]["id"]) for r in rule["reviewers"]] == [
        ("Team", 42),
        ("User", 7),
    ]
    apply = github.environments["tenant-apply"]
    assert [r["type"] for r in apply["protection_rules"]] == ["branch_policy"]
    for name in ("tenant-apply", "tenant-destroy", "tenant-adopt"):
        assert github.environments[name]["deployment_branch_policy"] == {
            "protected_branches": False,
            "custom_branch_policies": True,
        }
        assert [p["name"] for p in github.branch_policies[name]] == ["main"]
    assert github.variables == {
        "RECONCILER_GCP_PROJECT": "acme-ml-platform",
        "RECONCILER_BACKEND_URL": "gs://acme-ml-platform-tenant-state",
        "RECONCILER_SECRETS_PROVIDER": "gcpkms://projects/acme-ml-platform/locations/"
        "europe-west1/keyRings/tenant-gitops/cryptoKeys/pulumi-secrets",
        "GCP_WORKLOAD_IDENTITY_PROVIDER": OUTPUTS["workloadIdentityProvider"],
        "GCP_PREVIEW_SERVICE_ACCOUNT": f"tenant-gitops-preview@{ACCOUNTS}",
        "GCP_DEPLOY_SERVICE_ACCOUNT": f"tenant-gitops-deploy@{ACCOUNTS}",
    }
    protection = github.protection["main"]
    assert protection["required_status_checks"]["strict"] is True
    assert protection["required_status_checks"]["contexts"] == [REQUIRED_CHECK]
    assert protection["enforce_admins"] == {"enabled": True}
    assert protection["required_pull_request_reviews"]["required_approving_review_count"] == 1
    assert len(notes) == 3 * 2 + 6 + 1

    writes = len(github.writes())
    assert run(github, reviewers=("team:platform-leads", "user:grace")) == []
    assert len(github.writes()) == writes


def test_a_preview_reads_and_says_what_it_would_do(github):
    notes = run(github, apply=False, outputs={})
    assert github.writes() == []
    assert "would create environment tenant-destroy (reviewers team:platform-leads)" in notes
    assert (
        "set variable GCP_WORKLOAD_IDENTITY_PROVIDER once the platform stack is up (known after up)"
    ) in notes
    assert any(n.startswith("would protect main") for n in notes)


def test_stricter_protection_and_changed_variables_are_merged_not_overwritten(github):
    github.protection["main"] = {
        "required_status_checks": {
            "strict": False,
            "contexts": ["lint"],
            "checks": [{"context": "lint", "app_id": 15368}],
        },
        "required_pull_request_reviews": {"required_approving_review_count": 2},
        "enforce_admins": {"enabled": False},
    }
    github.variables["RECONCILER_GCP_PROJECT"] = "old-project"
    notes = run(github)
    protection = github.protection["main"]
    assert protection["required_status_checks"]["checks"] == [
        {"context": "lint", "app_id": 15368},
        {"context": REQUIRED_CHECK, "app_id": None},
    ]
    assert protection["required_pull_request_reviews"]["required_approving_review_count"] == 2
    assert github.variables["RECONCILER_GCP_PROJECT"] == "acme-ml-platform"
    assert "update variable RECONCILER_GCP_PROJECT: old-project -> acme-ml-platform" in notes


def test_the_wrong_repository_id_is_refused_before_anything_is_written(github):
    with pytest.raises(SetupRefused, match="repositoryId 111, GitHub says acme/tenant-gitops is"):
        run(github, repository_id=111)
    assert github.writes() == []


def test_reviewed_environments_need_reviewers_and_reviewers_must_exist(github):
    with pytest.raises(SetupRefused, match="environment tenant-destroy needs reviewers"):
        run(github, reviewers=())
    with pytest.raises(SetupRefused, match="team:nobody not found on GitHub"):
        run(github, reviewers=("team:nobody",))


def test_a_token_without_admin_rights_is_told_what_it_needs(github):
    api = GitHub(REPO, "read-only-token", api_url=github.url)
    with pytest.raises(SetupRefused, match="token needs admin rights"):
        set_up_github(api, setup(), {}, True, lambda _: None)
