"""Which live tenants have no manifest yet, and what each one's manifest would be.

Listing the project (Identity Toolkit v2 `projects.tenants.list`, then per tenant the three
IdP config lists) is the only read; `discover` decides, as a pure function of what it is
given, which tenants to write and why others are left out:

- one that a deployed stack holds: its Identity Platform Tenant resource in the stack's
  state has that tenant id (`held_tenants`). A tenant renamed in the console is still its
  stack's; by display name alone it would get a second manifest adopting it into a second
  stack, and deleting that duplicate later would destroy the real tenant;
- one that a manifest already names (`spec.adopt.tenantId`, or the same display name), or
  whose display name a deployed stack recorded: writing it would give two manifests one
  display name;
- one whose display name another live tenant shares: the fleet's rule is one tenant per
  display name, so rename one of them first (the console) and run again.

The Firebase Auth emulator (the sandbox) answers 501 to IdP config lists: there, and only
there, a tenant is written with the providers it can see (none), and the run says so.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from reconciler.engine.backend.state import DeployedStack
from reconciler.engine.port import Engine
from reconciler.manifests.model import Tenant
from reconciler.reconcile.adoption import TENANT_TYPE
from reconciler.reconcile.manifest_writer import (
    COLLECTIONS,
    LiveIdp,
    manifest_document,
    tenant_id,
    tenant_name,
)


class LiveDirectory(Protocol):
    """The reads (`reconciler.gcp.identitytoolkit.TenantApi` is one)."""

    def list_tenants(self, project: str) -> list[dict[str, Any]]: ...

    def list_idp_configs(
        self, project: str, tenant_id: str, collection: str
    ) -> list[dict[str, Any]]: ...


@dataclass(frozen=True)
class HeldTenant:
    """What one deployed stack holds of an identity tenant."""

    stack: str
    tenant_id: str | None
    """The id of the Tenant resource in its state; None when it holds none."""
    display_name: str | None
    """The display name the reconciler recorded at the stack's last apply."""


def held_tenants(engine: Engine, stacks: Mapping[str, DeployedStack]) -> list[HeldTenant]:
    """For each deployed stack (name -> `DeployedStack`), the tenant its state holds.

    Reads each stack's state (`Engine.stack_resources`, one `pulumi stack export` a stack):
    the Tenant resource is there from the moment it was created, also after a failed first
    apply that never reached the stack's `tenantId` output. Raises EngineError when a state
    cannot be read: without it no live tenant can be said to be unheld."""
    held = []
    for name, stack in sorted(stacks.items()):
        ids = [
            str(r.outputs.get("name"))
            for r in engine.stack_resources(name)
            if r.type == TENANT_TYPE and r.outputs.get("name")
        ]
        display = stack.record.display_name
        held += [HeldTenant(name, i, display) for i in ids] or [HeldTenant(name, None, display)]
    return held


@dataclass(frozen=True)
class Discovered:
    """What `adopt --write-manifests` found."""

    manifests: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Tenant name -> manifest document, for tenants with none yet."""
    skipped: tuple[str, ...] = ()
    """One line per live tenant left out, and why."""
    notes: tuple[str, ...] = ()


def _why_known(
    key: str, display: str, known: Sequence[Tenant], held: Sequence[HeldTenant]
) -> str | None:
    """Why a live tenant is git's already, or None."""
    for item in held:
        if item.tenant_id == key:
            return f"stack {item.stack} holds it"
    for tenant in known:
        if (tenant.adopt and tenant.adopt.tenant_id == key) or tenant.display_name == display:
            return "a manifest in tenants/ names it"
    for item in held:
        if item.display_name == display:
            return f"stack {item.stack} recorded this display name"
    return None


def discover(
    live: Sequence[Mapping[str, Any]],
    idps: Mapping[str, Sequence[LiveIdp]],
    known: Sequence[Tenant],
    held: Sequence[HeldTenant],
    owner: str,
) -> Discovered:
    """The manifests to write for `live` tenants (with their `idps` by tenant id)."""
    shared = Counter(str(t.get("displayName", "")) for t in live)
    taken = {t.name for t in known} | {item.stack for item in held}
    manifests: dict[str, dict[str, Any]] = {}
    skipped = []
    for tenant in sorted(live, key=lambda t: (str(t.get("displayName")), tenant_id(t))):
        key, display = tenant_id(tenant), str(tenant.get("displayName", ""))
        why = _why_known(key, display, known, held)
        if why:
            skipped.append(f"{key} ({display}): {why}")
            continue
        if shared[display] > 1:
            skipped.append(
                f"{key} ({display}): {shared[display]} tenants have this display name; "
                "give each its own in the console, then run again"
            )
            continue
        name = tenant_name(display, taken)
        if name is None:
            skipped.append(f"{key} ({display}): no free tenant name derives from it")
            continue
        taken.add(name)
        manifests[name] = manifest_document(tenant, idps.get(key, ()), name, owner)
    return Discovered(manifests, tuple(skipped))


def read_live(
    directory: LiveDirectory, project: str, emulator: bool
) -> tuple[list[dict[str, Any]], dict[str, list[LiveIdp]], list[str]]:
    """Every tenant of `project` and its IdP configs; notes for what could not be read."""
    from reconciler.gcp.identitytoolkit import IdentityToolkitError

    tenants = directory.list_tenants(project)
    idps: dict[str, list[LiveIdp]] = {}
    notes: list[str] = []
    for tenant in tenants:
        found: list[LiveIdp] = []
        for collection in COLLECTIONS:
            try:
                configs = directory.list_idp_configs(project, tenant_id(tenant), collection)
            except IdentityToolkitError as error:
                if not (emulator and error.status == 501):
                    raise
                notes.append(
                    f"the emulator does not serve {collection}: manifests list no such provider"
                )
                continue
            found += [LiveIdp(collection, config) for config in configs]
        idps[tenant_id(tenant)] = found
    return tenants, idps, sorted(set(notes))
