"""Interrupted operations: the `pending_operations` a stack's checkpoint holds.

The engine writes a resource operation into the checkpoint before it asks the provider and
takes it out when the answer comes (pulumi/pulumi pkg/backend/snapshot.go,
`markOperationPending` / `markOperationComplete`). A run killed in between (SIGKILL, a CI
timeout) leaves it there: `creating`, `updating`, `deleting`, `reading` or `importing`
(sdk/go/common/apitype/core.go, `OperationType`), each with the resource's URN, type and
inputs. A later `up` warns and goes on, and re-creates a pending create's resource, which
fails with 409 when the interrupted create had reached the cloud.

Read here from a `pulumi stack export` (`deployment.pending_operations`) or, with no CLI
process, straight from a DIY backend's checkpoint (`.pulumi/stacks/PROJECT/STACK.json[.gz]`,
`checkpoint.latest.pending_operations`).
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from reconciler.engine.backend.state import Bucket

CREATING = "creating"
"""apitype.OperationTypeCreating: the only kind `pulumi refresh` does not resolve alone."""


@dataclass(frozen=True)
class PendingOperation:
    """One operation a killed run left in a stack's checkpoint."""

    urn: str
    type: str
    """The resource's type token, e.g. `gcp:storage/bucket:Bucket`."""
    operation: str
    """`creating`, `updating`, `deleting`, `reading` or `importing`."""
    inputs: Mapping[str, Any] = field(default_factory=dict)
    """The resource's plain string inputs (secret and structured ones left out)."""

    @property
    def name(self) -> str:
        """The logical name (the URN's last part)."""
        return self.urn.rsplit("::", 1)[-1]


def pending_operations(document: str | bytes) -> tuple[PendingOperation, ...]:
    """The pending operations of a `pulumi stack export` or a DIY checkpoint file."""
    data = json.loads(document) if document else {}
    deployment = data.get("deployment") or (data.get("checkpoint") or {}).get("latest") or {}
    found = []
    for entry in deployment.get("pending_operations") or []:
        resource = entry.get("resource") or {}
        inputs = resource.get("inputs") or {}
        found.append(
            PendingOperation(
                urn=str(resource.get("urn", "")),
                type=str(resource.get("type", "")),
                operation=str(entry.get("type", "")),
                # A secret is an object ({"4dabf18193072939515e22adb298388d": ..., "ciphertext":
                # ...}): only plain strings are kept, which is all an import id is made of.
                inputs={k: v for k, v in inputs.items() if isinstance(v, str)},
            )
        )
    return tuple(found)


def read_pending(bucket: Bucket, project: str, stack: str) -> tuple[PendingOperation, ...] | None:
    """A stack's pending operations from its checkpoint in a DIY backend; () when it has no
    checkpoint, None when this reader cannot read it (a `.json.zst` one: ask the CLI)."""
    prefix = f".pulumi/stacks/{project}/{stack}"
    contents = bucket.read_many([f"{prefix}.json", f"{prefix}.json.gz", f"{prefix}.json.zst"])
    if contents.get(f"{prefix}.json") is not None:
        return pending_operations(contents[f"{prefix}.json"] or b"")
    if (packed := contents.get(f"{prefix}.json.gz")) is not None:
        return pending_operations(gzip.decompress(packed))
    if contents.get(f"{prefix}.json.zst") is not None:
        return None
    return ()
