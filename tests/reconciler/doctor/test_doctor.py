"""`reconciler doctor`'s GitHub checks against the GitHub stand-in (GitHub's shapes and
refusals): each missing setting is named with its fix; classic protection that this token
cannot read (403, as for a workflow's GITHUB_TOKEN) falls back to the rulesets."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from github_world import ENVIRONMENTS, GOOD_RULES, REPO, TOKEN

from reconciler.cli.main import main
from reconciler.doctor.checks import Check, Context, Skip, render, run_checks
from reconciler.doctor.problems import Problem
from tests.workflows.act.github_api import FakeGitHub, Identity
from tests.workflows.act.github_repo import user


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGitHub]:
    server = FakeGitHub(REPO, TOKEN).start()
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    monkeypatch.setenv("GITHUB_REPOSITORY", REPO)
    monkeypatch.setenv("GITHUB_API_URL", server.url)
    try:
        yield server
    finally:
        server.stop()


def doctor(capsys) -> tuple[int, str]:
    code = main(["--root", str(Path.cwd()), "doctor"])
    return code, capsys.readouterr().out


def test_rulesets_and_environments_that_hold_everything_pass(fake: FakeGitHub, capsys) -> None:
    fake.state.rules = list(GOOD_RULES)
    fake.state.environments = dict(ENVIRONMENTS)
    code, out = doctor(capsys)
    assert code == 0, out
    assert out.splitlines()[-1] == "3 checks ok, 10 skipped"
    # The repository's platform.yaml targets the sandbox: no GCP project, said once.
    skipped = [line for line in out.splitlines() if line.startswith("skip ")]
    assert skipped == [
        "skip gcp.apis, gcp.identity-platform, gcp.state-bucket, gcp.kms-key, "
        "gcp.workload-identity, gcp.service-accounts, gcp.custom-roles, gcp.grants, "
        "gcp.impersonation, gcp.platform-state: platform.yaml's target is sandbox: no GCP "
        "project to check"
    ]


def test_each_missing_setting_is_named_with_its_fix(fake: FakeGitHub, capsys) -> None:
    weak = {
        **GOOD_RULES[0]["parameters"],
        "dismiss_stale_reviews_on_push": False,
        "require_last_push_approval": False,
        "require_code_owner_review": False,
    }
    fake.state.rules = [{**GOOD_RULES[0], "parameters": weak}]
    fake.state.environments = {
        "tenant-apply": {**ENVIRONMENTS["tenant-apply"], "deployment_branch_policy": None},
        "tenant-destroy": {**ENVIRONMENTS["tenant-destroy"], "protection_rules": []},
    }
    code, out = doctor(capsys)
    assert code == 1
    for missing in (
        "main does not require stale approvals dismissed when new commits are pushed",
        "main does not require approval of the most recent push by someone other than its pusher",
        "main does not require review from code owners",
        'main does not require the status check "Tenant PR check"',
        "environment tenant-apply may be deployed from any branch",
        "environment tenant-destroy has no required reviewers",
        "environment tenant-adopt does not exist",
    ):
        assert missing in out, out
    # The workflow token cannot read classic protection: said, not silently ignored.
    assert "classic branch protection could not be read (403 Resource not accessible" in out
    assert "fix: reconciler platform up, or Settings → Rules → Rulesets" in out


def test_classic_protection_counts_when_the_token_can_read_it(
    fake: FakeGitHub, capsys, monkeypatch
) -> None:
    fake.tokens["admin"] = Identity(user("admin"), administration=True)
    monkeypatch.setenv("GITHUB_TOKEN", "admin")
    fake.state.protection = {
        "required_pull_request_reviews": {
            "required_approving_review_count": 1,
            "dismiss_stale_reviews": True,
            "require_code_owner_reviews": True,
            "require_last_push_approval": True,
        },
        "required_status_checks": {
            "strict": True,
            "contexts": [],
            "checks": [{"context": "Tenant PR check", "app_id": None}],
        },
    }
    fake.state.environments = dict(ENVIRONMENTS)
    code, out = doctor(capsys)
    assert code == 0, out


def test_no_token_says_what_to_set(monkeypatch, capsys) -> None:
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    code, out = doctor(capsys)
    assert code == 1 and "could not check: GITHUB_TOKEN and GITHUB_REPOSITORY must be set" in out


def test_a_check_that_breaks_is_reported_and_the_others_still_run(tmp_path: Path) -> None:
    def broken(context: Context) -> list:
        raise ValueError("boom")

    results = run_checks(
        [Check("a", "breaks", broken), Check("b", "fine", lambda context: [])], Context(tmp_path)
    )
    assert [(r.check.name, r.ok, r.error) for r in results] == [
        ("a", False, "ValueError: boom"),
        ("b", True, ""),
    ]


def test_a_skipped_check_is_said_and_is_not_a_problem(tmp_path: Path) -> None:
    def nothing_here(context: Context) -> list[Problem]:
        raise Skip("nothing to look at")

    def wrong(context: Context) -> list[Problem]:
        return [Problem("c", "it is wrong", "fix it")]

    checks = [Check("a", "skips", nothing_here), Check("b", "skips", nothing_here)]
    results = run_checks([*checks, Check("c", "finds", wrong)], Context(tmp_path))
    assert [r.ok for r in results] == [True, True, False]
    assert render(results).splitlines() == [
        "skip a, b: nothing to look at",
        "FAIL c: finds",
        "     - it is wrong",
        "       fix: fix it",
        "1 checks, 1 with problems, 2 skipped",
    ]
