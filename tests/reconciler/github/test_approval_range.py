"""`reconciler approval` checks every merge since the last successful deploy, not only the
last one: an apply converges the whole of main (review A1). On a local repository and the
GitHub stand-in, whose workflow runs say what was last deployed."""

from __future__ import annotations

import pytest

from reconciler.github.history import MAX_COMMITS
from tests.reconciler.github.test_approval_reads import World, commit, git, world

__all__ = ["world"]  # the fixture, shared with test_approval_reads.py

APPLY = "tenant-apply.yml"


def merge(world: World, number: int, files: dict[str, str], approver: str = "") -> str:
    """A pull request `number` of one commit changing `files`, merged into main
    (fast-forward: its merge commit is its head), approved by `approver` if given."""
    branch = f"pr-{number}"
    git(world.clone, "checkout", "-q", "-b", branch, "main")
    head = commit(world.clone, branch, files)
    git(world.clone, "checkout", "-q", "main")
    git(world.clone, "merge", "-q", "--ff-only", branch)
    github = world.github
    github.open_pull_request(number, branch, author="alice", head=head, head_ref=branch)
    github.push(number, head, [{"filename": f, "status": "modified"} for f in files], [head])
    github.merge_pull_request(number, head, world.merged)
    if approver:
        github.review(number, approver)
    world.before, world.merged = world.merged, head
    return head


def deployed(world: World, sha: str, event: str = "push", conclusion: str = "success") -> None:
    world.github.state.run(APPLY, event, sha, "main", conclusion)


def test_an_unapproved_merge_is_not_deployed_by_the_next_approved_one(world: World, capsys) -> None:
    # #7 merged with no approval (its run refused, or a newer merge cancelled it) ...
    unapproved = world.merged
    deployed(world, world.before)
    # ... then #9 merges, approved by a code owner.
    merge(world, 9, {"tenants/acme.yaml": "a: 3\n"}, approver="acme-lead")

    assert world.approval("--format", "github") == 4
    out = capsys.readouterr().out
    assert f"since: the last successful run #2 of {APPLY} on main deployed" in out, out
    assert f"approved: pull request #9 (merged as {world.merged[:12]})" in out
    assert (
        f"::error title=Refused: not approved::pull request #7 (merged as {unapproved[:12]}): "
        "pull request #7 has no approval of its last push"
    ) in out, out


def test_a_direct_push_between_two_merges_is_named(world: World, capsys) -> None:
    world.github.review(7, "acme-lead")
    deployed(world, world.merged)
    pushed = commit(world.clone, "direct", {"tenants/acme.yaml": "a: 4\n"})
    world.merged = pushed
    merge(world, 9, {"tenants/acme.yaml": "a: 5\n"}, approver="acme-lead")

    assert world.approval() == 4
    out = capsys.readouterr().out
    assert f"refused: commit {pushed[:12]}: no merged pull request into main is listed for" in out


def test_every_merge_since_the_last_deploy_approved_passes(world: World, capsys) -> None:
    world.github.review(7, "acme-lead")
    deployed(world, world.before)
    deployed(world, world.before, event="workflow_dispatch")  # not a deploy of a push
    deployed(world, world.merged, conclusion="failure")  # #7's own run failed
    merge(world, 9, {"tenants/acme.yaml": "a: 3\n"}, approver="platform-lead")

    assert world.approval() == 0, capsys.readouterr().out
    out = capsys.readouterr().out
    assert "pull request #7" in out and "pull request #9" in out


def test_nothing_merged_since_the_last_deploy_is_approved(world: World, capsys) -> None:
    deployed(world, world.merged)
    assert world.approval() == 0
    assert "nothing reached main after it" in capsys.readouterr().out


def test_no_deploy_on_record_refuses_unless_a_commit_is_accepted(world: World, capsys) -> None:
    # Every successful run deleted (anyone with write access can), or a new repository:
    # nothing says what was deployed, so checking only this push would skip #7's parent.
    world.github.state.runs.clear()
    world.github.review(7, "acme-lead")
    assert world.approval() == 4
    out = capsys.readouterr().out
    assert f"no successful push run of {APPLY} on main is on record" in out, out
    assert "sets ACCEPTED_THROUGH" in out
    # A first deploy: the platform team vouches for main's base; #7 after it is checked.
    assert world.approval("--accepted-through", world.before) == 0, capsys.readouterr().out
    world.github.state.reviews[7].clear()
    assert world.approval("--accepted-through", world.before) == 4


@pytest.mark.parametrize("value", ["HEAD", "main", "origin/main", "SHORT", "UPPER"])
def test_accepted_through_is_a_full_sha_and_nothing_else(world: World, capsys, value: str) -> None:
    # Deployed at the base; #7 (unapproved) and #9 (unapproved) merged since.
    merge(world, 9, {"tenants/acme.yaml": "a: 3\n"})
    if value == "SHORT":
        # A writer's tag named like the short SHA, at main's head: git resolves refs first.
        value = world.before[:8]
        git(world.clone, "tag", value, world.merged)
    elif value == "UPPER":
        value = world.before.upper()
    assert world.approval("--accepted-through", value) == 4
    out = capsys.readouterr().out
    assert f"ACCEPTED_THROUGH {value!r} is not" in out, out
    assert "approved: " not in out


