"""Sharded apply on the real engine (#11, repro 1): legs that start at different times, and
a re-run of a failed leg, still apply every tenant exactly once."""

from __future__ import annotations

import pytest

from reconciler.plan import shard_of
from tests.e2e.harness import TenantRepo

pytestmark = pytest.mark.e2e

EXTRA = ("tenant-three", "tenant-four")


def add_copies(repo: TenantRepo) -> None:
    """Two more tenants made from tenant-two (same secret variable, their own names)."""
    text = repo.manifest("tenant-two").read_text()
    for name in EXTRA:
        copy = text.replace("name: tenant-two", f"name: {name}").replace(
            "displayName: Tenant-Two", f"displayName: {name.title()}"
        )
        repo.manifest(name).write_text(copy)


def actions(repo: TenantRepo) -> dict[str, str]:
    plan = repo.run("plan", "--format", "json")
    assert plan.code == 0, plan.stderr
    return {t["tenant"]: t["action"] for t in plan.json()["tenants"]}


def test_staggered_shards_and_a_rerun_converge(tenant_repo: TenantRepo):
    add_copies(tenant_repo)
    names = ["tenant-four", "tenant-one", "tenant-three", "tenant-two"]
    assert {shard_of(n, 2) for n in names} == {1, 2}, "both legs must have work"
    assert tenant_repo.run("apply").code == 0
    for name in names:
        # Versioning flipped: an in-place update of each tenant's bucket.
        if name == "tenant-one":
            tenant_repo.edit(name, "versioning: true", "versioning: false")
        else:
            tenant_repo.edit(name, "location: US", "location: US\n    versioning: true")
    assert set(actions(tenant_repo).values()) == {"update"}

    # Leg 2 fails on one of its tenants; leg 1 runs after leg 2 recorded the others.
    second = [n for n in names if shard_of(n, 2) == 2]
    fault = {"SANDBOX_FAULTS": f"update:{second[0]}-data:fail"}
    leg2 = tenant_repo.run("apply", "--format", "json", "--shard", "2/2", extra_env=fault)
    assert leg2.code == 5
    assert {t["tenant"] for t in leg2.json()["tenants"]} == set(second)
    leg1 = tenant_repo.run("apply", "--format", "json", "--shard", "1/2")
    assert leg1.code == 0, leg1.stderr
    first = {t["tenant"] for t in leg1.json()["tenants"]}
    assert first == {n for n in names if shard_of(n, 2) == 1}
    assert {t["status"] for t in leg1.json()["tenants"]} == {"succeeded"}

    # Re-running the failed leg finishes that leg's tenant.
    rerun = tenant_repo.run("apply", "--format", "json", "--shard", "2/2")
    assert rerun.code == 0, rerun.stderr
    statuses = {t["tenant"]: t["status"] for t in rerun.json()["tenants"]}
    assert statuses[second[0]] == "succeeded"
    assert set(actions(tenant_repo).values()) == {"unchanged"}
