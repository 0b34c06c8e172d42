"""Act's decisions, as pure functions tested by tables: how long to wait before trying a
temporarily refused operation again, and what to do with a change whose preview would
replace or delete a stateful resource (an identity tenant's users, a bucket's data).
"""

from __future__ import annotations

from collections.abc import Sequence

from reconciler.reconcile.plan import Change
from reconciler.report.results import ResourceStep, StackRun

MAX_RETRY_DELAY = 30.0
"""The longest pause between two tries."""


def retry_delay(previous: float | None, suggested: float) -> float:
    """The pause before the next try: the engine's suggestion first, then doubling, up to
    MAX_RETRY_DELAY."""
    return suggested if previous is None else min(previous * 2, MAX_RETRY_DELAY)


def retry_allowed(now: float, delay: float, deadline: float, cancelled: bool) -> bool:
    """Whether to wait `delay` and try again: never past the deadline, never once cancelled."""
    return now + delay <= deadline and not cancelled


def describe_losses(losing: Sequence[ResourceStep]) -> str:
    return ", ".join(
        f"{s.op} of {s.name} (changed: {', '.join(s.replace_keys) or '-'})" for s in losing
    )


def replacements_to_release(run: StackRun) -> tuple[ResourceStep, ...]:
    """The resources an approved replacement must release, one step per resource.

    Every resource the preview replaces or deletes (a protected dependant such as the MFA
    config is replaced with its identity tenant), with the union of its replace keys.
    """
    keys: dict[str, tuple[str, str, list[str]]] = {}
    for step in run.steps:
        if not (step.is_replace or step.op == "delete"):
            continue
        _op, type_, seen = keys.setdefault(step.name, (step.op, step.type, []))
        if step.op == "replace":
            keys[step.name] = ("replace", type_, seen)
        seen.extend(k for k in step.replace_keys if k not in seen)
    return tuple(
        ResourceStep(op, type_, name, replace_keys=tuple(found))
        for name, (op, type_, found) in sorted(keys.items())
    )


def replacement_decision(change: Change, run: StackRun, allow_replace: frozenset[str]) -> str:
    """What to do with a previewed change: "go", "blocked" or "approved" (pure)."""
    if not any(step.loses_state for step in run.steps):
        return "go"
    return "approved" if change.tenant in allow_replace else "blocked"


def blocked_message(change: Change, run: StackRun) -> str:
    losing = [step for step in run.steps if step.loses_state]
    return (
        f"would {describe_losses(losing)}: its users or data would be lost; "
        f"if that is intended, apply with --allow-replace {change.tenant}"
    )
