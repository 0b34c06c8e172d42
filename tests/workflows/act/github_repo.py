"""What the GitHub stand-in knows about one repository, and the shapes it answers with.

Shapes follow GitHub's OpenAPI description (github/rest-api-description, as shipped in
npm `@octokit/openapi`; research notes: /work/notes/github.md §1-§8) for the fields the
workflows and the reconciler read. Each answer names its REST reference page.
"""

from __future__ import annotations

import itertools
import zlib
from dataclasses import dataclass, field
from typing import Any

BOT = {"login": "github-actions[bot]", "id": 41898282, "type": "Bot"}
"""Who the workflows' GITHUB_TOKEN writes as (and, see docs/security.md, any same-repository
pull request's own workflow that asks for write permissions)."""


def user(login: str) -> dict[str, Any]:
    return {"login": login, "id": zlib.crc32(login.encode()) % 10**8, "type": "User"}


@dataclass
class Pull:
    """A pull request: its branch, base, author, and what it changes."""

    number: int
    title: str
    author: str
    head_sha: str = ""
    head_ref: str = ""
    head_repo: str = ""
    base_ref: str = "main"
    base_sha: str = ""
    state: str = "open"
    merged_at: str | None = None
    merge_commit_sha: str | None = None
    files: list[dict[str, Any]] = field(default_factory=list)
    commits: list[dict[str, Any]] = field(default_factory=list)
    listed_files: int | None = None
    """How many files the listing returns (None: all), to model GitHub's 3000-file cap."""
    landed: list[str] = field(default_factory=list)
    """The commits a rebase merge put on the base before its merge commit (each lists it)."""


