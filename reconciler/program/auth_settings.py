"""A tenant's multi-factor sign-in settings: a Pulumi dynamic resource bound to the tenant.

pulumi-gcp 10.2's `identityplatform.Tenant` has no `mfaConfig`, so this resource manages it
through the Identity Toolkit v2 API itself (`projects.tenants.patch` with an update mask of
exactly the `mfaConfig` fields, so nothing pulumi-gcp owns is touched). It is a Python
dynamic provider (`pulumi.dynamic`), which works unchanged with the real pulumi-gcp plugin
in production and with the sandbox's stand-in: see docs/mfa.md for why.

- create / update: PATCH the desired `mfaConfig`; the outputs are what the API answered.
- read (refresh, drift): GET the tenant; a change made outside git shows as changed outputs.
- delete: PATCH back to the API's defaults (MFA disabled, no second factor); a tenant that
  is already gone needs nothing.
- changing `project` or `tenant` replaces the resource; anything else updates in place.

The pure half (`desired_mfa_config`, `normalized`, `settings_diff`) is what the tests pin; the
provider half runs in the process the engine starts through the `pulumi-resource-pulumi-python`
shim, which unpickles `MfaSettingsProvider` by reference to this module — keep the class
stateless and its module importable, or existing stacks cannot load it.
"""

from __future__ import annotations

import threading
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

from reconciler.manifests.model import Mfa

TYPE_NAME = "pulumi-python:dynamic/identityplatform:TenantMfaConfig"
"""The resource type the engine records (dynamic types live under `pulumi-python`)."""
PHONE_SMS = "PHONE_SMS"
TOTP = "TOTP"
UPDATE_MASK = ["mfaConfig.state", "mfaConfig.enabledProviders", "mfaConfig.providerConfigs"]
"""Leaf paths: AIP-134 replaces a masked repeated field, so stale factors never linger."""
DEFAULT_MFA_CONFIG: dict[str, Any] = {
    "state": "DISABLED",
    "enabledProviders": [],
    "providerConfigs": [],
}
"""What a new tenant has (the emulator's createTenant defaults) and what delete restores."""
_REPLACE_ON = ("project", "tenant")
_PICKLING = threading.Lock()
"""Serialises `pulumi.dynamic`'s provider pickling, which swaps `pickle.Pickler` globally."""


def desired_mfa_config(mfa: Mfa) -> dict[str, Any]:
    """The API's `mfaConfig` for the manifest's `auth.mfa`.

    SMS goes in `enabledProviders`; TOTP in `providerConfigs` (the API reference: that list
    "does not support phone based MFA"). A listed factor is ENABLED; whether a second
    factor is optional or required is the top-level state.
    """
    providers = [PHONE_SMS] if PHONE_SMS in mfa.factors else []
    configs = []
    if TOTP in mfa.factors:
        configs.append(
            {
                "state": "ENABLED",
                "totpProviderConfig": {"adjacentIntervals": mfa.totp_adjacent_intervals},
            }
        )
    return {"state": mfa.state, "enabledProviders": providers, "providerConfigs": configs}


def normalized(config: Any) -> dict[str, Any]:
    """`mfaConfig` in one canonical form, so the API's omissions never look like drift.

    The API leaves out empty lists and default values (an unset state reads as absent or
    STATE_UNSPECIFIED, which means DISABLED); providers are a set, sorted here.
    """
    config = config if isinstance(config, dict) else {}
    state = config.get("state") or "DISABLED"
    providers = sorted({str(p) for p in config.get("enabledProviders") or []})
    configs = []
    for item in config.get("providerConfigs") or []:
        totp = item.get("totpProviderConfig")
        if totp is None:
            continue
        configs.append(
            {
                "state": item.get("state") or "DISABLED",
                "totpProviderConfig": {"adjacentIntervals": int(totp.get("adjacentIntervals", 0))},
            }
        )
    return {
        "state": "DISABLED" if state == "STATE_UNSPECIFIED" else state,
        "enabledProviders": providers,
        "providerConfigs": configs,
    }


def settings_diff(olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
    """What an update would do: replace on another tenant, else update `mfaConfig` in place."""
    replaces = [key for key in _REPLACE_ON if olds.get(key) != news.get(key)]
    changed = normalized(olds.get("mfaConfig")) != normalized(news.get("mfaConfig"))
    return DiffResult(
        changes=bool(replaces) or changed,
        replaces=replaces,
        delete_before_replace=False,
    )


def resource_id(project: str, tenant: str) -> str:
    return f"projects/{project}/tenants/{tenant}/mfaConfig"


class MfaSettingsProvider(ResourceProvider):
    """CRUD for one tenant's `mfaConfig`; stateless (it is pickled into the stack)."""

    def create(self, props: dict[str, Any]) -> CreateResult:
        outs = _apply(props, normalized(props.get("mfaConfig")))
        return CreateResult(id_=resource_id(props["project"], props["tenant"]), outs=outs)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        return settings_diff(olds, news)

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult(outs=_apply(news, normalized(news.get("mfaConfig"))))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        from reconciler.gcp.identitytoolkit import TenantApi

        live = TenantApi.from_environment().find_tenant(props["project"], props["tenant"])
        if live is None:
            # The tenant is gone, and its settings with it: an empty id tells the engine so.
            return ReadResult(id_="", outs={})
        outs = _outputs(props, live)
        return ReadResult(id_=id_, outs=outs)

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        from reconciler.gcp.identitytoolkit import TenantApi

        api = TenantApi.from_environment()
        if api.find_tenant(props["project"], props["tenant"]) is None:
            return
        api.patch_tenant(
            props["project"], props["tenant"], {"mfaConfig": DEFAULT_MFA_CONFIG}, UPDATE_MASK
        )


def _apply(props: dict[str, Any], config: dict[str, Any]) -> dict[str, Any]:
    from reconciler.gcp.identitytoolkit import TenantApi

    answer = TenantApi.from_environment().patch_tenant(
        props["project"], props["tenant"], {"mfaConfig": config}, UPDATE_MASK
    )
    return _outputs(props, answer)


def _outputs(props: dict[str, Any], tenant: dict[str, Any]) -> dict[str, Any]:
    """The resource's outputs: where it is, and the tenant's `mfaConfig` as the API has it."""
    return {
        "project": props["project"],
        "tenant": props["tenant"],
        "mfaConfig": normalized(tenant.get("mfaConfig")),
    }


class TenantMfaConfig(Resource, module="identityplatform", name="TenantMfaConfig"):
    """The `mfaConfig` of one Identity Platform tenant (output `mfaConfig`, as the API has it)."""

    def __init__(
        self,
        name: str,
        project: str,
        tenant: pulumi.Input[str],
        mfa: Mfa,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props = {
            "project": project,
            "tenant": tenant,
            "mfaConfig": desired_mfa_config(mfa),
        }
        # The reconciler runs several tenants' programs in threads of one process, and
        # the SDK pickles the provider by patching the `pickle` module and putting it back:
        # two at once could leave it patched, or patch the immutable C Pickler and fail.
        with _PICKLING:
            super().__init__(MfaSettingsProvider(), name, props, opts)
