"""The Automation-API engine: the only module that imports `pulumi.automation` (public API only).

`AutomationEngine` implements the `reconciler.engine.port.Engine` protocol. Everything here works
on one tenant stack at a time, each in a workspace directory of its own (the Automation API's
create-or-select writes workspace files and is not safe to run in parallel in one
directory). Pulumi's typed errors are translated, in `_translate` only, into the kinds of
failure act reasons about (`PermanentError`, `TemporaryError`/`StackLocked`, `Cancelled`).

Graceful cancellation. The CLI answers one SIGINT by cancelling: it stops starting steps,
writes its checkpoint and releases the stack's lock (a second SIGINT kills it, lock held).
The SDK's own runner (`PulumiCommand.run`, used unchanged) starts the CLI in our process
group and exposes neither the process nor a cancel hook, and `Stack.cancel()` only works
with the Pulumi Cloud backend. So, rather than copying the runner, `cancel()` finds the CLI
processes that are our own children (Linux `/proc`, by parent pid and executable) and sends
each exactly one SIGINT. A terminal's Ctrl-C already reaches the whole foreground process
group, the CLI included, so act asks for that forwarding only when the signal did not come
from our terminal (e.g. a CI runner's SIGTERM). Without `/proc` (macOS), a cancel still
starts nothing new and running operations finish.

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
import copy
import json
import os
import secrets
import signal
import tempfile
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pulumi
from pulumi import automation as auto
from pulumi.automation import errors as auto_errors
from pulumi.automation.events import EngineEvent, OpType

from reconciler.engine.backend.records import STATUS_TAG, StackRecord, decode_record
from reconciler.engine.backend.state import DeployedStack
from reconciler.engine.port import (
    Cancelled,
    DataLossRefused,
    EngineError,
    EngineSettings,
    NoAccess,
    NotStarted,
    PermanentError,
    Program,
    StackLocked,
    StateResource,
    StepListener,
)
from reconciler.report.results import ResourceStep, StackRun

_IGNORED_TYPES = ("pulumi:pulumi:Stack",)
_IGNORED_TYPE_PREFIXES = ("pulumi:providers:",)
_BUCKET = "gcp:storage/bucket:Bucket"

# The provider refuses to delete a bucket that holds objects unless force_destroy is set:
# terraform-provider-google, google/services/storage/resource_storage_bucket.go
# (resourceStorageBucketDelete: "... containing objects without `force_destroy` set to true").
_FORCE_DESTROY_REFUSAL = "without `force_destroy` set to true"

# How the Pulumi CLI (a gs:// backend) and pulumi-gcp say they have no usable credentials or
# were refused: golang.org/x/oauth2/google ("could not find default credentials"), the
# provider's credential loading, and Google APIs' permission refusals (not every 403: a
# retention refusal is one too, and is the tenant's data speaking, not missing access).
_NO_ACCESS = (
    "could not find default credentials",
    "application default credentials",
    "oauth2: cannot fetch token",
    "invalid_grant",
    "permission_denied",
    "permission denied",
    "googleapi: error 403",
)
_ACCESS_HINT = (
    "set up Google credentials with access to the project and the state bucket "
    "(`gcloud auth application-default login` or GOOGLE_APPLICATION_CREDENTIALS; in CI the "
    "google-github-actions/auth step)"
)


def _steps_recorder(
    refresh: bool = False, notify: Callable[[ResourceStep], None] | None = None
) -> tuple[list[ResourceStep], list[str], Callable[[EngineEvent], None]]:
    """An event callback that records resource steps (telling `notify` of each, for progress
    lines) and error diagnostics.

    A refresh announces every resource as `refresh` before reading it; whether the cloud
    differed (`update`) or the resource is gone (`delete`) is only known from the outputs
    event that follows, so refreshes record those instead.
    """
    steps: list[ResourceStep] = []
    errors: list[str] = []
    lock = threading.Lock()

    def on_event(event: EngineEvent) -> None:
        pre = event.res_outputs_event if refresh else event.resource_pre_event
        if pre is not None:
            meta = pre.metadata
            op = meta.op.value if isinstance(meta.op, OpType) else str(meta.op)
            if (
                op in ("same", "refresh")
                or meta.type in _IGNORED_TYPES
                or meta.type.startswith(_IGNORED_TYPE_PREFIXES)
            ):
                return
            step = ResourceStep(
                op=op,
                type=meta.type,
                name=meta.urn.rsplit("::", 1)[-1],
                diffs=tuple(meta.diffs or ()),
                replace_keys=tuple(meta.keys or ()) if op != "create" else (),
            )
            with lock:
                steps.append(step)
            if notify is not None:
                notify(step)
        diag = event.diagnostic_event
        if diag is not None and diag.severity == "error" and not diag.ephemeral:
            with lock:
                errors.append(diag.message.strip())

    return steps, errors, on_event


def _masked_outputs(outputs: Mapping[str, auto.OutputValue]) -> dict[str, Any]:
    return {key: "[secret]" if out.secret else out.value for key, out in outputs.items()}


# How the engine marks a secret in serialized property values, the event stream included:
# an object whose signature key holds the secret signature (pulumi/pulumi
# sdk/go/common/resource/sig/sig.go: `Key`, `Secret`). The event stream never carries the
# plaintext (its `ciphertext` reads "[secret]").
_SIG_KEY = "4dabf18193072939515e22adb298388d"
_SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"


def _is_secret(value: Any) -> bool:
    return isinstance(value, dict) and value.get(_SIG_KEY) == _SECRET_SIG


def _mask(value: Any) -> Any:
    """A value from the event stream with every secret, at any depth, as "[secret]"."""
    if _is_secret(value):
        return "[secret]"
    if isinstance(value, dict):
        return {key: _mask(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_mask(item) for item in value]
    return value


def outputs_from_event(outputs: Mapping[str, Any] | None) -> dict[str, auto.OutputValue]:
    """The stack resource's outputs as the SDK's `OutputMap`, secrets masked, none decrypted."""
    return {
        key: auto.OutputValue(value=_mask(value), secret=_is_secret(value))
        for key, value in (outputs or {}).items()
    }


class _UpEvents:
    """What an `up` reports through its event stream: the stack's outputs and the summary.

    The SDK delivers events on its own threads; `wait` bounds how long the reader waits for
    the summary after the CLI exited (it normally has arrived already)."""

    def __init__(self) -> None:
        self.outputs: dict[str, auto.OutputValue] | None = None
        self.changes: auto.OpMap = {}
        self._done = threading.Event()

    def on_event(self, event: EngineEvent) -> None:
        out = event.res_outputs_event
        if out is not None and out.metadata.type in _IGNORED_TYPES and out.metadata.new:
            self.outputs = outputs_from_event(out.metadata.new.outputs)
        if event.summary_event is not None:
            self.changes = event.summary_event.resource_changes
            self._done.set()

    def complete(self, wait: float = 5.0) -> bool:
        """Whether the summary and the stack's outputs both arrived."""
        return self._done.wait(wait) and self.outputs is not None


