"""Adoption compares every sign-in setting the manifest owns and names the line to write
(reconciler/reconcile/adopt_signin.py, called by adopt.differences)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from reconciler.manifests.model import Adopt, OidcIdp, SecretRef, Tenant
from reconciler.manifests.signin import auth_from_document
from reconciler.reconcile.adopt import differences, live_tenant
from reconciler.reconcile.adopt_signin import flow_differences

PROJECT = "demo-unit"


def manifest(auth: dict[str, Any] | None = None) -> Tenant:
    return Tenant(
        name="acme",
        owner="o@example.com",
        display_name="Acme-One",
        auth=auth_from_document({"allowPasswordSignup": True, **(auth or {})}),
        adopt=Adopt(tenant_id="acme-k3x9f"),
        source=Path("tenants/acme.yaml"),
    )


def live(**fields: Any) -> dict[str, Any]:
    return {
        "name": f"projects/{PROJECT}/tenants/acme-k3x9f",
        "tenantId": "acme-k3x9f",
        "displayName": "Acme-One",
        "allowPasswordSignup": True,
        **fields,
    }


POLICY = {
    "passwordPolicyEnforcementState": "ENFORCE",
    "passwordPolicyVersions": [
        {"customStrengthOptions": {"minPasswordLength": 12, "containsNumericCharacter": True}}
    ],
}


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        (live(enableAnonymousUser=True), "spec.auth.enableAnonymousUser: the tenant has true, "
         "the manifest says false; write `enableAnonymousUser: true` under spec.auth"),
        (live(autodeleteAnonymousUsers=True), "write `autodeleteAnonymousUsers: true`"),
        (live(mfaConfig={"state": "MANDATORY", "enabledProviders": ["PHONE_SMS"]}),
         "write `mfa: {state: MANDATORY, factors: [PHONE_SMS]}` under spec.auth"),
        (live(passwordPolicyConfig=POLICY),
         "write `passwordPolicy: {enforcementState: ENFORCE, minLength: 12, "
         "requireNumeric: true}` under spec.auth"),
        (live(smsRegionConfig={"allowlistOnly": {"allowedRegions": ["US", "CA"]}}),
         "write `smsRegions: {allowedRegions: [CA, US]}` under spec.auth"),
        (live(emailPrivacyConfig={"enableImprovedEmailPrivacy": True}),
         "write `enableImprovedEmailPrivacy: true` under spec.auth"),
        (live(inheritance={"emailSendingConfig": True}),
         "write `inheritEmailSending: true` under spec.auth"),
        (live(testPhoneNumbers={"+15555550100": "123456"}),
         'write `testPhoneNumbers: {"+15555550100": {fromEnv: '
         'ACME_TEST_PHONE_15555550100_CODE}}` under spec.auth'),
    ],
)  # fmt: skip
def test_each_sign_in_difference_names_the_line_to_write(document: dict, expected: str):
    found = differences(manifest(), live_tenant(document))
    assert len(found) == 1 and expected in found[0], found


def test_a_manifest_without_recaptcha_adopts_a_tenant_whatever_its_recaptcha():
    """Absent `recaptcha:` leaves it as it is (finding 6): nothing to compare, nothing sent."""
    protected = live(recaptchaConfig={"emailPasswordEnforcementState": "ENFORCE"})
    assert differences(manifest(), live_tenant(protected)) == []


def test_a_written_recaptcha_is_compared():
    tenant = manifest({"recaptcha": {"emailPasswordEnforcementState": "OFF"}})
    protected = live(
        recaptchaConfig={
            "emailPasswordEnforcementState": "AUDIT",
            "managedRules": [{"endScore": 0.3, "action": "BLOCK"}],
        }
    )
    [found] = differences(tenant, live_tenant(protected))
    assert (
        "write `recaptcha: {emailPasswordEnforcementState: AUDIT, managedRules: "
        "[{endScore: 0.3, action: BLOCK}]}` under spec.auth"
    ) in found


def test_a_setting_back_at_the_default_says_remove_the_key():
    tenant = manifest(
        {"enableImprovedEmailPrivacy": True, "smsRegions": {"allowedRegions": ["US"]}}
    )
    found = differences(tenant, live_tenant(live(emailPrivacyConfig={})))
    assert any("remove `enableImprovedEmailPrivacy` from spec.auth" in line for line in found)
    assert any("remove `smsRegions` from spec.auth" in line for line in found), found


def test_a_manifest_that_says_what_the_tenant_has_adopts_it():
    tenant = manifest(
        {
            "enableAnonymousUser": True,
            "passwordPolicy": {"enforcementState": "ENFORCE", "minLength": 12,
                               "requireNumeric": True},
            "testPhoneNumbers": {"+15555550100": {"fromEnv": "ACME_TEST_PHONE_CODE"}},
            "requestLogging": True,
        }
    )  # fmt: skip
    document = live(
        enableAnonymousUser=True,
        passwordPolicyConfig=POLICY,
        testPhoneNumbers={"+15555550100": "999999"},  # codes are compared by the up
        monitoring={"requestLogging": {"enabled": True}},
    )
    assert differences(tenant, live_tenant(document)) == []


def test_settings_left_as_they_are_are_not_compared_when_absent():
    document = live(monitoring={"requestLogging": {"enabled": True}},
                    mobileLinksConfig={"domain": "HOSTING_DOMAIN"})  # fmt: skip
    assert differences(manifest(), live_tenant(document)) == []
    found = differences(manifest({"requestLogging": False}), live_tenant(document))
    assert len(found) == 1 and "write `requestLogging: true` under spec.auth" in found[0]


def oidc(response_type: str) -> Tenant:
    idp = OidcIdp("oidc.okta", "Okta", "https://okta.example.com", "cid", response_type,
                  SecretRef(from_env="ACME_OKTA_CLIENT_SECRET"))  # fmt: skip
    return dataclasses.replace(manifest(), identity_providers=(idp,))


@pytest.mark.parametrize(
    ("manifest_flow", "live_flags", "expected"),
    [
        ("code", {"code": True, "idToken": False}, None),
        ("idToken", {"idToken": True}, None),
        ("idToken", None, None),  # made without a response type: the implicit flow
        ("code", {"idToken": True}, "the provider oidc.okta has idToken, the manifest says "
         "code; write `responseType: idToken` (or leave responseType out)"),
        ("idToken", {"code": True}, "has code, the manifest says idToken; write "
         "`responseType: code` and its clientSecret reference"),
    ],
)  # fmt: skip
def test_an_oidc_providers_flow_must_be_the_manifests(
    manifest_flow: str, live_flags: dict | None, expected: str | None
):
    config = {"name": "x"} if live_flags is None else {"name": "x", "responseType": live_flags}
    found = flow_differences(oidc(manifest_flow), {"oidc.okta": config})
    if expected is None:
        assert found == []
    else:
        assert len(found) == 1 and expected in found[0]
        assert found[0].startswith("spec.identityProviders[0].responseType:")
