"""Where a no-op `reconciler plan` spends its time: each stage timed in one fresh process.

    .venv/bin/python bench/profile_plan.py [--stacks 1000] [--repeat 5]

Builds a root with N manifests and N stacks whose records match them, then times, in this
(fresh) interpreter: the imports `reconciler plan` needs, loading platform.yaml, building
the schema checker, validating the manifests, fingerprinting them, the bulk state read,
planning and rendering. The first pass includes the one-off costs (imports, schema
compilation); the later passes show the per-run work alone (median of --repeat).

The state backend here holds placeholder checkpoints: the planner lists the checkpoint
files but reads only the tags files, so their content does not matter (bench_plan.py
measures the CLI on real, cloned checkpoints).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.fleet import Fleet, records
from bench.machine import print_machine


def timed(label: str, action: Callable[[], Any], sink: dict[str, float]) -> Any:
    start = time.perf_counter()
    value = action()
    sink[label] = time.perf_counter() - start
    return value


def placeholder_backend(fleet: Fleet) -> None:
    """Meta file, one placeholder checkpoint and one real record per tenant."""
    fleet.stacks_dir.mkdir(parents=True)
    (fleet.backend / ".pulumi" / "meta.yaml").write_text("version: 1\n")
    for name, record in records(fleet).items():
        (fleet.stacks_dir / f"{name}.json").write_text("{}")
        tags = {"version": 1, "tags": {"tenant-gitops": record}}
        (fleet.stacks_dir / f"{name}.pulumi-tags").write_text(json.dumps(tags))


def one_pass(root: Path) -> dict[str, float]:
    stages: dict[str, float] = {}

    def imports() -> Any:
        from reconciler.cli import commands
        from reconciler.reconcile import observe

        return commands, observe

    _, observe = timed("import reconciler.cli.commands, observe", imports, stages)
    from reconciler.manifests.platform import load_platform
    from reconciler.manifests.schema import checker
    from reconciler.manifests.validate import validate_tree
    from reconciler.program.version import program_version
    from reconciler.reconcile.fingerprint import fingerprint
    from reconciler.reconcile.plan import make_plan
    from reconciler.report.renderers import render_json
    from reconciler.report.results import Report

    platform = timed("load platform.yaml", lambda: load_platform(root, {}), stages)
    timed("schema checker (check_schema + compile)", lambda: checker("tenant"), stages)
    validation = timed("validate manifests", lambda: validate_tree(root), stages)
    version = timed("program version", program_version, stages)
    timed(
        "fingerprints",
        lambda: [fingerprint(t, platform, version) for t in validation.tenants],
        stages,
    )
    desired = timed(
        "observe_desired (validate + fingerprint)",
        lambda: observe.observe_desired(platform),
        stages,
    )

    def no_engine() -> NoReturn:
        raise AssertionError("a file:// backend is read in bulk: no engine may be built")

    deployed = timed(
        "bulk state read", lambda: observe.observe_deployed(platform, no_engine), stages
    )
    plan = timed("make_plan", lambda: make_plan(desired.desired, deployed, 0.25), stages)
    report = Report("plan", tuple(c.outcome() for c in plan.changes))
    timed("render JSON", lambda: render_json(report), stages)
    return stages


def prepare(root: Path, stacks: int) -> None:
    """Write the root in a child process, so this one starts the passes with nothing imported."""
    script = (
        "import sys; from pathlib import Path; sys.path.insert(0, sys.argv[3]);"
        "from bench.profile_plan import placeholder_backend; from bench.fleet import write_root;"
        "placeholder_backend(write_root(Path(sys.argv[1]), int(sys.argv[2])))"
    )
    here = Path(__file__).resolve().parent.parent
    subprocess.run([sys.executable, "-c", script, str(root), str(stacks), str(here)], check=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--stacks", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    print_machine()
    workdir = Path(tempfile.mkdtemp(prefix="bench-profile-"))
    try:
        prepare(workdir / "root", args.stacks)
        first = one_pass(workdir / "root")
        later = [one_pass(workdir / "root") for _ in range(args.repeat)]
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print(
        f"no-op plan over {args.stacks} stacks, by stage (seconds; the 'later' column is "
        f"the median of {args.repeat} more passes in the same process)"
    )
    print(f"{'stage':<44} {'first':>7} {'later':>7}")
    for stage, seconds in first.items():
        again = statistics.median(p[stage] for p in later)
        print(f"{stage:<44} {seconds:>7.3f} {again:>7.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
