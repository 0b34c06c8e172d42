"""Planning decisions the commands used to make themselves: `--force`, and the re-plan after
Secret Manager says a secret rotated. Pure (the rotation lookup is handed in), by tables."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pytest

from reconciler.reconcile.plan import (
    FORCED,
    Action,
    Change,
    Observed,
    SecretFinding,
    Selection,
    forced,
    plan_and_select,
    rotation_candidates,
)
from tests.reconciler.reconcile.test_plan import FP, desired, plan_of, stack

ROTATED = SecretFinding(rotated=True, text="secret google.com rotated to version 3")
NOTE = SecretFinding(rotated=False, text="could not tell: permission denied")


def observed(*names: str, changed: str = "", failed: str = "", new: str = "") -> Observed:
    """Tenants `names`, deployed and up to date, except `changed` (its manifest changed),
    `failed` (its last run failed) and `new` (no stack yet)."""
    items = [desired(n, "1" * 64 if n == changed else FP) for n in (*names, *filter(None, [new]))]
    stacks = [stack(n, result="failed" if n == failed else "succeeded") for n in names]
    return Observed(tuple(items), {s.name: s for s in stacks}, 1.0)


class Lookup:
    """A rotation lookup: fixed findings; remembers which tenants it was asked about."""

    def __init__(self, findings: Mapping[str, Sequence[SecretFinding]] | None = None) -> None:
        self.findings = dict(findings or {})
        self.asked: list[list[str]] = []

    def __call__(self, changes: Sequence[Change]) -> Mapping[str, Sequence[SecretFinding]]:
        self.asked.append([c.tenant for c in changes])
        return {t: f for t, f in self.findings.items() if t in {c.tenant for c in changes}}


def actions(changes: Sequence[Change]) -> dict[str, str]:
    return {c.tenant: c.action.value for c in changes}


@pytest.mark.parametrize(
    ("before", "after"),
    [
        (Action.UNCHANGED, Action.UPDATE),
        (Action.UPDATE, Action.UPDATE),
        (Action.RETRY, Action.RETRY),
        (Action.BLOCKED, Action.BLOCKED),
        (Action.DELETE, Action.DELETE),
    ],
)
def test_force_updates_only_what_is_unchanged(before: Action, after: Action) -> None:
    change = Change("a", before, "why", desired("a"), stack("a"))
    (result,) = forced([change])
    assert result.action is after
    assert (result.reason == FORCED) is (before is Action.UNCHANGED)


def test_force_does_not_create_what_has_no_stack() -> None:
    change = Change("a", Action.UNCHANGED, "decommissioned; no stack", desired("a"))
    assert forced([change]) == (change,)


@pytest.mark.parametrize(
    ("selection", "asked"),
    [
        (Selection(), ["a", "b", "c"]),
        (Selection(tenants=frozenset({"b"})), ["b"]),
        # --action keeps only some actions, but a rotation may turn unchanged into update.
        (Selection(actions=frozenset({Action.UPDATE})), ["a", "b", "c"]),
        (Selection(drift=True), []),
    ],
)
def test_rotation_candidates(selection: Selection, asked: list[str]) -> None:
    plan = plan_of([desired("a"), desired("b"), desired("c")], [stack("a"), stack("b")])
    assert [c.tenant for c in rotation_candidates(plan, selection)] == asked


@pytest.mark.parametrize(
    ("findings", "selection", "force", "expected"),
    [
        ({}, Selection(), False, {"a": "unchanged", "b": "update", "c": "retry"}),
        ({"a": [ROTATED]}, Selection(), False, {"a": "update", "b": "update", "c": "retry"}),
        ({"a": [NOTE]}, Selection(), False, {"a": "unchanged", "b": "update", "c": "retry"}),
        ({}, Selection(), True, {"a": "update", "b": "update", "c": "retry"}),
        # A rotation makes `a` an update, so `--action update` selects it.
        ({"a": [ROTATED]}, Selection(actions=frozenset({Action.UPDATE})), False,
         {"a": "update", "b": "update"}),
        ({}, Selection(actions=frozenset({Action.UPDATE})), False, {"b": "update"}),
        ({}, Selection(actions=frozenset({Action.UNCHANGED})), True, {"a": "update"}),
        ({"a": [ROTATED]}, Selection(drift=True), False,
         {"a": "unchanged", "b": "update", "c": "retry"}),
    ],
)  # fmt: skip
def test_plan_and_select(findings, selection: Selection, force: bool, expected) -> None:
    lookup = Lookup(findings)
    plan, chosen = plan_and_select(
        observed("a", "b", "c", changed="b", failed="c"), selection, lookup, force
    )
    assert actions(chosen) == expected
    assert lookup.asked == ([] if selection.drift else [["a", "b", "c"]])
    assert actions(plan.changes).keys() >= expected.keys()


def test_a_rotation_and_a_note_both_reach_the_reason() -> None:
    _plan, chosen = plan_and_select(observed("a"), Selection(), Lookup({"a": [ROTATED, NOTE]}))
    (change,) = chosen
    assert change.action is Action.UPDATE
    assert change.reason == f"{ROTATED.text}; {NOTE.text}"
