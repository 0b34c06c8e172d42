"""Main through the real tenant-apply.yml and tenant-drift.yml under act: sharded applies
that create tenants in the emulator (each merge approved by a code owner), a decommission
that waits for the destroy job, and the drift issue's life (open, update, close)."""

from __future__ import annotations

import json
import secrets
from pathlib import Path

import pytest

from sandbox.provider.secretmanager import put_secret
from tests.e2e import identity
from tests.workflows.act.runner import RunResult
from tests.workflows.conftest import PROJECT, Scenario
from tests.workflows.manifests import tenant

pytestmark = pytest.mark.e2e

DEPLOY_ACCOUNT = "tenant-deploy@demo-act.iam.gserviceaccount.com"
PREVIEW_ACCOUNT = "tenant-preview@demo-act.iam.gserviceaccount.com"


def test_a_merge_applies_on_shards_and_a_second_run_changes_nothing(scenario: Scenario) -> None:
    origin, github = scenario.origin, scenario.github
    origin.commit(
        "onboard",
        "onboard acme and beta",
        {
            "tenants/acme.yaml": tenant("acme"),
            "tenants/beta.yaml": tenant("beta"),
        },
    )
    github.open_pull_request(21, "onboard acme and beta")
    scenario.merge(21, "onboard")

    run = scenario.harness.run("tenant-apply.yml", origin.push_event())

    assert run.code == 0, run.summary()
    assert run.results()["apply"] == ["success"] * len(run.legs("apply")), run.summary()
    assert run.results()["page"] == ["success"], run.summary()
    page = (run.artifact("tenant-fleet-page") / "fleet.html").read_text()
    assert all(f'id="tenant-{name}"' in page for name in ("acme", "beta", "tenant-one"))
    assert len(run.legs("apply")) >= 2
    assert run.job("report").result == "success"
    deployed = scenario.tenant_ids()
    assert sorted(deployed) == ["acme", "beta", "tenant-one", "tenant-two"]
    assert set(deployed.values()) <= identity.tenant_ids(scenario.emulator_host, PROJECT)
    comment = github.comments_on(21)
    assert len(comment) == 1 and "`acme`" in comment[0]["body"], comment
    deploys = [c for c in scenario.auth_calls() if c["job"] == "apply"]
    assert len(deploys) == len(run.legs("apply"))
    assert {c["service_account"] for c in deploys} == {DEPLOY_ACCOUNT}

    # A second push that changes no tenant's meaning (a comment): nothing to apply, the
    # shard job is skipped (not "never ran"), the report is green, the cloud unchanged.
    annotated = "# Onboarded in #21.\n" + tenant("acme")
    origin.commit("annotate", "a comment", {"tenants/acme.yaml": annotated})
    scenario.merge(22, "annotate")
    again = scenario.harness.run("tenant-apply.yml", origin.push_event())

    assert again.code == 0, again.summary()
    assert again.results() == {
        "plan": ["success"],
        "apply": ["skipped"],
        "page": ["success"],
        "report": ["success"],
        "destroy": ["skipped"],
        "replace": ["skipped"],
    }
    assert scenario.tenant_ids() == deployed
    # The plan checked the applied Secret Manager versions (metadata only) and could tell.
    reasons = _plan_reasons(again)
    assert reasons["tenant-one"] == "up to date", reasons

    # tenant-one's client secret is rotated in Secret Manager: a run with no inputs (or the
    # next merge) sees the newer version in its plan and rolls it out, without force.
    put_secret(
        PROJECT,
        "tenant-tenant-one-google-client-secret",
        "rotated-" + secrets.token_hex(8),
        db_path=Path(scenario.session.cloud["SANDBOX_STATE_DB"]),
    )
    rotated = scenario.harness.run("tenant-apply.yml", origin.dispatch_event())

    assert rotated.code == 0, rotated.summary()
    reasons = _plan_reasons(rotated)
    assert reasons["tenant-one"] == (
        "client secret of google.com rotated in Secret Manager: version 1 → 2"
    ), reasons
    assert rotated.results()["apply"] == ["success"], rotated.summary()
    assert _plan_reasons(scenario.harness.run("tenant-apply.yml", origin.dispatch_event())) == {
        name: "up to date" for name in deployed
    }


def _plan_reasons(run: RunResult) -> dict[str, str]:
    plan = json.loads((run.artifact("tenant-plan") / "plan.json").read_text())
    return {entry["tenant"]: entry["reason"] for entry in plan["tenants"]}


