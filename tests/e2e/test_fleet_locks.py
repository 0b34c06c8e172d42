"""A run killed with SIGKILL (a CI timeout) leaves its stack lock behind (#11, repro 3).

Plan shows who holds it and for how long; `reconciler unlock` removes it only when it is
old enough and its holder is gone; the next apply then recovers the create the kill
interrupted (imports the object it made) and converges.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from pathlib import Path

import pytest

from sandbox.provider.store import Store
from tests.e2e.harness import TenantRepo, wait_for

pytestmark = pytest.mark.e2e


def _descendants(root: int) -> list[int]:
    """Every process below `root` (the Pulumi CLI, its language host and plugins)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            parents[int(entry.name)] = int(
                (entry / "stat").read_text().rsplit(")", 1)[1].split()[1]
            )
        except (OSError, ValueError, IndexError):
            continue
    found, frontier = [], [root]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, ppid in parents.items() if ppid == parent]
        found += children
        frontier += children
    return found


def _kill_tree(process) -> None:
    """What a CI runner's timeout does: SIGKILL to the whole process tree at once."""
    for pid in [process.pid, *_descendants(process.pid)]:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    process.communicate(timeout=60)


def by_tenant(result) -> dict[str, dict]:
    return {t["tenant"]: t for t in result.json()["tenants"]}


def _held_by_the_update(repo: TenantRepo) -> bool:
    """The update's lock (not the short one creating the stack takes) is held."""
    plan = repo.run("plan", "--format", "json", "--tenant", "tenant-one")
    return plan.code == 0 and "locked by" in by_tenant(plan)["tenant-one"]["reason"]


IDP = "tenant-one-idp-google.com"
IDP_TYPE = "gcp:identityplatform/tenantDefaultSupportedIdpConfig:TenantDefaultSupportedIdpConfig"


def _idp_created(db: Path) -> bool:
    """The sandbox cloud holds tenant-one's google.com config (its checkpoint may not)."""
    return any(key.endswith("/google.com") for key, _ in Store(db).of_kind(IDP_TYPE))


def test_a_killed_apply_then_unlock_then_apply_converges(tenant_repo: TenantRepo, tmp_path: Path):
    # The IdP config is created in the cloud, then its answer never reaches the engine: the
    # kill always lands on a pending create whose object exists (in CI it sometimes did, and
    # the last apply failed with 409 ALREADY_EXISTS).
    hang = {"SANDBOX_FAULTS": f"create:{IDP}:hang-after"}
    first = tenant_repo.start("apply", "--tenant", "tenant-one", extra_env=hang)
    try:
        wait_for(
            lambda: _idp_created(tmp_path / "sandbox.db") and _held_by_the_update(tenant_repo),
            timeout=180,
        )
    finally:
        _kill_tree(first)  # also when the wait fails: never leave the hanging run behind
    assert first.returncode == -signal.SIGKILL
    assert tenant_repo.locks(), "SIGKILL leaves the lock file behind"

    # Plan names the holder and its age, and where to look.
    plan = tenant_repo.run("plan", "--format", "json")
    reason = by_tenant(plan)["tenant-one"]["reason"]
    assert "locked by" in reason and "(pid " in reason and " for " in reason, reason
    assert "reconciler unlock tenant-one" in reason

    blocked = tenant_repo.run("apply", "--format", "json", "--lock-wait", "1")
    assert blocked.code == 5
    # apply names the holder and the way out, as plan does (it said only "locked by
    # another run").
    refusal = by_tenant(blocked)["tenant-one"]["reason"]
    assert "locked by" in refusal and "(pid " in refusal, refusal
    assert "reconciler unlock tenant-one" in refusal, refusal

    # Too young for the default bound: refused, the lock stays.
    young = tenant_repo.run("unlock", "tenant-one")
    assert young.code == 4, young.stderr
    assert "younger than 30m00s" in young.stderr
    assert tenant_repo.locks()

    removed = tenant_repo.run("unlock", "tenant-one", "--older-than", "0s")
    assert removed.code == 0, removed.stdout + removed.stderr
    assert "removed the lock" in removed.stdout
    assert tenant_repo.locks() == []
    assert tenant_repo.run("unlock", "tenant-one").stdout.strip() == "tenant-one: not locked"

    converged = tenant_repo.run("apply", "--format", "json")
    assert converged.code == 0, converged.stdout + converged.stderr
    assert by_tenant(converged)["tenant-one"]["status"] == "succeeded"
    assert f"imported interrupted create of {IDP}" in by_tenant(converged)["tenant-one"]["reason"]
    after = tenant_repo.run("plan", "--format", "json")
    assert {t["action"] for t in after.json()["tenants"]} == {"unchanged"}


def test_unlock_never_removes_the_lock_of_a_live_run(tenant_repo: TenantRepo):
    hang = {"SANDBOX_FAULTS": "create:tenant-one-data:hang"}
    running = tenant_repo.start("apply", "--tenant", "tenant-one", extra_env=hang)
    try:
        wait_for(lambda: _held_by_the_update(tenant_repo), timeout=180)
        refused = tenant_repo.run("unlock", "tenant-one", "--older-than", "0s")
        assert refused.code == 4, refused.stdout + refused.stderr
        assert "still running on this host" in refused.stderr
        assert tenant_repo.locks()
    finally:
        running.send_signal(signal.SIGTERM)
        try:
            running.communicate(timeout=180)
        except subprocess.TimeoutExpired:
            _kill_tree(running)
    assert running.returncode == 130
    assert tenant_repo.locks() == []
