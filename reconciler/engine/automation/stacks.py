"""A tenant's stack, named rather than selected, whose `up` reads its result from events.

Why a subclass of `auto.Stack` that skips `Stack.__init__` (the one place this is decided):

- `Stack.__init__(name, workspace, mode)` runs `pulumi stack select` or `stack init`
  according to `mode`, a `StackInitMode` that `pulumi.automation` does not export (it lives
  in the private `pulumi/automation/_stack.py`, and our architecture test forbids private
  names). No public constructor makes a `Stack` without one of those CLI processes:
  `Stack.create`, `Stack.select` and `Stack.create_or_select` all go through it, and
  return a plain `Stack`, not a subclass. Selecting only makes the stack the workspace's
  current one, and every command a `Stack` runs passes `--stack` anyway, so a missing stack
  is reported by the operation itself (`StackNotFoundError`). Skipping it saves a process
  per stack per run. `__init__` sets `name`, `workspace` and `_mode` (read only by
  `__repr__`, which is overridden here); this class sets the two public ones.
- `Stack.up()` builds its `UpResult` with `self.outputs()` and `self.info()`, three CLI
  reads after the engine ran (`stack output --json`, the same with `--show-secrets`,
  `stack history`). The engine's event stream already carried both; `outputs` and `info`
  are public methods, overridden to answer from it during an `up`. Should an event be
  missing they fall back to the CLI (one masked read, or the SDK's own `info`), so the
  result is never made up.

Nothing else of the SDK is overridden or reached into: its runner (`PulumiCommand.run`)
and every other method are used unchanged. `tests/e2e/test_process_count.py` counts the
processes this saves.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from pulumi import automation as auto
from pulumi.automation.events import EngineEvent

from reconciler.engine.automation.events import UpEvents, masked_outputs, outputs_from_cli


class NamedStack(auto.Stack):
    """An `auto.Stack` that runs no CLI process to exist, and whose `up` reads its result
    from the event stream (see the module docstring for why)."""

    def __init__(self, name: str, workspace: auto.Workspace) -> None:
        # Not `super().__init__()`: that is the `stack select` this class exists to avoid.
        self.name = name
        self.workspace = workspace
        self._events: UpEvents | None = None

    def __repr__(self) -> str:
        return f"NamedStack({self.name!r})"

    def up_from_events(
        self, on_event: Callable[[EngineEvent], None], refresh: bool
    ) -> dict[str, Any]:
        """`up`, then the masked outputs from the event stream (one CLI process)."""
        events = UpEvents()

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
        return masked_outputs(result.outputs)

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
