"""Plan: a pure function from (desired tenants, deployed stacks, settings) to typed changes.

No I/O and no engine: the same inputs always give the same plan, which is what lets
`reconciler plan` run without starting a single Pulumi process and lets the tests pin
every safety rule in a table.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from reconciler.engine.backend.state import DeployedStack
from reconciler.manifests.model import Tenant
from reconciler.report.results import Outcome
from reconciler.report.status import Status


class Action(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    UNCHANGED = "unchanged"
    RETRY = "retry"
    DELETE = "delete"
    BLOCKED = "blocked"

    @property
    def runs_engine(self) -> bool:
        return self in (Action.CREATE, Action.UPDATE, Action.RETRY, Action.DELETE)


@dataclass(frozen=True)
class Desired:
    """A valid manifest with what the planner needs to know about it."""

    tenant: Tenant
    fingerprint: str
    protected: bool
    shape: str = ""
    """What could force a stateful resource's replacement (see fingerprint.shape_key)."""
    program: str = ""
    """The program version an apply records (short; see records.PROGRAM_DIGITS)."""


@dataclass(frozen=True)
class SecretFinding:
    """What plan learnt about one client secret of a deployed tenant (reconcile/rotation.py)."""

    rotated: bool
    """Secret Manager has a newer version than the one last applied: the tenant needs an
    update. Otherwise `text` is a note (plan could not tell, or the newest is unusable)."""
    text: str


@dataclass(frozen=True)
class Change:
    """What the run will do to one tenant, and why."""

    tenant: str
    action: Action
    reason: str
    desired: Desired | None = None
    deployed: DeployedStack | None = None

    @property
    def decommission(self) -> bool:
        return self.desired is not None and self.desired.tenant.decommission

    def outcome(self) -> Outcome:
        """The report line for this change before (or without) any engine run."""
        status = {Action.UNCHANGED: Status.UNCHANGED, Action.BLOCKED: Status.BLOCKED}.get(
            self.action, Status.PLANNED
        )
        return Outcome(
            tenant=self.tenant, action=self.action.value, status=status, reason=self.reason
        )


@dataclass(frozen=True)
class Plan:
    """Every tenant's change, sorted by name."""

    changes: tuple[Change, ...]
    guard: str | None = None
    """Why the fleet-wide delete guard refused the run's deletions, if it did."""

    def count(self, action: Action) -> int:
        return sum(1 for change in self.changes if change.action is action)

    def actionable(self) -> tuple[Change, ...]:
        return tuple(c for c in self.changes if c.action.runs_engine)

    def by_tenant(self) -> dict[str, Change]:
        return {c.tenant: c for c in self.changes}


def _change_for(desired: Desired, stack: DeployedStack | None) -> Change:
    name = desired.tenant.name
    source = f"tenants/{name}.yaml"  # name == file stem, enforced by validation
    if desired.tenant.decommission:
        if stack is None:
            return Change(name, Action.UNCHANGED, f"decommissioned ({source}); no stack", desired)
        return Change(name, Action.DELETE, f"decommission requested in {source}", desired, stack)
    if desired.tenant.adopt is not None and (stack is None or stack.record.fingerprint is None):
        # Creating would make a second tenant beside the one to adopt (no users, new id).
        return Change(
            name,
            Action.BLOCKED,
            f"{source} adopts an existing tenant (spec.adopt): run "
            f"`reconciler adopt --tenant {name}` first",
            desired,
            stack,
        )
    if stack is None:
        return Change(name, Action.CREATE, f"new manifest {source}", desired)
    record = stack.record
    if record.result == "failed":
        return Change(name, Action.RETRY, "the last run on this stack failed", desired, stack)
    if record.result is None:
        return Change(
            name, Action.RETRY, "the stack has no record of a successful run", desired, stack
        )
    if record.fingerprint != desired.fingerprint:
        return Change(name, Action.UPDATE, f"{source} or the program changed", desired, stack)
    return Change(name, Action.UNCHANGED, "up to date", desired, stack)


def _secret_findings(change: Change, findings: Sequence[SecretFinding]) -> Change:
    """A rotated secret makes an unchanged tenant an update (apply rolls the new version out,
    no --force needed); what plan could not tell is a note on its line."""
    if change.action is not Action.UNCHANGED or not findings:
        return change
    rotated = [f.text for f in findings if f.rotated]
    notes = [f.text for f in findings if not f.rotated]
    if rotated:
        return replace(change, action=Action.UPDATE, reason="; ".join([*rotated, *notes]))
    return replace(change, reason="; ".join([change.reason, *notes]))


