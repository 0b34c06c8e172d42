"""`reconciler report --format html`: the fleet page, one self-contained HTML file.

Reads what `plan` reads (the manifests, the backend's records and locks, in bulk: no
Pulumi process) plus the JSON reports it is given (a drift check's, an apply's), and
writes `report/html.py`'s page to `--out` (or stdout). Needs no write access anywhere.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from reconciler.report.results import Report
from reconciler.report.status import EXIT_OK

if TYPE_CHECKING:
    from reconciler.cli.options import ReportOptions
    from reconciler.settings import Settings


def run_fleet_page(options: ReportOptions, settings: Settings, reports: Sequence[Report]) -> int:
    from reconciler.cli import session
    from reconciler.cli.rollout import rollout_of
    from reconciler.program.version import program_version
    from reconciler.reconcile.fleet_page import PageContext, fleet_page
    from reconciler.reconcile.observe import observe_desired
    from reconciler.reconcile.plan import make_plan
    from reconciler.report.html import render_html

    platform = session.platform_of(options.globals, settings)
    desired = observe_desired(platform)
    session.check_validation(desired.validation)
    engine = session.engine_factory(platform, settings)
    deployed = session.deployed_stacks(platform, engine, settings)
    now = datetime.now(UTC)
    plan = make_plan(desired.desired, deployed, platform.max_delete_fraction, now=now)
    rollout = rollout_of(platform, plan)
    waves = {c.tenant: rollout.label(c.tenant) for c in plan.changes} if rollout else {}
    notes = [rollout.describe()] if rollout is not None and rollout.work else []
    context = PageContext(program_version(), now, waves)
    page = fleet_page(plan, deployed, reports, context, notes)
    text = render_html(page)
    if options.out is not None:
        options.out.write_text(text, encoding="utf-8")
        count = len(page.rows)
        print(f"reconciler: the fleet page ({count} tenants) is in {options.out}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return EXIT_OK
