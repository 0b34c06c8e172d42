"""check and api_check: the provider's plan-time rules fail `check`; the APIs' own rules
pass it and fail at create/update, as in GCP. Every problem is reported per property."""

from __future__ import annotations

from typing import Any

import pytest

from sandbox.provider.idpconfigs import (
    TenantDefaultSupportedIdpConfig,
    TenantInboundSamlConfig,
    TenantOauthIdpConfig,
)
from sandbox.provider.resource import (
    CheckRequest,
    CloudError,
    Failure,
    ProviderConfig,
    ResourceKind,
    api_check,
    check,
)
from sandbox.provider.serviceaccount import Account, IAMMember
from sandbox.provider.storage import Bucket, BucketIAMMember
from sandbox.provider.tenant import Tenant
from sandbox.provider.values import UNKNOWN

CONFIG = ProviderConfig(project="demo-a")


def run_check(
    kind: ResourceKind,
    news: dict[str, Any],
    olds: dict[str, Any] | None = None,
    config: ProviderConfig = CONFIG,
) -> tuple[dict[str, Any], list[Failure]]:
    return check(kind, CheckRequest("res", news, olds or {}, b"seed", config))


def properties(failures: list[Failure]) -> list[str]:
    return [failure.property for failure in failures]


def test_project_and_deletion_policy_default_from_the_provider() -> None:
    inputs, failures = run_check(Tenant(), {"displayName": "Acme"})
    assert failures == []
    assert inputs["project"] == "demo-a" and inputs["deletionPolicy"] == "DELETE"


def test_a_missing_project_is_a_failure_on_project() -> None:
    _, failures = run_check(Tenant(), {"displayName": "Acme"}, config=ProviderConfig())
    assert properties(failures) == ["project"]


def test_an_unemulated_property_is_named() -> None:
    _, failures = run_check(
        Bucket(), {"location": "EU", "website": {"mainPageSuffix": "index.html"}}
    )
    assert failures == [
        Failure(
            "website",
            "the sandbox does not emulate property 'website' of gcp:storage/bucket:Bucket",
        )
    ]


def test_engine_internal_keys_are_ignored() -> None:
    _, failures = run_check(Tenant(), {"displayName": "Acme", "__defaults": []})
    assert failures == []


def test_every_problem_is_reported_not_just_the_first() -> None:
    _, failures = run_check(
        Account(),
        {"accountId": "bad_id", "description": "é" * 129, "deletionPolicy": "KEEP"},
    )
    assert sorted(properties(failures)) == ["accountId", "deletionPolicy", "description"]


def test_every_api_problem_is_reported_not_just_the_first() -> None:
    inputs, _ = run_check(Bucket(), {"location": "EU", "name": "Bad_Name", "storageClass": "HOT"})
    assert sorted(properties(Bucket().api_validate(inputs))) == ["name", "storageClass"]


# What the real provider refuses at plan time (ValidateFunc, Required): `check` fails.
@pytest.mark.parametrize(
    ("kind", "news", "expected"),
    [
        (Tenant(), {}, ["displayName"]),
        (
            Tenant(),
            {
                "displayName": "Acme",
                "client": {"permissions": {"disabledUserSignup": True, "other": 1}},
            },
            ["client.permissions.other"],
        ),
        (
            TenantDefaultSupportedIdpConfig(),
            {"idpId": "google.com", "tenant": "t"},
            ["clientId", "clientSecret"],
        ),
        (
            TenantInboundSamlConfig(),
            {
                "name": "saml.xy",
                "tenant": "t",
                "displayName": "X",
                "idpConfig": {"idpEntityId": "e", "ssoUrl": "https://x", "idpCertificates": []},
                "spConfig": {"spEntityId": "sp"},
            },
            ["idpConfig.idpCertificates", "spConfig.callbackUri"],
        ),
        (Bucket(), {"location": "EU", "labels": {"Tier": "x"}}, ["labels.Tier"]),
        (Bucket(), {"name": "ok-name"}, ["location"]),
        (Account(), {"accountId": "bad_id"}, ["accountId"]),
        (Account(), {"accountId": "good-id", "description": "é" * 129}, ["description"]),
        (
            BucketIAMMember(),
            {"bucket": "b", "role": "admin", "member": "alice@example.com"},
            ["member"],
        ),
        (
            BucketIAMMember(),
            {"bucket": "b", "role": "roles/x", "member": "deleted:user:a@example.com?uid=1"},
            ["member"],
        ),
        (
            IAMMember(),
            {"serviceAccountId": "x", "role": "roles/iam.serviceAccountUser"},
            ["member"],
        ),
    ],
)
def test_failures_name_the_property(
    kind: ResourceKind, news: dict[str, Any], expected: list[str]
) -> None:
    _, failures = run_check(kind, news)
    assert sorted(properties(failures)) == sorted(expected)


