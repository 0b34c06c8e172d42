"""Adopting a tenant made outside git, on the real engine and the sandbox: a tenant created
directly through the Identity Toolkit REST API (as the console would) is adopted by
`reconciler adopt`; `plan` then shows it unchanged, its id and users are kept, and a later
manifest edit updates it in place. Each bad input (unknown id, two tenants with the display
name, a manifest that would change the tenant) is a clear error that changes nothing.
"""

from __future__ import annotations

import json
import secrets

import pytest

from tests.e2e.harness import PROJECT, TenantRepo
from tests.e2e.identity import call, get_tenant, sign_in, sign_up

pytestmark = pytest.mark.e2e

MANIFEST = """\
apiVersion: mlaas.dev/v1
kind: Tenant
metadata:
  name: console-made
  owner: ml-platform@example.com
spec:
  displayName: {display}
  adopt: {adopt}
  auth:
    allowPasswordSignup: {password}
  storage:
    location: EU
"""


def create_in_console(host: str, display_name: str) -> str:
    """A tenant made by hand (POST projects.tenants.create); its id."""
    status, body = call(
        host,
        "POST",
        f"identitytoolkit.googleapis.com/v2/projects/{PROJECT}/tenants",
        {"displayName": display_name, "allowPasswordSignup": True},
    )
    assert status == 200, body
    return str(body["name"]).rsplit("/", 1)[-1]


def only_console_made(
    repo: TenantRepo, display: str, adopt: str = "{}", password: str = "true"
) -> None:
    for name in ("tenant-one", "tenant-two"):
        repo.manifest(name).unlink()
    text = MANIFEST.format(display=display, adopt=adopt, password=password)
    repo.manifest("console-made").write_text(text)


def mine(host: str, ids: set[str]) -> dict[str, dict]:
    """This test's tenants (the emulator is shared by the session's tests), by id."""
    found = {str(t["name"]).rsplit("/", 1)[-1]: t for t in tenants_list(host)}
    return {i: found[i] for i in ids if i in found}


def tenants_list(host: str) -> list[dict]:
    status, body = call(
        host, "GET", f"identitytoolkit.googleapis.com/v2/projects/{PROJECT}/tenants"
    )
    assert status == 200, body
    return list(body.get("tenants", []))


def adopt(repo: TenantRepo) -> tuple[int, dict, str]:
    result = repo.run("adopt", "--format", "json")
    line = {t["tenant"]: t for t in result.json()["tenants"]}.get("console-made", {})
    return result.code, line, result.stderr


@pytest.fixture
def host(tenant_repo: TenantRepo) -> str:
    return tenant_repo.env["FIREBASE_AUTH_EMULATOR_HOST"]


@pytest.fixture
def display() -> str:
    """A display name no other test's tenant has (4-20 characters)."""
    return f"Console-{secrets.token_hex(4)}"


def test_a_console_made_tenant_is_adopted_then_updated_in_place(tenant_repo, host, display):
    repo = tenant_repo
    tenant_id = create_in_console(host, display)
    status, body = sign_up(host, tenant_id, "grace@console.example.com", "correct-horse-2")
    assert status == 200, body
    only_console_made(repo, display)
    count = len(tenants_list(host))

    code, line, stderr = adopt(repo)
    assert code == 0, (line, stderr)
    assert line["status"] == "succeeded"
    assert f"found tenant {tenant_id} by display name {display!r}" in stderr
    plan = repo.run("plan", "--format", "json")
    assert plan.code == 0, plan.stderr
    assert [(t["tenant"], t["status"]) for t in plan.json()["tenants"]] == [
        ("console-made", "unchanged")
    ]
    assert repo.tenant_ids() == {"console-made": tenant_id}
    assert len(tenants_list(host)) == count  # adopted, not recreated
    # Idempotent: a second adopt finds it managed and does nothing.
    code, line, _ = adopt(repo)
    assert (code, line["status"]) == (0, "unchanged")

    repo.edit("console-made", f"displayName: {display}", "displayName: Console-Renamed")
    applied = repo.run("apply", "--format", "json")
    assert applied.code == 0, applied.stdout + applied.stderr
    steps = applied.json()["tenants"][0]["steps"]
    assert [(s["op"], s["name"]) for s in steps] == [("update", "console-made-identity")]
    live = get_tenant(host, PROJECT, tenant_id)
    assert live is not None and live["displayName"] == "Console-Renamed"
    status, body = sign_in(host, tenant_id, "grace@console.example.com", "correct-horse-2")
    assert status == 200, body


def test_an_unknown_tenant_id_is_refused_and_changes_nothing(tenant_repo, host, display):
    tenant_id = create_in_console(host, display)
    only_console_made(tenant_repo, display, adopt="{tenantId: no-such-tenant-1}")
    before = mine(host, {tenant_id})
    code, line, _ = adopt(tenant_repo)
    assert code == 5
    assert "spec.adopt.tenantId 'no-such-tenant-1': no such tenant" in line["reason"]
    assert "nothing was changed" in line["reason"]
    assert tenant_repo.stacks() == set()
    assert mine(host, {tenant_id}) == before


