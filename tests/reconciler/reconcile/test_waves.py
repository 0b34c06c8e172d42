"""Applying a program change wave by wave, against the in-memory engine, run after run: the
records each run writes are what the next run plans from. Plus the verification, the
shards' barrier and the held manifest changes, one behaviour per test."""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from pathlib import Path

from reconciler.engine.backend.records import StackRecord
from reconciler.engine.backend.state import DeployedStack
from reconciler.manifests.model import Tenant
from reconciler.manifests.rollout import Rollout, Wave
from reconciler.reconcile import act
from reconciler.reconcile.barrier import Barrier, settled
from reconciler.reconcile.plan import Desired, make_plan
from reconciler.reconcile.rollout import rollout_plan
from reconciler.reconcile.verify import Verifier, output_environment
from reconciler.reconcile.waves import RolloutRun, WaveSettled
from reconciler.report.results import Outcome, Report, ResourceStep, StackRun
from reconciler.report.status import EXIT_FAILED, EXIT_OK, Status
from tests.fake_engine import FakeEngine
from tests.reconciler.reconcile.test_act import Clock, context

NEW = "c0ffee" * 10 + "abcd"
OLD = "0123456789ab"
ROLLOUT = Rollout(
    (
        Wave("canary", selector=(("ring", "canary"),)),
        Wave("early", share=0.5),
        Wave("rest", share=1.0),
    )
)
CANARIES = ("c1", "c2")
OTHERS = ("t1", "t2", "t3", "t4")
IDENTITY = "gcp:identityplatform/tenant:Tenant"


def manifest(name: str, revision: str = "") -> Desired:
    labels = (("ring", "canary"),) if name in CANARIES else ()
    tenant = Tenant(name, "o@example.com", name.title(), labels=labels, source=Path(name))
    return Desired(tenant, f"new-{name}{revision}", True, program=NEW[:12])


class Fleet:
    """Six tenants deployed with the old program; each `run` plans from the engine's records
    (as the CLI does from the backend) and applies wave by wave."""

    def __init__(self) -> None:
        names = (*CANARIES, *OTHERS)
        self.engine = FakeEngine(
            {n: StackRecord(f"old-{n}", "succeeded", True, program=OLD) for n in names}
        )
        self.manifests = {n: manifest(n) for n in names}
        self.lines: list[str] = []
        self.soaked: list[float] = []

    def waves(self) -> dict[int, tuple[str, ...]]:
        plan = self.rollout()
        return {w.index: w.tenants for w in plan.waves}

    def plan(self):
        return make_plan(self.manifests.values(), self.engine.list_deployed(), 1.0)

    def rollout(self):
        return rollout_plan(self.plan().changes, ROLLOUT, NEW)

    def run(
        self,
        *,
        only: Sequence[str] = (),
        ahead: bool = False,
        verify: bool = True,
        wait=None,
        sharded: bool = False,
    ) -> tuple[list[Outcome], Report]:
        plan = self.plan()
        chosen = [c for c in plan.changes if not only or c.tenant in only]
        # A shard's run covers every tenant (the other shards apply the rest).
        covered = plan.changes if sharded else chosen
        rollout = RolloutRun(
            plan=rollout_plan(plan.changes, ROLLOUT, NEW),
            covered=frozenset(c.tenant for c in covered),
            ahead=frozenset(c.tenant for c in chosen) if ahead else frozenset(),
            wait_for_wave=wait,
            soak=self.soaked.append,
        )
        ctx = context(
            self.engine,
            Clock(),
            parallel=2,
            progress=self.lines.append,
            rollout=rollout,
            verify=Verifier(self.engine) if verify else None,
        )
        outcomes = act.apply(chosen, ctx)
        summary = rollout.summary[-1] if rollout.summary else None
        return outcomes, Report("apply", tuple(outcomes), rollout=summary)

    def program_of(self, name: str) -> str | None:
        record = self.engine.stacks[name].record
        return record.program if record else None


def statuses(outcomes: Sequence[Outcome]) -> dict[str, Status]:
    return {o.tenant: o.status for o in outcomes}


