"""Benchmark: a no-op `reconciler plan` over N deployed stacks, against one CLI call per stack.

    .venv/bin/python bench/bench_plan.py [--sizes 100,1000] [--naive-max 1000] [--json FILE]

For each N, a generated repository root holds N manifests and a `file://` backend with N
deployed stacks: a few made by the real engine in the sandbox (`reconciler apply`), the
rest cloned from them under new names with matching records, so every tenant is unchanged.
The real CLI must read every clone (`pulumi stack ls`, `pulumi stack output`) and the plan
must find N unchanged tenants, or the script stops: a wrong setup is no figure.

Ours: `reconciler plan --format json` as a user runs it (one warm-up run, then the median
of --repeat runs), its peak memory and the Pulumi CLI processes it starts (zero expected).
Reference: the naive CI script, `pulumi stack ls`, then `pulumi stack output --json
--stack X` for every stack (reads only: it does not even validate or fingerprint the
manifests, so the reference is a lower bound of the naive way). Measured for real up to
--naive-max stacks, extrapolated above it (and labelled so).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.fleet import (
    PULUMI_PROJECT,
    SECRET_VARIABLE,
    Fleet,
    clone_stacks,
    write_manifests,
    write_root,
)
from bench.machine import PULUMI, print_machine
from bench.measure import Run, check, median, ratio, run
from bench.session import Session, session

SEEDS = 2
"""Real stacks made by the engine; the others are their clones."""
CHANGED = 10
"""Manifests edited for the 'plan with changes' figure at the largest N."""


@dataclass(frozen=True)
class Cost:
    """What one side cost at one size."""

    seconds: float
    """Wall time (ours: the median of the timed runs)."""
    cpu_seconds: float
    """User + system CPU, the Pulumi processes included."""
    pulumi_starts: int
    """Pulumi CLI processes started."""


@dataclass(frozen=True)
class PlanFigures:
    """One fleet size's figures."""

    stacks: int
    ours_seconds: float
    ours_cpu_seconds: float
    ours_runs: tuple[float, ...]
    ours_pulumi_starts: int
    ours_max_rss_mib: float
    naive_seconds: float
    naive_cpu_seconds: float
    naive_pulumi_starts: int
    naive_measured: bool
    """False: extrapolated from the per-stack cost measured at a smaller N."""
    naive_seconds_per_stack: float
    changed_seconds: float | None = None
    """Median plan time with CHANGED edited manifests (largest N only)."""

    @property
    def speedup(self) -> float:
        return ratio(self.naive_seconds, self.ours_seconds)


def make_seeds(bench: Session) -> Fleet:
    """SEEDS real stacks, created by `reconciler apply` with the real engine in the sandbox."""
    seeds = write_root(bench.workdir / "seeds", SEEDS)
    secrets = seeds.secret_environment(bench.env[SECRET_VARIABLE])
    result = check(
        bench.reconciler(seeds.root, "apply", "--format", "json", extra=secrets),
        "apply of the seed stacks",
    )
    statuses = {t["status"] for t in json.loads(result.stdout)["tenants"]}
    if statuses != {"succeeded"}:
        raise SystemExit(f"seed apply did not succeed: {statuses}\n{result.stderr[-2000:]}")
    print(f"seeds: {SEEDS} stacks applied by the engine in {result.seconds:.1f}s", flush=True)
    return seeds


def make_fleet(bench: Session, seeds: Fleet, count: int) -> Fleet:
    fleet = write_root(bench.workdir / f"fleet-{count}", count)
    shutil.copytree(
        seeds.backend / ".pulumi",
        fleet.backend / ".pulumi",
        ignore=shutil.ignore_patterns("locks", "history", "backups"),
    )
    clone_stacks(fleet, seeds.names, fleet.names[len(seeds.names) :])
    return fleet


