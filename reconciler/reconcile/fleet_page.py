"""The fleet page's rows: desired tenants, deployed stacks, the plan and run reports, joined.

Pure: it reads nothing. The command (`reconciler report --format html`) observes, plans
and reads the JSON reports it was given, then hands everything here; `report/html.py`
renders the result.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

from reconciler.engine.backend.records import PROGRAM_DIGITS
from reconciler.engine.backend.state import DeployedStack
from reconciler.manifests.model import OidcIdp, SamlIdp, Tenant
from reconciler.reconcile.plan import Change, Desired, Plan
from reconciler.report.html import FleetPage, SignIn, TenantRow
from reconciler.report.results import Outcome, Report
from reconciler.report.status import Status


def sign_in_of(tenant: Tenant) -> SignIn:
    """The tenant's sign-in posture, from its manifest."""
    providers = []
    for idp in tenant.identity_providers:
        kind = (
            " (OIDC)" if isinstance(idp, OidcIdp) else " (SAML)" if isinstance(idp, SamlIdp) else ""
        )
        providers.append(f"{idp.id}{kind}{'' if idp.enabled else ' (off)'}")
    mfa = tenant.auth.mfa
    posture = mfa.state if mfa.state == "DISABLED" else f"{mfa.state}: {', '.join(mfa.factors)}"
    return SignIn(tuple(providers), posture, tenant.auth.allow_password_signup)


def _when(seconds: float | None) -> str:
    if seconds is None:
        return ""
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M UTC")


def _drift(outcome: Outcome | None) -> str:
    if outcome is None:
        return "not checked"
    if outcome.status is Status.DRIFTED:
        return f"drifted ({len(outcome.steps)} resource(s))"
    if outcome.status is Status.IN_SYNC:
        return "in sync"
    return f"not checked ({outcome.status})"


def _latest(reports: Sequence[Report], command: str) -> dict[str, Outcome]:
    """Per tenant, the line of the last given report of this command."""
    found: dict[str, Outcome] = {}
    for report in reports:
        if report.command == command:
            found.update({o.tenant: o for o in report.outcomes})
    return found


def _row(
    change: Change,
    stack: DeployedStack | None,
    drift: Outcome | None,
    applied: Outcome | None,
    context: PageContext,
) -> TenantRow:
    desired: Desired | None = change.desired
    tenant = desired.tenant if desired is not None else None
    record = stack.record if stack is not None else None
    program = (record.program or "") if record is not None else ""
    result = (record.result or "never applied") if record is not None else "never applied"
    reason = change.reason
    if applied is not None and applied.status in (Status.FAILED, Status.BLOCKED):
        reason = f"{reason}; this run: {applied.status}: {applied.reason}"
    lock = ""
    if stack is not None and stack.locked:
        lock = stack.lock.describe(context.now) if stack.lock else "locked by another run"
    return TenantRow(
        tenant=change.tenant,
        display_name=tenant.display_name if tenant else "",
        action=change.action.value,
        reason=reason,
        result=result,
        last_run=_when(stack.recorded_at) if stack is not None else "",
        program=program,
        current=bool(program) and program == context.program[:PROGRAM_DIGITS],
        wave=context.waves.get(change.tenant, ""),
        drift=_drift(drift),
        lock=lock,
        sign_in=sign_in_of(tenant) if tenant else None,
        labels=dict(tenant.labels) if tenant else {},
    )


class PageContext:
    """What every row needs besides its own data."""

    def __init__(self, program: str, now: datetime, waves: Mapping[str, str] | None = None) -> None:
        self.program = program
        self.now = now
        self.waves = dict(waves or {})
        """Tenant -> its wave's label (`2 early`)."""


def fleet_page(
    plan: Plan,
    deployed: Mapping[str, DeployedStack],
    reports: Sequence[Report],
    context: PageContext,
    notes: Sequence[str] = (),
) -> FleetPage:
    """Every tenant of the plan (manifests and deployed stacks) on one row."""
    drift, applied = _latest(reports, "drift"), _latest(reports, "apply")
    rows = tuple(
        _row(c, deployed.get(c.tenant), drift.get(c.tenant), applied.get(c.tenant), context)
        for c in plan.changes
    )
    extra = [f"fleet guard: {plan.guard}"] if plan.guard else []
    return FleetPage(
        title="Tenant fleet",
        generated=context.now.strftime("%Y-%m-%d %H:%M UTC"),
        program=context.program[:PROGRAM_DIGITS],
        rows=rows,
        notes=(*notes, *extra),
    )
