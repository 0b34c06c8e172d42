"""Benchmark: `reconciler apply` when K of N tenants changed, against `up` on every stack.

    .venv/bin/python bench/bench_apply.py [--stacks 100] [--changed 1,10] [--parallel 1,2,4]
                                          [--json FILE]

In the sandbox cloud (real Pulumi engine, stand-in `gcp` provider, Auth emulator):

1. a generated fleet of N tenants is applied from scratch (`--initial-parallel`, timed);
2. for each K and each --parallel P: K manifests get a manifest-only edit (a label), then
   `reconciler apply --parallel P --format json` is timed; its report's `engineOperations`
   must be K (a label cannot replace a stateful resource, so no safety preview runs);
   a no-op apply (nothing edited) is timed too;
3. reference: the naive way, the engine's `up` on all N stacks at --naive-parallel
   (bench/naive_apply.py, through the same engine adapter and program).

A run where a tenant failed is reported with its failures and followed by an untimed
apply that converges the fleet, so every measured run starts from a clean state.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.fleet import SECRET_VARIABLE, Fleet, write_manifests, write_root
from bench.machine import print_machine
from bench.measure import check, ratio, run
from bench.session import Session, session


@dataclass(frozen=True)
class ApplyRun:
    """One measured `reconciler apply`."""

    changed: int
    parallel: int
    seconds: float
    cpu_seconds: float
    """User + system CPU of the reconciler, the Pulumi CLI and the provider plugins."""
    engine_operations: int
    pulumi_starts: int
    failures: tuple[str, ...] = ()
    up_seconds: float = 0.0
    """Wall time of the run's `pulumi up` processes (each timed by the wrapper)."""
    pulumi_kinds: tuple[str, ...] = ()
    """The subcommand of each Pulumi process, e.g. `up`, `stack tag set`, `version`."""
    load_average_1m: float | None = None
    up_cpu_seconds: float = 0.0
    """CPU of the `pulumi up` processes and the plugins they waited for."""
    seconds_by_kind: tuple[tuple[str, float], ...] = ()
    """Wall seconds of the Pulumi processes, summed per subcommand."""

    @property
    def overhead_cpu_seconds(self) -> float:
        """The run's CPU minus its `up` processes' (the inline program, which runs in the
        reconciler's process, is counted here): what a quiet machine would show as wall."""
        return self.cpu_seconds - self.up_cpu_seconds

    @property
    def overhead_seconds(self) -> float:
        """The run's wall time minus its `up` processes: what the reconciler adds."""
        return self.seconds - self.up_seconds

    @property
    def overhead_target(self) -> float:
        """Issue #15: at most 1.0 s per run + 0.1 s per changed tenant (at --parallel 1)."""
        return 1.0 + 0.1 * self.changed

    @property
    def starts_target(self) -> int:
        """Issue #15: at most 2 Pulumi processes per changed tenant + 1 per run."""
        return 2 * self.changed + 1


@dataclass
class ApplyFigures:
    stacks: int
    initial: ApplyRun | None = None
    runs: list[ApplyRun] = field(default_factory=list)
    naive_seconds: float | None = None
    naive_cpu_seconds: float | None = None
    naive_parallel: int | None = None
    naive_engine_operations: int | None = None
    naive_failures: tuple[str, ...] = ()


@dataclass
class Edits:
    """Which manifests the next edit touches: a rotating window, a new revision each time."""

    stacks: int
    revision: int = 0
    offset: int = 0

    def next(self, fleet: Fleet, count: int) -> None:
        self.revision += 1
        indices = [(self.offset + i) % self.stacks for i in range(count)]
        self.offset = (self.offset + count) % self.stacks
        write_manifests(fleet, indices, self.revision)


def _kind(args: str) -> str:
    words = [w for w in args.split() if w != "--non-interactive"]
    if words[:1] == ["stack"]:
        return " ".join(words[:3] if words[1:2] == ["tag"] else words[:2])
    return words[0] if words else ""