def test_a_program_change_rolls_over_three_waves_halts_on_a_wave_2_fault_and_resumes():
    fleet = Fleet()
    waves = fleet.waves()
    assert waves[1] == CANARIES and len(waves[2]) == 2 and len(waves[3]) == 2
    faulty = waves[2][0]
    fleet.engine.script(faulty, fail={"up": "googleapi: Error 503: bucket update failed"})

    outcomes, report = fleet.run()

    found = statuses(outcomes)
    assert [found[n] for n in waves[1]] == [Status.SUCCEEDED] * 2
    assert found[faulty] is Status.FAILED
    assert [found[n] for n in waves[3]] == [Status.BLOCKED] * 2
    # Wave 3 untouched: no engine call, still on the old program.
    assert not {name for _, name in fleet.engine.calls} & set(waves[3])
    assert {fleet.program_of(n) for n in waves[3]} == {OLD}
    assert fleet.program_of(faulty) == OLD  # the record keeps the last good program
    assert report.exit_code() == EXIT_FAILED
    assert report.rollout is not None
    assert report.rollout.startswith(f"rollout of program {NEW[:12]} halted at wave 2 early")
    assert f"1 failed, 0 allowed: {faulty}" in report.rollout
    assert "waves 3 rest untouched" in report.rollout
    held = {o.tenant: o.reason for o in outcomes}[waves[3][0]]
    assert "held: the rollout halted at wave 2 early" in held and "--skip-waves" in held

    # The fault is fixed: the next run (`reconciler rollout resume`) retries the halted
    # wave's failed tenant first, then goes on to wave 3.
    fleet.engine.scripts.pop(faulty)
    assert fleet.rollout().halted is not None
    outcomes, report = fleet.run()

    assert statuses(outcomes) == {
        **{n: Status.UNCHANGED for n in (*waves[1], *waves[2]) if n != faulty},
        faulty: Status.SUCCEEDED,
        **{n: Status.SUCCEEDED for n in waves[3]},
    }
    assert report.exit_code() == EXIT_OK
    assert report.rollout == f"rollout of program {NEW[:12]}: every wave passed"
    assert {fleet.program_of(n) for n in (*CANARIES, *OTHERS)} == {NEW[:12]}
    assert fleet.rollout().work == frozenset()


def test_each_tenant_of_a_wave_is_read_back_after_its_apply():
    fleet = Fleet()
    fleet.run()
    ups = [name for op, name in fleet.engine.calls if op == "up"]
    reads = [name for op, name in fleet.engine.calls if op == "drift"]
    assert sorted(reads) == sorted(ups) == sorted((*CANARIES, *OTHERS))


def test_an_identity_that_does_not_read_back_fails_the_tenant_and_halts_its_wave():
    fleet = Fleet()
    drifted = (ResourceStep("update", IDENTITY, "c2-identity", diffs=("mfaConfig",)),)
    fleet.engine.script("c2", drifted=drifted)

    outcomes, report = fleet.run()

    c2 = {o.tenant: o for o in outcomes}["c2"]
    assert c2.status is Status.FAILED
    assert "do not read back as the manifest says: update Tenant c2-identity (mfaConfig)" in (
        c2.reason
    )
    # Recorded as failed, the old program kept: the next run applies and checks it again.
    assert fleet.engine.stacks["c2"].record == StackRecord("old-c2", "failed", True, program=OLD)
    assert report.rollout is not None and "halted at wave 1 canary" in report.rollout


def test_a_failure_that_touched_nothing_still_leaves_a_failed_record():
    """A failed safety preview records nothing by itself; in a wave it must: the other
    shards wait for the record, and the next plan counts it against the wave."""
    fleet = Fleet()
    fleet.engine.script("c1", fail={"preview": "Preview failed: fault injected"})

    outcomes, _ = fleet.run()

    assert {o.tenant: o.status for o in outcomes}["c1"] is Status.FAILED
    assert fleet.engine.stacks["c1"].record == StackRecord("old-c1", "failed", True, program=OLD)
    assert fleet.rollout().halted is not None and fleet.rollout().halted.label == "1 canary"


def test_a_failure_within_a_waves_allowance_goes_on():
    fleet = Fleet()
    rest = fleet.waves()[3]
    fleet.engine.script(rest[0], fail={"up": "boom"})
    lenient = Rollout((*ROLLOUT.waves[:2], Wave("rest", share=1.0, max_failures=1)))
    plan = fleet.plan()
    run = RolloutRun(rollout_plan(plan.changes, lenient, NEW), frozenset(fleet.manifests))
    outcomes = act.apply(plan.changes, context(fleet.engine, rollout=run))
    assert statuses(outcomes)[rest[0]] is Status.FAILED
    assert statuses(outcomes)[rest[1]] is Status.SUCCEEDED
    assert run.summary == [f"rollout of program {NEW[:12]}: every wave passed"]


def test_a_manifest_change_to_a_tenant_not_yet_on_the_program_waits_for_its_wave():
    """While the rollout is halted, applying it would run the new program on it: held."""
    fleet = Fleet()
    waves = fleet.waves()
    fleet.engine.script(waves[1][0], fail={"up": "boom"})
    late = waves[3][0]
    fleet.manifests[late] = manifest(late, revision="-edited")

    outcomes, _ = fleet.run()

    assert statuses(outcomes)[late] is Status.BLOCKED
    assert ("up", late) not in fleet.engine.calls


