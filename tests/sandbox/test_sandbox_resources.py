"""Resource operations against the sandbox cloud (emulator + SQLite), without the engine."""

from __future__ import annotations

import multiprocessing
from pathlib import Path
from typing import Any

import pytest

from sandbox.provider.identitytoolkit import EmulatorNotConfigured, IdentityToolkit
from sandbox.provider.idpconfigs import (
    TenantDefaultSupportedIdpConfig,
    TenantInboundSamlConfig,
    TenantOauthIdpConfig,
)
from sandbox.provider.resource import (
    CheckRequest,
    Cloud,
    ProviderConfig,
    ProviderError,
    ResourceKind,
    check,
)
from sandbox.provider.secretmanager import get_secret_version
from sandbox.provider.serviceaccount import Account, IAMMember
from sandbox.provider.storage import Bucket, BucketIAMMember
from sandbox.provider.store import Store
from sandbox.provider.tenant import Tenant


def checked(cloud: Cloud, kind: ResourceKind, news: dict[str, Any]) -> dict[str, Any]:
    inputs, failures = check(kind, CheckRequest("res", news, {}, b"seed", cloud.config))
    assert failures == []
    return inputs


def create(cloud: Cloud, kind: ResourceKind, news: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    return kind.create(cloud, checked(cloud, kind, news))


CLIENT = {"permissions": {"disabledUserSignup": True, "disabledUserDeletion": False}}


def test_tenant_create_read_update_delete(cloud: Cloud, project: str) -> None:
    kind = Tenant()
    resource_id, outputs = create(
        cloud, kind, {"displayName": "Acme", "allowPasswordSignup": True, "client": CLIENT}
    )
    assert resource_id == f"projects/{project}/tenants/{outputs['name']}"
    assert outputs["client"] == CLIENT and outputs["allowPasswordSignup"] is True
    assert kind.read(cloud, resource_id, outputs) == outputs
    news = {
        **checked(cloud, kind, {"displayName": "Acme-2", "client": CLIENT}),
        "disableAuth": True,
    }
    updated = kind.update(cloud, resource_id, outputs, news)
    assert (updated["displayName"], updated["disableAuth"], updated["allowPasswordSignup"]) == (
        "Acme-2",
        True,
        False,
    )
    assert updated["name"] == outputs["name"]
    kind.delete(cloud, resource_id, updated)
    assert kind.read(cloud, resource_id, updated) is None


def test_tenant_drift_made_out_of_band_shows_in_read(
    cloud: Cloud, toolkit: IdentityToolkit, project: str
) -> None:
    resource_id, outputs = create(cloud, Tenant(), {"displayName": "Acme"})
    toolkit.patch_tenant(project, outputs["name"], {"displayName": "Drifted"}, ["displayName"])
    assert Tenant().read(cloud, resource_id, outputs)["displayName"] == "Drifted"


def test_tenant_deleted_out_of_band_reads_as_gone(
    cloud: Cloud, toolkit: IdentityToolkit, project: str
) -> None:
    resource_id, outputs = create(cloud, Tenant(), {"displayName": "Acme"})
    toolkit.delete_tenant(project, outputs["name"])
    assert Tenant().read(cloud, resource_id, outputs) is None
    assert toolkit.find_tenant(project, outputs["name"]) is None, "reading must not resurrect it"


def test_deletion_policy_prevent_refuses_and_abandon_leaves_it(
    cloud: Cloud, toolkit: IdentityToolkit, project: str
) -> None:
    resource_id, outputs = create(
        cloud, Tenant(), {"displayName": "Acme", "deletionPolicy": "PREVENT"}
    )
    with pytest.raises(ProviderError, match="deletionPolicy is PREVENT"):
        Tenant().delete(cloud, resource_id, outputs)
    Tenant().delete(cloud, resource_id, {**outputs, "deletionPolicy": "ABANDON"})
    assert toolkit.find_tenant(project, outputs["name"]) is not None


IDP_CASES: list[tuple[ResourceKind, dict[str, Any], str]] = [
    (
        TenantDefaultSupportedIdpConfig(),
        {"idpId": "google.com", "clientId": "c", "clientSecret": "s"},
        "defaultSupportedIdpConfigs/google.com",
    ),
    (
        TenantOauthIdpConfig(),
        {
            "name": "oidc.okta",
            "displayName": "Okta",
            "issuer": "https://okta.example.com",
            "clientId": "c",
        },
        "oauthIdpConfigs/oidc.okta",
    ),
    (
        TenantInboundSamlConfig(),
        {
            "name": "saml.azure",
            "displayName": "Azure",
            "idpConfig": {
                "idpEntityId": "e",
                "ssoUrl": "https://sso.example.com",
                "idpCertificates": [{"x509Certificate": "MIIC"}],
            },
            "spConfig": {"spEntityId": "sp", "callbackUri": "https://cb.example.com"},
        },
        "inboundSamlConfigs/saml.azure",
    ),
]


@pytest.mark.parametrize(("kind", "news", "suffix"), IDP_CASES, ids=["default", "oauth", "saml"])
def test_idp_configs_live_under_their_tenant(
    cloud: Cloud, kind: ResourceKind, news: dict[str, Any], suffix: str
) -> None:
    tenant_id, tenant = create(cloud, Tenant(), {"displayName": "Acme"})
    resource_id, outputs = create(cloud, kind, {**news, "tenant": tenant["name"]})
    assert resource_id == f"{tenant_id}/{suffix}"
    assert kind.read(cloud, resource_id, outputs) == outputs
    updated = kind.update(
        cloud,
        resource_id,
        outputs,
        {**checked(cloud, kind, {**news, "tenant": tenant["name"]}), "enabled": True},
    )
    assert updated["enabled"] is True
    Tenant().delete(cloud, tenant_id, tenant)
    assert kind.read(cloud, resource_id, updated) is None, (
        "deleting the tenant deletes its IdP configs"
    )


@pytest.mark.parametrize(("kind", "news", "suffix"), IDP_CASES, ids=["default", "oauth", "saml"])
def test_idp_configs_need_an_existing_tenant(
    cloud: Cloud, kind: ResourceKind, news: dict[str, Any], suffix: str
) -> None:
    with pytest.raises(ProviderError, match="TENANT_NOT_FOUND"):
        create(cloud, kind, {**news, "tenant": "nosuchtenant"})


def test_idp_config_of_a_tenant_deleted_out_of_band_reads_as_gone(
    cloud: Cloud, toolkit: IdentityToolkit, project: str
) -> None:
    kind, news, _ = IDP_CASES[0]
    _, tenant = create(cloud, Tenant(), {"displayName": "Acme"})
    resource_id, outputs = create(cloud, kind, {**news, "tenant": tenant["name"]})
    toolkit.delete_tenant(project, tenant["name"])
    assert kind.read(cloud, resource_id, outputs) is None


def test_bucket_outputs_mirror_pulumi_gcp(offline_cloud: Cloud, project: str) -> None:
    resource_id, outputs = create(
        offline_cloud,
        Bucket(),
        {
            "name": "acme-data",
            "location": "eu",
            "labels": {"tier": "std"},
            "versioning": {"enabled": True},
            "retentionPolicy": {"retentionPeriod": "86400"},
            "uniformBucketLevelAccess": True,
            "publicAccessPrevention": "enforced",
        },
    )
    assert resource_id == "acme-data"
    assert outputs["url"] == "gs://acme-data"
    assert outputs["selfLink"] == "https://www.googleapis.com/storage/v1/b/acme-data"
    assert (outputs["location"], outputs["project"], outputs["storageClass"]) == (
        "EU",
        project,
        "STANDARD",
    )
    assert outputs["effectiveLabels"] == {"tier": "std", "goog-pulumi-provisioned": "true"}
    assert outputs["retentionPolicy"] == {"retentionPeriod": "86400", "isLocked": False}
    assert len(str(outputs["projectNumber"])) == 12


def test_bucket_names_are_global(offline_cloud: Cloud) -> None:
    create(offline_cloud, Bucket(), {"name": "acme-data", "location": "EU"})
    with pytest.raises(ProviderError, match="Error 409"):
        create(offline_cloud, Bucket(), {"name": "acme-data", "location": "US"})


def test_bucket_update_keeps_identity_and_delete_drops_its_grants(offline_cloud: Cloud) -> None:
    bucket_id, bucket = create(offline_cloud, Bucket(), {"name": "acme-data", "location": "EU"})
    updated = Bucket().update(
        offline_cloud,
        bucket_id,
        bucket,
        {
            **checked(
                offline_cloud,
                Bucket(),
                {"name": "acme-data", "location": "EU", "storageClass": "NEARLINE"},
            )
        },
    )
    assert updated["storageClass"] == "NEARLINE" and updated["timeCreated"] == bucket["timeCreated"]
    grant_id, grant = create(
        offline_cloud,
        BucketIAMMember(),
        {"bucket": "acme-data", "role": "roles/storage.admin", "member": "user:a@example.com"},
    )
    assert (
        grant_id == "b/acme-data/roles/storage.admin/user:a@example.com"
        and grant["bucket"] == "b/acme-data"
    )
    Bucket().delete(offline_cloud, bucket_id, updated)
    assert Bucket().read(offline_cloud, bucket_id, updated) is None
    assert BucketIAMMember().read(offline_cloud, grant_id, grant) is None


def test_grants_need_the_resource_and_change_the_policy_etag(offline_cloud: Cloud) -> None:
    member = {"bucket": "acme-data", "role": "roles/storage.admin", "member": "user:a@example.com"}
    with pytest.raises(ProviderError, match="Error 404"):
        create(offline_cloud, BucketIAMMember(), member)
    create(offline_cloud, Bucket(), {"name": "acme-data", "location": "EU"})
    first_id, first = create(offline_cloud, BucketIAMMember(), member)
    _, second = create(offline_cloud, BucketIAMMember(), {**member, "member": "user:b@example.com"})
    assert first["etag"] != second["etag"]
    assert BucketIAMMember().read(offline_cloud, first_id, first)["etag"] == second["etag"]
    BucketIAMMember().delete(offline_cloud, first_id, first)
    assert BucketIAMMember().read(offline_cloud, first_id, first) is None


def test_service_account_and_its_grants(offline_cloud: Cloud, project: str) -> None:
    account_id, account = create(
        offline_cloud, Account(), {"accountId": "acme-workload", "displayName": "Acme"}
    )
    email = f"acme-workload@{project}.iam.gserviceaccount.com"
    assert account_id == account["name"] == f"projects/{project}/serviceAccounts/{email}"
    assert (account["email"], account["member"]) == (email, f"serviceAccount:{email}")
    assert len(account["uniqueId"]) == 21 and account["uniqueId"].isdigit()
    with pytest.raises(ProviderError, match="already exists"):
        create(offline_cloud, Account(), {"accountId": "acme-workload"})
    grant_id, _ = create(
        offline_cloud,
        IAMMember(),
        {
            "serviceAccountId": account["name"],
            "role": "roles/iam.serviceAccountUser",
            "member": "user:a@example.com",
        },
    )
    updated = Account().update(
        offline_cloud,
        account_id,
        account,
        checked(
            offline_cloud, Account(), {"accountId": "acme-workload", "description": "workloads"}
        ),
    )
    assert updated["description"] == "workloads" and updated["uniqueId"] == account["uniqueId"]
    Account().delete(offline_cloud, account_id, updated)
    assert IAMMember().read(offline_cloud, grant_id, {}) is None


def test_secret_versions_latest_and_pinned(offline_cloud: Cloud, project: str) -> None:
    offline_cloud.store.put_secret_version(project, "google-client", "first")
    offline_cloud.store.put_secret_version(project, "google-client", "second")
    latest = get_secret_version(offline_cloud, {"secret": "google-client"})
    assert (latest["secretData"], latest["version"], latest["project"]) == ("second", "2", project)
    assert latest["name"].endswith("/secrets/google-client/versions/2")
    pinned = get_secret_version(
        offline_cloud, {"secret": f"projects/{project}/secrets/google-client", "version": "1"}
    )
    assert pinned["secretData"] == "first"
    with pytest.raises(ProviderError, match="not found"):
        get_secret_version(offline_cloud, {"secret": "missing"})


def _insert_many(args: tuple[str, int]) -> int:
    path, worker = args
    store = Store(Path(path))
    for index in range(25):
        store.insert("storage.bucket", f"w{worker}-{index}", {"n": index})
        store.put_secret_version("demo-x", "shared", f"{worker}-{index}")
    return worker


def test_concurrent_plugin_processes_share_the_file(tmp_path: Path) -> None:
    # One plugin process per stack writes the same SQLite file at the same time.
    path = str(tmp_path / "shared.db")
    with multiprocessing.get_context("spawn").Pool(4) as pool:
        assert sorted(pool.map(_insert_many, [(path, worker) for worker in range(4)])) == [
            0,
            1,
            2,
            3,
        ]
    store = Store(Path(path))
    assert store.get("storage.bucket", "w3-24") == {"n": 24}
    latest = store.secret_version("demo-x", "shared", None)
    assert latest is not None and latest.version == 100


def test_tenants_without_an_emulator_host_fail_clearly(
    store: Store, project: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("FIREBASE_AUTH_EMULATOR_HOST", raising=False)
    cloud = Cloud(ProviderConfig(project=project), store)
    with pytest.raises(EmulatorNotConfigured, match="FIREBASE_AUTH_EMULATOR_HOST is not set"):
        create(cloud, Tenant(), {"displayName": "Acme"})
    create(cloud, Bucket(), {"name": "no-emulator-needed", "location": "EU"})
