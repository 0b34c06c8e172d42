"""check: defaults, generated names and the real API's rules, reported per property."""

from __future__ import annotations

from typing import Any

import pytest

from sandbox.provider.idpconfigs import (
    TenantDefaultSupportedIdpConfig,
    TenantInboundSamlConfig,
    TenantOauthIdpConfig,
)
from sandbox.provider.resource import CheckRequest, Failure, ProviderConfig, ResourceKind, check
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
        Bucket(),
        {"location": "EU", "name": "Bad_Name", "storageClass": "HOT", "deletionPolicy": "KEEP"},
    )
    assert sorted(properties(failures)) == ["deletionPolicy", "name", "storageClass"]


@pytest.mark.parametrize(
    ("kind", "news", "expected"),
    [
        (Tenant(), {"displayName": "1-bad name"}, ["displayName"]),
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
            {"idpId": "google", "tenant": "t", "clientId": "c", "clientSecret": "s"},
            ["idpId"],
        ),
        (
            TenantDefaultSupportedIdpConfig(),
            {"idpId": "google.com", "tenant": "t"},
            ["clientId", "clientSecret"],
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
                "name": "saml.x",
                "tenant": "t",
                "displayName": "X",
                "idpConfig": {"idpEntityId": "e", "ssoUrl": "not a url", "idpCertificates": []},
                "spConfig": {"spEntityId": "sp"},
            },
            ["idpConfig.idpCertificates", "idpConfig.ssoUrl", "spConfig.callbackUri"],
        ),
        (
            Bucket(),
            {"location": "EU", "retentionPolicy": {"retentionPeriod": "0"}},
            ["retentionPolicy.retentionPeriod"],
        ),
        (Bucket(), {"location": "EU", "labels": {"Tier": "x"}}, ["labels.Tier"]),
        (Bucket(), {"name": "ok-name"}, ["location"]),
        (Account(), {"accountId": "bad_id"}, ["accountId"]),
        (Account(), {"accountId": "good-id", "displayName": "x" * 101}, ["displayName"]),
        (
            BucketIAMMember(),
            {"bucket": "b", "role": "admin", "member": "alice@example.com"},
            ["role", "member"],
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
