"""What the approval decision reads: GitHub's REST API for the pull request, git for the
paths that landed and the base's CODEOWNERS.

Endpoints (GitHub REST, API version 2022-11-28; the shapes the stand-in in
tests/workflows/act/github_api.py answers with):
- `GET /repos/{o}/{r}/commits/{sha}/pulls`: "the merged pull request that introduced the
  commit" (https://docs.github.com/rest/commits/commits#list-pull-requests-associated-with-a-commit);
  several may be listed, so the one whose `merge_commit_sha` is the commit is chosen.
- `GET /repos/{o}/{r}/pulls/{n}` (https://docs.github.com/rest/pulls/pulls#get-a-pull-request):
  `user.login`, `head.sha`, `base.ref`, `merged`, `merge_commit_sha`, `commits`,
  `changed_files`.
- `GET .../pulls/{n}/reviews` ("returns in chronological order",
  https://docs.github.com/rest/pulls/reviews#list-reviews-for-a-pull-request).
- `GET .../pulls/{n}/files` ("a maximum of 3000 files",
  https://docs.github.com/rest/pulls/pulls#list-pull-requests-files) and
  `GET .../pulls/{n}/commits` ("a maximum of 250 commits",
  https://docs.github.com/rest/pulls/pulls#list-commits-on-a-pull-request): a listing
  shorter than the pull request's count refuses instead of checking part of it.
- `GET .../collaborators/{user}/permission`
  (https://docs.github.com/rest/collaborators/collaborators#get-repository-permissions-for-a-user).
- `GET /orgs/{org}/teams/{slug}/memberships/{user}`: `state` active, or 404 "if user has no
  team membership" (https://docs.github.com/rest/teams/members#get-team-membership-for-a-user).
  It needs the organisation's Members permission, which a workflow's GITHUB_TOKEN never has
  (its scopes are the repository's: docs `automatic-token-authentication.md`), so a team
  owner is only matched with a token that can read teams (`api.teams_token`).

CODEOWNERS is read from main before the merge (the push's `before`): "the CODEOWNERS file
must be on the base branch of the pull request", so a pull request that edits it does not
change its own owners. Without `before` (a dispatched run), from where the pull request
left main: `git merge-base <commit>^1 <head>`, which is main's side for merge, squash and
rebase merges alike.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cache
from time import sleep
from typing import Any

from reconciler.github.activity import branch_pushers, main_update
from reconciler.github.api import GitHub, GitHubError
from reconciler.github.approval import Evidence, Lookups, PullRequest, Review
from reconciler.github.codeowners import LOCATIONS, CodeOwners, parse
from reconciler.github.git import ZERO, Git, GitError

RETRY_DELAYS = (2.0, 4.0, 8.0, 16.0)
"""Seconds between the asks of a commit's pull requests while GitHub lists none (30 s in
all: the index is filled within seconds of a merge, see `merged_pulls`)."""
MAX_CODEOWNERS_BYTES = 3 * 1024 * 1024
"""GitHub ignores a larger CODEOWNERS ("must be under 3 MB"); here it refuses."""
MACHINE_COMMITTERS = frozenset({"web-flow"})
"""GitHub's committer for commits made on github.com (merges, web edits): not a pusher."""


def _login(user: Any) -> str | None:
    return str(user["login"]) if isinstance(user, Mapping) and user.get("login") else None


def merged_pulls(github: GitHub, commit: str) -> list[Mapping[str, Any]]:
    """Every pull request GitHub lists for `commit` as merged (`merged_at` set), whatever
    its base; the caller picks the one(s) whose `merge_commit_sha` is the commit.

    GitHub fills this listing in shortly after a merge, not with it: an empty answer
    seconds after the push is no proof of a direct push (Songmu/tagpr#333, "depends on an
    internal index that associates commits with PRs. This index update is asynchronous";
    tektoncd/pipelines-as-code#2461 retries the same call). So an empty answer is asked
    again after each of `RETRY_DELAYS` before the commit counts as brought by none."""
    for delay in (*RETRY_DELAYS, None):
        listed = github.pages(f"/commits/{commit}/pulls?per_page=100")
        merged = [p for p in listed if isinstance(p, Mapping) and p.get("merged_at")]
        if merged or delay is None:
            return merged
        sleep(delay)
    return []  # not reached: the last delay is None


def claimants(merged: Iterable[Mapping[str, Any]], commit: str) -> list[Mapping[str, Any]]:
    """The merged pull requests whose merge commit is `commit`. More than one: GitHub
    marked several merged by it (a pull request embedded in another, or a merge made by
    hand and pushed), so nobody can tell whose approval counts, and it refuses."""
    return [p for p in merged if p.get("merge_commit_sha") == commit]


