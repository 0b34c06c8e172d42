"""Renaming a tenant's file on the real engine (#11, repro 4): the plan says it looks like
a rename and what to do, and no second identity tenant with the same display name appears."""

from __future__ import annotations

import pytest

from tests.e2e import identity
from tests.e2e.harness import PROJECT, TenantRepo

pytestmark = pytest.mark.e2e


def test_a_renamed_manifest_is_blocked_as_a_rename(tenant_repo: TenantRepo, emulator_host):
    assert tenant_repo.run("apply").code == 0
    before = identity.tenant_ids(emulator_host, PROJECT)
    old = tenant_repo.manifest("tenant-two")
    # The file renamed: same display name, the secret variable renamed with the tenant.
    tenant_repo.copy_tenant("tenant-two", "tenant-2b", "Tenant-Two")
    old.unlink()

    plan = tenant_repo.run("plan", "--format", "json")
    assert plan.code == 4, plan.stdout + plan.stderr
    lines = {t["tenant"]: t for t in plan.json()["tenants"]}
    assert lines["tenant-2b"]["action"] == "blocked"
    assert "looks like a rename of tenant-two" in lines["tenant-2b"]["reason"]
    assert "renamed to tenant-2b" in lines["tenant-two"]["reason"]

    applied = tenant_repo.run("apply", "--format", "json")
    assert applied.code == 4, applied.stdout + applied.stderr
    assert tenant_repo.stacks() == {"tenant-one", "tenant-two"}
    # No second, empty identity tenant named Tenant-Two.
    assert identity.tenant_ids(emulator_host, PROJECT) == before


def test_metadata_renamed_from_pairs_a_rename_whatever_the_display_name(
    tenant_repo: TenantRepo, emulator_host
):
    assert tenant_repo.run("apply").code == 0
    before = identity.tenant_ids(emulator_host, PROJECT)
    old = tenant_repo.manifest("tenant-two")
    # Renamed, with a new display name too: only the explicit form can pair them.
    new = tenant_repo.copy_tenant("tenant-two", "tenant-2c", "Tenant-2c")
    text = new.read_text().replace(
        "name: tenant-2c\n", "name: tenant-2c\n  renamedFrom: tenant-two\n"
    )
    new.write_text(text)

    # While the old file is still there, validation refuses, naming the file and line.
    both = tenant_repo.run("validate")
    assert both.code == 1, both.stdout + both.stderr
    assert "tenants/tenant-2c.yaml:" in both.stdout
    assert "metadata.renamedFrom: 'tenant-two' still has a manifest" in both.stdout

    old.unlink()
    plan = tenant_repo.run("plan", "--format", "json")
    assert plan.code == 4, plan.stdout + plan.stderr
    lines = {t["tenant"]: t for t in plan.json()["tenants"]}
    assert lines["tenant-2c"]["action"] == "blocked"
    assert lines["tenant-2c"]["reason"].startswith(
        "a rename of tenant-two (metadata.renamedFrom; tenants/tenant-two.yaml is gone"
    )
    assert "renamed to tenant-2c" in lines["tenant-two"]["reason"]
    applied = tenant_repo.run("apply", "--format", "json")
    assert applied.code == 4, applied.stdout + applied.stderr
    assert tenant_repo.stacks() == {"tenant-one", "tenant-two"}
    assert identity.tenant_ids(emulator_host, PROJECT) == before
