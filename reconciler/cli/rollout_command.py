"""`reconciler rollout status|resume`: where a program rollout stands, and continuing it.

`status` prints each wave (its tenants, how many are on the program, what failed);
`resume` is an apply run limited to the rollout's tenants, wave by wave from where the
last run stopped (reconcile/waves.py).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from reconciler.report.status import EXIT_OK

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


def run_rollout(args: argparse.Namespace) -> int:
    from reconciler.cli import commands
    from reconciler.cli.rollout import rollout_of

    # What plan and apply read from their own options: none of them narrows a rollout.
    defaults: dict[str, object] = {
        "tenant": [],
        "changed_since": None,
        "shard": None,
        "action": [],
        "force": False,
    }
    for key, value in defaults.items():
        setattr(args, key, getattr(args, key, value))
    args.command = "apply" if args.rollout_command == "resume" else "plan"
    platform = commands._platform(args)
    plan, _chosen = commands._plan(args, platform, commands._engine_factory(platform))
    rollout = rollout_of(platform, plan)
    if rollout is None:
        print("no rollout: platform.yaml has no `rollout` section")
        return EXIT_OK
    if args.rollout_command == "status":
        print(rollout.describe())
        for wave in rollout.waves:
            print(f"  {wave.describe()}")
            for name in wave.failed:
                print(f"    failed: {name}")
        return EXIT_OK
    if not rollout.work:
        print(rollout.describe())
        return EXIT_OK
    args.tenant = sorted(rollout.work)
    extra: dict[str, object] = {"allow_replace": [], "refresh": False, "lock_wait": None}
    for key, value in extra.items():
        setattr(args, key, getattr(args, key, value))
    return int(commands.run_apply(args))