def naive_workspace(fleet: Fleet) -> Path:
    """A folder whose Pulumi.yaml names the project and the fleet's backend, as a CI job's."""
    folder = fleet.root.parent / f"{fleet.root.name}-naive"
    folder.mkdir()
    (folder / "Pulumi.yaml").write_text(
        f"name: {PULUMI_PROJECT}\nruntime: python\nbackend:\n  url: file://{fleet.backend}\n"
    )
    return folder


def pulumi(bench: Session, folder: Path, *args: str) -> Run:
    command = [str(PULUMI), "--non-interactive", *args]
    return check(run(command, bench.env, folder), f"pulumi {' '.join(args)}")


def verify_clones(bench: Session, fleet: Fleet, folder: Path) -> None:
    """The real CLI lists every stack and reads a clone's outputs."""
    listed = json.loads(pulumi(bench, folder, "stack", "ls", "--json").stdout)
    if len(listed) != len(fleet.names):
        raise SystemExit(f"pulumi stack ls shows {len(listed)} stacks, expected {len(fleet.names)}")
    last = fleet.names[-1]
    outputs = json.loads(pulumi(bench, folder, "stack", "output", "--json", "--stack", last).stdout)
    if outputs.get("tenantName") != last:
        raise SystemExit(f"the clone {last} reads back as {outputs.get('tenantName')!r}")


def run_naive(bench: Session, fleet: Fleet, folder: Path) -> Cost:
    """The naive CI script: list the stacks, then read each one's outputs."""
    start = time.perf_counter()
    calls = [pulumi(bench, folder, "stack", "ls", "--json")]
    for name in fleet.names:
        calls.append(pulumi(bench, folder, "stack", "output", "--json", "--stack", name))
    seconds = time.perf_counter() - start
    fingerprints = [json.loads(call.stdout).get("fingerprint") for call in calls[1:]]
    if len(json.loads(calls[0].stdout)) != len(fleet.names) or None in fingerprints:
        raise SystemExit("the naive reader could not read every stack's fingerprint")
    return Cost(seconds, sum(call.cpu_seconds for call in calls), len(calls))


def timed_plans(bench: Session, fleet: Fleet, repeat: int, updates: int = 0) -> list[Run]:
    """`reconciler plan` after a warm-up run; each must show `updates` updates, rest unchanged."""
    runs = []
    for attempt in range(repeat + 1):
        result = check(bench.reconciler(fleet.root, "plan", "--format", "json"), "reconciler plan")
        actions = [t["action"] for t in json.loads(result.stdout)["tenants"]]
        if actions.count("update") == len(fleet.names) and updates < len(fleet.names):
            raise SystemExit(
                "every tenant needs an update: the program (reconciler/program/) changed "
                "during the run, so the fingerprints did; run the benchmark again"
            )
        if len(actions) != len(fleet.names) or actions.count("update") != updates:
            raise SystemExit(f"expected {updates} updates of {len(fleet.names)}: {set(actions)}")
        if attempt:  # the first run warms the page cache and the bytecode cache
            runs.append(result)
    return runs


def run_changed(bench: Session, fleet: Fleet, repeat: int) -> float:
    """Plans after editing CHANGED manifests: the same files are read, so the cost is the same."""
    write_manifests(fleet, range(CHANGED), revision=1)
    try:
        return median([r.seconds for r in timed_plans(bench, fleet, repeat, updates=CHANGED)])
    finally:
        write_manifests(fleet, range(CHANGED), revision=0)