def apply(bench: Session, fleet: Fleet, changed: int, parallel: int) -> ApplyRun:
    bench.reset_calls()
    load = os.getloadavg()[0]
    secrets = fleet.secret_environment(bench.env[SECRET_VARIABLE])
    result = bench.reconciler(
        fleet.root, "apply", "--parallel", str(parallel), "--format", "json", extra=secrets
    )
    if result.code not in (0, 5):  # 5: some tenant failed; reported below, not fatal
        check(result, "reconciler apply")
    report = json.loads(result.stdout)
    failures = tuple(
        f"{t['tenant']}: {t['reason'][:160]}" for t in report["tenants"] if t["status"] == "failed"
    )
    calls = bench.pulumi_calls()
    return ApplyRun(
        changed=changed,
        parallel=parallel,
        seconds=result.seconds,
        cpu_seconds=result.cpu_seconds,
        engine_operations=int(report["engineOperations"]),
        pulumi_starts=len(calls),
        failures=failures,
        up_seconds=sum(c.seconds for c in calls if c.is_up),
        up_cpu_seconds=sum(c.cpu_seconds for c in calls if c.is_up),
        seconds_by_kind=tuple(
            (kind, round(sum(c.seconds for c in calls if _kind(c.args) == kind), 3))
            for kind in sorted({_kind(c.args) for c in calls})
        ),
        pulumi_kinds=tuple(sorted(_kind(c.args) for c in calls)),
        load_average_1m=round((load + os.getloadavg()[0]) / 2, 2),
    )


def converge(bench: Session, fleet: Fleet, parallel: int) -> None:
    """Apply until nothing is left to retry (untimed), after a run with failures."""
    for _ in range(3):
        again = apply(bench, fleet, 0, parallel)
        print(
            f"  converge: {again.engine_operations} retried, {len(again.failures)} failed",
            file=sys.stderr,
            flush=True,
        )
        if not again.failures:
            return
    raise SystemExit("the fleet did not converge after 3 applies")


def expect_changes(bench: Session, fleet: Fleet, changed: int) -> None:
    """Stop when the plan does not show exactly `changed` tenants to change.

    Other work on the checkout can edit reconciler/program/ mid-run, which changes every
    fingerprint: the next apply would then update the whole fleet and measure nothing.
    """
    result = check(bench.reconciler(fleet.root, "plan", "--format", "json"), "reconciler plan")
    work = [t for t in json.loads(result.stdout)["tenants"] if t["action"] != "unchanged"]
    if len(work) != changed:
        raise SystemExit(
            f"the plan shows {len(work)} tenants to change, not {changed}"
            + (": the program changed during the run; run again" if work else "")
        )


def measured(bench: Session, fleet: Fleet, changed: int, parallel: int) -> ApplyRun:
    expect_changes(bench, fleet, changed)
    result = apply(bench, fleet, changed, parallel)
    print(
        f"K={changed} parallel={parallel}: {result.seconds:.1f}s, "
        f"{result.engine_operations} engine operations, {result.pulumi_starts} pulumi, "
        f"{len(result.failures)} failed",
        file=sys.stderr,
        flush=True,
    )
    if result.failures:
        converge(bench, fleet, parallel)
    return result


def naive(bench: Session, fleet: Fleet, parallel: int) -> ApplyRun:
    """The reference: `up` on every stack, as its own process (timed from outside too)."""
    argv = [
        sys.executable,
        "-m",
        "bench.naive_apply",
        "--root",
        str(fleet.root),
        "--parallel",
        str(parallel),
    ]
    result = run(
        argv, {**bench.env, **fleet.secret_environment(bench.env[SECRET_VARIABLE])}, fleet.root
    )
    if result.code not in (0, 1) or not result.stdout.strip():
        check(result, "the naive apply")
    body = json.loads(result.stdout.strip().splitlines()[-1])
    return ApplyRun(
        changed=len(fleet.names),
        parallel=parallel,
        seconds=result.seconds,
        cpu_seconds=result.cpu_seconds,
        engine_operations=int(body["engineOperations"]),
        pulumi_starts=0,
        failures=tuple(body["failures"]),
    )


