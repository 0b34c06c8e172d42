"""Which properties of a dynamic resource changed, for the report.

A Pulumi dynamic provider answers a diff with "changed" or "not changed" only: the Python
shim's `Diff` (`pulumi/dynamic/__main__.py`) sends no `diffs`, so the engine's events name
no property. The tenant's sign-in settings are one dynamic resource with a top-level property
per setting (`reconciler/program/tenant_settings.py`), so the step's old and new states say
which setting a run changes, or a refresh found changed outside git.

- a refresh (drift): the outputs before and after reading the cloud;
- a preview or update: the outputs deployed and the inputs the program declares.

Secret values arrive masked, so a changed secret (a test phone code) shows only when the
property holding it changes otherwise too; the resource is reported changed either way.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

DYNAMIC_PREFIX = "pulumi-python:dynamic/"
_INTERNAL = frozenset({"__provider"})


def changed_properties(meta: Any, refresh: bool) -> tuple[str, ...]:
    """Top-level properties that differ between a dynamic resource's old and new state
    (empty for other resources, whose providers name their own)."""
    if not str(getattr(meta, "type", "")).startswith(DYNAMIC_PREFIX):
        return ()
    old, new = getattr(meta, "old", None), getattr(meta, "new", None)
    if old is None or new is None:
        return ()
    before: Mapping[str, Any] = old.outputs or {}
    after: Mapping[str, Any] = (new.outputs if refresh else new.inputs) or {}
    keys = (set(before) | set(after)) - _INTERNAL
    return tuple(sorted(key for key in keys if before.get(key) != after.get(key)))
