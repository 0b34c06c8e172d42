"""What happens to the operations a killed run left pending in a tenant's stack: the pure
decision (a table), then act running it before the `up` (with the in-memory engine)."""

from __future__ import annotations

import json

import pytest

from reconciler.engine.backend.pending import PendingOperation, pending_operations
from reconciler.engine.port import StateResource
from reconciler.reconcile import act
from reconciler.reconcile.pending import Recovery, decide, plan_recovery
from reconciler.reconcile.plan import Action
from reconciler.report.status import Status
from tests.fake_engine import FakeEngine
from tests.reconciler.reconcile.test_act import by_tenant, change, context, record

PROJECT = "demo-p"
DEFAULT_IDP = "gcp:identityplatform/tenantDefaultSupportedIdpConfig:TenantDefaultSupportedIdpConfig"
OIDC = "gcp:identityplatform/tenantOauthIdpConfig:TenantOauthIdpConfig"
SAML = "gcp:identityplatform/tenantInboundSamlConfig:TenantInboundSamlConfig"
TENANT = "gcp:identityplatform/tenant:Tenant"
BUCKET_MEMBER = "gcp:storage/bucketIAMMember:BucketIAMMember"
ACCOUNT_MEMBER = "gcp:serviceaccount/iAMMember:IAMMember"
ACCOUNT = "projects/p/serviceAccounts/t-acme@p.iam.gserviceaccount.com"
USER = "user:ops@example.com"


def op(kind: str, operation: str = "creating", **inputs: str) -> PendingOperation:
    return PendingOperation(f"urn:pulumi:t::mlaas-tenants::{kind}::x", kind, operation, inputs)


@pytest.mark.parametrize(
    ("pending", "recovery", "import_id"),
    [
        (
            op(DEFAULT_IDP, tenant="t-1", idpId="google.com", project="p2"),
            Recovery.IMPORT,
            "projects/p2/tenants/t-1/defaultSupportedIdpConfigs/google.com",
        ),
        (
            op(DEFAULT_IDP, tenant="t-1", idpId="google.com"),  # no project input: the platform's
            Recovery.IMPORT,
            f"projects/{PROJECT}/tenants/t-1/defaultSupportedIdpConfigs/google.com",
        ),
        (
            op(OIDC, tenant="t-1", name="oidc.corp"),
            Recovery.IMPORT,
            f"projects/{PROJECT}/tenants/t-1/oauthIdpConfigs/oidc.corp",
        ),
        (
            op(SAML, tenant="t-1", name="saml.corp"),
            Recovery.IMPORT,
            f"projects/{PROJECT}/tenants/t-1/inboundSamlConfigs/saml.corp",
        ),
        (
            op("gcp:storage/bucket:Bucket", name="acme-data-1a2b3c"),
            Recovery.IMPORT,
            "acme-data-1a2b3c",
        ),
        (
            op("gcp:serviceaccount/account:Account", accountId="t-acme", project="p"),
            Recovery.IMPORT,
            "projects/p/serviceAccounts/t-acme@p.iam.gserviceaccount.com",
        ),
        # The identity tenant's id is the server's: never guessed.
        (op(TENANT, displayName="Acme", project="p"), Recovery.REFUSE, ""),
        # An IdP config whose tenant input is missing: no id to import under.
        (op(DEFAULT_IDP, idpId="google.com"), Recovery.REFUSE, ""),
        # A type the reconciler does not know: refused rather than cleared.
        (op("gcp:compute/instance:Instance", name="vm"), Recovery.REFUSE, ""),
        # Grants are imported (the provider's importer's space-delimited ids), not dropped:
        # the next program may lack them, and a grant nobody manages would stay.
        (
            op(BUCKET_MEMBER, bucket="acme-data-1a2b3c", role="roles/storage.admin", member=USER),
            Recovery.IMPORT,
            f"b/acme-data-1a2b3c roles/storage.admin {USER}",
        ),
        (
            op(
                ACCOUNT_MEMBER,
                serviceAccountId=ACCOUNT,
                role="roles/iam.serviceAccountUser",
                member=USER,
            ),
            Recovery.IMPORT,
            f"{ACCOUNT} roles/iam.serviceAccountUser {USER}",
        ),
        (
            op(BUCKET_MEMBER, bucket="acme-data-1a2b3c", role="roles/storage.admin"),
            Recovery.REFUSE,
            "",
        ),
        (op(ACCOUNT_MEMBER, role="roles/iam.serviceAccountUser", member=USER), Recovery.REFUSE, ""),
        # The reconciler's PATCH-only resources: created again harmlessly.
        (op("pulumi-python:dynamic/identityplatform:TenantSignInSettings"), Recovery.CLEAR, ""),
        (op("pulumi-python:dynamic/identityplatform:TenantOidcFlow"), Recovery.CLEAR, ""),
        # Updates, deletes, reads: a plain refresh resolves them, whatever the type.
        (op(TENANT, "updating"), Recovery.REFRESH, ""),
        (op("gcp:storage/bucket:Bucket", "deleting"), Recovery.REFRESH, ""),
    ],
)
def test_each_pending_operation_is_imported_cleared_refreshed_or_refused(
    pending, recovery, import_id
):
    decision = decide(pending, PROJECT)
    assert (decision.recovery, decision.import_id) == (recovery, import_id)


def test_the_plan_imports_by_urn_and_names_what_it_refuses():
    idp = op(DEFAULT_IDP, tenant="t-1", idpId="google.com")
    settings = op("pulumi-python:dynamic/identityplatform:TenantSignInSettings")  # cleared
    tenant = op(TENANT, displayName="Acme")
    plan = plan_recovery([idp, settings, tenant], PROJECT)
    assert plan.imports == {idp.urn: decide(idp, PROJECT).import_id}
    assert [d.operation for d in plan.refused] == [tenant]


