"""Act's workers: one tenant's apply, preview or drift check against the engine.

Each runs in a thread of act's pool and returns (status, reason, run) or raises: `Blocked`
when the change needs an approval the run does not carry, an `EngineError` otherwise. A
`TemporaryError` (a stack locked by another run) is retried with backoff within the run's
`retry_wait` (`with_retry`); a lock is never broken by force, and a `PermanentError` is
never retried. After every engine run that may have touched a stack, its record is written
(through `ActContext.write_later`, beside the next tenant's engine run). Before an `up` that
could replace a stateful resource, a safety preview runs and `policy.replacement_decision`
decides.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TypeVar

from reconciler.engine.backend.records import StackRecord, versions_from_outputs
from reconciler.engine.port import (
    Cancelled,
    EngineError,
    NotStarted,
    PermanentError,
    Program,
    StackLocked,
    TemporaryError,
)
from reconciler.reconcile.context import ActContext, program_for, reads_no_secret
from reconciler.reconcile.pending import (
    InterruptedCreate,
    describe,
    plan_recovery,
    refusal_message,
)
from reconciler.reconcile.plan import Action, Change
from reconciler.reconcile.policy import (
    blocked_message,
    describe_losses,
    replacement_decision,
    replacements_to_release,
    retry_allowed,
    retry_delay,
)
from reconciler.report.results import ResourceStep, StackRun
from reconciler.report.status import Status


class Blocked(Exception):
    """The change needs an explicit approval this run does not carry."""


class _PreviewFailed(PermanentError):
    """apply's safety preview failed: nothing was changed, so nothing is recorded."""


T = TypeVar("T")


def with_retry(ctx: ActContext, operation: Callable[[], T]) -> T:
    """Run `operation`, retrying a `TemporaryError` with backoff until `retry_wait` is spent."""
    deadline = ctx.clock() + ctx.retry_wait
    delay: float | None = None
    while True:
        try:
            return operation()
        except TemporaryError as temporary:
            delay = retry_delay(delay, temporary.delay)
            if not retry_allowed(ctx.clock(), delay, deadline, ctx.engine.cancelled):
                raise
            ctx.sleep(delay)


def _check_replacements(change: Change, run: StackRun, ctx: ActContext) -> None:
    if replacement_decision(change, run, ctx.allow_replace) == "blocked":
        raise Blocked(blocked_message(change, run))


def apply_one(change: Change, ctx: ActContext) -> tuple[Status, str, StackRun]:
    try:
        return _apply_change(change, ctx)
    except (NotStarted, StackLocked, _PreviewFailed):
        raise  # the stack was not touched
    except EngineError:
        # Failed or interrupted half-way: mark the stack for a retry.
        record(ctx, change, failed_record(change))
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
        return with_retry(ctx, lambda: ctx.engine.preview(change.tenant, program, True))
    except (NotStarted, StackLocked):
        raise
    except Cancelled as cancelled:
        raise NotStarted(cancelled.message) from cancelled
    except EngineError as error:
        raise _PreviewFailed(f"the safety preview failed: {error.message}") from error


def _decommission(change: Change, ctx: ActContext) -> tuple[Status, str, StackRun]:
    engine = ctx.engine
    program = program_for(change, ctx)
    # Lift protection (and the provider's deletion policy) first, then destroy.
    with_retry(ctx, lambda: engine.up(change.tenant, program))
    reason = "destroyed and its stack removed"
    if change.tenant in ctx.allow_replace:
        # Approved: the bucket may be deleted with whatever it holds (force_destroy).
        data = (ResourceStep("delete", "gcp:storage/bucket:Bucket", _bucket_resource(change)),)
        with_retry(ctx, lambda: engine.release(change.tenant, program, data))
        reason += "; its bucket was deleted with any objects it held (--allow-replace)"
    run = with_retry(ctx, lambda: engine.destroy(change.tenant))
    return Status.SUCCEEDED, reason, run


def _bucket_resource(change: Change) -> str:
    from reconciler.names import bucket_resource_name

    return bucket_resource_name(change.tenant)