def render(figures: ApplyFigures) -> str:
    lines = [f"apply, K changed of N = {figures.stacks} (sandbox cloud, real engine)"]
    if figures.initial is not None:
        first = figures.initial
        lines.append(
            f"initial apply of all {figures.stacks} (parallel {first.parallel}): "
            f"{first.seconds:.1f}s ({first.cpu_seconds:.0f}s CPU), "
            f"{first.engine_operations} engine operations, "
            f"{first.pulumi_starts} pulumi starts, {len(first.failures)} failed"
        )
    naive_s = figures.naive_seconds
    lines.append(
        f"{'K':>4} {'parallel':>8} {'seconds':>8} {'CPU s':>7} {'engine ops':>10} {'pulumi':>7} "
        f"{'<=2K+1':>6} {'up s':>6} {'other s':>7} {'(CPU)':>6} {'target':>6} {'load':>5} "
        f"{'failed':>6} "
        f"{'naive/ours':>10}"
    )
    for r in figures.runs:
        speedup = f"{ratio(naive_s, r.seconds):>9.0f}x" if naive_s else f"{'-':>10}"
        starts_ok = "yes" if r.pulumi_starts <= r.starts_target else "NO"
        lines.append(
            f"{r.changed:>4} {r.parallel:>8} {r.seconds:>8.1f} {r.cpu_seconds:>7.1f} "
            f"{r.engine_operations:>10} {r.pulumi_starts:>7} {starts_ok:>6} "
            f"{r.up_seconds:>6.2f} {r.overhead_seconds:>7.2f} {r.overhead_cpu_seconds:>6.2f} "
            f"{r.overhead_target:>6.1f} "
            f"{r.load_average_1m or 0:>5.2f} {len(r.failures):>6} {speedup}"
        )
    lines.append(
        "other s: the run's wall time minus its `up` processes ((CPU): the same in CPU "
        "seconds); target: 1.0 s + 0.1 s per changed tenant (issue #15, at --parallel 1)"
    )
    for r in figures.runs:
        if r.changed and r.parallel == 1:
            spent = ", ".join(f"{kind} {seconds:.2f} s" for kind, seconds in r.seconds_by_kind)
            lines.append(
                f"  pulumi processes (K={r.changed}, parallel 1): {len(r.pulumi_kinds)}: {spent}"
            )
    if naive_s is not None:
        lines.append(
            f"naive: up on all {figures.stacks} stacks (parallel {figures.naive_parallel}): "
            f"{naive_s:.1f}s ({figures.naive_cpu_seconds:.0f}s CPU), "
            f"{figures.naive_engine_operations} engine operations, "
            f"{len(figures.naive_failures)} failed"
        )
    initial = [figures.initial] if figures.initial else []
    for r in [*initial, *figures.runs]:
        lines += [f"  failed (K={r.changed}, parallel {r.parallel}): {f}" for f in r.failures]
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--stacks", type=int, default=100, help="N, the fleet size (default 100)")
    parser.add_argument("--changed", default="1,10", help="comma-separated K values")
    parser.add_argument("--parallel", default="1,2,4", help="comma-separated --parallel values")
    parser.add_argument("--initial-parallel", type=int, default=4)
    parser.add_argument("--naive-parallel", type=int, default=4)
    parser.add_argument("--no-naive", action="store_true", help="skip the reference")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the figures here")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    args = parser.parse_args(argv)
    args.changed = [int(k) for k in args.changed.split(",")]
    args.parallel = [int(p) for p in args.parallel.split(",")]
    return args


def measure(bench: Session, args: argparse.Namespace) -> ApplyFigures:
    fleet = write_root(bench.workdir / "fleet", args.stacks)
    figures = ApplyFigures(stacks=args.stacks)
    figures.initial = measured(bench, fleet, args.stacks, args.initial_parallel)
    edits = Edits(args.stacks)
    figures.runs.append(measured(bench, fleet, 0, max(args.parallel)))
    for changed in args.changed:
        for parallel in args.parallel:
            edits.next(fleet, changed)
            figures.runs.append(measured(bench, fleet, changed, parallel))
    if not args.no_naive:
        reference = naive(bench, fleet, args.naive_parallel)
        print(f"naive: {reference.seconds:.1f}s", file=sys.stderr, flush=True)
        figures.naive_seconds, figures.naive_parallel = reference.seconds, args.naive_parallel
        figures.naive_cpu_seconds = reference.cpu_seconds
        figures.naive_engine_operations = reference.engine_operations
        figures.naive_failures = reference.failures
    return figures


def _figures_json(figures: ApplyFigures) -> dict[str, object]:
    """The figures, each run with its derived values (overhead, targets) spelled out."""
    body = asdict(figures)
    runs = [figures.initial, *figures.runs] if figures.initial else figures.runs
    rows = [body["initial"], *body["runs"]] if figures.initial else body["runs"]
    for run_, row in zip(runs, rows, strict=True):
        row["overhead_seconds"] = run_.overhead_seconds
        row["overhead_cpu_seconds"] = run_.overhead_cpu_seconds
        row["overhead_target"] = run_.overhead_target
        row["starts_target"] = run_.starts_target
    return body


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    machine = print_machine()
    workdir = Path(tempfile.mkdtemp(prefix="bench-apply-"))
    try:
        with session(workdir) as bench:
            figures = measure(bench, args)
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    print(render(figures))
    if args.json:
        body = {"benchmark": "apply", "machine": machine, "figures": _figures_json(figures)}
        args.json.write_text(json.dumps(body, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
