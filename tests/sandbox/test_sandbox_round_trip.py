"""The sandbox models the provider's round trip, not the API's kindness: what the provider
sends (empty values left out), what it reads back (an empty block is no block), which
fields exclude each other, and which outputs it marks secret. Each test pins rows of the
round-trip contract (sandbox/contract.py, rendered in sandbox/README.md).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from pulumi.provider.experimental.provider import ConfigureRequest, ReadRequest
from pulumi.provider.experimental.provider import PropertyDiffKind as Kind

from sandbox.provider.identitytoolkit import IdentityToolkit
from sandbox.provider.idpconfigs import TenantDefaultSupportedIdpConfig, TenantOauthIdpConfig
from sandbox.provider.resource import (
    CheckRequest,
    Cloud,
    CloudError,
    ProviderConfig,
    ResourceKind,
    api_check,
    check,
    diff,
)
from sandbox.provider.server import SandboxProvider
from sandbox.provider.storage import Bucket
from sandbox.provider.tenant import Tenant
from sandbox.provider.values import plain_to_props, props_to_plain

OFF = {"permissions": {"disabledUserSignup": False, "disabledUserDeletion": False}}
SIGNUP_OFF = {"permissions": {"disabledUserSignup": True, "disabledUserDeletion": False}}


def checked(cloud: Cloud, kind: ResourceKind, news: dict[str, Any]) -> dict[str, Any]:
    config = ProviderConfig(project=cloud.config.project)
    inputs, failures = check(kind, CheckRequest("res", news, {}, b"seed", config))
    assert failures == []
    return inputs


class RecordingToolkit(IdentityToolkit):
    """The emulator client, keeping every request body the provider sent."""

    def __init__(self, host: str) -> None:
        super().__init__(host)
        self.sent: list[tuple[str, dict[str, Any], list[str]]] = []

    def create_tenant(self, project: str, body: dict[str, Any]) -> dict[str, Any]:
        self.sent.append(("POST", body, []))
        return super().create_tenant(project, body)

    def patch_tenant(
        self, project: str, tenant_id: str, body: dict[str, Any], update_mask: list[str]
    ) -> dict[str, Any]:
        self.sent.append(("PATCH", body, update_mask))
        return super().patch_tenant(project, tenant_id, body, update_mask)


@pytest.fixture
def recording(cloud: Cloud, toolkit: IdentityToolkit) -> tuple[Cloud, RecordingToolkit]:
    spy = RecordingToolkit(toolkit.host)
    return Cloud(cloud.config, cloud.store, spy), spy


# --- Tenant: false values are not sent; an empty client reads back as no block ---------


def test_a_client_of_two_false_flags_never_round_trips() -> None:
    """The perpetual diff: state has no client (the flattener's nil), the inputs have one."""
    state = {"displayName": "Acme", "client": None, "project": "p", "deletionPolicy": "DELETE"}
    result = diff(Tenant(), state, {**state, "client": OFF}, [])
    assert result.changes and result.detailed == {"client": Kind.ADD}
    half = {**state, "client": {"permissions": None}}
    assert diff(Tenant(), half, {**state, "client": OFF}, []).detailed == {
        "client.permissions": Kind.ADD
    }
    # No block on either side, or equal blocks: no diff.
    assert not diff(Tenant(), state, dict(state), []).changes
    on = {**state, "client": SIGNUP_OFF}
    assert not diff(Tenant(), on, dict(on), []).changes


def test_tenant_create_sends_no_empty_value_and_reads_back_no_client(
    recording: tuple[Cloud, RecordingToolkit],
) -> None:
    cloud, spy = recording
    news = {
        "displayName": "Acme",
        "allowPasswordSignup": False,
        "enableEmailLinkSignin": True,
        "disableAuth": False,
        "client": OFF,
    }
    inputs = checked(cloud, Tenant(), news)
    resource_id, outputs = Tenant().create(cloud, inputs)
    assert spy.sent == [("POST", {"displayName": "Acme", "enableEmailLinkSignin": True}, [])]
    assert outputs["client"] is None
    assert outputs["allowPasswordSignup"] is False  # absent reads back false: no diff
    read = Tenant().read(cloud, resource_id, outputs)
    assert read is not None
    # The program's inputs, had it sent the block: a diff; without it: none.
    assert diff(Tenant(), read, inputs, []).detailed == {"client": Kind.ADD}
    assert not diff(Tenant(), read, {**inputs, "client": None}, []).changes


def test_a_permission_round_trips_and_removing_the_block_resets_it(
    recording: tuple[Cloud, RecordingToolkit],
) -> None:
    cloud, spy = recording
    news = checked(cloud, Tenant(), {"displayName": "Acme", "client": SIGNUP_OFF})
    resource_id, outputs = Tenant().create(cloud, news)
    # Only the true leaf is sent (the emulator drops client on create: a masked PATCH).
    assert spy.sent[-1] == (
        "PATCH",
        {"client": {"permissions": {"disabledUserSignup": True}}},
        ["client"],
    )
    assert outputs["client"] == SIGNUP_OFF
    assert not diff(Tenant(), outputs, news, []).changes

    without = {**news, "client": None}
    assert diff(Tenant(), outputs, without, []).detailed == {"client": Kind.DELETE}
    updated = Tenant().update(cloud, resource_id, outputs, without)
    # The provider masks `client` with no value in the body; the API resets it.
    assert spy.sent[-1][2] == ["client"]
    assert updated["client"] is None
    read = Tenant().read(cloud, resource_id, updated)
    assert read is not None and read["client"] is None
    assert not diff(Tenant(), read, without, []).changes


# --- Bucket: Object Versioning and a retention policy exclude each other ----------------


@pytest.mark.parametrize(
    ("versioning", "retention", "refused"),
    [
        (True, "2592000", True),
        (False, "2592000", False),
        (True, None, False),
    ],
)
def test_versioning_with_a_retention_policy_passes_check_and_fails_at_create(
    offline_cloud: Cloud, versioning: bool, retention: str | None, refused: bool
) -> None:
    """No ConflictsWith in resource_storage_bucket.go: GCS refuses it at insert, as late as
    that, after the tenant's identity resources exist."""
    news: dict[str, Any] = {
        "name": "acme-data",
        "location": "EU",
        "versioning": {"enabled": versioning},
    }
    if retention is not None:
        news["retentionPolicy"] = {"retentionPeriod": retention}
    inputs = checked(offline_cloud, Bucket(), news)  # check (preview) passes either way
    if not refused:
        api_check(Bucket(), inputs)
        return
    with pytest.raises(CloudError, match="Object Versioning cannot be enabled") as raised:
        api_check(Bucket(), inputs)
    assert raised.value.code == 400
    assert "versioning.enabled" in str(raised.value)


def test_a_versioning_flag_set_false_is_sent_and_read_back(offline_cloud: Cloud) -> None:
    """expandBucketVersioning force-sends `enabled`; the bucket reads it back: no diff."""
    news = checked(offline_cloud, Bucket(), {"name": "acme-data", "location": "eu",
                                             "versioning": {"enabled": False}})  # fmt: skip
    _, outputs = Bucket().create(offline_cloud, news)
    assert outputs["versioning"] == {"enabled": False}
    assert outputs["location"] == "EU"  # StateFunc strings.ToUpper
    assert not diff(Bucket(), outputs, news, []).changes


# --- clientSecret: secret only when the input was, never on import -----------------------

DEFAULT_IDP_URN = (
    "urn:pulumi:dev::mlaas::gcp:identityplatform/tenantDefaultSupportedIdpConfig:"
    "TenantDefaultSupportedIdpConfig::acme-idp-google.com"
)


@pytest.mark.parametrize("kind", [TenantDefaultSupportedIdpConfig(), TenantOauthIdpConfig()])
def test_the_provider_marks_no_client_secret_secret(kind: ResourceKind) -> None:
    """No Sensitive in the Terraform schemas, no Secret in pulumi-gcp provider/resources.go:
    only the program's own `additional_secret_outputs` keeps an imported secret secret."""
    assert "clientSecret" in kind.field_names()
    assert "clientSecret" not in kind.secret_names()


def test_an_import_reads_the_client_secret_in_plaintext(
    cloud: Cloud, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = cloud.config.project
    tenant_id, _ = Tenant().create(cloud, checked(cloud, Tenant(), {"displayName": "Acme"}))
    tenant = tenant_id.rsplit("/", 1)[-1]
    config = {"idpId": "google.com", "tenant": tenant, "clientId": "c", "clientSecret": "s3cr3t"}
    resource_id, _ = TenantDefaultSupportedIdpConfig().create(
        cloud, checked(cloud, TenantDefaultSupportedIdpConfig(), config)
    )
    monkeypatch.setenv("SANDBOX_STATE_DB", str(cloud.store.path))
    monkeypatch.setenv("FIREBASE_AUTH_EMULATOR_HOST", cloud.identity_toolkit.host)
    provider = SandboxProvider()
    asyncio.run(
        provider.configure(ConfigureRequest({"gcp:config:project": project}, {}, True, False))
    )
    # An import: Read with no state and no inputs, as the engine's ImportStep calls it.
    read = asyncio.run(provider.read(ReadRequest(DEFAULT_IDP_URN, resource_id, {}, {})))
    assert read.properties is not None
    values, secret = props_to_plain(read.properties)
    assert values["clientSecret"] == "s3cr3t" and "clientSecret" not in secret
    # A refresh of state that held it as a secret keeps it secret.
    state = plain_to_props({**values}, {"clientSecret"})
    again = asyncio.run(provider.read(ReadRequest(DEFAULT_IDP_URN, resource_id, state, {})))
    assert again.properties is not None
    assert "clientSecret" in props_to_plain(again.properties)[1]