def read_evidence(
    github: GitHub,
    git: Git,
    commit: str,
    before: str = "",
    base: str = "main",
    listed: Mapping[str, Any] | None = None,
) -> Evidence:
    """Everything `approval.decide` needs about `commit` (the merge commit of `listed`,
    when the caller already found its pull request). Raises GitHubError or GitError when
    GitHub or git cannot be read at all (the caller refuses, naming it)."""
    if listed is None:
        found = claimants(merged_pulls(github, commit), commit)
        if len(found) > 1:
            numbers = tuple(sorted(int(p["number"]) for p in found))
            return Evidence(commit, None, claimants=numbers)
        listed = found[0] if found else None
    if listed is None:
        return Evidence(commit, None)
    number = int(listed["number"])
    full = github.get(f"/pulls/{number}")
    pull = PullRequest(
        number=number,
        author=_login(full.get("user")) or "",
        head_sha=str((full.get("head") or {}).get("sha") or ""),
        base_ref=str((full.get("base") or {}).get("ref") or ""),
        merge_commit_sha=full.get("merge_commit_sha"),
        merged=bool(full.get("merged")),
    )
    unreadable: list[str] = []
    reviews = tuple(
        Review(_login(r.get("user")), str(r.get("state") or ""), r.get("commit_id"))
        for r in github.pages(f"/pulls/{number}/reviews?per_page=100")
    )
    files = list(github.pages(f"/pulls/{number}/files?per_page=100"))
    if len(files) != int(full.get("changed_files") or 0):
        unreadable.append(
            f"every changed file of #{number}: GitHub listed {len(files)} of "
            f"{full.get('changed_files')} (it lists at most 3000)"
        )
    commits = list(github.pages(f"/pulls/{number}/commits?per_page=100"))
    if len(commits) != int(full.get("commits") or 0):
        unreadable.append(
            f"every commit of #{number}: GitHub listed {len(commits)} of {full.get('commits')} "
            "(it lists at most 250)"
        )
    pushers = set(_pushers(commits))
    head = full.get("head") or {}
    if (head.get("repo") or {}).get("full_name") == github.repo and head.get("ref"):
        try:  # who GitHub says pushed to the branch (a fork's branch: commit logins only)
            pushers |= branch_pushers(github, str(head["ref"]))
        except GitHubError as error:
            unreadable.append(f"who pushed to {head['ref']} ({error})")
    paths = set(_file_names(files))
    landed_base = before if _usable(git, before, commit) else f"{commit}^1"
    paths.update(git.changed_paths(landed_base, commit))
    owners_at = before if _usable(git, before, commit) else _fork_point(git, commit, pull)
    owners = _codeowners(git, owners_at) if owners_at else None
    if owners is None:
        unreadable.append(f"the CODEOWNERS of main before #{number} merged")
    return Evidence(
        commit=commit,
        pull=pull,
        reviews=reviews,
        pushers=frozenset(pushers),
        changed_paths=tuple(sorted(paths)),
        owners=owners or CodeOwners(()),
        unreadable=tuple(unreadable),
        landing=main_update(github, commit, base),
    )


def _file_names(files: Iterable[Mapping[str, Any]]) -> Iterable[str]:
    for item in files:
        yield str(item["filename"])
        if item.get("previous_filename"):
            yield str(item["previous_filename"])  # a rename changes both names


def _pushers(commits: Iterable[Mapping[str, Any]]) -> Iterable[str]:
    for item in commits:
        for role in ("author", "committer"):
            login = _login(item.get(role))
            if login and login not in MACHINE_COMMITTERS:
                yield login


def _usable(git: Git, before: str, commit: str) -> bool:
    return bool(before) and before != ZERO and git.is_ancestor(before, commit)


def _fork_point(git: Git, commit: str, pull: PullRequest) -> str | None:
    """Where the pull request left main (no push `before`: a dispatched run)."""
    if not git.has_commit(pull.head_sha):
        try:
            git.fetch(f"+refs/pull/{pull.number}/head:refs/remotes/pull/{pull.number}")
        except GitError:
            return None
    if not git.has_commit(pull.head_sha):
        return None
    try:
        return git.merge_base(f"{commit}^1", pull.head_sha)
    except GitError:
        return None


def _codeowners(git: Git, commit: str) -> CodeOwners | None:
    """The CODEOWNERS GitHub reads at `commit` (no file: nobody owns anything)."""
    for location in LOCATIONS:
        data = git.show(commit, location)
        if data is None:
            continue
        if len(data) >= MAX_CODEOWNERS_BYTES:
            return None
        return parse(data.decode("utf-8", "replace"))
    return CodeOwners(())


def lookups(github: GitHub, teams: GitHub | None) -> Lookups:
    """Per-person answers from the API, each asked once."""

    @cache
    def permission(login: str) -> str:
        try:
            found = github.get(f"/collaborators/{login}/permission")
        except GitHubError as error:
            return "no" if error.status == 404 else f"unknown ({error.message})"
        return str((found or {}).get("permission") or "none")

    reasons: dict[str, str] = {}

    @cache
    def member(team: str, login: str) -> bool | None:
        org, _, slug = team[1:].partition("/")
        client = teams or github
        try:
            found = client.get(f"/orgs/{org}/teams/{slug}/memberships/{login}")
        except GitHubError as error:
            if error.status == 404:
                return False
            reasons[team] = (
                f"GitHub answered {error.status or 'nothing'} ({error.message}): the token cannot "
                "read team membership. Set RECONCILER_GITHUB_TEAMS_TOKEN to a token with the "
                "organisation's Members: read permission (a GitHub App's), or name users"
            )
            return None
        return (found or {}).get("state") == "active"

    return Lookups(
        permission=permission,
        member=member,
        why_unknown=lambda team: reasons.get(team, "team membership could not be read"),
    )
