"""Adopt: bring tenants that already exist under their stacks, without recreating them.

Two ways in, one check and one finish (docs/adopting-existing-tenants.md):

- **import** (`reconciler adopt`): the manifest's `spec.adopt` names an Identity Platform
  tenant made elsewhere (the console, a script); it and the IdP configs the manifest lists
  are imported by the tenant program itself (the `import` resource option, ids from here).
- **migration** (`reconciler adopt --from-stack PROJECT/STACK`): the tenant and its IdP
  configs already sit in another stack of the same backend (a multi-tenant program like the
  seed); `pulumi state move` carries them over, `pulumi state rename` gives them the
  program's logical names. Only state changes; the cloud is not touched.

Order of operations, chosen so that an interrupted run is finished by a re-run and nothing
is lost or duplicated: (1) find and compare, read-only, and stop on any difference before
anything changes; (2) migration: move only what the tenant's stack does not hold yet — a
resource is either still in the source or already in the destination, never in neither,
because `state move` writes the destination before it removes from the source — then
rename whatever still has a foreign name; (3) preview the tenant program (importing what
the stack does not hold yet, in a scratch backend when there is no stack, so a refusal
leaves nothing behind), which must show no replacement, no delete, no change to an adopted
resource beyond `deletionPolicy` (state only), no import that differs from the cloud and no
new identity tenant or IdP config; (4) `up` with the imports, which only reads what exists
and creates what does not (MFA settings equal to the live ones, bucket, service account,
grants); (5) `up` without imports, which sets the state-only `deletionPolicy`; (6) the
record, after which `plan` shows the tenant unchanged. A stack with a successful record is
already adopted: a re-run leaves it alone.

The decisions (`resolve`, `differences`, `migration_moves`, `renames`, `import_ids`,
`refusals`) are pure functions in `adoption.py`, tested by tables; `adopt_tenant` here runs
them against the engine port and the Identity Toolkit, and is the only part with side
effects.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from reconciler.engine.backend.records import StackRecord
from reconciler.engine.backend.state import DeployedStack
from reconciler.engine.port import Engine, EngineError, Program, StateResource
from reconciler.manifests.model import Tenant
from reconciler.reconcile import adopt_signin as signin
from reconciler.reconcile.adopt_guard import Holders, taken
from reconciler.reconcile.adoption import (
    TENANT_TYPE,
    AdoptError,
    LiveTenant,
    belongs,
    check_idps,
    differences,
    import_ids,
    live_tenant,
    migration_moves,
    refusals,
    renames,
    resolve,
)
from reconciler.reconcile.plan import Desired
from reconciler.report.results import Outcome, ResourceStep
from reconciler.report.status import Status


class TenantDirectory(Protocol):
    """The two Identity Toolkit reads adoption needs (tests pass a dict-backed one)."""

    def list_tenants(self, project: str) -> list[dict[str, Any]]: ...

    def find_tenant(self, project: str, tenant_id: str) -> dict[str, Any] | None: ...


@dataclass(frozen=True)
class AdoptContext:
    """What adopting needs; one per run."""

    engine: Engine
    directory: TenantDirectory
    project: str
    """The GCP project the tenants live in."""
    program: Callable[[Desired, Mapping[str, str]], Program]
    """Builds a tenant's program (secrets resolved), importing the given name -> id."""
    progress: Callable[[str], None]
    source: str | None = None
    """`PROJECT/STACK` to migrate from; None: import from the cloud."""


def _outcome(
    name: str, status: Status, reason: str, steps: tuple[ResourceStep, ...] = ()
) -> Outcome:
    return Outcome(tenant=name, action="adopt", status=status, reason=reason, steps=steps)


def _candidates(ctx: AdoptContext, dest: Sequence[StateResource]) -> tuple[list[LiveTenant], str]:
    if ctx.source is None:
        return [live_tenant(doc) for doc in ctx.directory.list_tenants(ctx.project)], (
            f"project {ctx.project}"
        )
    held = [*ctx.engine.stack_resources(ctx.source), *dest]
    tenants = [
        LiveTenant(str(r.outputs.get("name")), str(r.outputs.get("displayName")), {})
        for r in held
        if r.type == TENANT_TYPE
    ]
    return tenants, f"stack {ctx.source} (or already moved)"


def _find(tenant: Tenant, dest: Sequence[StateResource], ctx: AdoptContext) -> LiveTenant:
    """The live tenant the manifest names, refused (AdoptError) unless it matches."""
    found = resolve(tenant, *_candidates(ctx, dest))
    document = ctx.directory.find_tenant(ctx.project, found.id)
    if document is None:
        raise AdoptError(f"tenant {found.id} is in the state but not in project {ctx.project}")
    live = live_tenant(document)
    problems = differences(tenant, live)
    configs = signin.oidc_configs(ctx.directory, tenant, ctx.project, live.id)
    problems += signin.flow_differences(tenant, configs)
    if ctx.source is not None:
        source = ctx.engine.stack_resources(ctx.source)
        problems += check_idps(tenant, [r for r in (*source, *dest) if belongs(r, live.id)])
    if problems:
        raise AdoptError("; ".join(problems))
    return live


