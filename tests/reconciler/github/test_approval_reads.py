"""`reconciler approval` end to end on a local repository and the GitHub stand-in
(tests/workflows/act/github_api.py, GitHub's shapes and paging): what it reads, from where,
and that it refuses whatever it cannot read."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from reconciler.cli.main import main
from tests.workflows.act.github_api import ApiError, FakeGitHub, Identity
from tests.workflows.act.github_repo import user

REPO = "acme-ml/tenants"
TOKEN = "ghs_workflow"
OWNERS = "* @platform-lead\n/tenants/acme.yaml @acme-lead @platform-lead\n"


def git(cwd: Path, *args: str) -> str:
    env = {
        "GIT_AUTHOR_NAME": "a",
        "GIT_AUTHOR_EMAIL": "a@example.com",
        "GIT_COMMITTER_NAME": "a",
        "GIT_COMMITTER_EMAIL": "a@example.com",
        "HOME": str(cwd),
        "PATH": "/usr/bin:/bin",
    }
    done = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@dataclass
class World:
    github: FakeGitHub
    clone: Path
    before: str
    merged: str
    monkeypatch: pytest.MonkeyPatch
    waits: list[float]
    """The seconds slept before asking GitHub again (recorded, not slept)."""

    def approval(self, *extra: str, before: str | None = None) -> int:
        self.monkeypatch.setenv("GITHUB_API_URL", self.github.url)
        args = ["--root", str(self.clone), "approval", "--commit", self.merged]
        args += ["--before", self.before if before is None else before, *extra]
        return main(args)


def commit(clone: Path, message: str, files: dict[str, str]) -> str:
    for path, text in files.items():
        (clone / path).parent.mkdir(parents=True, exist_ok=True)
        (clone / path).write_text(text)
    git(clone, "add", "-A")
    git(clone, "commit", "-q", "-m", message)
    return git(clone, "rev-parse", "HEAD")


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    bare, clone = tmp_path / "origin.git", tmp_path / "clone"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(bare))
    git(tmp_path, "clone", "-q", str(bare), str(clone))
    before = commit(clone, "base", {".github/CODEOWNERS": OWNERS, "tenants/acme.yaml": "a: 1\n"})
    git(clone, "push", "-q", "origin", "main")
    git(clone, "checkout", "-q", "-b", "change")
    head = commit(clone, "change acme", {"tenants/acme.yaml": "a: 2\n"})
    git(clone, "push", "-q", "origin", f"{head}:refs/pull/7/head")
    git(clone, "checkout", "-q", "main")
    git(clone, "merge", "-q", "--ff-only", "change")
    git(clone, "push", "-q", "origin", "main")
    world_waits: list[float] = []
    github = FakeGitHub(REPO, TOKEN).start()
    github.max_per_page = 1  # every listing is paged
    github.open_pull_request(7, "change acme", author="alice", head=head, head_ref="change")
    github.push(7, head, [{"filename": "tenants/acme.yaml", "status": "modified"}], [head])
    github.state.permissions.update(
        {"acme-lead": "write", "platform-lead": "admin", "bob": "write"}
    )
    github.merge_pull_request(7, head, base_sha=before)
    # The team's earlier deploy: the last successful push run of the apply workflow ran
    # at main's base (with none on record the check refuses: test_approval_range.py).
    github.state.run("tenant-apply.yml", "push", before, "main", "success")
    # GitHub's pull request listing is asked again while empty: no real waits in tests.
    monkeypatch.setattr("reconciler.github.evidence.sleep", world_waits.append)
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    monkeypatch.setenv("GITHUB_REPOSITORY", REPO)
    monkeypatch.delenv("RECONCILER_GITHUB_TEAMS_TOKEN", raising=False)
    try:
        yield World(github, clone, before, head, monkeypatch, world_waits)
    finally:
        github.stop()


def test_an_owner_approval_of_the_last_push_passes(world: World, capsys) -> None:
    world.github.review(7, "bob", "COMMENTED")
    world.github.review(7, "acme-lead")
    assert world.approval() == 0
    assert "approved: pull request #7" in capsys.readouterr().out
    # Both reviews were read, a page each: the client follows GitHub's `Link` header.
    reads = [r for r in world.github.requests if r.path == f"/repos/{REPO}/pulls/7/reviews"]
    assert len(reads) == 2


def test_a_refusal_is_exit_4_with_an_annotation_per_reason(world: World, capsys) -> None:
    world.github.review(7, "bob")
    assert world.approval("--format", "github") == 4
    out = capsys.readouterr().out
    assert (
        f"::error title=Refused: not approved::pull request #7 (merged as {world.merged[:12]}): "
        "tenants/acme.yaml needs an approval from one of its code owners (@acme-lead, "
        "@platform-lead); approved by @bob"
    ) in out
    assert "nothing was applied or destroyed" in out


def test_a_direct_push_has_no_pull_request(world: World, capsys) -> None:
    world.merged = commit(world.clone, "direct", {"tenants/acme.yaml": "a: 3\n"})
    assert world.approval() == 4
    assert "no merged pull request into main is listed for" in capsys.readouterr().out


def test_a_merge_github_has_not_indexed_yet_is_asked_again(world: World, capsys) -> None:
    # Seconds after the merge GitHub lists no pull request for it, then does.
    world.github.review(7, "acme-lead")
    world.github.state.unindexed[world.merged] = 2
    assert world.approval() == 0, capsys.readouterr().out
    assert world.waits == [2.0, 4.0]


def test_a_direct_push_is_concluded_after_about_30_seconds_of_asking(world: World, capsys) -> None:
    world.merged = commit(world.clone, "direct", {"tenants/acme.yaml": "a: 3\n"})
    assert world.approval() == 4
    assert sum(world.waits) == 30
    assert "no merged pull request into main is listed for" in capsys.readouterr().out


def test_codeowners_comes_from_main_before_the_merge(world: World, capsys) -> None:
    # The pull request also rewrote CODEOWNERS to own acme.yaml itself: it does not count.
    git(world.clone, "checkout", "-q", "-b", "grab", world.before)
    head = commit(
        world.clone,
        "grab",
        {".github/CODEOWNERS": "* @bob\n", "tenants/acme.yaml": "a: 9\n"},
    )
    git(world.clone, "checkout", "-q", "main")
    git(world.clone, "reset", "-q", "--hard", head)
    world.github.open_pull_request(8, "grab", author="alice", head=head, head_ref="grab")
    files = [
        {"filename": ".github/CODEOWNERS", "status": "modified"},
        {"filename": "tenants/acme.yaml", "status": "modified"},
    ]
    world.github.push(8, head, files, [head])
    world.github.merge_pull_request(8, head, base_sha=world.before)
    world.github.review(8, "bob")
    world.merged = head
    assert world.approval() == 4
    out = capsys.readouterr().out
    assert (
        ".github/CODEOWNERS needs an approval from one of its code owners (@platform-lead)" in out
    )


def test_without_before_the_base_is_where_the_pull_request_left_main(world: World, capsys) -> None:
    world.github.review(7, "acme-lead")
    assert world.approval(before="") == 0, capsys.readouterr().out


def test_a_capped_file_listing_refuses(world: World, capsys) -> None:
    world.github.state.pulls[7].files.append({"filename": "reconciler/x.py", "status": "added"})
    world.github.state.pulls[7].listed_files = 1
    world.github.review(7, "platform-lead")
    assert world.approval() == 4
    assert (
        "could not read every changed file of #7: GitHub listed 1 of 2" in capsys.readouterr().out
    )


def test_a_team_owner_needs_a_token_that_reads_teams(world: World, capsys) -> None:
    owners = "* @acme-ml/platform\n"
    world.before = commit(world.clone, "teams", {".github/CODEOWNERS": owners})
    world.github.state.run("tenant-apply.yml", "push", world.before, "main", "success")
    git(world.clone, "checkout", "-q", "-b", "t", world.before)
    head = commit(world.clone, "t", {"tenants/acme.yaml": "a: 5\n"})
    git(world.clone, "checkout", "-q", "main")
    git(world.clone, "merge", "-q", "--ff-only", "t")
    world.github.open_pull_request(9, "t", author="alice", head=head, head_ref="t")
    world.github.push(9, head, [{"filename": "tenants/acme.yaml", "status": "modified"}], [head])
    world.github.merge_pull_request(9, head, base_sha=world.before)
    world.github.review(9, "carol")
    world.github.state.teams["@acme-ml/platform"] = {"carol"}
    world.merged = head

    # The workflow's token: GitHub answers 403 for team membership.
    assert world.approval() == 4
    out = capsys.readouterr().out
    assert "could not tell whether @acme-ml/platform includes an approver" in out
    assert "RECONCILER_GITHUB_TEAMS_TOKEN" in out

    # A token with the organisation's Members: read (a GitHub App's).
    world.github.tokens["app"] = Identity(user("app[bot]"), org_members=True)
    world.monkeypatch.setenv("RECONCILER_GITHUB_TEAMS_TOKEN", "app")
    assert world.approval() == 0, capsys.readouterr().out


def test_an_unreachable_api_refuses(world: World, capsys) -> None:
    world.github.stop()
    assert world.approval("--format", "github") == 4
    assert (
        "::error title=Refused: not approved::could not read the approval"
        in capsys.readouterr().out
    )


def test_two_merged_pull_requests_claiming_the_commit_refuse_naming_both(
    world: World, capsys
) -> None:
    world.github.review(7, "acme-lead")
    # A second pull request that GitHub also lists as merged as this commit (one embedded
    # in the other, or a manual merge it marked merged): whose approval would count?
    world.github.open_pull_request(8, "the same commit", author="mallory", head=world.merged)
    world.github.push(8, world.merged, [], [world.merged])
    world.github.merge_pull_request(8, world.merged, base_sha=world.before)
    assert world.approval() == 4
    out = capsys.readouterr().out
    assert f"2 merged pull requests claim {world.merged[:12]} as their merge: #7, #8" in out, out


def test_a_merge_github_made_on_main_passes(world: World, capsys) -> None:
    world.github.review(7, "acme-lead")
    assert world.approval() == 0
    assert "approved: pull request #7" in capsys.readouterr().out
    reads = [r for r in world.github.requests if r.path == f"/repos/{REPO}/activity"]
    assert reads  # main's update to the merge commit was read (a pr_merge)


def test_a_pushed_merge_commit_that_a_pull_request_claims_refuses(world: World, capsys) -> None:
    # GitHub marks #7 merged when its head reaches main by a plain push (hub-merge(1)): the
    # pull request looks merged, but main's update is a `push` by whoever pushed it.
    world.github.state.activity.clear()
    world.github.pushed(world.before, world.merged, actor="mallory")
    world.github.review(7, "acme-lead")
    assert world.approval() == 4
    out = capsys.readouterr().out
    assert f"@mallory moved main to {world.merged[:12]} by a push" in out
    assert "GitHub did not merge a pull request there" in out


def test_a_merge_commit_with_no_recorded_update_of_main_refuses(world: World, capsys) -> None:
    world.github.state.activity.clear()
    world.github.review(7, "acme-lead")
    assert world.approval() == 4
    assert f"has no update to {world.merged[:12]}" in capsys.readouterr().out


def test_an_unreadable_activity_log_refuses_naming_the_permission(world: World, capsys) -> None:
    def forbidden(query: object) -> list[object]:
        raise ApiError(403, "Resource not accessible by integration")

    world.monkeypatch.setattr(world.github.state, "list_activity", forbidden)
    world.github.review(7, "acme-lead")
    assert world.approval() == 4
    out = capsys.readouterr().out
    assert "could not read how main reached" in out and "needs `contents: read`" in out


def test_someone_github_saw_push_to_the_branch_is_no_approver(world: World, capsys) -> None:
    # bob's commit carries an e-mail mapping to no account (no login), but GitHub
    # recorded his push to the pull request's branch (review A4).
    world.github.state.update_ref("refs/heads/change", "0" * 40, world.merged, "bob", "push")
    world.github.review(7, "bob")
    world.github.review(7, "acme-lead")
    assert world.approval() == 4  # a pusher's approval refuses, as a commit login's does
    assert "@bob approved, but pushed commits" in capsys.readouterr().out
