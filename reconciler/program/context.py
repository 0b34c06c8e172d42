"""What every part of the program needs to know about one tenant, in one frozen object.

No Pulumi import: the planner can ask `deletion_protected` without loading the engine SDK.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from reconciler import names
from reconciler.manifests.model import Tenant
from reconciler.manifests.platform import Platform
from reconciler.program.secrets import ResolvedSecrets

MANAGED_BY = "tenant-gitops"
"""The `managed-by` label on everything this program creates."""


def deletion_protected(tenant: Tenant, platform: Platform) -> bool:
    """Whether the tenant's stateful resources refuse deletion on this run.

    The manifest's `deletionProtection` wins over the platform default; `decommission`
    lifts it, because the decommission flow runs `up` without protection, then `destroy`.
    """
    if tenant.decommission:
        return False
    if tenant.deletion_protection is not None:
        return tenant.deletion_protection
    return platform.default_deletion_protection


@dataclass(frozen=True)
class TenantContext:
    """One tenant's manifest, the platform settings and the tenant's resolved secrets."""

    tenant: Tenant
    """The validated manifest."""
    platform: Platform
    """Settings shared by every tenant."""
    secrets: ResolvedSecrets
    """The tenant's client secrets."""
    imports: Mapping[str, str] = field(default_factory=dict)
    """Logical name -> id of an existing resource to import (`reconciler adopt` only)."""

    def import_id(self, name: str) -> str | None:
        """The id to import the resource `name` from, when adoption names it."""
        return self.imports.get(name)

    def ignored_on_import(self, name: str) -> list[str] | None:
        """`deletionPolicy` lives only in state (an import reads the provider's default), so
        an import ignores it; the `up` that finishes the adoption then sets it."""
        return ["deletionPolicy"] if name in self.imports else None

    @property
    def project(self) -> str:
        """The GCP project holding every resource."""
        return self.platform.gcp_project

    @property
    def protected(self) -> bool:
        """Whether stateful resources are protected (see `deletion_protected`)."""
        return deletion_protected(self.tenant, self.platform)

    @property
    def deletion_policy(self) -> str:
        """The provider's twin of `protected`: `PREVENT` refuses deletion even if unprotected."""
        return "PREVENT" if self.protected else "DELETE"

    def labels(self) -> dict[str, str]:
        """Labels for everything that takes them: the manifest's, then the platform's on top."""
        labels = dict(self.tenant.labels)
        # The platform's own labels win, so a manifest cannot disguise whose resource it is.
        labels.update(
            {
                "tenant": names.label_value(self.tenant.name),
                "owner": names.label_value(self.tenant.owner),
                "managed-by": MANAGED_BY,
            }
        )
        return labels
