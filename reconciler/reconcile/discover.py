"""Which live tenants have no manifest yet, and what each one's manifest would be.

Listing the project (Identity Toolkit v2 `projects.tenants.list`, then per tenant the three
IdP config lists) is the only read; `discover` decides, as a pure function of what it is
given, which tenants to write and why others are left out:

- one that a manifest already names (`spec.adopt.tenantId`, or the same display name) or a
  deployed stack recorded (its display name): already in git;
- one whose display name another live tenant shares: the fleet's rule is one tenant per
  display name, so rename one of them first (the console) and run again.

The Firebase Auth emulator (the sandbox) answers 501 to IdP config lists: there, and only
there, a tenant is written with the providers it can see (none), and the run says so.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from reconciler.manifests.model import Tenant
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
class Discovered:
    """What `adopt --write-manifests` found."""

    manifests: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Tenant name -> manifest document, for tenants with none yet."""
    skipped: tuple[str, ...] = ()
    """One line per live tenant left out, and why."""
    notes: tuple[str, ...] = ()


def discover(
    live: Sequence[Mapping[str, Any]],
    idps: Mapping[str, Sequence[LiveIdp]],
    known: Sequence[Tenant],
    deployed_display_names: Iterable[str],
    owner: str,
) -> Discovered:
    """The manifests to write for `live` tenants (with their `idps` by tenant id)."""
    adopted = {t.adopt.tenant_id for t in known if t.adopt and t.adopt.tenant_id}
    displayed = {t.display_name for t in known} | set(deployed_display_names)
    shared = Counter(str(t.get("displayName", "")) for t in live)
    taken = {t.name for t in known}
    manifests: dict[str, dict[str, Any]] = {}
    skipped = []
    for tenant in sorted(live, key=lambda t: (str(t.get("displayName")), tenant_id(t))):
        key, display = tenant_id(tenant), str(tenant.get("displayName", ""))
        if key in adopted or display in displayed:
            skipped.append(f"{key} ({display}): already in tenants/ or deployed")
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
