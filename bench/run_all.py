"""Run every benchmark, then write bench/results.json and bench/plot.png (`make bench`).

    .venv/bin/python bench/run_all.py [--only validate,plan,apply] [--quick]
        [--validate-sizes 100,1000,10000] [--plan-sizes 100,1000] [--naive-max 1000]
        [--apply-stacks 100] [--apply-changed 1,10] [--repeat 3] [--validate-repeat 2] [--out DIR]

Each benchmark runs as its own process (its figures are printed as it goes) and hands its
figures over as JSON. One sandbox emulator serves the plan and apply benchmarks. --quick
uses small sizes to check that everything works (minutes, figures not representative);
it writes to bench/out/ unless --out says otherwise, so the committed results stay real.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import plot, summary
from bench.machine import REPO, print_machine
from bench.session import SANDBOX_PROJECT

HERE = Path(__file__).resolve().parent
BENCHMARKS = ("validate", "plan", "apply")
QUICK = {
    "validate_sizes": "100,1000",
    "plan_sizes": "20,100",
    "naive_max": 20,
    "apply_stacks": 6,
    "apply_changed": "1,3",
    "repeat": 2,
    "validate_repeat": 1,
}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", default=",".join(BENCHMARKS), help="benchmarks to run")
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke run")
    parser.add_argument("--validate-sizes", default="100,1000,10000")
    parser.add_argument("--plan-sizes", default="100,1000")
    parser.add_argument(
        "--naive-max",
        type=int,
        default=1000,
        help="largest N where the per-stack reference is measured, not guessed",
    )
    parser.add_argument("--apply-stacks", type=int, default=100)
    parser.add_argument("--apply-changed", default="1,10")
    parser.add_argument("--repeat", type=int, default=3, help="timed plan runs per size")
    parser.add_argument(
        "--validate-repeat",
        type=int,
        default=2,
        help="timed runs per tool and size in bench_validate.py (check-jsonschema takes "
        "over a minute per run at 10,000 manifests)",
    )
    parser.add_argument(
        "--pin", metavar="CPU", help="run bench_validate.py's commands under taskset -c CPU"
    )
    parser.add_argument("--apply-parallel", default="1,2,4", help="apply's --parallel values")
    parser.add_argument("--no-naive", action="store_true", help="apply: skip the naive reference")
    parser.add_argument("--out", type=Path, help="where results.json and plot.png go")
    args = parser.parse_args(argv)
    if args.quick:
        for key, value in QUICK.items():
            setattr(args, key, value)
    args.out = args.out or (HERE / "out" if args.quick else HERE)
    args.only = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = set(args.only) - set(BENCHMARKS)
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}")
    return args


def commands(args: argparse.Namespace, folder: Path) -> dict[str, list[str]]:
    """Each benchmark's command line; its figures go to folder/<name>.json."""
    python = sys.executable
    return {
        "validate": [
            python,
            str(HERE / "bench_validate.py"),
            "--sizes",
            args.validate_sizes,
            "--repeat",
            str(args.validate_repeat),
            "--json",
            str(folder / "validate.json"),
            *(["--pin", args.pin] if args.pin is not None else []),
        ],
        "plan": [
            python,
            str(HERE / "bench_plan.py"),
            "--sizes",
            args.plan_sizes,
            "--naive-max",
            str(args.naive_max),
            "--repeat",
            str(args.repeat),
            "--json",
            str(folder / "plan.json"),
        ],
        "apply": [
            python,
            str(HERE / "bench_apply.py"),
            "--stacks",
            str(args.apply_stacks),
            "--changed",
            args.apply_changed,
            "--parallel",
            args.apply_parallel,
            "--json",
            str(folder / "apply.json"),
            *(["--no-naive"] if args.no_naive else []),
        ],
    }


@contextmanager
def shared_emulator(needed: bool) -> Iterator[dict[str, str]]:
    """The environment of the benchmarks, with one running emulator when one is needed."""
    env = dict(os.environ)
    if not needed or env.get("FIREBASE_AUTH_EMULATOR_HOST"):
        yield env
        return
    from sandbox import emulator

    print("starting the sandbox's Firebase Auth emulator ...", flush=True)
    running = emulator.start(SANDBOX_PROJECT)
    try:
        yield {**env, "FIREBASE_AUTH_EMULATOR_HOST": running.host}
    finally:
        running.stop()


def run_benchmarks(args: argparse.Namespace, folder: Path) -> dict[str, object]:
    found: dict[str, object] = {}
    lines = commands(args, folder)
    with shared_emulator(needed=bool({"plan", "apply"} & set(args.only))) as env:
        for name in args.only:
            print(f"\n== {name}: {' '.join(lines[name][1:])}", flush=True)
            start = time.perf_counter()
            code = subprocess.run(lines[name], env=env, cwd=REPO, check=False).returncode
            minutes = (time.perf_counter() - start) / 60
            output = folder / f"{name}.json"
            if code != 0 or not output.exists():
                print(f"== {name}: FAILED (exit {code}) after {minutes:.1f} min", flush=True)
                continue
            print(f"== {name}: {minutes:.1f} min", flush=True)
            found[name] = json.loads(output.read_text())
    return found


def checkout() -> dict[str, object]:
    """Which code was measured: the commit, and the files that differed from it."""

    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True)
        return done.stdout.strip() if done.returncode == 0 else ""

    changed = [line[3:] for line in git("status", "--porcelain").splitlines()]
    code = [path for path in changed if path.startswith(("reconciler/", "sandbox/", "schema/"))]
    return {"commit": git("rev-parse", "HEAD"), "uncommittedCodeFiles": code}


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    machine = print_machine()
    measured = checkout()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-all-") as scratch:
        found = run_benchmarks(args, Path(scratch))
    generated = datetime.now(UTC).isoformat(timespec="seconds")
    command = " ".join(["bench/run_all.py", *(argv if argv is not None else sys.argv[1:])])
    for body in found.values():
        # Each benchmark keeps the commit and the command it was measured with, so a
        # partial run (--only) can update some benchmarks and keep the others' figures.
        if isinstance(body, dict):
            body.update({"generated": generated, "command": command, "checkout": measured})
    target = args.out / "results.json"
    kept = {}
    if target.exists():
        previous = json.loads(target.read_text())
        kept = {name: previous[name] for name in BENCHMARKS if name in previous}
        for body in kept.values():
            for key in ("generated", "command", "checkout"):
                body.setdefault(key, previous.get(key))
    results = {
        "generated": generated,
        "command": command,
        "minutes": round((time.perf_counter() - started) / 60, 1),
        "machine": machine,
        "checkout": measured,
        **kept,
        **found,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(results, indent=2) + "\n")
    drawn = plot.plot(results, args.out / "plot.png")
    print("\n" + summary.render(results), end="")
    print(
        f"\nwrote {target}" + (f" and {drawn}" if drawn else "") + f" in {results['minutes']} min"
    )
    return 0 if set(found) == set(args.only) else 1


if __name__ == "__main__":
    sys.exit(main())
