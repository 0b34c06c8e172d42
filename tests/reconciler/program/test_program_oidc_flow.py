"""An OIDC provider's flow (issue 21.3): pulumi-gcp's tenant OIDC config has no response type,
so the code flow is sent by our own resource through the Identity Toolkit API, response type
and client secret in one PATCH. The provider runs against an in-memory API here; the e2e
test runs it through the engine and the sandbox's stand-in.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from reconciler.gcp.identitytoolkit import IdentityToolkitError
from reconciler.gcp.retry import TransientError
from reconciler.program.oidc_flow import (
    UPDATE_MASK,
    OidcFlowProvider,
    flow_diff,
    response_type,
)
from reconciler.program.secrets import SNAPSHOT_PLACEHOLDER as PLACEHOLDER


class FakeApi:
    """One tenant with OIDC configs; PATCH applies the mask (absent = cleared, AIP-134)."""

    def __init__(self) -> None:
        self.configs: dict[str, dict[str, Any]] = {
            "oidc.okta": {"name": "projects/p/tenants/t/oauthIdpConfigs/oidc.okta"}
        }
        self.patches: list[tuple[str, dict[str, Any], list[str]]] = []

    def find_tenant(self, project: str, tenant_id: str) -> dict[str, Any] | None:
        return {"name": f"projects/{project}/tenants/{tenant_id}"} if tenant_id == "t" else None

    def find_oauth_idp_config(self, project: str, tenant: str, idp: str) -> dict[str, Any] | None:
        found = self.configs.get(idp)
        return copy.deepcopy(found) if found else None

    def patch_oauth_idp_config(
        self, project: str, tenant: str, idp: str, body: dict[str, Any], mask: list[str]
    ) -> dict[str, Any]:
        self.patches.append((idp, copy.deepcopy(body), list(mask)))
        config = self.configs[idp]
        for path in mask:
            head, _, leaf = path.partition(".")
            if leaf:
                config.setdefault(head, {})[leaf] = body.get(head, {}).get(leaf, False)
            elif path in body:
                config[path] = body[path]
            else:
                config.pop(path, None)
        return copy.deepcopy(config)


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch) -> FakeApi:
    fake = FakeApi()
    monkeypatch.setattr(
        "reconciler.gcp.identitytoolkit.TenantApi.from_environment", staticmethod(lambda: fake)
    )
    return fake


def flow(kind: str, secret: str = "") -> dict[str, Any]:
    return {
        "project": "p",
        "tenant": "t",
        "idpId": "oidc.okta",
        "responseType": kind,
        "clientSecret": secret,
    }


def test_the_code_flow_is_sent_with_its_secret_in_one_patch(api: FakeApi):
    result = OidcFlowProvider().create(flow("code", "s3cr3t"))
    assert api.patches == [
        (
            "oidc.okta",
            {"responseType": {"code": True, "idToken": False}, "clientSecret": "s3cr3t"},
            UPDATE_MASK,
        )
    ]
    assert UPDATE_MASK == ["responseType.code", "responseType.idToken", "clientSecret"]
    assert result.id == "projects/p/tenants/t/oauthIdpConfigs/oidc.okta/flow"
    assert result.outs == flow("code", "s3cr3t")


def test_the_implicit_flow_clears_the_secret(api: FakeApi):
    provider = OidcFlowProvider()
    provider.create(flow("code", "s3cr3t"))
    result = provider.update("id", flow("code", "s3cr3t"), flow("idToken"))
    assert api.patches[-1][1] == {"responseType": {"code": False, "idToken": True}}
    assert result.outs == flow("idToken")
    assert "clientSecret" not in api.configs["oidc.okta"]


@pytest.mark.parametrize(
    ("live", "kind"),
    [({}, "unset"), ({"responseType": {"idToken": True}}, "idToken"),
     ({"responseType": {"code": True, "idToken": False}}, "code")],
)  # fmt: skip
def test_response_type_reads_the_apis_flags(live: dict[str, Any], kind: str):
    assert response_type(live) == kind


@pytest.mark.parametrize(
    ("olds", "news", "changes"),
    [
        (flow("code", "a"), flow("code", "a"), False),
        (flow("code", "a"), flow("code", "b"), True),  # a rotated secret
        (flow("idToken"), flow("code", "a"), True),
        (flow("idToken"), flow("idToken"), False),
        # A secret set on an implicit-flow config in the console is drift.
        (flow("idToken", "x"), flow("idToken"), True),
        ({**flow("code", "a"), "responseType": "unset"}, flow("code", "a"), True),
    ],
)
def test_flow_diff(olds: dict[str, Any], news: dict[str, Any], changes: bool):
    assert flow_diff(olds, news).changes is changes


@pytest.mark.parametrize(
    ("olds", "news", "changes"),
    [
        (flow("idToken", PLACEHOLDER), flow("idToken"), False),
        # CI's preview: the unread secret keeps the deployed input (ignore_changes), which
        # in the copy is the placeholder too.
        (flow("code", PLACEHOLDER), flow("code", PLACEHOLDER), False),
        (flow("code", PLACEHOLDER), flow("code", "a"), False),  # not compared
        # What is not secret still counts.
        (flow("code", PLACEHOLDER), flow("idToken"), True),
        (flow("idToken", PLACEHOLDER), flow("code", "a"), True),
    ],
)
def test_a_placeholder_old_secret_is_not_compared(olds, news, changes: bool):
    """A preview's copy of the state (engine/backend/snapshot.py) holds a placeholder where
    each secret output was, so the old value is unknown: the diff does not compare it
    (review 22-24, A5: an implicit-flow provider previewed as changed on every pull
    request). Why not answer "unknown" (`changes=None`): the engine then diffs the old
    inputs with the new (pulumi pkg/resource/deploy/step_generator.go `diffResource`), and
    the copy's old `__provider` input, a secret, is a placeholder too: always a change."""
    assert flow_diff(olds, news).changes is changes


