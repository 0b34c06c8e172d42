"""The sandbox's Identity Toolkit front (sandbox/identity_api.py): the emulator, plus stand-ins
for the two things it cannot do — IdP-config methods (501 in the emulator) and test phone
numbers (it camel-cases map keys, so `+15555550100` becomes `15555550100`)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from sandbox import emulator
from sandbox.identity_api import make_server
from sandbox.provider.idpconfigs import TenantOauthIdpConfig
from sandbox.provider.resource import Cloud
from sandbox.provider.store import Store
from sandbox.provider.tenant import Tenant
from tests.e2e.identity import call
from tests.sandbox.test_sandbox_resources import create

PHONE = "+15555550100"


@pytest.fixture
def front(store: Store, auth_emulator: emulator.Emulator) -> Iterator[str]:
    server = make_server(store.path, auth_emulator.host)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def tenant_url(project: str, tenant_id: str, mask: str = "") -> str:
    path = f"identitytoolkit.googleapis.com/v2/projects/{project}/tenants/{tenant_id}"
    return f"{path}?updateMask={mask}" if mask else path


def test_the_emulator_alone_mangles_test_phone_numbers(cloud: Cloud, auth_emulator, project):
    """Why the front holds them (a pin: if firebase-tools fixes it, the front can go)."""
    tenant_id, _ = create(cloud, Tenant(), {"displayName": "Acme"})
    body = {"testPhoneNumbers": {PHONE: "123456"}}
    status, answer = call(
        auth_emulator.host,
        "PATCH",
        tenant_url(project, tenant_id.rsplit("/", 1)[-1], "testPhoneNumbers"),
        body,
    )
    assert status == 200, answer
    assert answer["testPhoneNumbers"] == {PHONE.removeprefix("+"): "123456"}


def test_test_phone_numbers_go_through_the_front_unmangled(cloud: Cloud, front: str, project):
    tenant_id = create(cloud, Tenant(), {"displayName": "Acme"})[0].rsplit("/", 1)[-1]
    body = {"testPhoneNumbers": {PHONE: "123456"}, "enableAnonymousUser": True}
    status, answer = call(
        front, "PATCH", tenant_url(project, tenant_id, "testPhoneNumbers,enableAnonymousUser"), body
    )
    assert status == 200, answer
    assert answer["testPhoneNumbers"] == {PHONE: "123456"}
    assert answer["enableAnonymousUser"] is True  # the rest went to the emulator
    assert call(front, "GET", tenant_url(project, tenant_id))[1]["testPhoneNumbers"] == {
        PHONE: "123456"
    }
    listed = call(front, "GET", f"identitytoolkit.googleapis.com/v2/projects/{project}/tenants")[1]
    assert [t["testPhoneNumbers"] for t in listed["tenants"]] == [{PHONE: "123456"}]
    # Only the numbers in the mask: nothing else is sent, and the emulator's empty-mask
    # "replace everything" never happens.
    status, answer = call(front, "PATCH", tenant_url(project, tenant_id, "testPhoneNumbers"),
                          {"testPhoneNumbers": {}})  # fmt: skip
    assert status == 200 and "testPhoneNumbers" not in answer
    assert answer["enableAnonymousUser"] is True


@pytest.mark.parametrize(
    ("numbers", "why"),
    [
        ({"5555550100": "123456"}, "is not in E.164 format"),
        ({PHONE: "12345"}, "is not six digits"),
        ({f"+1555555{i:04d}": "123456" for i in range(11)}, "at most 10 test phone numbers"),
    ],
)
def test_the_apis_rules_for_test_numbers(cloud: Cloud, front: str, project, numbers, why):
    tenant_id = create(cloud, Tenant(), {"displayName": "Acme"})[0].rsplit("/", 1)[-1]
    status, answer = call(front, "PATCH", tenant_url(project, tenant_id, "testPhoneNumbers"),
                          {"testPhoneNumbers": numbers})  # fmt: skip
    assert status == 400 and why in answer["error"]["message"], answer


def oidc(cloud: Cloud) -> tuple[str, str]:
    _, tenant = create(cloud, Tenant(), {"displayName": "Acme"})
    news = {"name": "oidc.okta", "displayName": "Okta", "issuer": "https://okta.example.com",
            "clientId": "c", "tenant": tenant["name"]}  # fmt: skip
    resource_id, _ = create(cloud, TenantOauthIdpConfig(), news)
    return tenant["name"], resource_id


def test_oidc_configs_are_served_from_the_plugins_store(cloud: Cloud, front: str, project):
    tenant_id, resource_id = oidc(cloud)
    url = f"{tenant_url(project, tenant_id)}/oauthIdpConfigs/oidc.okta"
    status, config = call(front, "GET", url)
    assert status == 200, config
    assert config == {"name": resource_id, "clientId": "c", "displayName": "Okta",
                      "enabled": False, "issuer": "https://okta.example.com"}  # fmt: skip
    mask = "responseType.code,responseType.idToken,clientSecret"
    flow = {"responseType": {"code": True, "idToken": False}, "clientSecret": "s3cr3t"}
    status, config = call(front, "PATCH", f"{url}?updateMask={mask}", flow)
    assert status == 200, config
    assert (config["responseType"], config["clientSecret"]) == (flow["responseType"], "s3cr3t")
    # The plugin's read of pulumi-gcp's config sees the secret the flow set, as in GCP.
    stored = TenantOauthIdpConfig().read(cloud, resource_id, {})
    assert stored is not None and stored["clientSecret"] == "s3cr3t"
    assert "responseType" not in stored  # not a field of pulumi-gcp's resource
    # A masked field absent from the body is cleared (AIP-134).
    status, config = call(front, "PATCH", f"{url}?updateMask={mask}",
                          {"responseType": {"idToken": True}})  # fmt: skip
    assert status == 200 and "clientSecret" not in config
    assert config["responseType"] == {"code": False, "idToken": True}


def test_both_response_types_at_once_are_refused(cloud: Cloud, front: str, project):
    tenant_id, _ = oidc(cloud)
    url = f"{tenant_url(project, tenant_id)}/oauthIdpConfigs/oidc.okta"
    both: dict[str, Any] = {"responseType": {"code": True, "idToken": True}}
    status, answer = call(
        front, "PATCH", f"{url}?updateMask=responseType.code,responseType.idToken", both
    )
    assert status == 400 and "INVALID_OAUTH_RESPONSETYPE" in json.dumps(answer)


def test_a_missing_config_is_a_404(cloud: Cloud, front: str, project):
    tenant_id, _ = oidc(cloud)
    status, _ = call(front, "GET", f"{tenant_url(project, tenant_id)}/oauthIdpConfigs/oidc.none")
    assert status == 404
