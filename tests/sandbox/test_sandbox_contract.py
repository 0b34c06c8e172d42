"""The round-trip contract (sandbox/contract.py) holds for the sandbox, and the README shows
exactly it: each row's force-new is the sandbox's, each pinning test exists, and the values
the program sends come back from a create and a read with no diff."""

from __future__ import annotations

import re
from typing import Any

import pytest

from sandbox import REPO_ROOT, contract
from sandbox.provider.resource import CheckRequest, Cloud, ProviderConfig, ResourceKind, check
from sandbox.provider.resource import diff as diff_of
from sandbox.provider.server import KINDS
from sandbox.provider.tenant import Tenant

README = REPO_ROOT / "sandbox" / "README.md"
START, END = "<!-- contract:start -->", "<!-- contract:end -->"


def test_the_readme_table_is_rendered_from_the_contract() -> None:
    text = README.read_text()
    assert START in text and END in text, "sandbox/README.md lost its contract markers"
    table = text.split(START, 1)[1].split(END, 1)[0].strip()
    assert table == contract.render_markdown(), (
        "sandbox/README.md's round-trip table differs from sandbox/contract.py: paste "
        "`python -c 'from sandbox import contract; print(contract.render_markdown())'`"
    )


def test_every_row_is_one_resource_field_and_unique() -> None:
    keys = [(row.resource, row.field) for row in contract.ROWS]
    assert len(keys) == len(set(keys))
    assert {row.resource for row in contract.ROWS} <= set(KINDS) | contract.DYNAMIC
    assert all(row.source and row.pinned_by for row in contract.ROWS)


def test_every_pinning_test_exists() -> None:
    missing = []
    for row in contract.ROWS:
        for pin in row.pinned_by.split(";"):
            path, _, name = pin.strip().partition("::")
            source = REPO_ROOT / path
            if not source.exists() or not re.search(rf"^def {name}\(", source.read_text(), re.M):
                missing.append(f"{row.resource} {row.field}: {pin.strip()}")
    assert missing == []


def _top(field: str) -> str:
    return field.split(".", 1)[0].split("[", 1)[0]


@pytest.mark.parametrize(
    "row",
    [row for row in contract.ROWS if row.resource in KINDS],
    ids=lambda r: f"{r.resource}:{r.field}",
)
def test_force_new_is_the_sandboxs_replacement(row: contract.Row) -> None:
    """The sandbox replaces on exactly the fields the contract says upstream does (our own
    dynamic resources' replacement is their diff's: tests/reconciler/program's contract test)."""
    fields = {f.name: f for f in KINDS[row.resource].fields}
    assert _top(row.field) in fields, f"the sandbox has no field {row.field}"
    assert fields[_top(row.field)].replaces is row.force_new


def test_force_new_fields_read_as_data() -> None:
    assert contract.force_new_fields(contract.BUCKET) == {"name", "location", "project"}
    assert contract.force_new_fields(contract.TENANT) == {"project"}
    # Every sign-in setting and the OIDC flow are PATCHed in place.
    assert contract.force_new_fields(contract.SIGN_IN) == {"project", "tenant"}
    assert contract.force_new_fields(contract.OIDC_FLOW) == {"project", "tenant", "idpId"}


def test_our_dynamic_rows_cite_the_identity_toolkit_api() -> None:
    """No Terraform schema stands between them and the API: each row names its REST reference
    and the discovery document firebase-tools carries."""
    dynamic = [row for row in contract.ROWS if row.resource in contract.DYNAMIC]
    assert {row.resource for row in dynamic} == contract.DYNAMIC
    assert all("IT/" in row.source and "FT/apiSpec.js" in row.source for row in dynamic)


# --- the program's values round-trip: create, read, diff against the same inputs --------

_ROUND_TRIPS: dict[str, dict[str, Any]] = {
    contract.DEFAULT_IDP: {
        "idpId": "google.com",
        "clientId": "c",
        "clientSecret": "s",
        "enabled": False,
    },
    contract.OIDC_IDP: {
        "name": "oidc.acme",
        "displayName": "Acme",
        "issuer": "https://acme.example.com",
        "clientId": "c",
        "enabled": False,
    },
    contract.SAML_IDP: {
        "name": "saml.acme.corp",
        "displayName": "Acme",
        "idpConfig": {
            "idpEntityId": "https://idp",
            "ssoUrl": "https://idp/sso",
            "signRequest": False,
            "idpCertificates": [{"x509Certificate": "-----BEGIN CERTIFICATE-----\nx\n"}],
        },
        "spConfig": {"spEntityId": "https://sp", "callbackUri": "https://sp/cb"},
        "enabled": True,
    },
    contract.BUCKET: {
        "name": "acme-data-1a2b3c",
        "location": "eu",
        "storageClass": "STANDARD",
        "uniformBucketLevelAccess": True,
        "publicAccessPrevention": "enforced",
        "versioning": {"enabled": False},
        "retentionPolicy": {"retentionPeriod": "2592000"},
        "labels": {"tenant": "acme", "managed-by": "tenant-gitops"},
        "forceDestroy": False,
        "deletionPolicy": "PREVENT",
    },
}


def _checked(cloud: Cloud, kind: ResourceKind, news: dict[str, Any]) -> dict[str, Any]:
    config = ProviderConfig(project=cloud.config.project)
    inputs, failures = check(kind, CheckRequest("res", news, {}, b"seed", config))
    assert failures == []
    return inputs


@pytest.mark.parametrize("token", list(_ROUND_TRIPS), ids=contract.short_type)
def test_the_programs_values_round_trip_without_a_diff(cloud: Cloud, token: str) -> None:
    kind = KINDS[token]
    news = dict(_ROUND_TRIPS[token])
    if "tenant" in kind.field_names():
        tenant_id, _ = Tenant().create(cloud, _checked(cloud, Tenant(), {"displayName": "Acme"}))
        news["tenant"] = tenant_id.rsplit("/", 1)[-1]
    inputs = _checked(cloud, kind, news)
    resource_id, outputs = kind.create(cloud, inputs)
    read = kind.read(cloud, resource_id, outputs)
    assert read is not None
    result = diff_of(kind, read, inputs, [])
    assert not result.changes, result.detailed
