"""Approval is the control (issue 22), under act on the real workflow files: four attacks,
each ending with nothing deployed and the reason named.

- A pull request whose own code rewrites its manifests before the upload: the preview
  reads the pull request's commit from git, shows what it really changes, and names the
  mismatch.
- A pull request based on a branch other than main: the preview posts nothing.
- A merge whose only approval is of an earlier push: the deploy refuses before its
  credential.
- A merge approved by someone who owns no changed path: the deploy refuses the same way.
- A merge nobody approved, followed by an approved one: the deploy of the second refuses,
  naming the first (an apply converges all of main, so every merge since the last
  successful run is checked).
"""

from __future__ import annotations

import pytest

from tests.workflows.conftest import Scenario
from tests.workflows.manifests import tenant

pytestmark = pytest.mark.e2e

DEPLOY = "tenant-deploy@demo-act.iam.gserviceaccount.com"
APPROVAL_STEP = (
    "Was every merge since the last deploy approved? "
    "(a code owner of every changed path, after its last push)"
)


def rewriter(path: str, text: str) -> str:
    """A pull request's `reconciler/__init__.py`: on import (its own `reconciler validate`,
    before the artifact upload), it puts `text` back into `path`."""
    return (
        '"""(a pull request\'s change)"""\n'
        "import pathlib\n"
        f"pathlib.Path({path!r}).write_text({text!r})\n"
        'print("MANIFEST-REWRITTEN")\n'
    )


def test_a_pr_whose_code_rewrites_its_manifests_is_previewed_as_committed(
    scenario: Scenario,
) -> None:
    seeded = scenario.reconciler("apply")
    assert seeded.returncode == 0, seeded.stdout + seeded.stderr
    original = scenario.origin.read("tenants/tenant-two.yaml") + "\n"
    # What the pull request really merges: a second admin on tenant-two.
    widened = original.replace(
        "    admins:\n", "    admins:\n      - user:mallory@evil.example.com\n", 1
    )
    assert widened != original
    scenario.origin.commit(
        "sneaky",
        "onboard acme",
        {
            "tenants/acme.yaml": tenant("acme"),
            "tenants/tenant-two.yaml": widened,
            "reconciler/__init__.py": rewriter("tenants/tenant-two.yaml", original),
        },
    )
    scenario.github.open_pull_request(51, "onboard acme")

    pr, preview = scenario.pull_request(51, "sneaky")

    assert "MANIFEST-REWRITTEN" in pr.job("validate").output, pr.summary()
    body = scenario.github.comments_on(51)[0]["body"]
    # The comment shows the commit's tenant-two change, not the rewritten upload ...
    assert "| `tenant-two` | update |" in body, body
    # ... and names what the pull request's own run did.
    assert "differ from its commit" in body, body
    assert scenario.github.state.statuses[-1]["state"] == "failure"
    assert preview.code != 0, preview.summary()


def test_a_pr_based_on_another_branch_gets_no_preview(scenario: Scenario) -> None:
    origin = scenario.origin
    origin.commit("release", "a release branch", {})
    origin.commit(
        "onto-release", "onboard acme", {"tenants/acme.yaml": tenant("acme")}, start="release"
    )
    scenario.github.open_pull_request(52, "onboard acme (into release)")

    _, preview = scenario.pull_request(52, "onto-release", base_ref="release")

    assert scenario.github.comments_on(52) == [], preview.summary()
    assert scenario.github.state.statuses == []
    assert scenario.auth_calls() == []
    notices = [a.message for job in preview.jobs for a in job.annotations]
    assert any("base is `release`, not main" in n for n in notices), notices


def refused_apply(scenario: Scenario, *absent: str) -> list[str]:
    """Run the apply for main's head; assert its plan refused at the approval step before
    any credential, so no shard ran and none of `absent` (default acme) was deployed; the
    refusals."""
    run = scenario.harness.run("tenant-apply.yml", scenario.origin.push_event())
    assert run.code != 0, run.summary()
    plan = run.job("plan")
    assert plan.failed_steps == [APPROVAL_STEP], run.summary()
    assert not any(leg.ran for leg in run.legs("apply")), run.summary()
    assert "Refused: not approved" in run.log
    assert scenario.auth_calls() == []  # not even the read-only identity
    deployed = scenario.reconciler("outputs", "--format", "json").stdout
    assert not any(f'"{name}"' in deployed for name in absent or ("acme",)), deployed
    return [a.message for a in plan.annotations if a.level == "error"]


def test_a_merge_with_only_a_stale_approval_deploys_nothing(scenario: Scenario) -> None:
    origin, github = scenario.origin, scenario.github
    first = origin.commit("stale", "onboard acme", {"tenants/acme.yaml": tenant("acme")})
    github.open_pull_request(53, "onboard acme")
    scenario.sync_pull(53, "stale")
    github.review(53, "platform-lead")  # approves the first push
    # The author pushes again after the approval; nobody approves the new push.
    origin.commit(
        "stale", "and unprotect it", {"tenants/acme.yaml": tenant("acme", protected=False)}
    )
    scenario.merge(53, "stale", approved_by=())

    reasons = refused_apply(scenario)

    assert any(
        f"@platform-lead's approval is of {first[:12]}, not of the last push" in r for r in reasons
    ), reasons


def test_a_merge_approved_by_a_non_owner_of_the_tenant_file_deploys_nothing(
    scenario: Scenario,
) -> None:
    scenario.origin.commit("onboard", "onboard acme", {"tenants/acme.yaml": tenant("acme")})
    scenario.github.open_pull_request(54, "onboard acme")
    # tenant-one's reviewer has write access and owns tenants/tenant-one.yaml only.
    scenario.merge(54, "onboard", approved_by=("tenant-one-lead",))

    reasons = refused_apply(scenario)

    assert any(
        "tenants/acme.yaml needs an approval from one of its code owners (@platform-lead); "
        "approved by @tenant-one-lead" in r
        for r in reasons
    ), reasons


def test_an_unapproved_merge_then_an_approved_one_deploys_nothing(scenario: Scenario) -> None:
    origin, github = scenario.origin, scenario.github
    seeded = scenario.reconciler("apply")  # main as it runs today ...
    assert seeded.returncode == 0, seeded.stdout + seeded.stderr
    # ... which the last successful run of the apply workflow deployed.
    github.state.run("tenant-apply.yml", "push", origin.sha("main"), "main", "success")
    # #55 merges with no approval (protection bypassed); its run never happened (a newer
    # merge's run replaced it while queued) ...
    origin.commit("sneak", "onboard beta", {"tenants/beta.yaml": tenant("beta")})
    github.open_pull_request(55, "onboard beta")
    unapproved = scenario.merge(55, "sneak", approved_by=())
    # ... then #56 merges, approved by a code owner of everything it changes.
    origin.commit("gamma", "onboard gamma", {"tenants/gamma.yaml": tenant("gamma")})
    github.open_pull_request(56, "onboard gamma")
    approved = scenario.merge(56, "gamma")

    reasons = refused_apply(scenario, "beta", "gamma")

    assert any(
        r.startswith(f"pull request #55 (merged as {unapproved[:12]}): pull request #55 has no ")
        for r in reasons
    ), reasons
    assert not any("#56" in r for r in reasons), reasons  # #56 itself was approved
    assert approved != unapproved
