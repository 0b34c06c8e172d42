"""The planner's rules, one behaviour per test (pure function: no engine, no files)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from reconciler.manifests.model import Tenant
from reconciler.plan import Action, Desired, Selection, make_plan, select
from reconciler.records import StackRecord
from reconciler.state import DeployedStack

FP = "f" * 64


def desired(name: str, fp: str = FP, *, protected: bool = True, decommission: bool = False):
    tenant = Tenant(
        name=name,
        owner="o@example.com",
        display_name="Abcd",
        source=Path(f"tenants/{name}.yaml"),
        decommission=decommission,
    )
    return Desired(tenant=tenant, fingerprint=fp, protected=protected)


def stack(
    name: str,
    fp: str | None = FP,
    result: str | None = "succeeded",
    *,
    protected: bool = True,
    locked: bool = False,
) -> DeployedStack:
    return DeployedStack(name=name, record=StackRecord(fp, result, protected), locked=locked)


def plan_of(desireds, stacks, fraction=0.25):
    return make_plan(desireds, {s.name: s for s in stacks}, fraction)


def only(plan, name):
    return plan.by_tenant()[name]


@pytest.mark.parametrize(
    ("desired_items", "stacks", "expected_action", "reason_part"),
    [
        ([desired("a")], [], Action.CREATE, "new manifest tenants/a.yaml"),
        ([desired("a")], [stack("a")], Action.UNCHANGED, "up to date"),
        ([desired("a", "1" * 64)], [stack("a")], Action.UPDATE, "or the program changed"),
        ([desired("a")], [stack("a", result="failed")], Action.RETRY, "last run"),
        ([desired("a")], [stack("a", fp=None, result=None)], Action.RETRY, "no record"),
        ([], [stack("a", protected=False)], Action.DELETE, "tenants/a.yaml was removed"),
        ([], [stack("a", protected=True)], Action.BLOCKED, "set spec.decommission: true"),
        ([desired("a", decommission=True)], [stack("a")], Action.DELETE, "decommission"),
        ([desired("a", decommission=True)], [], Action.UNCHANGED, "no stack"),
    ],
    ids=[
        "new-manifest-creates",
        "same-fingerprint-unchanged",
        "other-fingerprint-updates",
        "failed-last-run-retries",
        "no-record-retries",
        "unprotected-orphan-deletes",
        "protected-orphan-blocked",
        "decommission-deletes",
        "decommission-without-stack-noop",
    ],
)
def test_single_tenant_rules(desired_items, stacks, expected_action, reason_part):
    change = only(plan_of(desired_items, stacks), "a")
    assert change.action is expected_action
    assert reason_part in change.reason


def test_changes_are_sorted_by_tenant():
    plan = plan_of([desired("c"), desired("a")], [stack("b", protected=False)])
    assert [c.tenant for c in plan.changes] == ["a", "b", "c"]


def test_fleet_guard_blocks_every_delete_over_the_fraction():
    stacks = [stack(f"t{i}", protected=False) for i in range(8)]
    plan = plan_of([desired(f"t{i}") for i in range(5)], stacks, fraction=0.25)
    # 3 of 8 deletions > floor(0.25 * 8) = 2
    assert plan.guard is not None and "3 of 8" in plan.guard
    assert plan.count(Action.DELETE) == 0
    assert plan.count(Action.BLOCKED) == 3
    assert all("refused" in c.reason for c in plan.changes if c.action is Action.BLOCKED)


def test_fleet_guard_allows_deletes_within_the_fraction():
    stacks = [stack(f"t{i}", protected=False) for i in range(8)]
    plan = plan_of([desired(f"t{i}") for i in range(6)], stacks, fraction=0.25)
    assert plan.guard is None
    assert plan.count(Action.DELETE) == 2


def test_fleet_guard_always_allows_a_single_delete():
    plan = plan_of([desired("a")], [stack("a"), stack("b", protected=False)], fraction=0.0)
    assert plan.guard is None
    assert only(plan, "b").action is Action.DELETE


def test_empty_manifest_set_never_deletes_a_fleet():
    stacks = [stack(f"t{i}", protected=False) for i in range(4)]
    plan = plan_of([], stacks)
    assert plan.count(Action.DELETE) == 0 and plan.guard is not None


def test_decommission_counts_toward_the_fleet_guard():
    stacks = [stack(f"t{i}") for i in range(4)]
    items = [desired(f"t{i}", decommission=True) for i in range(3)] + [desired("t3")]
    plan = plan_of(items, stacks, fraction=0.25)
    assert plan.guard is not None and plan.count(Action.DELETE) == 0


def test_unchanged_and_blocked_do_not_run_the_engine():
    plan = plan_of([desired("a"), desired("b", "2" * 64)], [stack("a"), stack("b"), stack("c")])
    assert [c.tenant for c in plan.actionable()] == ["b"]


@pytest.mark.parametrize(
    ("tenants", "changed", "shard", "expected"),
    [
        ((), None, None, ["a", "b", "c", "d", "e"]),
        (("b",), None, None, ["b"]),
        ((), {"c", "e"}, None, ["c", "e"]),
        ((), None, (1, 2), ["a", "d"]),
        ((), None, (2, 2), ["c"]),
        (("a", "c"), {"c"}, None, ["c"]),
    ],
    ids=["all", "named", "changed-files", "shard-1-of-2", "shard-2-of-2", "named-and-changed"],
)
def test_select(tenants, changed, shard, expected):
    # a, c, d need the engine; b is unchanged; e is blocked (protected orphan)
    plan = plan_of(
        [desired("a"), desired("b"), desired("c"), desired("d", "3" * 64)],
        [stack("b"), stack("d"), stack("e")],
    )
    selection = Selection(frozenset(tenants), changed and frozenset(changed), shard=shard)
    assert [c.tenant for c in select(plan, selection)] == expected


def test_select_by_action():
    plan = plan_of([desired("a"), desired("b")], [stack("b"), stack("c", protected=False)])
    chosen = select(plan, Selection(actions=frozenset({Action.CREATE, Action.UPDATE})))
    assert [c.tenant for c in chosen] == ["a"]


def test_drift_shards_over_every_deployed_tenant():
    # b is unchanged: no engine work for apply, but drift must still check it.
    plan = plan_of([desired("a"), desired("b"), desired("c")], [stack("b"), stack("c")])
    shards = [select(plan, Selection(shard=(i, 2), drift=True)) for i in (1, 2)]
    assert [[c.tenant for c in s] for s in shards] == [["b"], ["c"]]


def test_outcome_of_a_planned_change_carries_its_reason():
    change = only(plan_of([desired("a")], []), "a")
    outcome = change.outcome()
    assert (outcome.tenant, outcome.action, outcome.status) == ("a", "create", "planned")
    assert outcome.reason == change.reason


def test_change_knows_a_decommission():
    change = only(plan_of([desired("a", decommission=True)], [stack("a")]), "a")
    assert change.decommission
    assert not replace(change, desired=desired("a")).decommission
