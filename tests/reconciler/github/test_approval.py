"""The deploy's approval decision, one behaviour per test (pure: no API, no git)."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from reconciler.github.approval import Evidence, Lookups, PullRequest, Review, decide
from reconciler.github.codeowners import parse

HEAD, OLD, MERGE = "h" * 40, "o" * 40, "m" * 40
OWNERS = parse(
    "* @platform-lead @acme-ml/platform\n"
    "/tenants/acme.yaml @acme-lead @platform-lead @acme-ml/platform\n"
)
PERMISSIONS = {"platform-lead": "admin", "acme-lead": "write", "bob": "write", "reader": "read"}
TEAMS = {"@acme-ml/platform": {"carol"}}


def lookups(permissions: Mapping[str, str] = PERMISSIONS, teams_readable: bool = True) -> Lookups:
    def member(team: str, login: str) -> bool | None:
        return login in TEAMS.get(team, set()) if teams_readable else None

    return Lookups(
        permission=lambda login: permissions.get(login, "none"),
        member=member,
        why_unknown=lambda team: "403 Resource not accessible by integration",
    )


def evidence(
    *reviews: Review, paths: tuple[str, ...] = ("tenants/acme.yaml",), **pull: object
) -> Evidence:
    fields: dict[str, object] = {
        "number": 7,
        "author": "alice",
        "head_sha": HEAD,
        "base_ref": "main",
        "merge_commit_sha": MERGE,
        "merged": True,
    }
    fields.update(pull)
    return Evidence(
        commit=MERGE,
        pull=PullRequest(**fields),  # type: ignore[arg-type]
        reviews=reviews,
        pushers=frozenset({"alice"}),
        changed_paths=paths,
        owners=OWNERS,
    )


def approve(login: str, at: str = HEAD, state: str = "APPROVED") -> Review:
    return Review(login, state, at)


def test_an_owner_approving_the_last_push_is_approved() -> None:
    verdict = decide(evidence(approve("acme-lead")), lookups())
    assert verdict.approved and verdict.approvers == ("acme-lead",) and verdict.missing == ()


def test_no_pull_request_refuses_a_direct_push() -> None:
    verdict = decide(Evidence(commit=MERGE, pull=None), lookups())
    assert not verdict.approved
    assert "no merged pull request into main is listed for mmmmmmmmmmmm" in verdict.missing[0]


def test_a_stale_approval_never_counts() -> None:
    verdict = decide(evidence(approve("acme-lead", at=OLD)), lookups())
    assert not verdict.approved
    assert any(
        "@acme-lead's approval is of oooooooooooo, not of the last push hhhhhhhhhhhh" in m
        for m in verdict.missing
    ), verdict.missing


def test_the_author_cannot_approve_their_own_pull_request() -> None:
    verdict = decide(evidence(approve("alice")), lookups({"alice": "admin"}))
    assert not verdict.approved
    assert "@alice approved their own pull request" in verdict.missing[0]


def test_someone_who_pushed_commits_cannot_approve() -> None:
    found = evidence(approve("acme-lead"))
    pushed = Evidence(**{**found.__dict__, "pushers": frozenset({"alice", "Acme-Lead"})})
    verdict = decide(pushed, lookups())
    assert not verdict.approved
    assert "@acme-lead approved, but pushed commits" in verdict.missing[0]


def test_read_access_does_not_count() -> None:
    verdict = decide(evidence(approve("reader"), paths=("README.md",)), lookups())
    assert not verdict.approved
    assert "@reader approved with read access" in verdict.missing[0]


def test_a_non_owner_of_a_changed_path_is_not_enough() -> None:
    verdict = decide(evidence(approve("bob")), lookups())
    assert not verdict.approved
    assert verdict.missing == (
        "tenants/acme.yaml needs an approval from one of its code owners (@acme-lead, "
        "@platform-lead, @acme-ml/platform); approved by @bob, none of them an owner",
    )


def test_a_team_member_owns_through_the_team() -> None:
    verdict = decide(evidence(approve("carol")), lookups({"carol": "write"}))
    assert verdict.approved, verdict.missing


def test_a_team_that_cannot_be_read_refuses_and_says_why() -> None:
    verdict = decide(evidence(approve("carol")), lookups({"carol": "write"}, teams_readable=False))
    assert not verdict.approved
    assert verdict.missing[-1] == (
        "could not tell whether @acme-ml/platform includes an approver: "
        "403 Resource not accessible by integration"
    )


def test_an_unreadable_team_does_not_refuse_when_another_owner_approved() -> None:
    verdict = decide(evidence(approve("acme-lead")), lookups(teams_readable=False))
    assert verdict.approved, verdict.missing


def test_each_path_needs_its_own_owner() -> None:
    paths = ("tenants/acme.yaml", "reconciler/cli/main.py")
    verdict = decide(evidence(approve("acme-lead"), paths=paths), lookups())
    assert not verdict.approved
    assert verdict.missing[0].startswith("reconciler/cli/main.py needs an approval")


def test_a_later_request_for_changes_blocks_and_a_later_comment_does_not() -> None:
    blocked = decide(
        evidence(approve("acme-lead"), approve("acme-lead", state="CHANGES_REQUESTED")), lookups()
    )
    assert not blocked.approved
    assert "@acme-lead requested changes (their latest review)" in blocked.missing
    commented = decide(
        evidence(approve("acme-lead"), Review("acme-lead", "COMMENTED", HEAD)), lookups()
    )
    assert commented.approved


def test_a_dismissed_approval_counts_for_nothing() -> None:
    verdict = decide(evidence(Review("acme-lead", "DISMISSED", HEAD)), lookups())
    assert not verdict.approved
    assert "has no approval of its last push" in verdict.missing[-1]


def test_a_dismissed_request_for_changes_does_not_bring_back_the_earlier_approval() -> None:
    # Approve, then request changes; the author (write access) dismisses the request. The
    # reviewer's latest opinion is the dismissed review, so they approve nothing.
    verdict = decide(
        evidence(approve("acme-lead"), Review("acme-lead", "DISMISSED", HEAD)), lookups()
    )
    assert not verdict.approved
    assert verdict.approvers == ()
    assert verdict.missing[-1].endswith("(dismissed, so counting for nothing: @acme-lead)"), (
        verdict.missing
    )


def test_a_dismissed_review_neither_approves_nor_blocks_beside_another_approver() -> None:
    verdict = decide(
        evidence(
            Review("bob", "CHANGES_REQUESTED", HEAD),
            Review("bob", "DISMISSED", HEAD),
            approve("acme-lead"),
        ),
        lookups(),
    )
    assert verdict.approved and verdict.approvers == ("acme-lead",), verdict.missing


@pytest.mark.parametrize(
    ("field", "value", "says"),
    [
        ("base_ref", "release", "merged into `release`, not main"),
        ("merge_commit_sha", OLD, "did not merge as mmmmmmmmmmmm"),
        ("merged", False, "did not merge as"),
    ],
)
def test_the_pull_request_must_have_merged_into_main_as_this_commit(
    field: str, value: object, says: str
) -> None:
    verdict = decide(evidence(approve("acme-lead"), **{field: value}), lookups())
    assert not verdict.approved
    assert any(says in m for m in verdict.missing), verdict.missing


def test_anything_unreadable_refuses() -> None:
    found = evidence(approve("acme-lead"))
    partial = Evidence(**{**found.__dict__, "unreadable": ("every changed file of #7",)})
    verdict = decide(partial, lookups())
    assert not verdict.approved
    assert verdict.missing == ("could not read every changed file of #7",)


def test_a_deleted_reviewer_is_nobody() -> None:
    verdict = decide(evidence(Review(None, "APPROVED", HEAD)), lookups())
    assert not verdict.approved