def _migrate(
    tenant: Tenant, tenant_id: str, dest: Sequence[StateResource], ctx: AdoptContext
) -> bool:
    """Move what the source still holds, then rename; whether the state changed."""
    assert ctx.source is not None
    urns = migration_moves(tenant_id, ctx.engine.stack_resources(ctx.source), dest)
    if urns:
        ctx.progress(f"{tenant.name}: moving {len(urns)} resource(s) from {ctx.source}")
        ctx.engine.move_resources(ctx.source, tenant.name, urns)
    held = ctx.engine.stack_resources(tenant.name)
    for urn, new_name in renames(tenant, tenant_id, held):
        ctx.engine.rename_resource(tenant.name, urn, new_name)
    return bool(urns) or bool(renames(tenant, tenant_id, held))


def adopt_tenant(
    desired: Desired,
    deployed: DeployedStack | None,
    ctx: AdoptContext,
    held: Callable[[], Mapping[str, str]] = dict,
) -> Outcome:
    """Adopt one tenant (see the module docstring for the order); never raises."""
    tenant = desired.tenant
    name = tenant.name
    if deployed is not None and deployed.record.result == "succeeded":
        return _outcome(name, Status.UNCHANGED, "already managed by its stack: nothing to adopt")
    existed = deployed is not None
    changed = False
    try:
        dest = ctx.engine.stack_resources(name) if existed else ()
        live = _find(tenant, dest, ctx)
        if refused_by := taken(live.id, name, held().get(live.id)):
            raise AdoptError(refused_by)
        how = (
            "by spec.adopt.tenantId"
            if tenant.adopt and tenant.adopt.tenant_id
            else f"by display name {tenant.display_name!r}"
        )
        ctx.progress(f"{name}: found tenant {live.id} {how}")
        imports: dict[str, str] = {}
        if ctx.source is not None:
            changed = _migrate(tenant, live.id, dest, ctx)
            existed = True
        else:
            imports = import_ids(tenant, ctx.project, live.id, dest)
        program = ctx.program(desired, imports)
        # Without a stack the preview runs in a scratch backend: a refusal leaves nothing.
        refused = refusals(ctx.engine.preview(name, program, existed).steps)
        if refused:
            raise AdoptError("; ".join(refused))
        if imports:
            ctx.progress(f"{name}: importing {len(imports)} resource(s)")
        changed = True
        run = ctx.engine.up(name, program)
        # The imports ignored the state-only deletionPolicy: set it as the manifest says.
        final = ctx.engine.up(name, ctx.program(desired, {})).steps if imports else ()
        record = StackRecord(
            desired.fingerprint,
            "succeeded",
            desired.protected,
            desired.shape,
            program=desired.program or None,  # the adoption's up ran this program
        )
        ctx.engine.record(name, record)
    except AdoptError as error:
        after = (
            "what was moved stays in the tenant's stack (the cloud is untouched): fix the "
            "manifest and run adopt again"
            if changed
            else "nothing was changed"
        )
        return _outcome(name, Status.FAILED, f"not adopted: {error}; {after}")
    except EngineError as error:
        return _outcome(name, Status.FAILED, f"not adopted: {error.message}; run adopt again")
    except Exception as error:  # e.g. a missing secret, an unreachable API
        return _outcome(name, Status.FAILED, f"not adopted: {error}")
    creates = sum(1 for step in run.steps if step.op == "create")
    reason = f"adopted tenant {live.id} ({how}); {creates} missing resource(s) created"
    return _outcome(name, Status.SUCCEEDED, reason, (*run.steps, *final))


def adopt(
    desired: Sequence[Desired],
    deployed: Mapping[str, DeployedStack],
    ctx: AdoptContext,
    held: Mapping[str, str] | None = None,
) -> list[Outcome]:
    """Adopt every given tenant that asks for it (`spec.adopt`), one at a time; never an
    identity tenant another deployed stack holds (`held`: id -> stack; read here if None)."""
    outcomes = []
    holders = Holders(deployed, ctx.engine.stack_resources, held)
    for item in desired:
        if item.tenant.adopt is None:
            outcomes.append(
                _outcome(item.tenant.name, Status.UNCHANGED, "no spec.adopt: not an adoption")
            )
            continue
        outcome = adopt_tenant(item, deployed.get(item.tenant.name), ctx, holders)
        ctx.progress(f"{item.tenant.name}: {outcome.status}: {outcome.reason}")
        outcomes.append(outcome)
    return outcomes
