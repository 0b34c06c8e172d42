"""Which merges a deploy brings to the cloud: every first-parent commit of main since the
last successful deploy, each with the pull request that brought it.

An apply converges the whole of main, not only the last merge: a merge whose own run
refused, or never ran (GitHub keeps one pending run per concurrency group and cancels the
one it replaces, docs "Control the concurrency of workflows and jobs"), is deployed by the
next run that succeeds. So the approval check covers `LAST..SHA`:

- `LAST`, the last deployed commit, comes from GitHub itself and needs no credential: the
  `head_sha` of the newest successful `push` run of the apply workflow on main, from
  `GET /repos/{o}/{r}/actions/workflows/{file}/runs?branch=main&event=push&status=success`
  (https://docs.github.com/rest/actions/workflow-runs#list-workflow-runs-for-a-workflow;
  "Anyone with read access to the repository can use this endpoint", and a workflow's
  GITHUB_TOKEN needs `actions: read`). The answer is `{total_count, workflow_runs: [...]}`
  and its order is not documented, so the newest is the highest `run_number` of the first
  page. A run succeeds only when its plan job's approval check of its own range passed, so
  by induction everything up to `LAST` was checked. `LAST` must be an ancestor of `SHA`
  (else main was rewritten: refused). With no successful run on record the check refuses
  (review 1.2): anyone with write access may delete workflow runs ("Anyone with write
  access to the repository can use this endpoint", REST "Delete a workflow run"), so an
  empty list is no proof of a first deploy, and starting from the push's `before` would let
  whoever deleted the runs skip every merge before it.
- An approved pull request may move `LAST` forward by hand (`accepted`, the workflow's
  `ACCEPTED_THROUGH`): the recovery after a refused commit, and the first deploy of a new
  repository (docs/security.md). It must be a full 40-hex commit SHA that git resolves to
  itself: any other revision (`HEAD`, a branch, a tag, a short SHA, which git resolves
  through refs first) is a pointer that moves, so it refuses, naming the value.
- Each commit of `git rev-list --first-parent LAST..SHA` must belong to exactly one merged
  pull request, found by `GET /repos/{o}/{r}/commits/{sha}/pulls`
  (https://docs.github.com/rest/commits/commits#list-pull-requests-associated-with-a-commit,
  "the merged pull request that introduced the commit"). A merge or squash merge is one
  commit, the pull request's `merge_commit_sha`; a rebase merge is several, the last of
  them its `merge_commit_sha` ("the commit that the base branch was updated to", Get a pull
  request), and the earlier ones list the same pull request: they are grouped with it.
- More than `MAX_COMMITS` commits refuse: the check reads about 5 API pages per pull
  request (once per run, in the plan job; the acting jobs re-read only their commit's), and
  a workflow's token has 1,000 requests an hour per repository.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from reconciler.github.api import GitHub
from reconciler.github.approval import Evidence, Lookups, Verdict, decide
from reconciler.github.evidence import claimants, merged_pulls, read_evidence
from reconciler.github.git import Git, GitError

FULL_SHA = re.compile(r"[0-9a-f]{40}")
"""The only form `accepted` takes: a full object name (git resolves it as itself)."""
MAX_COMMITS = 50
"""The most first-parent commits one deploy checks; more refuse, naming this cap."""


class RangeRefused(Exception):
    """The commits to check cannot be told: the message says why and what to do."""


@dataclass(frozen=True)
class Since:
    """Where the check starts (exclusive), and how that was found (one sentence)."""

    commit: str
    said: str


@dataclass(frozen=True)
class Landed:
    """What one pull request brought to main (or one commit that none brought)."""

    commits: tuple[str, ...]
    """First-parent commits, oldest first; the last is the merge commit."""
    base: str
    """main before it: the first parent of its oldest commit ("" for a root commit)."""
    pull: Mapping[str, Any] | None
    """The merged pull request (GitHub's `pull-request-simple`), or None."""
    claimants: tuple[int, ...] = ()
    """Several merged pull requests claiming the merge commit (then `pull` is None)."""

    @property
    def merge(self) -> str:
        return self.commits[-1]


def _short(sha: str) -> str:
    return sha[:12]


def last_deployed(
    github: GitHub,
    git: Git,
    sha: str,
    *,
    workflow: str,
    accepted: str = "",
    branch: str = "main",
) -> Since:
    """`LAST` for `sha` (see the module). Raises RangeRefused or GitHubError."""
    found = _last_run(github, git, sha, workflow, branch)
    if accepted:
        _check_accepted(git, accepted, sha, branch)
        # Accepted past the last deploy, or the last deploy is gone from main's history.
        if isinstance(found, str) or found is None or git.is_ancestor(found.commit, accepted):
            return Since(
                accepted,
                f"commits up to {_short(accepted)} were accepted by an approved pull request "
                "(ACCEPTED_THROUGH in the apply workflow)",
            )
        said = f"{found.said} (ACCEPTED_THROUGH {_short(accepted)} is older: no longer needed)"
        return Since(found.commit, said)
    if isinstance(found, str):
        raise RangeRefused(found)
    if found is not None:
        return found
    raise RangeRefused(
        f"no successful push run of {workflow} on {branch} is on record, so nothing says what "
        "was deployed (runs can be deleted by anyone with write access). A first deploy: the "
        f"platform team sets ACCEPTED_THROUGH in {workflow} to the full SHA of the commit of "
        f"{branch} it vouches for, in an approved pull request (docs/security.md, "
        '"When the deploy refuses a merge")'
    )


def _check_accepted(git: Git, accepted: str, sha: str, branch: str) -> None:
    """`accepted` is a full SHA, resolves to itself, and is in `sha`'s history."""
    where = f"ACCEPTED_THROUGH {accepted!r}"
    if not FULL_SHA.fullmatch(accepted):
        raise RangeRefused(
            f"{where} is not a full 40-character lowercase commit SHA: a branch, tag, `HEAD` "
            "or short SHA names whatever it points to when the check runs. Set it to the full "
            f"SHA of a commit of {branch}"
        )
    try:
        resolved = git.text("rev-parse", "--verify", "--end-of-options", f"{accepted}^{{commit}}")
    except GitError:
        resolved = ""
    if resolved != accepted or not git.is_ancestor(accepted, sha):
        raise RangeRefused(
            f"{where} is not a commit of {branch} before {_short(sha)}: set it to the full "
            f"SHA of a commit from {branch}'s history"
        )


def _last_run(github: GitHub, git: Git, sha: str, workflow: str, branch: str) -> Since | str | None:
    """The last deploy; None when there was none; why it cannot be used (not in main's
    history before `sha`)."""
    query = f"branch={quote(branch)}&event=push&status=success&per_page=100"
    answer = github.get(f"/actions/workflows/{quote(workflow)}/runs?{query}") or {}
    runs = [
        run
        for run in answer.get("workflow_runs") or ()
        if isinstance(run, Mapping)
        and run.get("head_sha")
        and run.get("conclusion") == "success"
        and run.get("event") == "push"
        and run.get("head_branch") == branch
    ]
    if not runs:
        return None
    newest = max(runs, key=lambda run: int(run.get("run_number") or 0))
    head = str(newest["head_sha"])
    named = f"run #{newest.get('run_number')} of {workflow}"
    if git.has_commit(head) and git.is_ancestor(sha, head) and head != sha:
        return (
            f"{_short(sha)} is older than what the last successful {named} on {branch} "
            f"deployed ({_short(head)}): nothing to deploy from this run (a re-run of an older "
            "run?)"
        )
    if not (git.has_commit(head) and git.is_ancestor(head, sha)):
        return (
            f"the last successful {named} on {branch} deployed {_short(head)}, which is not "
            f"in {_short(sha)}'s history: {branch} was rewritten (force-pushed?). Nothing is "
            "deployed until what changed is understood and accepted (docs/security.md, "
            '"When the deploy refuses a merge")'
        )
    return Since(head, f"the last successful {named} on {branch} deployed {_short(head)}")


def _first_parent(git: Git, sha: str) -> str:
    try:
        return git.text("rev-parse", "--verify", "-q", f"{sha}^1")
    except GitError:
        return ""  # a root commit


def first_parent_range(git: Git, since: str, sha: str) -> tuple[str, ...]:
    """`git rev-list --first-parent --reverse since..sha` (oldest first); raises
    RangeRefused beyond MAX_COMMITS."""
    spec = f"{since}..{sha}" if since else sha
    listed = tuple(git.text("rev-list", "--first-parent", "--reverse", spec).split())
    if len(listed) > MAX_COMMITS:
        raise RangeRefused(
            f"{len(listed)} commits reached main after {_short(since) or 'its start'}, more "
            f"than the {MAX_COMMITS} one deploy checks (the cap MAX_COMMITS): check them by "
            'hand, then accept them (docs/security.md, "When the deploy refuses a merge")'
        )
    return listed


def group(github: GitHub, git: Git, commits: tuple[str, ...]) -> list[Landed]:
    """Each pull request, oldest first, with the commits it brought (see the module)."""
    found: list[Landed] = []
    open_pull: Mapping[str, Any] | None = None
    members: list[str] = []
    for commit in reversed(commits):
        merged = merged_pulls(github, commit)
        ending = claimants(merged, commit)
        if open_pull is not None and not ending and _lists(merged, open_pull):
            members.insert(0, commit)  # an earlier commit of the same rebase merge
            continue
        if open_pull is not None or members:
            found.append(_landed(git, members, open_pull))
            open_pull, members = None, []
        if len(ending) > 1:
            numbers = tuple(sorted(int(p["number"]) for p in ending))
            found.append(Landed((commit,), _first_parent(git, commit), None, numbers))
        elif ending:
            open_pull, members = ending[0], [commit]
        else:
            found.append(Landed((commit,), _first_parent(git, commit), None))
    if members:
        found.append(_landed(git, members, open_pull))
    return list(reversed(found))


def _lists(merged: list[Mapping[str, Any]], pull: Mapping[str, Any]) -> bool:
    return any(p.get("number") == pull.get("number") for p in merged)


def _landed(git: Git, members: list[str], pull: Mapping[str, Any] | None) -> Landed:
    return Landed(tuple(members), _first_parent(git, members[0]), pull)


@dataclass(frozen=True)
class Checked:
    """The range a deploy brings, and each pull request's verdict."""

    since: Since
    verdicts: tuple[tuple[Landed, Verdict], ...]

    @property
    def approved(self) -> bool:
        return all(verdict.approved for _, verdict in self.verdicts)


def check(
    github: GitHub,
    git: Git,
    sha: str,
    lookups: Lookups,
    *,
    workflow: str,
    accepted: str = "",
    base: str = "main",
) -> Checked:
    """Every merge in `LAST..sha`, each decided by `approval.decide` (owners of the paths
    that pull request changed, under main's CODEOWNERS before it merged). Raises
    RangeRefused, GitHubError or GitError (the caller refuses, naming it)."""
    since = last_deployed(github, git, sha, workflow=workflow, accepted=accepted, branch=base)
    verdicts = []
    for landed in group(github, git, first_parent_range(git, since.commit, sha)):
        if landed.pull is None:
            evidence = Evidence(landed.merge, None, claimants=landed.claimants)
        else:
            evidence = read_evidence(
                github, git, landed.merge, landed.base, base, listed=landed.pull
            )
        verdicts.append((landed, decide(evidence, lookups, base)))
    return Checked(since, tuple(verdicts))
