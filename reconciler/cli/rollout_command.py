"""`reconciler rollout status|resume`: where a program rollout stands, and continuing it.

`status` prints each wave (its tenants, how many are on the program, what failed);
`resume` is an apply run limited to the rollout's tenants, wave by wave from where the
last run stopped (reconcile/waves.py).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from reconciler.report.status import EXIT_OK

if TYPE_CHECKING:
    from reconciler.cli.options import RolloutOptions
    from reconciler.settings import Settings

HELP = "show where a program rollout stands (status), or continue it wave by wave (resume)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="rollout_command", required=True, metavar="ACTION")
    sub.add_parser("status", help="each wave: its tenants, how many are on the program, failures")
    resume = sub.add_parser(
        "resume",
        help="apply the rollout's tenants from where it stopped: the halted wave's failed "
        "tenants first, then the later waves (the same as an apply run, limited to them)",
    )
    resume.add_argument("--parallel", type=int, metavar="N", help="engine operations at once")
    resume.add_argument("--format", choices=("text", "json", "markdown"), default="text")
    resume.add_argument("--json-out", metavar="FILE", type=_path)
    resume.add_argument("--markdown-out", metavar="FILE", type=_path)


def _path(text: str) -> Path:
    return Path(text)


def run_rollout(options: RolloutOptions, settings: Settings) -> int:
    from reconciler.cli import fleet, session
    from reconciler.cli.options import SelectOptions, StageOptions
    from reconciler.cli.rollout import rollout_of

    platform = session.platform_of(options.globals, settings)
    run = fleet.Run(settings, session.engine_factory(platform, settings))
    plan, _chosen = fleet.planned(SelectOptions(), False, False, platform, run)
    rollout = rollout_of(platform, plan)
    if rollout is None:
        print("no rollout: platform.yaml has no `rollout` section")
        return EXIT_OK
    if options.action == "status" or not rollout.work:
        print(rollout.describe())
        for wave in rollout.waves if options.action == "status" else ():
            print(f"  {wave.describe()}")
            for name in wave.failed:
                print(f"    failed: {name}")
        return EXIT_OK
    # An apply run limited to the rollout's tenants: wave by wave, from where it stopped.
    stage = StageOptions(
        "apply",
        options.globals,
        SelectOptions(tenants=tuple(sorted(rollout.work))),
        options.output,
        parallel=options.parallel,
    )
    return fleet.run_stage(stage, settings)
