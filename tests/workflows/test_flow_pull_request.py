"""Pull requests through the real tenant-pr.yml (unprivileged: validation) and then
tenant-preview.yml (workflow_run from main: plan, sharded previews, the sticky comment and
the "Tenant preview" status) under act, against the sandbox cloud."""

from __future__ import annotations

import json

import pytest

from tests.workflows.conftest import Scenario
from tests.workflows.manifests import tenant

pytestmark = pytest.mark.e2e

PREVIEW_ACCOUNT = "tenant-preview@demo-act.iam.gserviceaccount.com"


def the_comment(scenario: Scenario, number: int) -> dict:
    comments = scenario.github.comments_on(number)
    assert len(comments) == 1, comments
    return comments[0]


def test_a_new_and_an_edited_tenant_are_previewed_on_two_shards_in_one_comment(
    scenario: Scenario,
) -> None:
    seeded = scenario.reconciler("apply")  # what main already runs
    assert seeded.returncode == 0, seeded.stdout + seeded.stderr
    edited = (
        scenario.origin.read("tenants/tenant-two.yaml").replace(
            "    location: US\n", "    location: US\n    versioning: true\n"
        )
        + "\n"
    )
    assert edited != scenario.origin.read("tenants/tenant-two.yaml")
    scenario.origin.commit(
        "onboard-acme",
        "onboard acme, versioning for tenant-two",
        {"tenants/acme.yaml": tenant("acme"), "tenants/tenant-two.yaml": edited},
    )
    scenario.github.open_pull_request(11, "onboard acme")
    state = scenario.state_tree()

    pr, run = scenario.pull_request(11, "onboard-acme")

    assert pr.code == 0, pr.summary()
    assert pr.results() == {
        "validate": ["success"],
        "changes": ["success"],
        "impact": ["success"],
        "code": ["skipped"],
        "check": ["success"],
    }
    assert run.code == 0, run.summary()
    assert run.results() == {
        "bind": ["success"],
        "plan": ["success"],
        "preview": ["success", "success"],
        "report": ["success"],
    }, run.summary()
    # A tenant-only pull request does not wait for the test suite (issue 26): the `code`
    # job is skipped because nothing outside tenants/ changed.
    assert "tenants/ only: the test suite is not run" in pr.job("changes").output
    shards = sorted(leg.matrix["shard"] for leg in run.legs("preview"))
    assert shards == ["1/2", "2/2"]
    # Each leg uploads under its own index, and the report reads both.
    previews = [
        json.loads((run.artifact(f"tenant-preview-{i}") / "report.json").read_text())
        for i in (0, 1)
    ]
    assert sorted(t["tenant"] for p in previews for t in p["tenants"]) == ["acme", "tenant-two"]
    body = the_comment(scenario, 11)["body"]
    assert "| `acme` | create |" in body, body
    assert "| `tenant-two` | update |" in body, body
    assert "gcp:identityplatform/tenant:Tenant" in body  # acme's resource steps
    assert "gcp:storage/bucket:Bucket" in body  # tenant-two's changed bucket
    assert "**not compared**" in body
    assert [(s["context"], s["state"]) for s in scenario.github.state.statuses] == [
        ("Tenant preview", "success")
    ]
    # Only the plan and the preview legs held the (read-only) credential, which cannot
    # decrypt state: tenant-two's existing stack was previewed from a copy (no passphrase,
    # the sandbox's stand-in for the KMS key), and the state was not written, no lock taken.
    calls = scenario.auth_calls()
    assert sorted(c["job"] for c in calls) == ["plan", "preview", "preview"]
    assert {c["service_account"] for c in calls} == {PREVIEW_ACCOUNT}
    assert {c["decrypt"] for c in calls} == {"no"}
    assert scenario.state_tree() == state


def test_an_invalid_manifest_annotates_fails_validation_and_says_so_in_the_comment(
    scenario: Scenario,
) -> None:
    broken = tenant("acme").replace("kind: Tenant", "kind: Tenent")
    scenario.origin.commit("broken", "a typo", {"tenants/acme.yaml": broken})
    scenario.github.open_pull_request(12, "a typo")

    pr, run = scenario.pull_request(12, "broken")

    assert pr.code != 0
    assert pr.results() == {
        "validate": ["failure"],
        "changes": ["success"],
        "impact": ["success"],
        "code": ["skipped"],
        "check": ["failure"],
    }
    assert [(a.level, a.file, a.line, a.col) for a in pr.job("validate").annotations] == [
        ("error", "tenants/acme.yaml", "2", "7")
    ]
    assert "must be 'Tenant'" in pr.job("validate").annotations[0].message
    # main's validator, on the manifests as data, refuses them too: nothing is planned.
    assert run.results() == {
        "bind": ["success"],
        "plan": ["failure"],
        "preview": ["skipped"],
        "report": ["failure"],
    }, run.summary()
    assert run.job("plan").failed_steps == ["Validate them with main's validator"]
    body = the_comment(scenario, 12)["body"]
    # Every error reaches the author in the comment (annotations stop at 10), with its place.
    assert "1 of 3 manifests invalid" in body and "`tenants/acme.yaml:2:7`" in body, body
    assert "must be 'Tenant'" in body
    assert scenario.auth_calls() == []
    assert [s["state"] for s in scenario.github.state.statuses] == ["failure"]


