"""Act: the only stage with side effects. Runs the planned changes on a bounded worker pool.

The engine comes in through `ActContext` (commands.py builds it; tests pass an in-memory
fake). One tenant's failure never stops the others; every change ends as an `Outcome`. A
`TemporaryError` (e.g. a stack locked by another run) is retried with backoff within
`retry_wait`, and a lock is never broken by force; a `PermanentError` is never retried.
After every engine run that may have touched a stack, its record is written: beside the
next tenant's engine run (a record is a CLI process of its own), and always before the run
returns. On
SIGINT/SIGTERM no new work starts, running engine operations are cancelled gracefully (they
release their locks), and what completed is still reported.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, replace
from types import FrameType
from typing import TYPE_CHECKING, Any, Protocol

from reconciler.engine.backend.records import StackRecord, versions_from_outputs
from reconciler.engine.port import (
    DEFAULT_RETRY_WAIT,
    Cancelled,
    DataLossRefused,
    Engine,
    EngineError,
    NotStarted,
    PermanentError,
    Program,
    StackLocked,
    TemporaryError,
)
from reconciler.manifests.platform import Platform
from reconciler.reconcile.plan import Action, Change
from reconciler.report.results import Outcome, ResourceStep, StackRun
from reconciler.report.status import EXIT_INTERRUPTED, Status

if TYPE_CHECKING:
    from reconciler.reconcile.waves import RolloutRun

MAX_RETRY_DELAY = 30.0
"""The longest pause between two tries."""

SIGNAL_POLL = 0.1
"""Seconds between the main thread's checks for SIGINT/SIGTERM while workers run."""


def tenant_program(change: Change, environ: Mapping[str, str], platform: Platform) -> Program:
    """The tenant's inline program, with its secrets resolved before any engine starts."""
    from reconciler.program.secrets import resolve_secrets
    from reconciler.program.tenant import tenant_program as program

    assert change.desired is not None
    tenant = change.desired.tenant
    if tenant.source.is_absolute() and tenant.source.is_relative_to(platform.root):
        # Messages name files relative to the repository root, like validate's.
        tenant = replace(tenant, source=tenant.source.relative_to(platform.root))
    return program(tenant, platform, change.desired.fingerprint, resolve_secrets(tenant, environ))


def load_program() -> None:
    """Import the program once, in this thread, before the worker threads start."""
    from reconciler.program.tenant import preload

    preload()


class RunListener(Protocol):
    """Told when each tenant's work starts and ends (progress lines, `report/console.py`)."""

    def started(self, tenant: str, action: str) -> None: ...

    def finished(self, outcome: Outcome) -> None: ...


@dataclass(frozen=True)
class ActContext:
    """What every worker needs; one per run."""

    engine: Engine
    platform: Platform
    environ: Mapping[str, str]
    parallel: int
    progress: Callable[[str], None]
    allow_replace: frozenset[str] = frozenset()
    retry_wait: float = DEFAULT_RETRY_WAIT
    """How long to keep retrying a temporary failure (a locked stack)."""
    refresh: bool = False
    """Refresh from the cloud before each update (repairs drift)."""
    program: Callable[[Change, Mapping[str, str], Platform], Program] = tenant_program
    """Builds a tenant's program (tests pass a stand-in)."""
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    listener: RunListener | None = None
    """Told of each tenant's start and end; without one, `progress` gets an end line."""
    write_later: Callable[[Callable[[], None]], None] | None = None
    """Runs a record write off the worker (`_run_all` sets it); None writes at once."""
    verify: Callable[[Change, StackRun], None] | None = None
    """Checks a rollout wave's tenant after its up, before its record (reconcile/verify.py)."""
    rollout: RolloutRun | None = None
    """Go wave by wave (reconcile/waves.py); None: every change at once."""


class _Blocked(Exception):
    """The change needs an explicit approval this run does not carry."""


class _PreviewFailed(PermanentError):
    """apply's safety preview failed: nothing was changed, so nothing is recorded."""


def _program_for(change: Change, ctx: ActContext) -> Program:
    return ctx.program(change, ctx.environ, ctx.platform)


def _with_retry(ctx: ActContext, operation: Callable[[], StackRun]) -> StackRun:
    """Run `operation`, retrying a `TemporaryError` with backoff until `retry_wait` is spent."""
    deadline = ctx.clock() + ctx.retry_wait
    delay: float | None = None
    while True:
        try:
            return operation()
        except TemporaryError as temporary:
            # The engine's suggested wait first, then doubling, up to MAX_RETRY_DELAY.
            delay = temporary.delay if delay is None else min(delay * 2, MAX_RETRY_DELAY)
            if ctx.clock() + delay > deadline or ctx.engine.cancelled:
                raise
            ctx.sleep(delay)


