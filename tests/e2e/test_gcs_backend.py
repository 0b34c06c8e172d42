"""The production backend for real: state in a `gs://` bucket, as production keeps it.

fake-gcs-server (started by the `gcs_emulator` fixture on a loopback port) stands in for
Cloud Storage; the Pulumi CLI reaches it through gocloud.dev's gcsblob and the bulk reader
through its own client, both by STORAGE_EMULATOR_HOST, with dummy Application Default
Credentials. Everything else is as production runs it: the real engine, locks, records,
the sandbox cloud.
"""

from __future__ import annotations

import signal

import pytest

from tests.e2e import identity
from tests.e2e.harness import PROJECT, GcsTenantRepo, wait_for
from tests.e2e.test_fleet_locks import _kill_tree, by_tenant

pytestmark = pytest.mark.e2e


def _statuses(result) -> dict[str, str]:
    return {t["tenant"]: t["status"] for t in result.json()["tenants"]}


def test_apply_plan_and_drift_on_a_gs_backend(gcs_repo: GcsTenantRepo, emulator_host: str):
    repo = gcs_repo
    applied = repo.run("apply", "--format", "json")
    assert applied.code == 0, applied.stdout + applied.stderr
    assert _statuses(applied) == {"tenant-one": "succeeded", "tenant-two": "succeeded"}
    # The state is in the bucket, under the URL's prefix, and nowhere on disk.
    assert repo.stacks() == {"tenant-one", "tenant-two"}
    assert not (repo.root / ".state").exists()
    assert repo.locks() == []

    # Plan reads every stack's record in bulk from the bucket: no engine run.
    plan = repo.run("plan", "--format", "json")
    assert plan.code == 0, plan.stderr
    assert {t["action"] for t in plan.json()["tenants"]} == {"unchanged"}
    assert plan.json()["engineOperations"] == 0

    clean = repo.run("drift", "--format", "json")
    assert clean.code == 0, clean.stdout + clean.stderr
    one = repo.tenant_ids()["tenant-one"]
    status, body = identity.call(
        emulator_host,
        "PATCH",
        f"identitytoolkit.googleapis.com/v2/projects/{PROJECT}/tenants/{one}"
        "?updateMask=allowPasswordSignup",
        {"allowPasswordSignup": False},
    )
    assert status == 200, body
    drift = repo.run("drift", "--format", "json")
    assert drift.code == 3, drift.stdout + drift.stderr
    assert _statuses(drift) == {"tenant-one": "drifted", "tenant-two": "in-sync"}
    assert repo.locks() == []


def _held_by_the_update(repo: GcsTenantRepo) -> bool:
    plan = repo.run("plan", "--format", "json", "--tenant", "tenant-one")
    return plan.code == 0 and "locked by" in by_tenant(plan)["tenant-one"]["reason"]


def test_locks_on_a_gs_backend_concurrent_applies_then_a_killed_one(gcs_repo: GcsTenantRepo):
    repo = gcs_repo
    # Two applies at once: the engine's locks in the bucket serialise them per stack.
    first = repo.start("apply", "--format", "json", "--lock-wait", "300")
    second = repo.start("apply", "--format", "json", "--lock-wait", "300")
    results = [p.communicate(timeout=600) for p in (first, second)]
    assert (first.returncode, second.returncode) == (0, 0), results
    assert repo.stacks() == {"tenant-one", "tenant-two"}
    assert repo.locks() == []
    plan = repo.run("plan", "--format", "json")
    assert {t["action"] for t in plan.json()["tenants"]} == {"unchanged"}, plan.stdout

    # An apply killed mid-update (a CI timeout) leaves its lock object in the bucket.
    repo.edit("tenant-one", "allowPasswordSignup: true", "allowPasswordSignup: false")
    hang = {"SANDBOX_FAULTS": "update:tenant-one-identity:hang"}
    running = repo.start("apply", "--tenant", "tenant-one", extra_env=hang)
    try:
        wait_for(lambda: _held_by_the_update(repo), timeout=180)
    finally:
        _kill_tree(running)
    assert running.returncode == -signal.SIGKILL
    assert len(repo.locks()) == 1

    # Plan's bulk read sees the held lock and names its holder.
    held = by_tenant(repo.run("plan", "--format", "json"))["tenant-one"]["reason"]
    assert "locked by" in held and "(pid " in held and "reconciler unlock tenant-one" in held

    removed = repo.run("unlock", "tenant-one", "--older-than", "0s")
    assert removed.code == 0, removed.stdout + removed.stderr
    assert repo.locks() == []
    converged = repo.run("apply", "--format", "json")
    assert converged.code == 0, converged.stdout + converged.stderr
    after = repo.run("plan", "--format", "json")
    assert {t["action"] for t in after.json()["tenants"]} == {"unchanged"}
