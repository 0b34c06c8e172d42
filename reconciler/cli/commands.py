"""Subcommand handlers: observe → plan → act, each command taking the stages it needs.

`validate`, `plan`, `report`, `new` and `schema` never import Pulumi; `preview`, `apply`,
`drift` and `outputs` load the engine only after the manifests proved valid. The engine is
built here and only here (`_engine_factory`); observe and act receive it.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from reconciler.engine.backend.state import BackendAccessError, BackendError, DeployedStack
from reconciler.manifests.platform import BackendConflict, Platform, PlatformError, load_platform
from reconciler.manifests.validate import ValidationResult, validate_tree
from reconciler.reconcile.plan import (
    Action,
    Change,
    Plan,
    SecretFinding,
    Selection,
    make_plan,
    select,
)
from reconciler.report.renderers import readable, render, render_json, render_markdown
from reconciler.report.results import Report, merge
from reconciler.report.status import (
    EXIT_BLOCKED,
    EXIT_CHANGES,
    EXIT_ENVIRONMENT,
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_INVALID,
    EXIT_OK,
    EXIT_USAGE,
)
from reconciler.report.validation import issue_line, render_issues

if TYPE_CHECKING:
    from reconciler.engine.port import Engine
    from reconciler.reconcile.act import ActContext
    from reconciler.report.console import Progress


class CommandFailed(Exception):
    """Stop the command with this exit code; the message has been printed."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


