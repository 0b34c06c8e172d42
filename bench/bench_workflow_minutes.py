"""Benchmark: the jobs and minutes GitHub Actions would spend per event, measured under act.

    .venv/bin/python bench/bench_workflow_minutes.py [--repeat 1] [--skip-install]

Runs four act scenarios of tests/workflows (the real workflow files, the sandbox cloud,
our GitHub API stand-in) with TENANT_GITOPS_ACT_TIMINGS set, so every workflow run
appends its jobs' seconds (act's log stamps, first to last line of each job):

  tenant PR  a new and an edited tenant: tenant-pr.yml, then tenant-preview.yml
  code PR    a program change: the same two workflows (the `code` job, which runs
             .ci/run, is off under act: the suite it would run is the one running it)
  merge      tenant-apply.yml on main (first run only; the scenario's second run is a no-op)
  drift      tenant-drift.yml (first run only: the daily schedule's work)

For each it prints the jobs that ran (skipped jobs cost nothing), their seconds under act,
and the billable minutes: GitHub rounds each job up to the next whole minute on
GitHub-hosted runners in private repositories (docs.github.com, actions/
monitoring-and-troubleshooting-workflows/viewing-job-execution-time). Jobs that use
./.github/actions/setup-reconciler pay a cold `uv sync --frozen --no-dev --extra deploy` on
a real runner (no dependency cache, by design), which act's warm cache hides: the script
times that install once into an empty virtualenv with no uv cache and adds it to each such
job's estimate. What it cannot measure is named in its output (runner start, the Pulumi
CLI download, GCP's latency).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.repo import REPO, tool_cache

FLOWS = REPO / "tests" / "workflows"

SCENARIOS: dict[str, tuple[str, tuple[str, ...]]] = {
    "tenant PR": (
        "test_flow_pull_request.py::"
        "test_a_new_and_an_edited_tenant_are_previewed_on_two_shards_in_one_comment",
        ("tenant-pr.yml", "tenant-preview.yml"),
    ),
    "code PR": (
        "test_flow_pull_request.py::"
        "test_a_program_change_gets_its_impact_in_the_comment_and_no_job_it_steers_a_credential",
        ("tenant-pr.yml", "tenant-preview.yml"),
    ),
    "merge": (
        "test_flow_main.py::test_a_merge_applies_on_shards_and_a_second_run_changes_nothing",
        ("tenant-apply.yml",),
    ),
    "daily drift": (
        "test_flow_main.py::test_drift_opens_one_issue_updates_it_and_a_repair_closes_it",
        ("tenant-drift.yml",),
    ),
}


@dataclass(frozen=True)
class JobFigure:
    workflow: str
    job: str
    seconds: float
    installs: bool
    """Whether the job runs setup-reconciler (a cold install on a real runner)."""


def jobs_that_install(workflow: Path) -> set[str]:
    """Ids of the jobs in `workflow` whose steps use the setup-reconciler action."""
    document = yaml.safe_load(workflow.read_text())
    found = set()
    for job_id, job in (document.get("jobs") or {}).items():
        uses = [str(step.get("uses", "")) for step in job.get("steps") or []]
        if any(u.endswith("/setup-reconciler") for u in uses):
            found.add(job_id)
    return found


def run_scenario(node: str, timings: Path) -> None:
    """Run one act scenario under pytest; its runs append to `timings`."""
    env = {**os.environ, "TENANT_GITOPS_ACT_TIMINGS": str(timings)}
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(FLOWS / node)]
    done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"scenario {node} failed:\n{done.stdout[-3000:]}{done.stderr[-2000:]}")


def figures(timings: Path, workflows: Sequence[str]) -> list[JobFigure]:
    """The jobs that ran in the first run of each of `workflows`."""
    runs = [json.loads(line) for line in timings.read_text().splitlines() if line.strip()]
    found: list[JobFigure] = []
    for workflow in workflows:
        first = next((r for r in runs if r["workflow"] == workflow), None)
        if first is None:
            sys.exit(f"no run of {workflow} was recorded")
        installs = jobs_that_install(REPO / ".github" / "workflows" / workflow)
        for job in first["jobs"]:
            if job["result"] in ("skipped", ""):
                continue
            name = job["id"] + (f" {job['matrix']}" if job["matrix"] else "")
            found.append(JobFigure(workflow, name, job["seconds"], job["id"] in installs))
    return found


def cold_install_seconds() -> float:
    """One `uv sync --frozen --no-dev --extra deploy` into an empty environment, no cache."""
    uv = next(tool_cache().glob("uv-*/bin/uv"), None)
    if uv is None:
        sys.exit("uv is not in the tool cache: run scripts/bootstrap first")
    with tempfile.TemporaryDirectory() as scratch:
        env = {
            **os.environ,
            "UV_PROJECT_ENVIRONMENT": str(Path(scratch) / "venv"),
            "UV_NO_CACHE": "1",
            "UV_PYTHON_DOWNLOADS": "never",
        }
        env.pop("VIRTUAL_ENV", None)
        started = time.perf_counter()
        done = subprocess.run(
            [str(uv), "sync", "--frozen", "--no-dev", "--extra", "deploy", "--quiet"],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
        )
        seconds = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"uv sync failed: {done.stderr[-2000:]}")
    return seconds


def minutes(seconds: float) -> int:
    """Billable minutes of one job: rounded up to the next whole minute, at least one."""
    return max(1, math.ceil(seconds / 60))


def report(event: str, jobs: Sequence[JobFigure], install: float) -> dict[str, float]:
    act_seconds = sum(j.seconds for j in jobs)
    estimate = [j.seconds + (install if j.installs else 0.0) for j in jobs]
    billed = sum(minutes(s) for s in estimate)
    print(f"\n{event}: {len(jobs)} jobs ran, {act_seconds:.0f} s of job time under act")
    for job in jobs:
        extra = f" (+{install:.0f} s cold install)" if job.installs else ""
        print(f"  {job.workflow:20} {job.job:42} {job.seconds:5.0f} s{extra}")
    print(f"  billable estimate: {billed} min (each job rounded up to a whole minute)")
    return {"jobs": len(jobs), "act_seconds": act_seconds, "billable_minutes": billed}


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--skip-install", action="store_true", help="do not time the cold uv sync (count 0 s)"
    )
    parser.add_argument("--json-out", type=Path, help="also write the figures as JSON here")
    args = parser.parse_args(argv)

    install = 0.0 if args.skip_install else cold_install_seconds()
    print(f"cold `uv sync --frozen --no-dev --extra deploy`, no cache: {install:.1f} s")
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as scratch:
        for event, (node, workflows) in SCENARIOS.items():
            timings = Path(scratch) / f"{event.replace(' ', '-')}.jsonl"
            run_scenario(node, timings)
            results[event] = report(event, figures(timings, workflows), install)
    print(
        "\nNot measured here (real GitHub and GCP only): runner queue and start-up, the "
        "Pulumi CLI download by pulumi/actions in jobs that run the engine, GCP API latency "
        "in preview/apply/drift (the sandbox answers on loopback), and the code PR's `code` "
        "job, which runs .ci/run (its cold figure is in the closing notes / docs/workflows.md)."
    )
    if args.json_out:
        args.json_out.write_text(json.dumps({"install_seconds": install, **results}, indent=2))


if __name__ == "__main__":
    main()
