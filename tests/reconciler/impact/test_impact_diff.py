"""The graph diff and the force-new contract, one behaviour per test (pure: no Pulumi)."""

from __future__ import annotations

import pytest

from reconciler.impact import contract
from reconciler.impact.diff import (
    ADDED,
    CHANGED,
    CREATE,
    DELETE,
    FAILED,
    REMOVED,
    REPLACE,
    UNCHANGED,
    UPDATE,
    FieldChange,
    compare,
    diff_fleet,
    diff_tenant,
)
from reconciler.impact.graph import FleetGraphs, Resource, TenantGraph

BUCKET = "gcp:storage/bucket:Bucket"
IDP = "gcp:identityplatform/tenantDefaultSupportedIdpConfig:TenantDefaultSupportedIdpConfig"
TENANT = "gcp:identityplatform/tenant:Tenant"
CUSTOM = "acme:thing/widget:Widget"


def bucket(**inputs: object) -> Resource:
    base = {"name": "a-data-1", "location": "EU", "labels": {"tenant": "a"}}
    return Resource(BUCKET, "a-data", "pulumi:pulumi:Stack::p-a", True, {}, {**base, **inputs})


def graph(*resources: Resource, error: str | None = None) -> TenantGraph:
    return TenantGraph({r.key: r for r in resources}, error)


@pytest.mark.parametrize(
    ("before", "after", "op", "fields", "forcing"),
    [
        (bucket(), bucket(labels={"tenant": "a", "env": "dev"}), UPDATE, ("labels",), ()),
        (bucket(), bucket(location="US"), REPLACE, ("location",), ("location",)),
        (bucket(), bucket(name="a-data-2", labels={}), REPLACE, ("labels", "name"), ("name",)),
        (bucket(), bucket(versioning={"enabled": True}), UPDATE, ("versioning",), ()),
        (bucket(storageClass="STANDARD"), bucket(), UPDATE, ("storageClass",), ()),
    ],
)
def test_a_changed_input_updates_or_replaces_as_the_contract_says(
    before, after, op, fields, forcing
):
    change = compare(before, after)
    assert change is not None
    assert (change.op, change.fields, change.replace_fields) == (op, fields, forcing)


def test_an_unchanged_resource_is_no_change():
    assert compare(bucket(), bucket()) is None


def test_changed_leaves_are_listed_by_dotted_path_with_both_values():
    change = compare(bucket(), bucket(labels={"tenant": "b", "env": "dev"}))
    assert change is not None
    assert change.details == (
        FieldChange("labels.env", None, "dev"),
        FieldChange("labels.tenant", "a", "b"),
    )


def test_a_lists_change_is_one_change_of_the_whole_list():
    before = bucket(cors=[{"origin": ["a"]}])
    change = compare(before, bucket(cors=[{"origin": ["a", "b"]}]))
    assert change is not None and [d.path for d in change.details] == ["cors"]


def test_a_secret_shows_as_changed_and_never_with_a_value():
    old = Resource(IDP, "a-idp", inputs={"clientSecret": {"$secret": "1111"}, "tenant": "t"})
    new = Resource(IDP, "a-idp", inputs={"clientSecret": {"$secret": "2222"}, "tenant": "t"})
    change = compare(old, new)
    assert change is not None
    assert change.details == (FieldChange("clientSecret", None, None, secret=True),)
    assert change.op == UPDATE


def test_an_unchanged_secret_is_no_change():
    old = Resource(IDP, "a-idp", inputs={"clientSecret": {"$secret": "1111"}})
    assert compare(old, old) is None


def test_a_secret_becoming_plain_text_is_still_not_shown():
    old = Resource(IDP, "a-idp", inputs={"clientSecret": {"$secret": "1111"}})
    new = Resource(IDP, "a-idp", inputs={"clientSecret": "plain"})
    change = compare(old, new)
    assert change is not None and change.details[0].secret
    assert change.details[0].after is None


def test_the_idp_id_of_a_built_in_provider_forces_a_replacement():
    old = Resource(IDP, "a-idp", inputs={"idpId": "google.com", "tenant": "t"})
    change = compare(old, Resource(IDP, "a-idp", inputs={"idpId": "apple.com", "tenant": "t"}))
    assert change is not None and change.op == REPLACE and change.replace_fields == ("idpId",)


def test_replace_on_changes_forces_a_replacement_the_contract_does_not_know():
    old = Resource(CUSTOM, "w", inputs={"size": 1})
    new = Resource(CUSTOM, "w", options={"replaceOnChanges": ["size"]}, inputs={"size": 2})
    change = compare(old, new)
    assert change is not None
    assert change.replace_fields == ("size",) and "replaceOnChanges" in change.options


def test_a_new_parent_replaces_the_resource():
    old = bucket()
    new = Resource(BUCKET, "a-data", "acme:x:Group::g", True, {}, dict(old.inputs))
    change = compare(old, new)
    assert change is not None
    assert (change.op, change.options, change.replace_fields) == (REPLACE, ("parent",), ("parent",))


def test_protection_changes_in_place():
    old = bucket()
    new = Resource(BUCKET, old.name, old.parent, False, {}, dict(old.inputs))
    change = compare(old, new)
    assert change is not None and (change.op, change.options) == (UPDATE, ("protect",))