def _describe_losses(losing: Sequence[ResourceStep]) -> str:
    return ", ".join(
        f"{s.op} of {s.name} (changed: {', '.join(s.replace_keys) or '-'})" for s in losing
    )


def replacements_to_release(run: StackRun) -> tuple[ResourceStep, ...]:
    """The resources an approved replacement must release, one step per resource.

    Every resource the preview replaces or deletes (a protected dependant such as the MFA
    config is replaced with its identity tenant), with the union of its replace keys.
    """
    keys: dict[str, tuple[str, str, list[str]]] = {}
    for step in run.steps:
        if not (step.is_replace or step.op == "delete"):
            continue
        _op, type_, seen = keys.setdefault(step.name, (step.op, step.type, []))
        if step.op == "replace":
            keys[step.name] = ("replace", type_, seen)
        seen.extend(k for k in step.replace_keys if k not in seen)
    return tuple(
        ResourceStep(op, type_, name, replace_keys=tuple(found))
        for name, (op, type_, found) in sorted(keys.items())
    )


def replacement_decision(change: Change, run: StackRun, allow_replace: frozenset[str]) -> str:
    """What to do with a previewed change: "go", "blocked" or "approved" (pure)."""
    if not any(step.loses_state for step in run.steps):
        return "go"
    return "approved" if change.tenant in allow_replace else "blocked"


def _blocked_message(change: Change, run: StackRun) -> str:
    losing = [step for step in run.steps if step.loses_state]
    return (
        f"would {_describe_losses(losing)}: its users or data would be lost; "
        f"if that is intended, apply with --allow-replace {change.tenant}"
    )


def _check_replacements(change: Change, run: StackRun, ctx: ActContext) -> None:
    if replacement_decision(change, run, ctx.allow_replace) == "blocked":
        raise _Blocked(_blocked_message(change, run))


def _apply_one(change: Change, ctx: ActContext) -> tuple[Status, str, StackRun]:
    try:
        return _apply_change(change, ctx)
    except (NotStarted, StackLocked, _PreviewFailed):
        raise  # the stack was not touched
    except EngineError:
        # Failed or interrupted half-way: mark the stack for a retry.
        _record(ctx, change, failed_record(change))
        raise


def failed_record(change: Change) -> StackRecord:
    """The record of a failed run: the last good fingerprint, program and secret versions
    kept (plan compares against them), protected if it was or is meant to be."""
    deployed, desired = change.deployed, change.desired
    last = deployed.record if deployed else StackRecord(None, None, False)
    return replace(
        last,
        result="failed",
        protected=_was_protected(change) or (desired is not None and desired.protected),
    )


def _safety_preview(change: Change, program: Program, ctx: ActContext) -> StackRun:
    """apply's look before leaping; its failure changed nothing and is not recorded."""
    try:
        return _with_retry(ctx, lambda: ctx.engine.preview(change.tenant, program, True))
    except (NotStarted, StackLocked):
        raise
    except Cancelled as cancelled:
        raise NotStarted(cancelled.message) from cancelled
    except EngineError as error:
        raise _PreviewFailed(f"the safety preview failed: {error.message}") from error


def _decommission(change: Change, ctx: ActContext) -> tuple[Status, str, StackRun]:
    engine = ctx.engine
    program = _program_for(change, ctx)
    # Lift protection (and the provider's deletion policy) first, then destroy.
    _with_retry(ctx, lambda: engine.up(change.tenant, program))
    reason = "destroyed and its stack removed"
    if change.tenant in ctx.allow_replace:
        # Approved: the bucket may be deleted with whatever it holds (force_destroy).
        data = (ResourceStep("delete", "gcp:storage/bucket:Bucket", _bucket_resource(change)),)
        _with_retry(ctx, lambda: engine.release(change.tenant, program, data))
        reason += "; its bucket was deleted with any objects it held (--allow-replace)"
    run = _with_retry(ctx, lambda: engine.destroy(change.tenant))
    return Status.SUCCEEDED, reason, run


def _bucket_resource(change: Change) -> str:
    from reconciler.names import bucket_resource_name

    return bucket_resource_name(change.tenant)


