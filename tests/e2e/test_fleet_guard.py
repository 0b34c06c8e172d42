"""Approvals for losing users or data, end to end on the real engine and the sandbox (#11).

A protected tenant's bucket location change is blocked (exit 4, the hint, the record
untouched) in preview and apply, then performed with `--allow-replace`, which puts the
protection back; an identity-tenant replacement is blocked; a decommission refuses to delete
a bucket that holds objects unless approved.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sandbox.provider.storage import BUCKET_KIND, object_names, put_object
from sandbox.provider.store import Store
from tests.e2e import identity
from tests.e2e.harness import PROJECT, TenantRepo

pytestmark = pytest.mark.e2e

BUCKET_TYPE = "gcp:storage/bucket:Bucket"


def by_tenant(result) -> dict[str, dict]:
    return {t["tenant"]: t for t in result.json()["tenants"]}


def store(repo: TenantRepo) -> Store:
    return Store(Path(repo.env["SANDBOX_STATE_DB"]))


def bucket_name(repo: TenantRepo, tenant: str) -> str:
    result = repo.run("outputs", "--tenant", tenant, "--format", "json")
    assert result.code == 0, result.stderr
    (entry,) = result.json()["tenants"]
    assert entry["tenant"] == tenant
    return entry["outputs"]["bucketName"]


def state_resources(repo: TenantRepo, tenant: str) -> list[dict]:
    path = repo.state / ".pulumi" / "stacks" / "mlaas-tenants" / f"{tenant}.json"
    return json.loads(path.read_text())["checkpoint"]["latest"]["resources"]


def test_a_protected_bucket_location_change_is_blocked_then_allowed(tenant_repo: TenantRepo):
    """Repro 2: exit 4 with the hint in preview and apply; --allow-replace performs it."""
    assert tenant_repo.run("apply").code == 0
    name = bucket_name(tenant_repo, "tenant-two")
    tenant_repo.edit("tenant-two", "location: US", "location: EU")

    preview = tenant_repo.run("preview", "--format", "json")
    assert preview.code == 4, preview.stdout + preview.stderr
    two = by_tenant(preview)["tenant-two"]
    assert two["status"] == "blocked"
    assert "--allow-replace tenant-two" in two["reason"]
    assert "tenant-two-data" in two["reason"]

    blocked = tenant_repo.run("apply", "--format", "json")
    assert blocked.code == 4, blocked.stdout + blocked.stderr
    assert by_tenant(blocked)["tenant-two"]["status"] == "blocked"
    assert "--allow-replace tenant-two" in by_tenant(blocked)["tenant-two"]["reason"]
    assert store(tenant_repo).get(BUCKET_KIND, name)["location"] == "US"
    # Nothing changed, so the stack is not marked failed: still an update, not a retry.
    plan = tenant_repo.run("plan", "--format", "json")
    assert by_tenant(plan)["tenant-two"]["action"] == "update"

    allowed = tenant_repo.run("apply", "--format", "json", "--allow-replace", "tenant-two")
    assert allowed.code == 0, allowed.stdout + allowed.stderr
    two = by_tenant(allowed)["tenant-two"]
    assert two["status"] == "succeeded"
    assert "LOST" in two["reason"] and "tenant-two-data" in two["reason"]
    assert store(tenant_repo).get(BUCKET_KIND, name)["location"] == "EU"
    # Protection is back on the new bucket, in Pulumi's state and at the provider.
    [bucket] = [r for r in state_resources(tenant_repo, "tenant-two") if r["type"] == BUCKET_TYPE]
    assert bucket.get("protect") is True
    assert bucket["outputs"]["deletionPolicy"] == "PREVENT"
    assert bucket["outputs"]["forceDestroy"] is False
    after = tenant_repo.run("plan", "--format", "json")
    assert {t["action"] for t in after.json()["tenants"]} == {"unchanged"}


def test_an_identity_tenant_replacement_is_blocked(tenant_repo: TenantRepo, emulator_host):
    assert tenant_repo.run("apply").code == 0
    ids = tenant_repo.tenant_ids()
    platform = tenant_repo.root / "platform.yaml"
    platform.write_text(platform.read_text().replace(f"project: {PROJECT}", "project: elsewhere"))

    result = tenant_repo.run("apply", "--format", "json", "--tenant", "tenant-one")
    assert result.code == 4, result.stdout + result.stderr
    one = by_tenant(result)["tenant-one"]
    assert one["status"] == "blocked"
    assert "tenant-one-identity" in one["reason"]
    assert "--allow-replace tenant-one" in one["reason"]
    assert ids["tenant-one"] in identity.tenant_ids(emulator_host, PROJECT)
    assert tenant_repo.run("plan", "--format", "json").code == 0


def test_decommissioning_a_tenant_whose_bucket_holds_data(tenant_repo: TenantRepo):
    assert tenant_repo.run("apply").code == 0
    name = bucket_name(tenant_repo, "tenant-two")
    put_object(store(tenant_repo), name, "model.bin")
    tenant_repo.edit("tenant-two", "spec:\n", "spec:\n  decommission: true\n")

    refused = tenant_repo.run("apply", "--format", "json")
    assert refused.code == 4, refused.stdout + refused.stderr
    two = by_tenant(refused)["tenant-two"]
    assert two["status"] == "blocked"
    assert "force_destroy" in two["reason"] and "--allow-replace tenant-two" in two["reason"]
    assert object_names(store(tenant_repo), name) == ["model.bin"]

    approved = tenant_repo.run("apply", "--format", "json", "--allow-replace", "tenant-two")
    assert approved.code == 0, approved.stdout + approved.stderr
    assert store(tenant_repo).get(BUCKET_KIND, name) is None
    assert tenant_repo.stacks() == {"tenant-one"}