def test_two_tenants_with_the_display_name_are_refused(tenant_repo, host, display):
    ids = {create_in_console(host, display), create_in_console(host, display)}
    only_console_made(tenant_repo, display)
    before = mine(host, ids)
    code, line, _ = adopt(tenant_repo)
    assert code == 5
    assert f"2 tenants in project {PROJECT} have the display name {display!r}" in line["reason"]
    assert all(i in line["reason"] for i in ids)
    assert "say which one with spec.adopt.tenantId" in line["reason"]
    assert tenant_repo.stacks() == set()
    assert mine(host, ids) == before


def test_a_manifest_that_would_change_the_tenant_is_refused(tenant_repo, host, display):
    tenant_id = create_in_console(host, display)
    only_console_made(tenant_repo, display, password="false")
    before = mine(host, {tenant_id})
    code, line, _ = adopt(tenant_repo)
    assert code == 5
    assert (
        "spec.auth.allowPasswordSignup: the tenant has true, the manifest says false; "
        "write `allowPasswordSignup: true` under spec.auth"
    ) in line["reason"]
    assert "nothing was changed" in line["reason"]
    assert tenant_repo.stacks() == set()
    assert mine(host, {tenant_id}) == before
    assert before[tenant_id]["allowPasswordSignup"] is True


def test_a_tenant_and_its_idp_config_made_elsewhere_are_imported(tenant_repo, host, tmp_path):
    """The seed's tenant-one, forgotten by its stack (as if the stack were lost): its IdP
    config is imported too, and a client secret that differs from the live one is refused
    (nothing changed) until the manifest's variable holds the live secret."""
    from tests.e2e.seed_program import SOURCE, deploy, pulumi, urns

    repo = tenant_repo
    one_id = str(deploy(repo, tmp_path, "Tenant-One", "Tenant-Two")["tenant_one_name"])
    seed = f"organization/{SOURCE}"
    for urn in [u for u in urns(repo, seed) if "tenant-one" in u][::-1]:
        pulumi(repo, "state", "delete", "--yes", "--stack", seed, "--target-dependents", urn)
    repo.manifest("tenant-two").unlink()
    repo.edit("tenant-one", "  displayName: Tenant-One\n",
              f"  displayName: Tenant-One\n  adopt:\n    tenantId: {one_id}\n")  # fmt: skip

    bad_secret = {"TENANT_ONE_GOOGLE_CLIENT_SECRET": "not-the-live-secret"}
    wrong = repo.run("adopt", "--format", "json", extra_env=bad_secret)
    [line] = wrong.json()["tenants"]
    assert wrong.code == 5 and line["status"] == "failed"
    assert "tenant-one-idp-google.com would be updated (clientSecret)" in line["reason"]
    assert "nothing was changed" in line["reason"]
    assert "not-the-live-secret" not in wrong.stdout + wrong.stderr
    assert repo.stacks() == set()

    right = repo.run("adopt", "--format", "json")
    assert right.code == 0, right.stdout + right.stderr
    # The import read the live clientSecret, which pulumi-gcp marks no secret: the import's
    # own update stored it as ciphertext (the program's additional_secret_outputs), and the
    # stack's state, as `pulumi stack export` shows it, holds no plaintext either.
    history = sorted((repo.state / ".pulumi" / "history" / "mlaas-tenants" / "tenant-one").glob(
        "*.checkpoint.json"))  # fmt: skip
    imported_state = json.loads(history[0].read_text())["checkpoint"]["latest"]["resources"]
    [config] = [r for r in imported_state if r["type"].endswith("TenantDefaultSupportedIdpConfig")]
    assert "ciphertext" in config["outputs"]["clientSecret"]
    exported = pulumi(repo, "stack", "export", "--stack", "organization/mlaas-tenants/tenant-one")
    assert '"clientSecret"' in exported
    assert repo.secret_values[0] not in exported
    imported = [s for s in right.json()["tenants"][0]["steps"] if s["op"] == "import"]
    assert sorted(s["name"] for s in imported) == [
        "tenant-one-identity",
        "tenant-one-idp-google.com",
    ]
    plan = repo.run("plan", "--format", "json")
    assert [(t["tenant"], t["status"]) for t in plan.json()["tenants"]] == [
        ("tenant-one", "unchanged")
    ]
    assert repo.tenant_ids() == {"tenant-one": one_id}
    forced = repo.run("apply", "--force", "--format", "json")
    assert forced.code == 0, forced.stdout + forced.stderr
    assert forced.json()["tenants"][0]["steps"] == []
