"""Benchmark: planning and applying a program rollout over N tenants on the fake engine.

    .venv/bin/python bench/bench_rollout.py [--tenants 2000] [--shards 4] [--repeat 5]

N deployed tenants recorded with an older program (1 % labelled `ring: canary`), the
checkout's platform.yaml rollout (canary, half of the rest, the rest). Timed, median of
--repeat runs: the plan (`make_plan`) and the rollout's state (`rollout_plan`), as
`reconciler plan` computes them after reading the records (target: ≤ 1 s at 2,000); then
an apply of shard 1 of --shards, wave by wave, on the in-memory engine (no Pulumi process),
which measures the orchestration alone. The GitHub writes of an apply run are counted
from .github/workflows/tenant-apply.yml: they do not depend on N. Nothing asserts on time.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import yaml

from bench.machine import REPO, print_machine
from reconciler.engine.backend.records import StackRecord
from reconciler.manifests.model import Tenant
from reconciler.manifests.platform import load_platform
from reconciler.reconcile import act
from reconciler.reconcile.act import ActContext
from reconciler.reconcile.plan import Desired, make_plan, shard_of
from reconciler.reconcile.rollout import rollout_plan
from reconciler.reconcile.waves import RolloutRun
from reconciler.settings import Settings
from tests.fake_engine import FakeEngine

NEW = "5eed" * 16
OLD = "0123456789ab"


def fleet(count: int) -> tuple[list[Desired], FakeEngine]:
    desired, records = [], {}
    for index in range(count):
        name = f"tenant-{index:05d}"
        labels = (("ring", "canary"),) if index % 100 == 0 else ()
        tenant = Tenant(name, "o@example.com", f"T{index:05d}x", labels=labels, source=Path(name))
        desired.append(Desired(tenant, f"new-{name}", True, program=NEW[:12]))
        records[name] = StackRecord(f"old-{name}", "succeeded", True, program=OLD)
    return desired, FakeEngine(records)


def github_writes() -> dict[str, int]:
    """The writes to GitHub an apply run makes, by kind, from the workflow file."""
    workflow = yaml.safe_load((REPO / ".github/workflows/tenant-apply.yml").read_text())
    shards = int(workflow["env"]["MAX_SHARDS"])
    uploads = 0
    for name, job in workflow["jobs"].items():
        count = sum("upload-artifact" in str(s.get("uses", "")) for s in job.get("steps", []))
        uploads += count * (shards if name == "apply" else 1)
    comments = sum(
        "reconciler.report.comment comment" in str(s.get("run", ""))
        for job in workflow["jobs"].values()
        for s in job.get("steps", [])
    )
    return {"artifact uploads": uploads, "comment writes": comments}


def cli_plan(count: int, repeat: int) -> float:
    """`reconciler plan` over `count` generated tenants whose stacks (in a file backend)
    were applied with another program: the rollout's plan as a user runs it."""
    import json
    import tempfile

    from bench.fleet import records, write_root
    from bench.measure import check, median, run

    with tempfile.TemporaryDirectory(prefix="bench-rollout-") as scratch:
        fleet = write_root(Path(scratch) / "root", count)
        stacks = fleet.stacks_dir
        stacks.mkdir(parents=True)
        (fleet.backend / ".pulumi" / "meta.yaml").write_text("version: 1\n")
        old = StackRecord("0" * 64, "succeeded", True, program=OLD)
        for name in records(fleet):
            (stacks / f"{name}.json").write_text("{}")
            tags = {"version": 1, "tags": {"tenant-gitops": old.encode()}}
            (stacks / f"{name}.pulumi-tags").write_text(json.dumps(tags))
        argv = [str(Path(sys.executable).parent / "reconciler"), "plan", "--format", "json"]
        env = {"PATH": "/usr/bin:/bin", "HOME": scratch}
        timings = []
        for _ in range(repeat + 1):
            done = check(run(argv, env, fleet.root), "reconciler plan")
            report = json.loads(done.stdout)
            if "rollout of program" not in str(report.get("rollout")):
                raise SystemExit(f"no rollout in the plan: {report.get('rollout')}")
            timings.append(done.seconds)
        return median(timings[1:])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tenants", type=int, default=2000)
    parser.add_argument("--shards", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    print_machine()
    settings = load_platform(REPO, {}).rollout
    assert settings is not None, "platform.yaml has no rollout"
    desired, engine = fleet(args.tenants)
    deployed = engine.list_deployed()
    timings = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        plan = make_plan(desired, deployed, 0.25)
        rollout = rollout_plan(plan.changes, settings, NEW)
        timings.append(time.perf_counter() - start)
    plan_seconds = statistics.median(timings)
    sizes = [len(w.tenants) for w in rollout.waves]
    print(
        f"plan + rollout of {args.tenants:,} tenants: {plan_seconds:.3f} s (median of "
        f"{args.repeat}); waves {sizes}"
    )

    mine = [c for c in plan.changes if shard_of(c.tenant, args.shards) == 1]
    # The other shards apply the rest (no barrier here: one process, the orchestration only).
    run = RolloutRun(rollout, frozenset(c.tenant for c in plan.changes), soak=lambda _s: None)
    ctx = ActContext(
        engine=engine,
        platform=load_platform(REPO, {}),
        settings=Settings(),
        parallel=2,
        progress=lambda _line: None,
        program=lambda *_: lambda: None,
    )
    start = time.perf_counter()
    outcomes = act.apply(mine, replace(ctx, rollout=run))
    apply_seconds = time.perf_counter() - start
    done = sum(1 for o in outcomes if o.status == "succeeded")
    print(
        f"apply of shard 1/{args.shards} ({len(mine):,} tenants, {len(rollout.waves)} waves) "
        f"on the fake engine: {apply_seconds:.2f} s, {done:,} succeeded; {run.summary[-1]}"
    )
    seconds = cli_plan(args.tenants, args.repeat)
    print(
        f"reconciler plan over {args.tenants:,} deployed tenants on another program "
        f"(file backend): {seconds:.2f} s (median of {args.repeat}, after a warm-up)"
    )
    writes = github_writes()
    print(f"GitHub writes of an apply run, any N: {sum(writes.values())} ({writes})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
