"""The reconciler end to end: real Pulumi CLI and engine, file backend, sandbox cloud.

Each test drives the `reconciler` command as a user or CI would, then checks the backend,
the emulator and the reports.
"""

from __future__ import annotations

import signal
import time

import pytest

from tests.e2e import identity
from tests.e2e.harness import PROJECT, TenantRepo, wait_for

pytestmark = pytest.mark.e2e


def apply(repo: TenantRepo, *args: str, **kwargs):
    return repo.run("apply", "--format", "json", *args, **kwargs)


def by_tenant(report: dict) -> dict[str, dict]:
    return {t["tenant"]: t for t in report["tenants"]}


def test_apply_then_plan_is_unchanged_without_engine_runs(tenant_repo: TenantRepo, emulator_host):
    first = apply(tenant_repo)
    assert first.code == 0, first.stderr
    outcomes = by_tenant(first.json())
    assert {n: o["status"] for n, o in outcomes.items()} == {
        "tenant-one": "succeeded",
        "tenant-two": "succeeded",
    }
    assert tenant_repo.stacks() == {"tenant-one", "tenant-two"}
    ids = tenant_repo.tenant_ids()
    for name, display in (("tenant-one", "Tenant-One"), ("tenant-two", "Tenant-Two")):
        assert identity.get_tenant(emulator_host, PROJECT, ids[name])["displayName"] == display

    plan = tenant_repo.run("plan", "--format", "json")
    assert plan.code == 0, plan.stderr
    assert {t["action"] for t in plan.json()["tenants"]} == {"unchanged"}
    assert plan.json()["engineOperations"] == 0
    # The CLI inventory (for backends not read in bulk) sees exactly the same.
    via_cli = tenant_repo.run("plan", "--format", "json", extra_env={"RECONCILER_INVENTORY": "cli"})
    assert via_cli.code == 0, via_cli.stderr
    assert via_cli.json() == plan.json()

    again = apply(tenant_repo)
    assert again.code == 0, again.stderr
    assert again.json()["engineOperations"] == 0
    assert {t["status"] for t in again.json()["tenants"]} == {"unchanged"}


def test_editing_one_tenant_updates_exactly_that_one(tenant_repo: TenantRepo, emulator_host):
    assert apply(tenant_repo).code == 0
    tenant_repo.edit("tenant-two", "allowPasswordSignup: false", "allowPasswordSignup: true")

    plan = tenant_repo.run("plan", "--format", "json")
    actions = {t["tenant"]: t["action"] for t in plan.json()["tenants"]}
    assert actions == {"tenant-one": "unchanged", "tenant-two": "update"}

    result = apply(tenant_repo)
    assert result.code == 0, result.stderr
    report = result.json()
    # A manifest-only change cannot replace the identity tenant: one engine run, no preview.
    assert report["engineOperations"] == 1
    two = by_tenant(report)["tenant-two"]
    assert two["status"] == "succeeded"
    assert [(s["op"], s["type"]) for s in two["steps"]] == [
        ("update", "gcp:identityplatform/tenant:Tenant")
    ]
    two_id = tenant_repo.tenant_ids()["tenant-two"]
    assert identity.get_tenant(emulator_host, PROJECT, two_id)["allowPasswordSignup"] is True


def test_removing_a_protected_tenants_file_is_blocked(tenant_repo: TenantRepo, emulator_host):
    assert apply(tenant_repo).code == 0
    ids = tenant_repo.tenant_ids()
    tenant_repo.manifest("tenant-two").unlink()

    plan = tenant_repo.run("plan", "--format", "json")
    assert plan.code == 4
    two = by_tenant(plan.json())["tenant-two"]
    assert two["action"] == "blocked"
    assert "spec.decommission: true" in two["reason"]

    result = apply(tenant_repo)
    assert result.code == 4
    assert "tenant-two" in tenant_repo.stacks()
    assert ids["tenant-two"] in identity.tenant_ids(emulator_host, PROJECT)