def test_a_protected_tenant_is_blocked_in_the_pull_request_and_destroyed_after_decommission(
    scenario: Scenario,
) -> None:
    origin, github = scenario.origin, scenario.github
    # Four tenants, so deleting one stays within reconcile.maxDeleteFraction (0.25).
    origin.commit(
        "main",
        "more tenants",
        {
            "tenants/acme.yaml": tenant("acme"),
            "tenants/beta.yaml": tenant("beta"),
        },
    )
    seeded = scenario.reconciler("apply")
    assert seeded.returncode == 0, seeded.stdout + seeded.stderr
    acme_id = scenario.tenant_ids()["acme"]

    origin.commit("drop-acme", "remove acme", {"tenants/acme.yaml": None})
    github.open_pull_request(31, "remove acme")
    _, pr = scenario.pull_request(31, "drop-acme")

    assert github.state.statuses[-1]["state"] == "failure", pr.summary()
    assert pr.job("report").failed_steps == [
        "Fail on failed or blocked tenants, or a missing shard report"
    ]
    body = github.comments_on(31)[0]["body"]
    assert "`acme` blocked" in body and "spec.decommission: true" in body, body

    # The reviewed way: decommission, merge, and the destroy job (its environment's
    # approval is the harness starting the run) deletes the tenant.
    origin.commit(
        "decommission",
        "decommission acme",
        {"tenants/acme.yaml": tenant("acme", decommission=True)},
    )
    scenario.merge(32, "decommission")
    destroy = scenario.harness.run("tenant-apply.yml", origin.push_event())

    assert destroy.code == 0, destroy.summary()
    assert destroy.results() == {
        "plan": ["success"],
        "apply": ["skipped"],
        "page": ["success"],
        "report": ["success"],
        "destroy": ["success"],
        "replace": ["skipped"],
    }
    assert "acme" not in scenario.tenant_ids()
    assert acme_id not in identity.tenant_ids(scenario.emulator_host, PROJECT)
    # The preview's plan, then this run's plan; the fleet page (read-only) and the destroy
    # run side by side after it.
    jobs = [c["job"] for c in scenario.auth_calls()]
    assert jobs[:2] == ["plan", "plan"] and sorted(jobs[2:]) == ["destroy", "page"], jobs
    page = [c for c in scenario.auth_calls() if c["job"] == "page"]
    assert {c["service_account"] for c in page} == {PREVIEW_ACCOUNT}


def test_drift_opens_one_issue_updates_it_and_a_repair_closes_it(scenario: Scenario) -> None:
    seeded = scenario.reconciler("apply")
    assert seeded.returncode == 0, seeded.stdout + seeded.stderr
    one = scenario.tenant_ids()["tenant-one"]

    def set_password_signup(allowed: bool) -> None:
        status, body = identity.call(
            scenario.emulator_host,
            "PATCH",
            f"identitytoolkit.googleapis.com/v2/projects/{PROJECT}/tenants/{one}"
            "?updateMask=allowPasswordSignup",
            {"allowPasswordSignup": allowed},
        )
        assert status == 200, body

    set_password_signup(False)  # someone changed it in the console
    first = scenario.harness.run("tenant-drift.yml", scenario.origin.dispatch_event())

    assert first.code == 0, first.summary()
    # The fleet page: an artifact of the drift job, linked from its summary.
    page = (first.artifact("tenant-fleet-page") / "fleet.html").read_text()
    assert 'id="tenant-tenant-one" class="attention"' in page and "drifted (1 resource(s))" in page
    assert first.job("drift").steps and "Link the fleet page from the job summary" not in str(
        first.job("drift").failed_steps
    )
    issues = scenario.github.issues()
    assert len(issues) == 1 and issues[0]["state"] == "open", issues
    assert "tenant-one" in issues[0]["title"] and issues[0]["labels"] == ["tenant-drift"]

    second = scenario.harness.run("tenant-drift.yml", scenario.origin.dispatch_event())

    assert second.code == 0, second.summary()
    assert [i["number"] for i in scenario.github.issues()] == [issues[0]["number"]]
    assert "drift issue: updated" in second.job("issue").output

    set_password_signup(True)  # repaired
    third = scenario.harness.run("tenant-drift.yml", scenario.origin.dispatch_event())

    assert third.code == 0, third.summary()
    closed = scenario.github.issues()
    assert len(closed) == 1 and closed[0]["state"] == "closed", closed
    assert scenario.github.comments_on(closed[0]["number"])  # says why it closed
