"""A program change through the real tenant-apply.yml under act, against the sandbox cloud:
six tenants in three waves (platform.yaml's rollout: the `ring: canary` tenants, half of
the rest, the rest), applied on sharded legs that meet after each wave; a fault in a wave-2
tenant halts the rollout with wave 3 untouched and the run red, naming the wave and the
tenant; after the fix, the next run finishes it."""

from __future__ import annotations

import json

import pytest

from reconciler.manifests.platform import load_platform
from reconciler.reconcile.rollout import assign_waves
from tests.repo import REPO
from tests.workflows.act.runner import RunResult
from tests.workflows.conftest import Scenario
from tests.workflows.manifests import tenant

pytestmark = pytest.mark.e2e

CANARY = {"ring": "canary"}
ADDED = {"acme": CANARY, "beta": CANARY, "gamma": {}, "delta": {}}
RELABEL = ('MANAGED_BY = "tenant-gitops"', 'MANAGED_BY = "tenant-gitops-next"')


def programs(scenario: Scenario) -> dict[str, str]:
    """Each tenant's program version as its stack's record says (plan --format json)."""
    shown = scenario.reconciler("plan", "--format", "json")
    assert shown.returncode in (0, 4), shown.stderr
    return {t["tenant"]: t.get("program", "") for t in json.loads(shown.stdout)["tenants"]}


def rollout_lines(run: RunResult) -> list[str]:
    reports = sorted(run.artifacts.glob("tenant-apply-*/report.json"))
    return [str(json.loads(path.read_text()).get("rollout")) for path in reports]


def test_a_program_change_rolls_out_in_waves_halts_on_a_fault_and_resumes(
    scenario: Scenario,
) -> None:
    origin, github = scenario.origin, scenario.github
    origin.commit(
        "main",
        "four more tenants",
        {f"tenants/{name}.yaml": tenant(name, labels=labels) for name, labels in ADDED.items()},
    )
    seeded = scenario.reconciler("apply")  # the fleet main's program runs today
    assert seeded.returncode == 0, seeded.stdout + seeded.stderr
    before = programs(scenario)
    assert len(before) == 6 and len(set(before.values())) == 1

    rollout = load_platform(REPO, {}).rollout
    assert rollout is not None
    labels = [(n, ADDED.get(n, {})) for n in before]
    wave_of = assign_waves(labels, rollout.waves)
    waves = {i: sorted(n for n, w in wave_of.items() if w == i) for i in (1, 2, 3)}
    assert waves[1] == ["acme", "beta"] and len(waves[2]) == len(waves[3]) == 2
    faulty = waves[2][0]

    context = origin.read("reconciler/program/context.py")
    assert RELABEL[0] in context
    origin.commit(
        "relabel",
        "label buckets anew",
        {"reconciler/program/context.py": context.replace(*RELABEL) + "\n"},
    )
    github.open_pull_request(41, "label buckets anew")
    scenario.merge(41, "relabel")  # approved by a code owner at its last push

    faults = {"SANDBOX_FAULTS": f"update:{faulty}-data:fail"}
    writes_before = len(github.writes())
    halted = scenario.harness.run("tenant-apply.yml", origin.push_event(), environment=faults)
    # One comment write per run, whatever the fleet (the artifacts are the only other writes).
    assert len(github.writes()) - writes_before == 1

    assert halted.code != 0, halted.summary()
    assert len(halted.legs("apply")) >= 2  # a wave is split over shards
    assert halted.job("report").failed_steps == [
        "Fail on failed or blocked tenants, or a shard that did not finish"
    ], halted.summary()
    lines = [line for line in rollout_lines(halted) if " halted at " in line]
    assert lines and all("halted at wave 2 early" in line for line in lines), rollout_lines(halted)
    assert any(f"0 allowed: {faulty}" in line for line in lines), lines
    comment = github.comments_on(41)[-1]["body"]
    assert "**Rollout:** rollout of program" in comment and "halted at wave 2 early" in comment
    assert faulty in comment and "waves 3 rest untouched" in comment, comment
    after = programs(scenario)
    new = {after[n] for n in waves[1]}
    assert len(new) == 1 and new != {before[waves[1][0]]}
    assert after[faulty] == before[faulty]
    assert {after[n] for n in waves[3]} == {before[waves[3][0]]}  # wave 3 untouched

    # The fault is gone; the next run (here by hand) retries wave 2's failed tenant, then
    # goes on to wave 3.
    resumed = scenario.harness.run("tenant-apply.yml", origin.dispatch_event())

    assert resumed.code == 0, resumed.summary()
    assert set(programs(scenario).values()) == new
    assert any("every wave passed" in line for line in rollout_lines(resumed)), rollout_lines(
        resumed
    )
    page = (resumed.artifact("tenant-fleet-page") / "fleet.html").read_text()
    assert page.count('<span class="ok">current</span>') == 6
