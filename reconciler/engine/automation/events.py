"""The engine's event stream, read: resource steps, error diagnostics, outputs with every
secret masked.

Pulumi reports what an operation does as `EngineEvent`s (`pulumi/automation/events.py`),
delivered on the SDK's own threads. From them come the steps a `StackRun` lists (and the
progress lines tell as they happen), the diagnostics an error is explained with
(`errors.translate`), and an `up`'s outputs and summary, so no CLI read follows an `up`.
A secret never leaves this module as anything but "[secret]", at any depth.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any

from pulumi import automation as auto
from pulumi.automation.events import EngineEvent, OpType

from reconciler.engine.automation.dynamic_diffs import changed_properties
from reconciler.report.results import ResourceStep

IGNORED_TYPES = ("pulumi:pulumi:Stack",)
"""The stack's own resource: its outputs are read, it is never reported as a step."""
IGNORED_TYPE_PREFIXES = ("pulumi:providers:",)
"""Provider resources: plumbing, not the tenant's resources."""

# How the engine marks a secret in serialized property values, the event stream and
# `pulumi stack export` included: an object whose signature key holds the secret signature
# (pulumi/pulumi sdk/go/common/resource/sig/sig.go: `Key`, `Secret`). Neither carries the
# plaintext (the event stream's `ciphertext` reads "[secret]", an export's is encrypted).
SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
MASK = "[secret]"


def steps_recorder(
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
                or meta.type in IGNORED_TYPES
                or meta.type.startswith(IGNORED_TYPE_PREFIXES)
            ):
                return
            step = ResourceStep(
                op=op,
                type=meta.type,
                name=meta.urn.rsplit("::", 1)[-1],
                diffs=tuple(meta.diffs or ()) or changed_properties(meta, refresh),
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


def masked_outputs(outputs: Mapping[str, auto.OutputValue]) -> dict[str, Any]:
    return {key: MASK if out.secret else out.value for key, out in outputs.items()}


def is_secret(value: Any) -> bool:
    return isinstance(value, dict) and value.get(SIG_KEY) == SECRET_SIG


def mask(value: Any) -> Any:
    """A serialized value with every secret, at any depth, as "[secret]"."""
    if is_secret(value):
        return MASK
    if isinstance(value, dict):
        return {key: mask(item) for key, item in value.items()}
    if isinstance(value, list):
        return [mask(item) for item in value]
    return value


def outputs_from_event(outputs: Mapping[str, Any] | None) -> dict[str, auto.OutputValue]:
    """The stack resource's outputs as the SDK's `OutputMap`, secrets masked, none decrypted."""
    return {
        key: auto.OutputValue(value=mask(value), secret=is_secret(value))
        for key, value in (outputs or {}).items()
    }


def outputs_from_cli(masked: Mapping[str, Any]) -> dict[str, auto.OutputValue]:
    """`pulumi stack output --json` without `--show-secrets`: secrets read "[secret]"."""
    return {
        key: auto.OutputValue(value=value, secret=value == MASK) for key, value in masked.items()
    }


class UpEvents:
    """What an `up` reports through its event stream: the stack's outputs and the summary.

    The SDK delivers events on its own threads; `wait` bounds how long the reader waits for
    the summary after the CLI exited (it normally has arrived already)."""

    def __init__(self) -> None:
        self.outputs: dict[str, auto.OutputValue] | None = None
        self.changes: auto.OpMap = {}
        self._done = threading.Event()

    def on_event(self, event: EngineEvent) -> None:
        out = event.res_outputs_event
        if out is not None and out.metadata.type in IGNORED_TYPES and out.metadata.new:
            self.outputs = outputs_from_event(out.metadata.new.outputs)
        if event.summary_event is not None:
            self.changes = event.summary_event.resource_changes
            self._done.set()

    def complete(self, wait: float = 5.0) -> bool:
        """Whether the summary and the stack's outputs both arrived."""
        return self._done.wait(wait) and self.outputs is not None
