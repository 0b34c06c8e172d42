"""The fleet commands: `plan` (no engine run), then `preview`, `apply` and `drift` (act).

Each observes desired and deployed state (failing closed), plans, selects what the command
line asked for, and hands the selected changes to the act stage with a context built from
the typed options; the report goes to stdout, progress to stderr.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from reconciler.cli import session
from reconciler.cli.options import PlanOptions, SelectOptions, StageOptions
from reconciler.cli.session import CommandFailed, check_validation, err
from reconciler.manifests.platform import Platform
from reconciler.reconcile.plan import (
    Action,
    Change,
    Observed,
    Plan,
    SecretFinding,
    Selection,
    plan_and_select,
)
from reconciler.report.results import Report
from reconciler.report.status import EXIT_CHANGES, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE
from reconciler.settings import Settings

if TYPE_CHECKING:
    from reconciler.engine.backend.state import DeployedStack
    from reconciler.engine.port import Engine
    from reconciler.reconcile.act import ActContext
    from reconciler.report.console import Progress


def planned(
    options: SelectOptions, drift: bool, force: bool, platform: Platform, run: Run
) -> tuple[Plan, tuple[Change, ...]]:
    """Observe desired and deployed state (failing closed), then plan and select
    (`plan_and_select`, with Secret Manager asked about rotations)."""
    from reconciler.reconcile.observe import GitError, changed_tenants, observe_desired

    desired = observe_desired(platform)
    check_validation(desired.validation)
    deployed = session.deployed_stacks(platform, run.engine, run.settings)
    observed = Observed(desired.desired, deployed, platform.max_delete_fraction, now=_now())
    changed = None
    if options.changed_since:
        try:
            changed = changed_tenants(platform.root, options.changed_since)
        except GitError as error:
            err(f"reconciler: {error}")
            raise CommandFailed(EXIT_USAGE) from None
    known = {d.tenant.name for d in desired.desired} | set(deployed)
    unknown = sorted(set(options.tenants) - known)
    if unknown:
        err(f"reconciler: no tenant named {', '.join(unknown)} in tenants/ or the backend")
        raise CommandFailed(EXIT_USAGE)
    selection = Selection(
        tenants=frozenset(options.tenants),
        changed=frozenset(changed) if changed is not None else None,
        actions=frozenset(Action(a) for a in options.actions),
        shard=options.shard,
        drift=drift,
    )

    def rotations(candidates: Sequence[Change]) -> Mapping[str, Sequence[SecretFinding]]:
        # Metadata only; no Pulumi process.
        return _secret_findings(candidates, platform, run.settings)

    return plan_and_select(observed, selection, rotations, force)


def _secret_findings(
    candidates: Sequence[Change], platform: Platform, settings: Settings
) -> Mapping[str, Sequence[SecretFinding]]:
    from reconciler.gcp.secret_manager import SecretVersions
    from reconciler.reconcile.rotation import check

    endpoint = settings.secret_manager_endpoint
    return check(candidates, platform.gcp_project, lambda: SecretVersions(endpoint).latest)


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Run:
    """What planning needs besides the options: the settings and the engine, built on use."""

    settings: Settings
    engine: Callable[[], Engine]


def run_plan(options: PlanOptions, settings: Settings) -> int:
    platform = session.platform_of(options.globals, settings)
    run = Run(settings, session.engine_factory(platform, settings))
    plan, chosen = planned(options.select, False, False, platform, run)
    if options.matrix:
        print(json.dumps(matrix(chosen, options.matrix)))
        return EXIT_OK
    from reconciler.cli.rollout import plan_lines

    outcomes, rollout = plan_lines(platform, plan, chosen)
    report = Report("plan", outcomes, guard=plan.guard, rollout=rollout)
    # Plan lines are planned, unchanged or blocked: only what needs approval fails it.
    return plan_exit(session.emit(report, options.output), report, options.exit_code)


def plan_exit(code: int, report: Report, detailed: bool) -> int:
    """With `--exit-code`, pending changes exit EXIT_CHANGES (a worse code still wins)."""
    pending = any(Action(o.action).runs_engine for o in report.outcomes)
    return EXIT_CHANGES if detailed and code == EXIT_OK and pending else code


def matrix(changes: Sequence[Change], most: int) -> dict[str, object]:
    """A GitHub Actions matrix: one entry per shard of the tenants that need the engine."""
    work = [c for c in changes if c.action.runs_engine]
    shards = max(1, min(most, len(work)))
    return {"shard": [f"{i}/{shards}" for i in range(1, shards + 1)], "tenants": len(work)}


def _context(
    options: StageOptions, platform: Platform, engine: Engine, settings: Settings
) -> ActContext:
    from reconciler.reconcile.act import ActContext

    return ActContext(
        engine=engine,
        platform=platform,
        settings=settings,
        parallel=options.parallel or platform.parallelism,
        progress=err,
        allow_replace=options.allow_replace,
        retry_wait=options.lock_wait,
        refresh=options.refresh,
    )


def run_stage(options: StageOptions, settings: Settings) -> int:
    """`preview`, `apply` or `drift`: plan, select, then act on what was selected."""
    from reconciler.reconcile import act

    platform = session.platform_of(options.globals, settings)
    engine = session.engine_factory(platform, settings)
    run = Run(settings, engine)
    plan, chosen = planned(options.select, options.drift, options.force, platform, run)
    ctx = _context(options, platform, engine(), settings)
    console = _progress(options, chosen, settings)
    ctx = replace(ctx, progress=console.note, listener=console)
    if options.stage == "apply":
        from reconciler.cli.rollout import with_rollout

        def read() -> Mapping[str, DeployedStack]:
            return session.deployed_stacks(platform, engine, settings)

        ctx = with_rollout(options, platform, plan, chosen, ctx, read)
    ctx.engine.listen(console.step)
    try:
        with console.running():
            outcomes = getattr(act, options.stage)(chosen, ctx)
    finally:
        ctx.engine.listen(None)
    report = Report(
        options.stage,
        tuple(outcomes),
        guard=plan.guard,
        engine_operations=ctx.engine.operations,
        engine_attempts=ctx.engine.attempts,
        rollout=ctx.rollout.summary[-1] if ctx.rollout and ctx.rollout.summary else None,
    )
    code = session.emit(report, options.output)
    return _cancelled_outcome(ctx.engine, code)


def _cancelled_outcome(engine: Engine, code: int) -> int:
    """A run stopped by SIGINT/SIGTERM always exits 130, after its report (what finished,
    what was cancelled): one outcome for CI to recognise, whatever the tenants' statuses."""
    if not engine.cancelled:
        return code
    err("reconciler: cancelled on request; the report lists what finished and what did not")
    return EXIT_INTERRUPTED


def _progress(options: StageOptions, chosen: Sequence[Change], settings: Settings) -> Progress:
    """Progress lines on stderr (stdout holds the report); none with --quiet."""
    from reconciler.report.console import stderr_progress

    drift = options.drift
    total = sum(1 for c in chosen if (c.deployed is not None if drift else c.action.runs_engine))
    return stderr_progress(sys.stderr, settings, options.globals.quiet, total)