def test_decommission_destroys_the_tenant_and_removes_its_stack(
    tenant_repo: TenantRepo, emulator_host
):
    assert apply(tenant_repo).code == 0
    ids = tenant_repo.tenant_ids()
    tenant_repo.edit("tenant-two", "spec:\n", "spec:\n  decommission: true\n")

    plan = tenant_repo.run("plan", "--format", "json")
    assert by_tenant(plan.json())["tenant-two"]["action"] == "delete"
    preview = tenant_repo.run("preview", "--format", "json")
    assert preview.code == 0, preview.stdout + preview.stderr
    steps = by_tenant(preview.json())["tenant-two"]["steps"]
    deleted = {s["type"] for s in steps if s["op"] == "delete"}
    assert {"gcp:identityplatform/tenant:Tenant", "gcp:storage/bucket:Bucket"} <= deleted

    result = apply(tenant_repo)
    assert result.code == 0, result.stderr
    assert by_tenant(result.json())["tenant-two"]["status"] == "succeeded"
    assert tenant_repo.stacks() == {"tenant-one"}
    # Listed, not fetched: the emulator answers a GET of any id by creating that tenant.
    remaining = identity.tenant_ids(emulator_host, PROJECT)
    assert ids["tenant-two"] not in remaining and ids["tenant-one"] in remaining


def test_an_invalid_manifest_anywhere_stops_everything(tenant_repo: TenantRepo, emulator_host):
    assert apply(tenant_repo).code == 0
    ids = tenant_repo.tenant_ids()
    tenant_repo.edit("tenant-one", "displayName: Tenant-One", "displayName: Tenant One")
    tenant_repo.manifest("tenant-two").unlink()  # would be a delete, were the run to go on

    for command in ("plan", "preview", "apply"):
        result = tenant_repo.run(command)
        assert result.code == 1, (command, result.stderr)
        assert "tenant-one.yaml" in result.stderr
        assert "Traceback" not in result.stderr
    assert tenant_repo.stacks() == {"tenant-one", "tenant-two"}
    assert set(ids.values()) <= identity.tenant_ids(emulator_host, PROJECT)


def test_one_failing_tenant_does_not_stop_the_others(tenant_repo: TenantRepo, emulator_host):
    fault = {"SANDBOX_FAULTS": "create:tenant-one-data:fail"}
    first = apply(tenant_repo, extra_env=fault)
    assert first.code == 5
    outcomes = by_tenant(first.json())
    assert outcomes["tenant-one"]["status"] == "failed"
    assert "tenant-one-data" in outcomes["tenant-one"]["reason"]
    assert outcomes["tenant-two"]["status"] == "succeeded"

    plan = tenant_repo.run("plan", "--format", "json")
    assert by_tenant(plan.json())["tenant-one"]["action"] == "retry"

    second = apply(tenant_repo)
    assert second.code == 0, second.stderr
    assert by_tenant(second.json())["tenant-one"]["status"] == "succeeded"
    assert by_tenant(second.json())["tenant-two"]["status"] == "unchanged"


def test_concurrent_apply_reports_the_lock_and_sigterm_leaves_no_stale_lock(
    tenant_repo: TenantRepo, emulator_host
):
    hang = {"SANDBOX_FAULTS": "create:tenant-one-data:hang"}
    first = tenant_repo.start("apply", "--format", "json", extra_env=hang)
    try:
        wait_for(lambda: bool(tenant_repo.locks()), timeout=180)
        # The lock first suggests a 2 s wait, then doubling: 10 s leaves room for at least
        # two refused ups even when each takes a few seconds on a loaded machine.
        second = apply(tenant_repo, "--tenant", "tenant-one", "--lock-wait", "10")
        assert second.code == 5, second.stderr
        one = by_tenant(second.json())["tenant-one"]
        assert one["status"] == "failed" and "locked" in one["reason"]
        # One operation ran (the safety preview, which takes no lock); the ups the lock
        # refused, retried, are attempts and not operations (repro 7).
        assert second.json()["engineOperations"] == 1, second.stdout + second.stderr
        assert second.json()["engineAttempts"] >= 3
    finally:
        first.send_signal(signal.SIGTERM)
        stdout, stderr = first.communicate(timeout=180)
    # A cancelled run exits 130, after a report of what finished and what did not.
    assert first.returncode == 130, stderr
    report = {t["tenant"]: t for t in __import__("json").loads(stdout)["tenants"]}
    assert report["tenant-one"]["status"] == "cancelled"
    assert tenant_repo.locks() == []
    # The interrupted stack is marked for a retry, not mistaken for a finished one.
    plan = tenant_repo.run("plan", "--format", "json")
    assert by_tenant(plan.json())["tenant-one"]["action"] == "retry"

    time.sleep(0.5)
    third = apply(tenant_repo)
    assert third.code == 0, third.stderr
    assert tenant_repo.stacks() == {"tenant-one", "tenant-two"}
    assert set(tenant_repo.tenant_ids().values()) <= identity.tenant_ids(emulator_host, PROJECT)


