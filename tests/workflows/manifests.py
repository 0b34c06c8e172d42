"""Tenant manifests the scenarios commit (valid, invalid, decommissioned)."""

from __future__ import annotations


def tenant(
    name: str,
    *,
    protected: bool | None = None,
    decommission: bool = False,
    labels: dict[str, str] | None = None,
) -> str:
    """A small valid tenant: no identity-provider secret, so it needs no repository secret."""
    lines = [
        "apiVersion: mlaas.dev/v1",
        "kind: Tenant",
        "metadata:",
        f"  name: {name}",
        f"  owner: ml@{name}.example.com",
    ]
    if labels:
        lines += ["  labels:", *(f"    {k}: {v}" for k, v in sorted(labels.items()))]
    lines += [
        "spec:",
        f"  displayName: {name.title()}",
        "  storage:",
        "    location: EU",
        "  access:",
        "    admins:",
        f"      - user:admin@{name}.example.com",
    ]
    if protected is not None:
        lines.append(f"  deletionProtection: {str(protected).lower()}")
    if decommission:
        lines.append("  decommission: true")
    return "\n".join(lines) + "\n"
