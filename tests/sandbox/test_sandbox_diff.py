"""Diff rules: update in place vs replace per property, as the real provider's schema says."""

from __future__ import annotations

from typing import Any

import pytest
from pulumi.provider.experimental.provider import PropertyDiffKind as Kind

from sandbox.provider.idpconfigs import (
    TenantDefaultSupportedIdpConfig,
    TenantInboundSamlConfig,
    TenantOauthIdpConfig,
)
from sandbox.provider.resource import CheckRequest, ProviderConfig, ResourceKind, check, diff
from sandbox.provider.server import KINDS
from sandbox.provider.serviceaccount import Account, IAMMember
from sandbox.provider.storage import Bucket, BucketIAMMember
from sandbox.provider.tenant import Tenant
from sandbox.provider.values import UNKNOWN

TENANT = {
    "displayName": "Acme",
    "allowPasswordSignup": True,
    "project": "demo-a",
    "deletionPolicy": "DELETE",
    "client": {"permissions": {"disabledUserSignup": False, "disabledUserDeletion": False}},
}
DEFAULT_IDP = {
    "idpId": "google.com",
    "tenant": "t1",
    "clientId": "c",
    "clientSecret": "s",
    "enabled": True,
    "project": "demo-a",
    "deletionPolicy": "DELETE",
}
OAUTH = {
    "name": "oidc.okta",
    "tenant": "t1",
    "displayName": "Okta",
    "issuer": "https://okta.example.com",
    "clientId": "c",
    "project": "demo-a",
}
SAML = {
    "name": "saml.azure",
    "tenant": "t1",
    "displayName": "Azure",
    "project": "demo-a",
    "idpConfig": {
        "idpEntityId": "e",
        "ssoUrl": "https://sso",
        "idpCertificates": [{"x509Certificate": "A"}],
    },
    "spConfig": {"spEntityId": "sp", "callbackUri": "https://cb"},
}
BUCKET = {
    "name": "acme-data",
    "location": "EU",
    "project": "demo-a",
    "storageClass": "STANDARD",
    "labels": {"tier": "std"},
    "versioning": {"enabled": False},
    "forceDestroy": False,
}
ACCOUNT = {"accountId": "acme-workload", "displayName": "Acme", "project": "demo-a"}
BUCKET_MEMBER = {
    "bucket": "b/acme-data",
    "role": "roles/storage.admin",
    "member": "user:a@example.com",
}
ACCOUNT_MEMBER = {
    "serviceAccountId": "projects/demo-a/serviceAccounts/sa@demo-a.iam.gserviceaccount.com",
    "role": "roles/iam.serviceAccountUser",
    "member": "user:a@example.com",
}

CASES: list[tuple[ResourceKind, dict[str, Any], str, Any, bool]] = [
    (Tenant(), TENANT, "project", "demo-b", True),
    (Tenant(), TENANT, "displayName", "Acme-Two", False),
    (Tenant(), TENANT, "allowPasswordSignup", False, False),
    (Tenant(), TENANT, "enableEmailLinkSignin", True, False),
    (Tenant(), TENANT, "disableAuth", True, False),
    (Tenant(), TENANT, "deletionPolicy", "PREVENT", False),
    (TenantDefaultSupportedIdpConfig(), DEFAULT_IDP, "idpId", "github.com", True),
    (TenantDefaultSupportedIdpConfig(), DEFAULT_IDP, "tenant", "t2", True),
    (TenantDefaultSupportedIdpConfig(), DEFAULT_IDP, "project", "demo-b", True),
    (TenantDefaultSupportedIdpConfig(), DEFAULT_IDP, "clientId", "c2", False),
    (TenantDefaultSupportedIdpConfig(), DEFAULT_IDP, "clientSecret", "s2", False),
    (TenantDefaultSupportedIdpConfig(), DEFAULT_IDP, "enabled", False, False),
    (TenantOauthIdpConfig(), OAUTH, "name", "oidc.other", True),
    (TenantOauthIdpConfig(), OAUTH, "tenant", "t2", True),
    (TenantOauthIdpConfig(), OAUTH, "project", "demo-b", True),
    (TenantOauthIdpConfig(), OAUTH, "issuer", "https://other.example.com", False),
    (TenantOauthIdpConfig(), OAUTH, "displayName", "Okta 2", False),
    (TenantInboundSamlConfig(), SAML, "name", "saml.other", True),
    (TenantInboundSamlConfig(), SAML, "tenant", "t2", True),
    (TenantInboundSamlConfig(), SAML, "project", "demo-b", True),
    (TenantInboundSamlConfig(), SAML, "displayName", "Azure 2", False),
    (Bucket(), BUCKET, "name", "acme-data-2", True),
    (Bucket(), BUCKET, "location", "US", True),
    (Bucket(), BUCKET, "project", "demo-b", True),
    (Bucket(), BUCKET, "storageClass", "NEARLINE", False),
    (Bucket(), BUCKET, "labels", {"tier": "gold"}, False),
    (Bucket(), BUCKET, "versioning", {"enabled": True}, False),
    (Bucket(), BUCKET, "uniformBucketLevelAccess", True, False),
    (Bucket(), BUCKET, "publicAccessPrevention", "enforced", False),
    (Bucket(), BUCKET, "retentionPolicy", {"retentionPeriod": "86400"}, False),
    (Account(), ACCOUNT, "accountId", "acme-other", True),
    (Account(), ACCOUNT, "project", "demo-b", True),
    (Account(), ACCOUNT, "displayName", "Acme 2", False),
    (Account(), ACCOUNT, "description", "new", False),
    (BucketIAMMember(), BUCKET_MEMBER, "bucket", "other-bucket", True),
    (BucketIAMMember(), BUCKET_MEMBER, "role", "roles/storage.objectUser", True),
    (BucketIAMMember(), BUCKET_MEMBER, "member", "user:b@example.com", True),
    (
        IAMMember(),
        ACCOUNT_MEMBER,
        "serviceAccountId",
        "projects/demo-a/serviceAccounts/x@demo-a.iam.gserviceaccount.com",
        True,
    ),
    (IAMMember(), ACCOUNT_MEMBER, "role", "roles/iam.serviceAccountTokenCreator", True),
    (IAMMember(), ACCOUNT_MEMBER, "member", "user:b@example.com", True),
]


