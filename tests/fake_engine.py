"""An in-memory `Engine` for the tests of act and commands: no Pulumi process, no cloud.

It holds stacks (with their records and outputs) and locks, records every call, and can be
scripted per tenant to fail, to stay locked for a number of tries (or for good), to cancel
the run mid-operation, or to plan replacements. It counts how many operations run at once,
so tests can check act's parallelism bound.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from reconciler.engine.backend.pending import PendingOperation
from reconciler.engine.backend.records import StackRecord
from reconciler.engine.backend.state import DeployedStack
from reconciler.engine.port import (
    Cancelled,
    DataLossRefused,
    NotStarted,
    PermanentError,
    Program,
    StackLocked,
    StateResource,
    StepListener,
    TemporaryError,
)
from reconciler.report.results import ResourceStep, StackRun

ENGINE_RUNS = (
    "preview",
    "up",
    "release",
    "drift",
    "destroy",
    "preview_decommission",
    "preview_destroy",
)
"""Operations that run the deployment engine (counted in `operations`)."""


@dataclass
class FakeStack:
    record: StackRecord | None = None
    outputs: dict[str, Any] = field(default_factory=dict)
    locked: bool = False
    """Held by another run for good: every engine run raises StackLocked."""
    released: tuple[ResourceStep, ...] = ()
    """What the last `release` lifted protection from."""


@dataclass
class Script:
    """How one tenant's operations behave."""

    fail: dict[str, str] = field(default_factory=dict)
    """Operation -> message of a PermanentError it raises."""
    temporary: dict[str, int] = field(default_factory=dict)
    """Operation -> how many TemporaryErrors it raises before it works."""
    locked_for: int = 0
    """How many engine runs meet a lock before it is released."""
    cancel_on: str | None = None
    """This operation cancels the whole run and then ends as Cancelled."""
    during: Callable[[], None] | None = None
    """Called inside every engine run of this tenant (e.g. to send a signal)."""
    steps: tuple[ResourceStep, ...] = ()
    """What preview and up report (e.g. a planned replacement)."""
    drifted: tuple[ResourceStep, ...] = ()
    """What a drift check finds."""
    delay: float = 0.0
    """Seconds each engine run takes."""
    holds_data: bool = False
    """The bucket holds objects: destroy refuses unless released (force_destroy)."""
    outputs: dict[str, Any] = field(default_factory=dict)
    """Extra stack outputs an up reports (e.g. `secretVersions`)."""