def measure(
    bench: Session, seeds: Fleet, count: int, args: argparse.Namespace, per_stack: Cost | None
) -> PlanFigures:
    """One size; `per_stack` is the naive cost per stack measured at a smaller size."""
    fleet = make_fleet(bench, seeds, count)
    folder = naive_workspace(fleet)
    verify_clones(bench, fleet, folder)
    bench.reset_calls()
    runs = timed_plans(bench, fleet, args.repeat)
    starts = len(bench.pulumi_calls())
    measured = count <= args.naive_max or per_stack is None
    if measured:
        naive = run_naive(bench, fleet, folder)
    else:
        assert per_stack is not None
        naive = Cost(
            per_stack.seconds * (count + 1), per_stack.cpu_seconds * (count + 1), count + 1
        )
    changed = run_changed(bench, fleet, args.repeat) if count == max(args.sizes) else None
    if not args.keep:
        shutil.rmtree(fleet.root)
    return PlanFigures(
        stacks=count,
        ours_seconds=median([r.seconds for r in runs]),
        ours_cpu_seconds=median([r.cpu_seconds for r in runs]),
        ours_runs=tuple(r.seconds for r in runs),
        ours_pulumi_starts=starts,
        ours_max_rss_mib=max(r.max_rss_mib for r in runs),
        naive_seconds=naive.seconds,
        naive_cpu_seconds=naive.cpu_seconds,
        naive_pulumi_starts=naive.pulumi_starts,
        naive_measured=measured,
        naive_seconds_per_stack=naive.seconds / (count + 1),
        changed_seconds=changed,
    )


def render(rows: list[PlanFigures]) -> str:
    lines = [
        "plan, no changes: `reconciler plan` vs one Pulumi CLI call per stack (file:// backend)",
        f"{'stacks':>7} {'ours s':>8} {'CPU s':>6} {'pulumi':>7} {'max RSS':>8} "
        f"{'naive s':>9} {'CPU s':>6} {'pulumi':>7} {'naive/ours':>11}",
    ]
    for row in rows:
        label = "" if row.naive_measured else " (extrapolated)"
        lines.append(
            f"{row.stacks:>7} {row.ours_seconds:>8.2f} {row.ours_cpu_seconds:>6.2f} "
            f"{row.ours_pulumi_starts:>7} {row.ours_max_rss_mib:>6.0f}Mi "
            f"{row.naive_seconds:>9.1f} {row.naive_cpu_seconds:>6.1f} "
            f"{row.naive_pulumi_starts:>7} {row.speedup:>10.0f}x{label}"
        )
    for row in rows:
        if row.changed_seconds is not None:
            lines.append(
                f"plan over {row.stacks} stacks with {CHANGED} edited manifests (median): "
                f"{row.changed_seconds:.2f}s (no edits: {row.ours_seconds:.2f}s)"
            )
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--sizes", default="100,1000", help="comma-separated stack counts (default 100,1000)"
    )
    parser.add_argument("--repeat", type=int, default=5, help="timed plan runs per size")
    parser.add_argument(
        "--naive-max",
        type=int,
        default=1000,
        help="largest N where the naive way is measured; above, extrapolated",
    )
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the figures here")
    parser.add_argument("--keep", action="store_true", help="keep the generated fleets")
    args = parser.parse_args(argv)
    args.sizes = sorted(int(size) for size in args.sizes.split(","))
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    machine = print_machine()
    workdir = Path(tempfile.mkdtemp(prefix="bench-plan-"))
    try:
        with session(workdir) as bench:
            seeds = make_seeds(bench)
            rows: list[PlanFigures] = []
            for count in args.sizes:
                last = rows[-1] if rows else None
                per_stack = (
                    Cost(
                        last.naive_seconds / (last.stacks + 1),
                        last.naive_cpu_seconds / (last.stacks + 1),
                        1,
                    )
                    if last
                    else None
                )
                rows.append(measure(bench, seeds, count, args, per_stack))
                print(f"N={count}: done", file=sys.stderr, flush=True)
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    print(render(rows))
    if args.json:
        body = {
            "benchmark": "plan",
            "machine": machine,
            "repeat": args.repeat,
            "figures": [asdict(row) | {"speedup": row.speedup} for row in rows],
        }
        args.json.write_text(json.dumps(body, indent=2) + "\n")
    if args.keep:
        print(f"fleets kept in {workdir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
