"""The provider's engine-facing methods: property values in, property values out."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from pulumi.provider.experimental.property_value import PropertyValue
from pulumi.provider.experimental.provider import (
    CheckRequest,
    ConfigureRequest,
    CreateRequest,
    DiffRequest,
    InvokeRequest,
    PropertyDiffKind,
    ReadRequest,
)

from sandbox import emulator
from sandbox.provider.resource import ProviderError
from sandbox.provider.secretmanager import put_secret
from sandbox.provider.server import SandboxProvider
from sandbox.provider.values import UNKNOWN_WIRE_STRING, from_plain, plain_to_props

PROJECT = "demo-provider"
STACK = "urn:pulumi:dev::mlaas::"


def urn(token: str, name: str) -> str:
    return f"{STACK}{token}::{name}"


TENANT = urn("gcp:identityplatform/tenant:Tenant", "acme")
IDP = urn(
    "gcp:identityplatform/tenantDefaultSupportedIdpConfig:TenantDefaultSupportedIdpConfig",
    "acme-google",
)
BUCKET = urn("gcp:storage/bucket:Bucket", "acme-data")


@pytest.fixture
def provider(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, auth_emulator: emulator.Emulator
) -> SandboxProvider:
    monkeypatch.setenv("SANDBOX_STATE_DB", str(tmp_path / "sandbox.db"))
    monkeypatch.setenv("FIREBASE_AUTH_EMULATOR_HOST", auth_emulator.host)
    monkeypatch.delenv("SANDBOX_FAULTS", raising=False)
    provider = SandboxProvider()
    asyncio.run(
        provider.configure(ConfigureRequest({"gcp:config:project": PROJECT}, {}, True, False))
    )
    return provider


def props(values: dict[str, Any], secret: frozenset[str] = frozenset()) -> dict[str, PropertyValue]:
    return plain_to_props(values, secret)


def create(provider: SandboxProvider, resource_urn: str, inputs: dict[str, PropertyValue]) -> Any:
    checked = asyncio.run(provider.check(CheckRequest(resource_urn, {}, inputs, b"seed")))
    assert not checked.failures
    return asyncio.run(provider.create(CreateRequest(resource_urn, checked.inputs, 60, False)))


def test_configure_takes_the_project_from_the_config_variable(provider: SandboxProvider) -> None:
    checked = asyncio.run(
        provider.check(CheckRequest(TENANT, {}, props({"displayName": "Acme"}), b""))
    )
    assert checked.inputs["project"] == PropertyValue(PROJECT)


def test_check_config_refuses_a_malformed_project(provider: SandboxProvider) -> None:
    request = CheckRequest(
        "urn:pulumi:dev::mlaas::pulumi:providers:gcp::default",
        {},
        props({"project": "Bad_Project", "region": "europe-west1"}),
        b"",
    )
    result = asyncio.run(provider.check_config(request))
    assert [f.property for f in result.failures or []] == ["project"]


def test_check_failures_name_the_property(provider: SandboxProvider) -> None:
    account = urn("gcp:serviceaccount/account:Account", "acme-workload")
    checked = asyncio.run(
        provider.check(CheckRequest(account, {}, props({"accountId": "Bad_Id"}), b""))
    )
    assert [f.property for f in checked.failures] == ["accountId"]


def test_api_rules_pass_preview_and_fail_at_create(provider: SandboxProvider) -> None:
    checked = asyncio.run(
        provider.check(CheckRequest(TENANT, {}, props({"displayName": "no"}), b""))
    )
    assert checked.failures == [], "Identity Platform's rule is not the provider's"
    planned = asyncio.run(provider.create(CreateRequest(TENANT, checked.inputs, 60, True)))
    assert planned.resource_id == ""
    with pytest.raises(ProviderError, match=r"Error 400: .*INVALID_DISPLAY_NAME"):
        asyncio.run(provider.create(CreateRequest(TENANT, checked.inputs, 60, False)))


def test_an_unknown_type_is_refused_by_name(provider: SandboxProvider) -> None:
    request = CheckRequest(urn("gcp:compute/instance:Instance", "vm"), {}, {}, b"")
    with pytest.raises(
        ProviderError, match="the sandbox does not emulate gcp:compute/instance:Instance"
    ):
        asyncio.run(provider.check(request))


def test_an_unknown_function_is_refused_by_name(provider: SandboxProvider) -> None:
    with pytest.raises(
        ProviderError, match="does not emulate function gcp:organizations/getProject"
    ):
        asyncio.run(provider.invoke(InvokeRequest("gcp:organizations/getProject:getProject", {})))


def test_secrets_stay_secret_in_outputs(provider: SandboxProvider) -> None:
    tenant = create(provider, TENANT, props({"displayName": "Acme"}))
    inputs = props(
        {
            "idpId": "google.com",
            "tenant": tenant.properties["name"].value,
            "clientId": "c",
            "clientSecret": "hunter2",
        },
        frozenset({"clientSecret"}),
    )
    created = create(provider, IDP, inputs)
    assert created.properties["clientSecret"] == PropertyValue("hunter2", is_secret=True)
    assert not created.properties["clientId"].is_secret


def test_a_client_secret_sent_plain_comes_back_plain(provider: SandboxProvider) -> None:
    """pulumi-gcp marks no Identity Platform output secret (no Sensitive upstream): only
    what was sent as a secret, or the program's additional_secret_outputs, stays one."""
    tenant = create(provider, TENANT, props({"displayName": "Acme"}))
    inputs = props(
        {
            "idpId": "github.com",
            "tenant": tenant.properties["name"].value,
            "clientId": "c",
            "clientSecret": "plain",
        }
    )
    assert not create(provider, IDP, inputs).properties["clientSecret"].is_secret


