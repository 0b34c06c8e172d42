"""The MFA-only dynamic provider that stacks deployed before the sign-in settings resource hold.

`MfaSettingsProvider` is the dynamic provider of the MFA-only resource
(`pulumi-python:dynamic/identityplatform:TenantMfaConfig`) that stacks deployed before the
sign-in settings resource hold. The program no longer declares it: the settings resource
takes its state over by alias on the next apply. Until then a refresh (`reconciler drift`)
of such a stack unpickles this class by reference to this module, so it stays here,
importable and working, with its behaviour:

- create / update: PATCH the desired `mfaConfig`; the outputs are what the API answered.
- read (refresh, drift): GET the tenant; a change made outside git shows as changed outputs.
- delete: PATCH back to the API's defaults (MFA disabled, no second factor); a tenant that
  is already gone needs nothing.
- changing `project` or `tenant` replaces the resource; anything else updates in place.

The `mfaConfig` shape itself (and why MANDATORY is the API's) is in `mfa.py`.
"""

from __future__ import annotations

from typing import Any

from pulumi.dynamic import (
    CreateResult,
    DiffResult,
    ReadResult,
    ResourceProvider,
    UpdateResult,
)

from reconciler.program.mfa import (
    DEFAULT_MFA_CONFIG,
    PHONE_SMS,
    TOTP,
    UPDATE_MASK,
    desired_mfa_config,
    normalized,
)

__all__ = [
    "DEFAULT_MFA_CONFIG",
    "PHONE_SMS",
    "TOTP",
    "UPDATE_MASK",
    "MfaSettingsProvider",
    "desired_mfa_config",
    "normalized",
    "settings_diff",
]

TYPE_NAME = "pulumi-python:dynamic/identityplatform:TenantMfaConfig"
"""The resource type the engine records (dynamic types live under `pulumi-python`)."""
_REPLACE_ON = ("project", "tenant")


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
