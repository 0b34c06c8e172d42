"""The Automation-API engine: `AutomationEngine`, the `reconciler.engine.port.Engine` protocol.

Everything here works on one tenant stack at a time, each in a workspace directory of its
own (the Automation API's create-or-select writes workspace files and is not safe to run
in parallel in one directory). The concerns it draws on live beside it, one module each:
`errors` (Pulumi's typed errors translated, the only place), `events` (steps, diagnostics
and outputs from the event stream, secrets masked), `stacks` (a stack named rather than
selected, and why it subclasses the SDK's), `transforms` (previews that look through
protection, an approved release), `cancel` (graceful cancellation through /proc) and
`state_ops` (the state-only commands of adoption). Knowledge of Pulumi's DIY backend
layout is in `reconciler/engine/backend/`.

Processes. A stack object here never runs `pulumi stack select` (every command it runs
names its stack with `--stack`), and its `up` takes the outputs and the summary from the
engine's event stream instead of the three CLI reads the SDK's `Stack.up()` would start
after it (`stack output --json`, the same with `--show-secrets`, `stack history`). So an
apply costs `pulumi version` once per run, then per changed tenant the `up` and the
`stack tag set` of its record (plus `stack init` the first time); nothing is decrypted for
the reconciler. `tests/e2e/test_process_count.py` counts them.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

from pulumi import automation as auto
from pulumi.automation import errors as auto_errors
from pulumi.automation.events import EngineEvent

from reconciler.engine.automation.cancel import cli_children
from reconciler.engine.automation.errors import translate
from reconciler.engine.automation.events import (
    IGNORED_TYPE_PREFIXES,
    masked_outputs,
    steps_recorder,
)
from reconciler.engine.automation.recovery import checkpoint_locked, checkpoint_pending, recover
from reconciler.engine.automation.scratch import Previewed, new_stack, previewed
from reconciler.engine.automation.stacks import NamedStack
from reconciler.engine.automation.state_ops import (
    export_args,
    move_args,
    rename_args,
    run_state_command,
    state_resources,
)
from reconciler.engine.automation.transforms import look_through, releasing, with_transform
from reconciler.engine.backend.locks import lock_refusal
from reconciler.engine.backend.pending import PendingOperation, pending_operations
from reconciler.engine.backend.records import STATUS_TAG, StackRecord, decode_record
from reconciler.engine.backend.state import DeployedStack, stack_lock
from reconciler.engine.port import (
    EngineError,
    EngineSettings,
    NotStarted,
    Program,
    StackLocked,
    StateResource,
    StepListener,
)
from reconciler.report.results import ResourceStep, StackRun


class AutomationEngine:
    """The `Engine` protocol on the Automation API; thread-safe (a workspace per stack)."""

    def __init__(self, settings: EngineSettings) -> None:
        self._settings = settings
        self._cancel = threading.Event()
        self._command_instance: auto.PulumiCommand | None = None
        self._interrupted: set[int] = set()
        # Stacks already selected in this run: a second operation on one needs no new select.
        self._selected: dict[str, NamedStack] = {}
        self._setup_lock = threading.Lock()
        self.operations = 0
        self.attempts = 0
        self._count_lock = threading.Lock()
        self._listener: StepListener | None = None

    def listen(self, listener: StepListener | None) -> None:
        self._listener = listener

    def _notify(self, tenant: str) -> Callable[[ResourceStep], None] | None:
        listener = self._listener
        if listener is None:
            return None
        return lambda step: listener(tenant, step)

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def cancel(self, interrupt_running: bool = True) -> None:
        """Start no new operation; with `interrupt_running`, ask running CLIs to stop
        (found through /proc: see `cancel.py`).

        Each CLI process gets one SIGINT, ever: a second one would kill it with its lock held.
        """
        self._cancel.set()
        if not interrupt_running:
            return
        for pid in cli_children(self._settings.pulumi_binary):
            with self._setup_lock:
                if pid in self._interrupted:
                    continue
                self._interrupted.add(pid)
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGINT)

    def _workspace_options(
        self, work_dir: Path, backend_url: str, env: Mapping[str, str], secrets_provider: str
    ) -> auto.LocalWorkspaceOptions:
        work_dir.mkdir(parents=True, exist_ok=True)
        return auto.LocalWorkspaceOptions(
            work_dir=str(work_dir),
            # Explicit, so a PULUMI_BACKEND_URL in our own environment can never redirect
            # the engine away from the backend the reconciler reads (it would win over the
            # project's backend setting).
            env_vars={**env, "PULUMI_BACKEND_URL": backend_url},
            secrets_provider=secrets_provider,
            pulumi_command=self._command(),
            project_settings=auto.ProjectSettings(
                name=self._settings.pulumi_project,
                runtime="python",
                backend=auto.ProjectBackend(url=backend_url),
            ),
        )

    @contextmanager
    def _operation(
        self,
        engine_run: bool = True,
        refresh: bool = False,
        after_cancel: bool = False,
        tenant: str = "",
    ) -> Iterator[tuple[list[ResourceStep], Callable[[EngineEvent], None]]]:
        """One CLI interaction; `engine_run` when it runs the deployment engine (on `tenant`'s
        stack: its steps go to the listener as they happen).

        Once the run is cancelled nothing new starts, except what `after_cancel` allows:
        writing a stack's record, so the next run knows the interrupted stack needs a retry.
        """
        if self._cancel.is_set() and not after_cancel:
            raise NotStarted("not started: the run was cancelled")
        if engine_run:
            with self._count_lock:
                self.attempts += 1
        notify = self._notify(tenant) if engine_run and tenant else None
        steps, diagnostics, on_event = steps_recorder(refresh, notify)
        refused = False
        try:
            yield steps, on_event
        except EngineError:
            raise
        except Exception as error:
            translated = translate(error, diagnostics, self._cancel.is_set())
            # A try another run's lock refused did nothing: an attempt, not an operation.
            refused = isinstance(translated, StackLocked)
            if isinstance(translated, StackLocked) and tenant:
                translated = self._locked(tenant, translated.delay)
            raise translated from error
        finally:
            if engine_run and not refused:
                with self._count_lock:
                    self.operations += 1

    def _command(self) -> auto.PulumiCommand:
        """The CLI runner, made on first use: a run with nothing to do starts no process.

        One runner for every workspace: `pulumi version` runs once, not per stack."""
        with self._setup_lock:
            if self._command_instance is None:
                root = str(self._settings.pulumi_binary.parent.parent)
                self._command_instance = auto.PulumiCommand(root=root)
            return self._command_instance

    def _stack(self, tenant: str, program: Program | None, create: bool) -> NamedStack:
        noop: Program = program or (lambda: None)
        cached = self._selected.get(tenant)
        if cached is not None:
            cached.workspace.program = noop
            return cached
        stack = self._open_stack(tenant, noop, create)
        self._selected[tenant] = stack
        return stack

    def _open_stack(self, tenant: str, noop: Program, create: bool) -> NamedStack:
        settings = self._settings
        opts = self._workspace_options(
            settings.workspaces / tenant,
            settings.backend_url,
            settings.env,
            settings.secrets_provider,
        )
        # No `stack select` (a process per stack): `NamedStack` names its stack on every
        # command; `up` creates a missing stack itself (`create` is kept for callers).
        del create
        workspace = auto.LocalWorkspace(**vars(opts))
        workspace.program = noop
        return NamedStack(tenant, workspace)

    def _previewed(self, tenant: str, program: Program | None, snapshot: bool) -> Previewed:
        """The stack a preview runs on: with `snapshot`, a scratch copy (scratch.py)."""
        in_place = lambda: self._stack(tenant, program, create=False)  # noqa: E731
        how = self._settings, self._workspace_options
        return previewed(*how, tenant, program, in_place, snapshot)

    def preview(
        self, tenant: str, program: Program, exists: bool, snapshot: bool = False
    ) -> StackRun:
        """What `up` would do. A tenant without a stack is previewed in a scratch backend,
        so a pull request's preview never creates stacks in the real one."""
        with self._operation(tenant=tenant) as (steps, on_event):
            if exists:
                looking_through = with_transform(program, look_through)
                with self._previewed(tenant, looking_through, snapshot) as stack:
                    stack.preview(on_event=on_event, color="never")
                return StackRun(steps=tuple(steps))
            with new_stack(self._settings, self._workspace_options, tenant, program) as stack:
                stack.preview(on_event=on_event, color="never")
            return StackRun(steps=tuple(steps))

    def up(
        self, tenant: str, program: Program, refresh: bool = False, exists: bool = True
    ) -> StackRun:
        """Deploy the program; with `refresh`, read the cloud first so drift is repaired."""
        with self._operation(tenant=tenant) as (steps, on_event):
            stack = self._stack(tenant, program, create=True)
            if not exists:
                # Another run may have created it since the plan: then it is just updated.
                with contextlib.suppress(auto_errors.StackAlreadyExistsError):
                    stack.workspace.create_stack(tenant)
            try:
                outputs = stack.up_from_events(on_event, refresh)
            except auto_errors.StackNotFoundError:
                # A new tenant: the failed `up` touched nothing; create the stack, then up.
                stack.workspace.create_stack(tenant)
                outputs = stack.up_from_events(on_event, refresh)
            return StackRun(steps=tuple(steps), outputs=outputs)

    def release(self, tenant: str, program: Program, resources: Sequence[ResourceStep]) -> StackRun:
        """Phase one of an approved loss of state (see `Engine.release`)."""
        keys = {step.name: step.replace_keys for step in resources}
        with self._operation() as (steps, on_event):
            stack = self._stack(tenant, with_transform(program, releasing(keys)), create=False)
            stack.up(on_event=on_event, color="never", show_secrets=False)
            return StackRun(steps=tuple(steps))

    def drift(self, tenant: str) -> StackRun:
        """Refresh in preview mode: which resources differ from the last deployed state."""
        with self._operation(refresh=True, tenant=tenant) as (steps, on_event):
            stack = self._stack(tenant, None, create=False)
            stack.preview_refresh(on_event=on_event, color="never")
            return StackRun(steps=tuple(steps))

    def destroy(self, tenant: str) -> StackRun:
        """Destroy every resource of the stack, then remove the stack itself."""
        with self._operation(tenant=tenant) as (steps, on_event):
            stack = self._stack(tenant, None, create=False)
            stack.destroy(on_event=on_event, color="never", show_secrets=False)
            stack.workspace.remove_stack(tenant)
            self._selected.pop(tenant, None)
            return StackRun(steps=tuple(steps))

    def preview_decommission(
        self, tenant: str, program: Program, snapshot: bool = False
    ) -> StackRun:
        """A decommission: the `up` that lifts protection, then every resource deleted.

        `preview_destroy` cannot be used: it refuses while the resources are protected,
        which they stay until the first half of the decommission has run.
        """
        with (
            self._operation(tenant=tenant) as (steps, on_event),
            self._previewed(tenant, program, snapshot) as stack,
        ):
            stack.preview(on_event=on_event, color="never")
            resources = (stack.export_stack().deployment or {}).get("resources", [])
            deletes = tuple(
                ResourceStep("delete", r["type"], r["urn"].rsplit("::", 1)[-1])
                for r in resources
                if r.get("custom") and not r["type"].startswith(IGNORED_TYPE_PREFIXES)
            )
            return StackRun(steps=(*steps, *deletes))

    def preview_destroy(self, tenant: str, snapshot: bool = False) -> StackRun:
        with (
            self._operation(tenant=tenant) as (steps, on_event),
            self._previewed(tenant, None, snapshot) as stack,
        ):
            stack.preview_destroy(on_event=on_event, color="never", show_secrets=False)
            return StackRun(steps=tuple(steps))

    def outputs(self, tenant: str) -> dict[str, Any]:
        with self._operation(engine_run=False):
            return masked_outputs(self._stack(tenant, None, create=False).outputs())

    def list_deployed(self) -> dict[str, DeployedStack]:
        """Every stack of the project with its record, through the CLI.

        The fallback for backends the bulk reader cannot read (e.g. Pulumi Cloud, s3://):
        one `stack ls` plus one tag read per stack, so it costs a CLI call per tenant.
        """
        with self._operation(engine_run=False):
            workspace = self._inventory_workspace()
            deployed = {}
            for summary in workspace.list_stacks():
                name = summary.name.rsplit("/", 1)[-1]
                tags = workspace.list_tags(name)
                deployed[name] = DeployedStack(
                    name=name,
                    record=decode_record(tags.get(STATUS_TAG)),
                    locked=bool(summary.update_in_progress),
                )
            return deployed

    def _inventory_workspace(self) -> auto.LocalWorkspace:
        """The workspace of commands that name no tenant's program (listing, state moves)."""
        settings = self._settings
        opts = self._workspace_options(
            settings.workspaces / "_inventory",
            settings.backend_url,
            settings.env,
            settings.secrets_provider,
        )
        return auto.LocalWorkspace(**vars(opts))

    def unlock(self, tenant: str) -> None:
        """Remove the stack's lock with `pulumi cancel` (a DIY backend deletes its lock files)."""
        with self._operation(engine_run=False):
            self._stack(tenant, None, create=False).cancel()

    def record(self, tenant: str, record: StackRecord) -> None:
        """Write the reconciler's record on the stack (one tag, one CLI call)."""
        with self._operation(engine_run=False, after_cancel=True):
            self._stack(tenant, None, create=False).set_tag(STATUS_TAG, record.encode())

    # --- interrupted operations (`recovery.py`) ------------------------------------------

    def pending_operations(self, tenant: str) -> tuple[PendingOperation, ...]:
        found = checkpoint_pending(self._settings, tenant)
        if found is None:
            with self._operation(engine_run=False):
                exported = self._state_command(export_args(tenant, self._settings.pulumi_project))
                found = pending_operations(exported)
        if found and checkpoint_locked(self._settings, tenant):
            # A live run's operations, not a killed one's: wait like for any lock. It stands
            # for the up that lock would refuse, so it counts as a refused try (`attempts`).
            with self._count_lock:
                self.attempts += 1
            raise self._locked(tenant, 2.0)
        return found

    def _locked(self, tenant: str, delay: float) -> StackLocked:
        """A lock refusal naming the holder and the way out (`locks.lock_refusal`)."""
        how = self._settings
        held = stack_lock(how.backend_url, how.pulumi_project, tenant, how.storage_emulator)
        return StackLocked(lock_refusal(held, tenant), delay=delay)

    def recover_pending(self, tenant: str, imports: Mapping[str, str]) -> tuple[str, ...]:
        """Adopt or drop the pending creates, then refresh (`recovery.recover`)."""
        with self._operation(refresh=True, tenant=tenant) as (_steps, on_event):
            stack = self._stack(tenant, None, create=False)
            refresh = partial(stack.refresh, on_event=on_event, color="never", show_secrets=False)
            project = self._settings.pulumi_project
            return recover(self._state_command, tenant, project, imports, refresh)

    # --- adoption: state-only CLI commands (no deployment engine, no cloud call) ---------

    def _state_command(self, args: list[str]) -> str:
        """Run one state command from the inventory workspace; its stdout."""
        return run_state_command(self._command(), self._inventory_workspace(), args)

    def stack_resources(self, stack: str) -> tuple[StateResource, ...]:
        """The custom resources in a stack's state (`pulumi stack export`, secrets masked)."""
        with self._operation(engine_run=False):
            project = self._settings.pulumi_project
            return state_resources(self._state_command(export_args(stack, project)))

    def move_resources(self, source: str, dest: str, urns: tuple[str, ...]) -> None:
        """`pulumi state move` (the CLI moves dependencies' providers along)."""
        with self._operation(engine_run=False):
            # The destination must exist; stacks here are named, not selected, so make it.
            stack = self._stack(dest, None, create=True)
            with contextlib.suppress(auto.StackAlreadyExistsError):
                stack.workspace.create_stack(dest)
            project = self._settings.pulumi_project
            self._state_command(move_args(source, dest, urns, project))

    def rename_resource(self, stack: str, urn: str, new_name: str) -> None:
        with self._operation(engine_run=False):
            self._state_command(rename_args(stack, urn, new_name, self._settings.pulumi_project))
