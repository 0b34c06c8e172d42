"""Was this merged commit approved as a deploy requires? The pure decision.

The deploy (apply, destroy, replace) asks before it takes its credential, whatever branch
protection says or was set to when the pull request merged (Atlantis refuses `apply`
unless the change is approved, mergeable and undiverged; this is our version of it). A
commit is approved when:

1. a pull request into main brought it: its `merge_commit_sha` is the commit
   (merge, squash and rebase merges all end main there; GET /repos/{o}/{r}/pulls/{n},
   https://docs.github.com/rest/pulls/pulls#get-a-pull-request), and no other merged pull
   request claims it, and main's update to it was GitHub's merge of it (`pr_merge` or
   `merge_queue_merge`), not a push GitHub then marked as its merge
   (`reconciler.github.activity`);
2. nobody's latest opinionated review asks for changes, and someone approved it who is
   not its author (nor the author or committer of any of its commits, nor anyone GitHub
   recorded pushing to its branch, `activity.branch_pushers`: GitHub's
   "most recent push must be approved by someone other than the person who pushed it"),
   has write or admin access ("approving reviews from people with write or admin
   permissions", docs `approving-a-pull-request-with-required-reviews.md`), and approved
   the last push: the review's `commit_id` is the pull request's `head.sha` (stricter
   than GitHub's diff-based dismissal: an approval of an earlier push never counts);
3. every path it changes has, among those approvers, one of its owners under the base
   branch's CODEOWNERS (`reconciler.github.codeowners`): the user, or a member of the team.

A reviewer's opinion is their latest review that is APPROVED, CHANGES_REQUESTED or
DISMISSED; COMMENTED and PENDING say nothing (GraphQL `PullRequest.latestOpinionatedReviews`,
enum `PullRequestReviewState`). A dismissed review is that reviewer's latest opinion and
counts as neither approval nor request for changes: it never brings back the reviewer's
earlier approval. Dismissing "changes the status of the review to a review comment" and
anyone with write access may do it (docs `dismissing-a-pull-request-review.md`,
https://docs.github.com/pull-requests/collaborating-with-pull-requests/reviewing-changes-in-pull-requests/dismissing-a-pull-request-review),
so approve, request changes, then the author dismisses the request, would otherwise count
the approval the reviewer withdrew (the same bug: palantir/policy-bot#119, "Dismissing
negative review shouldn't use prior approve").
Anything that cannot be read refuses: the decision never guesses in the deploy's favour.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from reconciler.github.codeowners import CodeOwners

WRITERS = frozenset({"admin", "write"})
"""`GET /repos/{o}/{r}/collaborators/{user}/permission`'s levels that may approve ("the
`maintain` role is mapped to `write`")."""
OPINIONS = frozenset({"APPROVED", "CHANGES_REQUESTED", "DISMISSED"})
"""The review states that replace a reviewer's earlier opinion (see the module's rules)."""


@dataclass(frozen=True)
class PullRequest:
    """The fields of a pull request the decision reads."""

    number: int
    author: str
    head_sha: str
    base_ref: str
    merge_commit_sha: str | None
    merged: bool


@dataclass(frozen=True)
class Review:
    """One review, in the order GitHub lists them (chronological)."""

    reviewer: str | None
    """The reviewer's login; None for a deleted account."""
    state: str
    commit_id: str | None


@dataclass(frozen=True)
class Evidence:
    """Everything read about one commit's pull request."""

    commit: str
    pull: PullRequest | None
    """None: no merged pull request into main brought the commit."""
    reviews: tuple[Review, ...] = ()
    pushers: frozenset[str] = frozenset()
    """Logins of the authors and committers of the pull request's commits, and of who
    GitHub recorded pushing to its branch (a branch of this repository)."""
    changed_paths: tuple[str, ...] = ()
    owners: CodeOwners = field(default_factory=lambda: CodeOwners(()))
    unreadable: tuple[str, ...] = ()
    """What could not be read completely (each one refuses)."""
    claimants: tuple[int, ...] = ()
    """With `pull` None: the merged pull requests that all claim the commit as their merge
    (`merge_commit_sha`), when there are several (refused: whose approval would count?)."""
    landing: str | None = None
    """Why main's update to the commit was no pull request's merge on GitHub (a push, or
    none found: `reconciler.github.activity`); None when GitHub merged it there."""


@dataclass(frozen=True)
class Lookups:
    """Answers the decision needs per person: their access, their teams."""

    permission: Callable[[str], str]
    """A login's permission on the repository: admin, write, read or none."""
    member: Callable[[str, str], bool | None]
    """Whether a login is in `@org/team`; None when that cannot be told (with `why`)."""
    why_unknown: Callable[[str], str] = lambda team: "team membership could not be read"


@dataclass(frozen=True)
class Verdict:
    approved: bool
    pull: int | None
    approvers: tuple[str, ...]
    """Who approved the last push and counts (not the author, write access)."""
    missing: tuple[str, ...]
    """What is missing, one sentence each (empty when approved)."""


def _short(sha: str | None) -> str:
    return (sha or "an unknown commit")[:12]


def _same(a: str, b: str) -> bool:
    return a.lower() == b.lower()  # GitHub logins ignore case