def _apply_change(change: Change, ctx: ActContext) -> tuple[Status, str, StackRun]:
    engine = ctx.engine
    if change.action is Action.DELETE:
        if change.decommission:
            return _decommission(change, ctx)
        run = _with_retry(ctx, lambda: engine.destroy(change.tenant))
        return Status.SUCCEEDED, "destroyed and its stack removed", run
    desired = change.desired
    assert desired is not None
    program = _program_for(change, ctx)
    deployed = change.deployed
    reason = change.reason
    if deployed is not None and deployed.record.shape != desired.shape:
        # A stateful resource (users, data) could be replaced: look before leaping.
        preview = _safety_preview(change, program, ctx)
        decision = replacement_decision(change, preview, ctx.allow_replace)
        if decision == "blocked":
            raise _Blocked(_blocked_message(change, preview))
        if decision == "approved":
            # Lift protection from exactly those resources, then the plain program
            # replaces them and puts protection back.
            release = replacements_to_release(preview)
            _with_retry(ctx, lambda: engine.release(change.tenant, program, release))
            lost = [step for step in preview.steps if step.loses_state]
            reason = (
                f"{reason}; approved with --allow-replace, LOST: {_describe_losses(lost)} "
                f"(users of a replaced identity tenant, objects of a replaced bucket)"
            )
    exists = deployed is not None
    run = _with_retry(ctx, lambda: engine.up(change.tenant, program, ctx.refresh, exists))
    if ctx.verify is not None:
        ctx.verify(change, run)  # a failed check records the tenant as failed, like an up
    versions = versions_from_outputs(run.outputs)
    record = StackRecord(
        desired.fingerprint,
        "succeeded",
        desired.protected,
        desired.shape,
        display_name=desired.tenant.display_name,
        secret_versions=versions or (),
        versions_unrecorded=versions is None,
        program=desired.program or None,
    )
    _record(ctx, change, record)
    return Status.SUCCEEDED, reason, run


def _was_protected(change: Change) -> bool:
    return change.deployed is not None and change.deployed.record.protected


def _record(ctx: ActContext, change: Change, record: StackRecord) -> None:
    def write() -> None:
        try:
            ctx.engine.record(change.tenant, record)
        except EngineError as error:
            # The next run sees no fresh record and retries the tenant: safe, just slower.
            ctx.progress(f"{change.tenant}: could not record the result: {error.message}")

    if ctx.write_later is None:
        write()
    else:
        ctx.write_later(write)


def _preview_one(change: Change, ctx: ActContext) -> tuple[Status, str, StackRun]:
    engine = ctx.engine
    if change.action is Action.DELETE:
        if change.decommission:
            run = engine.preview_decommission(change.tenant, _program_for(change, ctx))
        else:
            run = engine.preview_destroy(change.tenant)
        return Status.PLANNED, change.reason, run
    program = _program_for(change, ctx)
    run = engine.preview(change.tenant, program, change.deployed is not None)
    if change.deployed is not None:
        _check_replacements(change, run, ctx)
    return Status.PLANNED, change.reason, run


def _drift_one(change: Change, ctx: ActContext) -> tuple[Status, str, StackRun]:
    run = ctx.engine.drift(change.tenant)
    if run.steps:
        return Status.DRIFTED, f"{len(run.steps)} resource(s) changed outside git", run
    return Status.IN_SYNC, "no drift", run


Worker = Callable[[Change, ActContext], tuple[Status, str, StackRun]]


def _run_one(worker: Worker, change: Change, ctx: ActContext, label: str) -> Outcome:
    start = time.monotonic()
    if ctx.listener is not None:
        ctx.listener.started(change.tenant, change.action.value)
    try:
        if ctx.engine.cancelled:
            raise NotStarted("not started: the run was cancelled")
        status, reason, run = worker(change, ctx)
    except _Blocked as blocked:
        status, reason, run = Status.BLOCKED, str(blocked), StackRun()
    except DataLossRefused as refused:
        status, reason, run = Status.BLOCKED, _data_loss_hint(change, refused), StackRun()
    except Cancelled as cancelled:
        status, reason, run = Status.CANCELLED, cancelled.message, StackRun()
    except EngineError as error:
        status, reason, run = Status.FAILED, error.message, StackRun()
    except Exception as error:  # e.g. a missing secret: this tenant fails, the others go on
        status, reason, run = Status.FAILED, str(error) or type(error).__name__, StackRun()
    seconds = round(time.monotonic() - start, 2)
    outcome = Outcome(
        tenant=change.tenant,
        action=change.action.value,
        status=status,
        reason=reason,
        steps=run.steps,
        outputs=run.outputs,
        seconds=seconds,
    )
    if ctx.listener is not None:
        ctx.listener.finished(outcome)
    else:
        ctx.progress(
            f"{label} {change.tenant}: {change.action.value} -> {status} ({seconds:.1f}s)"
            + (f": {reason}" if status in (Status.FAILED, Status.BLOCKED, Status.CANCELLED) else "")
        )
    return outcome


def _data_loss_hint(change: Change, refused: DataLossRefused) -> str:
    return (
        f"{refused.message}: the tenant's bucket still holds objects. Export or empty it "
        f"first (see docs/operations.md, 'Decommissioning a tenant that holds data'), or "
        f"apply with --allow-replace {change.tenant} to delete them with the bucket"
    )


