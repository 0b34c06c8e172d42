"""The commands on individual stacks: `outputs` (read), `unlock` (a stale lock removed) and
`adopt` (existing tenants brought under their stacks, `reconcile/adopt.py`; with
`--write-manifests`, their manifests written first, `adopt_manifests.py`)."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping

from reconciler.cli import session
from reconciler.cli.options import AdoptOptions, OutputsOptions, UnlockOptions
from reconciler.cli.session import CommandFailed, check_validation, err
from reconciler.report.renderers import readable
from reconciler.report.results import Report
from reconciler.report.status import (
    EXIT_BLOCKED,
    EXIT_ENVIRONMENT,
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
)
from reconciler.settings import Settings


def run_outputs(options: OutputsOptions, settings: Settings) -> int:
    from reconciler.engine.port import EngineError, NoAccess

    platform = session.platform_of(options.globals, settings)
    engine = session.engine_factory(platform, settings)
    names = options.tenants or tuple(sorted(session.deployed_stacks(platform, engine, settings)))
    result: dict[str, dict[str, object]] = {}
    code = EXIT_OK
    for name in names:
        try:
            result[name] = engine().outputs(name)
        except NoAccess as error:
            err(f"reconciler: {error.message}")
            raise CommandFailed(EXIT_ENVIRONMENT) from None
        except EngineError as error:
            err(f"{name}: {error.message}")
            code = EXIT_FAILED
    if options.format == "json":
        print(_outputs_json(result))
    else:
        for name, outputs in result.items():
            print(name)
            for key, value in sorted(outputs.items()):
                print(f"  {key} = {readable(json.dumps(value))}")  # whole in --format json
    return code


def _outputs_json(result: dict[str, dict[str, object]]) -> str:
    from reconciler.report.results import SCHEMA_VERSION

    tenants = [{"tenant": name, "outputs": outputs} for name, outputs in sorted(result.items())]
    body = {"schemaVersion": SCHEMA_VERSION, "command": "outputs", "tenants": tenants}
    return json.dumps(body, indent=2, sort_keys=True)


def run_adopt(options: AdoptOptions, settings: Settings) -> int:
    """Adopt existing tenants (reconcile/adopt.py); the engine runs only after validation.
    With --write-manifests, write the manifests of live tenants instead (adopt_manifests.py)."""
    if options.write_manifests:
        from reconciler.cli.adopt_manifests import run_write_manifests

        return run_write_manifests(options, settings)
    from reconciler.gcp.identitytoolkit import TenantApi, endpoint
    from reconciler.program.secrets import resolve_secrets
    from reconciler.program.tenant import tenant_program
    from reconciler.reconcile.adopt import AdoptContext, adopt
    from reconciler.reconcile.context import load_program
    from reconciler.reconcile.observe import observe_desired
    from reconciler.reconcile.plan import Desired

    platform = session.platform_of(options.globals, settings)
    engine = session.engine_factory(platform, settings)
    desired = observe_desired(platform)
    check_validation(desired.validation)
    asked = options.tenants
    wanted = [d for d in desired.desired if not asked or d.tenant.name in asked]
    unknown = sorted(set(asked) - {d.tenant.name for d in desired.desired})
    if unknown:
        err(f"reconciler: no manifest for {', '.join(unknown)} in tenants/")
        raise CommandFailed(EXIT_USAGE)
    if not any(item.tenant.adopt for item in wanted):
        err("reconciler: no manifest has spec.adopt: nothing to adopt")
        return EXIT_OK
    deployed = session.deployed_stacks(platform, engine, settings)

    def program(item: Desired, imports: Mapping[str, str]) -> Callable[[], None]:
        secrets = resolve_secrets(item.tenant, settings.secret_env, settings.client_secrets)
        return tenant_program(item.tenant, platform, item.fingerprint, secrets, imports)

    load_program()
    ctx = AdoptContext(
        engine=engine(),
        directory=TenantApi(endpoint(settings.emulator_host)),
        project=platform.gcp_project,
        program=program,
        progress=err,
        source=options.from_stack,
    )
    outcomes = adopt(wanted, deployed, ctx)
    report = Report("adopt", tuple(outcomes), engine_operations=ctx.engine.operations)
    return session.emit(report, options.output)


def run_unlock(options: UnlockOptions, settings: Settings) -> int:
    """Remove a stale lock: older than --older-than and not held by a live local process."""
    from reconciler.engine.backend.locks import unlock_context, unlock_decision
    from reconciler.engine.port import EngineError, NoAccess

    name = options.name
    platform = session.platform_of(options.globals, settings)
    engine = session.engine_factory(platform, settings)
    stack = session.deployed_stacks(platform, engine, settings).get(name)
    if stack is None:
        err(f"reconciler: no stack named {name} in {platform.resolved_backend_url()}")
        return EXIT_USAGE
    if not stack.locked:
        print(f"{name}: not locked")
        return EXIT_OK
    if stack.lock is None:
        err(
            f"{name}: locked, but this backend's lock files are not read here: check "
            f"that no run is active, then `pulumi cancel --stack {name}`"
        )
        return EXIT_BLOCKED
    allowed, reason = unlock_decision(stack.lock, unlock_context(stack.lock, options.older_than))
    if not allowed:
        err(f"{name}: not removed: {reason}")
        return EXIT_BLOCKED
    try:
        engine().unlock(name)
    except NoAccess as error:
        err(f"reconciler: {error.message}")
        return EXIT_ENVIRONMENT
    except EngineError as error:
        err(f"{name}: could not remove the lock: {error.message}")
        return EXIT_FAILED
    print(f"{name}: {reason}; the next apply retries the tenant")
    return EXIT_OK
