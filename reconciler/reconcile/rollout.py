"""Rollout: which wave each tenant is in, and how far a program change has come. Pure.

A tenant is *rollout work* when the plan updates or retries it and its stack's record says
it was last applied with another program version (or says none): applying it runs the new
program on it. New tenants, deletions and changes to tenants already on the current
program are not rollout work; they go ahead as before.

Waves (platform.yaml `rollout`) take tenants by label selector, in order, then by share of
the rest, ranked by a hash of the name that is independent of `shard_of`'s, so every wave
spreads over the CI shards. From the records alone (no engine), a wave is *complete* when
none of its rollout work is pending and no more of it failed than `maxFailures`; the
*current* wave is the first incomplete one, and it *halted* a run when nothing of it is
pending but too many failed: the next run retries those first.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from reconciler.engine.backend.records import PROGRAM_DIGITS
from reconciler.manifests.rollout import Rollout, Wave
from reconciler.reconcile.plan import Action, Change

ROLLOUT_ACTIONS = (Action.UPDATE, Action.RETRY)


def _rank(name: str) -> bytes:
    # Salted: wave membership must not follow shard_of's hash, or a wave would sit on one shard.
    return hashlib.sha256(f"rollout/{name}".encode()).digest()


def assign_waves(
    tenants: Iterable[tuple[str, Mapping[str, str]]], waves: Sequence[Wave]
) -> dict[str, int]:
    """Tenant -> its wave (1-based): the first selector that matches, else by share of the
    rest (ranked by hash); whoever no wave takes goes with the last wave."""
    chosen: dict[str, int] = {}
    rest = []
    for name, labels in tenants:
        index = next((i for i, w in enumerate(waves, 1) if w.takes(labels)), None)
        if index is None:
            rest.append(name)
        else:
            chosen[name] = index
    ranked = sorted(rest, key=_rank)
    start = 0
    for index, wave in enumerate(waves, 1):
        if wave.share is None:
            continue
        end = math.ceil(wave.share * len(ranked))
        chosen.update((name, index) for name in ranked[start:end])
        start = max(start, end)
    chosen.update((name, len(waves)) for name in ranked[start:])
    return chosen


def short(program: str | None) -> str:
    """A program version as records keep it."""
    return (program or "")[:PROGRAM_DIGITS]


def is_rollout_work(change: Change, program: str) -> bool:
    """Applying this change runs a program the tenant's stack was not applied with."""
    if change.action not in ROLLOUT_ACTIONS or change.deployed is None:
        return False
    return change.deployed.record.program != short(program)


@dataclass(frozen=True)
class WaveState:
    """One wave, as the records show it before this run."""

    index: int
    wave: Wave
    tenants: tuple[str, ...]
    """Every tenant of the wave."""
    work: tuple[str, ...]
    """Its rollout work: tenants not yet on the current program."""
    failed: tuple[str, ...]
    """Rollout work whose last run failed."""

    @property
    def label(self) -> str:
        return f"{self.index} {self.wave.name}"

    @property
    def pending(self) -> tuple[str, ...]:
        return tuple(name for name in self.work if name not in self.failed)

    @property
    def complete(self) -> bool:
        return not self.pending and len(self.failed) <= self.wave.max_failures

    @property
    def halted(self) -> bool:
        """A run stopped here: nothing pending, more failed than allowed."""
        return not self.pending and len(self.failed) > self.wave.max_failures

    def describe(self) -> str:
        text = f"wave {self.label}: {len(self.tenants)} tenant(s)"
        if not self.work:
            return text + ", nothing to roll out"
        text += f", {len(self.pending)} to roll out"
        if self.failed:
            text += f", {len(self.failed)} failed ({self.wave.max_failures} allowed)"
        return text


@dataclass(frozen=True)
class RolloutPlan:
    """Where a program change stands across the waves."""

    program: str
    """The program version being rolled out (short)."""
    waves: tuple[WaveState, ...]
    wave_of: Mapping[str, int]

    @property
    def work(self) -> frozenset[str]:
        return frozenset(name for wave in self.waves for name in wave.work)

    @property
    def current(self) -> WaveState | None:
        """The first wave that is not complete (None: the rollout is done, or none runs)."""
        return next((wave for wave in self.waves if not wave.complete), None)

    @property
    def halted(self) -> WaveState | None:
        current = self.current
        return current if current is not None and current.halted else None

    def wave(self, tenant: str) -> WaveState | None:
        index = self.wave_of.get(tenant)
        return self.waves[index - 1] if index is not None else None

    def label(self, tenant: str) -> str:
        wave = self.wave(tenant)
        return wave.label if wave is not None else ""

    def describe(self) -> str:
        """One line for reports: where the rollout stands."""
        if not self.work:
            return f"program {self.program}: nothing to roll out"
        parts = [wave.describe() for wave in self.waves if wave.work]
        halted = self.halted
        if halted is not None:
            parts.append(
                f"halted at wave {halted.label} by the last run: this run retries its "
                f"{len(halted.failed)} failed tenant(s) first"
            )
        return f"rollout of program {self.program}: " + "; ".join(parts)


def rollout_plan(changes: Sequence[Change], rollout: Rollout, program: str) -> RolloutPlan:
    """The rollout of `program` over the tenants of a plan (all of them, before any
    selection: a shard must know the other shards' part of a wave)."""
    desired = [c for c in changes if c.desired is not None]
    labels = [(c.tenant, dict(c.desired.tenant.labels)) for c in desired if c.desired]
    wave_of = assign_waves(labels, rollout.waves)
    work = {c.tenant: c for c in desired if is_rollout_work(c, program)}
    states = []
    for index, wave in enumerate(rollout.waves, 1):
        members = tuple(sorted(name for name, i in wave_of.items() if i == index))
        mine = tuple(name for name in members if name in work)
        failed = tuple(name for name in mine if work[name].action is Action.RETRY)
        states.append(WaveState(index, wave, members, mine, failed))
    return RolloutPlan(short(program), tuple(states), wave_of)
