"""Benchmark: a no-op `reconciler plan` over N stacks on a `gs://` backend, at GCS latency.

    .venv/bin/python bench/bench_gcs_plan.py [--stacks 1000] [--delays 0,0.03] [--naive 10]

Production keeps state in Cloud Storage; fake-gcs-server (tests/gcs_emulator.py) stands in
for it, and a loopback proxy (bench/latency_proxy.py) holds every request `delay` seconds,
as GCS's tens of milliseconds a request would. The fleet is bench_plan.py's: two stacks
applied by the real engine in the sandbox, cloned to N with matching records, then
uploaded to the bucket. The plan must find N unchanged tenants, or the script stops.

Ours: `reconciler plan --format json` with RECONCILER_BACKEND_URL=gs://... (one warm-up
run, then the median of --repeat runs) and the requests it made. Reference, at the same
latency: the per-stack CLI, `pulumi stack output --json --stack X`, timed on --naive
stacks and multiplied by N (plus one `pulumi stack ls`, timed): labelled extrapolated.
Targets (issue 21): N=1,000 at 30 ms a request within 3 s, and >= 100x the per-stack CLI.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import latency_proxy
from bench.bench_plan import make_fleet, make_seeds
from bench.fleet import PULUMI_PROJECT, Fleet
from bench.machine import PULUMI, print_machine
from bench.measure import check, median, ratio, run
from bench.session import Session, session
from tests import gcs_emulator

BUCKET = "tenant-state"
PREFIX = "state"


@dataclass(frozen=True)
class GcsPlanFigures:
    """One latency's figures."""

    stacks: int
    delay_ms: float
    ours_seconds: float
    ours_runs: tuple[float, ...]
    ours_requests: int
    """Requests one plan made to the bucket."""
    naive_stack_ls_seconds: float | None
    naive_seconds_per_stack: float | None
    naive_sampled: int

    @property
    def naive_seconds(self) -> float | None:
        if self.naive_seconds_per_stack is None or self.naive_stack_ls_seconds is None:
            return None
        return self.naive_stack_ls_seconds + self.naive_seconds_per_stack * self.stacks

    @property
    def speedup(self) -> float | None:
        naive = self.naive_seconds
        return None if naive is None else ratio(naive, self.ours_seconds)


def upload(emulator: gcs_emulator.GcsEmulator, fleet: Fleet) -> int:
    """Every file of the fleet's `file://` backend, as objects under gs://BUCKET/PREFIX."""
    files = [p for p in (fleet.backend / ".pulumi").rglob("*") if p.is_file()]
    files = [p for p in files if not p.name.endswith(".attrs")]

    def put(path: Path) -> None:
        name = f"{PREFIX}/{path.relative_to(fleet.backend).as_posix()}"
        query = urllib.parse.urlencode({"uploadType": "media", "name": name})
        request = urllib.request.Request(
            f"http://{emulator.host}/upload/storage/v1/b/{BUCKET}/o?{query}",
            data=path.read_bytes(),
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            response.read()

    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(put, files))
    return len(files)


def gcs_env(bench: Session, emulator: gcs_emulator.GcsEmulator, proxy_host: str) -> dict[str, str]:
    env = {**emulator.env(bench.workdir), "STORAGE_EMULATOR_HOST": proxy_host}
    env["RECONCILER_BACKEND_URL"] = f"gs://{BUCKET}/{PREFIX}"
    return env


def timed_plans(bench: Session, fleet: Fleet, env: dict[str, str], repeat: int) -> list[float]:
    seconds = []
    for attempt in range(repeat + 1):
        result = check(
            bench.reconciler(fleet.root, "plan", "--format", "json", extra=env), "reconciler plan"
        )
        actions = [t["action"] for t in json.loads(result.stdout)["tenants"]]
        if actions != ["unchanged"] * len(fleet.names):
            raise SystemExit(f"expected {len(fleet.names)} unchanged tenants: {set(actions)}")
        if attempt:  # the first run warms the page and bytecode caches
            seconds.append(result.seconds)
    return seconds