def test_skip_waves_applies_a_named_tenant_ahead_of_its_wave():
    fleet = Fleet()
    late = fleet.waves()[3][0]
    outcomes, _ = fleet.run(only=[late], ahead=True)
    assert statuses(outcomes) == {late: Status.SUCCEEDED}
    assert fleet.program_of(late) == NEW[:12]


def test_a_tenant_named_alone_waits_while_earlier_waves_are_not_done():
    fleet = Fleet()
    late = fleet.waves()[3][0]
    outcomes, report = fleet.run(only=[late])
    assert statuses(outcomes) == {late: Status.BLOCKED}
    assert report.rollout is not None
    assert "halted at wave 1 canary: 2 of its tenants are not in this run: c1, c2" in (
        report.rollout
    )


def test_the_soak_passes_between_waves_only():
    fleet = Fleet()
    soaking = Rollout((Wave("canary", (("ring", "canary"),), soak_seconds=600), *ROLLOUT.waves[1:]))
    plan = fleet.plan()
    run = RolloutRun(
        rollout_plan(plan.changes, soaking, NEW),
        frozenset(fleet.manifests),
        soak=fleet.soaked.append,
    )
    act.apply(plan.changes, context(fleet.engine, rollout=run))
    assert fleet.soaked == [600]


def test_a_shard_stops_on_another_shards_failure_in_the_same_wave():
    fleet = Fleet()
    waves = fleet.waves()
    mine, theirs = waves[2][0], waves[2][1]
    asked = []

    def wait(wave, tenants):
        asked.append((wave.label, tuple(tenants)))
        if wave.index == 2:
            return WaveSettled(failed={theirs: "failed on another shard"})
        return WaveSettled()

    # This shard has the canaries and one tenant of waves 2 and 3; the other shard the rest.
    outcomes, report = fleet.run(only=[*waves[1], mine, waves[3][0]], wait=wait, sharded=True)

    assert asked == [("2 early", (theirs,))]  # wave 1 is all this shard's: nothing to wait for
    assert statuses(outcomes)[mine] is Status.SUCCEEDED
    assert statuses(outcomes)[waves[3][0]] is Status.BLOCKED
    assert report.rollout is not None and f"1 failed, 0 allowed: {theirs}" in report.rollout


def stack(name: str, at: float | None, result: str = "succeeded") -> DeployedStack:
    return DeployedStack(name, StackRecord("f", result, True), False, recorded_at=at)


def test_the_barrier_counts_a_tenant_once_recorded_since_the_plan():
    records = {"a": stack("a", 101), "b": stack("b", 99), "c": stack("c", 105, "failed")}
    found = settled(records, ["a", "b", "c", "d"], since=100)
    assert found.unsettled == ("b", "d")
    assert list(found.failed) == ["c"]


def test_the_barrier_waits_then_gives_up_at_its_time_limit():
    clock = Clock()
    reads = []

    def read():
        reads.append(clock.now)
        return {"a": stack("a", 50)}

    barrier = Barrier(read, since=100, timeout=30, poll=10, clock=clock, sleep=clock.sleep)
    found = barrier(fleet_wave(), ["a"])
    assert found.unsettled == ("a",) and reads == [0, 10, 20, 30]


def fleet_wave():
    return Fleet().rollout().waves[0]


def test_the_verify_command_sees_the_tenant_and_its_outputs_never_a_secret():
    seen = {}

    def run(argv, **kwargs):
        seen.update(kwargs["env"])
        return subprocess.CompletedProcess(argv, 3, "", "sign-in page answered 502\n")

    verifier = Verifier(FakeEngine(), identity=False, command=("check",), run=run)
    change = Fleet().plan().changes[0]
    outputs = {"tenantId": "t-1", "clientSecret": "[secret]", "identityProviders": ["google.com"]}
    try:
        verifier(change, StackRun(outputs=outputs))
    except Exception as error:
        assert "exited 3: sign-in page answered 502" in str(error)
    else:
        raise AssertionError("a failing command must fail the tenant")
    # PATH, HOME and LANG are passed on; nothing else of ours reaches the command.
    assert {k: v for k, v in seen.items() if k not in ("PATH", "HOME", "LANG")} == {
        "TENANT": change.tenant,
        "TENANT_OUTPUT_TENANTID": "t-1",
        "TENANT_OUTPUT_IDENTITYPROVIDERS": '["google.com"]',
    }
    assert output_environment("x", {"a-b": 1}) == {"TENANT": "x", "TENANT_OUTPUT_A_B": "1"}
