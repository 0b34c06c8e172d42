"""The resources the program declares: which, named how, wired how, protected how."""

from __future__ import annotations

import inspect
from typing import Any

import pulumi_gcp as gcp
import pytest
from program_harness import (
    ACCOUNT,
    ACCOUNT_IAM,
    BUCKET,
    BUCKET_IAM,
    DEFAULT_IDP,
    ENVIRONMENT,
    FINGERPRINT,
    GCP_PROJECT,
    IDENTITY_TENANT,
    IDP_TYPES,
    OIDC_FLOW,
    OIDC_IDP,
    SAML_IDP,
    SIGN_IN,
    Harness,
    ProgramRun,
    make_platform,
    mask_secrets,
    secret_manager_value,
    tenant_of,
)
from pulumi.runtime import rpc

from reconciler.program.oidc_flow import TenantOidcFlow
from reconciler.program.secrets import resolve_secrets
from reconciler.program.tenant import tenant_program
from reconciler.program.tenant_settings import TenantSignInSettings

EXPECTED = {
    "tenant-one": {
        (IDENTITY_TENANT, "tenant-one-identity"),
        (SIGN_IN, "tenant-one-sign-in"),
        (DEFAULT_IDP, "tenant-one-idp-google.com"),
        (BUCKET, "tenant-one-data"),
        (ACCOUNT, "tenant-one-workload"),
        (
            BUCKET_IAM,
            "tenant-one-data-storage.objectAdmin-user-alice-at-tenant-one.example.com-d6755e",
        ),
        (
            BUCKET_IAM,
            "tenant-one-data-storage.objectUser-group-data-scientists-at-tenant-one.example.com"
            "-a462d4",
        ),
        (BUCKET_IAM, "tenant-one-data-storage.objectAdmin-workload-91d612"),
        (
            ACCOUNT_IAM,
            "tenant-one-workload-iam.serviceAccountUser-user-alice-at-tenant-one.example.com-373123",
        ),
    },
    "tenant-two": {
        (IDENTITY_TENANT, "tenant-two-identity"),
        (SIGN_IN, "tenant-two-sign-in"),
        (DEFAULT_IDP, "tenant-two-idp-github.com"),
        (BUCKET, "tenant-two-data"),
        (ACCOUNT, "tenant-two-workload"),
        (
            BUCKET_IAM,
            "tenant-two-data-storage.objectAdmin-user-bob-at-tenant-two.example.com-3679e6",
        ),
        (BUCKET_IAM, "tenant-two-data-storage.objectAdmin-workload-91d612"),
        (
            ACCOUNT_IAM,
            "tenant-two-workload-iam.serviceAccountUser-user-bob-at-tenant-two.example.com-b518d9",
        ),
    },
    "every-field": {
        (IDENTITY_TENANT, "every-field-identity"),
        (SIGN_IN, "every-field-sign-in"),
        (DEFAULT_IDP, "every-field-idp-google.com"),
        (DEFAULT_IDP, "every-field-idp-microsoft.com"),
        (OIDC_IDP, "every-field-idp-oidc.acme-okta"),
        (OIDC_FLOW, "every-field-idp-oidc.acme-okta-flow"),
        (SAML_IDP, "every-field-idp-saml.acme-adfs"),
        (BUCKET, "every-field-data"),
        (ACCOUNT, "every-field-workload"),
        (
            BUCKET_IAM,
            "every-field-data-storage.objectAdmin-group-acme-admins-at-acme.example.com-4eae67",
        ),
        (BUCKET_IAM, "every-field-data-storage.objectAdmin-user-owner-at-acme.example.com-db80c6"),
        (BUCKET_IAM, "every-field-data-storage.objectAdmin-workload-91d612"),
        (BUCKET_IAM, "every-field-data-storage.objectUser-domain-acme.example.com-acb110"),
        (
            BUCKET_IAM,
            "every-field-data-storage.objectUser-group-acme-ml-at-acme.example.com-d03107",
        ),
        (
            BUCKET_IAM,
            "every-field-data-storage.objectUser-serviceAccount-pipeline-at-acme-prod.iam"
            ".gserviceaccount.com-b0577a",
        ),
        (
            ACCOUNT_IAM,
            "every-field-workload-iam.serviceAccountUser-group-acme-admins-at-acme.example.com"
            "-3a4d4a",
        ),
        (
            ACCOUNT_IAM,
            "every-field-workload-iam.serviceAccountUser-user-owner-at-acme.example.com-751718",
        ),
    },
}