@pytest.mark.parametrize(
    ("kind", "state", "prop", "value", "replaces"),
    CASES,
    ids=[f"{kind.token.rsplit(':', 1)[1]}.{prop}" for kind, _, prop, _, _ in CASES],
)
def test_a_change_replaces_or_updates_as_the_real_provider(
    kind: ResourceKind, state: dict[str, Any], prop: str, value: Any, replaces: bool
) -> None:
    result = diff(kind, state, {**state, prop: value}, [])
    assert result.changes
    assert result.replaces == ((prop,) if replaces else ())
    assert {path.split(".")[0].split("[")[0] for path in result.detailed} == {prop}
    kinds = set(result.detailed.values())
    replacing = {Kind.ADD_REPLACE, Kind.UPDATE_REPLACE, Kind.DELETE_REPLACE}
    assert (kinds <= replacing) if replaces else not (kinds & replacing)


@pytest.mark.parametrize("kind", list(KINDS.values()), ids=list(KINDS))
def test_every_served_type_has_a_diff_case_for_each_of_its_fields(kind: ResourceKind) -> None:
    covered = {prop for k, _, prop, _, _ in CASES if type(k) is type(kind)}
    untested = {
        "deletionPolicy",
        "client",
        "enabled",
        "forceDestroy",
        "clientSecret",
        "idpConfig",
        "spConfig",
        "disabled",
        "createIgnoreAlreadyExists",
        "description",
        "clientId",
    }
    assert kind.field_names() - covered - untested == set()


def test_no_change_means_no_diff() -> None:
    assert diff(Tenant(), TENANT, dict(TENANT), []).changes is False


def test_nested_change_is_reported_at_its_path() -> None:
    news = {
        **TENANT,
        "client": {"permissions": {"disabledUserSignup": True, "disabledUserDeletion": False}},
    }
    result = diff(Tenant(), TENANT, news, [])
    assert result.detailed == {"client.permissions.disabledUserSignup": Kind.UPDATE}


def test_label_keys_that_are_not_identifiers_are_quoted() -> None:
    news = {**BUCKET, "labels": {"tier": "std", "cost-center": "ml"}}
    assert diff(Bucket(), BUCKET, news, []).detailed == {'labels["cost-center"]': Kind.ADD}


def test_a_removed_optional_property_is_a_delete() -> None:
    news = {key: value for key, value in BUCKET.items() if key != "labels"}
    assert diff(Bucket(), BUCKET, news, []).detailed == {"labels": Kind.DELETE}


def test_absent_computed_inputs_keep_the_cloud_value() -> None:
    news = {key: value for key, value in BUCKET.items() if key != "versioning"}
    assert diff(Bucket(), BUCKET, news, []).changes is False


def test_removing_storage_class_is_an_update_back_to_standard() -> None:
    # Optional with Default "STANDARD" upstream (not Computed): check fills the default.
    olds = {**BUCKET, "storageClass": "NEARLINE", "deletionPolicy": "DELETE"}
    news, _ = check(
        Bucket(),
        CheckRequest(
            "acme-data",
            {k: v for k, v in BUCKET.items() if k != "storageClass"},
            olds,
            b"",
            ProviderConfig("demo-a"),
        ),
    )
    assert news["storageClass"] == "STANDARD" and "storageClass" in news["__defaults"]
    result = diff(Bucket(), olds, news, [])
    assert result.detailed == {"storageClass": Kind.UPDATE} and result.replaces == ()


