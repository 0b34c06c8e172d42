"""An OIDC provider's flow (response type and client secret): a Pulumi dynamic resource.

pulumi-gcp 10.2's `identityplatform.TenantOauthIdpConfig` has no `responseType` (magic-modules
`mmv1/products/identityplatform/TenantOauthIdpConfig.yaml` lists name, tenant, displayName,
enabled, issuer, clientId, clientSecret; only the project-level `OauthIdpConfig.yaml` gained
`responseType` in PR #13690), so a tenant's OIDC provider cannot be switched to the code flow
through it. The Identity Toolkit v2 API can: `projects.tenants.oauthIdpConfigs.patch` takes
`responseType {code, idToken}` and `clientSecret` ("to enable OIDC code flow") on tenant
configs as on project ones (REST reference, projects.tenants.oauthIdpConfigs; the discovery
document's `GoogleCloudIdentitytoolkitAdminV2OAuthResponseType`: "You can set either
`id_token` or `code` to true, but not both"). firebase-admin-node's `updateOAuthIdpConfig`
sends that same PATCH for tenants (`TenantAwareAuthRequestHandler`).

So this resource is the one place that sends a provider's flow: one PATCH with the mask
`responseType.code,responseType.idToken,clientSecret`, the response type and its secret
together (the code flow needs the secret, firebase-admin-node `OIDCConfig.validate`:
MISSING_OAUTH_CLIENT_SECRET; the implicit flow carries none, so the secret is cleared).
pulumi-gcp's config is created without a client secret and told to ignore it
(`identity.py`); the secret arrives here as a secret input and leaves as a secret output.

- create / update: PATCH the flow; the outputs are what the API answered.
- read: GET the config; gone (the provider was deleted) reads as gone.
- delete: back to the implicit flow (the API's default), best effort (`best_effort.py`):
  a config already gone needs nothing, a refusal is a warning, never a failure.

Runs in the engine's provider process; unpickled by reference to this module (keep
`OidcFlowProvider` stateless and this module importable).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pulumi
from pulumi.dynamic import (
    CreateResult,
    DiffResult,
    ReadResult,
    Resource,
    ResourceProvider,
    UpdateResult,
)

from reconciler.program.best_effort import reset_on_delete
from reconciler.program.pickling import PICKLING
from reconciler.program.secrets import SNAPSHOT_PLACEHOLDER

TYPE_NAME = "pulumi-python:dynamic/identityplatform:TenantOidcFlow"
"""The resource type the engine records."""
CODE, ID_TOKEN, UNSET = "code", "idToken", "unset"
UPDATE_MASK = ["responseType.code", "responseType.idToken", "clientSecret"]
"""The flow's three fields, as firebase-admin-node's `generateUpdateMask` names them."""
_REPLACE_ON = ("project", "tenant", "idpId")


def response_type(config: Mapping[str, Any]) -> str:
    """`code`, `idToken`, or `unset` (neither is true) for a config the API answered."""
    flags = config.get("responseType") or {}
    if flags.get("code"):
        return CODE
    return ID_TOKEN if flags.get("idToken") else UNSET


def request(props: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The PATCH body and mask for `props`' flow: the secret only with the code flow (a
    masked field absent from the body is cleared, AIP-134)."""
    code = props.get("responseType") == CODE
    body: dict[str, Any] = {"responseType": {"code": code, "idToken": not code}}
    if code:
        body["clientSecret"] = str(props.get("clientSecret") or "")
    return body, list(UPDATE_MASK)


def outputs(props: Mapping[str, Any], config: Mapping[str, Any]) -> dict[str, Any]:
    """Where the config is, and its flow as the API has it (the secret: a secret output)."""
    return {
        "project": props["project"],
        "tenant": props["tenant"],
        "idpId": props["idpId"],
        "responseType": response_type(config),
        "clientSecret": str(config.get("clientSecret") or ""),
    }


