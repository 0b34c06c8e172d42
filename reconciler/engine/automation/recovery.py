"""Interrupted operations, read and resolved: the adapter's half of `reconcile/pending.py`.

Reading: a stack's `pending_operations` straight from a DIY backend's checkpoint (no CLI
process, so an ordinary apply costs no more: `tests/e2e/test_process_count.py`), else
from `pulumi stack export`.

Resolving. Pulumi's flag for this, `pulumi refresh --import-pending-creates URN ID`
(pulumi/pulumi pkg/cmd/pulumi/operations/refresh.go, `pendingCreatesToImports`), only
retypes the pending create as `importing` and sets its id; with the pinned CLI (3.260) and a
DIY backend the refresh that follows then drops that operation without reading the object,
so nothing is adopted (tried by hand on the state `tests/e2e/test_fleet_locks.py` leaves;
the SDK's `Stack.refresh` has no keyword for the flag either, pulumi/automation/_stack.py).
So the same edit is made on the exported deployment, which is what Pulumi's own recovery
guide does by hand ("Interrupted updates": `pulumi stack export`, edit, `pulumi stack
import`): each pending create to import becomes a resource in state with that id, the
other pending creates are dropped, the rest is left for the refresh. Then one plain
`pulumi refresh` reads every resource: an adopted one whose object exists gets its outputs,
one that does not exist is removed from state (a refresh drops what the provider cannot
read), and the pending updates, deletes and reads are cleared (pulumi/pulumi#8435).

A live run's operations are pending too, while they run. So nothing is resolved while a run
holds the stack's lock (`checkpoint_locked`: the caller waits, as for any locked stack), and
the edited deployment is imported only if a second export just before it still matches
the first (`pulumi stack import` takes the lock itself, diy/backend.go `ImportDeployment`,
so a run starting after that check makes the import fail instead of being overwritten).
On a backend the bulk reader cannot list (s3://, azblob://, Pulumi Cloud) there is no lock
pre-check, by design: `checkpoint_locked` says False, so a live run's pending create may be
reported as interrupted, and what keeps a live run's checkpoint from being overwritten is the
compare before the import plus the lock `pulumi stack import` takes itself (DIY backends,
as above; not verified for Pulumi Cloud). Reading the pending operations there also costs
one `pulumi stack export` per existing stack per apply.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from reconciler.engine.automation.state_ops import export_args, import_args
from reconciler.engine.backend.errors import BackendError
from reconciler.engine.backend.pending import CREATING, PendingOperation, read_pending
from reconciler.engine.backend.state import BULK_SCHEMES, open_bucket
from reconciler.engine.port import EngineSettings, StackLocked


def checkpoint_pending(settings: EngineSettings, stack: str) -> tuple[PendingOperation, ...] | None:
    """The stack's pending operations read from the backend itself; None: ask the CLI."""
    if not settings.backend_url.startswith(BULK_SCHEMES):
        return None
    try:
        bucket = open_bucket(settings.backend_url, settings.storage_emulator)
        return read_pending(bucket, settings.pulumi_project, stack)
    except (BackendError, OSError, ValueError):
        return None  # unreadable here (e.g. no access from this reader): the CLI decides


def checkpoint_locked(settings: EngineSettings, stack: str) -> bool:
    """Whether a run holds the stack's lock now (as the bulk reader sees locks: any file in
    its lock folder, `state.read_deployed`); False when the backend cannot be listed here."""
    if not settings.backend_url.startswith(BULK_SCHEMES):
        return False
    prefix = f".pulumi/locks/organization/{settings.pulumi_project}/{stack}/"
    try:
        bucket = open_bucket(settings.backend_url, settings.storage_emulator)
        return any(not key.endswith(".attrs") for key in bucket.list(prefix))
    except (BackendError, OSError):
        return False


def adopt_pending(deployment: Mapping[str, Any], imports: Mapping[str, str]) -> dict[str, Any]:
    """The deployment with each pending create in `imports` (URN -> id) made a resource with
    that id, every other pending create dropped, other pending operations kept."""
    kept, adopted = [], []
    for entry in deployment.get("pending_operations") or []:
        resource = entry.get("resource") or {}
        if entry.get("type") != CREATING:
            kept.append(entry)
        elif resource.get("urn") in imports:
            # Appended last: everything it depends on was in state before its create began.
            adopted.append({**resource, "id": imports[resource["urn"]]})
    resources = [*(deployment.get("resources") or []), *adopted]
    return {**deployment, "resources": resources, "pending_operations": kept}


def state_urns(deployment: Mapping[str, Any]) -> tuple[str, ...]:
    return tuple(str(r.get("urn", "")) for r in deployment.get("resources") or [])


def recover(
    run: Callable[[list[str]], str],
    stack: str,
    project: str,
    imports: Mapping[str, str],
    refresh: Callable[[], object],
) -> tuple[str, ...]:
    """Export, adopt or drop the pending creates, import (if nothing changed meanwhile),
    refresh (`refresh`); the URNs in state afterwards. `run`: one CLI state command, its
    stdout (`state_ops.run_state_command`).

    Not the SDK's `Stack.export_stack`/`import_stack`: the first runs `stack export
    --show-secrets`, the second writes that deployment to a temporary file it removes only
    when the import succeeds (pulumi/automation/_local_workspace.py). Here every secret stays
    the ciphertext the checkpoint holds, and the file lives in a private folder (0700)
    removed whatever the import does (`tests/reconciler/engine/test_automation_recovery.py`).
    """
    exported = run(export_args(stack, project))
    document = json.loads(exported)
    edited = adopt_pending(document.get("deployment") or {}, imports)
    if run(export_args(stack, project)) != exported:
        raise StackLocked("the stack changed while its recovery was prepared", delay=2.0)
    with tempfile.TemporaryDirectory(prefix="reconciler-recovery-") as folder:
        # mkdtemp makes the folder 0700: no other user can read or swap the file.
        path = Path(folder) / "deployment.json"
        path.write_text(json.dumps({**document, "deployment": edited}))
        run(import_args(stack, project, path))
    refresh()
    held = json.loads(run(export_args(stack, project))).get("deployment") or {}
    return state_urns(held)
