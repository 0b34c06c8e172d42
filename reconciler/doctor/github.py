"""The doctor's GitHub checks: what main's protection and the deploy environments must hold.

Read through the REST API (API version 2022-11-28):
- classic protection, `GET /repos/{o}/{r}/branches/{branch}/protection`
  (https://docs.github.com/rest/branches/branch-protection#get-branch-protection): needs the
  repository's Administration: read, which a workflow's GITHUB_TOKEN never has (GitHub
  answers 403 "Resource not accessible by integration"); 404 when the branch has none;
- the rules in force from rulesets, `GET /repos/{o}/{r}/rules/branches/{branch}`
  (https://docs.github.com/rest/repos/rules#get-rules-for-a-branch): Metadata: read, any
  token; "Rules in rulesets with 'evaluate' or 'disabled' enforcement statuses are not
  returned";
- environments, `GET /repos/{o}/{r}/environments/{name}`
  (https://docs.github.com/rest/deployments/environments#get-an-environment):
  `protection_rules[]` (`required_reviewers` with `reviewers[]` and `prevent_self_review`)
  and `deployment_branch_policy` (null: every branch may deploy).

A setting counts when either classic protection or a ruleset sets it (several rules of a
type may apply; the strictest wins). The deploy checks approval itself
(`reconciler approval`); these settings make GitHub refuse the merge in the first place.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from reconciler.doctor.checks import CannotCheck, Check, Context
from reconciler.doctor.problems import Problem
from reconciler.github.api import GitHub, GitHubError
from reconciler.manifests.setup import ENVIRONMENTS, REVIEWED_ENVIRONMENTS
from reconciler.platform_setup.github import REQUIRED_CHECK

RULESETS_UI = "Settings → Rules → Rulesets (target main) → Require a pull request before merging"
PLATFORM_UP = "reconciler platform up"
ENVIRONMENTS_CHECK = "github.environments"


@dataclass(frozen=True)
class Protection:
    """main's merge rules, from classic protection and rulesets together."""

    pull_request: bool = False
    approvals: int = 0
    dismiss_stale: bool = False
    last_push: bool = False
    code_owners: bool = False
    checks: frozenset[str] = frozenset()
    classic_unreadable: str = ""
    """Why classic protection could not be read (empty: it was, or there is none)."""


def read_protection(github: GitHub, branch: str) -> Protection:
    classic: Mapping[str, Any] = {}
    unreadable = ""
    try:
        classic = github.get(f"/branches/{branch}/protection") or {}
    except GitHubError as error:
        if error.status in (401, 403):
            unreadable = (
                f"classic branch protection could not be read ({error.status} {error.message}: "
                "it needs the repository's Administration: read, e.g. an admin's token)"
            )
        elif error.status != 404:
            raise
    rules = list(github.pages(f"/rules/branches/{branch}?per_page=100"))
    reviews = classic.get("required_pull_request_reviews") or {}
    pulls = [r.get("parameters") or {} for r in rules if r.get("type") == "pull_request"]
    status_rules = [
        r.get("parameters") or {} for r in rules if r.get("type") == "required_status_checks"
    ]
    classic_checks = classic.get("required_status_checks") or {}
    contexts = {str(c.get("context")) for c in classic_checks.get("checks") or []}
    contexts |= {str(c) for c in classic_checks.get("contexts") or []}
    for params in status_rules:
        contexts |= {str(c.get("context")) for c in params.get("required_status_checks") or []}
    return Protection(
        pull_request=bool(reviews) or bool(pulls),
        approvals=max(
            [int(reviews.get("required_approving_review_count") or 0)]
            + [int(p.get("required_approving_review_count") or 0) for p in pulls]
        ),
        dismiss_stale=bool(reviews.get("dismiss_stale_reviews"))
        or any(p.get("dismiss_stale_reviews_on_push") for p in pulls),
        last_push=bool(reviews.get("require_last_push_approval"))
        or any(p.get("require_last_push_approval") for p in pulls),
        code_owners=bool(reviews.get("require_code_owner_reviews"))
        or any(p.get("require_code_owner_review") for p in pulls),
        checks=frozenset(contexts),
        classic_unreadable=unreadable,
    )