def test_another_config_is_a_replacement():
    assert flow_diff(flow("code", "a"), {**flow("code", "a"), "idpId": "oidc.b"}).replaces == [
        "idpId"
    ]


def test_read_reports_the_live_flow_and_a_gone_config_as_gone(api: FakeApi):
    provider = OidcFlowProvider()
    provider.create(flow("code", "s3cr3t"))
    api.configs["oidc.okta"]["responseType"] = {"code": False, "idToken": True}
    assert provider.read("id", flow("code", "s3cr3t")).outs["responseType"] == "idToken"
    del api.configs["oidc.okta"]
    assert provider.read("id", flow("code", "s3cr3t")).id == ""


def test_delete_goes_back_to_the_implicit_flow_unless_the_config_is_gone(api: FakeApi):
    provider = OidcFlowProvider()
    provider.create(flow("code", "s3cr3t"))
    provider.delete("id", flow("code", "s3cr3t"))
    assert api.patches[-1][1] == {"responseType": {"code": False, "idToken": True}}
    del api.configs["oidc.okta"]
    provider.delete("id", flow("code", "s3cr3t"))
    assert len(api.patches) == 2


@pytest.mark.parametrize(
    ("error", "warned"),
    [
        (IdentityToolkitError(404, "NOT_FOUND", "CONFIGURATION_NOT_FOUND"), False),
        (IdentityToolkitError(400, "INVALID_ARGUMENT", "refused"), True),
        (TransientError("PATCH: connection reset"), True),
    ],
)
def test_delete_never_blocks_the_configs_deletion(
    api: FakeApi,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    error: Exception,
    warned: bool,
):
    """The config and its tenant are deleted right after: a refused reset is a warning
    (review 22-24, finding 7)."""

    def refuse(*_args: Any) -> Any:
        raise error

    monkeypatch.setattr(api, "patch_oauth_idp_config", refuse)
    OidcFlowProvider().delete("id", flow("code", "s3cr3t"))
    err = capsys.readouterr().err
    assert ("warning:" in err and "oidc.okta" in err) is warned, err
    assert "s3cr3t" not in err