def _err(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _platform(args: argparse.Namespace) -> Platform:
    try:
        return load_platform(args.root.resolve(), os.environ)
    except PlatformError as error:
        settings = ValidationResult(issues=error.issues, tenants=(), files=(Path("platform.yaml"),))
        _err(render_issues(settings, "text"))
        raise CommandFailed(EXIT_INVALID) from None
    except BackendConflict as error:
        _err(f"reconciler: {error}")
        raise CommandFailed(EXIT_USAGE) from None


def _check_validation(validation: ValidationResult) -> None:
    """Stop on an invalid manifest; otherwise show its warnings (on stderr) and go on."""
    if validation.ok:
        for warning in validation.warnings:
            _err(issue_line(warning))
        return
    _err(render_issues(validation, "text"))
    _err("reconciler: invalid manifests: nothing was planned, deployed or destroyed")
    raise CommandFailed(EXIT_INVALID)


def _engine_factory(platform: Platform) -> Callable[[], Engine]:
    """The one place an engine is built: on first use, once per command."""
    built: list[Engine] = []

    def engine() -> Engine:
        if not built:
            from reconciler.cli.runtime import SetupError, engine_settings
            from reconciler.engine.automation.adapter import AutomationEngine

            try:
                settings = engine_settings(platform, os.environ)
            except SetupError as error:
                _err(f"reconciler: {error}")
                raise CommandFailed(EXIT_USAGE) from None
            built.append(AutomationEngine(settings))
        return built[0]

    return engine


def _deployed(platform: Platform, engine: Callable[[], Engine]) -> dict[str, DeployedStack]:
    from reconciler.reconcile.observe import observe_deployed

    try:
        return observe_deployed(platform, engine, os.environ.get("RECONCILER_INVENTORY"))
    except BackendAccessError as error:
        _err(f"reconciler: {error}")
        raise CommandFailed(EXIT_ENVIRONMENT) from None
    except BackendError as error:
        _err(f"reconciler: {error}")
        raise CommandFailed(EXIT_USAGE) from None


def _plan(
    args: argparse.Namespace, platform: Platform, engine: Callable[[], Engine]
) -> tuple[Plan, tuple[Change, ...]]:
    """Observe desired and deployed state (failing closed), plan, then select."""
    from reconciler.reconcile.observe import GitError, changed_tenants, observe_desired

    desired = observe_desired(platform)
    _check_validation(desired.validation)
    deployed = _deployed(platform, engine)
    now = _now()
    plan = make_plan(desired.desired, deployed, platform.max_delete_fraction, now=now)
    changed = None
    if args.changed_since:
        try:
            changed = changed_tenants(platform.root, args.changed_since)
        except GitError as error:
            _err(f"reconciler: {error}")
            raise CommandFailed(EXIT_USAGE) from None
    unknown = sorted(set(args.tenant) - set(plan.by_tenant()))
    if unknown:
        _err(f"reconciler: no tenant named {', '.join(unknown)} in tenants/ or the backend")
        raise CommandFailed(EXIT_USAGE)
    selection = Selection(
        tenants=frozenset(args.tenant),
        changed=frozenset(changed) if changed is not None else None,
        actions=frozenset(Action(a) for a in args.action),
        shard=args.shard,
        drift=args.command == "drift",
    )
    if not selection.drift:
        # Secrets rotated since the last apply (metadata only; no Pulumi process). Asked
        # for the selected tenants, whatever --action keeps: a rotation changes the action.
        candidates = select(plan, replace(selection, actions=frozenset()))
        secrets = _secret_findings(candidates, platform)
        if secrets:
            plan = make_plan(
                desired.desired, deployed, platform.max_delete_fraction, now=now, secrets=secrets
            )
    return plan, select(plan, selection)


def _secret_findings(
    candidates: Sequence[Change], platform: Platform
) -> Mapping[str, Sequence[SecretFinding]]:
    from reconciler.gcp.secret_manager import SecretVersions
    from reconciler.reconcile.rotation import check

    return check(
        candidates, platform.gcp_project, lambda: SecretVersions.from_environment(os.environ).latest
    )


def _now() -> datetime:
    return datetime.now(UTC)


def _emit(report: Report, args: argparse.Namespace) -> int:
    print(render(report, args.format), end="", flush=True)
    if getattr(args, "json_out", None):
        args.json_out.write_text(render_json(report), encoding="utf-8")
    if getattr(args, "markdown_out", None):
        args.markdown_out.write_text(render_markdown(report), encoding="utf-8")
    return report.exit_code()


def _guarded(func: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    def wrapper(args: argparse.Namespace) -> int:
        try:
            return int(func(args))
        except CommandFailed as failed:
            return failed.code

    wrapper.__name__ = func.__name__
    return wrapper


@_guarded
def run_validate(args: argparse.Namespace) -> int:
    from reconciler.manifests.cache import CheckCache
    from reconciler.manifests.changes import ChangedSinceError, changed_manifests

    root = args.root.resolve()
    paths = [p if p.is_absolute() else Path.cwd() / p for p in args.paths] or None
    if args.changed_since:
        if paths:
            _err("reconciler: give either PATHs or --changed-since, not both")
            return EXIT_USAGE
        try:
            paths = changed_manifests(root, args.changed_since)
        except ChangedSinceError as error:
            _err(f"reconciler: {error}")
            return EXIT_USAGE
    cache = None if args.no_cache else CheckCache(args.cache_dir or root / ".reconciler" / "cache")
    result = validate_tree(root, paths, cache)
    print(render_issues(result, args.format), end="", flush=True)
    _validation_markdown(result, args)
    return EXIT_OK if result.ok else EXIT_INVALID


def _validation_markdown(result: ValidationResult, args: argparse.Namespace) -> None:
    """Every error, in Markdown, where the annotations cannot hold them all: the PR comment
    (`--markdown-out`) and, under `--format github`, the job summary."""
    text = render_issues(result, "markdown")
    if args.markdown_out:
        args.markdown_out.write_text(text, encoding="utf-8")
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if args.format == "github" and summary and not result.ok:
        with open(summary, "a", encoding="utf-8") as handle:
            handle.write(text)


@_guarded
def run_plan(args: argparse.Namespace) -> int:
    platform = _platform(args)
    plan, chosen = _plan(args, platform, _engine_factory(platform))
    if args.matrix:
        print(json.dumps(_matrix(chosen, args.matrix)))
        return EXIT_OK
    from reconciler.cli.rollout import plan_lines

    outcomes, rollout = plan_lines(platform, plan, chosen)
    report = Report("plan", outcomes, guard=plan.guard, rollout=rollout)
    # Plan lines are planned, unchanged or blocked: only what needs approval fails it.
    return _plan_exit(_emit(report, args), report, args.exit_code)


def _plan_exit(code: int, report: Report, detailed: bool) -> int:
    """With `--exit-code`, pending changes exit EXIT_CHANGES (a worse code still wins)."""
    pending = any(Action(o.action).runs_engine for o in report.outcomes)
    return EXIT_CHANGES if detailed and code == EXIT_OK and pending else code


def _matrix(changes: Sequence[Change], most: int) -> dict[str, object]:
    """A GitHub Actions matrix: one entry per shard of the tenants that need the engine."""
    work = [c for c in changes if c.action.runs_engine]
    shards = max(1, min(most, len(work)))
    return {"shard": [f"{i}/{shards}" for i in range(1, shards + 1)], "tenants": len(work)}


def _context(args: argparse.Namespace, platform: Platform, engine: Engine) -> ActContext:
    from reconciler.engine.port import DEFAULT_RETRY_WAIT
    from reconciler.reconcile.act import ActContext

    return ActContext(
        engine=engine,
        platform=platform,
        environ=dict(os.environ),
        parallel=getattr(args, "parallel", None) or platform.parallelism,
        progress=_err,
        allow_replace=frozenset(getattr(args, "allow_replace", ()) or ()),
        retry_wait=getattr(args, "lock_wait", None) or DEFAULT_RETRY_WAIT,
        refresh=getattr(args, "refresh", False),
    )


def _act(args: argparse.Namespace, stage: str) -> int:
    from reconciler.reconcile import act

    platform = _platform(args)
    engine = _engine_factory(platform)
    plan, chosen = _plan(args, platform, engine)
    if getattr(args, "force", False):
        chosen = tuple(
            replace(c, action=Action.UPDATE, reason="re-applied on request (--force)")
            if c.action is Action.UNCHANGED and c.deployed is not None
            else c
            for c in chosen
        )
    ctx = _context(args, platform, engine())
    console = _progress(args, chosen)
    ctx = replace(ctx, progress=console.note, listener=console)
    if stage == "apply":
        from reconciler.cli.rollout import with_rollout

        ctx = with_rollout(args, platform, plan, chosen, ctx, lambda: _deployed(platform, engine))
    ctx.engine.listen(console.step)
    try:
        with console.running():
            outcomes = getattr(act, stage)(chosen, ctx)
    finally:
        ctx.engine.listen(None)
    report = Report(
        stage,
        tuple(outcomes),
        guard=plan.guard,
        engine_operations=ctx.engine.operations,
        engine_attempts=ctx.engine.attempts,
        rollout=ctx.rollout.summary[-1] if ctx.rollout and ctx.rollout.summary else None,
    )
    code = _emit(report, args)
    return _cancelled_outcome(ctx.engine, code)


def _cancelled_outcome(engine: Engine, code: int) -> int:
    """A run stopped by SIGINT/SIGTERM always exits 130, after its report (what finished,
    what was cancelled): one outcome for CI to recognise, whatever the tenants' statuses."""
    if not engine.cancelled:
        return code
    _err("reconciler: cancelled on request; the report lists what finished and what did not")
    return EXIT_INTERRUPTED


def _progress(args: argparse.Namespace, chosen: Sequence[Change]) -> Progress:
    """Progress lines on stderr (stdout holds the report); none with --quiet."""
    from reconciler.report.console import stderr_progress

    drift = args.command == "drift"
    total = sum(1 for c in chosen if (c.deployed is not None if drift else c.action.runs_engine))
    return stderr_progress(sys.stderr, os.environ, args.quiet, total)


@_guarded
def run_preview(args: argparse.Namespace) -> int:
    return _act(args, "preview")


@_guarded
def run_apply(args: argparse.Namespace) -> int:
    return _act(args, "apply")


@_guarded
def run_drift(args: argparse.Namespace) -> int:
    return _act(args, "drift")


@_guarded
def run_outputs(args: argparse.Namespace) -> int:
    from reconciler.engine.port import EngineError, NoAccess

    platform = _platform(args)
    engine = _engine_factory(platform)
    names = args.tenant or sorted(_deployed(platform, engine))
    result: dict[str, dict[str, object]] = {}
    code = EXIT_OK
    for name in names:
        try:
            result[name] = engine().outputs(name)
        except NoAccess as error:
            _err(f"reconciler: {error.message}")
            raise CommandFailed(EXIT_ENVIRONMENT) from None
        except EngineError as error:
            _err(f"{name}: {error.message}")
            code = EXIT_FAILED
    if args.format == "json":
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


@_guarded
def run_report(args: argparse.Namespace) -> int:
    reports = []
    for path in args.reports:
        try:
            reports.append(Report.from_json(json.loads(path.read_text(encoding="utf-8"))))
        except (OSError, ValueError, KeyError, TypeError) as error:  # incl. unknown statuses
            _err(f"{path}: not a reconciler JSON report ({error})")
            return EXIT_USAGE
    if not reports:
        _err("reconciler report: give at least one JSON report (or --format html)")
        return EXIT_USAGE
    merged = merge(reports)
    print(render(merged, args.format), end="")
    return merged.exit_code()


@_guarded
def run_schema(args: argparse.Namespace) -> int:
    from reconciler.manifests.schema import SCHEMA_DIR

    print((SCHEMA_DIR / "tenant.schema.json").read_text(encoding="utf-8"), end="")
    return EXIT_OK


@_guarded
def run_new(args: argparse.Namespace) -> int:
    from reconciler.cli.scaffold import NewTenant, ScaffoldError, next_steps, write_manifest

    wanted = NewTenant(args.name, args.owner, args.google_client_id)
    try:
        path = write_manifest(args.root.resolve(), wanted, force=args.force)
    except ScaffoldError as error:
        _err(f"reconciler: {error}")
        return EXIT_USAGE
    print(next_steps(wanted, path))
    return EXIT_OK


@_guarded
def run_adopt(args: argparse.Namespace) -> int:
    """Adopt existing tenants (reconcile/adopt.py); the engine runs only after validation."""
    from reconciler.gcp.identitytoolkit import TenantApi
    from reconciler.program.secrets import resolve_secrets
    from reconciler.program.tenant import tenant_program
    from reconciler.reconcile.act import load_program
    from reconciler.reconcile.adopt import AdoptContext, adopt
    from reconciler.reconcile.observe import observe_desired
    from reconciler.reconcile.plan import Desired

    platform = _platform(args)
    engine = _engine_factory(platform)
    desired = observe_desired(platform)
    _check_validation(desired.validation)
    wanted = [d for d in desired.desired if not args.tenant or d.tenant.name in args.tenant]
    unknown = sorted(set(args.tenant) - {d.tenant.name for d in desired.desired})
    if unknown:
        _err(f"reconciler: no manifest for {', '.join(unknown)} in tenants/")
        raise CommandFailed(EXIT_USAGE)
    if not any(item.tenant.adopt for item in wanted):
        _err("reconciler: no manifest has spec.adopt: nothing to adopt")
        return EXIT_OK
    deployed = _deployed(platform, engine)

    def program(item: Desired, imports: Mapping[str, str]) -> Callable[[], None]:
        secrets = resolve_secrets(item.tenant, os.environ)
        return tenant_program(item.tenant, platform, item.fingerprint, secrets, imports)

    load_program()
    ctx = AdoptContext(
        engine=engine(),
        directory=TenantApi.from_environment(),
        project=platform.gcp_project,
        program=program,
        progress=_err,
        source=args.from_stack,
    )
    outcomes = adopt(wanted, deployed, ctx)
    report = Report("adopt", tuple(outcomes), engine_operations=ctx.engine.operations)
    return _emit(report, args)


@_guarded
def run_unlock(args: argparse.Namespace) -> int:
    """Remove a stale lock: older than --older-than and not held by a live local process."""
    from reconciler.engine.backend.locks import unlock_context, unlock_decision
    from reconciler.engine.port import EngineError, NoAccess

    platform = _platform(args)
    engine = _engine_factory(platform)
    deployed = _deployed(platform, engine)
    stack = deployed.get(args.name)
    if stack is None:
        _err(f"reconciler: no stack named {args.name} in {platform.resolved_backend_url()}")
        return EXIT_USAGE
    if not stack.locked:
        print(f"{args.name}: not locked")
        return EXIT_OK
    if stack.lock is None:
        _err(
            f"{args.name}: locked, but this backend's lock files are not read here: check "
            f"that no run is active, then `pulumi cancel --stack {args.name}`"
        )
        return EXIT_BLOCKED
    allowed, reason = unlock_decision(stack.lock, unlock_context(stack.lock, args.older_than))
    if not allowed:
        _err(f"{args.name}: not removed: {reason}")
        return EXIT_BLOCKED
    try:
        engine().unlock(args.name)
    except NoAccess as error:
        _err(f"reconciler: {error.message}")
        return EXIT_ENVIRONMENT
    except EngineError as error:
        _err(f"{args.name}: could not remove the lock: {error.message}")
        return EXIT_FAILED
    print(f"{args.name}: {reason}; the next apply retries the tenant")
    return EXIT_OK
