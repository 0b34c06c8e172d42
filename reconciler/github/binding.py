"""Which open pull request a preview run belongs to, asked of GitHub, never of the run.

A `workflow_run` event lists `pull_requests`: "Pull requests that are open with a
`head_sha` or `head_branch` that matches the workflow run. The returned pull requests do
not necessarily indicate pull requests that triggered the run" (GitHub's OpenAPI
description of `workflow-run.pull_requests`); a fork's run lists none. So the preview
takes those numbers as candidates only, and binds to one only if the pull request as
GitHub has it now (`GET /repos/{o}/{r}/pulls/{n}`,
https://docs.github.com/rest/pulls/pulls#get-a-pull-request) is open, based on main, from
this repository, and its head is the run's head commit. A pull request into another
branch, or one whose head has moved on (a newer run will preview it), gets nothing: no
comment, no status, no credential used.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from reconciler.github.api import GitHub


@dataclass(frozen=True)
class Binding:
    """The pull request a run belongs to (`number` 0: none, and `reason` says why)."""

    number: int
    reason: str

    @property
    def bound(self) -> bool:
        return self.number > 0


def bind_pull(pull: Mapping[str, Any], head_sha: str, repo: str, base: str = "main") -> str:
    """Why `pull` (GitHub's full pull request) is not the run's, or "" when it is."""
    number = pull.get("number")
    if pull.get("state") != "open":
        return f"#{number} is {pull.get('state')}"
    base_ref = (pull.get("base") or {}).get("ref")
    if base_ref != base:
        return (
            f"#{number}'s base is `{base_ref}`, not {base}: "
            f"only pull requests into {base} are previewed"
        )
    head = pull.get("head") or {}
    head_repo = (head.get("repo") or {}).get("full_name")
    if head_repo != repo:
        return f"#{number} comes from {head_repo or 'a deleted repository'}, not {repo}"
    if head.get("sha") != head_sha:
        return (
            f"#{number}'s head is now {str(head.get('sha'))[:12]}, not {head_sha[:12]}: "
            "the run for the newer head previews it"
        )
    return ""


def candidates(listed: Iterable[Mapping[str, Any]], head_sha: str) -> list[int]:
    """The event's pull request numbers whose listed head is the run's head."""
    return [
        int(p["number"])
        for p in listed
        if (p.get("head") or {}).get("sha") == head_sha and str(p.get("number", "")).isdigit()
    ]


def find_binding(
    github: GitHub, listed: Iterable[Mapping[str, Any]], head_sha: str, base: str = "main"
) -> Binding:
    """The one pull request the run previews, checked against GitHub as it is now."""
    numbers = candidates(listed, head_sha)
    if not numbers:
        # A commit's open pull requests (https://docs.github.com/rest/commits/commits#list-pull-requests-associated-with-a-commit).
        numbers = [
            int(p["number"]) for p in github.pages(f"/commits/{head_sha}/pulls?per_page=100")
        ]
    reasons = []
    for number in dict.fromkeys(numbers):
        pull = github.get(f"/pulls/{number}")
        reason = bind_pull(pull, head_sha, github.repo, base)
        if not reason:
            return Binding(number, f"#{number}: open, into {base}, head {head_sha[:12]}")
        reasons.append(reason)
    if not reasons:
        return Binding(0, f"no open pull request has head {head_sha[:12]}")
    return Binding(0, "; ".join(reasons))
