"""Act: the only stage with side effects. Runs the planned changes on a bounded worker pool.

The engine comes in through `ActContext` (`context.py`; the command line builds it, tests
pass an in-memory fake). One tenant's failure never stops the others; every change ends as
an `Outcome`. What a worker does for one tenant is `workers.py` (with the retry and
replacement decisions of `policy.py`); this module runs the workers: records are written
beside the next tenant's engine run and always before the run returns, and on
SIGINT/SIGTERM (`signals.py`) no new work starts, running engine operations are cancelled
gracefully (they release their locks), and what completed is still reported.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import replace
from typing import Any

from reconciler.engine.port import Cancelled, DataLossRefused, EngineError, NotStarted
from reconciler.reconcile.context import ActContext, load_program
from reconciler.reconcile.plan import Change
from reconciler.reconcile.signals import cancel_on_signals
from reconciler.reconcile.workers import (
    Blocked,
    Worker,
    apply_one,
    drift_one,
    failed_record,
    preview_one,
    record,
)
from reconciler.report.results import Outcome, StackRun
from reconciler.report.status import Status

__all__ = ["ActContext", "apply", "drift", "load_program", "preview"]

SIGNAL_POLL = 0.1
"""Seconds between the main thread's checks for SIGINT/SIGTERM while workers run."""


def _run_one(worker: Worker, change: Change, ctx: ActContext, label: str) -> Outcome:
    start = time.monotonic()
    if ctx.listener is not None:
        ctx.listener.started(change.tenant, change.action.value)
    try:
        if ctx.engine.cancelled:
            raise NotStarted("not started: the run was cancelled")
        status, reason, run = worker(change, ctx)
    except Blocked as blocked:
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


def _run_all(changes: Sequence[Change], ctx: ActContext, worker: Worker) -> list[Outcome]:
    total = len(changes)
    labels = {c.tenant: f"[{i}/{total}]" for i, c in enumerate(changes, start=1)}
    writes: list[Future[Any]] = []
    with (
        cancel_on_signals(ctx.engine),
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
    """Every change at once, or, with a rollout, wave by wave (`waves.py`)."""
    work, rest = _split(changes)
    if work:
        load_program()
    if ctx.rollout is None:
        done = _run_all(work, replace(ctx, verify=None), apply_one)
    else:
        from reconciler.reconcile.waves import apply_in_waves

        def batch(chosen: Sequence[Change], verified: bool) -> list[Outcome]:
            return _run_all(chosen, ctx if verified else replace(ctx, verify=None), apply_one)

        def mark_failed(change: Change) -> None:
            # Every failure of a wave leaves a record (also one that touched nothing): the
            # other shards wait for it, and the next plan sees the wave halted.
            record(replace(ctx, write_later=None), change, failed_record(change))

        done = apply_in_waves(work, ctx.rollout, batch, ctx.progress, mark_failed)
    return sorted([*done, *rest], key=lambda o: o.tenant)


def preview(changes: Sequence[Change], ctx: ActContext) -> list[Outcome]:
    work, rest = _split(changes)
    if work:
        load_program()
    return sorted([*_run_all(work, ctx, preview_one), *rest], key=lambda o: o.tenant)


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
    return sorted([*_run_all(deployed, ctx, drift_one), *rest], key=lambda o: o.tenant)