def flow_diff(olds: Mapping[str, Any], news: Mapping[str, Any]) -> DiffResult:
    """Replace for another config; update when the flow or (code flow) its secret differs.

    `olds` are the old outputs (pulumi `runtime/proto/provider_pb2.pyi` DiffRequest). In the
    copy of the state CI's preview runs on, the secret among them is a placeholder
    (`SNAPSHOT_PLACEHOLDER`): its deployed value is unknown, so it is not compared. Answering
    "unknown" (`changes=None`) instead would not do: the engine then diffs old inputs with
    new (pulumi pkg/resource/deploy/step_generator.go `diffResource`), and the copy's old
    `__provider` input, a secret, is a placeholder too."""
    replaces = [key for key in _REPLACE_ON if olds.get(key) != news.get(key)]
    wanted = news.get("responseType")
    old_secret = olds.get("clientSecret")
    known = old_secret != SNAPSHOT_PLACEHOLDER
    changed = olds.get("responseType") != wanted or (
        wanted == CODE and known and old_secret != news.get("clientSecret")
    )
    # An implicit-flow config must hold no secret (one set in the console is drift).
    changed = changed or (wanted != CODE and known and bool(old_secret))
    return DiffResult(
        changes=bool(replaces) or changed, replaces=replaces, delete_before_replace=False
    )


def _api() -> Any:
    from reconciler.gcp.identitytoolkit import TenantApi

    return TenantApi.from_environment()


class OidcFlowProvider(ResourceProvider):
    """The flow of one tenant OIDC config; stateless (it is pickled into the stack)."""

    def create(self, props: dict[str, Any]) -> CreateResult:
        path = f"projects/{props['project']}/tenants/{props['tenant']}"
        return CreateResult(id_=f"{path}/oauthIdpConfigs/{props['idpId']}/flow", outs=_apply(props))

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        return flow_diff(olds, news)

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult(outs=_apply(news))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        config = _find(props)
        if config is None:
            return ReadResult(id_="", outs={})
        return ReadResult(id_=id_, outs=outputs(props, config))

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        # Best effort: the config (or its tenant) is usually deleted next (best_effort.py).
        where = f"projects/{props['project']}/tenants/{props['tenant']}"
        what = f"the flow of OIDC config {props['idpId']} of {where}"
        reset_on_delete(what, lambda: _reset(props))


def _reset(props: Mapping[str, Any]) -> None:
    if _find(props) is None:
        return
    body, mask = request({**props, "responseType": ID_TOKEN})
    _api().patch_oauth_idp_config(props["project"], props["tenant"], props["idpId"], body, mask)


def _find(props: Mapping[str, Any]) -> dict[str, Any] | None:
    api = _api()
    # The emulator creates a tenant its GET misses: ask for the config only under a tenant
    # that exists.
    if api.find_tenant(props["project"], props["tenant"]) is None:
        return None
    found: dict[str, Any] | None = api.find_oauth_idp_config(
        props["project"], props["tenant"], props["idpId"]
    )
    return found


def _apply(props: Mapping[str, Any]) -> dict[str, Any]:
    body, mask = request(props)
    answer = _api().patch_oauth_idp_config(
        props["project"], props["tenant"], props["idpId"], body, mask
    )
    return outputs(props, answer)


class TenantOidcFlow(Resource, module="identityplatform", name="TenantOidcFlow"):
    """The response type (and, for the code flow, the client secret) of one OIDC config."""

    def __init__(
        self,
        name: str,
        args: Mapping[str, Any],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """`args`: project, tenant, idpId, responseType (`code` or `idToken`) and
        clientSecret (a secret Output for the code flow, else "")."""
        props = {key: args[key] for key in ("project", "tenant", "idpId", "responseType")}
        props["clientSecret"] = args.get("clientSecret") or ""
        secret_outputs = pulumi.ResourceOptions(additional_secret_outputs=["clientSecret"])
        with PICKLING:  # see pickling.py
            super().__init__(
                OidcFlowProvider(), name, props, pulumi.ResourceOptions.merge(opts, secret_outputs)
            )
