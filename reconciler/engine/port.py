"""The engine port: what observe and act need from Pulumi, as a protocol, with no Pulumi import.

`reconciler.engine.automation.AutomationEngine` implements it with the Automation API
(the only package that imports `pulumi.automation`); `tests/fake_engine.py` implements it
in memory for the tests of act. The stages receive an engine and never construct one: the
command line builds it, in one place.

Failures come in two kinds the rest of the reconciler acts on: `PermanentError` (retrying in
this run is useless: act records the failure and moves on) and `TemporaryError` (act retries
it with backoff, within the run's bound; a locked stack is the common case).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from reconciler.engine.backend.pending import PendingOperation
from reconciler.engine.backend.records import StackRecord
from reconciler.engine.backend.state import DeployedStack
from reconciler.report.results import ResourceStep, StackRun

Program = Callable[[], None]
"""A tenant's inline Pulumi program."""

StepListener = Callable[[str, ResourceStep], None]
"""Told `(tenant, step)` for each resource step as the engine reports it (progress lines);
called from the engine's threads, so it must be quick and thread-safe."""


class EngineError(Exception):
    """A stack operation failed; `message` is safe to show (the engine masks secrets)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class PermanentError(EngineError):
    """Retrying in this run would not help (bad input, provider refusal, program error)."""


DEFAULT_RETRY_WAIT = 120.0
"""Seconds to keep retrying a temporary failure such as a locked stack (`--lock-wait`)."""


class TemporaryError(EngineError):
    """Worth retrying after `delay` seconds (act does, with backoff, within a bound)."""

    def __init__(self, message: str, delay: float = 5.0) -> None:
        super().__init__(message)
        self.delay = delay


class StackLocked(TemporaryError):
    """Another run holds the stack's lock; never force-unlocked, only waited for.

    The stack was not touched, so act writes no record for it."""


class DataLossRefused(PermanentError):
    """The provider refused to delete data it was not told it may delete (a bucket holding
    objects without force_destroy): act reports it as a change that needs approval."""


class NoAccess(PermanentError):
    """The engine could not authenticate to, or was refused by, the cloud or the backend:
    set-up to fix (credentials, permissions), not a bug and not the tenant's fault."""


class Cancelled(EngineError):
    """The operation was interrupted on request (SIGINT/SIGTERM)."""


class NotStarted(Cancelled):
    """The run was cancelled before this operation began: the stack was not touched."""


@dataclass(frozen=True)
class EngineSettings:
    """How to reach the engine and the backend; the same for every stack of a run."""

    pulumi_project: str
    backend_url: str
    secrets_provider: str
    workspaces: Path
    pulumi_binary: Path
    env: Mapping[str, str] = field(default_factory=dict)
    """Extra environment for the CLI (passphrase file, sandbox settings, ...)."""
    storage_emulator: str | None = None
    """A local Cloud Storage's URL for a `gs://` backend the adapter reads directly (a
    preview's state copy, a lock's holder, a checkpoint's pending operations); None: Google's."""


@dataclass(frozen=True)
class StateResource:
    """One resource as a stack's state holds it (for adoption and migration)."""

    urn: str
    type: str
    name: str
    """The logical name (the URN's last part)."""
    id: str
    """The provider's id of the cloud resource."""
    outputs: Mapping[str, Any] = field(default_factory=dict)
    """Its outputs; secret values replaced by "[secret]"."""
    protected: bool = False