def _lock_note(change: Change, now: datetime | None) -> Change:
    """Say who holds a stack's lock, and for how long: a lock left by a killed run stays
    until someone removes it (`reconciler unlock`), and every run would meet it."""
    stack = change.deployed
    if stack is None or not stack.locked:
        return change
    held = stack.lock.describe(now) if stack.lock is not None else "locked by another run"
    note = f"{held}; if that run is gone, see `reconciler unlock {change.tenant}`"
    return replace(change, reason=f"{change.reason}; {note}")


def _orphan(stack: DeployedStack) -> Change:
    if stack.record.protected:
        return Change(
            stack.name,
            Action.BLOCKED,
            f"tenants/{stack.name}.yaml is gone but the tenant has deletion protection: "
            f"restore the file and set spec.decommission: true to destroy it",
            deployed=stack,
        )
    return Change(
        stack.name, Action.DELETE, f"tenants/{stack.name}.yaml was removed", deployed=stack
    )


def _renames(changes: list[Change], deployed: Mapping[str, DeployedStack]) -> list[Change]:
    """A create that looks like a rename of a deployed tenant whose manifest is gone is
    blocked, and both lines say so and what to do: by `metadata.renamedFrom: OLD`, or by a
    display name a deployed tenant already has (also blocked when that tenant's manifest
    is still there: two tenants cannot share one).

    Manifests are checked against each other by the validator; this compares them with
    what is deployed (the display name each stack's record carries).
    """
    wanted = {c.tenant for c in changes if c.desired is not None}
    owners = {
        stack.record.display_name: stack
        for stack in deployed.values()
        if stack.record.display_name is not None
    }
    renamed_to: dict[str, str] = {}
    result = []
    for change in changes:
        desired = change.desired
        if change.action is not Action.CREATE or desired is None:
            result.append(change)
            continue
        display = desired.tenant.display_name
        old = desired.tenant.renamed_from
        if old is not None and old in deployed and old not in wanted:
            renamed_to[old] = change.tenant
            same = deployed[old].record.display_name == display
            reason = _rename_reason(change.tenant, old, "metadata.renamedFrom", same)
            result.append(replace(change, action=Action.BLOCKED, reason=reason))
            continue
        if old is not None:
            change = replace(change, reason=f"{change.reason}; renamed from {old}, not deployed")
        owner = owners.get(display)
        if owner is None or owner.name == change.tenant:
            result.append(change)
            continue
        if owner.name in wanted:
            reason = (
                f"display name {display!r} is still used by deployed tenant {owner.name}: "
                f"apply {owner.name}'s new display name first, or choose another one"
            )
        else:
            renamed_to[owner.name] = change.tenant
            how = f"its deployed display name is {display!r}"
            reason = "looks like " + _rename_reason(change.tenant, owner.name, how, True)
        result.append(replace(change, action=Action.BLOCKED, reason=reason))
    return [
        replace(c, reason=f"{c.reason}; looks like it was renamed to {renamed_to[c.tenant]}")
        if c.tenant in renamed_to
        else c
        for c in result
    ]


def _rename_reason(new: str, old: str, how: str, same_display: bool) -> str:
    """Why creating `new` waits while `old` is deployed, and the two ways on."""
    steps = ["remove renamedFrom"] if how == "metadata.renamedFrom" else []
    steps += [f"give {new} a display name no deployed tenant has"] if same_display else []
    steps += [f"decommission {old} (restore its file with spec.decommission: true)"]
    start_over = steps[0] if len(steps) == 1 else ", ".join(steps[:-1]) + " and " + steps[-1]
    return (
        f"a rename of {old} ({how}; tenants/{old}.yaml is gone and {old} is still "
        f"deployed): creating {new} would make a second, empty identity tenant, and "
        f"{old}'s users would not move. To keep them, rename the file back to "
        f"tenants/{old}.yaml; to start over, {start_over}"
    )


