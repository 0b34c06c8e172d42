"""Every subcommand by name (`run_<command>`), each taking its typed options.

The families live beside this module: `validate.py` (the gate), `fleet.py` (plan, preview,
apply, drift; the rollout's part in `rollout.py`), `state.py` (outputs, unlock, adopt),
`platform_commands.py` (init, platform), `upgrade.py`, `impact.py`, `rollout_command.py`,
`fleet_page.py` (`report --format html`) and `github_commands.py` (approval, codeowners,
doctor); `report`, `schema` and `new` are small enough to live here. `validate`, `plan`,
`report`, `new`, `schema`, `init`, `upgrade`, `approval`, `codeowners` and `doctor` never
import Pulumi; the others load the engine only after the manifests proved valid, through
`session.engine_factory`, the one place a tenant engine is built (`platform` runs its own
stack, `platform_commands.py`).
"""

from __future__ import annotations

import json

from reconciler.cli import fleet, github_commands, impact, rollout_command, state, validate
from reconciler.cli.options import (
    InitOptions,
    NewOptions,
    PlatformOptions,
    ReportOptions,
    SchemaOptions,
    UpgradeOptions,
)
from reconciler.cli.session import err, guarded
from reconciler.report.renderers import render
from reconciler.report.results import Report, merge
from reconciler.report.status import EXIT_OK, EXIT_USAGE
from reconciler.settings import Settings

run_validate = guarded(validate.run_validate)
run_plan = guarded(fleet.run_plan)
run_preview = guarded(fleet.run_stage)
run_apply = guarded(fleet.run_stage)
run_drift = guarded(fleet.run_stage)
run_outputs = guarded(state.run_outputs)
run_adopt = guarded(state.run_adopt)
run_unlock = guarded(state.run_unlock)
run_impact = guarded(impact.run_impact)
run_rollout = guarded(rollout_command.run_rollout)
run_approval = guarded(github_commands.run_approval)
run_codeowners = guarded(github_commands.run_codeowners)
run_doctor = guarded(github_commands.run_doctor)


@guarded
def run_init(options: InitOptions, settings: Settings) -> int:
    from reconciler.cli.platform_commands import run_init

    return run_init(options, settings)


@guarded
def run_platform(options: PlatformOptions, settings: Settings) -> int:
    from reconciler.cli.platform_commands import run_platform

    return run_platform(options, settings)


@guarded
def run_upgrade(options: UpgradeOptions, settings: Settings) -> int:
    from reconciler.cli.upgrade import run_upgrade

    return run_upgrade(options, settings)


@guarded
def run_report(options: ReportOptions, _settings: Settings) -> int:
    reports = []
    for path in options.reports:
        try:
            reports.append(Report.from_json(json.loads(path.read_text(encoding="utf-8"))))
        except (OSError, ValueError, KeyError, TypeError) as error:  # incl. unknown statuses
            err(f"{path}: not a reconciler JSON report ({error})")
            return EXIT_USAGE
    if options.format == "html":
        from reconciler.cli.fleet_page import run_fleet_page

        return run_fleet_page(options, _settings, reports)
    if not reports:
        err("reconciler report: give at least one JSON report (or --format html)")
        return EXIT_USAGE
    merged = merge(reports)
    print(render(merged, options.format), end="")
    return merged.exit_code()


@guarded
def run_schema(_options: SchemaOptions, _settings: Settings) -> int:
    from reconciler.manifests.schema import SCHEMA_DIR

    print((SCHEMA_DIR / "tenant.schema.json").read_text(encoding="utf-8"), end="")
    return EXIT_OK


@guarded
def run_new(options: NewOptions, _settings: Settings) -> int:
    from reconciler.cli.scaffold import NewTenant, ScaffoldError, next_steps, write_manifest

    wanted = NewTenant(options.name, options.owner, options.google_client_id)
    try:
        path = write_manifest(options.globals.root.resolve(), wanted, force=options.force)
    except ScaffoldError as error:
        err(f"reconciler: {error}")
        return EXIT_USAGE
    print(next_steps(wanted, path))
    return EXIT_OK
