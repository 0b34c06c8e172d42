"""The platform stack on the Automation API: preview and up of one inline program.

Apart from every tenant stack: its own Pulumi project, its own backend (the admin's choice;
the state bucket it creates cannot hold its own first state) and a passphrase secrets
provider, because it holds no secret value. One stack, run by a person, so the SDK's
ordinary `Stack.preview`/`Stack.up` serve (the process economies of `adapter.py` matter for
a fleet, not here). Failures come back as the engine port's errors: `NoAccess` for
credentials and permissions, `PermanentError` for the rest, with the engine's own lines.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pulumi import automation as auto
from pulumi.automation.errors import CommandError
from pulumi.automation.events import EngineEvent, OpType

from reconciler.engine.port import NoAccess, PermanentError, Program
from reconciler.report.results import ResourceStep, StackRun

_SKIPPED_TYPES = ("pulumi:pulumi:Stack",)
# Google's and the gs:// backend's ways of saying "no credentials" or "refused"
# (golang.org/x/oauth2/google; Google APIs' 403 PERMISSION_DENIED).
_NO_ACCESS = (
    "could not find default credentials",
    "oauth2: cannot fetch token",
    "permission_denied",
    "permission denied",
    "googleapi: error 403",
)


@dataclass(frozen=True)
class PlatformStackSettings:
    """Where the platform stack lives and how to run the CLI."""

    project: str
    """Its Pulumi project."""
    stack: str
    backend_url: str
    work_dir: Path
    pulumi_binary: Path
    """`<root>/bin/pulumi`."""
    env: Mapping[str, str]


class PlatformStack:
    """`preview` and `up` of the platform program; each returns its resource steps."""

    def __init__(self, settings: PlatformStackSettings) -> None:
        self._settings = settings

    def preview(self, program: Program) -> StackRun:
        steps, errors, on_event = _recorder()
        stack = self._stack(program)
        try:
            stack.preview(on_event=on_event, color="never")
        except CommandError as error:
            raise _translated(error, errors) from None
        return StackRun(steps=tuple(steps))

    def up(self, program: Program) -> StackRun:
        steps, errors, on_event = _recorder()
        stack = self._stack(program)
        try:
            result = stack.up(on_event=on_event, color="never")
        except CommandError as error:
            raise _translated(error, errors) from None
        outputs = {k: "[secret]" if v.secret else v.value for k, v in result.outputs.items()}
        return StackRun(steps=tuple(steps), outputs=outputs)

    def _stack(self, program: Program) -> auto.Stack:
        settings = self._settings
        settings.work_dir.mkdir(parents=True, exist_ok=True)
        options = auto.LocalWorkspaceOptions(
            work_dir=str(settings.work_dir),
            env_vars={**settings.env, "PULUMI_BACKEND_URL": settings.backend_url},
            secrets_provider="passphrase",
            pulumi_command=auto.PulumiCommand(root=str(settings.pulumi_binary.parent.parent)),
            project_settings=auto.ProjectSettings(
                name=settings.project,
                runtime="python",
                backend=auto.ProjectBackend(url=settings.backend_url),
            ),
        )
        try:
            return auto.create_or_select_stack(
                stack_name=settings.stack,
                project_name=settings.project,
                program=program,
                opts=options,
            )
        except CommandError as error:
            raise _translated(error, []) from None


def _recorder() -> tuple[list[ResourceStep], list[str], Callable[[EngineEvent], None]]:
    steps: list[ResourceStep] = []
    errors: list[str] = []
    lock = threading.Lock()

    def on_event(event: EngineEvent) -> None:
        pre = event.resource_pre_event
        if pre is not None:
            meta = pre.metadata
            op = meta.op.value if isinstance(meta.op, OpType) else str(meta.op)
            shown = meta.type not in _SKIPPED_TYPES and "pulumi:providers:" not in meta.type
            if op != "same" and shown:
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


def _translated(error: Any, diagnostics: list[str]) -> PermanentError:
    lines = [line.strip() for d in diagnostics for line in d.splitlines() if line.strip()]
    if not lines:
        said = str(error).partition("\n stderr: ")[2]
        lines = [line.strip() for line in said.splitlines() if line.strip().startswith("error:")]
    message = "; ".join(dict.fromkeys(lines[:5])) or str(error).strip().splitlines()[0]
    if any(marker in message.lower() for marker in _NO_ACCESS):
        return NoAccess(
            f"{message}; run with credentials that may set up the project "
            "(`gcloud auth application-default login`; roles: docs/platform-setup.md)"
        )
    return PermanentError(message[:2000])
