"""Onboarding at scale on the sandbox: tenants made outside git (through the Identity Toolkit
REST API, as a console or a script would) get manifests from `reconciler adopt
--write-manifests`; the manifests validate, `adopt` takes every tenant over unchanged
(same ids, users kept), `plan` then shows them unchanged, and a second
`--write-manifests` writes nothing.

The test runs in a project of its own in the shared emulator, so other tests' tenants
are not listed."""

from __future__ import annotations

import pytest

from tests.e2e.harness import PROJECT, TenantRepo
from tests.e2e.identity import call, sign_in, sign_up

pytestmark = pytest.mark.e2e

OWN_PROJECT = "demo-onboarding"


def create(host: str, body: dict) -> str:
    status, answer = call(
        host, "POST", f"identitytoolkit.googleapis.com/v2/projects/{OWN_PROJECT}/tenants", body
    )
    assert status == 200, answer
    return str(answer["name"]).rsplit("/", 1)[-1]


def test_manifests_written_from_the_project_validate_and_adopt_unchanged(tenant_repo: TenantRepo):
    repo = tenant_repo
    host = repo.env["FIREBASE_AUTH_EMULATOR_HOST"]
    text = (repo.root / "platform.yaml").read_text()
    (repo.root / "platform.yaml").write_text(
        text.replace(f"project: {PROJECT}", f"project: {OWN_PROJECT}")
    )
    for name in ("tenant-one", "tenant-two"):
        repo.manifest(name).unlink()
    ids = {
        "Onboard-Alpha": create(
            host, {"displayName": "Onboard-Alpha", "allowPasswordSignup": True}
        ),
        "Onboard-Beta": create(
            host,
            {
                "displayName": "Onboard-Beta",
                "enableEmailLinkSignin": True,
                "mfaConfig": {"state": "ENABLED", "enabledProviders": ["PHONE_SMS"]},
            },
        ),
    }
    status, body = sign_up(host, ids["Onboard-Alpha"], "ada@alpha.example.com", "correct-horse-1")
    assert status == 200, body

    wrote = repo.run("adopt", "--write-manifests", "--owner", "ml-lead@acme.io")
    assert wrote.code == 0, wrote.stdout + wrote.stderr
    assert "wrote tenants/onboard-alpha.yaml" in wrote.stdout
    assert "wrote tenants/onboard-beta.yaml" in wrote.stdout
    assert "the emulator does not serve" in wrote.stderr  # IdP lists answer 501 there
    beta = repo.manifest("onboard-beta").read_text()
    assert f"tenantId: {ids['Onboard-Beta']}" in beta
    assert "enableEmailLinkSignin: true" in beta and "- PHONE_SMS" in beta

    checked = repo.run("validate")
    assert checked.code == 0, checked.stdout + checked.stderr

    adopted = repo.run("adopt", "--format", "json")
    assert adopted.code == 0, adopted.stdout + adopted.stderr
    lines = {t["tenant"]: t for t in adopted.json()["tenants"]}
    assert {n: t["status"] for n, t in lines.items()} == {
        "onboard-alpha": "succeeded",
        "onboard-beta": "succeeded",
    }
    for line in lines.values():  # imported; then only the state-only deletionPolicy is set
        tenant = [s for s in line["steps"] if s["type"].endswith(":Tenant")]
        assert [s["op"] for s in tenant] == ["import", "update"], tenant
        assert tenant[1]["diffs"] == ["deletionPolicy"], tenant
    plan = repo.run("plan", "--format", "json")
    assert plan.code == 0, plan.stderr
    assert {t["tenant"]: t["status"] for t in plan.json()["tenants"]} == {
        "onboard-alpha": "unchanged",
        "onboard-beta": "unchanged",
    }
    assert repo.tenant_ids() == {
        "onboard-alpha": ids["Onboard-Alpha"],
        "onboard-beta": ids["Onboard-Beta"],
    }
    status, body = sign_in(host, ids["Onboard-Alpha"], "ada@alpha.example.com", "correct-horse-1")
    assert status == 200, body

    again = repo.run("adopt", "--write-manifests", "--owner", "ml-lead@acme.io")
    assert again.code == 0, again.stderr
    assert f"no tenant of project {OWN_PROJECT} lacks a manifest" in again.stdout