def test_a_renamed_resource_is_a_delete_and_a_create():
    old = bucket()
    renamed = Resource(BUCKET, "a-bucket", old.parent, True, {}, dict(old.inputs))
    impact = diff_tenant("a", graph(old), graph(renamed))
    assert [(c.op, c.name) for c in impact.changes] == [(CREATE, "a-bucket"), (DELETE, "a-data")]
    assert impact.changes[1].loses_state  # a bucket deleted: its data goes with it


@pytest.mark.parametrize(
    ("base", "head", "state"),
    [
        (graph(bucket()), graph(bucket()), UNCHANGED),
        (graph(bucket()), graph(bucket(labels={})), CHANGED),
        (None, graph(bucket()), ADDED),
        (graph(bucket()), None, REMOVED),
        (graph(bucket()), graph(error="ValueError: no secret"), FAILED),
        (graph(error="ImportError: x"), graph(bucket()), FAILED),
    ],
)
def test_a_tenants_state(base, head, state):
    assert diff_tenant("a", base, head).state == state


def test_a_failure_says_which_side_failed():
    impact = diff_tenant("a", graph(bucket()), graph(error="ValueError: no secret"))
    assert impact.error == "the head code: ValueError: no secret"


def test_tenants_with_the_same_change_have_the_same_signature_whatever_their_names():
    def tenant_bucket(name: str, **inputs: object) -> Resource:
        return Resource(BUCKET, f"{name}-data", "", True, {}, {"labels": {"t": name}, **inputs})

    a = diff_tenant("a", graph(tenant_bucket("a")), graph(tenant_bucket("a", location="US")))
    b = diff_tenant("b", graph(tenant_bucket("b")), graph(tenant_bucket("b", location="US")))
    c = diff_tenant("c", graph(tenant_bucket("c")), graph(tenant_bucket("c", storageClass="X")))
    assert a.signature() == b.signature() != c.signature()


def test_the_fleet_diff_covers_tenants_of_either_side_in_name_order():
    base = FleetGraphs({"b": graph(bucket()), "a": graph(bucket())})
    head = FleetGraphs({"c": graph(bucket()), "a": graph(bucket())})
    found = diff_fleet(base.tenants, head.tenants)
    assert [(t.tenant, t.state) for t in found] == [
        ("a", UNCHANGED),
        ("b", REMOVED),
        ("c", ADDED),
    ]


@pytest.mark.parametrize(
    ("resource_type", "fields", "replaces"),
    [
        (TENANT, ["displayName"], False),
        (TENANT, ["project"], True),
        (BUCKET, ["labels", "versioning", "retentionPolicy"], False),
        (BUCKET, ["location"], True),
        ("gcp:serviceaccount/account:Account", ["displayName", "description"], False),
        ("gcp:serviceaccount/account:Account", ["accountId"], True),
        ("gcp:storage/bucketIAMMember:BucketIAMMember", ["member"], True),
        ("gcp:serviceaccount/iAMMember:IAMMember", ["role"], True),
        ("pulumi-python:dynamic/identityplatform:TenantMfaConfig", ["mfaConfig"], False),
        ("pulumi-python:dynamic/identityplatform:TenantMfaConfig", ["tenant"], True),
        ("gcp:identityplatform/tenantOauthIdpConfig:TenantOauthIdpConfig", ["issuer"], False),
        ("gcp:identityplatform/tenantOauthIdpConfig:TenantOauthIdpConfig", ["name"], True),
        (
            "gcp:identityplatform/tenantInboundSamlConfig:TenantInboundSamlConfig",
            ["idpConfig"],
            False,
        ),
        (CUSTOM, ["anything"], False),
    ],
)
def test_the_contracts_force_new_rows(resource_type, fields, replaces):
    assert contract.replaces(resource_type, fields) is replaces


def test_the_contract_covers_every_type_the_program_declares():
    from reconciler.impact.summary import FRIENDLY

    assert set(FRIENDLY) == set(contract.FORCE_NEW)
    assert not contract.known(CUSTOM)


def test_a_resource_aliased_to_a_base_resource_is_that_resource_moved_not_recreated():
    """As the engine does with `aliases`: the MFA-only resource became the sign-in settings
    (reconciler/program/identity.py aliases it), one update, never a delete and a create."""
    old = Resource(
        "pulumi-python:dynamic/identityplatform:TenantMfaConfig",
        "a-mfa",
        inputs={"project": "p", "tenant": "t", "mfaConfig": {"state": "DISABLED"}},
    )
    new = Resource(
        "pulumi-python:dynamic/identityplatform:TenantSignInSettings",
        "a-signin",
        inputs={"project": "p", "tenant": "t", "mfaConfig": {"state": "DISABLED"}, "x": 1},
        aliases=("pulumi-python:dynamic/identityplatform:TenantMfaConfig::a-mfa",),
    )
    impact = diff_tenant("a", graph(old), graph(new))
    assert [(c.op, c.name, c.fields) for c in impact.changes] == [(UPDATE, "a-signin", ("x",))]
