"""The planner's rules, one behaviour per test (pure function: no engine, no files)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from reconciler.engine.backend.records import StackRecord
from reconciler.engine.backend.state import DeployedStack
from reconciler.manifests.model import Tenant
from reconciler.reconcile.plan import Action, Desired, Selection, make_plan, select, shard_of

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
        # Shards split every tenant by name (shard_of), whatever its action.
        ((), None, (1, 2), ["a", "b", "c", "e"]),
        ((), None, (2, 2), ["d"]),
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


def test_drift_shards_are_the_apply_shards():
    # b is unchanged: no engine work for apply, but drift checks it in the same shard.
    plan = plan_of([desired("a"), desired("b"), desired("d")], [stack("b"), stack("d")])
    for index in (1, 2):
        drift = select(plan, Selection(shard=(index, 2), drift=True))
        assert drift == select(plan, Selection(shard=(index, 2)))
    assert [c.tenant for c in select(plan, Selection(shard=(2, 2)))] == ["d"]


@pytest.mark.parametrize(
    ("name", "total", "shard"),
    [("a", 2, 1), ("d", 2, 2), ("tenant-one", 1, 1), ("tenant-one", 4, 2)],
)
def test_shard_of_is_a_function_of_the_name(name, total, shard):
    assert shard_of(name, total) == shard


def test_outcome_of_a_planned_change_carries_its_reason():
    change = only(plan_of([desired("a")], []), "a")
    outcome = change.outcome()
    assert (outcome.tenant, outcome.action, outcome.status) == ("a", "create", "planned")
    assert outcome.reason == change.reason


def test_change_knows_a_decommission():
    change = only(plan_of([desired("a", decommission=True)], [stack("a")]), "a")
    assert change.decommission
    assert not replace(change, desired=desired("a")).decommission


# --- shards: a stable function of the tenant set, never of what has work now ---------------


NAMES = [f"tenant-{i:02d}" for i in range(40)]


@pytest.mark.parametrize("total", [1, 2, 3, 4, 7])
def test_every_tenant_falls_in_exactly_one_shard_whatever_its_state(total):
    # Every kind of state at once: create, unchanged, update, retry, delete, blocked.
    desireds = [desired(n, fp="1" * 64 if i % 3 == 0 else FP) for i, n in enumerate(NAMES[:30])]
    stacks = [
        stack(n, result="failed" if i % 5 == 0 else "succeeded") for i, n in enumerate(NAMES[10:])
    ]
    plan = plan_of(
        desireds,
        [replace(s, record=replace(s.record, protected=i % 2 == 0)) for i, s in enumerate(stacks)],
        1.0,
    )
    seen: dict[str, int] = {}
    for index in range(1, total + 1):
        for change in select(plan, Selection(shard=(index, total))):
            assert change.tenant not in seen, (
                f"{change.tenant} in shards {seen[change.tenant]} and {index}"
            )
            seen[change.tenant] = index
    assert sorted(seen) == sorted(c.tenant for c in plan.changes)


def test_staggered_shards_cover_every_changed_tenant():
    """Repro 1: shard 1 records its tenants before shard 2 plans; nobody is skipped."""
    names = ["alpha", "bravo", "charlie", "delta"]
    stacks = {n: stack(n) for n in names}
    changed = [desired(n, fp="2" * 64) for n in names]
    applied: set[str] = set()
    for index in (1, 2):
        # Each leg plans on its own, after the legs before it recorded their tenants.
        plan = plan_of(changed, stacks.values())
        for change in select(plan, Selection(shard=(index, 2))):
            if change.action.runs_engine:
                applied.add(change.tenant)
                stacks[change.tenant] = stack(change.tenant, fp="2" * 64)
    assert applied == set(names)
    after = plan_of(changed, stacks.values())
    assert {c.action for c in after.changes} == {Action.UNCHANGED}


def test_rerunning_a_shard_finishes_its_tenants():
    names = ["alpha", "bravo", "charlie", "delta"]
    stacks = {n: stack(n) for n in names}
    changed = [desired(n, fp="2" * 64) for n in names]
    first = select(plan_of(changed, stacks.values()), Selection(shard=(2, 2)))
    # The other leg finished; this one failed on every tenant and is re-run.
    for change in select(plan_of(changed, stacks.values()), Selection(shard=(1, 2))):
        stacks[change.tenant] = stack(change.tenant, fp="2" * 64)
    for change in first:
        stacks[change.tenant] = stack(change.tenant, result="failed")
    rerun = select(plan_of(changed, stacks.values()), Selection(shard=(2, 2)))
    assert [c.tenant for c in rerun] == [c.tenant for c in first]
    assert all(c.action is Action.RETRY for c in rerun)


# --- renames and display names of deployed tenants (repro 4) --------------------------------


def named(name: str, display: str, fp: str = FP) -> Desired:
    return replace(desired(name, fp), tenant=replace(desired(name).tenant, display_name=display))


def shown(name: str, display: str | None, *, protected: bool = True) -> DeployedStack:
    record = StackRecord(FP, "succeeded", protected, display_name=display)
    return DeployedStack(name=name, record=record, locked=False)


@pytest.mark.parametrize(
    ("desireds", "stacks", "expected"),
    [
        # acme.yaml renamed to acme2.yaml: a rename, said on both lines; nothing is created.
        (
            [named("acme2", "Acme")],
            [shown("acme", "Acme")],
            {
                "acme2": (Action.BLOCKED, "looks like a rename of acme"),
                "acme": (Action.BLOCKED, "renamed to acme2"),
            },
        ),
        # The same for an unprotected tenant: its delete goes ahead, the create waits.
        (
            [named("acme2", "Acme")],
            [shown("acme", "Acme", protected=False)],
            {
                "acme2": (Action.BLOCKED, "rename the file back"),
                "acme": (Action.DELETE, "renamed to acme2"),
            },
        ),
        # Another deployed tenant, still in git, still shows that display name.
        (
            [named("acme", "Acme Two", fp="2" * 64), named("beta", "Acme")],
            [shown("acme", "Acme")],
            {
                "beta": (Action.BLOCKED, "still used by deployed tenant acme"),
                "acme": (Action.UPDATE, "changed"),
            },
        ),
        # No clash: created as usual.
        (
            [named("acme2", "Acme 2")],
            [shown("acme", "Acme")],
            {"acme2": (Action.CREATE, "new manifest")},
        ),
        # A record from before display names were recorded: nothing to compare with.
        (
            [named("acme2", "Acme")],
            [shown("acme", None)],
            {"acme2": (Action.CREATE, "new manifest")},
        ),
        # The tenant itself, already deployed: an update, not a clash with itself.
        (
            [named("acme", "Acme", fp="2" * 64)],
            [shown("acme", "Acme")],
            {"acme": (Action.UPDATE, "changed")},
        ),
    ],
    ids=["rename", "rename-unprotected", "still-used", "no-clash", "old-record", "itself"],
)
def test_display_names_of_deployed_tenants(desireds, stacks, expected):
    plan = plan_of(desireds, stacks, fraction=1.0)
    for name, (action, reason) in expected.items():
        assert only(plan, name).action is action, only(plan, name)
        assert reason in only(plan, name).reason


def renamed(name: str, display: str, old: str) -> Desired:
    want = named(name, display)
    return replace(want, tenant=replace(want.tenant, renamed_from=old))


@pytest.mark.parametrize(
    ("desireds", "stacks", "expected"),
    [
        # metadata.renamedFrom pairs them even when the display name changed too.
        (
            [renamed("acme2", "Acme-New", "acme")],
            [shown("acme", "Acme")],
            {
                "acme2": (
                    Action.BLOCKED,
                    "a rename of acme (metadata.renamedFrom; tenants/acme.yaml is gone and "
                    "acme is still deployed): creating acme2 would make a second, empty "
                    "identity tenant, and acme's users would not move. To keep them, rename "
                    "the file back to tenants/acme.yaml; to start over, remove renamedFrom "
                    "and decommission acme (restore its file with spec.decommission: true)",
                ),
                "acme": (Action.BLOCKED, "looks like it was renamed to acme2"),
            },
        ),
        # A record from before display names were recorded: the explicit form still pairs.
        (
            [renamed("acme2", "Acme", "acme")],
            [shown("acme", None)],
            {"acme2": (Action.BLOCKED, "a rename of acme (metadata.renamedFrom")},
        ),
        # The same display name as well: said once, as the explicit rename.
        (
            [renamed("acme2", "Acme", "acme")],
            [shown("acme", "Acme")],
            {"acme2": (Action.BLOCKED, "give acme2 a display name no deployed tenant has")},
        ),
        # The old tenant is not deployed (any more): nothing to pair with, a plain create.
        (
            [renamed("acme2", "Acme-New", "acme")],
            [],
            {"acme2": (Action.CREATE, "new manifest tenants/acme2.yaml; renamed from acme")},
        ),
    ],
    ids=["explicit", "explicit-old-record", "explicit-same-display", "explicit-not-deployed"],
)
def test_renamed_from(desireds, stacks, expected):
    plan = plan_of(desireds, stacks, fraction=1.0)
    for name, (action, reason) in expected.items():
        assert only(plan, name).action is action, only(plan, name)
        assert reason in only(plan, name).reason, only(plan, name).reason


def test_a_lock_is_named_with_its_holder_and_age():
    from datetime import UTC, datetime, timedelta

    from reconciler.engine.backend.locks import HeldLock

    now = datetime(2026, 11, 30, 12, tzinfo=UTC)
    held = HeldLock(77, "ci", "runner-1", now - timedelta(minutes=42))
    locked = replace(stack("a"), locked=True, lock=held)
    plan = make_plan([desired("a")], {"a": locked}, 0.25, now=now)
    assert only(plan, "a").reason == (
        "up to date; locked by ci@runner-1 (pid 77) for 42m00s; "
        "if that run is gone, see `reconciler unlock a`"
    )
