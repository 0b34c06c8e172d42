"""Sharded apply on the real engine (#11, repro 1): legs that start at different times, and
a re-run of a failed leg, still apply every tenant exactly once."""

from __future__ import annotations

import pytest

from tests.e2e.harness import TenantRepo

pytestmark = pytest.mark.e2e

EXTRA = ("tenant-three", "tenant-four")


def add_copies(repo: TenantRepo) -> None:
    """Two more tenants made from tenant-two (their own names and secret variables)."""
    for name in EXTRA:
        repo.copy_tenant("tenant-two", name, name.title())


def actions(repo: TenantRepo) -> dict[str, str]:
    plan = repo.run("plan", "--format", "json")
    assert plan.code == 0, plan.stderr
    return {t["tenant"]: t["action"] for t in plan.json()["tenants"]}


def test_staggered_shards_and_a_rerun_converge(tenant_repo: TenantRepo):
    add_copies(tenant_repo)
    names = ["tenant-four", "tenant-one", "tenant-three", "tenant-two"]
    assert tenant_repo.run("apply").code == 0
    for name in names:
        # Retention or versioning changed: an in-place update of each tenant's bucket
        # (tenant-one keeps a retention policy, so no versioning: GCS has not both).
        if name == "tenant-one":
            tenant_repo.edit(name, "retentionDays: 30", "retentionDays: 31")
        else:
            tenant_repo.edit(name, "location: US", "location: US\n    versioning: true")
    assert set(actions(tenant_repo).values()) == {"update"}

    # Leg 2 runs first and fails on every tenant it has; leg 1 runs after, on what is left.
    faults = {"SANDBOX_FAULTS": ";".join(f"update:{n}-data:fail" for n in names)}
    leg2 = tenant_repo.run("apply", "--format", "json", "--shard", "2/2", extra_env=faults)
    second = {t["tenant"] for t in leg2.json()["tenants"]}
    assert second and leg2.code == 5
    leg1 = tenant_repo.run("apply", "--format", "json", "--shard", "1/2")
    assert leg1.code == 0, leg1.stderr
    first = {t["tenant"] for t in leg1.json()["tenants"]}
    assert first and not first & second
    assert first | second == set(names)

    # Re-running the failed leg finishes every tenant of that leg.
    rerun = tenant_repo.run("apply", "--format", "json", "--shard", "2/2")
    assert rerun.code == 0, rerun.stderr
    assert {t["tenant"] for t in rerun.json()["tenants"]} == second
    assert set(actions(tenant_repo).values()) == {"unchanged"}