class _NamedStack(auto.Stack):
    """An `auto.Stack` that runs no CLI process to exist, and whose `up` reads its result
    from the event stream.

    `Stack.select()` runs `pulumi stack select`, which only makes the stack the
    workspace's current one; every command a `Stack` runs passes `--stack` anyway, so a
    missing stack is reported by the operation itself (`StackNotFoundError`). During `up`,
    the `outputs()` and `info()` that `Stack.up()` calls to build its result answer from
    the event stream; should an event be missing they fall back to the CLI, so the result
    is never made up.
    """

    def __init__(self, name: str, workspace: auto.Workspace) -> None:
        # Not `super().__init__()`: that is the `stack select` this class exists to avoid.
        self.name = name
        self.workspace = workspace
        self._events: _UpEvents | None = None

    def __repr__(self) -> str:
        return f"_NamedStack({self.name!r})"

    def up_from_events(
        self, on_event: Callable[[EngineEvent], None], refresh: bool
    ) -> dict[str, Any]:
        """`up`, then the masked outputs from the event stream (one CLI process)."""
        events = _UpEvents()

        def both(event: EngineEvent) -> None:
            events.on_event(event)
            on_event(event)

        self._events = events
        try:
            result = self.up(
                on_event=both, color="never", show_secrets=False, refresh=refresh or None
            )
        finally:
            self._events = None
        return _masked_outputs(result.outputs)

    def outputs(self) -> auto.OutputMap:
        events = self._events
        if events is not None and events.complete() and events.outputs is not None:
            return events.outputs
        # One masked read: the plaintext read `Workspace.stack_outputs` adds is not needed.
        workspace = self.workspace
        result = workspace.pulumi_command.run(
            ["stack", "output", "--json", "--stack", self.name],
            workspace.work_dir,
            dict(workspace.env_vars),
        )
        return outputs_from_cli(json.loads(result.stdout or "{}"))

    def info(self, show_secrets: bool = True) -> auto.UpdateSummary | None:
        events = self._events
        if events is not None and events.complete():
            now = datetime.now(UTC)
            return auto.UpdateSummary(
                kind="update",
                start_time=now,
                end_time=now,
                message="",
                environment={},
                config={},
                result="succeeded",
                resource_changes=events.changes,
            )
        return super().info(show_secrets)


