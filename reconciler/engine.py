"""The one module that drives the Pulumi engine (the only importer of `pulumi.automation`).

Everything here works on one tenant stack at a time, each in a workspace directory of its
own (the Automation API's create-or-select writes workspace files and is not safe to run in
parallel in one directory). Pulumi's typed errors are translated, in `_translate`, into the
two kinds of failure the rest of the reconciler reasons about: `PermanentError` (retrying in
this run is useless) and `TemporaryError` (retry after a delay, e.g. a locked stack).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import subprocess
import tempfile
import threading
from collections.abc import Callable, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pulumi import automation as auto
from pulumi.automation import errors as auto_errors
from pulumi.automation._cmd import CommandResult, OnOutput
from pulumi.automation.events import EngineEvent, OpType

from reconciler.records import STATUS_TAG, StackRecord, decode_record
from reconciler.results import ResourceStep, StackRun
from reconciler.state import DeployedStack

TOOLS_DIR = Path(__file__).resolve().parent.parent / ".tools"
"""Where scripts/bootstrap puts the pinned Pulumi CLI (bin/pulumi) in a checkout."""

_IGNORED_TYPES = ("pulumi:pulumi:Stack",)
_IGNORED_TYPE_PREFIXES = ("pulumi:providers:",)


class EngineError(Exception):
    """A stack operation failed; `message` is safe to show (the engine masks secrets)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class PermanentError(EngineError):
    """Retrying in this run would not help (bad input, provider refusal, program error)."""


class TemporaryError(EngineError):
    """Worth retrying after `delay` seconds."""

    def __init__(self, message: str, delay: float = 5.0) -> None:
        super().__init__(message)
        self.delay = delay


class StackLocked(TemporaryError):
    """Another run holds the stack's lock; never force-unlocked, only waited for."""


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
    """Extra environment for the CLI (sandbox plugin path, passphrase file, ...)."""


def _steps_recorder(
    refresh: bool = False,
) -> tuple[list[ResourceStep], list[str], Callable[[EngineEvent], None]]:
    """An event callback that records resource steps and error diagnostics.

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
        diag = event.diagnostic_event
        if diag is not None and diag.severity == "error" and not diag.ephemeral:
            with lock:
                errors.append(diag.message.strip())

    return steps, errors, on_event


def _masked_outputs(outputs: Mapping[str, auto.OutputValue]) -> dict[str, Any]:
    return {key: "[secret]" if out.secret else out.value for key, out in outputs.items()}


def _translate(error: Exception, diagnostics: list[str], cancelled: bool) -> EngineError:
    """Map Pulumi's typed errors onto our two kinds of failure (the only place that does)."""
    if cancelled:
        return Cancelled("cancelled on request; the stack was left unlocked")
    if isinstance(error, auto_errors.ConcurrentUpdateError):
        return StackLocked("the stack is locked by another run", delay=2.0)
    if isinstance(error, auto_errors.StackNotFoundError):
        return PermanentError("the stack does not exist in the backend")
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
        text = str(error)
        lines = [line for line in text.splitlines() if line.strip().startswith("error:")]
    if not lines:
        lines = [str(error).strip().splitlines()[0] if str(error).strip() else "unknown error"]
    unique = list(dict.fromkeys(line.strip() for line in lines))
    return "; ".join(unique[:5])[:2000]