def test_an_accepted_through_older_than_the_last_deploy_is_no_longer_needed(
    world: World, capsys
) -> None:
    world.github.review(7, "acme-lead")
    deployed(world, world.merged)
    assert world.approval("--accepted-through", world.before) == 0
    assert "is older: no longer needed" in capsys.readouterr().out


def test_re_running_an_older_run_says_so(world: World, capsys) -> None:
    old = world.merged
    merge(world, 9, {"tenants/acme.yaml": "a: 3\n"}, approver="acme-lead")
    deployed(world, world.merged)
    world.merged = old
    assert world.approval() == 4
    out = capsys.readouterr().out
    assert f"{old[:12]} is older than what the last successful run #2" in out, out
    assert "force-pushed" not in out


def test_a_last_deploy_outside_mains_history_refuses(world: World, capsys) -> None:
    world.github.review(7, "acme-lead")
    git(world.clone, "checkout", "-q", "-b", "elsewhere", world.before)
    elsewhere = commit(world.clone, "elsewhere", {"x": "1\n"})
    git(world.clone, "checkout", "-q", "main")
    deployed(world, elsewhere)
    assert world.approval() == 4
    assert f"deployed {elsewhere[:12]}, which is not in" in capsys.readouterr().out
    # Understood and accepted up to main's base by an approved pull request: #7 is checked.
    assert world.approval("--accepted-through", world.before) == 0, capsys.readouterr().out


def test_a_rebase_merge_is_one_pull_request(world: World, capsys) -> None:
    world.github.review(7, "acme-lead")
    deployed(world, world.merged)
    git(world.clone, "checkout", "-q", "-b", "two", "main")
    first = commit(world.clone, "one", {"tenants/acme.yaml": "a: 6\n"})
    second = commit(world.clone, "two", {"tenants/acme.yaml": "a: 7\n"})
    git(world.clone, "checkout", "-q", "main")
    git(world.clone, "merge", "-q", "--ff-only", "two")
    github = world.github
    github.open_pull_request(9, "two", author="alice", head=second, head_ref="two")
    github.push(
        9, second, [{"filename": "tenants/acme.yaml", "status": "modified"}], [first, second]
    )
    github.merge_pull_request(9, second, world.merged, first)
    github.review(9, "acme-lead")
    world.merged = second

    assert world.approval() == 0, capsys.readouterr().out
    out = capsys.readouterr().out
    assert f"pull request #9 (merged as 2 commits ending {second[:12]})" in out, out


def test_more_commits_than_the_cap_refuse_naming_it(world: World, capsys) -> None:
    deployed(world, world.merged)
    for index in range(MAX_COMMITS + 1):
        world.merged = commit(world.clone, f"c{index}", {"n": f"{index}\n"})
    assert world.approval() == 4
    out = capsys.readouterr().out
    assert f"{MAX_COMMITS + 1} commits reached main" in out
    assert f"more than the {MAX_COMMITS} one deploy checks" in out


@pytest.mark.parametrize("accepted", [True, False])
def test_an_approved_pull_request_can_accept_a_refused_commit(
    world: World, capsys, accepted: bool
) -> None:
    unapproved = world.merged
    deployed(world, world.before)
    merge(world, 9, {".github/workflows/tenant-apply.yml": "accept\n"}, approver="platform-lead")
    extra = ("--accepted-through", unapproved) if accepted else ()
    assert world.approval(*extra) == (0 if accepted else 4), capsys.readouterr().out


def test_an_acting_job_rechecks_only_the_merge_at_its_commit(world: World, capsys) -> None:
    # The plan job checked #7 and #9 (the range); an acting job, which needs the plan,
    # re-reads only #9's approval: a handful of requests instead of the range's (review 1.5).
    deployed(world, world.before)
    merge(world, 9, {"tenants/acme.yaml": "a: 3\n"}, approver="acme-lead")
    world.github.requests.clear()
    assert world.approval("--only-commit") == 0, capsys.readouterr().out
    paths = [r.path for r in world.github.requests]
    assert not any("/actions/" in p or "/pulls/7" in p for p in paths), paths
    # A code owner's approval withdrawn after the plan: the acting job refuses.
    world.github.review(9, "acme-lead", "CHANGES_REQUESTED")
    assert world.approval("--only-commit") == 4
    assert "@acme-lead requested changes" in capsys.readouterr().out


def test_a_code_owner_approving_after_the_merge_then_a_re_run_passes(world: World, capsys) -> None:
    # GitHub accepts reviews on a merged pull request (cli/cli#5038): #7 was refused,
    # a code owner approves it at its last push afterwards, and the re-run's range passes.
    deployed(world, world.before)
    merge(world, 9, {"tenants/acme.yaml": "a: 3\n"}, approver="acme-lead")
    assert world.approval() == 4
    out = capsys.readouterr().out
    assert "A code owner may still approve a merged pull request at its last push" in out
    world.github.review(7, "acme-lead")  # after the merge
    assert world.approval() == 0, capsys.readouterr().out
