"""Lock files and the unlock rule (pure): who holds a lock, for how long, and when
`reconciler unlock` may remove it."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from reconciler.engine.backend.locks import (
    HeldLock,
    UnlockContext,
    format_duration,
    parse_duration,
    parse_lock,
    unlock_context,
    unlock_decision,
)

NOW = datetime(2026, 11, 30, 12, 0, 0, tzinfo=UTC)
HOST = "runner-7"


def lock(minutes: float | None = 60, host: str = HOST, pid: int | None = 4242) -> HeldLock:
    taken = None if minutes is None else NOW - timedelta(minutes=minutes)
    return HeldLock(pid=pid, username="ci", hostname=host, taken=taken)


def ctx(older_than: float = 30, alive: set[int] = frozenset()) -> UnlockContext:
    return UnlockContext(NOW, timedelta(minutes=older_than), HOST, frozenset(alive))


@pytest.mark.parametrize(
    ("held", "context", "allowed", "why"),
    [
        (lock(60), ctx(30), True, "removed the lock"),
        (lock(10), ctx(30), False, "younger than 30m00s"),
        (lock(10), ctx(0), True, "removed the lock"),
        (lock(60), ctx(30, {4242}), False, "still running on this host"),
        (lock(60, host="elsewhere"), ctx(30, {4242}), True, "removed the lock"),
        (lock(60, pid=None), ctx(30, {4242}), True, "removed the lock"),
        (lock(None), ctx(30), False, "does not say when"),
        (lock(None), ctx(0), True, "removed the lock"),
        (lock(0.5), ctx(0, {4242}), False, "still running"),
    ],
    ids=[
        "old-dead",
        "young",
        "young-no-bound",
        "live-here",
        "other-host",
        "no-pid",
        "no-time",
        "no-time-no-bound",
        "live-no-bound",
    ],
)
def test_unlock_decision(held, context, allowed, why):
    decision, reason = unlock_decision(held, context)
    assert decision is allowed
    assert why in reason
    assert "ci@" in reason


def test_a_pulumi_lock_file_is_read():
    content = json.dumps(
        {
            "pid": 31337,
            "username": "runner",
            "hostname": "fv-az123",
            "timestamp": "2026-11-30T11:54:58.123456789Z",
        }
    ).encode()
    held = parse_lock(content)
    assert held == HeldLock(
        31337, "runner", "fv-az123", datetime(2026, 11, 30, 11, 54, 58, 123456, tzinfo=UTC)
    )
    assert held.describe(NOW) == "locked by runner@fv-az123 (pid 31337) for 5m01s"


@pytest.mark.parametrize("content", [None, b"", b"{", b"[]", b'{"pid": "x", "timestamp": 5}'])
def test_an_unreadable_lock_file_is_a_lock_of_unknown_holder(content):
    held = parse_lock(content)
    assert held == HeldLock(None, None, None, None)
    assert held.describe(NOW) == "locked by ?@?"


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90", 90), ("90s", 90), ("15m", 900), ("2h", 7200), ("1h30m", 5400), ("0", 0), ("0s", 0)],
)
def test_parse_duration(text, seconds):
    assert parse_duration(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["", "soon", "5d", "m", "-5m", "1.5h"])
def test_parse_duration_refuses_what_it_cannot_read(text):
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration(text)


@pytest.mark.parametrize(
    ("seconds", "text"), [(0, "0s"), (59, "59s"), (61, "1m01s"), (3600, "1h00m"), (5430, "1h30m")]
)
def test_format_duration(seconds, text):
    assert format_duration(timedelta(seconds=seconds)) == text


# --- is the holder running? (this host's processes) ------------------------------------


def _here(pid: int, taken: datetime) -> HeldLock:
    return HeldLock(pid=pid, username="ci", hostname=socket.gethostname(), taken=taken)


def test_a_live_holder_on_this_host_is_running() -> None:
    held = _here(os.getpid(), datetime.now(UTC))
    assert unlock_context(held, timedelta(0)).alive == {os.getpid()}


def test_a_killed_holder_not_yet_reaped_is_not_running() -> None:
    # A CI timeout SIGKILLs the tree; the Pulumi CLI, orphaned, stays a zombie until its
    # new parent reaps it, and `kill(pid, 0)` still succeeds. Seen in the e2e suite.
    child = subprocess.Popen(["true"])
    try:
        stat = Path(f"/proc/{child.pid}/stat")
        deadline = time.monotonic() + 10
        while stat.read_text().rsplit(")", 1)[1].split()[0] != "Z":
            assert time.monotonic() < deadline, "the child never exited"
            time.sleep(0.01)
        held = _here(child.pid, datetime.now(UTC))
        assert unlock_context(held, timedelta(0)).alive == frozenset()
    finally:
        child.wait()


def test_a_pid_reused_by_a_later_process_is_not_the_holder() -> None:
    # This test's process started long after a lock taken a day ago with its pid.
    held = _here(os.getpid(), datetime.now(UTC) - timedelta(days=1))
    assert unlock_context(held, timedelta(0)).alive == frozenset()


def test_an_apply_refused_by_a_lock_names_its_holder_and_the_way_out() -> None:
    from datetime import UTC, datetime

    from reconciler.engine.backend.locks import HeldLock, lock_refusal

    taken = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    held = HeldLock(pid=4242, username="runner", hostname="gha-1", taken=taken)
    said = lock_refusal(held, "acme", now=datetime(2026, 1, 1, 14, 0, tzinfo=UTC))
    assert said.startswith("the stack is locked by runner@gha-1 (pid 4242) for 2h")
    assert "`reconciler unlock acme`" in said
    assert "locked by another run" in lock_refusal(None, "acme")
