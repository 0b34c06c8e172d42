"""Manifests written from live tenants (Identity Toolkit v2 answers): each one validates,
and adoption would find nothing to change in it; secrets are references the tenant owns,
never values; tenants already in git are left out."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from reconciler.manifests.model import DefaultIdp, OidcIdp, SamlIdp, tenant_from_document
from reconciler.manifests.validate import validate_tree
from reconciler.reconcile.adoption import differences, live_tenant
from reconciler.reconcile.discover import HeldTenant, discover
from reconciler.reconcile.manifest_writer import (
    LiveIdp,
    manifest_document,
    manifest_text,
    mfa_from_api,
    secret_ids,
    tenant_name,
)
from tests.repo import REPO

CERTIFICATE = yaml.safe_load(
    (REPO / "tests/fixtures/manifests/valid/every-field.yaml").read_text()
)["spec"]["identityProviders"][3]["idp"]["certificates"][0]
P = "projects/acme-prod/tenants/Acme-Research-x1y2z"
LIVE = {
    "name": P,
    "displayName": "Acme-Research",
    "allowPasswordSignup": True,
    "client": {"permissions": {"disabledUserDeletion": True}},
    "mfaConfig": {
        "state": "MANDATORY",
        "enabledProviders": ["PHONE_SMS"],
        "providerConfigs": [{"state": "ENABLED", "totpProviderConfig": {"adjacentIntervals": 3}}],
    },
}
IDPS = [
    LiveIdp(
        "defaultSupportedIdpConfigs",
        {
            "name": f"{P}/defaultSupportedIdpConfigs/google.com",
            "enabled": True,
            "clientId": "1111-acme.apps.googleusercontent.com",
            "clientSecret": "the-live-google-secret",
        },
    ),
    LiveIdp(
        "oauthIdpConfigs",
        {
            "name": f"{P}/oauthIdpConfigs/oidc.acme-okta",
            "displayName": "Acme Okta",
            "enabled": False,
            "clientId": "0oa1acme",
            "issuer": "https://acme.okta.example.com",
            "clientSecret": "the-live-okta-secret",
            "responseType": {"code": True},
        },
    ),
    LiveIdp(
        "inboundSamlConfigs",
        {
            "name": f"{P}/inboundSamlConfigs/saml.acme-adfs",
            "displayName": "Acme ADFS",
            "enabled": True,
            "idpConfig": {
                "idpEntityId": "https://adfs.acme.example.com/adfs/services/trust",
                "ssoUrl": "https://adfs.acme.example.com/adfs/ls/",
                "signRequest": True,
                "idpCertificates": [{"x509Certificate": CERTIFICATE}],
            },
            "spConfig": {
                "spEntityId": "https://mlaas.example.com/saml/acme",
                "callbackUri": "https://mlaas.example.com/__/auth/handler",
            },
        },
    ),
]


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    shutil.copytree(REPO / "schema", tmp_path / "schema")
    shutil.copy(REPO / "platform.yaml", tmp_path / "platform.yaml")
    (tmp_path / "tenants").mkdir()
    return tmp_path


def write(repo: Path, document: dict) -> Path:
    path = repo / "tenants" / f"{document['metadata']['name']}.yaml"
    path.write_text(manifest_text(document))
    return path


def test_a_written_manifest_validates_and_adoption_finds_nothing_to_change(repo: Path):
    document = manifest_document(LIVE, IDPS, "acme-research", "ml-lead@acme.io")
    path = write(repo, document)
    result = validate_tree(repo)
    assert result.ok, result.issues
    tenant = tenant_from_document(yaml.safe_load(path.read_text()), path)
    assert differences(tenant, live_tenant(LIVE)) == []
    assert tenant.adopt is not None and tenant.adopt.tenant_id == "Acme-Research-x1y2z"
    google, okta, adfs = tenant.identity_providers
    assert isinstance(google, DefaultIdp) and google.client_id == IDPS[0].config["clientId"]
    assert isinstance(okta, OidcIdp) and (okta.response_type, okta.enabled) == ("code", False)
    assert isinstance(adfs, SamlIdp) and adfs.sign_request and adfs.certificates == (CERTIFICATE,)
    assert adfs.callback_uri == "https://mlaas.example.com/__/auth/handler"


def test_secrets_are_owned_references_never_values(repo: Path):
    document = manifest_document(LIVE, IDPS, "acme-research", "ml-lead@acme.io")
    text = manifest_text(document)
    assert "the-live" not in text
    assert secret_ids(document) == [
        "tenant-acme-research-google-client-secret",
        "tenant-acme-research-oidc-acme-okta-client-secret",
    ]
    for secret in secret_ids(document):
        assert secret.startswith("tenant-acme-research-")


SIGNED_IN = {
    **LIVE,
    "enableAnonymousUser": True,
    "autodeleteAnonymousUsers": True,
    "passwordPolicyConfig": {
        "passwordPolicyEnforcementState": "ENFORCE",
        "passwordPolicyVersions": [
            {"customStrengthOptions": {"minPasswordLength": 12, "containsNumericCharacter": True}}
        ],
        "forceUpgradeOnSignin": True,
    },
    "smsRegionConfig": {"allowlistOnly": {"allowedRegions": ["US", "CA"]}},
    "recaptchaConfig": {
        "phoneEnforcementState": "AUDIT",
        "tollFraudManagedRules": [{"startScore": 0.800000011920929, "action": "BLOCK"}],
        "useSmsTollFraudProtection": True,
        "recaptchaKeys": [{"key": "projects/p/keys/k", "type": "WEB"}],
    },
    "emailPrivacyConfig": {"enableImprovedEmailPrivacy": True},
    "testPhoneNumbers": {"+447700900123": "654321", "+15555550100": "123456"},
    "inheritance": {"emailSendingConfig": True},
    "monitoring": {"requestLogging": {"enabled": True}},
    "mobileLinksConfig": {"domain": "HOSTING_DOMAIN"},
}
"""A live tenant with every sign-in setting away from the API's default (issue 24's
settings; the server-owned `recaptchaKeys` and a float32 score as the API answers them)."""


def test_every_live_sign_in_setting_is_written_and_adoption_finds_nothing_to_change(repo: Path):
    document = manifest_document(SIGNED_IN, [], "acme-research", "ml-lead@acme.io")
    path = write(repo, document)
    result = validate_tree(repo)
    assert result.ok, result.issues
    tenant = tenant_from_document(yaml.safe_load(path.read_text()), path)
    assert differences(tenant, live_tenant(SIGNED_IN)) == []
    auth = document["spec"]["auth"]
    assert auth["passwordPolicy"] == {
        "enforcementState": "ENFORCE",
        "minLength": 12,
        "requireNumeric": True,
        "forceUpgradeOnSignin": True,
    }
    assert auth["smsRegions"] == {"allowedRegions": ["CA", "US"]}
    assert auth["recaptcha"] == {
        "emailPasswordEnforcementState": "OFF",
        "phoneEnforcementState": "AUDIT",
        "tollFraudManagedRules": [{"startScore": 0.8, "action": "BLOCK"}],
        "useSmsTollFraudProtection": True,
    }
    assert (auth["requestLogging"], auth["mobileLinksDomain"]) == (True, "HOSTING_DOMAIN")
    assert tenant.auth.enable_anonymous_user and tenant.auth.autodelete_anonymous_users
    assert tenant.auth.enable_improved_email_privacy and tenant.auth.inherit_email_sending


def test_test_phone_codes_are_owned_references_never_values():
    document = manifest_document(SIGNED_IN, IDPS[:1], "acme-research", "ml-lead@acme.io")
    text = manifest_text(document)
    assert "123456" not in text and "654321" not in text
    assert secret_ids(document) == [
        "tenant-acme-research-google-client-secret",
        "tenant-acme-research-test-phone-15555550100-code",
        "tenant-acme-research-test-phone-447700900123-code",
    ]


def test_a_tenant_at_the_defaults_writes_them_and_leaves_the_operations_switches_alone():
    auth = manifest_document(LIVE, [], "acme-research", "ml-lead@acme.io")["spec"]["auth"]
    assert auth["enableAnonymousUser"] is False
    assert auth["passwordPolicy"] == {"enforcementState": "OFF"}
    assert auth["smsRegions"] == {"disallowedRegions": []}
    assert auth["testPhoneNumbers"] == {}
    # Absent means "left as it is" for these: a written manifest takes over none unasked
    # (reCAPTCHA off: a project without reCAPTCHA Enterprise is never sent it, finding 6).
    assert "requestLogging" not in auth and "mobileLinksDomain" not in auth
    assert "recaptcha" not in auth


def test_recaptcha_rules_without_enforcement_are_not_written():
    off = {**LIVE, "recaptchaConfig": {"managedRules": [{"endScore": 0.3, "action": "BLOCK"}]}}
    assert "recaptcha" not in manifest_document(off, [], "acme-research", "o@x.io")["spec"]["auth"]


@pytest.mark.parametrize(
    ("config", "mfa"),
    [
        (None, {"state": "DISABLED", "factors": []}),
        ({"state": "STATE_UNSPECIFIED"}, {"state": "DISABLED", "factors": []}),
        (
            {"state": "ENABLED", "enabledProviders": ["PHONE_SMS"]},
            {"state": "ENABLED", "factors": ["PHONE_SMS"]},
        ),
        (
            {
                "state": "ENABLED",
                "providerConfigs": [
                    {"state": "ENABLED", "totpProviderConfig": {"adjacentIntervals": 5}}
                ],
            },
            {"state": "ENABLED", "factors": ["TOTP"]},
        ),
        (
            {
                "state": "ENABLED",
                "enabledProviders": ["PHONE_SMS"],
                "providerConfigs": [
                    {"state": "DISABLED", "totpProviderConfig": {"adjacentIntervals": 5}}
                ],
            },
            {"state": "ENABLED", "factors": ["PHONE_SMS"]},
        ),
    ],
)
def test_mfa_reads_back_as_the_manifest_writes_it(config, mfa):
    assert mfa_from_api(config) == mfa


@pytest.mark.parametrize(
    ("display", "taken", "name"),
    [
        ("Acme-Research", [], "acme-research"),
        ("Acme-Research", ["acme-research"], "acme-research-2"),
        ("7-Eleven", [], "t-7-eleven"),
        ("A" * 20, [], "a" * 20),
    ],
)
def test_tenant_names_derive_from_display_names(display, taken, name):
    assert tenant_name(display, taken) == name


def test_discovery_leaves_out_what_git_already_has_and_shared_display_names(repo: Path):
    known = tenant_from_document(
        manifest_document(LIVE, [], "acme-research", "ml-lead@acme.io"), Path("x.yaml")
    )
    live = [
        LIVE,
        {"name": "projects/p/tenants/Beta-1", "displayName": "Beta"},
        {"name": "projects/p/tenants/Twin-1", "displayName": "Twin"},
        {"name": "projects/p/tenants/Twin-2", "displayName": "Twin"},
        {"name": "projects/p/tenants/Gone-1", "displayName": "Deployed-Elsewhere"},
    ]
    held = [HeldTenant("elsewhere", None, "Deployed-Elsewhere")]
    found = discover(live, {}, [known], held, "ml-lead@acme.io")
    assert sorted(found.manifests) == ["beta"]
    assert found.manifests["beta"]["spec"]["adopt"] == {"tenantId": "Beta-1"}
    assert found.skipped == (
        "Acme-Research-x1y2z (Acme-Research): a manifest in tenants/ names it",
        "Gone-1 (Deployed-Elsewhere): stack elsewhere recorded this display name",
        "Twin-1 (Twin): 2 tenants have this display name; give each its own in the console, "
        "then run again",
        "Twin-2 (Twin): 2 tenants have this display name; give each its own in the console, "
        "then run again",
    )


def test_a_managed_tenant_renamed_in_the_console_is_skipped_by_the_id_its_stack_holds():
    """Renaming in the console is ordinary drift: the tenant's stack still holds its id. A
    second manifest adopting that id would put one tenant in two stacks, and deleting the
    duplicate later would destroy the real tenant."""
    known = tenant_from_document(
        {
            "apiVersion": "mlaas.dev/v1",
            "kind": "Tenant",
            "metadata": {"name": "acme-research", "owner": "ml-lead@acme.io"},
            "spec": {"displayName": "Acme-Research"},
        },
        Path("tenants/acme-research.yaml"),
    )
    renamed = {**LIVE, "displayName": "Renamed-In-Console"}
    held = [HeldTenant("acme-research", "Acme-Research-x1y2z", "Acme-Research")]
    found = discover([renamed], {}, [known], held, "ml-lead@acme.io")
    assert found.manifests == {}
    assert found.skipped == (
        "Acme-Research-x1y2z (Renamed-In-Console): stack acme-research holds it",
    )


def test_a_stack_without_a_manifest_keeps_its_name_taken():
    """A stack whose manifest was removed (a protected tenant whose deletion is blocked)
    still exists: a new manifest must not take its name."""
    live = [{"name": "projects/p/tenants/Beta-1", "displayName": "Beta"}]
    held = [HeldTenant("beta", "Other-1", "Other")]
    found = discover(live, {}, [], held, "ml-lead@acme.io")
    assert sorted(found.manifests) == ["beta-2"]