def outputs_from_cli(masked: Mapping[str, Any]) -> dict[str, auto.OutputValue]:
    """`pulumi stack output --json` without `--show-secrets`: secrets read "[secret]"."""
    return {
        key: auto.OutputValue(value=value, secret=value == "[secret]")
        for key, value in masked.items()
    }


def _translate(error: Exception, diagnostics: list[str], cancelled: bool) -> EngineError:
    """Map Pulumi's typed errors onto our two kinds of failure (the only place that does)."""
    if cancelled:
        return Cancelled("cancelled on request; the stack was left unlocked")
    if isinstance(error, auto_errors.ConcurrentUpdateError):
        return StackLocked("the stack is locked by another run", delay=2.0)
    if isinstance(error, auto_errors.StackNotFoundError):
        return PermanentError("the stack does not exist in the backend")
    text = "\n".join([*diagnostics, str(error)]).lower()
    if any(marker in text for marker in _NO_ACCESS):
        return NoAccess(f"no access: {_first_lines(diagnostics, error)}; {_ACCESS_HINT}")
    if any(_FORCE_DESTROY_REFUSAL in diag for diag in diagnostics):
        return DataLossRefused(_first_lines(diagnostics, error))
    if isinstance(error, auto_errors.InlineSourceRuntimeError):
        return PermanentError("the tenant program failed: " + _first_lines(diagnostics, error))
    if isinstance(error, auto_errors.CommandError):
        return PermanentError(_first_lines(diagnostics, error))
    return PermanentError(f"{type(error).__name__}: {error}")


def _worth_showing(line: str) -> bool:
    """Drop blank lines and Python traceback frames; keep the messages."""
    text = line.strip()
    return bool(text) and not (
        text.startswith(("Traceback (most recent call last)", 'File "')) or line[:1].isspace()
    )


def _first_lines(diagnostics: list[str], error: Exception) -> str:
    """The engine's own error diagnostics, else the CLI's error lines; never a wall of text."""
    lines = [line for diag in diagnostics for line in diag.splitlines() if _worth_showing(line)]
    if not lines and isinstance(error, auto_errors.CommandError):
        lines = _cli_error_lines(str(error))
    if not lines:
        lines = [str(error).strip().splitlines()[0] if str(error).strip() else "unknown error"]
    unique = list(dict.fromkeys(line.strip() for line in lines))
    return "; ".join(unique[:5])[:2000]


def _cli_error_lines(result: str) -> list[str]:
    """What a failed CLI run said, from the SDK's `CommandResult` text
    ("\n code: N\n stdout: ...\n stderr: ..."): its `error:` lines; else its first line
    that is not a warning (a Go panic, say); else that it printed nothing."""
    head, marker, stderr = result.partition("\n stderr: ")
    said = [line.strip() for line in stderr.splitlines() if line.strip()] if marker else []
    errors = [line for line in said if line.startswith("error:")]
    if errors:
        return errors
    others = [line for line in said if not line.startswith("warning:")]
    if others:
        return others[:1]
    code = head.strip().partition("\n")[0].removeprefix("code: ").strip()
    return [f"the Pulumi CLI exited {code or 'non-zero'} and printed no error"]


def _with_transform(program: Program, transform: pulumi.ResourceTransform) -> Program:
    """`program`, with a stack transform registered before it declares anything."""

    def transformed() -> None:
        pulumi.runtime.register_stack_transform(transform)
        program()

    return transformed


def _look_through(args: pulumi.ResourceTransformArgs) -> pulumi.ResourceTransformResult | None:
    """Previews only: a protected resource's replacement or delete shows as a step.

    Pulumi fails a preview outright on "unable to replace resource ... marked for
    protection"; act's guard wants to see the step, judge it and name the approval.
    """
    if not args.opts.protect:
        return None
    opts = copy.copy(args.opts)
    opts.protect = False
    return pulumi.ResourceTransformResult(props=args.props, opts=opts)