def test_preview_create_leaves_computed_outputs_unknown(provider: SandboxProvider) -> None:
    checked = asyncio.run(
        provider.check(CheckRequest(TENANT, {}, props({"displayName": "Acme"}), b""))
    )
    planned = asyncio.run(provider.create(CreateRequest(TENANT, checked.inputs, 60, True)))
    assert planned.properties["name"] == PropertyValue(UNKNOWN_WIRE_STRING)
    assert planned.properties["displayName"] == PropertyValue("Acme")


def test_unknown_inputs_arrive_as_the_wire_sentinel_and_diff_as_changes(
    provider: SandboxProvider,
) -> None:
    created = create(provider, BUCKET, props({"name": "acme-data-p", "location": "EU"}))
    news = {**created.properties, "labels": from_plain({"tier": UNKNOWN_WIRE_STRING})}
    result = asyncio.run(
        provider.diff(DiffRequest(BUCKET, "acme-data-p", created.properties, news, []))
    )
    assert result.changes and result.diffs == ["labels"]
    assert result.detailed_diff["labels.tier"].kind == PropertyDiffKind.ADD


def test_read_of_a_deleted_resource_returns_no_id(provider: SandboxProvider) -> None:
    created = create(provider, BUCKET, props({"name": "acme-data-r", "location": "EU"}))
    provider.cloud.store.delete("storage.bucket", "acme-data-r")
    read = asyncio.run(provider.read(ReadRequest(BUCKET, "acme-data-r", created.properties, {})))
    assert read.resource_id is None and read.properties == {}


def test_read_returns_inputs_that_follow_the_cloud(provider: SandboxProvider) -> None:
    created = create(
        provider,
        BUCKET,
        props({"name": "acme-data-i", "location": "EU", "storageClass": "STANDARD"}),
    )
    stored = provider.cloud.store.get("storage.bucket", "acme-data-i")
    assert stored is not None
    provider.cloud.store.replace(
        "storage.bucket", "acme-data-i", {**stored, "storageClass": "COLDLINE"}
    )
    old_inputs = props({"name": "acme-data-i", "location": "EU", "storageClass": "STANDARD"})
    read = asyncio.run(
        provider.read(ReadRequest(BUCKET, "acme-data-i", created.properties, old_inputs))
    )
    assert read.inputs["storageClass"] == PropertyValue("COLDLINE")
    assert set(read.inputs) == {"name", "location", "storageClass"}


def test_get_secret_version_returns_secret_data_as_a_secret(
    provider: SandboxProvider, tmp_path: Path
) -> None:
    put_secret(PROJECT, "tenant-one-google", "s3cr3t", db_path=tmp_path / "sandbox.db")
    result = asyncio.run(
        provider.invoke(
            InvokeRequest(
                "gcp:secretmanager/getSecretVersion:getSecretVersion",
                {"secret": PropertyValue("tenant-one-google")},
            )
        )
    )
    assert result.return_value is not None
    assert result.return_value["secretData"] == PropertyValue("s3cr3t", is_secret=True)
    assert result.return_value["version"] == PropertyValue("1")
