"""`gcp:identityplatform/tenant:Tenant`, kept in the Firebase Auth emulator.

The emulator assigns tenant ids; the resource id is `projects/{project}/tenants/{tenantId}`
and the `name` output is the bare tenant id, as pulumi-gcp's Tenant.name is. Updates PATCH
with an updateMask of exactly the changed fields. Deleting a tenant also deletes the IdP
configs stored under it (the emulator cannot hold those, see `idpconfigs`).
"""

from __future__ import annotations

from typing import Any

from sandbox.provider import validation
from sandbox.provider.resource import (
    Cloud,
    Failure,
    Field,
    ProviderError,
    ResourceKind,
    deletion_allowed,
    known_str,
)
from sandbox.provider.values import UNKNOWN, same

_FLAGS = ("allowPasswordSignup", "enableEmailLinkSignin", "disableAuth")
_PERMISSIONS = ("disabledUserSignup", "disabledUserDeletion")


def tenant_path(project: str, tenant_id: str) -> str:
    """The tenant's resource name, also the parent of its IdP configs."""
    return f"projects/{project}/tenants/{tenant_id}"


def parse_tenant_id(resource_id: str, default_project: str | None) -> tuple[str, str]:
    """(project, tenant id) from `projects/P/tenants/T`, `P/T` or `T` (the import forms)."""
    parts = resource_id.split("/")
    if len(parts) == 4 and parts[0] == "projects" and parts[2] == "tenants":
        return parts[1], parts[3]
    if len(parts) == 2:
        return parts[0], parts[1]
    if len(parts) == 1 and default_project:
        return default_project, parts[0]
    raise ProviderError(
        f"cannot parse tenant id {resource_id!r}: expected projects/PROJECT/tenants/ID"
    )


class Tenant(ResourceKind):
    token = "gcp:identityplatform/tenant:Tenant"
    fields = (
        Field("displayName", required=True),
        Field("allowPasswordSignup"),
        Field("enableEmailLinkSignin"),
        Field("disableAuth"),
        Field("client"),
        Field("deletionPolicy"),
        Field("project", replaces=True, computed=True),
    )

    def api_validate(self, inputs: dict[str, Any]) -> list[Failure]:
        # display_name has no ValidateFunc: Identity Platform refuses it on create/update.
        name = known_str(inputs, "displayName")
        if name is not None and (why := validation.tenant_display_name(name)):
            return [Failure("displayName", why)]
        return []

    def validate(self, inputs: dict[str, Any]) -> list[Failure]:
        failures = []
        client = inputs.get("client")
        if isinstance(client, dict):
            failures += _unsupported_keys("client", client, ("permissions",))
            permissions = client.get("permissions")
            if isinstance(permissions, dict):
                failures += _unsupported_keys("client.permissions", permissions, _PERMISSIONS)
        return failures

    def preview(self, cloud: Cloud, inputs: dict[str, Any]) -> dict[str, Any]:
        planned = {key: inputs.get(key) for key in ("displayName", *_FLAGS, "client")}
        return {
            **planned,
            "name": UNKNOWN,
            "project": inputs["project"],
            "deletionPolicy": inputs["deletionPolicy"],
        }

    def create(self, cloud: Cloud, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        toolkit = cloud.identity_toolkit
        project = inputs["project"]
        body: dict[str, Any] = {
            key: inputs[key] for key in ("displayName", *_FLAGS) if inputs.get(key) is not None
        }
        client = _client_body(inputs.get("client"))
        if client is not None:
            body["client"] = client
        created = toolkit.create_tenant(project, body)
        tenant_id = created["tenantId"]
        if client is not None and created.get("client") is None:
            # The emulator ignores `client` on create; the same PATCH the API takes stores it.
            mask = [f"client.permissions.{key}" for key in _PERMISSIONS]
            created = toolkit.patch_tenant(project, tenant_id, {"client": client}, mask)
        return tenant_path(project, tenant_id), _outputs(created, project, inputs["deletionPolicy"])

    def read(self, cloud: Cloud, resource_id: str, state: dict[str, Any]) -> dict[str, Any] | None:
        project, tenant_id = parse_tenant_id(
            resource_id, state.get("project") or cloud.config.project
        )
        found = cloud.identity_toolkit.find_tenant(project, tenant_id)
        if found is None:
            return None
        return _outputs(found, project, state.get("deletionPolicy", "DELETE"))

    def update(
        self, cloud: Cloud, resource_id: str, olds: dict[str, Any], news: dict[str, Any]
    ) -> dict[str, Any]:
        toolkit = cloud.identity_toolkit
        project, tenant_id = parse_tenant_id(resource_id, news.get("project"))
        current = toolkit.find_tenant(project, tenant_id)
        if current is None:
            raise ProviderError(f"Error 404: tenant {resource_id} not found (run `pulumi refresh`)")
        body, mask = _patch(olds, news)
        if mask:
            current = toolkit.patch_tenant(project, tenant_id, body, mask)
        return _outputs(current, project, news["deletionPolicy"])

    def delete(self, cloud: Cloud, resource_id: str, state: dict[str, Any]) -> None:
        if not deletion_allowed(self, resource_id, state):
            return
        toolkit = cloud.identity_toolkit
        project, tenant_id = parse_tenant_id(resource_id, state.get("project"))
        # Already gone counts as deleted (the API's 404); the check also keeps the
        # emulator from creating the tenant just to delete it.
        if toolkit.find_tenant(project, tenant_id) is not None:
            toolkit.delete_tenant(project, tenant_id)
        cloud.store.delete_children(tenant_path(project, tenant_id))


def _client_body(client: Any) -> dict[str, Any] | None:
    if not isinstance(client, dict):
        return None
    permissions = client.get("permissions") or {}
    return {"permissions": {key: bool(permissions.get(key)) for key in _PERMISSIONS}}


def _patch(olds: dict[str, Any], news: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The PATCH body and updateMask for what changed (absent booleans are sent as false)."""
    body: dict[str, Any] = {}
    mask: list[str] = []
    if not same(olds.get("displayName"), news.get("displayName")):
        body["displayName"] = news.get("displayName")
        mask.append("displayName")
    for key in _FLAGS:
        if not same(olds.get(key), news.get(key)):
            body[key] = bool(news.get(key))
            mask.append(key)
    old_permissions = (olds.get("client") or {}).get("permissions") or {}
    new_permissions = (news.get("client") or {}).get("permissions") or {}
    for key in _PERMISSIONS:
        if not same(old_permissions.get(key), new_permissions.get(key)):
            body.setdefault("client", {"permissions": {}})["permissions"][key] = bool(
                new_permissions.get(key)
            )
            mask.append(f"client.permissions.{key}")
    return body, mask


def _outputs(tenant: dict[str, Any], project: str, deletion_policy: str) -> dict[str, Any]:
    """pulumi-gcp's Tenant outputs from the API's Tenant document."""
    client = tenant.get("client")
    permissions = client.get("permissions") if isinstance(client, dict) else None
    return {
        "displayName": tenant.get("displayName"),
        **{key: bool(tenant.get(key, False)) for key in _FLAGS},
        "client": None
        if permissions is None
        else {"permissions": {key: bool(permissions.get(key, False)) for key in _PERMISSIONS}},
        "name": tenant["tenantId"],
        "project": project,
        "deletionPolicy": deletion_policy,
    }


def _unsupported_keys(path: str, value: dict[str, Any], allowed: tuple[str, ...]) -> list[Failure]:
    return [
        Failure(f"{path}.{key}", f"the sandbox does not emulate {path}.{key}")
        for key in sorted(value)
        if key not in allowed
    ]