class FakeEngine:
    """The `Engine` protocol in memory; thread-safe like the real one."""

    def __init__(self, stacks: dict[str, StackRecord] | None = None) -> None:
        self.stacks: dict[str, FakeStack] = {
            name: FakeStack(record) for name, record in (stacks or {}).items()
        }
        self.scripts: dict[str, Script] = {}
        self.calls: list[tuple[str, str]] = []
        self.records: list[tuple[str, StackRecord]] = []
        self.cancel_requests: list[bool] = []
        self.up_exists: list[tuple[str, bool]] = []
        """Each `up`'s tenant and whether act said its stack exists."""
        self.snapshots: list[tuple[str, str, bool]] = []
        """Each preview's operation, tenant and `snapshot` (a copy of the state, or in place)."""
        self.operations = 0
        self.attempts = 0
        self.running = 0
        self.most_running = 0
        self._cancel = threading.Event()
        self._lock = threading.Lock()
        self.listener: StepListener | None = None
        self.state: dict[str, list[StateResource]] = {}
        """Stack (a tenant, or PROJECT/STACK) -> the resources its state holds."""
        self.pending: dict[str, tuple[PendingOperation, ...]] = {}
        """Stack -> the operations a killed run left pending in it."""
        self.recoveries: list[tuple[str, dict[str, str]]] = []
        """Each `recover_pending`'s tenant and imports."""

    # --- scripting and inspection -------------------------------------------------------

    def script(self, tenant: str, **behaviour: Any) -> Script:
        self.scripts[tenant] = Script(**behaviour)
        return self.scripts[tenant]

    def calls_for(self, tenant: str) -> list[str]:
        return [op for op, name in self.calls if name == tenant]

    def records_for(self, tenant: str) -> list[StackRecord]:
        return [record for name, record in self.records if name == tenant]

    # --- the protocol -------------------------------------------------------------------

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def cancel(self, interrupt_running: bool = True) -> None:
        self.cancel_requests.append(interrupt_running)
        self._cancel.set()

    def listen(self, listener: StepListener | None) -> None:
        self.listener = listener

    def list_deployed(self) -> dict[str, DeployedStack]:
        self._call("list_deployed", "")
        return {
            name: DeployedStack(
                name, stack.record or StackRecord(None, None, True), locked=stack.locked
            )
            for name, stack in sorted(self.stacks.items())
        }

    def preview(
        self, tenant: str, program: Program, exists: bool, snapshot: bool = False
    ) -> StackRun:
        with self._lock:
            self.snapshots.append(("preview", tenant, snapshot))
        script = self._run("preview", tenant)
        return StackRun(steps=script.steps)

    def up(
        self, tenant: str, program: Program, refresh: bool = False, exists: bool = True
    ) -> StackRun:
        with self._lock:
            self.up_exists.append((tenant, exists))
        try:
            script = self._run("up", tenant)
        except PermanentError:
            # Like the real engine: the stack is created (selected) before the update fails.
            with self._lock:
                self.stacks.setdefault(tenant, FakeStack())
            raise
        with self._lock:
            stack = self.stacks.setdefault(tenant, FakeStack())
            stack.outputs = {"tenantId": f"{tenant}-id", "clientSecret": "[secret]"}
            stack.outputs.update(script.outputs)
        return StackRun(steps=script.steps, outputs=dict(stack.outputs))

    def release(self, tenant: str, program: Program, resources: Sequence[ResourceStep]) -> StackRun:
        self._run("release", tenant, needs_stack=True)
        with self._lock:
            self.stacks[tenant].released = tuple(resources)
        return StackRun()

    def unlock(self, tenant: str) -> None:
        self._call("unlock", tenant)
        with self._lock:
            self._stack(tenant).locked = False

    def drift(self, tenant: str) -> StackRun:
        script = self._run("drift", tenant, needs_stack=True)
        return StackRun(steps=script.drifted)

    def destroy(self, tenant: str) -> StackRun:
        self._run("destroy", tenant, needs_stack=True)
        script = self.scripts.get(tenant, Script())
        if script.holds_data and not self.stacks[tenant].released:
            raise DataLossRefused(
                f"Error trying to delete bucket {tenant}-data containing objects without "
                "`force_destroy` set to true"
            )
        with self._lock:
            del self.stacks[tenant]
        return StackRun(steps=(ResourceStep("delete", "gcp:storage/bucket:Bucket", "data"),))

    def preview_decommission(
        self, tenant: str, program: Program, snapshot: bool = False
    ) -> StackRun:
        with self._lock:
            self.snapshots.append(("preview_decommission", tenant, snapshot))
        self._run("preview_decommission", tenant, needs_stack=True)
        return StackRun(steps=(ResourceStep("delete", "gcp:storage/bucket:Bucket", "data"),))

    def preview_destroy(self, tenant: str, snapshot: bool = False) -> StackRun:
        with self._lock:
            self.snapshots.append(("preview_destroy", tenant, snapshot))
        self._run("preview_destroy", tenant, needs_stack=True)
        return StackRun(steps=(ResourceStep("delete", "gcp:storage/bucket:Bucket", "data"),))

    def outputs(self, tenant: str) -> dict[str, Any]:
        self._call("outputs", tenant)
        return dict(self._stack(tenant).outputs)

    def record(self, tenant: str, record: StackRecord) -> None:
        # Like the real engine: allowed after a cancel, so an interrupted stack is marked.
        self._call("record", tenant)
        script = self.scripts.get(tenant, Script())
        if "record" in script.fail:
            raise PermanentError(script.fail["record"])
        with self._lock:
            self._stack(tenant).record = record
            self.records.append((tenant, record))

    def pending_operations(self, tenant: str) -> tuple[PendingOperation, ...]:
        return self.pending.get(tenant, ())

    def recover_pending(self, tenant: str, imports: Mapping[str, str]) -> tuple[str, ...]:
        """Like `pulumi refresh`: every pending operation resolved; an import is kept when
        the stack's `state` holds its URN (a test's stand-in for "the object exists")."""
        self._call("recover_pending", tenant)
        with self._lock:
            self.operations += 1
            self.attempts += 1
            self.recoveries.append((tenant, dict(imports)))
            self.pending.pop(tenant, None)
            return tuple(r.urn for r in self.state.get(tenant, ()))

    def stack_resources(self, stack: str) -> tuple[StateResource, ...]:
        self._call("stack_resources", stack)
        if stack not in self.state and stack not in self.stacks:
            raise PermanentError("the stack does not exist in the backend")
        return tuple(self.state.get(stack, ()))

    def move_resources(self, source: str, dest: str, urns: tuple[str, ...]) -> None:
        self._call("move_resources", dest)
        with self._lock:
            self.stacks.setdefault(dest, FakeStack())
            moving = [r for r in self.state.get(source, []) if r.urn in urns]
            if len(moving) != len(urns):
                raise PermanentError("no such resource in the source stack")
            self.state[source] = [r for r in self.state[source] if r.urn not in urns]
            self.state.setdefault(dest, []).extend(
                replace(r, urn=r.urn.replace(f"urn:pulumi:{source}::", f"urn:pulumi:{dest}::"))
                for r in moving
            )

    def rename_resource(self, stack: str, urn: str, new_name: str) -> None:
        self._call("rename_resource", stack)
        with self._lock:
            self.state[stack] = [
                replace(r, urn=f"{r.urn.rsplit('::', 1)[0]}::{new_name}", name=new_name)
                if r.urn == urn
                else r
                for r in self.state[stack]
            ]

    # --- internals ----------------------------------------------------------------------

    def _call(self, op: str, tenant: str) -> None:
        with self._lock:
            self.calls.append((op, tenant))

    def _stack(self, tenant: str) -> FakeStack:
        stack = self.stacks.get(tenant)
        if stack is None:
            raise PermanentError("the stack does not exist in the backend")
        return stack

    def _run(self, op: str, tenant: str, needs_stack: bool = False) -> Script:
        if self.cancelled:
            raise NotStarted("not started: the run was cancelled")
        self._call(op, tenant)
        script = self.scripts.get(tenant, Script())
        with self._lock:
            self.attempts += 1
            self.operations += 1
            self.running += 1
            self.most_running = max(self.most_running, self.running)
        try:
            # Like the real engine: steps are told as they happen, before the run returns.
            listener = self.listener
            reported = script.drifted if op == "drift" else script.steps
            for step in reported if listener is not None else ():
                listener(tenant, step)  # type: ignore[misc]
            if script.delay:
                time.sleep(script.delay)
            if script.during is not None:
                script.during()
            self._misbehave(op, tenant, script)
            if needs_stack:
                self._stack(tenant)
            return script
        finally:
            with self._lock:
                self.running -= 1

    def _misbehave(self, op: str, tenant: str, script: Script) -> None:
        stack = self.stacks.get(tenant)
        with self._lock:
            if (stack is not None and stack.locked) or script.locked_for > 0:
                script.locked_for = max(0, script.locked_for - 1)
                # Like the real engine: a try refused by a lock is an attempt, not an operation.
                self.operations -= 1
                raise StackLocked("the stack is locked by another run", delay=1.0)
            if script.temporary.get(op, 0) > 0:
                script.temporary[op] -= 1
                raise TemporaryError(f"{op}: the service is busy", delay=1.0)
        if script.cancel_on == op:
            self.cancel()
            raise Cancelled("cancelled on request; the stack was left unlocked")
        if op in script.fail:
            raise PermanentError(script.fail[op])