RESOURCE_CLASSES = {
    IDENTITY_TENANT: gcp.identityplatform.Tenant,
    SIGN_IN: TenantSignInSettings,
    OIDC_FLOW: TenantOidcFlow,
    DEFAULT_IDP: gcp.identityplatform.TenantDefaultSupportedIdpConfig,
    OIDC_IDP: gcp.identityplatform.TenantOauthIdpConfig,
    SAML_IDP: gcp.identityplatform.TenantInboundSamlConfig,
    BUCKET: gcp.storage.Bucket,
    BUCKET_IAM: gcp.storage.BucketIAMMember,
    ACCOUNT: gcp.serviceaccount.Account,
    ACCOUNT_IAM: gcp.serviceaccount.IAMMember,
}
"""Every resource type the program may declare, with its class (pulumi-gcp's or our own)."""

TENANTS = sorted(EXPECTED)


def accepts(type_: str, argument: str) -> bool:
    """Whether the pulumi-gcp class of `type_` takes `argument`."""
    cls: Any = RESOURCE_CLASSES[type_]
    # pulumi-gcp classes take their arguments in `_internal_init`; ours in `__init__`.
    return argument in inspect.signature(getattr(cls, "_internal_init", cls.__init__)).parameters


@pytest.fixture(params=TENANTS)
def example(request: pytest.FixtureRequest, harness: Harness) -> tuple[str, ProgramRun]:
    """Each example tenant's name and program run."""
    name = request.param
    return name, harness.run(harness.tenant(name))


# --- which resources, named how -------------------------------------------------------


def test_resources_are_exactly_the_expected_types_and_names(example: tuple[str, ProgramRun]):
    name, run = example
    assert run.keys() == EXPECTED[name]


def test_only_known_resource_types_are_declared(example: tuple[str, ProgramRun]):
    _, run = example
    assert {r.type for r in run.registrations} <= set(RESOURCE_CLASSES)


def test_logical_names_do_not_depend_on_list_order(harness: Harness):
    document = harness.document("every-field")
    spec = document["spec"]
    spec["identityProviders"].reverse()
    spec["access"]["admins"].reverse()
    spec["access"]["members"].reverse()
    assert harness.run_document(document).keys() == EXPECTED["every-field"]


def test_a_principal_listed_twice_is_granted_once(harness: Harness):
    document = harness.document("tenant-one")
    document["spec"]["access"]["admins"] *= 2
    assert harness.run(tenant_of(document, "tenant-one")).keys() == EXPECTED["tenant-one"]


def test_preview_declares_the_same_resources(harness: Harness):
    tenant = harness.tenant("every-field")
    assert harness.run(tenant, preview=True).keys() == EXPECTED["every-field"]


# --- wiring -----------------------------------------------------------------------------


def test_idp_configs_mfa_and_nothing_else_depend_on_the_identity_tenant(
    example: tuple[str, ProgramRun],
):
    name, run = example
    identity = f"{IDENTITY_TENANT}::{name}-identity"
    bound = (*IDP_TYPES, SIGN_IN, OIDC_FLOW)
    dependents = {r.type for r in run.registrations if identity in r.dependencies}
    assert dependents == {r.type for r in run.registrations if r.type in bound}
    for idp in (r for r in run.registrations if r.type in bound):
        assert idp.property_dependencies["tenant"] == (identity,)
        if idp.type != OIDC_FLOW:
            assert idp.dependencies == (identity,)


def test_an_oidc_flow_is_sent_after_its_config_exists(harness: Harness):
    run = harness.run(harness.tenant("every-field"))
    flow = run.one(OIDC_FLOW)
    config = f"{OIDC_IDP}::every-field-idp-oidc.acme-okta"
    assert flow.dependencies == tuple(sorted((f"{IDENTITY_TENANT}::every-field-identity", config)))
    assert (flow.inputs["idpId"], flow.inputs["responseType"]) == ("oidc.acme-okta", "code")