def test_a_fork_gets_validation_only_and_no_step_that_holds_a_credential(
    scenario: Scenario,
) -> None:
    scenario.origin.commit("fork-acme", "onboard acme", {"tenants/acme.yaml": tenant("acme")})
    scenario.github.open_pull_request(13, "onboard acme (from a fork)")

    pr, run = scenario.pull_request(13, "fork-acme", fork=True)

    assert pr.code == 0, pr.summary()
    assert pr.results() == {
        "validate": ["success"],
        "changes": ["success"],
        "impact": ["success"],
        "code": ["skipped"],
        "check": ["success"],
    }
    assert run.code == 0, run.summary()
    assert run.results() == {
        "bind": ["skipped"],
        "plan": ["skipped"],
        "preview": ["skipped"],
        "report": ["skipped"],
    }, run.summary()
    assert scenario.auth_calls() == []
    assert scenario.github.writes() == []
    assert pr.leaked(scenario.session.secrets) == run.leaked(scenario.session.secrets) == []


def test_a_provider_fault_names_the_failed_tenant_then_a_fix_edits_the_same_comment(
    scenario: Scenario,
) -> None:
    scenario.origin.commit("acme", "onboard acme", {"tenants/acme.yaml": tenant("acme")})
    scenario.github.open_pull_request(14, "onboard acme")

    _, faulty = scenario.pull_request(
        14, "acme", environment={"SANDBOX_FAULTS": "check:acme-data:fail"}
    )

    assert faulty.code != 0
    assert faulty.job("preview").failed_steps == ["Preview this shard"], faulty.summary()
    assert faulty.job("report").failed_steps == [
        "Fail on failed or blocked tenants, or a missing shard report"
    ]
    assert scenario.github.state.statuses[-1]["state"] == "failure"
    first = the_comment(scenario, 14)
    assert "`acme` failed" in first["body"], first["body"]

    scenario.origin.commit("acme", "retry", {})
    _, fixed = scenario.pull_request(14, "acme")

    assert fixed.code == 0, fixed.summary()
    second = the_comment(scenario, 14)
    assert second["id"] == first["id"]  # edited in place, not a second comment
    assert "| `acme` | create | planned" in second["body"] or "planned" in second["body"]
    assert "failed" not in second["body"].split("|")[0]
    assert scenario.github.state.statuses[-1]["state"] == "success"


def test_a_program_change_gets_its_impact_in_the_comment_and_no_job_it_steers_a_credential(
    scenario: Scenario,
) -> None:
    context = scenario.origin.read("reconciler/program/context.py")
    relabelled = context.replace('MANAGED_BY = "tenant-gitops"', 'MANAGED_BY = "tenant-gitops-v2"')
    assert relabelled != context
    scenario.origin.commit(
        "relabel", "label buckets anew", {"reconciler/program/context.py": relabelled + "\n"}
    )
    scenario.github.open_pull_request(16, "label buckets anew")

    pr, run = scenario.pull_request(16, "relabel")

    assert pr.code == 0, pr.summary()
    assert pr.results()["impact"] == ["success"], pr.summary()
    changes = pr.job("changes").output
    assert "changes code: the test suite runs" in changes
    assert "reconciler/program/context.py" in changes
    assert run.code == 0, run.summary()
    body = the_comment(scenario, 16)["body"]
    # The fleet line, the groups and the first tenants' details, as data from the PR's run.
    assert "**updates 2 of 2 tenants: bucket labels; replaces nothing**" in body, body
    assert "| bucket labels | 2 | `tenant-one`, `tenant-two` |" in body
    assert "<code>labels.managed-by</code>: <code>tenant-gitops</code> →" in body
    assert "**not a control**" in body
    assert "changes code (1 path(s) outside `tenants/`)" in body
    # The pull request's code ran only where no credential is: tenant-pr.yml held none;
    # only the preview's plan (main's code) authenticated, read-only.
    steered = {job.job_id for job in pr.jobs}
    assert steered == {"validate", "impact", "changes", "code", "check"}
    calls = scenario.auth_calls()
    assert calls and not {c["job"] for c in calls} & steered
    assert {c["service_account"] for c in calls} == {PREVIEW_ACCOUNT}
    assert pr.leaked(scenario.session.secrets) == run.leaked(scenario.session.secrets) == []
