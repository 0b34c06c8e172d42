"""The Tenant adopt workflow under act: a tenant made outside git, named by a manifest on
main (`spec.adopt.tenantId`), is adopted by the dispatched workflow with the deploy
identity, in the `tenant-adopt` environment, keeping its id; tenants without `spec.adopt`
are left alone; a bad `tenants` input stops before any credential."""

from __future__ import annotations

import secrets

import pytest

from tests.e2e import identity
from tests.workflows.conftest import PROJECT, Scenario

pytestmark = pytest.mark.e2e

DEPLOY_ACCOUNT = "tenant-deploy@demo-act.iam.gserviceaccount.com"


def test_a_dispatched_adoption_takes_over_a_console_made_tenant(scenario: Scenario) -> None:
    display = f"Console-{secrets.token_hex(3)}"
    status, body = identity.call(
        scenario.emulator_host,
        "POST",
        f"identitytoolkit.googleapis.com/v2/projects/{PROJECT}/tenants",
        {"displayName": display, "allowPasswordSignup": True},
    )
    assert status == 200, body
    tenant_id = str(body["name"]).rsplit("/", 1)[-1]
    manifest = "\n".join(
        [
            "apiVersion: mlaas.dev/v1",
            "kind: Tenant",
            "metadata:",
            "  name: console-one",
            "  owner: ml@console.example.com",
            "spec:",
            f"  displayName: {display}",
            "  adopt:",
            f"    tenantId: {tenant_id}",
            "  auth:",
            "    allowPasswordSignup: true",
            "",
        ]
    )
    scenario.origin.commit("main", "adopt console-one", {"tenants/console-one.yaml": manifest})

    refused = scenario.harness.run(
        "tenant-adopt.yml", scenario.origin.dispatch_event({"tenants": "--force"})
    )
    assert refused.code != 0 and refused.results()["adopt"] == ["failure"], refused.summary()
    assert [c for c in scenario.auth_calls() if c["job"] == "adopt"] == []

    run = scenario.harness.run(
        "tenant-adopt.yml", scenario.origin.dispatch_event({"tenants": "console-one"})
    )
    assert run.code == 0, run.summary()
    assert run.results() == {"adopt": ["success"]}, run.summary()
    calls = [c for c in scenario.auth_calls() if c["job"] == "adopt"]
    assert [c["service_account"] for c in calls] == [DEPLOY_ACCOUNT]
    assert scenario.tenant_ids() == {"console-one": tenant_id}
