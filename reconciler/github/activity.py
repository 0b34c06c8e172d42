"""How main reached a merge commit, as GitHub recorded the ref update: a pull request's
merge on github.com, or a push.

GitHub marks a pull request merged as soon as its commits reach the base by any push (a
merge commit made by hand and pushed, a fast-forward push of the approved head: hub-merge(1),
"marked as 'merged' as soon as the newly created merge commit is pushed"), and fills in
`merge_commit_sha` as it would for a merge. So the pull request alone cannot tell a merge
that went through protection from a push that bypassed it. The ref update can:

`GET /repos/{o}/{r}/activity?ref=refs/heads/main` ("List repository activities",
https://docs.github.com/rest/repos/repos#list-repository-activities, operation
`repos/list-activities`) lists main's updates, newest first (`direction` defaults to desc),
each with `before`, `after`, `ref`, `timestamp`, `actor` and `activity_type`, one of
`push, force_push, branch_deletion, branch_creation, pr_merge, merge_queue_merge` (the
`activity` schema of GitHub's OpenAPI description, github/rest-api-description). It pages
by cursor through the `Link` header (`before`/`after` are cursors there, not SHAs), which
`GitHub.pages` follows. A GitHub App or workflow token reads it with the `contents: read`
permission (permissions-required-for-github-apps, as read by its users; the docs page
itself does not say), which the plan job already has to check out; whatever GitHub
answers otherwise refuses here, naming it.

The update to a checked merge commit (`after == commit`) must be a `pr_merge` or
`merge_queue_merge`. A `push` or `force_push` to it refuses naming its actor; so does
finding none (GitHub lists activity only since it began recording it, and a busy history
is read only `MAX_ENTRIES` deep). A rebase merge updates main once, to its last commit:
only that one (the pull request's `merge_commit_sha`) has an entry.
"""

from __future__ import annotations

from collections.abc import Mapping
from itertools import islice
from typing import Any
from urllib.parse import quote

from reconciler.github.api import GitHub, GitHubError

MERGES = frozenset({"pr_merge", "merge_queue_merge"})
"""The `activity_type`s of an update GitHub made by merging a pull request."""
MAX_ENTRIES = 1000
"""The most of main's updates read (10 pages) looking for one commit; older refuses."""


def main_update(github: GitHub, commit: str, branch: str = "main") -> str | None:
    """None when GitHub merged a pull request to move `branch` to `commit`; else why it
    refuses (one sentence, naming what to do)."""
    short = commit[:12]
    ref = quote(f"refs/heads/{branch}", safe="")
    try:
        listed = github.pages(f"/activity?ref={ref}&per_page=100")
        found = [
            entry
            for entry in islice(listed, MAX_ENTRIES)
            if isinstance(entry, Mapping) and entry.get("after") == commit
        ]
    except GitHubError as error:
        return (
            f"could not read how {branch} reached {short} (GET /repos/{{o}}/{{r}}/activity "
            f"answered {error.status or 'nothing'}: {error.message}); the workflow's token "
            "needs `contents: read`"
        )
    pushed = [e for e in found if e.get("activity_type") not in MERGES]
    if pushed:
        return "; ".join(_pushed(e, branch, short) for e in pushed)
    if found:
        return None
    return (
        f"GitHub's activity log of {branch} has no update to {short} (looked through the "
        f"newest {MAX_ENTRIES}): nothing shows a pull request's merge put it there, so it is "
        'not deployed (docs/security.md, "When the deploy refuses a merge")'
    )


def _pushed(entry: Mapping[str, Any], branch: str, short: str) -> str:
    kind = str(entry.get("activity_type") or "an unknown update")
    actor = entry.get("actor")
    login = actor.get("login") if isinstance(actor, Mapping) else None
    who = f"@{login}" if login else "an unknown actor"
    return (
        f"{who} moved {branch} to {short} by a {kind} at "
        f"{entry.get('timestamp') or 'an unknown time'}: GitHub did not merge a pull "
        "request there, so no review vouches for what that push put on main, even if "
        "GitHub marked a pull request merged by it"
    )


HEAD_UPDATES = frozenset({"push", "force_push", "branch_creation"})
"""The updates of a pull request's branch that put commits on it, made by their actor."""


def branch_pushers(github: GitHub, branch: str) -> frozenset[str]:
    """Who pushed commits to `branch` of this repository, as GitHub recorded each update
    (`actor` of its push, force_push and branch_creation entries): unlike a commit's author
    or committer, nothing a commit carries sets it (review A4). A branch name used again
    by a later pull request adds its pushers too (stricter, never looser). Raises
    GitHubError when the log cannot be read, or when it is longer than `MAX_ENTRIES`."""
    ref = quote(f"refs/heads/{branch}", safe="")
    entries = list(islice(github.pages(f"/activity?ref={ref}&per_page=100"), MAX_ENTRIES + 1))
    if len(entries) > MAX_ENTRIES:
        raise GitHubError(0, f"{branch} has more than {MAX_ENTRIES} updates to read")
    found = set()
    for entry in entries:
        if not isinstance(entry, Mapping) or entry.get("activity_type") not in HEAD_UPDATES:
            continue
        actor = entry.get("actor")
        if isinstance(actor, Mapping) and actor.get("login"):
            found.add(str(actor["login"]))
    return frozenset(found)
