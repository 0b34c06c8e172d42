"""Migration from the multi-tenant program this project grew from, on the real engine and the
sandbox: the seed-shaped program deploys two tenants into ONE stack (mlaas-seed/dev), a user
signs up in one, then `reconciler adopt --from-stack mlaas-seed/dev` moves each tenant into
its own stack with `pulumi state move`. Interrupted halfway (a crash right after a move, and
a failure during the finishing `up`), a re-run finishes; afterwards `plan` shows every tenant
unchanged, the tenant ids are the same, the user still signs in, and the source stack no
longer holds them. Also the fidelity check: the seed verbatim ("Tenant One") fails as GCP
fails it, with INVALID_DISPLAY_NAME.
"""

from __future__ import annotations

import pytest

from tests.e2e.harness import PROJECT, TenantRepo
from tests.e2e.identity import sign_in, sign_up, tenant_ids
from tests.e2e.seed_program import SOURCE, deploy, pulumi, urns

pytestmark = pytest.mark.e2e


def test_the_seed_verbatim_fails_with_invalid_display_name(tenant_repo: TenantRepo, tmp_path):
    from pulumi.automation.errors import CommandError

    host = tenant_repo.env["FIREBASE_AUTH_EMULATOR_HOST"]
    before = tenant_ids(host, PROJECT)  # the emulator is shared by the session's tests
    with pytest.raises(CommandError) as failed:
        deploy(tenant_repo, tmp_path, "Tenant One", "Tenant Two")
    assert "INVALID_DISPLAY_NAME" in str(failed.value)
    assert "'Tenant One'" in str(failed.value)
    # As in GCP, the refused tenant was not created.
    assert tenant_ids(host, PROJECT) == before


def test_migration_from_the_seed_stack_keeps_tenants_and_users(tenant_repo: TenantRepo, tmp_path):
    repo = tenant_repo
    host = repo.env["FIREBASE_AUTH_EMULATOR_HOST"]
    outputs = deploy(repo, tmp_path, "Tenant-One", "Tenant-Two")
    one_id, two_id = str(outputs["tenant_one_name"]), str(outputs["tenant_two_name"])
    status, body = sign_up(host, one_id, "ada@tenant-one.example.com", "correct-horse-1")
    assert status == 200, body

    # tenant-one is found by its display name, tenant-two by its id.
    repo.edit(
        "tenant-one", "  displayName: Tenant-One\n", "  displayName: Tenant-One\n  adopt: {}\n"
    )
    repo.edit(
        "tenant-two",
        "  displayName: Tenant-Two\n",
        f"  displayName: Tenant-Two\n  adopt:\n    tenantId: {two_id}\n",
    )
    # Before adoption, apply must not create second tenants beside the seed's.
    planned = repo.run("plan", "--format", "json")
    assert planned.code == 4, planned.stdout + planned.stderr
    assert {t["tenant"]: t["status"] for t in planned.json()["tenants"]} == {
        "tenant-one": "blocked",
        "tenant-two": "blocked",
    }

    existing = tenant_ids(host, PROJECT)
    # Interrupted right after tenant-one's move (before the rename and the up).
    pulumi(repo, "stack", "init", "organization/mlaas-tenants/tenant-one")
    seed_one = [u for u in urns(repo, f"organization/{SOURCE}") if u.endswith("::tenant-one")]
    seed_one += [u for u in urns(repo, f"organization/{SOURCE}") if "tenant-one-idp" in u]
    pulumi(
        repo, "state", "move", "--yes", "--source", f"organization/{SOURCE}",
        "--dest", "organization/mlaas-tenants/tenant-one", *seed_one,
    )  # fmt: skip
    # ...and tenant-two's finishing `up` fails after its move and rename.
    first = repo.run(
        "adopt", "--from-stack", SOURCE, "--format", "json",
        extra_env={"SANDBOX_FAULTS": "create:tenant-two-data:fail"},
    )  # fmt: skip
    assert first.code == 5, first.stdout + first.stderr
    by_tenant = {t["tenant"]: t for t in first.json()["tenants"]}
    assert by_tenant["tenant-one"]["status"] == "succeeded", by_tenant
    assert by_tenant["tenant-two"]["status"] == "failed"
    assert "run adopt again" in by_tenant["tenant-two"]["reason"]

    second = repo.run("adopt", "--from-stack", SOURCE, "--format", "json")
    assert second.code == 0, second.stdout + second.stderr
    statuses = {t["tenant"]: t["status"] for t in second.json()["tenants"]}
    assert statuses == {"tenant-one": "unchanged", "tenant-two": "succeeded"}

    plan = repo.run("plan", "--format", "json")
    assert plan.code == 0, plan.stderr
    assert {t["tenant"]: t["status"] for t in plan.json()["tenants"]} == {
        "tenant-one": "unchanged",
        "tenant-two": "unchanged",
    }
    # Same tenants, nothing duplicated, the user still signs in.
    assert repo.tenant_ids() == {"tenant-one": one_id, "tenant-two": two_id}
    assert tenant_ids(host, PROJECT) == existing  # none created, none deleted
    status, body = sign_in(host, one_id, "ada@tenant-one.example.com", "correct-horse-1")
    assert status == 200, body
    # The source stack holds none of them; each tenant's stack holds its own, once.
    assert urns(repo, f"organization/{SOURCE}") == []
    for name, other in (("tenant-one", "tenant-two"), ("tenant-two", "tenant-one")):
        held = urns(repo, f"organization/mlaas-tenants/{name}")
        assert len(held) == len(set(held))
        assert any(u.endswith(f"::{name}-identity") for u in held), held
        assert not any(other in u for u in held)
    # The stacks match the manifests: re-applying every tenant by force changes nothing.
    forced = repo.run("apply", "--force", "--format", "json")
    assert forced.code == 0, forced.stdout + forced.stderr
    assert [t["steps"] for t in forced.json()["tenants"]] == [[], []]