def latest_opinions(reviews: Sequence[Review]) -> dict[str, Review]:
    """Each reviewer's latest APPROVED, CHANGES_REQUESTED or DISMISSED review, by lowercase
    login (a DISMISSED one approves nothing and blocks nothing)."""
    found: dict[str, Review] = {}
    for review in reviews:
        if review.reviewer and review.state in OPINIONS:
            found[review.reviewer.lower()] = review
    return found


def decide(evidence: Evidence, lookups: Lookups, base: str = "main") -> Verdict:
    """Approved, or every reason it is not (see the module's rules)."""
    pull = evidence.pull
    if pull is None and len(evidence.claimants) > 1:
        numbers = ", ".join(f"#{n}" for n in evidence.claimants)
        return Verdict(
            False,
            None,
            (),
            (
                f"{len(evidence.claimants)} merged pull requests claim "
                f"{_short(evidence.commit)} as their merge: {numbers}. Only one pull "
                "request's approval can vouch for a merge commit: find out how the commit "
                "reached main (a merge made by hand and pushed?)",
            ),
        )
    if pull is None:
        return Verdict(
            False,
            None,
            (),
            (
                f"no merged pull request into {base} is listed for {_short(evidence.commit)} "
                "(GitHub lists it shortly after a merge, and was asked for 30 s: if a pull "
                "request did merge it, re-run in a few minutes); a direct push is not deployed",
            ),
        )
    missing = [f"could not read {what}" for what in evidence.unreadable]
    if evidence.landing:
        missing.append(evidence.landing)
    if not pull.merged or pull.merge_commit_sha != evidence.commit:
        missing.append(f"pull request #{pull.number} did not merge as {_short(evidence.commit)}")
    if pull.base_ref != base:
        missing.append(f"pull request #{pull.number} merged into `{pull.base_ref}`, not {base}")
    approvers, refused = _approvers(pull, evidence, lookups)
    missing += refused
    if not approvers:
        dismissed = sorted(
            f"@{r.reviewer}"
            for r in latest_opinions(evidence.reviews).values()
            if r.state == "DISMISSED"
        )
        missing.append(
            f"pull request #{pull.number} has no approval of its last push "
            f"({_short(pull.head_sha)}) by someone with write access other than its author"
            + (
                f" (dismissed, so counting for nothing: {', '.join(dismissed)})"
                if dismissed
                else ""
            )
        )
    else:
        missing += _unowned(evidence, approvers, lookups)
    return Verdict(not missing, pull.number, tuple(approvers), tuple(missing))


def _approvers(
    pull: PullRequest, evidence: Evidence, lookups: Lookups
) -> tuple[list[str], list[str]]:
    """Who counts, and why each other opinion does not (changes requested blocks)."""
    approvers: list[str] = []
    refused: list[str] = []
    pushers = {p.lower() for p in evidence.pushers}
    for login, review in latest_opinions(evidence.reviews).items():
        name = f"@{review.reviewer}"
        if review.state == "DISMISSED":
            continue  # withdrawn: neither approves nor blocks (see the module's rules)
        if review.state == "CHANGES_REQUESTED":
            refused.append(f"{name} requested changes (their latest review)")
            continue
        if _same(review.reviewer or "", pull.author):
            refused.append(
                f"{name} approved their own pull request: the author's approval never counts"
            )
        elif login in pushers:
            refused.append(f"{name} approved, but pushed commits to the pull request")
        elif review.commit_id != pull.head_sha:
            refused.append(
                f"{name}'s approval is of {_short(review.commit_id)}, not of the last push "
                f"{_short(pull.head_sha)} (stale: approve again after the last push)"
            )
        elif (level := lookups.permission(review.reviewer or "")) not in WRITERS:
            refused.append(
                f"{name} approved with {level} access: only write or admin approvals count"
            )
        else:
            approvers.append(review.reviewer or "")
    return approvers, refused


def _unowned(evidence: Evidence, approvers: Sequence[str], lookups: Lookups) -> list[str]:
    """Each changed path whose owners include none of `approvers`, with what would do."""
    missing: list[str] = []
    unknown: dict[str, str] = {}
    for path in evidence.changed_paths:
        owners = evidence.owners.owners_of(path)
        if not owners:
            continue  # nobody owns it: the approval of the pull request is enough
        unsure: dict[str, str] = {}
        if any(_owns(owner, who, lookups, unsure) for owner in owners for who in approvers):
            continue
        unknown.update(unsure)
        by = ", ".join(f"@{a}" for a in approvers)
        missing.append(
            f"{path} needs an approval from one of its code owners ({', '.join(owners)}); "
            f"approved by {by}, none of them an owner"
        )
    missing += [
        f"could not tell whether {team} includes an approver: {why}"
        for team, why in unknown.items()
    ]
    return missing


def _owns(owner: str, login: str, lookups: Lookups, unknown: dict[str, str]) -> bool:
    if not owner.startswith("@"):
        unknown.setdefault(
            owner, "an email owner cannot be matched to a login: name @users or @org/teams"
        )
        return False
    if "/" not in owner:
        return _same(owner[1:], login)
    answer = lookups.member(owner, login)
    if answer is None:
        unknown.setdefault(owner, lookups.why_unknown(owner))
        return False
    return answer
