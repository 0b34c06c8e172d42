"""Every manifest field's effect on a resource property, one row per field.

Each row changes one field of the every-field manifest and checks the one property it
must move. `test_every_model_field_is_covered` walks `reconciler/manifests/model.py`, so a
new field fails here until this file says where its effect is tested.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from program_harness import (
    ACCOUNT,
    ACCOUNT_IAM,
    BUCKET,
    BUCKET_IAM,
    DEFAULT_IDP,
    IDENTITY_TENANT,
    OIDC_FLOW,
    OIDC_IDP,
    SAML_IDP,
    SIGN_IN,
    Harness,
    ProgramRun,
    lookup,
    make_platform,
)

from reconciler.manifests import model

DELETE = object()
"""A row value meaning: remove the field from the manifest."""
ABSENT = object()
"""No such resource (before an edit that renames it)."""

CERT = "-----BEGIN CERTIFICATE-----\nMIIBcert\n-----END CERTIFICATE-----\n"

# (manifest path, new value, resource type, logical name after "every-field-", input, expected)
ROWS: list[tuple[str, Any, str, str, str, Any]] = [
    ("metadata.owner", "Ops@Acme.example.com", BUCKET, "data", "labels.owner",
     "ops_at_acme_example_com"),
    ("metadata.labels", {"tier": "gold"}, BUCKET, "data", "labels",
     {"tier": "gold", "tenant": "every-field", "owner": "owner_at_acme_example_com",
      "managed-by": "tenant-gitops"}),
    ("spec.displayName", "Acme-Two", IDENTITY_TENANT, "identity", "displayName", "Acme-Two"),
    ("spec.auth.allowPasswordSignup", False, IDENTITY_TENANT, "identity",
     "allowPasswordSignup", False),
    ("spec.auth.enableEmailLinkSignin", False, IDENTITY_TENANT, "identity",
     "enableEmailLinkSignin", False),
    ("spec.auth.disableAuth", True, IDENTITY_TENANT, "identity", "disableAuth", True),
    ("spec.auth.clientPermissions.disabledUserSignup", False, IDENTITY_TENANT, "identity",
     "client.permissions.disabledUserSignup", False),
    ("spec.auth.clientPermissions.disabledUserDeletion", False, IDENTITY_TENANT, "identity",
     "client.permissions.disabledUserDeletion", False),
    ("spec.auth", DELETE, IDENTITY_TENANT, "identity", "allowPasswordSignup", False),
    # auth.mfa (every-field: MANDATORY, PHONE_SMS and TOTP, 3 intervals)
    ("spec.auth.mfa.state", "ENABLED", SIGN_IN, "sign-in", "mfaConfig.state", "ENABLED"),
    ("spec.auth.mfa.state", DELETE, SIGN_IN, "sign-in", "mfaConfig.state", "DISABLED"),
    ("spec.auth.mfa.factors", ["TOTP"], SIGN_IN, "sign-in",
     "mfaConfig.enabledProviders", []),
    ("spec.auth.mfa.factors", ["PHONE_SMS"], SIGN_IN, "sign-in",
     "mfaConfig.providerConfigs", []),
    ("spec.auth.mfa.totpAdjacentIntervals", 10, SIGN_IN, "sign-in",
     "mfaConfig.providerConfigs.0.totpProviderConfig.adjacentIntervals", 10),
    ("spec.auth.mfa.totpAdjacentIntervals", DELETE, SIGN_IN, "sign-in",
     "mfaConfig.providerConfigs.0.totpProviderConfig.adjacentIntervals", 5),
    ("spec.auth.mfa", DELETE, SIGN_IN, "sign-in", "mfaConfig",
     {"state": "DISABLED", "enabledProviders": [], "providerConfigs": []}),
    ("spec.auth", DELETE, SIGN_IN, "sign-in", "mfaConfig.state", "DISABLED"),
    # the other sign-in settings (every-field sets each away from its default)
    ("spec.auth.enableAnonymousUser", False, SIGN_IN, "sign-in", "enableAnonymousUser",
     False),
    ("spec.auth.autodeleteAnonymousUsers", DELETE, SIGN_IN, "sign-in",
     "autodeleteAnonymousUsers", False),
    ("spec.auth.passwordPolicy.enforcementState", "OFF", SIGN_IN, "sign-in",
     "passwordPolicyConfig.passwordPolicyEnforcementState", "OFF"),
    ("spec.auth.passwordPolicy.minLength", 8, SIGN_IN, "sign-in",
     "passwordPolicyConfig.passwordPolicyVersions.0.customStrengthOptions"
     ".minPasswordLength", 8),
    ("spec.auth.passwordPolicy.maxLength", DELETE, SIGN_IN, "sign-in",
     "passwordPolicyConfig.passwordPolicyVersions.0.customStrengthOptions"
     ".maxPasswordLength", 4096),
    ("spec.auth.passwordPolicy.requireUppercase", False, SIGN_IN, "sign-in",
     "passwordPolicyConfig.passwordPolicyVersions.0.customStrengthOptions"
     ".containsUppercaseCharacter", False),
    ("spec.auth.passwordPolicy.requireLowercase", False, SIGN_IN, "sign-in",
     "passwordPolicyConfig.passwordPolicyVersions.0.customStrengthOptions"
     ".containsLowercaseCharacter", False),
    ("spec.auth.passwordPolicy.requireNumeric", False, SIGN_IN, "sign-in",
     "passwordPolicyConfig.passwordPolicyVersions.0.customStrengthOptions"
     ".containsNumericCharacter", False),
    ("spec.auth.passwordPolicy.requireNonAlphanumeric", False, SIGN_IN, "sign-in",
     "passwordPolicyConfig.passwordPolicyVersions.0.customStrengthOptions"
     ".containsNonAlphanumericCharacter", False),
    ("spec.auth.passwordPolicy.forceUpgradeOnSignin", False, SIGN_IN, "sign-in",
     "passwordPolicyConfig.forceUpgradeOnSignin", False),
    ("spec.auth.passwordPolicy", DELETE, SIGN_IN, "sign-in",
     "passwordPolicyConfig.passwordPolicyEnforcementState", "OFF"),
    ("spec.auth.smsRegions", {"disallowedRegions": ["KP"]}, SIGN_IN, "sign-in",
     "smsRegionConfig", {"allowByDefault": {"disallowedRegions": ["KP"]}}),
    ("spec.auth.smsRegions", DELETE, SIGN_IN, "sign-in", "smsRegionConfig",
     {"allowByDefault": {"disallowedRegions": []}}),
    ("spec.auth.recaptcha.emailPasswordEnforcementState", "AUDIT", SIGN_IN, "sign-in",
     "recaptchaConfig.emailPasswordEnforcementState", "AUDIT"),
    ("spec.auth.recaptcha.phoneEnforcementState", "ENFORCE", SIGN_IN, "sign-in",
     "recaptchaConfig.phoneEnforcementState", "ENFORCE"),
    ("spec.auth.recaptcha.managedRules", [{"endScore": 0.5, "action": "BLOCK"}], SIGN_IN,
     "sign-in", "recaptchaConfig.managedRules", [{"endScore": 0.5, "action": "BLOCK"}]),
    ("spec.auth.recaptcha.tollFraudManagedRules", DELETE, SIGN_IN, "sign-in",
     "recaptchaConfig.tollFraudManagedRules", []),
    ("spec.auth.recaptcha.useAccountDefender", False, SIGN_IN, "sign-in",
     "recaptchaConfig.useAccountDefender", False),
    ("spec.auth.recaptcha.useSmsBotScore", False, SIGN_IN, "sign-in",
     "recaptchaConfig.useSmsBotScore", False),
    ("spec.auth.recaptcha.useSmsTollFraudProtection", False, SIGN_IN, "sign-in",
     "recaptchaConfig.useSmsTollFraudProtection", False),
    # Absent: left as it is (a project without reCAPTCHA Enterprise is never sent it).
    ("spec.auth.recaptcha", DELETE, SIGN_IN, "sign-in", "recaptchaConfig", None),
    ("spec.auth.enableImprovedEmailPrivacy", False, SIGN_IN, "sign-in",
     "emailPrivacyConfig.enableImprovedEmailPrivacy", False),
    ("spec.auth.inheritEmailSending", DELETE, SIGN_IN, "sign-in",
     "inheritance.emailSendingConfig", False),
    ("spec.auth.requestLogging", False, SIGN_IN, "sign-in",
     "monitoring.requestLogging.enabled", False),
    ("spec.auth.requestLogging", DELETE, SIGN_IN, "sign-in", "monitoring", None),
    ("spec.auth.mobileLinksDomain", "FIREBASE_DYNAMIC_LINK_DOMAIN", SIGN_IN, "sign-in",
     "mobileLinksConfig.domain", "FIREBASE_DYNAMIC_LINK_DOMAIN"),
    ("spec.auth.mobileLinksDomain", DELETE, SIGN_IN, "sign-in", "mobileLinksConfig",
     None),
    ("spec.auth.testPhoneNumbers", DELETE, SIGN_IN, "sign-in", "testPhoneNumbers", {}),
    # identityProviders[0]: google.com (default IdP, secret from the environment)
    ("spec.identityProviders.0.clientId", "2222-acme", DEFAULT_IDP, "idp-google.com",
     "clientId", "2222-acme"),
    ("spec.identityProviders.0.enabled", False, DEFAULT_IDP, "idp-google.com", "enabled", False),
    ("spec.identityProviders.0.id", "apple.com", DEFAULT_IDP, "idp-apple.com", "idpId",
     "apple.com"),
    # identityProviders[1]: microsoft.com (default IdP, secret from Secret Manager)
    ("spec.identityProviders.1.enabled", True, DEFAULT_IDP, "idp-microsoft.com", "enabled", True),
    ("spec.identityProviders.1.enabled", DELETE, DEFAULT_IDP, "idp-microsoft.com", "enabled",
     True),
    ("spec.identityProviders.1.clientId", "ms-2", DEFAULT_IDP, "idp-microsoft.com", "clientId",
     "ms-2"),
    # identityProviders[2]: oidc.acme-okta
    ("spec.identityProviders.2.id", "oidc.other", OIDC_IDP, "idp-oidc.other", "name",
     "oidc.other"),
    ("spec.identityProviders.2.displayName", "Okta Two", OIDC_IDP, "idp-oidc.acme-okta",
     "displayName", "Okta Two"),
    ("spec.identityProviders.2.issuer", "https://other.example.com", OIDC_IDP,
     "idp-oidc.acme-okta", "issuer", "https://other.example.com"),
    ("spec.identityProviders.2.clientId", "0oa2", OIDC_IDP, "idp-oidc.acme-okta", "clientId",
     "0oa2"),
    ("spec.identityProviders.2.enabled", False, OIDC_IDP, "idp-oidc.acme-okta", "enabled", False),
    ("spec.identityProviders.2.responseType", "idToken", OIDC_FLOW,
     "idp-oidc.acme-okta-flow", "responseType", "idToken"),
    ("spec.identityProviders.2.responseType", "idToken", OIDC_FLOW,
     "idp-oidc.acme-okta-flow", "clientSecret", ""),
    ("spec.identityProviders.2.responseType", DELETE, OIDC_FLOW,
     "idp-oidc.acme-okta-flow", "responseType", "idToken"),
    # identityProviders[3]: saml.acme-adfs
    ("spec.identityProviders.3.id", "saml.other", SAML_IDP, "idp-saml.other", "name",
     "saml.other"),
    ("spec.identityProviders.3.displayName", "ADFS Two", SAML_IDP, "idp-saml.acme-adfs",
     "displayName", "ADFS Two"),
    ("spec.identityProviders.3.enabled", False, SAML_IDP, "idp-saml.acme-adfs", "enabled", False),
    ("spec.identityProviders.3.idp.entityId", "https://idp2", SAML_IDP, "idp-saml.acme-adfs",
     "idpConfig.idpEntityId", "https://idp2"),
    ("spec.identityProviders.3.idp.ssoUrl", "https://idp2/sso", SAML_IDP, "idp-saml.acme-adfs",
     "idpConfig.ssoUrl", "https://idp2/sso"),
    ("spec.identityProviders.3.idp.signRequest", False, SAML_IDP, "idp-saml.acme-adfs",
     "idpConfig.signRequest", False),
    ("spec.identityProviders.3.idp.certificates", [CERT, CERT + "\n"], SAML_IDP,
     "idp-saml.acme-adfs", "idpConfig.idpCertificates",
     [{"x509Certificate": CERT}, {"x509Certificate": CERT + "\n"}]),
    ("spec.identityProviders.3.sp.entityId", "https://sp2", SAML_IDP, "idp-saml.acme-adfs",
     "spConfig.spEntityId", "https://sp2"),
    ("spec.identityProviders.3.sp.callbackUri", "https://sp2/cb", SAML_IDP, "idp-saml.acme-adfs",
     "spConfig.callbackUri", "https://sp2/cb"),
    # storage
    ("spec.storage.location", "US", BUCKET, "data", "location", "US"),
    ("spec.storage.location", DELETE, BUCKET, "data", "location", "EU"),
    ("spec.storage.storageClass", "NEARLINE", BUCKET, "data", "storageClass", "NEARLINE"),
    ("spec.storage.storageClass", DELETE, BUCKET, "data", "storageClass", "STANDARD"),
    # every-field sets retentionDays, so versioning is off unless written (GCS has not both).
    ("spec.storage.versioning", DELETE, BUCKET, "data", "versioning.enabled", False),
    ("spec.storage.retentionDays", 1, BUCKET, "data", "retentionPolicy.retentionPeriod", "86400"),
    ("spec.storage.retentionDays", 3650, BUCKET, "data", "retentionPolicy.retentionPeriod",
     "315360000"),
    ("spec.storage.retentionDays", DELETE, BUCKET, "data", "retentionPolicy", None),
    # metadata.owner also describes the service account (which takes no labels)
    ("metadata.owner", "ops@acme.example.com", ACCOUNT, "workload", "description",
     "Workloads of tenant every-field, owner ops@acme.example.com; managed by tenant-gitops."),
]  # fmt: skip


def edit(document: dict[str, Any], path: str, value: Any) -> None:
    """Set (or, with DELETE, remove) the field at a dotted path; digits index lists."""
    *parents, last = path.split(".")
    node: Any = document
    for key in parents:
        node = node[int(key)] if isinstance(node, list) else node[key]
    if value is DELETE:
        node.pop(last)
    else:
        node[last] = value


@pytest.mark.parametrize(
    ("path", "value", "type_", "name", "prop", "expected"),
    ROWS,
    ids=[f"{row[0]}={'<deleted>' if row[1] is DELETE else row[1]}"[:60] for row in ROWS],
)
def test_manifest_field_sets_resource_property(
    harness: Harness, path: str, value: Any, type_: str, name: str, prop: str, expected: Any
):
    document = harness.document("every-field")
    before = property_of(harness.run_document(document), type_, f"every-field-{name}", prop)
    edit(document, path, value)
    after = property_of(harness.run_document(document), type_, f"every-field-{name}", prop)
    assert after == expected
    # A row whose edit changes nothing would prove nothing (rows restoring a default excepted).
    assert before != after or value is DELETE


def property_of(run: ProgramRun, type_: str, name: str, prop: str) -> Any:
    """The input at `prop` of one resource, or ABSENT when there is no such resource."""
    found = [r for r in run.of_type(type_) if r.name == name]
    return lookup(found[0].inputs, prop) if found else ABSENT


def test_tenant_name_names_every_resource(harness: Harness):
    document = harness.document("every-field")
    document["metadata"]["name"] = "acme-two"
    run = harness.run_document(document)
    assert all(r.name.startswith("acme-two-") for r in run.registrations)
    assert run.one(BUCKET).inputs["name"].startswith("acme-two-data-")
    assert run.one(BUCKET).inputs["labels"]["tenant"] == "acme-two"
    assert run.one(ACCOUNT).inputs["accountId"] == "t-acme-two"
    assert run.outputs["tenantName"] == "acme-two"


def test_versioning_is_on_by_default_only_without_a_retention_policy(harness: Harness):
    document = harness.document("every-field")
    del document["spec"]["storage"]["versioning"]
    assert harness.run_document(document).one(BUCKET).inputs["versioning"] == {"enabled": False}
    del document["spec"]["storage"]["retentionDays"]
    run = harness.run_document(document)
    assert run.one(BUCKET).inputs["versioning"] == {"enabled": True}
    assert "retentionPolicy" not in run.one(BUCKET).inputs


def test_platform_default_location_applies_when_the_manifest_sets_none(harness: Harness):
    document = harness.document("every-field")
    del document["spec"]["storage"]["location"]
    run = harness.run_document(document, platform=make_platform(default_location="ASIA"))
    assert run.one(BUCKET).inputs["location"] == "ASIA"


@pytest.mark.parametrize(
    ("admins", "members", "bucket_grants", "account_grants"),
    [
        ([], [], {("roles/storage.objectAdmin", "workload")}, set()),
        (
            ["user:a@x.com"],
            [],
            {
                ("roles/storage.objectAdmin", "workload"),
                ("roles/storage.objectAdmin", "user:a@x.com"),
            },
            {("roles/iam.serviceAccountUser", "user:a@x.com")},
        ),
        (
            [],
            ["group:g@x.com"],
            {
                ("roles/storage.objectAdmin", "workload"),
                ("roles/storage.objectUser", "group:g@x.com"),
            },
            set(),
        ),
    ],
)
def test_access_lists_become_grants(
    harness: Harness,
    admins: list[str],
    members: list[str],
    bucket_grants: set[tuple[str, str]],
    account_grants: set[tuple[str, str]],
):
    document = harness.document("every-field")
    document["spec"]["access"] = {"admins": admins, "members": members}
    run = harness.run_document(document)

    def member(grant_member: str) -> str:
        return "workload" if grant_member.startswith("serviceAccount:t-") else grant_member

    grants = {(g.inputs["role"], member(g.inputs["member"])) for g in run.of_type(BUCKET_IAM)}
    assert grants == bucket_grants
    on_account = {(g.inputs["role"], g.inputs["member"]) for g in run.of_type(ACCOUNT_IAM)}
    assert on_account == account_grants


COVERAGE = {
    "Tenant.name": "test_tenant_name_names_every_resource",
    "Tenant.owner": "ROWS metadata.owner",
    "Tenant.display_name": "ROWS spec.displayName",
    "Tenant.labels": "ROWS metadata.labels; test_platform_labels_win_over_manifest_labels",
    "Tenant.auth": "ROWS spec.auth",
    "Tenant.identity_providers": "ROWS spec.identityProviders.*; test_resources_are_exactly_*",
    "Tenant.storage": "ROWS spec.storage.*",
    "Tenant.access": "test_access_lists_become_grants; test_grants_are_exactly_the_manifest_access",
    "Tenant.deletion_protection": "test_protection_follows_manifest_then_platform_*",
    "Tenant.decommission": "test_protection_follows_manifest_then_platform_*",
    "Tenant.source": "not a resource property: named by MissingSecretError (test_program_secrets)",
    "Tenant.digest": "not a resource property: the reconciler folds it into the fingerprint",
    "Tenant.adopt": "not a resource property: adoption's imports (test_adopt, e2e test_adopt_*)",
    "Tenant.renamed_from": "not a resource property: plan pairs renames (test_plan: "
    "test_renamed_from; e2e test_fleet_renames)",
    "Adopt.tenant_id": "test_adopt: test_resolve_*; e2e test_adopt_import",
    "Auth.allow_password_signup": "ROWS spec.auth.allowPasswordSignup",
    "Auth.enable_email_link_signin": "ROWS spec.auth.enableEmailLinkSignin",
    "Auth.disable_auth": "ROWS spec.auth.disableAuth",
    "Auth.client_permissions": "ROWS spec.auth.clientPermissions.*",
    "Auth.mfa": "ROWS spec.auth.mfa; test_program_mfa",
    "Auth.enable_anonymous_user": "ROWS spec.auth.enableAnonymousUser",
    "Auth.autodelete_anonymous_users": "ROWS spec.auth.autodeleteAnonymousUsers",
    "Auth.password_policy": "ROWS spec.auth.passwordPolicy.*",
    "Auth.sms_regions": "ROWS spec.auth.smsRegions",
    "Auth.recaptcha": "ROWS spec.auth.recaptcha.*",
    "Auth.enable_improved_email_privacy": "ROWS spec.auth.enableImprovedEmailPrivacy",
    "Auth.test_phone_numbers": "test_test_phone_codes_reach_the_sign_in_settings_as_one_secret",
    "Auth.inherit_email_sending": "ROWS spec.auth.inheritEmailSending",
    "Auth.request_logging": "ROWS spec.auth.requestLogging",
    "Auth.mobile_links_domain": "ROWS spec.auth.mobileLinksDomain",
    "PasswordPolicy.enforcement_state": "ROWS spec.auth.passwordPolicy.enforcementState",
    "PasswordPolicy.min_length": "ROWS spec.auth.passwordPolicy.minLength",
    "PasswordPolicy.max_length": "ROWS spec.auth.passwordPolicy.maxLength",
    "PasswordPolicy.require_uppercase": "ROWS spec.auth.passwordPolicy.requireUppercase",
    "PasswordPolicy.require_lowercase": "ROWS spec.auth.passwordPolicy.requireLowercase",
    "PasswordPolicy.require_numeric": "ROWS spec.auth.passwordPolicy.requireNumeric",
    "PasswordPolicy.require_non_alphanumeric": "ROWS ...passwordPolicy.requireNonAlphanumeric",
    "PasswordPolicy.force_upgrade_on_signin": "ROWS ...passwordPolicy.forceUpgradeOnSignin",
    "SmsRegions.allowlist_only": "ROWS spec.auth.smsRegions",
    "SmsRegions.regions": "ROWS spec.auth.smsRegions",
    "Recaptcha.email_password_enforcement_state": "ROWS ...emailPasswordEnforcementState",
    "Recaptcha.phone_enforcement_state": "ROWS spec.auth.recaptcha.phoneEnforcementState",
    "Recaptcha.managed_rules": "ROWS spec.auth.recaptcha.managedRules",
    "Recaptcha.toll_fraud_managed_rules": "ROWS spec.auth.recaptcha.tollFraudManagedRules",
    "Recaptcha.use_account_defender": "ROWS spec.auth.recaptcha.useAccountDefender",
    "Recaptcha.use_sms_bot_score": "ROWS spec.auth.recaptcha.useSmsBotScore",
    "Recaptcha.use_sms_toll_fraud_protection": "ROWS ...recaptcha.useSmsTollFraudProtection",
    "TestPhoneNumber.number": "test_test_phone_codes_reach_the_sign_in_settings_as_one_secret",
    "TestPhoneNumber.code": "test_test_phone_codes_reach_the_sign_in_settings_as_one_secret",
    "Mfa.state": "ROWS spec.auth.mfa.state",
    "Mfa.factors": "ROWS spec.auth.mfa.factors",
    "Mfa.totp_adjacent_intervals": "ROWS spec.auth.mfa.totpAdjacentIntervals",
    "ClientPermissions.disabled_user_signup": "ROWS spec.auth.clientPermissions.disabledUserSignup",
    "ClientPermissions.disabled_user_deletion": "ROWS ...clientPermissions.disabledUserDeletion",
    "DefaultIdp.id": "ROWS spec.identityProviders.0.id",
    "DefaultIdp.client_id": "ROWS spec.identityProviders.0.clientId",
    "DefaultIdp.client_secret": "test_client_secrets_reach_gcp_as_secrets",
    "DefaultIdp.enabled": "ROWS spec.identityProviders.0.enabled",
    "OidcIdp.id": "ROWS spec.identityProviders.2.id",
    "OidcIdp.display_name": "ROWS spec.identityProviders.2.displayName",
    "OidcIdp.issuer": "ROWS spec.identityProviders.2.issuer",
    "OidcIdp.client_id": "ROWS spec.identityProviders.2.clientId",
    "OidcIdp.response_type": "ROWS spec.identityProviders.2.responseType",
    "OidcIdp.client_secret": "test_client_secrets_reach_gcp_as_secrets (on the flow)",
    "OidcIdp.enabled": "ROWS spec.identityProviders.2.enabled",
    "SamlIdp.id": "ROWS spec.identityProviders.3.id",
    "SamlIdp.display_name": "ROWS spec.identityProviders.3.displayName",
    "SamlIdp.idp_entity_id": "ROWS spec.identityProviders.3.idp.entityId",
    "SamlIdp.sso_url": "ROWS spec.identityProviders.3.idp.ssoUrl",
    "SamlIdp.certificates": "ROWS spec.identityProviders.3.idp.certificates",
    "SamlIdp.sp_entity_id": "ROWS spec.identityProviders.3.sp.entityId",
    "SamlIdp.callback_uri": "ROWS spec.identityProviders.3.sp.callbackUri",
    "SamlIdp.sign_request": "ROWS spec.identityProviders.3.idp.signRequest",
    "SamlIdp.enabled": "ROWS spec.identityProviders.3.enabled",
    "Storage.location": "ROWS spec.storage.location; test_platform_default_location_*",
    "Storage.storage_class": "ROWS spec.storage.storageClass",
    "Storage.versioning": "ROWS spec.storage.versioning; test_versioning_is_on_by_default_*",
    "Storage.retention_days": "ROWS spec.storage.retentionDays",
    "Access.admins": "test_access_lists_become_grants",
    "Access.members": "test_access_lists_become_grants",
    "SecretRef.from_env": "test_program_secrets: env values become secret Outputs",
    "SecretRef.secret_manager": "test_secret_manager_lookups_use_the_reference_or_platform_project",
    "SecretManagerRef.secret": "test_secret_manager_lookups_use_the_reference_or_platform_project",
    "SecretManagerRef.version": "test_secret_manager_lookups_use_the_reference_or_platform_project",
    "SecretManagerRef.project": "test_secret_manager_lookups_use_the_reference_or_platform_project",
}
"""Where each field of the typed model has its effect tested."""


def test_every_model_field_is_covered():
    fields = {
        f"{cls.__name__}.{field.name}"
        for cls in vars(model).values()
        if dataclasses.is_dataclass(cls) and isinstance(cls, type)
        for field in dataclasses.fields(cls)
    }
    assert fields == set(COVERAGE)
