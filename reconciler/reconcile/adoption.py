"""Adoption's decisions, pure and tested by tables: which existing tenant a manifest names,
what would differ, what to move, rename or import, and what a preview must not show.

`adopt.py` runs them against the engine port and the Identity Toolkit (the order of
operations, and why, is its docstring).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from reconciler import names
from reconciler.engine.port import StateResource
from reconciler.manifests.model import DefaultIdp, OidcIdp, SamlIdp, Tenant
from reconciler.reconcile import adopt_signin as signin
from reconciler.report.results import ResourceStep

TENANT_TYPE = "gcp:identityplatform/tenant:Tenant"
IDP_TYPES = {
    DefaultIdp: "gcp:identityplatform/tenantDefaultSupportedIdpConfig:"
    "TenantDefaultSupportedIdpConfig",
    OidcIdp: "gcp:identityplatform/tenantOauthIdpConfig:TenantOauthIdpConfig",
    SamlIdp: "gcp:identityplatform/tenantInboundSamlConfig:TenantInboundSamlConfig",
}
_IDP_COLLECTIONS = {
    DefaultIdp: "defaultSupportedIdpConfigs",
    OidcIdp: "oauthIdpConfigs",
    SamlIdp: "inboundSamlConfigs",
}
ADOPTED_TYPES = frozenset({TENANT_TYPE, *IDP_TYPES.values()})
"""What adoption brings in and must never create: a new one would not hold the users."""
STATE_ONLY_FIELDS = frozenset({"deletionPolicy"})
"""Inputs the provider keeps in state only (pulumi-gcp's virtual `deletion_policy`): an
update of these alone sends nothing to the API (terraform-provider-google-beta,
services/identityplatform/resource_identity_platform_tenant.go, `deletion_policy`)."""


class AdoptError(Exception):
    """Adoption of one tenant refused; the message says what differs and what to write."""


@dataclass(frozen=True)
class LiveTenant:
    """An existing Identity Platform tenant, as the API (or a stack's state) has it."""

    id: str
    display_name: str
    settings: Mapping[str, Any]
    """Manifest path under `spec` (e.g. `auth.allowPasswordSignup`) -> live value."""


_FLAG_PATHS = {
    "allowPasswordSignup": "auth.allowPasswordSignup",
    "enableEmailLinkSignin": "auth.enableEmailLinkSignin",
    "disableAuth": "auth.disableAuth",
}
_PERMISSION_PATHS = {
    "disabledUserSignup": "auth.clientPermissions.disabledUserSignup",
    "disabledUserDeletion": "auth.clientPermissions.disabledUserDeletion",
}


def live_tenant(document: Mapping[str, Any]) -> LiveTenant:
    """A tenant from the Identity Toolkit's Tenant document (absent booleans are false)."""
    tenant_id = str(document.get("tenantId") or str(document.get("name", "")).rsplit("/", 1)[-1])
    settings: dict[str, Any] = {
        path: bool(document.get(key, False)) for key, path in _FLAG_PATHS.items()
    }
    permissions = (document.get("client") or {}).get("permissions") or {}
    settings.update(
        {path: bool(permissions.get(k, False)) for k, path in _PERMISSION_PATHS.items()}
    )
    settings.update(signin.live_settings(document))  # the sign-in settings (adopt_signin.py)
    return LiveTenant(tenant_id, str(document.get("displayName", "")), settings)


def desired_settings(tenant: Tenant) -> dict[str, Any]:
    """The same paths as `LiveTenant.settings`, from the manifest (the ones it owns)."""
    auth = tenant.auth
    permissions = auth.client_permissions
    return {
        "auth.allowPasswordSignup": auth.allow_password_signup,
        "auth.enableEmailLinkSignin": auth.enable_email_link_signin,
        "auth.disableAuth": auth.disable_auth,
        "auth.clientPermissions.disabledUserSignup": permissions.disabled_user_signup,
        "auth.clientPermissions.disabledUserDeletion": permissions.disabled_user_deletion,
        **signin.desired_sign_in(tenant),
    }


def resolve(tenant: Tenant, candidates: Sequence[LiveTenant], where: str) -> LiveTenant:
    """The one existing tenant the manifest names: by `spec.adopt.tenantId`, else by
    display name, which must match exactly one of `candidates`."""
    source = tenant.source.as_posix() if tenant.source.parts else f"tenants/{tenant.name}.yaml"
    wanted = tenant.adopt.tenant_id if tenant.adopt else None
    if wanted:
        for live in candidates:
            if live.id == wanted:
                return live
        raise AdoptError(
            f"{source}: spec.adopt.tenantId {wanted!r}: no such tenant in {where}; "
            "check the id (the last part of projects/P/tenants/ID)"
        )
    named = [live for live in candidates if live.display_name == tenant.display_name]
    if not named:
        raise AdoptError(
            f"{source}: no tenant in {where} has the display name {tenant.display_name!r}; "
            "set spec.displayName to the existing tenant's, or name it with spec.adopt.tenantId"
        )
    if len(named) > 1:
        ids = ", ".join(sorted(live.id for live in named))
        raise AdoptError(
            f"{source}: {len(named)} tenants in {where} have the display name "
            f"{tenant.display_name!r} ({ids}); say which one with spec.adopt.tenantId"
        )
    return named[0]


def _yaml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        import json

        return json.dumps(value, sort_keys=True)
    return str(value)


def differences(tenant: Tenant, live: LiveTenant) -> list[str]:
    """What the manifest would change on the live tenant, each with the line to write."""
    found = []
    if live.display_name != tenant.display_name:
        found.append(
            f"spec.displayName: the tenant has {live.display_name!r}, the manifest says "
            f"{tenant.display_name!r}; write `displayName: {live.display_name}`"
        )
    desired = desired_settings(tenant)
    for path, value in live.settings.items():
        if path not in desired or desired[path] == value:
            continue  # not the manifest's (a setting left as it is), or the same
        parent, _, key = f"spec.{path}".rpartition(".")
        hint = (
            signin.what_to_write(tenant, path, value)
            if signin.is_sign_in_path(path)
            else f"write `{key}: {_yaml(value)}` under {parent}"
        )
        found.append(
            f"spec.{path}: the tenant has {_yaml(value)}, the manifest says "
            f"{_yaml(desired.get(path))}; {hint}"
        )
    return found


def _state_idp_key(resource: StateResource) -> str:
    outputs = resource.outputs
    value = outputs.get("idpId") or str(outputs.get("name", "")).rsplit("/", 1)[-1]
    return str(value)


def belongs(resource: StateResource, tenant_id: str) -> bool:
    if resource.type == TENANT_TYPE:
        return str(resource.outputs.get("name")) == tenant_id
    return resource.type in IDP_TYPES.values() and str(resource.outputs.get("tenant")) == tenant_id


def program_name(tenant: Tenant, resource: StateResource) -> str:
    """The tenant program's logical name for an adopted resource."""
    if resource.type == TENANT_TYPE:
        return names.identity_tenant_name(tenant.name)
    return names.idp_name(tenant.name, _state_idp_key(resource))


def check_idps(tenant: Tenant, held: Sequence[StateResource]) -> list[str]:
    """The IdP configs in state must be the manifest's: neither more nor fewer."""
    in_state = {_state_idp_key(r) for r in held if r.type in IDP_TYPES.values()}
    in_manifest = {idp.id for idp in tenant.identity_providers}
    found = [
        f"spec.identityProviders: the tenant has identity provider {key!r}, the manifest "
        f"does not; add `- id: {key}` with its clientId and clientSecret"
        for key in sorted(in_state - in_manifest)
    ]
    found += [
        f"spec.identityProviders: the manifest lists {key!r}, the tenant has no such "
        "provider; remove it for the adoption and add it back afterwards (apply creates it)"
        for key in sorted(in_manifest - in_state)
    ]
    return found


def migration_moves(
    tenant_id: str, source: Sequence[StateResource], dest: Sequence[StateResource]
) -> tuple[str, ...]:
    """URNs of the tenant's resources still in the source stack (and not yet moved)."""
    moved = {r.id for r in dest}
    return tuple(r.urn for r in source if belongs(r, tenant_id) and r.id not in moved)


def renames(
    tenant: Tenant, tenant_id: str, dest: Sequence[StateResource]
) -> tuple[tuple[str, str], ...]:
    """(URN, program name) for the tenant's resources in its stack under another name."""
    return tuple(
        (r.urn, program_name(tenant, r))
        for r in dest
        if belongs(r, tenant_id) and r.name != program_name(tenant, r)
    )


def import_ids(
    tenant: Tenant, project: str, tenant_id: str, dest: Sequence[StateResource]
) -> dict[str, str]:
    """Logical name -> import id (pulumi-gcp's import formats, e.g.
    `projects/{project}/tenants/{name}`) of the tenant and the manifest's IdP configs,
    except what the stack already holds (a re-run after an interruption)."""
    held = {r.id for r in dest}
    parent = f"projects/{project}/tenants/{tenant_id}"
    wanted = {names.identity_tenant_name(tenant.name): parent}
    for idp in tenant.identity_providers:
        collection = _IDP_COLLECTIONS[type(idp)]
        wanted[names.idp_name(tenant.name, idp.id)] = f"{parent}/{collection}/{idp.id}"
    return {name: resource_id for name, resource_id in wanted.items() if resource_id not in held}


def refusals(steps: Sequence[ResourceStep]) -> list[str]:
    """Why the preview after moving or importing is not a pure adoption (empty: it is)."""
    found = []
    for step in steps:
        if step.op in ("same", "read", "refresh"):
            continue
        if step.is_replace or step.op == "delete":
            keys = ", ".join(step.replace_keys or step.diffs) or "-"
            found.append(f"{step.name} would be {step.op}d (changed: {keys})")
        elif step.op == "update" and set(step.diffs) - STATE_ONLY_FIELDS:
            keys = ", ".join(sorted(set(step.diffs) - STATE_ONLY_FIELDS))
            found.append(
                f"{step.name} would be updated ({keys}): make the manifest say what "
                "the cloud has (a clientSecret must hold the live secret)"
            )
        elif step.op == "import" and set(step.diffs) - STATE_ONLY_FIELDS:
            keys = ", ".join(sorted(set(step.diffs) - STATE_ONLY_FIELDS))
            found.append(
                f"{step.name} differs from the cloud ({keys}): make the manifest say "
                "what the cloud has (a clientSecret must hold the live secret)"
            )
        elif step.op == "create" and step.type in ADOPTED_TYPES:
            found.append(f"{step.name} would be created: it is not part of the existing tenant")
    return found