def _releasing(keys: Mapping[str, Sequence[str]]) -> pulumi.ResourceTransform:
    """Lift every protection from the named resources, holding their replace-forcing
    inputs (`keys`, by logical name) at the deployed values so nothing is replaced yet."""

    def transform(args: pulumi.ResourceTransformArgs) -> pulumi.ResourceTransformResult | None:
        if args.name not in keys:
            return None
        props = dict(args.props)
        if "deletionPolicy" in props:
            props["deletionPolicy"] = "DELETE"
        if args.type_ == _BUCKET:
            props["forceDestroy"] = True
        opts = copy.copy(args.opts)
        opts.protect = False
        opts.ignore_changes = [*(opts.ignore_changes or ()), *keys[args.name]]
        return pulumi.ResourceTransformResult(props=props, opts=opts)

    return transform


RECORD_COMMAND = ("stack", "tag", "set")
"""How a record write starts the CLI: a cancel lets it finish (about 0.1 s, no engine run),
so the stacks of what finished before the cancel keep their record."""


def _cli_children(binary: Path) -> list[int]:
    """Our child processes running the Pulumi CLI `binary`, record writes left out (empty
    where /proc is missing)."""
    me, found = os.getpid(), []
    target = os.path.realpath(binary)
    for entry in Path("/proc").glob("[0-9]*"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            # The command name may hold spaces or parentheses: the fields after the last ")".
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) != me or os.path.realpath(entry / "exe") != target:
                continue
            args = (entry / "cmdline").read_bytes().decode(errors="replace").split("\0")
            if not _runs(args, RECORD_COMMAND):
                found.append(int(entry.name))
    return found


def _runs(args: Sequence[str], command: Sequence[str]) -> bool:
    """Whether `args` hold `command`'s words in order, one right after the other."""
    width = len(command)
    return any(tuple(args[i : i + width]) == tuple(command) for i in range(len(args)))