def _github(context: Context) -> GitHub:
    if context.github is None:
        raise CannotCheck(
            f"{context.github_missing or 'no GitHub token'}; e.g. "
            "GITHUB_TOKEN=$(gh auth token) GITHUB_REPOSITORY=owner/name reconciler doctor"
        )
    return context.github


def _where(protection: Protection) -> str:
    return f"; {protection.classic_unreadable}" if protection.classic_unreadable else ""


def review_rules(context: Context) -> list[Problem]:
    """A pull request with an approval, stale approvals dismissed, the last push approved by
    someone else, and code owners' review required."""
    found = read_protection(_github(context), context.branch)
    where = _where(found)
    wanted = [
        (
            found.pull_request and found.approvals >= 1,
            "a pull request with at least 1 approval",
            "Require a pull request before merging, Required approvals: 1",
            "required_approving_review_count",
        ),
        (
            found.dismiss_stale,
            "stale approvals dismissed when new commits are pushed",
            "Dismiss stale pull request approvals when new commits are pushed",
            "dismiss_stale_reviews_on_push / dismiss_stale_reviews",
        ),
        (
            found.last_push,
            "approval of the most recent push by someone other than its pusher",
            "Require approval of the most recent reviewable push",
            "require_last_push_approval",
        ),
        (
            found.code_owners,
            "review from code owners",
            "Require review from Code Owners",
            "require_code_owner_review(s)",
        ),
    ]
    return [
        Problem(
            "github.reviews",
            f"main does not require {what}{where}",
            f"{PLATFORM_UP}, or {RULESETS_UI} → {box} (API: {field})",
        )
        for ok, what, box, field in wanted
        if not ok
    ]


def required_check(context: Context) -> list[Problem]:
    found = read_protection(_github(context), context.branch)
    if REQUIRED_CHECK in found.checks:
        return []
    return [
        Problem(
            "github.required-check",
            f'main does not require the status check "{REQUIRED_CHECK}"{_where(found)}',
            f"{PLATFORM_UP}, or Settings → Rules → Rulesets (target main) → Require status "
            f'checks to pass → add "{REQUIRED_CHECK}" (API: required_status_checks[].context)',
        )
    ]


def environments(context: Context) -> list[Problem]:
    """Every deploy environment exists and is limited to main; the reviewed ones
    (tenant-destroy, tenant-adopt) have reviewers who may not approve their own run."""
    github = _github(context)
    problems = []
    for name in ENVIRONMENTS:
        try:
            found = github.get(f"/environments/{name}") or {}
        except GitHubError as error:
            if error.status != 404:
                raise
            problems.append(
                Problem(
                    ENVIRONMENTS_CHECK,
                    f"environment {name} does not exist",
                    f"{PLATFORM_UP}, or Settings → Environments → New environment: {name} "
                    "(docs/platform-setup.md)",
                )
            )
            continue
        if found.get("deployment_branch_policy") is None:
            problems.append(
                Problem(
                    ENVIRONMENTS_CHECK,
                    f"environment {name} may be deployed from any branch",
                    f"Settings → Environments → {name} → Deployment branches and tags → "
                    "Selected branches: main",
                )
            )
        if name in REVIEWED_ENVIRONMENTS:
            problems += _reviewers(name, found.get("protection_rules") or [])
    return problems


def _reviewers(name: str, rules: Sequence[Mapping[str, Any]]) -> list[Problem]:
    reviewers = [r for r in rules if r.get("type") == "required_reviewers"]
    if not reviewers or not any(r.get("reviewers") for r in reviewers):
        return [
            Problem(
                ENVIRONMENTS_CHECK,
                f"environment {name} has no required reviewers: its jobs run without approval",
                f"Settings → Environments → {name} → Required reviewers (up to 6 users or teams)",
            )
        ]
    if not any(r.get("prevent_self_review") for r in reviewers):
        return [
            Problem(
                ENVIRONMENTS_CHECK,
                f"environment {name}'s reviewers may approve their own runs",
                f"Settings → Environments → {name} → Prevent self-review "
                "(API: prevent_self_review)",
            )
        ]
    return []


CHECKS = (
    Check(
        "github.reviews",
        "main's merge rules (approval, stale reviews, last push, code owners)",
        review_rules,
    ),
    Check("github.required-check", f'main requires "{REQUIRED_CHECK}"', required_check),
    Check(ENVIRONMENTS_CHECK, "the deploy environments (branches, reviewers)", environments),
)