# What only the API refuses: `check` (and so `pulumi preview`) passes, create/update fail.
@pytest.mark.parametrize(
    ("kind", "news", "expected"),
    [
        (Tenant(), {"displayName": "1-bad name"}, ["displayName"]),
        (
            TenantDefaultSupportedIdpConfig(),
            {"idpId": "google", "tenant": "t", "clientId": "c", "clientSecret": "s"},
            ["idpId"],
        ),
        (
            TenantOauthIdpConfig(),
            {
                "name": "okta",
                "tenant": "t",
                "displayName": "Okta",
                "clientId": "c",
                "issuer": "http://okta.example.com",
            },
            ["name", "issuer"],
        ),
        (
            TenantInboundSamlConfig(),
            {
                "name": "saml.xy",
                "tenant": "t",
                "displayName": "X",
                "idpConfig": {"idpEntityId": "e", "ssoUrl": "not a url", "idpCertificates": [{}]},
                "spConfig": {"spEntityId": "sp", "callbackUri": "ftp://x"},
            },
            [
                "idpConfig.idpCertificates[0].x509Certificate",
                "idpConfig.ssoUrl",
                "spConfig.callbackUri",
            ],
        ),
        (Bucket(), {"name": "my-google-data", "location": "EU"}, ["name"]),
        (Bucket(), {"location": "EUROPE-WEST99"}, ["location"]),
        (Bucket(), {"location": "EU", "storageClass": "HOT"}, ["storageClass"]),
        (
            Bucket(),
            {"location": "EU", "retentionPolicy": {"retentionPeriod": "0"}},
            ["retentionPolicy.retentionPeriod"],
        ),
        (Bucket(), {"location": "EU", "labels": {"9tier": "x"}}, ["labels.9tier"]),
        (Account(), {"accountId": "good-id", "displayName": "x" * 101}, ["displayName"]),
        (
            BucketIAMMember(),
            {"bucket": "b", "role": "admin", "member": "user:alice"},
            ["role", "member"],
        ),
    ],
)
def test_api_rules_pass_check_and_fail_at_create(
    kind: ResourceKind, news: dict[str, Any], expected: list[str]
) -> None:
    inputs, failures = run_check(kind, news)
    assert failures == [], "the real provider's plan would not refuse this"
    assert sorted(properties(kind.api_validate(inputs))) == sorted(expected)
    with pytest.raises(CloudError) as refused:
        api_check(kind, inputs)
    assert refused.value.code == 400 and all(prop in str(refused.value) for prop in expected)


def test_unknown_values_are_not_validated_yet() -> None:
    _, failures = run_check(
        BucketIAMMember(), {"bucket": UNKNOWN, "role": "roles/storage.admin", "member": UNKNOWN}
    )
    assert failures == []


def test_bucket_without_name_gets_a_stable_generated_one() -> None:
    first, _ = run_check(Bucket(), {"location": "eu"})
    again, _ = run_check(Bucket(), {"location": "eu"})
    assert first["name"] == again["name"] and first["name"].startswith("res-")
    assert first["location"] == "EU"
    kept, _ = run_check(Bucket(), {"location": "EU"}, olds={"name": "earlier-name"})
    assert kept["name"] == "earlier-name"