def _apply_change(change: Change, ctx: ActContext) -> tuple[Status, str, StackRun]:
    engine = ctx.engine
    if change.action is Action.DELETE:
        # A create the killed run left pending is not in state, so a destroy would leave its
        # object behind (and a later tenant of the same name would hit 409): adopt it first.
        recovered = recover_interrupted(change, ctx)
        status, reason, run = (
            _decommission(change, ctx)
            if change.decommission
            else (
                Status.SUCCEEDED,
                "destroyed and its stack removed",
                with_retry(ctx, lambda: engine.destroy(change.tenant)),
            )
        )
        return status, f"{reason}; {recovered}" if recovered else reason, run
    desired = change.desired
    assert desired is not None
    program = program_for(change, ctx)
    deployed = change.deployed
    reason = change.reason
    if deployed is not None and deployed.record.shape != desired.shape:
        # A stateful resource (users, data) could be replaced: look before leaping.
        preview = _safety_preview(change, program, ctx)
        decision = replacement_decision(change, preview, ctx.allow_replace)
        if decision == "blocked":
            raise Blocked(blocked_message(change, preview))
        if decision == "approved":
            # Lift protection from exactly those resources, then the plain program
            # replaces them and puts protection back.
            release = replacements_to_release(preview)
            with_retry(ctx, lambda: engine.release(change.tenant, program, release))
            lost = [step for step in preview.steps if step.loses_state]
            reason = (
                f"{reason}; approved with --allow-replace, LOST: {describe_losses(lost)} "
                f"(users of a replaced identity tenant, objects of a replaced bucket)"
            )
    exists = deployed is not None
    if exists:
        recovered = recover_interrupted(change, ctx)
        reason = f"{reason}; {recovered}" if recovered else reason
    run = with_retry(ctx, lambda: engine.up(change.tenant, program, ctx.refresh, exists))
    if ctx.verify is not None:
        ctx.verify(change, run)  # a failed check records the tenant as failed, like an up
    versions = versions_from_outputs(run.outputs)
    applied = StackRecord(
        desired.fingerprint,
        "succeeded",
        desired.protected,
        desired.shape,
        display_name=desired.tenant.display_name,
        secret_versions=versions or (),
        versions_unrecorded=versions is None,
        program=desired.program or None,
    )
    record(ctx, change, applied)
    return Status.SUCCEEDED, reason, run


def recover_interrupted(change: Change, ctx: ActContext) -> str:
    """Resolve what a killed run left pending in the stack (`pending.py` decides) before the
    `up`, which would otherwise create an interrupted create's object again (409), or the
    destroy, which would otherwise leave it behind; what was done, or "" when nothing was
    pending."""
    tenant, platform = change.tenant, ctx.platform
    operations = with_retry(ctx, lambda: ctx.engine.pending_operations(tenant))
    if not operations:
        return ""
    plan = plan_recovery(operations, platform.gcp_project)
    if plan.refused:
        raise InterruptedCreate(
            "; ".join(
                refusal_message(d, tenant, platform.pulumi_project, platform.gcp_project)
                for d in plan.refused
            )
        )
    held = with_retry(ctx, lambda: ctx.engine.recover_pending(tenant, plan.imports))
    return describe(plan, held)


def _was_protected(change: Change) -> bool:
    return change.deployed is not None and change.deployed.record.protected


def record(ctx: ActContext, change: Change, written: StackRecord) -> None:
    """Write the tenant's record (beside the next engine run when act's pool says so)."""

    def write() -> None:
        try:
            ctx.engine.record(change.tenant, written)
        except EngineError as error:
            # The next run sees no fresh record and retries the tenant: safe, just slower.
            ctx.progress(f"{change.tenant}: could not record the result: {error.message}")

    if ctx.write_later is None:
        write()
    else:
        ctx.write_later(write)


def preview_one(change: Change, ctx: ActContext) -> tuple[Status, str, StackRun]:
    """The preview stage's preview: on a copy of the state when the run reads no secret
    (`reads_no_secret`), else on the stack itself (apply's safety preview always is)."""
    engine, snapshot = ctx.engine, reads_no_secret(ctx.settings)
    if change.action is Action.DELETE:
        if change.decommission:
            program = program_for(change, ctx)
            run = engine.preview_decommission(change.tenant, program, snapshot)
        else:
            run = engine.preview_destroy(change.tenant, snapshot)
        return Status.PLANNED, change.reason, run
    program = program_for(change, ctx)
    run = engine.preview(change.tenant, program, change.deployed is not None, snapshot)
    if change.deployed is not None:
        _check_replacements(change, run, ctx)
    return Status.PLANNED, change.reason, run


def drift_one(change: Change, ctx: ActContext) -> tuple[Status, str, StackRun]:
    run = ctx.engine.drift(change.tenant)
    if run.steps:
        return Status.DRIFTED, f"{len(run.steps)} resource(s) changed outside git", run
    return Status.IN_SYNC, "no drift", run


Worker = Callable[[Change, ActContext], tuple[Status, str, StackRun]]
