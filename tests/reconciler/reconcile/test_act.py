"""act, against the in-memory engine: selection, the parallelism bound, retries, failure
isolation, cancellation, the records it writes, and the replacement guard."""

from __future__ import annotations

import dataclasses
import os
import signal
import threading
import time
from collections.abc import Sequence

import pytest

from reconciler.engine.backend.records import StackRecord
from reconciler.engine.backend.state import DeployedStack
from reconciler.manifests.model import Storage, Tenant
from reconciler.manifests.platform import Platform, load_platform
from reconciler.reconcile import act, policy
from reconciler.reconcile.act import ActContext
from reconciler.reconcile.fingerprint import shape_key
from reconciler.reconcile.plan import Action, Change, Desired
from reconciler.report.results import Outcome, ResourceStep
from reconciler.report.status import Status
from reconciler.settings import Settings
from tests.fake_engine import FakeEngine
from tests.repo import REPO

PLATFORM = load_platform(REPO, {})
IDENTITY = "gcp:identityplatform/tenant:Tenant"
BUCKET = "gcp:storage/bucket:Bucket"
ACCOUNT = "gcp:serviceaccount/account:Account"


class Clock:
    """A fake clock: sleeping moves it on at once, so retry tests take no time."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def __call__(self) -> float:
        return self.now


def no_program(change: Change, settings: Settings, platform: Platform):
    return lambda: None


def context(engine: FakeEngine, clock: Clock | None = None, **overrides) -> ActContext:
    clock = clock or Clock()
    fields = dict(
        engine=engine,
        platform=PLATFORM,
        settings=Settings(),
        parallel=4,
        progress=lambda _line: None,
        program=no_program,
        sleep=clock.sleep,
        clock=clock,
    )
    return ActContext(**{**fields, **overrides})


def desired(name: str, protected: bool = True, shape: str = "shape-1", **tenant) -> Desired:
    manifest = Tenant(name=name, owner="owner@example.com", display_name=name.title(), **tenant)
    return Desired(manifest, fingerprint=f"fp-{name}-new", protected=protected, shape=shape)


def record(name: str, protected: bool = True, shape: str = "shape-1", result="succeeded"):
    return StackRecord(f"fp-{name}-old", result, protected, shape)


def change(
    name: str,
    action: Action,
    deployed: StackRecord | None = None,
    **wanted,
) -> Change:
    stack = DeployedStack(name, deployed, locked=False) if deployed else None
    want = None if action is Action.DELETE and not wanted else desired(name, **wanted)
    return Change(name, action, f"{action.value} {name}", want, stack)


def by_tenant(outcomes: Sequence[Outcome]) -> dict[str, Outcome]:
    return {o.tenant: o for o in outcomes}


# --- selection -----------------------------------------------------------------------------


def test_only_changes_that_need_the_engine_reach_it():
    engine = FakeEngine({n: record(n) for n in ("upd", "ret", "dele", "same", "held")})
    changes = [
        change("new", Action.CREATE),
        change("upd", Action.UPDATE, record("upd")),
        change("ret", Action.RETRY, record("ret", result="failed")),
        change("dele", Action.DELETE, record("dele", protected=False)),
        change("same", Action.UNCHANGED, record("same")),
        change("held", Action.BLOCKED, record("held")),
    ]
    outcomes = act.apply(changes, context(engine))
    assert [o.tenant for o in outcomes] == sorted(c.tenant for c in changes)
    statuses = {o.tenant: o.status for o in outcomes}
    assert statuses == {
        "new": Status.SUCCEEDED,
        "upd": Status.SUCCEEDED,
        "ret": Status.SUCCEEDED,
        "dele": Status.SUCCEEDED,
        "same": Status.UNCHANGED,
        "held": Status.BLOCKED,
    }
    touched = {name for op, name in engine.calls}
    assert touched == {"new", "upd", "ret", "dele"}
    assert "dele" not in engine.stacks


def test_preview_runs_the_engine_for_the_same_selection_and_changes_nothing():
    engine = FakeEngine({"upd": record("upd"), "same": record("same")})
    changes = [
        change("new", Action.CREATE),
        change("upd", Action.UPDATE, record("upd")),
        change("same", Action.UNCHANGED, record("same")),
    ]
    outcomes = by_tenant(act.preview(changes, context(engine)))
    assert {n: o.status for n, o in outcomes.items()} == {
        "new": Status.PLANNED,
        "upd": Status.PLANNED,
        "same": Status.UNCHANGED,
    }
    assert sorted(engine.calls) == [("preview", "new"), ("preview", "upd")]
    assert engine.records == []


def test_drift_checks_every_deployed_tenant_and_only_those():
    engine = FakeEngine({"same": record("same"), "moved": record("moved")})
    engine.script("moved", drifted=(ResourceStep("update", BUCKET, "data", diffs=("labels",)),))
    changes = [
        change("same", Action.UNCHANGED, record("same")),
        change("moved", Action.UNCHANGED, record("moved")),
        change("new", Action.CREATE),
    ]
    outcomes = by_tenant(act.drift(changes, context(engine)))
    assert outcomes["same"].status is Status.IN_SYNC
    assert outcomes["moved"].status is Status.DRIFTED
    assert outcomes["new"].status is Status.PLANNED
    assert sorted(engine.calls) == [("drift", "moved"), ("drift", "same")]


# --- the parallelism bound -----------------------------------------------------------------


@pytest.mark.parametrize("parallel", [1, 2, 3])
def test_no_more_engine_operations_at_once_than_the_bound(parallel: int):
    engine = FakeEngine()
    names = [f"t{i}" for i in range(7)]
    for name in names:
        engine.script(name, delay=0.2)  # long enough to overlap on a loaded machine
    act.apply([change(n, Action.CREATE) for n in names], context(engine, parallel=parallel))
    assert engine.most_running == parallel


# --- retries -------------------------------------------------------------------------------


def test_a_locked_stack_is_retried_with_backoff_until_it_is_released():
    engine = FakeEngine({"a": record("a")})
    engine.script("a", locked_for=3)
    clock = Clock()
    [outcome] = act.apply([change("a", Action.UPDATE, record("a"))], context(engine, clock))
    assert outcome.status is Status.SUCCEEDED
    assert engine.calls_for("a") == ["up", "up", "up", "up", "record"]
    assert clock.sleeps == [1.0, 2.0, 4.0]  # the engine's suggested delay, then doubling


def test_a_lock_held_past_the_bound_fails_the_tenant_and_leaves_its_record_alone():
    engine = FakeEngine({"a": record("a"), "b": record("b")})
    engine.stacks["a"].locked = True
    clock = Clock()
    outcomes = by_tenant(
        act.apply(
            [change("a", Action.UPDATE, record("a")), change("b", Action.UPDATE, record("b"))],
            context(engine, clock, retry_wait=20.0),
        )
    )
    assert outcomes["a"].status is Status.FAILED and "locked" in outcomes["a"].reason
    assert outcomes["b"].status is Status.SUCCEEDED
    assert clock.now <= 20.0 and clock.sleeps == [1.0, 2.0, 4.0, 8.0]
    assert engine.records_for("a") == []  # never touched: nothing to retry next time


def test_delays_between_tries_are_capped():
    engine = FakeEngine()
    engine.script("a", locked_for=8)
    clock = Clock()
    act.apply([change("a", Action.CREATE)], context(engine, clock, retry_wait=600.0))
    assert clock.sleeps == [1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0, 30.0]


def test_a_temporary_error_is_retried_and_a_permanent_one_is_not():
    engine = FakeEngine()
    engine.script("busy", temporary={"up": 2})
    engine.script("broken", fail={"up": "invalid bucket location"})
    outcomes = by_tenant(
        act.apply([change("busy", Action.CREATE), change("broken", Action.CREATE)], context(engine))
    )
    assert outcomes["busy"].status is Status.SUCCEEDED
    assert engine.calls_for("busy").count("up") == 3
    assert outcomes["broken"].status is Status.FAILED
    assert outcomes["broken"].reason == "invalid bucket location"
    assert engine.calls_for("broken").count("up") == 1


# --- failure isolation and records ---------------------------------------------------------


def test_one_tenants_failure_does_not_stop_the_others():
    engine = FakeEngine({"b": record("b")})
    engine.script("b", fail={"up": "quota exceeded"})

    def program(change: Change, environ, platform):
        if change.tenant == "c":
            raise KeyError("TENANT_C_SECRET is not set")
        return lambda: None

    changes = [
        change("a", Action.CREATE),
        change("b", Action.UPDATE, record("b")),
        change("c", Action.CREATE),
        change("d", Action.CREATE),
    ]
    outcomes = by_tenant(act.apply(changes, context(engine, program=program, parallel=1)))
    assert {n: o.status for n, o in outcomes.items()} == {
        "a": Status.SUCCEEDED,
        "b": Status.FAILED,
        "c": Status.FAILED,
        "d": Status.SUCCEEDED,
    }
    assert "TENANT_C_SECRET" in outcomes["c"].reason
    assert engine.calls_for("c") == []


def test_a_successful_apply_records_the_new_fingerprint_protection_and_shape():
    engine = FakeEngine()
    act.apply([change("a", Action.CREATE, protected=False, shape="s-9")], context(engine))
    assert engine.records_for("a") == [StackRecord("fp-a-new", "succeeded", False, "s-9", "A")]
    assert engine.stacks["a"].record == StackRecord("fp-a-new", "succeeded", False, "s-9", "A")


@pytest.mark.parametrize("was_protected", [True, False])
@pytest.mark.parametrize("wants_protected", [True, False])
def test_a_failed_apply_marks_the_stack_for_retry_keeping_the_last_good_fingerprint(
    was_protected: bool, wants_protected: bool
):
    old = record("a", protected=was_protected, shape="s-1")
    engine = FakeEngine({"a": old})
    engine.script("a", fail={"up": "boom"})
    act.apply([change("a", Action.UPDATE, old, protected=wants_protected)], context(engine))
    [written] = engine.records_for("a")
    assert written == StackRecord("fp-a-old", "failed", was_protected or wants_protected, "s-1")


def test_a_failed_create_is_recorded_so_the_next_run_retries_it():
    engine = FakeEngine()
    engine.script("a", fail={"up": "boom"})
    [outcome] = act.apply([change("a", Action.CREATE, protected=True)], context(engine))
    assert outcome.status is Status.FAILED
    assert engine.records_for("a") == [StackRecord(None, "failed", True, None)]


def test_a_record_that_cannot_be_written_is_reported_but_the_run_goes_on():
    engine = FakeEngine()
    engine.script("a", fail={"record": "backend unavailable"})
    lines: list[str] = []
    outcomes = act.apply(
        [change("a", Action.CREATE), change("b", Action.CREATE)],
        context(engine, progress=lines.append),
    )
    assert [o.status for o in outcomes] == [Status.SUCCEEDED, Status.SUCCEEDED]
    assert any("a: could not record the result: backend unavailable" in line for line in lines)


def test_the_up_is_told_whether_the_stack_exists_so_a_new_one_is_created_first():
    engine = FakeEngine({"b": record("b")})
    act.apply(
        [change("a", Action.CREATE), change("b", Action.UPDATE, record("b"))], context(engine)
    )
    assert sorted(engine.up_exists) == [("a", False), ("b", True)]


def test_a_record_is_written_while_the_next_tenant_runs_and_before_apply_returns():
    # At --parallel 1 the record (a `stack tag set` process, ~0.12 s) need not hold up the
    # next tenant's up (#15): it is written beside it, and apply returns only when every
    # record is written.
    engine = FakeEngine()
    b_running = threading.Event()
    engine.script("b", during=b_running.set)
    written = engine.record
    overlapped: list[bool] = []

    def record(tenant: str, stack_record: StackRecord) -> None:
        if tenant == "a":
            overlapped.append(b_running.wait(timeout=5))
        written(tenant, stack_record)

    engine.record = record  # type: ignore[method-assign]
    outcomes = act.apply(
        [change("a", Action.CREATE), change("b", Action.CREATE)],
        context(engine, parallel=1),
    )
    assert [o.status for o in outcomes] == [Status.SUCCEEDED, Status.SUCCEEDED]
    assert overlapped == [True]
    assert [name for name, _ in engine.records] == ["a", "b"]


def test_a_decommission_lifts_protection_then_destroys_and_removes_the_stack():
    engine = FakeEngine({"a": record("a")})
    [outcome] = act.apply(
        [change("a", Action.DELETE, record("a"), decommission=True)], context(engine)
    )
    assert outcome.status is Status.SUCCEEDED
    assert engine.calls_for("a") == ["up", "destroy"]
    assert "a" not in engine.stacks


def test_a_failed_destroy_is_recorded_as_failed():
    engine = FakeEngine({"a": record("a", protected=False)})
    engine.script("a", fail={"destroy": "bucket not empty"})
    [outcome] = act.apply(
        [change("a", Action.DELETE, record("a", protected=False))], context(engine)
    )
    assert outcome.status is Status.FAILED
    assert engine.records_for("a") == [StackRecord("fp-a-old", "failed", False, "shape-1")]


# --- cancellation --------------------------------------------------------------------------


def test_cancelling_stops_new_work_and_marks_the_interrupted_stack_for_retry():
    engine = FakeEngine({n: record(n) for n in "abcd"})
    engine.script("b", cancel_on="up")
    changes = [change(n, Action.UPDATE, record(n)) for n in "abcd"]
    outcomes = by_tenant(act.apply(changes, context(engine, parallel=1)))
    assert {n: o.status for n, o in outcomes.items()} == {
        "a": Status.SUCCEEDED,
        "b": Status.CANCELLED,
        "c": Status.CANCELLED,
        "d": Status.CANCELLED,
    }
    assert engine.calls_for("c") == engine.calls_for("d") == []
    assert "not started" in outcomes["c"].reason
    # The interrupted stack's record is still written (after the cancel), as failed, and
    # the finished one's, written beside the next tenant's up, is not lost to the cancel.
    assert [r.result for r in engine.records_for("b")] == ["failed"]
    assert [r.result for r in engine.records_for("a")] == ["succeeded"]


def test_a_lock_is_not_waited_for_once_the_run_is_cancelled():
    engine = FakeEngine({"a": record("a")})
    engine.stacks["a"].locked = True
    clock = Clock()
    engine.cancel()
    [outcome] = act.apply([change("a", Action.UPDATE, record("a"))], context(engine, clock))
    assert outcome.status is Status.CANCELLED and clock.sleeps == []


def test_sigterm_cancels_the_run_and_interrupts_running_operations():
    engine = FakeEngine()

    def terminate() -> None:
        os.kill(os.getpid(), signal.SIGTERM)
        deadline = time.monotonic() + 5
        while not engine.cancelled and time.monotonic() < deadline:
            time.sleep(0.01)  # the handler runs in the main thread, soon

    engine.script("b", during=terminate)
    changes = [change(n, Action.CREATE) for n in "abc"]
    assert threading.current_thread() is threading.main_thread()
    before = signal.getsignal(signal.SIGTERM)
    outcomes = by_tenant(act.apply(changes, context(engine, parallel=1)))
    assert engine.cancel_requests == [True]  # SIGTERM reached us alone: interrupt the CLIs
    assert outcomes["a"].status is Status.SUCCEEDED
    assert outcomes["c"].status is Status.CANCELLED and engine.calls_for("c") == []
    assert signal.getsignal(signal.SIGTERM) is before  # our handler is gone again


# --- the replacement guard -----------------------------------------------------------------

SHAPE_CHANGES = {
    "none": {},
    "bucket location": {"tenant": {"storage": Storage(location="US")}},
    "project": {"platform": {"gcp_project": "another-project"}},
    "program": {"version": "program-v2"},
}


def shapes(change_kind: str) -> tuple[str, str]:
    """The deployed and desired shape keys for one kind of shape-key change."""
    base = Tenant(name="a", owner="owner@example.com", display_name="A")
    edits = SHAPE_CHANGES[change_kind]
    tenant = dataclasses.replace(base, **edits.get("tenant", {}))
    platform = dataclasses.replace(PLATFORM, **edits.get("platform", {}))
    before = shape_key(base, PLATFORM, "program-v1")
    after = shape_key(tenant, platform, edits.get("version", "program-v1"))
    return before, after


@pytest.mark.parametrize("kind", [k for k in SHAPE_CHANGES if k != "none"])
def test_every_shape_key_input_changes_the_key(kind: str):
    before, after = shapes(kind)
    assert before != after


@pytest.mark.parametrize("allowed", [False, True], ids=["not-allowed", "allowed"])
@pytest.mark.parametrize("protected", [True, False], ids=["protected", "unprotected"])
@pytest.mark.parametrize("kind", list(SHAPE_CHANGES))
def test_the_replacement_guard(kind: str, protected: bool, allowed: bool):
    before, after = shapes(kind)
    old = record("a", protected=protected, shape=before)
    engine = FakeEngine({"a": old})
    # What the engine would plan when the shape changed: the data bucket replaced.
    replacing = (ResourceStep("replace", BUCKET, "a-data", replace_keys=("location",)),)
    engine.script("a", steps=replacing if before != after else ())
    ctx = context(engine, allow_replace=frozenset({"a"} if allowed else set()))
    [outcome] = act.apply([change("a", Action.UPDATE, old, protected=protected, shape=after)], ctx)

    if before == after:
        # Nothing that could replace a stateful resource changed: no safety preview.
        assert engine.calls_for("a") == ["up", "record"]
        assert outcome.status is Status.SUCCEEDED
    elif not allowed:
        assert engine.calls_for("a") == ["preview"]
        assert outcome.status is Status.BLOCKED
        assert "replace of a-data (changed: location)" in outcome.reason
        assert "--allow-replace a" in outcome.reason
        assert engine.stacks["a"].record == old  # blocked: the record is untouched
    else:
        # Protection is lifted from exactly the replaced resource, then the plain program
        # replaces it and puts protection back.
        assert engine.calls_for("a") == ["preview", "release", "up", "record"]
        assert engine.stacks["a"].released == replacing
        assert outcome.status is Status.SUCCEEDED
        assert "LOST: replace of a-data (changed: location)" in outcome.reason
        assert engine.stacks["a"].record == StackRecord(
            "fp-a-new", "succeeded", protected, after, "A"
        )


@pytest.mark.parametrize(
    ("step", "blocked"),
    [
        (ResourceStep("replace", IDENTITY, "a-users", replace_keys=("project",)), True),
        (ResourceStep("create-replacement", BUCKET, "a-data"), True),
        (ResourceStep("delete", BUCKET, "a-data"), True),
        (ResourceStep("delete", IDENTITY, "a-users"), True),
        (ResourceStep("replace", ACCOUNT, "a-runner"), False),
        (ResourceStep("update", BUCKET, "a-data", diffs=("labels",)), False),
        (ResourceStep("create", BUCKET, "a-data"), False),
    ],
)
def test_only_losing_users_or_data_needs_approval(step: ResourceStep, blocked: bool):
    old = record("a", shape="s-1")
    engine = FakeEngine({"a": old})
    engine.script("a", steps=(step,))
    [outcome] = act.apply([change("a", Action.UPDATE, old, shape="s-2")], context(engine))
    assert outcome.status is (Status.BLOCKED if blocked else Status.SUCCEEDED)
    [applied] = act.apply(
        [change("a", Action.UPDATE, old, shape="s-2")],
        context(engine, allow_replace=frozenset({"a"})),
    )
    assert applied.status is Status.SUCCEEDED


def test_approval_is_per_tenant():
    engine = FakeEngine({n: record(n, shape="s-1") for n in ("a", "b")})
    for name in ("a", "b"):
        engine.script(name, steps=(ResourceStep("replace", IDENTITY, f"{name}-users"),))
    changes = [change(n, Action.UPDATE, record(n, shape="s-1"), shape="s-2") for n in ("a", "b")]
    outcomes = by_tenant(act.apply(changes, context(engine, allow_replace=frozenset({"b"}))))
    assert outcomes["a"].status is Status.BLOCKED
    assert outcomes["b"].status is Status.SUCCEEDED


@pytest.mark.parametrize("allowed", [False, True])
def test_preview_shows_a_replacement_as_blocked_unless_allowed(allowed: bool):
    engine = FakeEngine({"a": record("a")})
    engine.script("a", steps=(ResourceStep("replace", BUCKET, "a-data"),))
    ctx = context(engine, allow_replace=frozenset({"a"} if allowed else set()))
    [outcome] = act.preview([change("a", Action.UPDATE, record("a"))], ctx)
    assert outcome.status is (Status.PLANNED if allowed else Status.BLOCKED)
    assert engine.records == []


def test_a_failed_safety_preview_leaves_the_record_untouched():
    """Repro 2: a failed or blocked preview never marks a stack failed."""
    old = record("a", shape="s-1")
    engine = FakeEngine({"a": old})
    engine.script("a", fail={"preview": "unable to replace resource a-data"})
    [outcome] = act.apply([change("a", Action.UPDATE, old, shape="s-2")], context(engine))
    assert outcome.status is Status.FAILED
    assert engine.calls_for("a") == ["preview"]
    assert engine.records == [] and engine.stacks["a"].record == old


@pytest.mark.parametrize(
    ("steps", "expected"),
    [
        ((ResourceStep("update", BUCKET, "a-data"),), ()),
        (
            (
                ResourceStep("create-replacement", IDENTITY, "a-users"),
                ResourceStep("replace", IDENTITY, "a-users", replace_keys=("project",)),
                ResourceStep("replace", "pulumi-python:dynamic:Resource", "a-mfa"),
                ResourceStep("delete-replaced", IDENTITY, "a-users"),
                ResourceStep("update", ACCOUNT, "a-runner"),
            ),
            (
                ResourceStep("replace", "pulumi-python:dynamic:Resource", "a-mfa"),
                ResourceStep("replace", IDENTITY, "a-users", replace_keys=("project",)),
            ),
        ),
        ((ResourceStep("delete", BUCKET, "a-data"),), (ResourceStep("delete", BUCKET, "a-data"),)),
    ],
    ids=["update-only", "identity-replaced-with-its-mfa", "bucket-deleted"],
)
def test_what_an_approved_replacement_releases(steps, expected):
    from reconciler.report.results import StackRun

    assert policy.replacements_to_release(StackRun(steps=steps)) == expected


@pytest.mark.parametrize(
    ("step", "allowed", "decision"),
    [
        (ResourceStep("update", BUCKET, "a-data"), False, "go"),
        (ResourceStep("replace", ACCOUNT, "a-runner"), False, "go"),
        (ResourceStep("replace", BUCKET, "a-data"), False, "blocked"),
        (ResourceStep("replace", BUCKET, "a-data"), True, "approved"),
        (ResourceStep("delete", IDENTITY, "a-users"), False, "blocked"),
        (ResourceStep("delete", IDENTITY, "a-users"), True, "approved"),
    ],
)
def test_replacement_decision(step, allowed, decision):
    from reconciler.report.results import StackRun

    approvals = frozenset({"a"} if allowed else ())
    chosen = policy.replacement_decision(change("a", Action.UPDATE), StackRun((step,)), approvals)
    assert chosen == decision


@pytest.mark.parametrize("allowed", [False, True], ids=["not-approved", "approved"])
def test_decommissioning_a_tenant_whose_bucket_holds_data(allowed: bool):
    old = record("a")
    engine = FakeEngine({"a": old})
    engine.script("a", holds_data=True)
    ctx = context(engine, allow_replace=frozenset({"a"} if allowed else ()))
    [outcome] = act.apply([change("a", Action.DELETE, old, decommission=True)], ctx)
    if allowed:
        assert engine.calls_for("a") == ["up", "release", "destroy"]
        assert outcome.status is Status.SUCCEEDED
        assert "deleted with any objects" in outcome.reason
        assert "a" not in engine.stacks
    else:
        assert engine.calls_for("a") == ["up", "destroy", "record"]
        assert outcome.status is Status.BLOCKED
        assert "Export or empty it" in outcome.reason
        assert "--allow-replace a" in outcome.reason
        assert "a" in engine.stacks


def test_engine_operations_do_not_count_lock_retries():
    """Repro 7: engineOperations counts operations; lock-refused tries are attempts."""
    engine = FakeEngine({"a": record("a")})
    engine.script("a", locked_for=3)
    [outcome] = act.apply([change("a", Action.UPDATE, record("a"))], context(engine))
    assert outcome.status is Status.SUCCEEDED
    assert (engine.operations, engine.attempts) == (1, 4)


# --- secret versions (rotation, reconcile/rotation.py) ----------------------------------


def test_an_apply_records_the_secret_versions_the_up_read_never_values():
    engine = FakeEngine()
    versions = {"secretVersions": {"google.com": "7", "oidc.okta": "12"}}
    engine.script("a", outputs=versions)
    act.apply([change("a", Action.CREATE)], context(engine))
    [written] = engine.records_for("a")
    assert written.secret_versions == (("google.com", "7"), ("oidc.okta", "12"))
    assert written.versions_unrecorded is False


def test_versions_the_up_did_not_report_readably_are_recorded_as_unknown():
    engine = FakeEngine()
    engine.script("a", outputs={"secretVersions": "[secret]"})
    act.apply([change("a", Action.CREATE)], context(engine))
    [written] = engine.records_for("a")
    assert (written.secret_versions, written.versions_unrecorded) == ((), True)


def test_a_failed_apply_keeps_the_versions_last_applied():
    old = dataclasses.replace(record("a"), secret_versions=(("google.com", "7"),))
    engine = FakeEngine({"a": old})
    engine.script("a", fail={"up": "boom"})
    act.apply([change("a", Action.UPDATE, old)], context(engine))
    [written] = engine.records_for("a")
    assert (written.result, written.secret_versions) == ("failed", (("google.com", "7"),))
