"""Apply in waves: the rollout's tenants wave by wave, everything else first.

`apply_in_waves` orders the work and decides; act runs each batch on its worker pool
(`RunBatch`). For each wave, in order:
- the wave runs only if every earlier wave is complete in the records or passed in this
  run; an earlier wave whose pending tenants are not in this run (e.g. `--tenant`) holds it;
- its tenants are applied and verified (`verify=True`); in a sharded run, the wave then
  waits for the other shards' part of it (`RolloutRun.wait_for_wave`), so every shard
  decides on the same failures;
- more failed tenants than `maxFailures` halt the rollout: later waves' tenants are not
  started and end `blocked`, saying which wave stopped it, why, and how to go on;
- otherwise the soak time passes before the next wave.
Tenants applied ahead of their wave on request (`--skip-waves`) go first, with the rest.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from reconciler.reconcile.plan import Change
from reconciler.reconcile.rollout import RolloutPlan, WaveState
from reconciler.report.results import Outcome
from reconciler.report.status import Status

RunBatch = Callable[[Sequence[Change], bool], list[Outcome]]
"""Runs changes on the worker pool; the flag says whether to verify each applied tenant."""
FAILING = (Status.FAILED, Status.CANCELLED)
RESUME = "a later apply run (or `reconciler rollout resume`) continues from there"
AHEAD = "`reconciler apply --tenant NAME --skip-waves` applies one ahead of its wave"


@dataclass(frozen=True)
class WaveSettled:
    """What the other shards' part of a wave came to."""

    failed: dict[str, str] = field(default_factory=dict)
    """Tenant -> why, for those whose record says their run failed."""
    unsettled: tuple[str, ...] = ()
    """Tenants whose run was not recorded in time (their shard is late, or gone)."""


@dataclass(frozen=True)
class RolloutRun:
    """What apply needs to go wave by wave."""

    plan: RolloutPlan
    covered: frozenset[str]
    """Tenants this run applies, on this shard or another (the selection before sharding)."""
    ahead: frozenset[str] = frozenset()
    """Tenants applied ahead of their wave on request (`--skip-waves`)."""
    wait_for_wave: Callable[[WaveState, Sequence[str]], WaveSettled] | None = None
    """Sharded runs: waits until the named tenants of a wave are recorded by their shards."""
    soak: Callable[[float], None] = time.sleep
    summary: list[str] = field(default_factory=list)
    """Filled by `apply_in_waves`: the line the report shows about the rollout."""


def _held(change: Change, reason: str) -> Outcome:
    return Outcome(change.tenant, change.action.value, Status.BLOCKED, reason)


def _names(tenants: Sequence[str], most: int = 5) -> str:
    shown = ", ".join(tenants[:most])
    return shown + (f" and {len(tenants) - most} more" if len(tenants) > most else "")


def split(work: Sequence[Change], run: RolloutRun) -> tuple[list[Change], dict[int, list[Change]]]:
    """The work outside the rollout (new tenants, programs already current, tenants
    applied ahead), and the rollout's work by wave."""
    outside: list[Change] = []
    by_wave: dict[int, list[Change]] = {}
    for change in work:
        wave = run.plan.wave_of.get(change.tenant)
        if change.tenant in run.plan.work and change.tenant not in run.ahead and wave:
            by_wave.setdefault(wave, []).append(change)
        else:
            outside.append(change)
    return outside, by_wave


def _stop(
    run: RolloutRun, wave: WaveState, by_wave: dict[int, list[Change]], why: str, first: int = 0
) -> list[Outcome]:
    """Hold the tenants of every wave from `first` (default: the next); say where and why
    the rollout stopped."""
    first = first or wave.index + 1
    later = [c for index in sorted(by_wave) if index >= first for c in by_wave[index]]
    untouched = [w.label for w in run.plan.waves if w.index > wave.index and w.work]
    run.summary.append(
        f"rollout of program {run.plan.program} halted at wave {wave.label}: {why}; "
        + (f"waves {', '.join(untouched)} untouched; " if untouched else "")
        + RESUME
    )
    reason = f"held: the rollout halted at wave {wave.label} ({why}); {RESUME}; {AHEAD}"
    return [_held(change, reason) for change in later]


def _not_covered(wave: WaveState, run: RolloutRun) -> list[str]:
    """Tenants of an incomplete earlier wave that this run does not apply."""
    return [name for name in wave.pending if name not in run.covered]


def apply_in_waves(
    work: Sequence[Change],
    run: RolloutRun,
    run_batch: RunBatch,
    progress: Callable[[str], None],
    mark_failed: Callable[[Change], None] = lambda _change: None,
) -> list[Outcome]:
    """Apply `work`: the non-rollout part first, then the rollout wave by wave.

    `mark_failed` records a failed tenant of a wave as failed, also one whose failure
    touched nothing (a failed safety preview, a missing secret): the other shards wait for
    its record, and the next plan counts it against the wave."""
    outside, by_wave = split(work, run)
    outcomes = run_batch(outside, False) if outside else []
    for wave in run.plan.waves:
        batch = by_wave.get(wave.index, [])
        if not wave.work:
            continue
        if not wave.complete and (missing := _not_covered(wave, run)):
            why = f"{len(missing)} of its tenants are not in this run: {_names(missing)}"
            return outcomes + _stop(run, wave, by_wave, why, first=wave.index)
        results = run_batch(batch, True) if batch else []
        outcomes += results
        failed = {o.tenant: o.reason for o in results if o.status in FAILING}
        for change in batch:
            if change.tenant in failed:
                mark_failed(change)
        failed.update({n: "failed" for n in wave.failed if n not in run.covered})
        others = [n for n in wave.work if n in run.covered and n not in {c.tenant for c in batch}]
        if others and run.wait_for_wave is not None:
            settled = run.wait_for_wave(wave, others)
            failed.update(settled.failed)
            if settled.unsettled:
                why = f"no record in time from {_names(list(settled.unsettled))}"
                return outcomes + _stop(run, wave, by_wave, why)
        allowed = wave.wave.max_failures
        if len(failed) > allowed:
            why = f"{len(failed)} failed, {allowed} allowed: {_names(sorted(failed))}"
            return outcomes + _stop(run, wave, by_wave, why)
        progress(f"rollout: wave {wave.label} passed ({len(failed)} failed, {allowed} allowed)")
        later = any(w.work for w in run.plan.waves if w.index > wave.index)
        if wave.wave.soak_seconds and later:
            progress(f"rollout: soaking {wave.wave.soak_seconds:g}s before the next wave")
            run.soak(wave.wave.soak_seconds)
    if run.plan.work:
        run.summary.append(f"rollout of program {run.plan.program}: every wave passed")
    return outcomes