def test_idp_configs_and_mfa_are_bound_to_the_server_assigned_tenant_name(
    example: tuple[str, ProgramRun],
):
    _, run = example
    tenant_id = run.outputs["tenantId"]
    assert tenant_id.endswith("-srv01")  # assigned by the (mock) server, not by the program
    bound = (*IDP_TYPES, SIGN_IN, OIDC_FLOW)
    assert {r.inputs["tenant"] for r in run.registrations if r.type in bound} == {tenant_id}


@pytest.mark.parametrize("type_", [IDENTITY_TENANT, BUCKET, ACCOUNT])
def test_stateful_resources_depend_on_nothing(example: tuple[str, ProgramRun], type_: str):
    _, run = example
    assert run.one(type_).dependencies == ()


def test_bucket_grants_reference_the_tenant_bucket(example: tuple[str, ProgramRun]):
    name, run = example
    bucket = run.one(BUCKET)
    for grant in run.of_type(BUCKET_IAM):
        assert grant.inputs["bucket"] == bucket.inputs["name"]
        assert grant.property_dependencies["bucket"] == (f"{BUCKET}::{name}-data",)


def test_workload_grant_references_the_service_account(example: tuple[str, ProgramRun]):
    name, run = example
    [grant] = [g for g in run.of_type(BUCKET_IAM) if g.name.endswith("-workload-91d612")]
    assert grant.inputs["role"] == "roles/storage.objectAdmin"
    assert grant.inputs["member"] == f"serviceAccount:{run.outputs['serviceAccountEmail']}"
    assert grant.property_dependencies["member"] == (f"{ACCOUNT}::{name}-workload",)


def test_account_grants_reference_the_tenant_account(example: tuple[str, ProgramRun]):
    name, run = example
    email = run.outputs["serviceAccountEmail"]
    for grant in run.of_type(ACCOUNT_IAM):
        assert grant.inputs["serviceAccountId"] == f"projects/{GCP_PROJECT}/serviceAccounts/{email}"
        assert grant.property_dependencies["serviceAccountId"] == (f"{ACCOUNT}::{name}-workload",)


# --- isolation ---------------------------------------------------------------------------


def test_no_iam_grant_targets_the_project_or_anything_above_it(example: tuple[str, ProgramRun]):
    _, run = example
    for registration in run.registrations:
        assert not registration.type.startswith(("gcp:projects/", "gcp:organizations/")), (
            registration.type
        )
        assert "IAMBinding" not in registration.type
        assert "IAMPolicy" not in registration.type
    iam = {r.type for r in run.registrations if "IAM" in r.type}
    assert iam == {BUCKET_IAM, ACCOUNT_IAM}


def test_grants_are_exactly_the_manifest_access(harness: Harness):
    run = harness.run(harness.tenant("every-field"))
    on_bucket = {(g.inputs["role"], g.inputs["member"]) for g in run.of_type(BUCKET_IAM)}
    on_account = {(g.inputs["role"], g.inputs["member"]) for g in run.of_type(ACCOUNT_IAM)}
    assert on_bucket == {
        ("roles/storage.objectAdmin", "user:owner@acme.example.com"),
        ("roles/storage.objectAdmin", "group:acme-admins@acme.example.com"),
        ("roles/storage.objectUser", "group:acme-ml@acme.example.com"),
        ("roles/storage.objectUser", "serviceAccount:pipeline@acme-prod.iam.gserviceaccount.com"),
        ("roles/storage.objectUser", "domain:acme.example.com"),
        (
            "roles/storage.objectAdmin",
            "serviceAccount:t-every-field@demo-mlaas.iam.gserviceaccount.com",
        ),
    }
    assert on_account == {
        ("roles/iam.serviceAccountUser", "user:owner@acme.example.com"),
        ("roles/iam.serviceAccountUser", "group:acme-admins@acme.example.com"),
    }