def _from_our_terminal(signum: int) -> bool:
    """A Ctrl-C typed in our terminal: it reached the engine's processes (our process group)
    as well, and a second SIGINT would make them quit without releasing their locks."""
    if signum != signal.SIGINT:
        return False
    try:
        return os.tcgetpgrp(sys.stdin.fileno()) == os.getpgrp()
    except (OSError, ValueError):
        return False  # no terminal: the signal was sent to us alone


@contextmanager
def _cancel_on_signals(engine: Engine) -> Iterator[None]:
    """SIGINT/SIGTERM: stop starting work and cancel running operations gracefully."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    received: list[int] = []

    def handler(signum: int, _frame: FrameType | None) -> None:
        received.append(signum)
        if len(received) > 1:
            # A second signal: the user or the runner will not wait. Leave at once and
            # quietly (no interpreter shutdown racing the SDK's threads, so no "Exception
            # ignored" tracebacks); each CLI already got its one SIGINT and releases its
            # lock on its own.
            os.write(2, b"reconciler: second signal: exiting now, without a report\n")
            os._exit(EXIT_INTERRUPTED)
        engine.cancel(interrupt_running=not _from_our_terminal(signum))

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def _run_all(changes: Sequence[Change], ctx: ActContext, worker: Worker) -> list[Outcome]:
    total = len(changes)
    labels = {c.tenant: f"[{i}/{total}]" for i, c in enumerate(changes, start=1)}
    writes: list[Future[Any]] = []
    with (
        _cancel_on_signals(ctx.engine),
        ThreadPoolExecutor(ctx.parallel, thread_name_prefix="record") as writer,
        ThreadPoolExecutor(ctx.parallel, thread_name_prefix="tenant") as pool,
    ):
        # A record is its own CLI process (~0.1 s): written beside the next tenant's engine
        # run instead of before it starts (#15). A cancel does not stop it (the engine lets a
        # record start after a cancel), and the run waits for every one before it reports.
        ctx = replace(ctx, write_later=lambda write: writes.append(writer.submit(write)))
        futures: list[Future[Any]] = [
            pool.submit(_run_one, worker, c, ctx, labels[c.tenant]) for c in changes
        ]
        # Wake up often: Python runs signal handlers in the main thread only, between
        # bytecodes, and a signal the kernel hands to a worker thread would otherwise wait
        # for the next tenant to finish (letting more work start after a SIGTERM). Once
        # every tenant is done, `writes` holds every record write there will be.
        while wait([*futures, *writes], timeout=SIGNAL_POLL)[1]:
            pass
        for write in writes:
            write.result()  # raises only on a bug: `write` reports engine errors itself
        return [future.result() for future in futures]


def _split(changes: Sequence[Change]) -> tuple[list[Change], list[Outcome]]:
    work = [c for c in changes if c.action.runs_engine]
    rest = [c.outcome() for c in changes if not c.action.runs_engine]
    return work, rest


def apply(changes: Sequence[Change], ctx: ActContext) -> list[Outcome]:
    work, rest = _split(changes)
    if work:
        load_program()
    if ctx.rollout is None:
        done = _run_all(work, replace(ctx, verify=None), _apply_one)
    else:
        from reconciler.reconcile.waves import apply_in_waves

        def batch(chosen: Sequence[Change], verified: bool) -> list[Outcome]:
            return _run_all(chosen, ctx if verified else replace(ctx, verify=None), _apply_one)

        def mark_failed(change: Change) -> None:
            # Every failure of a wave leaves a record (also one that touched nothing): the
            # other shards wait for it, and the next plan sees the wave halted.
            _record(replace(ctx, write_later=None), change, failed_record(change))

        done = apply_in_waves(work, ctx.rollout, batch, ctx.progress, mark_failed)
    return sorted([*done, *rest], key=lambda o: o.tenant)


def preview(changes: Sequence[Change], ctx: ActContext) -> list[Outcome]:
    work, rest = _split(changes)
    if work:
        load_program()
    return sorted([*_run_all(work, ctx, _preview_one), *rest], key=lambda o: o.tenant)


def drift(changes: Sequence[Change], ctx: ActContext) -> list[Outcome]:
    """Refresh-preview every selected tenant that has a stack."""
    deployed = [c for c in changes if c.deployed is not None]
    rest = [
        Outcome(
            tenant=c.tenant,
            action=c.action.value,
            status=Status.PLANNED,
            reason="no stack deployed yet",
        )
        for c in changes
        if c.deployed is None
    ]
    return sorted([*_run_all(deployed, ctx, _drift_one), *rest], key=lambda o: o.tenant)
