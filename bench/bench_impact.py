"""Benchmark: `reconciler impact` over N tenants on one core (target: ≤ 60 s at 1,000).

    .venv/bin/python bench/bench_impact.py [--sizes 100,1000] [--repeat 3] [--cpu 0] [--json FILE]

For each N, a throw-away git repository holds this checkout's code and N generated
manifests (bench/fleet.py); a second state of its working tree changes the program the way
the issue's example does (a label on every bucket). Timed: `reconciler impact --base main
--sequential` under `taskset -c CPU` (both sides' captures on one core, one after the
other), as the unprivileged pull-request job runs it, median of --repeat runs after a
warm-up. The run must report every tenant's bucket labels changed and nothing replaced,
or the script stops: a wrong result is no figure. Nothing asserts on time.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.fleet import write_root
from bench.machine import REPO, print_machine
from bench.measure import check, median, run

RECONCILER = Path(sys.executable).parent / "reconciler"
CHANGE = ('MANAGED_BY = "tenant-gitops"', 'MANAGED_BY = "tenant-gitops-next"')


def _git(root: Path, *args: str) -> None:
    identity = ["-c", "user.name=bench", "-c", "user.email=bench@example.com"]
    subprocess.run(["git", *identity, *args], cwd=root, check=True, capture_output=True)


def make_repository(folder: Path, count: int) -> Path:
    """A repository with `count` tenants committed on main, the program changed on top."""
    fleet = write_root(folder, count)
    shutil.copytree(
        REPO / "reconciler", folder / "reconciler", ignore=shutil.ignore_patterns("__pycache__")
    )
    shutil.copy(REPO / "pyproject.toml", folder / "pyproject.toml")
    _git(fleet.root, "init", "-q", "-b", "main")
    _git(fleet.root, "add", "-A")
    _git(fleet.root, "commit", "-q", "-m", "base")
    context = folder / "reconciler" / "program" / "context.py"
    text = context.read_text(encoding="utf-8")
    if CHANGE[0] not in text:
        raise SystemExit(f"{context}: the benchmark's program change no longer applies")
    context.write_text(text.replace(*CHANGE), encoding="utf-8")
    return fleet.root


def measure(count: int, repeat: int, cpu: str) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="bench-impact-") as scratch:
        root = make_repository(Path(scratch) / "repo", count)
        argv = ["taskset", "-c", cpu, str(RECONCILER), "--root", str(root), "impact"]
        argv += ["--base", "main", "--sequential", "--quiet"]
        expected = f"updates {count:,} of {count:,} tenants: bucket labels; replaces nothing"
        env = {"PATH": str(Path(sys.executable).parent) + ":/usr/bin:/bin", "HOME": scratch}
        runs = []
        for attempt in range(repeat + 1):
            done = check(run(argv, env, root), "reconciler impact")
            first = done.stdout.splitlines()[0] if done.stdout else ""
            if first != expected:
                raise SystemExit(f"wrong impact at N={count}: {first!r}, expected {expected!r}")
            if attempt:  # the first run warms the file cache
                runs.append(done)
        seconds = median([r.seconds for r in runs])
        cpu_seconds = median([r.cpu_seconds for r in runs])
        figures = {
            "tenants": count,
            "seconds": round(seconds, 2),
            "cpuSeconds": round(cpu_seconds, 2),
            "runs": [round(r.seconds, 2) for r in runs],
            "maxRssMiB": round(max(r.max_rss_mib for r in runs), 1),
            "perTenantMs": round(1000 * cpu_seconds / count, 2),
            "load1": round(__import__("os").getloadavg()[0], 1),
        }
        print(
            f"impact N={count:>6,}: {seconds:6.2f} s wall, {cpu_seconds:6.2f} s CPU on core "
            f"{cpu} ({figures['perTenantMs']} ms CPU a tenant, both sides), load "
            f"{figures['load1']}",
            flush=True,
        )
        return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="100,1000")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--cpu", default="0", help="the core taskset pins the run to")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    machine = print_machine()
    sizes = [int(size) for size in args.sizes.split(",") if size]
    figures = {"machine": machine, "impact": [measure(n, args.repeat, args.cpu) for n in sizes]}
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