def test_bucket_is_private_and_never_force_destroyed(example: tuple[str, ProgramRun]):
    _, run = example
    inputs = run.one(BUCKET).inputs
    assert inputs["uniformBucketLevelAccess"] is True
    assert inputs["publicAccessPrevention"] == "enforced"
    assert inputs["forceDestroy"] is False


@pytest.mark.parametrize("project", [GCP_PROJECT, "another-project"])
def test_every_resource_that_takes_a_project_is_in_the_platform_project(
    harness: Harness, project: str
):
    run = harness.run(harness.tenant("every-field"), platform=make_platform(gcp_project=project))
    for registration in run.registrations:
        if accepts(registration.type, "project"):
            assert registration.inputs["project"] == project, registration.name


def test_every_resource_that_takes_labels_carries_tenant_and_owner(
    example: tuple[str, ProgramRun],
):
    name, run = example
    labelled = [r for r in run.registrations if accepts(r.type, "labels")]
    assert labelled, "the bucket takes labels"
    for registration in labelled:
        labels = registration.inputs["labels"]
        assert labels["tenant"] == name
        assert labels["owner"]
        assert labels["managed-by"] == "tenant-gitops"


def test_platform_labels_win_over_manifest_labels(harness: Harness):
    document = harness.document("every-field")
    document["metadata"]["labels"].update({"tenant": "someone-else", "managed-by": "me"})
    labels = harness.run_document(document).one(BUCKET).inputs["labels"]
    assert labels["tenant"] == "every-field"
    assert labels["managed-by"] == "tenant-gitops"


# --- protection -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("manifest", "platform_default", "decommission", "protected"),
    [
        (None, True, False, True),
        (None, False, False, False),
        (True, False, False, True),
        (False, True, False, False),
        (True, True, True, False),
        (None, True, True, False),
        (False, False, True, False),
    ],
)
def test_protection_follows_manifest_then_platform_and_is_lifted_on_decommission(
    harness: Harness,
    manifest: bool | None,
    platform_default: bool,
    decommission: bool,
    protected: bool,
):
    document = harness.document("every-field")
    document["spec"].pop("deletionProtection")
    if manifest is not None:
        document["spec"]["deletionProtection"] = manifest
    document["spec"]["decommission"] = decommission
    platform = make_platform(default_deletion_protection=platform_default)
    run = harness.run_document(document, platform=platform)
    policy = "PREVENT" if protected else "DELETE"
    for type_ in (IDENTITY_TENANT, BUCKET):
        assert run.one(type_).protect is protected
        assert run.one(type_).inputs["deletionPolicy"] == policy
    # Deleting the sign-in settings puts the API's defaults back: protected like the tenant.
    assert run.one(SIGN_IN).protect is protected


def test_only_the_identity_tenant_its_mfa_and_bucket_are_protected(
    example: tuple[str, ProgramRun],
):
    _, run = example
    protected = {r.type for r in run.registrations if r.protect}
    assert protected == {IDENTITY_TENANT, SIGN_IN, BUCKET}


# --- secrets ----------------------------------------------------------------------------------


SECRET_VALUES = [
    *ENVIRONMENT.values(),
    secret_manager_value("tenant-every-field-microsoft-client-secret", "3", GCP_PROJECT),
    secret_manager_value("tenant-every-field-okta-client-secret", "latest", GCP_PROJECT),
    secret_manager_value("tenant-every-field-test-phone-uk-code", "latest", GCP_PROJECT),
]


def test_client_secrets_reach_gcp_as_secrets(harness: Harness):
    run = harness.run(harness.tenant("every-field"))
    secrets = {
        r.name: r.inputs["clientSecret"] for r in run.registrations if "clientSecret" in r.inputs
    }
    # The OIDC provider's secret goes with its flow, the one place that sends it.
    assert set(secrets) == {
        "every-field-idp-google.com",
        "every-field-idp-microsoft.com",
        "every-field-idp-oidc.acme-okta-flow",
    }
    assert all(rpc.is_rpc_secret(value) for value in secrets.values())
    assert (
        rpc.unwrap_rpc_secret(secrets["every-field-idp-google.com"])
        == ENVIRONMENT["EVERY_FIELD_GOOGLE_CLIENT_SECRET"]
    )
    assert rpc.unwrap_rpc_secret(secrets["every-field-idp-oidc.acme-okta-flow"]) == (
        secret_manager_value("tenant-every-field-okta-client-secret", "latest", GCP_PROJECT)
    )