@pytest.mark.parametrize(("old", "new"), [(False, None), ({}, None), ("", None), ([], None)])
def test_blank_values_equal_absent_ones(old: Any, new: Any) -> None:
    olds = {**ACCOUNT, "disabled": old}
    news = {**ACCOUNT, "disabled": new}
    assert diff(Account(), olds, news, []).changes is False


def test_an_unknown_value_is_a_change() -> None:
    result = diff(BucketIAMMember(), BUCKET_MEMBER, {**BUCKET_MEMBER, "member": UNKNOWN}, [])
    assert result.changes and result.replaces == ("member",)


@pytest.mark.parametrize(
    ("kind", "state", "prop", "equivalent"),
    [
        (BucketIAMMember(), BUCKET_MEMBER, "bucket", "acme-data"),
        (Bucket(), BUCKET, "location", "eu"),
        (
            Bucket(),
            {**BUCKET, "retentionPolicy": {"retentionPeriod": "86400", "isLocked": False}},
            "retentionPolicy",
            {"retentionPeriod": 86400},
        ),
        (IAMMember(), ACCOUNT_MEMBER, "serviceAccountId", "sa@demo-a.iam.gserviceaccount.com"),
        (
            TenantInboundSamlConfig(),
            {
                **SAML,
                "spConfig": {**SAML["spConfig"], "spCertificates": [{"x509Certificate": "X"}]},
            },
            "spConfig",
            SAML["spConfig"],
        ),
    ],
)
def test_equivalent_spellings_are_not_a_change(
    kind: ResourceKind, state: dict[str, Any], prop: str, equivalent: Any
) -> None:
    assert diff(kind, state, {**state, prop: equivalent}, []).changes is False


def test_ignore_changes_skips_the_property() -> None:
    assert (
        diff(Tenant(), TENANT, {**TENANT, "displayName": "Other"}, ["displayName"]).changes is False
    )


EXPLICIT: dict[str, Any] = {"__defaults": []}
AUTONAMED: dict[str, Any] = {"__defaults": ["name"]}


@pytest.mark.parametrize(
    ("kind", "state", "prop", "value", "delete_first"),
    [
        # An auto-nameable name the user set: the bridge deletes first, whatever changes.
        (Bucket(), {**BUCKET, **EXPLICIT}, "location", "US", True),
        (Bucket(), {**BUCKET, **EXPLICIT}, "name", "acme-data-2", True),
        (TenantOauthIdpConfig(), {**OAUTH, **EXPLICIT}, "tenant", "t2", True),
        (TenantInboundSamlConfig(), {**SAML, **EXPLICIT}, "tenant", "t2", True),
        # Auto-named (or no __defaults list at all): create the replacement first.
        (Bucket(), {**BUCKET, **AUTONAMED}, "location", "US", False),
        (Bucket(), BUCKET, "location", "US", False),
        # No auto-nameable property: always create first (the bridge's default).
        (Account(), {**ACCOUNT, **EXPLICIT}, "project", "demo-b", False),
        (TenantDefaultSupportedIdpConfig(), {**DEFAULT_IDP, **EXPLICIT}, "tenant", "t2", False),
        (Tenant(), {**TENANT, **EXPLICIT}, "project", "demo-b", False),
        (BucketIAMMember(), {**BUCKET_MEMBER, **EXPLICIT}, "role", "roles/x", False),
    ],
)
def test_replacing_an_explicitly_named_resource_deletes_first(
    kind: ResourceKind, state: dict[str, Any], prop: str, value: Any, delete_first: bool
) -> None:
    assert diff(kind, state, {**state, prop: value}, []).delete_before_replace is delete_first


@pytest.mark.parametrize(
    ("old", "new", "changes"),
    [
        ("user:Alice@Example.com", "user:alice@example.com", False),
        ("group:Team@example.com", "GROUP:team@EXAMPLE.com", False),
        (
            "serviceAccount:SA@p.iam.gserviceaccount.com",
            "serviceAccount:sa@p.iam.gserviceaccount.com",
            False,
        ),
        ("user:alice@example.com", "user:bob@example.com", True),
        ("principal://iam.googleapis.com/X", "principal://iam.googleapis.com/x", True),
        ("allUsers", "allusers", True),
    ],
)
def test_iam_members_differ_only_beyond_case(old: str, new: str, changes: bool) -> None:
    for kind, state in ((BucketIAMMember(), BUCKET_MEMBER), (IAMMember(), ACCOUNT_MEMBER)):
        result = diff(kind, {**state, "member": old}, {**state, "member": new}, [])
        assert result.changes is changes
