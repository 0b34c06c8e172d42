"""Adoption across the fleet: an identity tenant is held by one stack at most (L3).

Validation refuses two manifests naming one `spec.adopt.tenantId`; this refuses adopting
an identity tenant that another deployed stack already holds (a tenant whose manifest is
gone but whose protected stack stays, say): two stacks would both manage it, and
destroying either would delete it. Which stack holds which identity tenant is read from
the stacks' state: the tenant resource's `name` output is its id.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from reconciler.engine.backend.snapshot import read_checkpoint
from reconciler.engine.backend.state import BULK_SCHEMES, Bucket, open_bucket
from reconciler.engine.port import StateResource

TENANT_TYPE = "gcp:identityplatform/tenant:Tenant"


def held_by_resources(
    stacks: Iterable[str], resources: Callable[[str], Sequence[StateResource]]
) -> dict[str, str]:
    """identity tenant id -> the stack holding it, through the engine (a read per stack)."""
    held: dict[str, str] = {}
    for stack in stacks:
        for resource in resources(stack):
            if resource.type == TENANT_TYPE and resource.outputs.get("name"):
                held.setdefault(str(resource.outputs["name"]), stack)
    return held


def held_by_checkpoints(bucket: Bucket, project: str, stacks: Iterable[str]) -> dict[str, str]:
    """The same from the backend's checkpoints, read directly (no CLI process per stack)."""
    held: dict[str, str] = {}
    for stack in stacks:
        checkpoint = read_checkpoint(bucket, project, stack) or {}
        latest: Mapping[str, Any] = (checkpoint.get("checkpoint") or {}).get("latest") or {}
        for resource in latest.get("resources") or []:
            outputs = resource.get("outputs") or {}
            if resource.get("type") == TENANT_TYPE and isinstance(outputs.get("name"), str):
                held.setdefault(outputs["name"], stack)
    return held


class Holders:
    """identity tenant id -> stack, read once and only when an adoption gets that far."""

    def __init__(
        self,
        stacks: Iterable[str],
        resources: Callable[[str], Sequence[StateResource]],
        known: Mapping[str, str] | None = None,
    ) -> None:
        self._stacks, self._resources, self._known = list(stacks), resources, known

    def __call__(self) -> Mapping[str, str]:
        if self._known is None:
            self._known = held_by_resources(self._stacks, self._resources)
        return self._known


def held_in_backend(
    backend_url: str, project: str, stacks: Iterable[str], storage_emulator: str | None = None
) -> dict[str, str] | None:
    """`held_by_checkpoints` for a backend read directly; None for another (the engine reads).
    `storage_emulator`: a local Cloud Storage's URL for a `gs://` backend."""
    if not backend_url.startswith(BULK_SCHEMES):
        return None
    return held_by_checkpoints(open_bucket(backend_url, storage_emulator), project, stacks)


def taken(tenant_id: str, stack: str, holder: str | None) -> str:
    """Why `stack` may not adopt `tenant_id` ("" when it may)."""
    if holder is None or holder == stack:
        return ""
    return (
        f"identity tenant {tenant_id} is already held by stack {holder}: two stacks would both "
        f"manage it, and destroying either would delete it. If {holder} is an old tenant's, "
        "move it with `reconciler adopt --from-stack` or decommission that stack first"
    )
