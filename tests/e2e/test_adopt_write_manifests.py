"""Onboarding at scale on the sandbox: tenants made outside git (through the Identity Toolkit
REST API, as a console or a script would) get manifests from `reconciler adopt
--write-manifests`; the manifests validate, `adopt` takes every tenant over unchanged
(same ids, users kept), `plan` then shows them unchanged, and a second
`--write-manifests` writes nothing. One tenant has its sign-in settings set away from the
API's defaults (issue 24), a test phone number among them: the written manifest carries each
one, the code only as a reference the tenant owns, and adopting changes none of them.

The test runs in a project of its own in the shared emulator, so other tests' tenants
are not listed."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

import pytest

from reconciler.program import signin
from sandbox import secretmanager_api
from sandbox.provider.secretmanager import put_secret
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


def tenant_path(tenant_id: str) -> str:
    return f"identitytoolkit.googleapis.com/v2/projects/{OWN_PROJECT}/tenants/{tenant_id}"


SIGN_IN = {
    "enableAnonymousUser": True,
    "passwordPolicyConfig": {
        "passwordPolicyEnforcementState": "ENFORCE",
        "passwordPolicyVersions": [
            {"customStrengthOptions": {"minPasswordLength": 10, "containsNumericCharacter": True}}
        ],
        "forceUpgradeOnSignin": False,
    },
    "smsRegionConfig": {"allowlistOnly": {"allowedRegions": ["US", "CA"]}},
    "emailPrivacyConfig": {"enableImprovedEmailPrivacy": True},
    "mobileLinksConfig": {"domain": "HOSTING_DOMAIN"},
}
"""Set by hand on Onboard-Beta (a PATCH as the console sends), with a test phone number."""
PHONE = "+15555550100"


def set_by_hand(host: str, tenant_id: str, code: str) -> None:
    mask = "enableAnonymousUser,passwordPolicyConfig.passwordPolicyEnforcementState,"
    mask += "passwordPolicyConfig.passwordPolicyVersions,passwordPolicyConfig.forceUpgradeOnSignin,"
    mask += "smsRegionConfig,emailPrivacyConfig.enableImprovedEmailPrivacy,"
    mask += "mobileLinksConfig.domain,testPhoneNumbers"
    body = {**SIGN_IN, "testPhoneNumbers": {PHONE: code}}
    status, answer = call(host, "PATCH", f"{tenant_path(tenant_id)}?updateMask={mask}", body)
    assert status == 200, answer


def live(host: str, tenant_id: str) -> dict[str, Any]:
    """The tenant's settings in canonical form (the API's omissions read as its defaults),
    so a setting sent again explicitly compares equal."""
    status, answer = call(host, "GET", tenant_path(tenant_id))
    assert status == 200, answer
    fields = [setting.field for setting in signin.SETTINGS]
    return {
        **{key: answer.get(key) for key in ("displayName", "allowPasswordSignup", "client")},
        **signin.normalized_config(answer, fields),
        "testPhoneNumbers": answer.get("testPhoneNumbers"),
    }


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
    code = f"{secrets.randbelow(10**6):06d}"
    set_by_hand(host, ids["Onboard-Beta"], code)
    before = live(host, ids["Onboard-Beta"])
    assert before["testPhoneNumbers"] == {PHONE: code}

    wrote = repo.run("adopt", "--write-manifests", "--owner", "ml-lead@acme.io")
    assert wrote.code == 0, wrote.stdout + wrote.stderr
    assert "wrote tenants/onboard-alpha.yaml" in wrote.stdout
    assert "wrote tenants/onboard-beta.yaml" in wrote.stdout
    assert "the emulator does not serve" in wrote.stderr  # IdP lists answer 501 there
    beta = repo.manifest("onboard-beta").read_text()
    assert f"tenantId: {ids['Onboard-Beta']}" in beta
    assert "enableEmailLinkSignin: true" in beta and "- PHONE_SMS" in beta
    # Every sign-in setting, as the tenant has it; the code only as a reference.
    for line in (
        "enableAnonymousUser: true",
        "enforcementState: ENFORCE",
        "minLength: 10",
        "requireNumeric: true",
        "allowedRegions:\n      - CA\n      - US",
        "enableImprovedEmailPrivacy: true",
        "mobileLinksDomain: HOSTING_DOMAIN",
        "secret: tenant-onboard-beta-test-phone-15555550100-code",
    ):
        assert line in beta, beta
    assert code not in beta and "requestLogging" not in beta
    assert "tenant-onboard-beta-test-phone-15555550100-code" in wrote.stdout
    alpha = repo.manifest("onboard-alpha").read_text()
    assert "enableAnonymousUser: false" in alpha and "testPhoneNumbers: {}" in alpha

    checked = repo.run("validate")
    assert checked.code == 0, checked.stdout + checked.stderr

    # The next step the command names: the live code into the secret the manifest references.
    db = Path(repo.env["SANDBOX_STATE_DB"])
    put_secret(OWN_PROJECT, "tenant-onboard-beta-test-phone-15555550100-code", code, db_path=db)
    api = secretmanager_api.start(db, repo.root.parent / "secretmanager.log")
    repo.env["RECONCILER_SECRET_MANAGER_ENDPOINT"] = api.url
    try:
        adopt_and_check(repo, host, ids, before)
    finally:
        api.stop()


def adopt_and_check(repo: TenantRepo, host: str, ids: dict[str, str], before: dict) -> None:
    adopted = repo.run("adopt", "--format", "json")
    assert adopted.code == 0, adopted.stdout + adopted.stderr
    assert live(host, ids["Onboard-Beta"]) == before  # every setting and the code unchanged
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


def test_a_managed_tenant_renamed_in_the_console_gets_no_second_manifest(
    tenant_repo: TenantRepo,
):
    """tenant-one is deployed from its manifest (no `spec.adopt`), then renamed in the
    console: its stack still holds its id, so `--write-manifests` must leave it alone (a
    second manifest would adopt the same tenant into a second stack)."""
    repo = tenant_repo
    host = repo.env["FIREBASE_AUTH_EMULATOR_HOST"]
    own = "demo-onboarding-renamed"
    text = (repo.root / "platform.yaml").read_text()
    (repo.root / "platform.yaml").write_text(text.replace(f"project: {PROJECT}", f"project: {own}"))
    repo.manifest("tenant-two").unlink()
    applied = repo.run("apply", "--format", "json")
    assert applied.code == 0, applied.stdout + applied.stderr
    one = repo.tenant_ids()["tenant-one"]
    status, body = call(
        host,
        "PATCH",
        f"identitytoolkit.googleapis.com/v2/projects/{own}/tenants/{one}?updateMask=displayName",
        {"displayName": "Renamed-In-Console"},
    )
    assert status == 200, body

    wrote = repo.run("adopt", "--write-manifests", "--owner", "ml-lead@acme.io")
    assert wrote.code == 0, wrote.stdout + wrote.stderr
    assert f"skipped {one} (Renamed-In-Console): stack tenant-one holds it" in wrote.stderr
    assert f"no tenant of project {own} lacks a manifest" in wrote.stdout
    assert sorted(p.name for p in (repo.root / "tenants").iterdir()) == ["tenant-one.yaml"]