class _TrackedCommand(auto.PulumiCommand):
    """The Pulumi CLI runner, with each process in a session of its own and tracked.

    The SDK's runner starts the CLI in our process group, so a terminal's Ctrl-C reaches it
    directly and a SIGTERM sent to us alone never does. Here every CLI process is its own
    session; `interrupt()` sends each exactly one SIGINT, which the CLI answers by
    cancelling gracefully: it stops starting steps, writes its checkpoint and releases the
    stack's lock.
    """

    def __init__(self, root: str) -> None:
        super().__init__(root=root)
        self._processes: set[subprocess.Popen[str]] = set()
        self._guard = threading.Lock()

    def interrupt(self) -> None:
        with self._guard:
            processes = list(self._processes)
        for process in processes:
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGINT)

    def run(
        self,
        args: list[str],
        cwd: str,
        additional_env: Mapping[str, str],
        on_output: OnOutput | None = None,
        on_error: OnOutput | None = None,
    ) -> CommandResult:
        if "--non-interactive" not in args:
            args.insert(0, "--non-interactive")
        env = {**os.environ, **additional_env, "PULUMI_AUTOMATION_API": "true"}
        env["PATH"] = os.pathsep.join([os.path.dirname(self.command), env.get("PATH", "")])
        out: list[str] = []
        err: list[str] = []

        def pump(stream: Any, callback: OnOutput | None, sink: list[str]) -> None:
            for line in iter(stream.readline, ""):
                line = line.rstrip()
                if callback:
                    callback(line)
                sink.append(line)
            stream.close()

        with subprocess.Popen(
            [self.command, *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=cwd,
            env=env,
            encoding="utf-8",
            errors="replace",
            start_new_session=True,
        ) as process:
            with self._guard:
                self._processes.add(process)
            try:
                pumps = [
                    threading.Thread(target=pump, args=(process.stdout, on_output, out)),
                    threading.Thread(target=pump, args=(process.stderr, on_error, err)),
                ]
                for thread in pumps:
                    thread.start()
                for thread in pumps:
                    thread.join()
                process.wait()
            finally:
                with self._guard:
                    self._processes.discard(process)
        result = CommandResult(
            stdout="\n".join(out), stderr="\n".join(err), code=process.returncode
        )
        if process.returncode != 0:
            raise auto_errors.create_command_error(result)
        return result


class Engine:
    """Stack operations for one run; thread-safe (each stack has its own workspace)."""

    def __init__(self, settings: EngineSettings) -> None:
        self._settings = settings
        self._cancel = threading.Event()
        # One command runner for every workspace: `pulumi version` runs once, not per stack.
        self._command_instance: _TrackedCommand | None = None
        # Stacks already selected in this run: a second operation on one needs no new select.
        self._selected: dict[str, auto.Stack] = {}
        self._setup_lock = threading.Lock()
        self.operations = 0
        self._count_lock = threading.Lock()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def cancel(self) -> None:
        """Start no new operation and ask the running ones to stop gracefully."""
        self._cancel.set()
        if self._command_instance is not None:
            self._command_instance.interrupt()

    def _workspace_options(
        self, work_dir: Path, backend_url: str, env: Mapping[str, str], secrets_provider: str
    ) -> auto.LocalWorkspaceOptions:
        work_dir.mkdir(parents=True, exist_ok=True)
        return auto.LocalWorkspaceOptions(
            work_dir=str(work_dir),
            env_vars=dict(env),
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
        self, engine_run: bool = True, refresh: bool = False, after_cancel: bool = False
    ) -> Any:
        """One CLI interaction; `engine_run` when it runs the deployment engine.

        Once the run is cancelled nothing new starts, except what `after_cancel` allows:
        writing a stack's record, so the next run knows the interrupted stack needs a retry.
        """
        if self._cancel.is_set() and not after_cancel:
            raise NotStarted("not started: the run was cancelled")
        if engine_run:
            with self._count_lock:
                self.operations += 1
        steps, diagnostics, on_event = _steps_recorder(refresh)
        try:
            yield steps, on_event
        except EngineError:
            raise
        except Exception as error:
            raise _translate(error, diagnostics, self._cancel.is_set()) from error

    def _command(self) -> _TrackedCommand:
        """The CLI runner, made on first use: a run with nothing to do starts no process."""
        with self._setup_lock:
            if self._command_instance is None:
                root = str(self._settings.pulumi_binary.parent.parent)
                self._command_instance = _TrackedCommand(root=root)
            return self._command_instance

    def _stack(self, tenant: str, program: Callable[[], None] | None, create: bool) -> auto.Stack:
        noop: Callable[[], None] = program or (lambda: None)
        cached = self._selected.get(tenant)
        if cached is not None:
            cached.workspace.program = noop
            return cached
        stack = self._open_stack(tenant, noop, create)
        self._selected[tenant] = stack
        return stack

    def _open_stack(self, tenant: str, noop: Callable[[], None], create: bool) -> auto.Stack:
        settings = self._settings
        opts = self._workspace_options(
            settings.workspaces / tenant,
            settings.backend_url,
            settings.env,
            settings.secrets_provider,
        )
        if create:
            return auto.create_or_select_stack(
                stack_name=tenant,
                project_name=self._settings.pulumi_project,
                program=noop,
                opts=opts,
            )
        return auto.select_stack(
            stack_name=tenant, project_name=self._settings.pulumi_project, program=noop, opts=opts
        )

    def preview(self, tenant: str, program: Callable[[], None], exists: bool) -> StackRun:
        """What `up` would do. A tenant without a stack is previewed in a scratch backend,
        so a pull request's preview never creates stacks in the real one."""
        with self._operation() as (steps, on_event):
            if exists:
                stack = self._stack(tenant, program, create=False)
                stack.preview(on_event=on_event, color="never")
                return StackRun(steps=tuple(steps))
            with tempfile.TemporaryDirectory(prefix="reconciler-preview-") as scratch:
                env = {**self._settings.env, "PULUMI_CONFIG_PASSPHRASE": secrets.token_hex(16)}
                env.pop("PULUMI_CONFIG_PASSPHRASE_FILE", None)
                opts = self._workspace_options(
                    Path(scratch) / "workspace", "file://" + scratch, env, "passphrase"
                )
                stack = auto.create_stack(
                    stack_name=tenant,
                    project_name=self._settings.pulumi_project,
                    program=program,
                    opts=opts,
                )
                stack.preview(on_event=on_event, color="never")
                return StackRun(steps=tuple(steps))

    def up(self, tenant: str, program: Callable[[], None], refresh: bool = False) -> StackRun:
        """Deploy the program; with `refresh`, read the cloud first so drift is repaired."""
        with self._operation() as (steps, on_event):
            stack = self._stack(tenant, program, create=True)
            result = stack.up(
                on_event=on_event, color="never", show_secrets=False, refresh=refresh or None
            )
            return StackRun(steps=tuple(steps), outputs=_masked_outputs(result.outputs))

    def drift(self, tenant: str) -> StackRun:
        """Refresh in preview mode: which resources differ from the last deployed state."""
        with self._operation(refresh=True) as (steps, on_event):
            stack = self._stack(tenant, None, create=False)
            stack.preview_refresh(on_event=on_event, color="never")
            return StackRun(steps=tuple(steps))

    def destroy(self, tenant: str) -> StackRun:
        """Destroy every resource of the stack, then remove the stack itself."""
        with self._operation() as (steps, on_event):
            stack = self._stack(tenant, None, create=False)
            stack.destroy(on_event=on_event, color="never", show_secrets=False)
            stack.workspace.remove_stack(tenant)
            self._selected.pop(tenant, None)
            return StackRun(steps=tuple(steps))

    def preview_decommission(self, tenant: str, program: Callable[[], None]) -> StackRun:
        """A decommission: the `up` that lifts protection, then every resource deleted.

        `preview_destroy` cannot be used: it refuses while the resources are protected,
        which they stay until the first half of the decommission has run.
        """
        with self._operation() as (steps, on_event):
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
        with self._operation() as (steps, on_event):
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
        settings = self._settings
        with self._operation(engine_run=False):
            opts = self._workspace_options(
                settings.workspaces / "_inventory",
                settings.backend_url,
                settings.env,
                settings.secrets_provider,
            )
            workspace = auto.LocalWorkspace(**vars(opts))
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

    def record(self, tenant: str, record: StackRecord) -> None:
        """Write the reconciler's record on the stack (one tag, one CLI call)."""
        with self._operation(engine_run=False, after_cancel=True):
            self._stack(tenant, None, create=False).set_tag(STATUS_TAG, record.encode())
