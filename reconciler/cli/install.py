"""What is installed: the package's version, the Pulumi versions it pins, the `deploy` extra.

The core install validates only; plan, preview, apply, drift, outputs, adopt, unlock and
platform need the `deploy` extra (Pulumi and pulumi-gcp), and say so by name when it is
missing.
"""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Sequence
from importlib import metadata

from reconciler import DISTRIBUTION

DEPLOY_EXTRA = "deploy"
ENGINE_COMMANDS = frozenset(
    {"plan", "preview", "apply", "drift", "outputs", "adopt", "unlock", "platform", "rollout"}
)
"""Subcommands that need the `deploy` extra (Pulumi, pulumi-gcp)."""
ENGINE_MODULES = ("pulumi", "pulumi_gcp")
_PIN = re.compile(r"^(pulumi(?:-gcp)?)\s*==\s*([^\s;]+)")


def pinned_versions(requirements: Sequence[str]) -> dict[str, str]:
    """`{"pulumi": "3.260.0", ...}` from the distribution's requirement strings."""
    found = {}
    for requirement in requirements:
        match = _PIN.match(requirement)
        if match:
            found[match.group(1)] = match.group(2)
    return found


def version_text() -> str:
    """`reconciler --version`: the package, and the Pulumi versions it is pinned to."""
    try:
        own = metadata.version(DISTRIBUTION)
        pins = pinned_versions(metadata.requires(DISTRIBUTION) or [])
    except metadata.PackageNotFoundError:  # run from a checkout that was never installed
        own, pins = "unknown (not installed)", {}
    lines = [f"reconciler ({DISTRIBUTION}) {own}"]
    for name in ("pulumi", "pulumi-gcp"):
        try:
            installed = f"installed {metadata.version(name)}"
        except metadata.PackageNotFoundError:
            installed = f"not installed: pip install '{DISTRIBUTION}[{DEPLOY_EXTRA}]'"
        lines.append(f"{name} {pins.get(name, '?')} (pinned; {installed})")
    return "\n".join(lines)


def missing_extra(command: str) -> str | None:
    """The message for an engine command on a core install, or None when it can run."""
    if command not in ENGINE_COMMANDS:
        return None
    absent = [name for name in ENGINE_MODULES if importlib.util.find_spec(name) is None]
    if not absent:
        return None
    return (
        f"reconciler {command} needs the Pulumi engine ({', '.join(absent)} not installed); "
        f"the core install only validates. Install the '{DEPLOY_EXTRA}' extra: "
        f"pip install '{DISTRIBUTION}[{DEPLOY_EXTRA}]' "
        f"(or: uv tool install '{DISTRIBUTION}[{DEPLOY_EXTRA}]')"
    )


def from_the_deploy_extra(error: Exception) -> bool:
    root = (getattr(error, "name", None) or "").split(".")[0]
    return isinstance(error, ModuleNotFoundError) and root in (*ENGINE_MODULES, "google")


def missing_extra_for_module(command: str, module: str) -> str:
    return (
        f"reconciler {command} needs {module}, which the core install leaves out. Install the "
        f"'{DEPLOY_EXTRA}' extra: pip install '{DISTRIBUTION}[{DEPLOY_EXTRA}]'"
    )