def naive(bench: Session, fleet: Fleet, env: dict[str, str], sample: int) -> tuple[float, float]:
    """(`pulumi stack ls` seconds, seconds per `pulumi stack output`) on the same backend."""
    folder = fleet.root.parent / f"{fleet.root.name}-naive-gcs"
    folder.mkdir(exist_ok=True)
    (folder / "Pulumi.yaml").write_text(
        f"name: {PULUMI_PROJECT}\nruntime: python\nbackend:\n  url: gs://{BUCKET}/{PREFIX}\n"
    )
    full = {**bench.env, **env}
    listed = check(run([str(PULUMI), "--non-interactive", "stack", "ls", "--json"], full, folder),
                   "pulumi stack ls")  # fmt: skip
    if len(json.loads(listed.stdout)) != len(fleet.names):
        raise SystemExit("pulumi stack ls does not list every stack on the gs:// backend")
    step = max(1, len(fleet.names) // sample)
    picked = list(fleet.names[::step])[:sample]
    per_stack = []
    for name in picked:
        output = check(
            run([str(PULUMI), "--non-interactive", "stack", "output", "--json", "--stack", name],
                full, folder),
            f"pulumi stack output {name}",
        )  # fmt: skip
        if json.loads(output.stdout).get("tenantName") != name:
            raise SystemExit(f"{name} reads back wrong from the gs:// backend")
        per_stack.append(output.seconds)
    return listed.seconds, median(per_stack)


def render(rows: list[GcsPlanFigures]) -> str:
    lines = [
        "plan, no changes, gs:// backend (fake-gcs-server behind a per-request delay proxy)",
        f"{'stacks':>7} {'delay':>6} {'ours s':>7} {'requests':>9} {'CLI/stack s':>12} "
        f"{'naive s':>9} {'naive/ours':>11}",
    ]
    for row in rows:
        per = "-" if row.naive_seconds_per_stack is None else f"{row.naive_seconds_per_stack:.2f}"
        total = "-" if row.naive_seconds is None else f"{row.naive_seconds:.0f}"
        speed = "-" if row.speedup is None else f"{row.speedup:.0f}x (extrapolated)"
        lines.append(
            f"{row.stacks:>7} {row.delay_ms:>4.0f}ms {row.ours_seconds:>7.2f} "
            f"{row.ours_requests:>9} {per:>12} {total:>9} {speed:>11}"
        )
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--stacks", type=int, default=1000)
    parser.add_argument("--delays", default="0,0.03", help="seconds per request, comma-separated")
    parser.add_argument("--repeat", type=int, default=3, help="timed plan runs per delay")
    parser.add_argument("--naive", type=int, default=10, help="stacks the per-stack CLI reads")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the figures here")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    args = parser.parse_args(argv)
    args.delays = [float(d) for d in args.delays.split(",")]
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    machine = print_machine()
    workdir = Path(tempfile.mkdtemp(prefix="bench-gcs-plan-"))
    rows: list[GcsPlanFigures] = []
    emulator = gcs_emulator.start(workdir / "gcs")
    try:
        emulator.create_bucket(BUCKET)
        with session(workdir) as bench:
            fleet = make_fleet(bench, make_seeds(bench), args.stacks)
            print(f"uploaded {upload(emulator, fleet)} objects", file=sys.stderr, flush=True)
            for delay in args.delays:
                proxy = latency_proxy.start(emulator.host, delay)
                try:
                    env = gcs_env(bench, emulator, proxy.host)
                    runs = timed_plans(bench, fleet, env, args.repeat)
                    requests = len(proxy.requests) // (args.repeat + 1)
                    ls_seconds, per_stack = (
                        naive(bench, fleet, env, args.naive) if delay > 0 else (None, None)
                    )
                finally:
                    proxy.stop()
                rows.append(
                    GcsPlanFigures(
                        stacks=args.stacks,
                        delay_ms=delay * 1000,
                        ours_seconds=median(runs),
                        ours_runs=tuple(runs),
                        ours_requests=requests,
                        naive_stack_ls_seconds=ls_seconds,
                        naive_seconds_per_stack=per_stack,
                        naive_sampled=args.naive if delay > 0 else 0,
                    )
                )
                print(f"delay {delay * 1000:.0f} ms: done", file=sys.stderr, flush=True)
    finally:
        emulator.stop()
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    print(render(rows))
    if args.json:
        body = {
            "benchmark": "gcs-plan",
            "machine": machine,
            "figures": [asdict(r) | {"speedup": r.speedup, "naive_seconds": r.naive_seconds}
                        for r in rows],
        }  # fmt: skip
        args.json.write_text(json.dumps(body, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
