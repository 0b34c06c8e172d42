"""`reconciler report --format html`: the fleet page, one self-contained HTML file.

Reads what `plan` reads (the manifests, the backend's records and locks, in bulk: no
Pulumi process) plus the JSON reports it is given (a drift check's, an apply's), and
writes `report/html.py`'s page to `--out` (or stdout). Needs no write access anywhere.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import UTC, datetime

from reconciler.report.results import Report
from reconciler.report.status import EXIT_OK


def run_report(args: argparse.Namespace) -> int:
    """`reconciler report --format html [FILE...]`: main sends it here."""
    import json

    from reconciler.cli import commands
    from reconciler.report.status import EXIT_USAGE

    reports = []
    for path in args.reports:
        try:
            reports.append(Report.from_json(json.loads(path.read_text(encoding="utf-8"))))
        except (OSError, ValueError, KeyError, TypeError) as error:
            print(f"{path}: not a reconciler JSON report ({error})", file=sys.stderr)
            return EXIT_USAGE
    try:
        return _page(args, reports)
    except commands.CommandFailed as failed:
        return failed.code


def _page(args: argparse.Namespace, reports: Sequence[Report]) -> int:
    from reconciler.cli import commands
    from reconciler.cli.rollout import rollout_of
    from reconciler.program.version import program_version
    from reconciler.reconcile.fleet_page import PageContext, fleet_page
    from reconciler.reconcile.observe import observe_desired
    from reconciler.reconcile.plan import make_plan
    from reconciler.report.html import render_html

    platform = commands._platform(args)
    desired = observe_desired(platform)
    commands._check_validation(desired.validation)
    deployed = commands._deployed(platform, commands._engine_factory(platform))
    now = datetime.now(UTC)
    plan = make_plan(desired.desired, deployed, platform.max_delete_fraction, now=now)
    rollout = rollout_of(platform, plan)
    waves = {c.tenant: rollout.label(c.tenant) for c in plan.changes} if rollout else {}
    notes = [rollout.describe()] if rollout is not None and rollout.work else []
    context = PageContext(program_version(), now, waves)
    page = fleet_page(plan, deployed, reports, context, notes)
    text = render_html(page)
    if args.out is not None:
        args.out.write_text(text, encoding="utf-8")
        print(
            f"reconciler: the fleet page ({len(page.rows)} tenants) is in {args.out}",
            file=sys.stderr,
        )
    else:
        sys.stdout.write(text)
    return EXIT_OK