class Engine(Protocol):
    """Stack operations for one run, each on one tenant's stack; safe to call from threads.

    Every operation raises an `EngineError` subclass on failure, never anything else.
    """

    @property
    def operations(self) -> int:
        """Deployment-engine operations run so far (previews, ups, refreshes, destroys); a try
        refused because another run held the stack's lock is not one (see `attempts`)."""
        ...

    @property
    def attempts(self) -> int:
        """Deployment-engine runs started, lock-refused retries included (also a refusal
        before the run: a live run's lock seen with its pending operations)."""
        ...

    @property
    def cancelled(self) -> bool: ...

    def cancel(self, interrupt_running: bool = True) -> None:
        """Start no new operation; with `interrupt_running`, stop running ones gracefully
        (they release their locks). Without it they finish, e.g. when the terminal's Ctrl-C
        already reached them."""
        ...

    def listen(self, listener: StepListener | None) -> None:
        """Report every resource step of the operations that start from now on to `listener`
        while they run (None: stop). The steps still come back in each `StackRun`."""
        ...

    def list_deployed(self) -> dict[str, DeployedStack]:
        """Every stack of the project with its record (for backends not read in bulk)."""
        ...

    def preview(
        self, tenant: str, program: Program, exists: bool, snapshot: bool = False
    ) -> StackRun:
        """What `up` would do; a tenant without a stack is previewed without creating one.

        Protection is looked through: a replacement or delete of a protected resource shows
        as a step (for act's guard to judge) instead of failing the preview.

        `snapshot`: for a run that reads no secret and must not decrypt (CI's preview):
        preview a copy of the state whose secrets are placeholders, taking no lock, where
        the backend's checkpoints can be read directly (file://, gs://); elsewhere, and
        without it, the stack itself. Only a run that compares no secret may use the copy:
        one that does would compare each with its placeholder and show it changed."""
        ...

    def release(self, tenant: str, program: Program, resources: Sequence[ResourceStep]) -> StackRun:
        """An approved loss of state, phase one: an `up` that lifts protection from exactly
        `resources` (Pulumi's protect, the provider's deletion policy, a bucket's
        force_destroy) while holding their `replace_keys` at the deployed values, so nothing
        is replaced or deleted yet. The next `up` of the plain program then replaces them and
        puts protection back."""
        ...

    def up(
        self, tenant: str, program: Program, refresh: bool = False, exists: bool = True
    ) -> StackRun:
        """Deploy the program (creating the stack if needed); `refresh` reads the cloud first.

        `exists` is the plan's belief: False creates the stack before the update (one CLI
        process less than finding out); either way a wrong belief still works."""
        ...

    def drift(self, tenant: str) -> StackRun:
        """Refresh in preview mode: the resources that differ from the deployed state."""
        ...

    def destroy(self, tenant: str) -> StackRun:
        """Destroy every resource of the stack, then remove the stack."""
        ...

    def preview_decommission(
        self, tenant: str, program: Program, snapshot: bool = False
    ) -> StackRun:
        """The `up` that lifts protection, then every resource in state as a delete
        (`snapshot`: as for `preview`)."""
        ...

    def preview_destroy(self, tenant: str, snapshot: bool = False) -> StackRun:
        """Every resource in state as a delete (`snapshot`: as for `preview`)."""
        ...

    def outputs(self, tenant: str) -> dict[str, Any]:
        """Stack outputs, secret values replaced by "[secret]"."""
        ...

    def unlock(self, tenant: str) -> None:
        """Remove the stack's lock (`pulumi cancel`); callers decide first that it is stale."""
        ...

    def record(self, tenant: str, record: StackRecord) -> None:
        """Write the reconciler's record on the stack; allowed after a cancel."""
        ...

    # --- interrupted operations (a killed run's pending operations) ----------------------

    def pending_operations(self, tenant: str) -> tuple[PendingOperation, ...]:
        """The operations a killed run left pending in the stack's checkpoint; () if none."""
        ...

    def recover_pending(self, tenant: str, imports: Mapping[str, str]) -> tuple[str, ...]:
        """Resolve the stack's pending operations: each pending create in `imports` (URN ->
        id) adopted under that id (kept if the cloud has it), every other pending create
        dropped, then a refresh; the URNs the stack's state holds afterwards."""
        ...

    # --- adoption (reconciler adopt): state-only operations, none touches the cloud ------

    def stack_resources(self, stack: str) -> tuple[StateResource, ...]:
        """The custom resources a stack's state holds (providers left out); () if no stack."""
        ...

    def move_resources(self, source: str, dest: str, urns: tuple[str, ...]) -> None:
        """`pulumi state move`: the resources leave `source` and join `dest` (created if
        missing), with the providers they need; the cloud is not touched."""
        ...

    def rename_resource(self, stack: str, urn: str, new_name: str) -> None:
        """`pulumi state rename`: give a resource in `stack` a new logical name."""
        ...