@dataclass
class Repository:
    """What one repository holds: issues and pull requests share numbers, as on GitHub."""

    full_name: str
    issues: dict[int, dict[str, Any]] = field(default_factory=dict)
    comments: dict[int, dict[str, Any]] = field(default_factory=dict)
    pulls: dict[int, Pull] = field(default_factory=dict)
    reviews: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    statuses: list[dict[str, Any]] = field(default_factory=list)
    permissions: dict[str, str] = field(default_factory=dict)
    teams: dict[str, set[str]] = field(default_factory=dict)
    protection: dict[str, Any] | None = None
    rules: list[dict[str, Any]] = field(default_factory=list)
    environments: dict[str, dict[str, Any]] = field(default_factory=dict)
    runs: list[dict[str, Any]] = field(default_factory=list)
    """Workflow runs, oldest first (`workflow-run` shape, see `run`)."""
    activity: list[dict[str, Any]] = field(default_factory=list)
    """Ref updates, oldest first (`activity` shape, see `update_ref`)."""
    unindexed: dict[str, int] = field(default_factory=dict)
    """Commit → how many more times `commits/{sha}/pulls` answers empty: GitHub fills that
    listing in a few seconds after a merge (Songmu/tagpr#333)."""
    ids: Any = field(default_factory=lambda: itertools.count(1000))

    # --- Shapes -----------------------------------------------------------------------

    def _ref(self, ref: str, sha: str, repo: str) -> dict[str, Any]:
        name = repo.split("/", 1)[-1]
        return {
            "label": f"{repo.split('/', 1)[0]}:{ref}",
            "ref": ref,
            "sha": sha,
            "repo": {"full_name": repo, "name": name, "id": zlib.crc32(repo.encode()) % 10**8},
            "user": user(repo.split("/", 1)[0]),
        }

    def pull_simple(self, pull: Pull) -> dict[str, Any]:
        """`pull-request-simple` (List pull requests associated with a commit,
        https://docs.github.com/rest/commits/commits#list-pull-requests-associated-with-a-commit):
        no `merged`, `merged_by`, `commits` or `changed_files`."""
        issue = self.issues.get(pull.number, {})
        return {
            "number": pull.number,
            "state": pull.state,
            "title": pull.title,
            "body": issue.get("body", ""),
            "labels": issue.get("labels", []),
            "user": user(pull.author),
            "draft": False,
            "author_association": "MEMBER",
            "merged_at": pull.merged_at,
            "merge_commit_sha": pull.merge_commit_sha,
            "head": self._ref(pull.head_ref, pull.head_sha, pull.head_repo or self.full_name),
            "base": self._ref(pull.base_ref, pull.base_sha, self.full_name),
        }

    def pull_full(self, pull: Pull) -> dict[str, Any]:
        """`pull-request` (Get a pull request, https://docs.github.com/rest/pulls/pulls#get-a-pull-request)."""
        return {
            **self.pull_simple(pull),
            "merged": pull.merged_at is not None,
            "mergeable": None if pull.merged_at else True,
            "merged_by": user("platform-lead") if pull.merged_at else None,
            "commits": len(pull.commits),
            "changed_files": len(pull.files),
        }

    # --- Set-up ---------------------------------------------------------------------------

    def issue(self, number: int, title: str, body: str, labels: list[str]) -> dict[str, Any]:
        issue: dict[str, Any] = {
            "number": number,
            "title": title,
            "body": body,
            "labels": list(labels),
            "state": "open",
            "user": BOT,
        }
        self.issues[number] = issue
        return issue

    def review(self, number: int, login: str, state: str, commit_id: str | None) -> int:
        """A submitted review (Create a review's `event` APPROVE / REQUEST_CHANGES / COMMENT
        gives state APPROVED / CHANGES_REQUESTED / COMMENTED; `commit_id` "defaults to the
        most recent commit in the pull request")."""
        review_id = next(self.ids)
        pull = self.pulls[number]
        self.reviews.setdefault(number, []).append(
            {
                "id": review_id,
                "user": user(login),
                "body": "",
                "state": state,
                "commit_id": commit_id or pull.head_sha,
                "submitted_at": f"2026-01-01T00:00:{len(self.reviews[number]):02d}Z",
                "author_association": "MEMBER",
                "html_url": f"https://github.invalid/{self.full_name}/pull/{number}#r{review_id}",
            }
        )
        return review_id

    def dismiss(self, review_id: int) -> None:
        """Dismissing a review turns its state into DISMISSED (it stays listed)."""
        for reviews in self.reviews.values():
            for review in reviews:
                if review["id"] == review_id:
                    review["state"] = "DISMISSED"

    def run(
        self, workflow: str, event: str, head_sha: str, branch: str, conclusion: str
    ) -> dict[str, Any]:
        """A finished workflow run (`workflow-run`, List workflow runs for a workflow,
        https://docs.github.com/rest/actions/workflow-runs#list-workflow-runs-for-a-workflow):
        `run_number` counts the workflow's runs, `status` is completed."""
        number = 1 + sum(1 for r in self.runs if r["path"].endswith(f"/{workflow}"))
        run = {
            "id": next(self.ids),
            "name": workflow,
            "path": f".github/workflows/{workflow}",
            "run_number": number,
            "run_attempt": 1,
            "event": event,
            "status": "completed",
            "conclusion": conclusion,
            "head_branch": branch,
            "head_sha": head_sha,
            "html_url": f"https://github.invalid/{self.full_name}/actions/runs/{number}",
        }
        self.runs.append(run)
        return run

    def list_runs(self, workflow: str, query: dict[str, list[str]], **_: Any) -> dict[str, Any]:
        """`{total_count, workflow_runs}` for `workflow` (List workflow runs for a workflow,
        https://docs.github.com/rest/actions/workflow-runs#list-workflow-runs-for-a-workflow),
        filtered by `branch`, `event` and `status` (a status or a conclusion, as GitHub takes
        either), newest first, paged by `per_page` (at most 100) and `page`."""
        runs = [r for r in self.runs if r["path"] == f".github/workflows/{workflow}"]
        filters = {"branch": ("head_branch",), "event": ("event",)}
        filters["status"] = ("status", "conclusion")
        for key, names in filters.items():
            if key in query:
                runs = [r for r in runs if any(r[name] == query[key][0] for name in names)]
        per_page = min(int(query.get("per_page", ["30"])[0]), 100)
        page = int(query.get("page", ["1"])[0])
        newest = list(reversed(runs))
        return {
            "total_count": len(newest),
            "workflow_runs": newest[(page - 1) * per_page : page * per_page],
        }

    def update_ref(self, ref: str, before: str, after: str, actor: str, kind: str) -> None:
        """GitHub's record of a ref update (List repository activities,
        https://docs.github.com/rest/repos/repos#list-repository-activities): `kind` is its
        `activity_type` (push, force_push, branch_creation, branch_deletion, pr_merge,
        merge_queue_merge)."""
        self.activity.append(
            {
                "id": next(self.ids),
                "node_id": f"RA_{len(self.activity)}",
                "before": before or "0" * 40,
                "after": after,
                "ref": ref,
                "timestamp": f"2026-01-01T00:{len(self.activity) % 60:02d}:00Z",
                "activity_type": kind,
                "actor": user(actor),
            }
        )

    def list_activity(self, query: dict[str, list[str]]) -> list[dict[str, Any]]:
        """Newest first (the default `direction`), filtered by `ref` (`refs/heads/X` or `X`)."""
        ref = query.get("ref", [""])[0]
        full = ref if ref.startswith("refs/") or not ref else f"refs/heads/{ref}"
        return [e for e in reversed(self.activity) if not full or e["ref"] == full]
