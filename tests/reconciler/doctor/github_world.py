"""A repository whose settings hold everything the doctor checks, on the GitHub stand-in:
a ruleset on main (approval, stale reviews, last push, code owners, the required check) and
the three deploy environments limited to main, the reviewed ones with reviewers who may not
approve their own runs."""

from __future__ import annotations

from typing import Any

from tests.workflows.act.github_api import FakeGitHub
from tests.workflows.act.github_repo import user

REPO, TOKEN = "acme-ml/tenants", "ghs_t"

GOOD_RULES: list[dict[str, Any]] = [
    {
        "type": "pull_request",
        "ruleset_source_type": "Repository",
        "ruleset_source": REPO,
        "ruleset_id": 1,
        "parameters": {
            "required_approving_review_count": 1,
            "dismiss_stale_reviews_on_push": True,
            "require_code_owner_review": True,
            "require_last_push_approval": True,
            "required_review_thread_resolution": False,
        },
    },
    {
        "type": "required_status_checks",
        "ruleset_source_type": "Repository",
        "ruleset_source": REPO,
        "ruleset_id": 1,
        "parameters": {
            "strict_required_status_checks_policy": True,
            "required_status_checks": [{"context": "Tenant PR check"}],
        },
    },
]
MAIN_ONLY = {"protected_branches": False, "custom_branch_policies": True}
REVIEWERS = [
    {
        "type": "required_reviewers",
        "prevent_self_review": True,
        "reviewers": [{"type": "User", "reviewer": user("platform-lead")}],
    },
]
ENVIRONMENTS: dict[str, dict[str, Any]] = {
    "tenant-apply": {
        "name": "tenant-apply",
        "protection_rules": [],
        "deployment_branch_policy": MAIN_ONLY,
    },
    "tenant-destroy": {
        "name": "tenant-destroy",
        "deployment_branch_policy": MAIN_ONLY,
        "protection_rules": REVIEWERS,
    },
    "tenant-adopt": {
        "name": "tenant-adopt",
        "deployment_branch_policy": MAIN_ONLY,
        "protection_rules": REVIEWERS,
    },
}


def healthy_github() -> FakeGitHub:
    """A started stand-in whose repository passes every GitHub check (stop it after)."""
    server = FakeGitHub(REPO, TOKEN).start()
    server.state.rules = list(GOOD_RULES)
    server.state.environments = dict(ENVIRONMENTS)
    return server
