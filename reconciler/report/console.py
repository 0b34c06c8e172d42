"""Progress lines while engine operations run: on stderr, never on stdout.

stdout carries the report (text, JSON or Markdown), so a `--format json` run stays one
parseable object; progress goes to stderr, and `--quiet` silences it. What is shown:

- a start line per tenant when its operation begins;
- a heartbeat every `HEARTBEAT_SECONDS` per running tenant: elapsed time and the resource
  steps the engine has reported so far (from its events, through `Engine.listen`);
- an end line per tenant, numbered in completion order (`[3/10]`), with the elapsed time.

Under GitHub Actions each tenant's resource steps are printed in a collapsible
`::group::`/`::endgroup::` block when it ends (groups cannot interleave, and tenants run in
parallel). Colour only on a terminal, and never when `NO_COLOR` is set (no-color.org).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TextIO

from reconciler.report.results import Outcome, ResourceStep
from reconciler.report.status import Status
from reconciler.settings import Settings, default

HEARTBEAT_SECONDS = float(default("RECONCILER_HEARTBEAT"))
"""How often a running tenant says it is still running (CI logs stay alive, people calm);
`RECONCILER_HEARTBEAT` (seconds, `Settings.heartbeat`) overrides it."""

_COLOURS = {
    Status.SUCCEEDED: "32",  # green
    Status.IN_SYNC: "32",
    Status.PLANNED: "36",  # cyan
    Status.UNCHANGED: "2",  # dim
    Status.DRIFTED: "33",  # yellow
    Status.BLOCKED: "33",
    Status.CANCELLED: "33",
    Status.FAILED: "31",  # red
}


@dataclass(frozen=True)
class ConsoleStyle:
    """How progress is written, decided once per run from the stream and the environment."""

    color: bool = False
    github: bool = False
    """Running under GitHub Actions: per-tenant log groups."""
    quiet: bool = False
    """No progress at all (warnings about the run itself still appear)."""


def detect_style(is_tty: bool, settings: Settings, quiet: bool = False) -> ConsoleStyle:
    """Colour only on a terminal that wants it; groups only under GitHub Actions."""
    color = is_tty and settings.colour_allowed
    return ConsoleStyle(color=color, github=settings.github_actions, quiet=quiet)


def step_counts(steps: list[ResourceStep]) -> str:
    """`3 resource steps (2 create, 1 update)`, or `no resource step yet`."""
    if not steps:
        return "no resource step yet"
    totals: dict[str, int] = {}
    for step in steps:
        totals[step.op] = totals.get(step.op, 0) + 1
    detail = ", ".join(f"{n} {op}" for op, n in sorted(totals.items()))
    noun = "step" if len(steps) == 1 else "steps"
    return f"{len(steps)} resource {noun} ({detail})"


@dataclass
class _Running:
    action: str
    started: float
    last_line: float
    steps: list[ResourceStep] = field(default_factory=list)


class Progress:
    """Receives act's start/end events and the engine's resource steps, from any thread."""

    def __init__(
        self,
        style: ConsoleStyle,
        write: Callable[[str], None],
        total: int = 0,
        clock: Callable[[], float] = time.monotonic,
        heartbeat: float = HEARTBEAT_SECONDS,
    ) -> None:
        self.style = style
        self._write = write
        self._total = total
        self._clock = clock
        self._heartbeat = heartbeat
        self._running: dict[str, _Running] = {}
        self._done = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()

    # --- events ---------------------------------------------------------------------

    def note(self, text: str) -> None:
        """A warning about the run (e.g. a record that could not be written): always shown."""
        self._emit(text, force=True)

    def started(self, tenant: str, action: str) -> None:
        now = self._clock()
        with self._lock:
            self._running[tenant] = _Running(action, now, now)
        self._emit(f"{tenant}: {action} started")

    def step(self, tenant: str, step: ResourceStep) -> None:
        """A resource step the engine reported (called from the engine's event threads)."""
        with self._lock:
            running = self._running.get(tenant)
            if running is not None:
                running.steps.append(step)

    def finished(self, outcome: Outcome) -> None:
        with self._lock:
            running = self._running.pop(outcome.tenant, None)
            self._done += 1
            done = self._done
        total = max(self._total, done)
        seconds = outcome.seconds if outcome.seconds is not None else 0.0
        status = self._paint(outcome.status, str(outcome.status))
        line = f"[{done}/{total}] {outcome.tenant}: {outcome.action} -> {status} ({seconds:.1f}s)"
        if outcome.status in (Status.FAILED, Status.BLOCKED, Status.CANCELLED):
            line += f": {outcome.reason}"
        steps = list(outcome.steps) or (running.steps if running else [])
        if self.style.github and steps:
            # One collapsible block per tenant, printed whole: parallel tenants never nest.
            body = [f"    {s.op:<18} {s.type}  {s.name}" for s in steps]
            self._emit("\n".join([f"::group::{line}", *body, "::endgroup::"]))
        else:
            self._emit(line)

    # --- heartbeat ------------------------------------------------------------------

    def beat(self) -> None:
        """Say, for every tenant silent for a heartbeat, how far it got."""
        now = self._clock()
        lines = []
        with self._lock:
            for tenant, running in sorted(self._running.items()):
                if now - running.last_line >= self._heartbeat:
                    running.last_line = now
                    elapsed = now - running.started
                    lines.append(
                        f"{tenant}: {running.action} running for {elapsed:.0f}s, "
                        f"{step_counts(running.steps)}"
                    )
        for line in lines:
            self._emit(line)

    @contextmanager
    def running(self) -> Iterator[Progress]:
        """Beat in a background thread while the block runs."""
        if self.style.quiet:
            yield self
            return
        self._stop.clear()
        ticker = threading.Thread(target=self._tick, name="progress-heartbeat", daemon=True)
        ticker.start()
        try:
            yield self
        finally:
            self._stop.set()
            ticker.join()

    def _tick(self) -> None:
        while not self._stop.wait(min(1.0, self._heartbeat)):
            self.beat()

    # --- output ---------------------------------------------------------------------

    def _paint(self, status: Status, text: str) -> str:
        if not self.style.color:
            return text
        return f"\x1b[{_COLOURS.get(status, '0')}m{text}\x1b[0m"

    def _emit(self, text: str, force: bool = False) -> None:
        if self.style.quiet and not force:
            return
        self._write(text)


def stderr_progress(stream: TextIO, settings: Settings, quiet: bool, total: int) -> Progress:
    """The progress of a command run from a shell or CI: lines on `stream` (stderr)."""
    try:
        is_tty = stream.isatty()
    except (AttributeError, ValueError):
        is_tty = False
    lock = threading.Lock()

    def write(text: str) -> None:
        with lock:
            print(text, file=stream, flush=True)

    style = detect_style(is_tty, settings, quiet)
    return Progress(style, write, total=total, heartbeat=settings.heartbeat)
