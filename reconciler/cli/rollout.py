"""The rollout at the command line: `plan`'s program version and wave per tenant, and
`apply`'s waves (verification, the shards' barrier). `reconciler rollout` is in
`rollout_command.py`.

Everything here is wiring: the decisions are `reconcile/rollout.py` (where a rollout
stands), `reconcile/waves.py` (wave by wave, halting) and `reconcile/verify.py`.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from reconciler.cli.options import SelectOptions, StageOptions

if TYPE_CHECKING:
    from reconciler.engine.backend.state import DeployedStack
    from reconciler.manifests.platform import Platform
    from reconciler.reconcile.act import ActContext
    from reconciler.reconcile.plan import Change, Plan
    from reconciler.reconcile.rollout import RolloutPlan
    from reconciler.report.results import Outcome


def add_apply_arguments(parser: argparse.ArgumentParser) -> None:
    """apply's rollout options."""
    parser.add_argument(
        "--skip-waves",
        action="store_true",
        help="apply the selected tenants ahead of their rollout wave (e.g. --tenant NAME for "
        "an urgent change while a rollout is halted); without it their change waits for "
        "their wave, since applying it runs the new program on them",
    )
    parser.add_argument(
        "--wave-start",
        type=float,
        metavar="EPOCH",
        help="with --shard: when this run's plan was made (seconds since the epoch); after "
        "each wave, every shard waits until the wave's other tenants are recorded after it",
    )


def rollout_of(platform: Platform, plan: Plan) -> RolloutPlan | None:
    """Where the program rollout stands, from the plan (None: no `rollout` configured)."""
    from reconciler.program.version import program_version
    from reconciler.reconcile.rollout import rollout_plan

    if platform.rollout is None:
        return None
    return rollout_plan(plan.changes, platform.rollout, program_version())


def plan_lines(
    platform: Platform, plan: Plan, chosen: Sequence[Change]
) -> tuple[tuple[Outcome, ...], str | None]:
    """`plan`'s report lines, each with the program its stack was applied with and its
    wave; and the rollout's line."""
    rollout = rollout_of(platform, plan)
    lines = []
    for change in chosen:
        outcome = change.outcome()
        program = change.deployed.record.program or "" if change.deployed else None
        wave = rollout.label(change.tenant) or None if rollout is not None else None
        lines.append(replace(outcome, program=program, wave=wave))
    return tuple(lines), rollout.describe() if rollout is not None else None


def covered_by_run(
    asked: SelectOptions, root: Path, plan: Plan, chosen: Sequence[Change]
) -> frozenset[str]:
    """The tenants this run applies on any shard: its selection before the shard is taken."""
    from reconciler.reconcile.observe import changed_tenants
    from reconciler.reconcile.plan import Action, Selection, select

    if asked.shard is None:
        return frozenset(c.tenant for c in chosen)
    changed = changed_tenants(root, asked.changed_since) if asked.changed_since else None
    selection = Selection(
        tenants=frozenset(asked.tenants),
        changed=frozenset(changed) if changed is not None else None,
        actions=frozenset(Action(a) for a in asked.actions),
    )
    return frozenset(c.tenant for c in select(plan, selection))


def with_rollout(
    options: StageOptions,
    platform: Platform,
    plan: Plan,
    chosen: Sequence[Change],
    ctx: ActContext,
    read: Callable[[], Mapping[str, DeployedStack]],
) -> ActContext:
    """apply's context for a rollout: waves, verification, and the shards' barrier."""
    from reconciler.reconcile.barrier import Barrier
    from reconciler.reconcile.verify import Verifier
    from reconciler.reconcile.waves import RolloutRun

    rollout = rollout_of(platform, plan)
    if rollout is None or platform.rollout is None:
        return ctx
    settings = platform.rollout
    sharded = options.select.shard is not None
    barrier = None
    if sharded and options.wave_start is not None:
        barrier = Barrier(
            read=read,
            since=options.wave_start,
            progress=ctx.progress,
            cancelled=lambda: ctx.engine.cancelled,
        )
    elif sharded:
        ctx.progress(
            "rollout: a sharded apply without --wave-start orders the waves on this shard only"
        )
    ahead = frozenset(c.tenant for c in chosen) if options.skip_waves else frozenset()
    run = RolloutRun(
        plan=rollout,
        covered=covered_by_run(options.select, platform.root, plan, chosen),
        ahead=ahead,
        wait_for_wave=barrier,
        soak=_cancellable_sleep(ctx),
    )
    verifier = Verifier(
        engine=ctx.engine,
        identity=settings.verify_identity,
        command=settings.verify_command,
        root=platform.root,
        timeout=settings.verify_timeout,
    )
    use = verifier if settings.verify_identity or settings.verify_command else None
    return replace(ctx, rollout=run, verify=use)


def _cancellable_sleep(ctx: ActContext) -> Callable[[float], None]:
    """The soak: a sleep that ends early when the run is cancelled."""

    def soak(seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and not ctx.engine.cancelled:
            time.sleep(min(1.0, max(0.0, deadline - time.monotonic())))

    return soak