class AutomationEngine:
    """The `Engine` protocol on the Automation API; thread-safe (a workspace per stack)."""

    def __init__(self, settings: EngineSettings) -> None:
        self._settings = settings
        self._cancel = threading.Event()
        self._command_instance: auto.PulumiCommand | None = None
        self._interrupted: set[int] = set()
        # Stacks already selected in this run: a second operation on one needs no new select.
        self._selected: dict[str, _NamedStack] = {}
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
        """Start no new operation; with `interrupt_running`, ask running CLIs to stop.

        Each CLI process gets one SIGINT, ever: a second one would kill it with its lock held.
        """
        self._cancel.set()
        if not interrupt_running:
            return
        for pid in _cli_children(self._settings.pulumi_binary):
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
        steps, diagnostics, on_event = _steps_recorder(refresh, notify)
        refused = False
        try:
            yield steps, on_event
        except EngineError:
            raise
        except Exception as error:
            translated = _translate(error, diagnostics, self._cancel.is_set())
            # A try another run's lock refused did nothing: an attempt, not an operation.
            refused = isinstance(translated, StackLocked)
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

    def _stack(self, tenant: str, program: Program | None, create: bool) -> _NamedStack:
        noop: Program = program or (lambda: None)
        cached = self._selected.get(tenant)
        if cached is not None:
            cached.workspace.program = noop
            return cached
        stack = self._open_stack(tenant, noop, create)
        self._selected[tenant] = stack
        return stack

    def _open_stack(self, tenant: str, noop: Program, create: bool) -> _NamedStack:
        settings = self._settings
        opts = self._workspace_options(
            settings.workspaces / tenant,
            settings.backend_url,
            settings.env,
            settings.secrets_provider,
        )
        # No `stack select` (a process per stack): `_NamedStack` names its stack on every
        # command; `up` creates a missing stack itself (`create` is kept for callers).
        del create
        workspace = auto.LocalWorkspace(**vars(opts))
        workspace.program = noop
        return _NamedStack(tenant, workspace)

    def preview(self, tenant: str, program: Program, exists: bool) -> StackRun:
        """What `up` would do. A tenant without a stack is previewed in a scratch backend,
        so a pull request's preview never creates stacks in the real one."""
        with self._operation(tenant=tenant) as (steps, on_event):
            if exists:
                stack = self._stack(tenant, _with_transform(program, _look_through), create=False)
                stack.preview(on_event=on_event, color="never")
                return StackRun(steps=tuple(steps))
            with tempfile.TemporaryDirectory(prefix="reconciler-preview-") as scratch:
                env = {**self._settings.env, "PULUMI_CONFIG_PASSPHRASE": secrets.token_hex(16)}
                env.pop("PULUMI_CONFIG_PASSPHRASE_FILE", None)
                opts = self._workspace_options(
                    Path(scratch) / "workspace", "file://" + scratch, env, "passphrase"
                )
                scratch_stack = auto.create_stack(
                    stack_name=tenant,
                    project_name=self._settings.pulumi_project,
                    program=program,
                    opts=opts,
                )
                scratch_stack.preview(on_event=on_event, color="never")
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
            stack = self._stack(tenant, _with_transform(program, _releasing(keys)), create=False)
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

    def preview_decommission(self, tenant: str, program: Program) -> StackRun:
        """A decommission: the `up` that lifts protection, then every resource deleted.

        `preview_destroy` cannot be used: it refuses while the resources are protected,
        which they stay until the first half of the decommission has run.
        """
        with self._operation(tenant=tenant) as (steps, on_event):
            stack = self._stack(tenant, program, create=False)
            stack.preview(on_event=on_event, color="never")
            resources = (stack.export_stack().deployment or {}).get("resources", [])
            deletes = tuple(
                ResourceStep("delete", r["type"], r["urn"].rsplit("::", 1)[-1])
                for r in resources
                if r.get("custom") and not r["type"].startswith(_IGNORED_TYPE_PREFIXES)
            )
            return StackRun(steps=(*steps, *deletes))

    def preview_destroy(self, tenant: str) -> StackRun:
        with self._operation(tenant=tenant) as (steps, on_event):
            stack = self._stack(tenant, None, create=False)
            stack.preview_destroy(on_event=on_event, color="never", show_secrets=False)
            return StackRun(steps=tuple(steps))

    def outputs(self, tenant: str) -> dict[str, Any]:
        with self._operation(engine_run=False):
            return _masked_outputs(self._stack(tenant, None, create=False).outputs())

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

    # --- adoption: state-only CLI commands (no deployment engine, no cloud call) ---------

    def _qualified(self, stack: str) -> str:
        """A stack reference for the CLI: a tenant's stack, or `PROJECT/STACK` of another
        project in the same backend (DIY backends name stacks organization/PROJECT/STACK)."""
        if stack.count("/") == 1:
            return f"organization/{stack}"
        if "/" in stack:
            return stack
        return f"organization/{self._settings.pulumi_project}/{stack}"

    def _state_command(self, args: list[str]) -> str:
        """Run one state command from the inventory workspace; its stdout."""
        workspace = self._inventory_workspace()
        env = {**({"PULUMI_HOME": workspace.pulumi_home} if workspace.pulumi_home else {})}
        env.update(workspace.env_vars)
        result = self._command().run(args, workspace.work_dir, env)
        return result.stdout

    def stack_resources(self, stack: str) -> tuple[StateResource, ...]:
        """The custom resources in a stack's state (`pulumi stack export`, secrets encrypted)."""
        import json

        with self._operation(engine_run=False):
            text = self._state_command(["stack", "export", "--stack", self._qualified(stack)])
            deployment = json.loads(text).get("deployment") or {}
            found = []
            for item in deployment.get("resources") or []:
                kind = str(item.get("type", ""))
                if not item.get("custom") or kind.startswith(_IGNORED_TYPE_PREFIXES):
                    continue
                # Secrets at any depth, as the event stream's are (their ciphertext included).
                outputs = {key: _mask(value) for key, value in (item.get("outputs") or {}).items()}
                urn = str(item["urn"])
                found.append(
                    StateResource(
                        urn=urn,
                        type=kind,
                        name=urn.rsplit("::", 1)[-1],
                        id=str(item.get("id", "")),
                        outputs=outputs,
                        protected=bool(item.get("protect")),
                    )
                )
            return tuple(found)

    def move_resources(self, source: str, dest: str, urns: tuple[str, ...]) -> None:
        """`pulumi state move` (the CLI moves dependencies' providers along)."""
        with self._operation(engine_run=False):
            # The destination must exist; stacks here are named, not selected, so make it.
            stack = self._stack(dest, None, create=True)
            with contextlib.suppress(auto.StackAlreadyExistsError):
                stack.workspace.create_stack(dest)
            self._state_command(
                [
                    "state",
                    "move",
                    "--source",
                    self._qualified(source),
                    "--dest",
                    self._qualified(dest),
                    "--yes",
                    *urns,
                ]
            )

    def rename_resource(self, stack: str, urn: str, new_name: str) -> None:
        with self._operation(engine_run=False):
            self._state_command(
                ["state", "rename", "--stack", self._qualified(stack), "--yes", urn, new_name]
            )
