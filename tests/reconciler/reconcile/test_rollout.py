"""The rollout's pure rules: waves by selector then share, what is rollout work, and where a
rollout stands from the records alone. One behaviour per test."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.engine.backend.records import StackRecord
from reconciler.engine.backend.state import DeployedStack
from reconciler.manifests.model import Tenant
from reconciler.manifests.rollout import Rollout, Wave
from reconciler.reconcile.plan import Desired, make_plan, shard_of
from reconciler.reconcile.rollout import assign_waves, is_rollout_work, rollout_plan

NEW = "a" * 64
OLD = "b" * 12
CANARY = Wave("canary", selector=(("ring", "canary"),))
TEN = Wave("early", share=0.1)
REST = Wave("rest", share=1.0, max_failures=1)


def names(count: int) -> list[str]:
    return [f"tenant-{i:04d}" for i in range(count)]


def test_a_selector_takes_its_tenants_first():
    tenants = [("a", {"ring": "canary"}), ("b", {}), ("c", {"ring": "canary", "x": "y"})]
    assert assign_waves(tenants, [CANARY, REST]) == {"a": 1, "b": 2, "c": 1}


def test_shares_are_cumulative_shares_of_the_rest():
    found = assign_waves([(n, {}) for n in names(1000)], [CANARY, TEN, REST])
    counts = [list(found.values()).count(i) for i in (1, 2, 3)]
    assert counts == [0, 100, 900]


def test_a_share_rounds_up_so_a_small_fleet_still_has_a_first_wave():
    found = assign_waves([(n, {}) for n in names(4)], [TEN, REST])
    assert sorted(found.values()) == [1, 2, 2, 2]


def test_tenants_no_wave_takes_go_with_the_last_wave():
    found = assign_waves([("a", {}), ("b", {})], [CANARY, Wave("half", share=0.5)])
    assert sorted(found.values()) == [2, 2]


def test_waves_do_not_depend_on_the_order_tenants_come_in():
    tenants = [(n, {}) for n in names(50)]
    assert assign_waves(tenants, [TEN, REST]) == assign_waves(tenants[::-1], [TEN, REST])


def test_a_wave_spreads_over_the_shards():
    found = assign_waves([(n, {}) for n in names(400)], [TEN, REST])
    first = [name for name, wave in found.items() if wave == 1]
    assert {shard_of(name, 4) for name in first} == {1, 2, 3, 4}


def desired(name: str, fp: str = NEW, **labels: str) -> Desired:
    tenant = Tenant(
        name=name,
        owner="o@example.com",
        display_name="Abcd",
        labels=tuple(labels.items()),
        source=Path(f"tenants/{name}.yaml"),
    )
    return Desired(tenant, fp, True)


def stack(name: str, fp: str = "old", result: str = "succeeded", program: str | None = OLD):
    return DeployedStack(name, StackRecord(fp, result, True, program=program), locked=False)


def changes(desireds, stacks):
    return make_plan(desireds, {s.name: s for s in stacks}, 0.25).changes


@pytest.mark.parametrize(
    ("stacks", "is_work"),
    [
        ([stack("a")], True),  # on an older program: applying it rolls the new one out
        ([stack("a", result="failed")], True),
        ([stack("a", program=None)], True),  # recorded before programs were: cannot tell
        ([stack("a", program=NEW[:12])], False),  # already on it: a manifest change only
        ([stack("a", fp=NEW, program=OLD)], False),  # unchanged: nothing to apply
        ([], False),  # a new tenant
    ],
)
def test_what_is_rollout_work(stacks, is_work):
    [change] = changes([desired("a")], stacks)
    assert is_rollout_work(change, NEW) is is_work


ROLLOUT = Rollout((CANARY, Wave("early", share=0.5), REST))


def fleet(failed: tuple[str, ...] = (), done: tuple[str, ...] = ()):
    """Six tenants: c1, c2 canaries; t1..t4 the rest; all on the old program unless done."""
    desireds = [desired("c1", ring="canary"), desired("c2", ring="canary")]
    desireds += [desired(f"t{i}") for i in range(1, 5)]
    stacks = []
    for d in desireds:
        name = d.tenant.name
        if name in done:
            stacks.append(stack(name, fp=NEW, program=NEW[:12]))
        else:
            stacks.append(stack(name, result="failed" if name in failed else "succeeded"))
    return rollout_plan(changes(desireds, stacks), ROLLOUT, NEW)


def test_a_fresh_program_change_starts_at_the_canaries():
    plan = fleet()
    assert next(w.work for w in plan.waves) == ("c1", "c2")
    assert sum(len(w.work) for w in plan.waves) == 6
    assert plan.current is not None and plan.current.label == "1 canary"
    assert plan.halted is None


def test_a_wave_with_too_many_failures_and_nothing_pending_halted_the_last_run():
    early = next(w for w in fleet().waves if w.index == 2).tenants
    plan = fleet(failed=(early[0],), done=("c1", "c2", *early[1:]))
    assert plan.halted is not None and plan.halted.label == "2 early"
    assert "halted at wave 2 early by the last run" in plan.describe()


def test_failures_within_a_waves_allowance_let_the_rollout_go_on():
    waves = fleet().waves
    rest = waves[2].tenants
    plan = fleet(failed=(rest[0],), done=("c1", "c2", *waves[1].tenants, *rest[1:]))
    assert plan.current is None and plan.halted is None  # rest allows one failure


def test_a_finished_rollout_says_so():
    plan = fleet(done=("c1", "c2", "t1", "t2", "t3", "t4"))
    assert plan.work == frozenset() and plan.current is None
    assert plan.describe() == f"program {NEW[:12]}: nothing to roll out"
