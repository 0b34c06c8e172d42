"""Progress lines: style detection (a table), start/heartbeat/end lines with a fake clock,
log groups under GitHub Actions, colour only when asked, quiet silence."""

from __future__ import annotations

import pytest

from reconciler.report.console import (
    HEARTBEAT_SECONDS,
    ConsoleStyle,
    Progress,
    detect_style,
    step_counts,
)
from reconciler.report.results import Outcome, ResourceStep
from reconciler.report.status import Status
from reconciler.settings import read_settings

BUCKET = ResourceStep("create", "gcp:storage/bucket:Bucket", "data")
ACCOUNT = ResourceStep("create", "gcp:serviceaccount/account:Account", "workload")
MEMBER = ResourceStep("update", "gcp:projects/iAMMember:IAMMember", "admin")


@pytest.mark.parametrize(
    ("tty", "environ", "quiet", "expected"),
    [
        (True, {}, False, ConsoleStyle(color=True)),
        (False, {}, False, ConsoleStyle()),
        (True, {"NO_COLOR": "1"}, False, ConsoleStyle()),
        (True, {"NO_COLOR": ""}, False, ConsoleStyle(color=True)),  # no-color.org: non-empty
        (True, {"TERM": "dumb"}, False, ConsoleStyle()),
        (False, {"GITHUB_ACTIONS": "true"}, False, ConsoleStyle(github=True)),
        (False, {}, True, ConsoleStyle(quiet=True)),
    ],
)
def test_style(tty: bool, environ: dict[str, str], quiet: bool, expected: ConsoleStyle) -> None:
    assert detect_style(tty, read_settings(environ), quiet) == expected


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("2", 2.0), ("0.5", 0.5), ("0", HEARTBEAT_SECONDS), ("soon", HEARTBEAT_SECONDS)],
)
def test_heartbeat_setting(value: str, seconds: float) -> None:
    assert read_settings({"RECONCILER_HEARTBEAT": value}).heartbeat == seconds
    assert read_settings({}).heartbeat == HEARTBEAT_SECONDS


def test_step_counts() -> None:
    assert step_counts([]) == "no resource step yet"
    assert step_counts([BUCKET]) == "1 resource step (1 create)"
    assert step_counts([BUCKET, ACCOUNT, MEMBER]) == "3 resource steps (2 create, 1 update)"


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


PLAIN = ConsoleStyle()


def progress(style: ConsoleStyle = PLAIN) -> tuple[Progress, list[str], Clock]:
    lines: list[str] = []
    clock = Clock()
    return Progress(style, lines.append, total=2, clock=clock, heartbeat=10.0), lines, clock


def outcome(tenant: str, status: Status, *steps: ResourceStep, reason: str = "") -> Outcome:
    return Outcome(tenant, "create", status, reason, steps, seconds=12.34)


def test_start_heartbeat_with_steps_and_end_lines() -> None:
    p, lines, clock = progress()
    p.started("acme", "create")
    p.step("acme", BUCKET)
    clock.now += 5
    p.beat()  # silent for less than a heartbeat: nothing
    clock.now += 6
    p.step("acme", ACCOUNT)
    p.beat()
    clock.now += 3
    p.beat()  # just said something: nothing
    p.finished(outcome("acme", Status.SUCCEEDED, BUCKET, ACCOUNT))
    assert lines == [
        "acme: create started",
        "acme: create running for 11s, 2 resource steps (2 create)",
        "[1/2] acme: create -> succeeded (12.3s)",
    ]


def test_end_lines_are_numbered_in_completion_order_and_say_why_it_failed() -> None:
    p, lines, _ = progress()
    p.started("b", "create")
    p.started("a", "create")
    p.finished(outcome("b", Status.FAILED, reason="INVALID_DISPLAY_NAME"))
    p.finished(outcome("a", Status.SUCCEEDED))
    assert lines[2:] == [
        "[1/2] b: create -> failed (12.3s): INVALID_DISPLAY_NAME",
        "[2/2] a: create -> succeeded (12.3s)",
    ]


def test_github_actions_gets_one_group_per_tenant_with_its_steps() -> None:
    p, lines, _ = progress(ConsoleStyle(github=True))
    p.started("acme", "create")
    p.step("acme", BUCKET)  # a failed run returns no steps: the ones seen live are shown
    p.finished(outcome("acme", Status.FAILED, reason="boom"))
    assert lines[1].splitlines() == [
        "::group::[1/2] acme: create -> failed (12.3s): boom",
        "    create             gcp:storage/bucket:Bucket  data",
        "::endgroup::",
    ]


def test_colour_only_when_the_style_says_so() -> None:
    p, lines, _ = progress(ConsoleStyle(color=True))
    p.finished(outcome("acme", Status.SUCCEEDED))
    assert lines == ["[1/2] acme: create -> \x1b[32msucceeded\x1b[0m (12.3s)"]
    p, lines, _ = progress()
    p.finished(outcome("acme", Status.SUCCEEDED))
    assert "\x1b" not in lines[0]


def test_quiet_shows_only_notes() -> None:
    p, lines, clock = progress(ConsoleStyle(quiet=True))
    p.started("acme", "create")
    clock.now += 60
    p.beat()
    p.finished(outcome("acme", Status.SUCCEEDED))
    p.note("acme: could not record the result: denied")
    assert lines == ["acme: could not record the result: denied"]


def test_the_heartbeat_thread_beats_while_running_and_stops() -> None:
    import threading

    lines: list[str] = []
    said = threading.Event()

    def write(text: str) -> None:
        lines.append(text)
        if "running for" in text:
            said.set()

    p = Progress(ConsoleStyle(), write, heartbeat=0.05)
    with p.running():
        p.started("acme", "create")
        assert said.wait(5)
    count = len(lines)
    said.clear()
    assert not said.wait(0.2)  # stopped with the block
    assert len(lines) == count
