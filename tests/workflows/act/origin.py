"""The repository "on GitHub": a bare git repository the checkout stand-in fetches from.

`Origin` holds the server side (branches, `refs/pull/N/head|merge`), an author's clone
where scenarios edit and commit, and builds the event payloads GitHub would send for a
pull request, a push to main or a dispatch. The initial main is this project's own
working tree (tracked and new files; `tests/` and `bench/` left out: no job reads them),
so the workflows, reconciler and schema under test are the ones being developed. One
change: the platform reviewers are the user `@platform-lead` (PLATFORM_REVIEWER), with
.github/CODEOWNERS written for it, because a workflow's token cannot read team membership
(the approval check then refuses a team-only approval, as it would on GitHub).
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.repo import REPO

OWNER, NAME = "acme-ml", "tenants"
FULL_NAME = f"{OWNER}/{NAME}"
FORK = "mallory/tenants"
LEFT_OUT = ("tests/", "bench/")
PLATFORM_REVIEWER = "platform-lead"

_GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "Author",
    "GIT_AUTHOR_EMAIL": "author@example.com",
    "GIT_COMMITTER_NAME": "Author",
    "GIT_COMMITTER_EMAIL": "author@example.com",
    "GIT_CONFIG_NOSYSTEM": "1",
    "HOME": "/nonexistent",
    "PATH": "/usr/local/bin:/usr/bin:/bin",
}


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, env=_GIT_IDENTITY, check=True, capture_output=True, text=True
    ).stdout.strip()


@dataclass(frozen=True)
class Event:
    """One webhook: its name, its payload, and the commit and ref the run checks out."""

    name: str
    payload: dict[str, Any]
    sha: str
    ref: str


class Origin:
    """The server's bare repository (under `server_root`) and an author's clone."""

    def __init__(self, root: Path) -> None:
        self.server_root = root / "server"
        self.bare = self.server_root / OWNER / NAME
        self.clone = root / "author"
        self.bare.mkdir(parents=True)
        self._main_before: dict[str, str] = {}
        self.on_push: Callable[[str, str], None] = lambda before, after: None
        """Told of each direct push to main (`before`, `after`): the API's `push` activity."""
        """main's head before each commit that moved it (a push event's `before`)."""
        git(self.bare, "init", "-q", "--bare", "-b", "main")
        # The checkout stand-in fetches `github.sha` by id, as actions/checkout does.
        git(self.bare, "config", "uploadpack.allowAnySHA1InWant", "true")
        self._seed()

    @property
    def server_url(self) -> str:
        return self.server_root.as_uri()

    def _seed(self) -> None:
        self.clone.mkdir(parents=True)
        files = git(REPO, "ls-files", "-co", "--exclude-standard", "-z").split("\0")
        for name in filter(None, files):
            source = REPO / name
            if name.startswith(LEFT_OUT) or not source.is_file():
                continue
            (self.clone / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, self.clone / name)
        _platform_reviewers(self.clone)
        git(self.clone, "init", "-q", "-b", "main")
        git(self.clone, "remote", "add", "origin", str(self.bare))
        self.commit("main", "the platform and two tenants", {})

    # --- Authoring ----------------------------------------------------------------------

    def commit(
        self, branch: str, message: str, changes: dict[str, str | None], start: str = "main"
    ) -> str:
        """Commit `changes` (path -> text, None deletes) on `branch` (a new branch starts at
        `start`) and push it. A change to tenants/ also brings .github/CODEOWNERS up to
        date, as an author runs `reconciler codeowners` (tenant-pr.yml checks it)."""
        current = git(self.clone, "branch", "--show-current") if self.head_exists() else ""
        if current != branch:
            exists = branch in git(self.clone, "branch", "--format=%(refname:short)").split()
            new = [] if exists else ["-b"]
            git(self.clone, "checkout", "-q", *new, branch, *([start] if new and current else []))
        for path, text in changes.items():
            target = self.clone / path
            if text is None:
                target.unlink()
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(text)
        if any(path.startswith("tenants/") for path in changes):
            _codeowners(self.clone)
        before = self.sha(branch) if branch == "main" and self.head_exists() else ""
        git(self.clone, "add", "-A")
        git(self.clone, "commit", "-q", "--allow-empty", "-m", message)
        git(self.clone, "push", "-q", "--force", "origin", f"{branch}:refs/heads/{branch}")
        after = git(self.clone, "rev-parse", "HEAD")
        if before:
            self._main_before[after] = before
        if branch == "main":
            self.on_push(before, after)
        return after

    def head_exists(self) -> bool:
        try:
            git(self.clone, "rev-parse", "--verify", "-q", "HEAD")
        except subprocess.CalledProcessError:
            return False
        return True

    def read(self, path: str, ref: str = "main") -> str:
        return git(self.clone, "show", f"{ref}:{path}")

    def sha(self, ref: str = "main") -> str:
        return git(self.clone, "rev-parse", ref)

    # --- Events -------------------------------------------------------------------------

    def changes(self, branch: str, base: str = "main") -> tuple[list[dict[str, Any]], list[str]]:
        """What a pull request of `branch` into `base` lists: its files (GitHub's `diff-entry`
        `filename`, `status`, `previous_filename`) and its commits, oldest first."""
        statuses = {"A": "added", "D": "removed", "M": "modified", "R": "renamed"}
        files = []
        listed = git(self.clone, "diff", "--name-status", "-M", f"{base}...{branch}")
        for line in filter(None, listed.splitlines()):
            code, *names = line.split("\t")
            entry: dict[str, Any] = {"filename": names[-1], "status": statuses[code[0]]}
            if code.startswith("R"):
                entry["previous_filename"] = names[0]
            files.append(entry)
        commits = git(self.clone, "rev-list", "--reverse", f"{base}..{branch}").split()
        return files, commits

    def pull_request(
        self, number: int, branch: str, *, fork: bool = False, base_ref: str = "main"
    ) -> Event:
        """GitHub's test merge of `branch` into `base_ref`, and the `pull_request` payload."""
        base, head = self.sha(base_ref), self.sha(branch)
        scratch = self.clone.parent / f"merge-{number}"
        shutil.rmtree(scratch, ignore_errors=True)
        git(self.clone, "worktree", "add", "-q", "--detach", str(scratch), base)
        try:
            git(scratch, "merge", "-q", "--no-ff", "-m", f"Merge {head} into {base}", head)
            merge = git(scratch, "rev-parse", "HEAD")
        finally:
            git(self.clone, "worktree", "remove", "--force", str(scratch))
        git(
            self.clone,
            "push",
            "-q",
            "--force",
            "origin",
            f"{head}:refs/pull/{number}/head",
            f"{merge}:refs/pull/{number}/merge",
        )
        head_repo = FORK if fork else FULL_NAME
        payload = {
            "action": "synchronize",
            "number": number,
            "pull_request": {
                "number": number,
                "head": {"sha": head, "ref": branch, "repo": {"full_name": head_repo}},
                "base": {"sha": base, "ref": base_ref, "repo": {"full_name": FULL_NAME}},
            },
            "repository": self._repository(),
        }
        return Event("pull_request", payload, merge, f"refs/pull/{number}/merge")

    def workflow_run(self, pull_request: Event, run_id: str, conclusion: str = "success") -> Event:
        """`workflow_run` (completed) of the "Tenant PR" run `run_id` for `pull_request`:
        the trusted preview runs on main's head, as GitHub runs it from the default branch.
        GitHub lists no pull request for a fork's run; neither does this. The listed pull
        request has `{id, number, url, head, base}`, whose repos carry `id, url, name`
        (webhook `workflow_run.pull_requests[]`), and any base: GitHub lists open pull
        requests whose head matches the run's, "not necessarily" the one that triggered it."""
        pr = pull_request.payload["pull_request"]
        fork = pr["head"]["repo"]["full_name"] != FULL_NAME
        repo = {"id": 1, "url": f"https://api.github.invalid/repos/{FULL_NAME}", "name": NAME}
        listed = {
            "id": 100000 + pr["number"],
            "number": pr["number"],
            "url": f"https://api.github.invalid/repos/{FULL_NAME}/pulls/{pr['number']}",
            "head": {"sha": pr["head"]["sha"], "ref": pr["head"]["ref"], "repo": repo},
            "base": {"sha": pr["base"]["sha"], "ref": pr["base"]["ref"], "repo": repo},
        }
        payload = {
            "action": "completed",
            "workflow": {"name": "Tenant PR"},
            "workflow_run": {
                "id": int(run_id),
                "name": "Tenant PR",
                "event": "pull_request",
                "status": "completed",
                "conclusion": conclusion,
                "head_sha": pr["head"]["sha"],
                "head_branch": pr["head"]["ref"],
                "head_repository": {"full_name": pr["head"]["repo"]["full_name"]},
                "pull_requests": [] if fork else [listed],
            },
            "repository": self._repository(),
        }
        return Event("workflow_run", payload, self.sha("main"), "refs/heads/main")

    def merge(self, branch: str) -> str:
        """Fast-forward main to `branch` (the merge button) and push; the new head."""
        before = self.sha("main")
        git(self.clone, "checkout", "-q", "main")
        git(self.clone, "merge", "-q", "--ff-only", branch)
        git(self.clone, "push", "-q", "origin", "main:refs/heads/main")
        after = self.sha("main")
        self._main_before[after] = before
        return after

    def push_event(self, sha: str | None = None, before: str | None = None) -> Event:
        """The `push` to main that brought `sha` (default: main's head); `before` is main's
        head before that push."""
        after = sha or self.sha("main")
        payload = {
            "ref": "refs/heads/main",
            "before": before
            or self._main_before.get(after)
            or git(self.clone, "rev-parse", f"{after}~1"),
            "after": after,
            "deleted": False,
            "repository": self._repository(),
        }
        return Event("push", payload, after, "refs/heads/main")

    def dispatch_event(self, inputs: dict[str, str] | None = None, sha: str | None = None) -> Event:
        """`workflow_dispatch` on main (a scheduled run looks the same to the jobs)."""
        after = sha or self.sha("main")
        payload = {
            "ref": "refs/heads/main",
            "after": after,
            "deleted": False,
            "inputs": dict(inputs or {}),
            "repository": self._repository(),
        }
        return Event("workflow_dispatch", payload, after, "refs/heads/main")

    def checkout_at(self, sha: str, where: Path) -> Path:
        """A clone at `sha`: act reads the workflow files from there (the run's commit)."""
        git(
            self.clone.parent,
            "clone",
            "-q",
            "--shared",
            "--no-checkout",
            str(self.bare),
            str(where),
        )
        git(where, "checkout", "-q", "--detach", sha)
        return where

    @staticmethod
    def _repository() -> dict[str, Any]:
        return {
            "full_name": FULL_NAME,
            "name": NAME,
            "owner": {"login": OWNER},
            "default_branch": "main",
        }


def _platform_reviewers(clone: Path) -> None:
    """platform.yaml's reviewers become the user PLATFORM_REVIEWER, CODEOWNERS to match."""
    settings = clone / "platform.yaml"
    text = settings.read_text()
    start = text.index("  platformReviewers:")
    end = text.index("\n", start)
    settings.write_text(f'{text[:start]}  platformReviewers: ["@{PLATFORM_REVIEWER}"]{text[end:]}')
    assert _codeowners(clone), "the seed's CODEOWNERS could not be written"


def _codeowners(clone: Path) -> bool:
    """`reconciler codeowners` in the clone; False (nothing written) for invalid manifests."""
    from reconciler.cli.github_commands import CODEOWNERS_PATH, codeowners_text
    from reconciler.settings import read_settings

    owners = codeowners_text(clone, read_settings({}))
    if isinstance(owners, str):
        (clone / CODEOWNERS_PATH).write_text(owners)
    return isinstance(owners, str)