def test_no_secret_value_appears_in_outputs_reports_or_state(tenant_repo: TenantRepo):
    out = tenant_repo.root / "out"
    out.mkdir()
    results = [
        tenant_repo.run(
            "preview",
            "--json-out",
            str(out / "preview.json"),
            "--markdown-out",
            str(out / "preview.md"),
        ),
        tenant_repo.run(
            "apply", "--json-out", str(out / "apply.json"), "--markdown-out", str(out / "apply.md")
        ),
        tenant_repo.run("outputs", "--format", "json"),
        tenant_repo.run("drift", "--format", "markdown"),
    ]
    assert [r.code for r in results] == [0, 0, 0, 0], [r.stderr for r in results]
    texts = [r.stdout + r.stderr for r in results]
    files = [p for p in tenant_repo.root.rglob("*") if p.is_file()]
    assert any(".pulumi/stacks" in str(p) for p in files)
    texts += [p.read_bytes().decode("utf-8", "replace") for p in files]
    for value in tenant_repo.secret_values:
        leaks = [i for i, text in enumerate(texts) if value in text]
        assert leaks == [], f"secret value found in {leaks}"


def test_identity_tenants_are_isolated(tenant_repo: TenantRepo, emulator_host):
    tenant_repo.edit("tenant-two", "allowPasswordSignup: false", "allowPasswordSignup: true")
    assert apply(tenant_repo).code == 0
    ids = tenant_repo.tenant_ids()
    one, two = ids["tenant-one"], ids["tenant-two"]
    status, _ = identity.sign_up(emulator_host, one, "ada@example.com", "correct-horse-1")
    assert status == 200
    assert identity.sign_in(emulator_host, one, "ada@example.com", "correct-horse-1")[0] == 200
    status, body = identity.sign_in(emulator_host, two, "ada@example.com", "correct-horse-1")
    assert status == 400 and "EMAIL_NOT_FOUND" in str(body)


def test_drift_made_outside_git_is_reported(tenant_repo: TenantRepo, emulator_host):
    assert apply(tenant_repo).code == 0
    clean = tenant_repo.run("drift", "--format", "json")
    assert clean.code == 0, clean.stdout
    one = tenant_repo.tenant_ids()["tenant-one"]
    status, body = identity.call(
        emulator_host,
        "PATCH",
        f"identitytoolkit.googleapis.com/v2/projects/{PROJECT}/tenants/{one}"
        "?updateMask=allowPasswordSignup",
        {"allowPasswordSignup": False},
    )
    assert status == 200, body
    drift = tenant_repo.run("drift", "--format", "json")
    assert drift.code == 3, drift.stderr
    outcomes = by_tenant(drift.json())
    assert outcomes["tenant-one"]["status"] == "drifted"
    assert outcomes["tenant-two"]["status"] == "in-sync"
    assert {s["type"] for s in outcomes["tenant-one"]["steps"]} == {
        "gcp:identityplatform/tenant:Tenant"
    }

    # Repair: re-apply the tenant from git, reading the cloud first.
    repair = apply(tenant_repo, "--tenant", "tenant-one", "--force", "--refresh")
    assert repair.code == 0, repair.stderr
    assert identity.get_tenant(emulator_host, PROJECT, one)["allowPasswordSignup"] is True
    assert tenant_repo.run("drift").code == 0
