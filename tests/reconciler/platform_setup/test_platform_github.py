"""The repository side of the set-up against the act harness's GitHub stand-in: what a
fresh repository gets, that a second run writes nothing, and what is refused."""

from __future__ import annotations

import pytest
from platform_harness import setup

from reconciler.platform_setup.github import (
    ACTIONS_APP_ID,
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
    github.variables["GCP_PREVIEW_SERVICE_ACCOUNT"] = "old@acme-ml-platform.iam.gserviceaccount.com"
    notes = run(github)
    protection = github.protection["main"]
    assert protection["required_status_checks"]["checks"] == [
        {"context": "lint", "app_id": 15368},
        {"context": REQUIRED_CHECK, "app_id": ACTIONS_APP_ID},
    ]
    assert protection["required_pull_request_reviews"]["required_approving_review_count"] == 2
    assert github.variables["GCP_PREVIEW_SERVICE_ACCOUNT"] == f"tenant-gitops-preview@{ACCOUNTS}"
    assert (
        "update variable GCP_PREVIEW_SERVICE_ACCOUNT: old@acme-ml-platform.iam.gserviceaccount.com"
        f" -> tenant-gitops-preview@{ACCOUNTS}"
    ) in notes


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


def test_the_required_check_must_come_from_github_actions(github):
    """Without `app_id` the check is satisfied by "any app if it was not set by a GitHub
    App" (operation repos/update-branch-protection, `checks[].app_id`): on a fresh
    repository anyone with write access could POST a success status named "Tenant PR
    check". GitHub Actions' app id is 15368 (the `app_id` GitHub answers for Actions'
    checks, e.g. apache/infrastructure-asfyaml#64, joshjohanning/github-misc-scripts#57)."""
    assert ACTIONS_APP_ID == 15368
    run(github)
    assert github.protection["main"]["required_status_checks"]["checks"] == [
        {"context": REQUIRED_CHECK, "app_id": 15368}
    ]
    # A protection that already asks for everything else, but from any source, is tightened.
    github.protection["main"]["required_status_checks"]["checks"] = [
        {"context": REQUIRED_CHECK, "app_id": None}
    ]
    notes = run(github)
    assert any("tighten the protection of main" in n for n in notes), notes
    assert github.protection["main"]["required_status_checks"]["checks"] == [
        {"context": REQUIRED_CHECK, "app_id": 15368}
    ]


def test_protection_settings_it_does_not_manage_are_kept(github):
    """PUT .../protection replaces the whole protection (each boolean left out is false):
    the settings `up` does not manage are read and sent back as they were."""
    github.users["alice"] = 11
    github.protection["main"] = {
        "required_status_checks": {
            "strict": True,
            "contexts": [REQUIRED_CHECK],
            "checks": [{"context": REQUIRED_CHECK, "app_id": None}],
        },
        "enforce_admins": {"enabled": True},
        "required_pull_request_reviews": {
            "required_approving_review_count": 1,
            "dismiss_stale_reviews": True,
            "require_last_push_approval": True,
            "dismissal_restrictions": {
                "users": [{"login": "alice", "id": 11}],
                "teams": [{"slug": "platform-leads", "id": 42}],
                "apps": [],
            },
        },
        "required_linear_history": {"enabled": True},
        "required_conversation_resolution": {"enabled": True},
        "block_creations": {"enabled": True},
        "lock_branch": {"enabled": False},
        "allow_fork_syncing": {"enabled": True},
        "allow_force_pushes": {"enabled": False},
        "allow_deletions": {"enabled": False},
        "required_signatures": {"enabled": True},
    }
    run(github)
    after = github.protection["main"]
    assert after["required_status_checks"]["checks"] == [
        {"context": REQUIRED_CHECK, "app_id": 15368}
    ]
    for key in (
        "required_linear_history",
        "required_conversation_resolution",
        "block_creations",
        "allow_fork_syncing",
        "required_signatures",
    ):
        assert after[key] == {"enabled": True}, key
    assert after["lock_branch"] == {"enabled": False}
    restrictions = after["required_pull_request_reviews"]["dismissal_restrictions"]
    assert [u["login"] for u in restrictions["users"]] == ["alice"]
    assert [t["slug"] for t in restrictions["teams"]] == ["platform-leads"]
    assert [w.method for w in github.writes() if w.path.endswith("/protection")] == ["PUT"]
    assert run(github) == []


def test_bypass_allowances_are_removed_and_the_note_says_so(github):
    github.protection["main"] = {
        "required_status_checks": {"strict": True, "checks": [{"context": REQUIRED_CHECK}]},
        "enforce_admins": {"enabled": True},
        "required_pull_request_reviews": {
            "required_approving_review_count": 1,
            "bypass_pull_request_allowances": {"users": [{"login": "alice"}], "teams": []},
        },
    }
    notes = run(github)
    assert any("removes the pull-request bypass allowances" in n for n in notes), notes
    reviews = github.protection["main"]["required_pull_request_reviews"]
    assert "bypass_pull_request_allowances" not in reviews


def test_up_never_points_ci_at_other_state_or_another_project(github):
    """RECONCILER_BACKEND_URL, RECONCILER_SECRETS_PROVIDER and RECONCILER_GCP_PROJECT that
    already hold other values (a 0.1.0 copy set them by hand) are where CI's tenants live:
    changing one makes the next push plan every tenant as new. Refused before anything is
    written; the admin changes them by hand after moving the state."""
    github.variables["RECONCILER_BACKEND_URL"] = "gs://acme-old-state"
    with pytest.raises(SetupRefused, match="RECONCILER_BACKEND_URL is gs://acme-old-state"):
        run(github)
    assert github.writes() == []
    assert github.variables["RECONCILER_BACKEND_URL"] == "gs://acme-old-state"
    github.variables["RECONCILER_BACKEND_URL"] = "gs://acme-ml-platform-tenant-state"
    github.variables["GCP_DEPLOY_SERVICE_ACCOUNT"] = "old@acme-ml-platform.iam.gserviceaccount.com"
    notes = run(github)
    assert any(n.startswith("update variable GCP_DEPLOY_SERVICE_ACCOUNT") for n in notes)