def test_pending_operations_are_read_from_an_export_and_from_a_checkpoint_secrets_left_out():
    entry = {
        "type": "creating",
        "resource": {
            "urn": "urn:pulumi:a::p::T::n",
            "type": "T",
            "inputs": {"name": "n", "clientSecret": {"4dabf18193072939515e22adb298388d": "x"}},
        },
    }
    exported = json.dumps({"deployment": {"pending_operations": [entry]}})
    checkpoint = json.dumps({"checkpoint": {"latest": {"pending_operations": [entry]}}})
    want = (PendingOperation("urn:pulumi:a::p::T::n", "T", "creating", {"name": "n"}),)
    assert pending_operations(exported) == want
    assert pending_operations(checkpoint) == want
    assert pending_operations('{"deployment": {}}') == ()


# --- act runs it before the up -------------------------------------------------------------


def _idp_pending(tenant: str) -> PendingOperation:
    return PendingOperation(
        f"urn:pulumi:{tenant}::mlaas-tenants::{DEFAULT_IDP}::{tenant}-idp-google.com",
        DEFAULT_IDP,
        "creating",
        {"tenant": "t-1", "idpId": "google.com", "project": "p"},
    )


def test_apply_imports_an_interrupted_create_before_the_up_and_says_so():
    engine = FakeEngine({"acme": record("acme")})
    pending = _idp_pending("acme")
    engine.pending["acme"] = (pending,)
    engine.state["acme"] = [StateResource(pending.urn, DEFAULT_IDP, pending.name, "id")]
    outcome = by_tenant(act.apply([change("acme", Action.RETRY, record("acme"))], context(engine)))
    assert outcome["acme"].status is Status.SUCCEEDED, outcome["acme"].reason
    assert engine.calls_for("acme")[:2] == ["recover_pending", "up"]
    idp_id = "projects/p/tenants/t-1/defaultSupportedIdpConfigs/google.com"
    assert engine.recoveries == [("acme", {pending.urn: idp_id})]
    assert "imported interrupted create of acme-idp-google.com" in outcome["acme"].reason


def test_an_import_the_refresh_dropped_is_reported_as_cleared():
    engine = FakeEngine({"acme": record("acme")})
    engine.pending["acme"] = (_idp_pending("acme"),)
    outcome = by_tenant(act.apply([change("acme", Action.RETRY, record("acme"))], context(engine)))
    assert "cleared interrupted create of acme-idp-google.com (it had not been created)" in (
        outcome["acme"].reason
    )


def test_an_interrupted_identity_tenant_create_fails_the_tenant_with_what_to_do():
    engine = FakeEngine({"acme": record("acme")})
    engine.pending["acme"] = (
        PendingOperation(
            "urn:pulumi:acme::mlaas-tenants::gcp:identityplatform/tenant:Tenant::acme-identity",
            TENANT,
            "creating",
            {"displayName": "Acme"},
        ),
    )
    outcome = by_tenant(act.apply([change("acme", Action.RETRY, record("acme"))], context(engine)))
    reason = outcome["acme"].reason
    assert outcome["acme"].status is Status.FAILED
    assert "acme-identity" in reason and "gcloud identity-platform tenants list" in reason
    assert "--clear-pending-creates" in reason and "docs/operations.md" in reason
    assert "projects/demo-mlaas/tenants/ID" in reason
    assert "up" not in engine.calls_for("acme") and engine.recoveries == []


def test_nothing_pending_means_no_refresh():
    engine = FakeEngine({"acme": record("acme")})
    act.apply([change("acme", Action.UPDATE, record("acme"))], context(engine))
    assert "recover_pending" not in engine.calls_for("acme")


@pytest.mark.parametrize("decommission", [False, True])
def test_a_delete_recovers_first_so_the_destroy_takes_the_interrupted_create_with_it(
    decommission: bool,
):
    engine = FakeEngine({"acme": record("acme")})
    pending = _idp_pending("acme")
    engine.pending["acme"] = (pending,)
    engine.state["acme"] = [StateResource(pending.urn, DEFAULT_IDP, pending.name, "id")]
    deleted = change("acme", Action.DELETE, record("acme"), decommission=decommission)
    outcome = by_tenant(act.apply([deleted], context(engine)))["acme"]
    assert outcome.status is Status.SUCCEEDED, outcome.reason
    calls = engine.calls_for("acme")
    assert calls[0] == "recover_pending" and calls[-1] == "destroy", calls
    idp_id = "projects/p/tenants/t-1/defaultSupportedIdpConfigs/google.com"
    assert engine.recoveries == [("acme", {pending.urn: idp_id})]
    assert "imported interrupted create of acme-idp-google.com" in outcome.reason


def test_a_delete_with_an_interrupted_identity_tenant_create_destroys_nothing():
    engine = FakeEngine({"acme": record("acme")})
    engine.pending["acme"] = (
        PendingOperation(
            "urn:pulumi:acme::mlaas-tenants::gcp:identityplatform/tenant:Tenant::acme-identity",
            TENANT,
            "creating",
            {"displayName": "Acme"},
        ),
    )
    deleted = change("acme", Action.DELETE, record("acme"), decommission=True)
    outcome = by_tenant(act.apply([deleted], context(engine)))["acme"]
    assert outcome.status is Status.FAILED
    assert "acme-identity" in outcome.reason and "--clear-pending-creates" in outcome.reason
    assert {"up", "destroy"}.isdisjoint(engine.calls_for("acme"))
