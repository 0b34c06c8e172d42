"""The difference between two resource graphs of one tenant: pure, table-tested.

Resources are matched by type and logical name, as the engine matches them by URN: a
resource only in the head is created, one only in the base deleted. A matched resource
whose inputs differ is updated, or replaced when a changed input is one of its type's
force-new inputs (`reconciler.impact.contract`), one its `replaceOnChanges` option names,
or its parent (the URN changes). Secret inputs compare by digest and show as "changed",
never with a value.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from reconciler.impact import contract
from reconciler.impact.graph import OPTIONS, Resource, TenantGraph, is_secret

CREATE, DELETE, UPDATE, REPLACE = "create", "delete", "update", "replace"
CHANGED, UNCHANGED, ADDED, REMOVED, FAILED = "changed", "unchanged", "added", "removed", "failed"
"""A tenant's state in the impact: added/removed are tenants only one side declares."""

STATEFUL_TYPES = frozenset({"gcp:identityplatform/tenant:Tenant", "gcp:storage/bucket:Bucket"})
"""Replacing or deleting these loses users or data (as `reconciler.report.results`)."""

MAX_DETAILS = 12
"""Changed paths kept per resource; more are counted, not listed."""

ReplaceFields = Callable[[str, Iterable[str], Iterable[str]], tuple[str, ...]]


@dataclass(frozen=True)
class FieldChange:
    """One changed input (a dotted path to a leaf, or a list as a whole)."""

    path: str
    before: Any = None
    """The base's value; None when absent or secret."""
    after: Any = None
    secret: bool = False
    """The value is secret: only the fact that it changed is kept."""


@dataclass(frozen=True)
class ResourceChange:
    """What the head's code would do to one resource of one tenant."""

    op: str
    type: str
    name: str
    fields: tuple[str, ...] = ()
    """Top-level inputs that changed (updates and replaces)."""
    options: tuple[str, ...] = ()
    """Resource options that changed (`protect`, `parent`, OPTIONS)."""
    replace_fields: tuple[str, ...] = ()
    """What forces the replacement (inputs, or `parent`)."""
    details: tuple[FieldChange, ...] = ()
    more: int = 0
    """Changed paths beyond MAX_DETAILS."""

    @property
    def loses_state(self) -> bool:
        return self.type in STATEFUL_TYPES and self.op in (DELETE, REPLACE)

    @property
    def signature(self) -> tuple[str, str, tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
        """What the change is, without which resource: tenants with equal ones group."""
        return (self.op, self.type, self.fields, self.options, self.replace_fields)


@dataclass(frozen=True)
class TenantImpact:
    """One tenant's part of the impact."""

    tenant: str
    state: str
    changes: tuple[ResourceChange, ...] = ()
    error: str = ""
    """Why a side's program failed for this tenant (state FAILED)."""

    def signature(self) -> tuple[Any, ...]:
        """The tenant's whole change, resource names left out (see `summary.groups`)."""
        if self.state == FAILED:
            return (FAILED, self.error)
        return (self.state, tuple(sorted(c.signature for c in self.changes)))


def _leaves(before: Any, after: Any, path: str) -> list[FieldChange]:
    """Every changed leaf under `path`: objects are walked, lists and values compared."""
    if before == after:
        return []
    if is_secret(before) or is_secret(after):
        return [FieldChange(path, secret=True)]
    if isinstance(before, Mapping) and isinstance(after, Mapping):
        found: list[FieldChange] = []
        for key in sorted({*before, *after}):
            found += _leaves(before.get(key), after.get(key), f"{path}.{key}")
        return found
    return [FieldChange(path, before, after)]


def _options(base: Resource, head: Resource) -> tuple[str, ...]:
    changed = [name for name in OPTIONS if base.options.get(name) != head.options.get(name)]
    if base.protect != head.protect:
        changed.append("protect")
    if base.parent != head.parent:
        changed.append("parent")
    return tuple(sorted(changed))


def compare(
    base: Resource, head: Resource, replace_fields: ReplaceFields = contract.replace_fields
) -> ResourceChange | None:
    """How `base` becomes `head` (the same type and name), or None when nothing changed."""
    details: list[FieldChange] = []
    fields = []
    for key in sorted({*base.inputs, *head.inputs}):
        found = _leaves(base.inputs.get(key), head.inputs.get(key), key)
        if found:
            fields.append(key)
            details += found
    options = _options(base, head)
    if not fields and not options:
        return None
    also = head.options.get("replaceOnChanges") or ()
    forcing = replace_fields(head.type, fields, [str(f) for f in also])
    # A new parent is a new URN: the engine deletes the old resource and creates this one.
    forcing = tuple(sorted({*forcing, *(["parent"] if "parent" in options else [])}))
    return ResourceChange(
        op=REPLACE if forcing else UPDATE,
        type=head.type,
        name=head.name,
        fields=tuple(fields),
        options=options,
        replace_fields=forcing,
        details=tuple(details[:MAX_DETAILS]),
        more=max(0, len(details) - MAX_DETAILS),
    )


def diff_tenant(
    tenant: str,
    base: TenantGraph | None,
    head: TenantGraph | None,
    replace_fields: ReplaceFields = contract.replace_fields,
) -> TenantImpact:
    """One tenant's impact: `base`/`head` None when that side has no such tenant."""
    for side, graph in (("base", base), ("head", head)):
        if graph is not None and graph.error is not None:
            return TenantImpact(tenant, FAILED, error=f"the {side} code: {graph.error}")
    before = dict(base.resources) if base is not None else {}
    after = head.resources if head is not None else {}
    # An aliased resource is the base resource it names, moved: matched, not recreated.
    for key, resource in after.items():
        moved = [a for a in resource.aliases if a in before and a not in after]
        if key not in before and moved:
            before[key] = before.pop(moved[0])
    changes: list[ResourceChange] = []
    for key in sorted({*before, *after}):
        old, new = before.get(key), after.get(key)
        if old is None and new is not None:
            changes.append(ResourceChange(CREATE, new.type, new.name))
        elif new is None and old is not None:
            changes.append(ResourceChange(DELETE, old.type, old.name))
        elif old is not None and new is not None:
            change = compare(old, new, replace_fields)
            if change is not None:
                changes.append(change)
    if base is None:
        state = ADDED
    elif head is None:
        state = REMOVED
    else:
        state = CHANGED if changes else UNCHANGED
    return TenantImpact(tenant, state, tuple(changes))


def diff_fleet(
    base: Mapping[str, TenantGraph],
    head: Mapping[str, TenantGraph],
    replace_fields: ReplaceFields = contract.replace_fields,
) -> tuple[TenantImpact, ...]:
    """Every tenant of either side, by name."""
    return tuple(
        diff_tenant(name, base.get(name), head.get(name), replace_fields)
        for name in sorted({*base, *head})
    )