def test_the_oidc_config_sends_no_secret_and_keeps_the_one_read_back_secret(harness: Harness):
    config = harness.run(harness.tenant("every-field")).one(OIDC_IDP)
    assert "clientSecret" not in config.inputs


def test_test_phone_codes_reach_the_sign_in_settings_as_one_secret(harness: Harness):
    settings = harness.run(harness.tenant("every-field")).one(SIGN_IN)
    codes = settings.inputs["testPhoneNumbers"]
    assert rpc.is_rpc_secret(codes)
    assert rpc.unwrap_rpc_secret(codes) == {
        "+15555550100": ENVIRONMENT["EVERY_FIELD_TEST_PHONE_CODE"],
        "+447700900123": secret_manager_value(
            "tenant-every-field-test-phone-uk-code", "latest", GCP_PROJECT
        ),
    }


def test_secret_values_appear_nowhere_unmasked(example: tuple[str, ProgramRun]):
    _, run = example
    recorded: list[Any] = [mask_secrets(r.inputs) for r in run.registrations]
    text = repr([recorded, run.outputs, run.graph()])
    for value in SECRET_VALUES:
        assert value not in text


def test_secret_manager_lookups_use_the_reference_or_platform_project(harness: Harness):
    run = harness.run(harness.tenant("every-field"))
    lookups = sorted((c.args["secret"], c.args["version"], c.args["project"]) for c in run.calls)
    assert lookups == [
        ("tenant-every-field-microsoft-client-secret", "3", GCP_PROJECT),
        ("tenant-every-field-okta-client-secret", "latest", GCP_PROJECT),
        ("tenant-every-field-test-phone-uk-code", "latest", GCP_PROJECT),
    ]


def test_stack_outputs_hold_no_secret(example: tuple[str, ProgramRun]):
    _, run = example
    assert run.secret_outputs == set()


# --- outputs and guards -----------------------------------------------------------------------


def test_stack_outputs(harness: Harness):
    run = harness.run(harness.tenant("every-field"))
    assert run.outputs == {
        "tenantName": "every-field",
        "tenantId": "acme-research-srv01",
        "identityProviders": ["google.com", "microsoft.com", "oidc.acme-okta", "saml.acme-adfs"],
        "signInPosture": {
            "passwordSignup": True,
            "emailLinkSignin": True,
            "anonymousUsers": True,
            "signInDisabled": False,
            "mfa": "MANDATORY (PHONE_SMS, TOTP)",
            "passwordPolicy": "ENFORCE 12-128 (upper, lower, digit, symbol)",
            "smsRegions": "only CA, GB, US",
            "recaptcha": "email ENFORCE, phone AUDIT",
            "improvedEmailPrivacy": True,
            "testPhoneNumbers": 2,
        },
        "bucketName": run.one(BUCKET).inputs["name"],
        "serviceAccountEmail": "t-every-field@demo-mlaas.iam.gserviceaccount.com",
        "fingerprint": FINGERPRINT,
        "secretVersions": {"+447700900123": "7", "oidc.acme-okta": "7"},
    }


def test_program_refuses_secrets_of_another_tenant(harness: Harness):
    secrets = resolve_secrets(harness.tenant("tenant-two"), ENVIRONMENT)
    with pytest.raises(ValueError, match="secrets resolved for tenant tenant-two, not tenant-one"):
        tenant_program(harness.tenant("tenant-one"), harness.platform, FINGERPRINT, secrets)


def test_program_refuses_secrets_missing_an_idp(harness: Harness):
    document = harness.document("tenant-one")
    secrets = resolve_secrets(tenant_of(document, "tenant-one"), ENVIRONMENT)
    document["spec"]["identityProviders"].append(
        {"id": "github.com", "clientId": "x", "clientSecret": {"fromEnv": "GH"}}
    )
    with pytest.raises(ValueError, match=r"no client secret resolved for github\.com"):
        tenant_program(tenant_of(document, "tenant-one"), harness.platform, FINGERPRINT, secrets)