def make_plan(
    desired: Iterable[Desired],
    deployed: Mapping[str, DeployedStack],
    max_delete_fraction: float,
    now: datetime | None = None,
    secrets: Mapping[str, Sequence[SecretFinding]] | None = None,
) -> Plan:
    """Compare desired tenants with deployed stacks; apply the fleet-wide delete guard.

    `now` only dates held locks in the reasons (their age); without it they show no age.
    `secrets` holds, per tenant, what was found about its Secret Manager secrets (rotations).
    """
    wanted = {d.tenant.name: d for d in desired}
    found = secrets or {}
    changes = [
        _secret_findings(_change_for(d, deployed.get(name)), found.get(name, ()))
        for name, d in wanted.items()
    ]
    changes += [_orphan(stack) for name, stack in deployed.items() if name not in wanted]
    changes = [_lock_note(change, now) for change in _renames(changes, deployed)]
    changes.sort(key=lambda change: change.tenant)

    deletes = [c for c in changes if c.action is Action.DELETE]
    # A floor of one: removing a single tenant is never a fleet-wide accident.
    allowed = max(1, math.floor(max_delete_fraction * len(deployed)))
    if len(deletes) <= allowed:
        return Plan(tuple(changes))
    guard = (
        f"{len(deletes)} of {len(deployed)} deployed tenants would be deleted, more than the "
        f"{max_delete_fraction:.0%} allowed (reconcile.maxDeleteFraction); nothing is deleted"
    )
    guarded = [
        replace(c, action=Action.BLOCKED, reason=f"{c.reason}; refused: {guard}")
        if c.action is Action.DELETE
        else c
        for c in changes
    ]
    return Plan(tuple(guarded), guard=guard)


@dataclass(frozen=True)
class Selection:
    """Which of the plan's changes a command acts on."""

    tenants: frozenset[str] = frozenset()
    """Only these tenants (empty: all)."""
    changed: frozenset[str] | None = None
    """Only tenants whose manifest changed (None: no such filter)."""
    actions: frozenset[Action] = frozenset()
    """Only changes with these actions (empty: all)."""
    shard: tuple[int, int] | None = None
    """Only the tenants in the I-th of N shards (see `shard_of`)."""
    drift: bool = False
    """The selection is for a drift check (shards are the same for every command)."""


def shard_of(tenant: str, total: int) -> int:
    """The shard (1..total) a tenant belongs to: a stable function of its name alone.

    Never of what has work at the moment: shard legs that start at different times (or a
    re-run of one leg after the others recorded their tenants) must still split the fleet
    the same way, or a tenant falls between two legs.
    """
    digest = hashlib.sha256(tenant.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % total + 1


def select(plan: Plan, selection: Selection) -> tuple[Change, ...]:
    """The changes a command acts on, in name order."""
    s = selection
    chosen = [
        c
        for c in plan.changes
        if (not s.tenants or c.tenant in s.tenants)
        and (s.changed is None or c.tenant in s.changed)
        and (not s.actions or c.action in s.actions)
    ]
    if s.shard is not None:
        index, total = s.shard
        chosen = [c for c in chosen if shard_of(c.tenant, total) == index]
    return tuple(chosen)


FORCED = "re-applied on request (--force)"


def forced(changes: Sequence[Change]) -> tuple[Change, ...]:
    """`apply --force`: each unchanged tenant that has a stack is updated all the same (e.g.
    after rotating a secret plan cannot see); nothing else changes."""
    return tuple(
        replace(c, action=Action.UPDATE, reason=FORCED)
        if c.action is Action.UNCHANGED and c.deployed is not None
        else c
        for c in changes
    )


def rotation_candidates(plan: Plan, selection: Selection) -> tuple[Change, ...]:
    """The changes whose Secret Manager secrets are checked for a rotation: the selected
    tenants whatever `--action` keeps (a rotation changes the action); none for drift."""
    if selection.drift:
        return ()
    return select(plan, replace(selection, actions=frozenset()))


@dataclass(frozen=True)
class Observed:
    """What plan is made from: desired and deployed state, and the fleet's delete guard."""

    desired: tuple[Desired, ...]
    deployed: Mapping[str, DeployedStack]
    max_delete_fraction: float
    now: datetime | None = None
    """Dates held locks in the reasons (see `make_plan`)."""


Rotations = Callable[[Sequence[Change]], Mapping[str, Sequence[SecretFinding]]]
"""Findings per tenant about the given changes' secrets (reconcile/rotation.py asks)."""


def plan_and_select(
    observed: Observed, selection: Selection, rotations: Rotations, force: bool = False
) -> tuple[Plan, tuple[Change, ...]]:
    """The plan and the changes a command acts on.

    Plan; ask `rotations` about the candidates (`rotation_candidates`) and plan again with
    what it found (a rotated secret makes an unchanged tenant an update); select; then
    `--force`. Pure when `rotations` is.
    """

    def planned(secrets: Mapping[str, Sequence[SecretFinding]] | None = None) -> Plan:
        o = observed
        return make_plan(o.desired, o.deployed, o.max_delete_fraction, now=o.now, secrets=secrets)

    plan = planned()
    if not selection.drift:
        findings = rotations(rotation_candidates(plan, selection))
        if findings:
            plan = planned(findings)
    chosen = select(plan, selection)
    return plan, forced(chosen) if force else chosen
