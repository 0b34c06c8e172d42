"""Stack locks another run holds: what their lock files say, and when one may be removed.

A DIY backend keeps one JSON file per held lock under
`.pulumi/locks/organization/<project>/<stack>/` with the holder's pid, user, host and the
time it was taken (pulumi/pkg/backend/diy/lock.go, `lockContent`). A run killed with
SIGKILL (a CI timeout) never removes its file, and every later run meets the lock.
`unlock_decision` is the pure rule `reconciler unlock` follows: only a lock older than the
bound whose holder is not a live process on this host is removed.
"""

from __future__ import annotations

import json
import os
import re
import socket
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

DEFAULT_OLDER_THAN = timedelta(minutes=30)
"""`reconciler unlock` leaves younger locks alone unless told otherwise."""

_DURATION = re.compile(r"^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")


@dataclass(frozen=True)
class HeldLock:
    """One lock file's content; fields the file lacks are None."""

    pid: int | None
    username: str | None
    hostname: str | None
    taken: datetime | None
    """When the lock was taken (timezone-aware)."""

    def age(self, now: datetime) -> timedelta | None:
        return None if self.taken is None else max(now - self.taken, timedelta(0))

    def describe(self, now: datetime | None = None) -> str:
        who = f"{self.username or '?'}@{self.hostname or '?'}"
        if self.pid is not None:
            who += f" (pid {self.pid})"
        age = self.age(now) if now is not None else None
        since = f" for {format_duration(age)}" if age is not None else ""
        return f"locked by {who}{since}"


def parse_lock(content: bytes | None) -> HeldLock:
    """A lock file's JSON; anything unreadable is a lock of unknown holder and age."""
    try:
        body = json.loads(content) if content else {}
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    pid = body.get("pid")
    taken: datetime | None = None
    stamp = body.get("timestamp")
    if isinstance(stamp, str):
        taken = _parse_time(stamp)
    username, hostname = body.get("username"), body.get("hostname")
    return HeldLock(
        pid=pid if isinstance(pid, int) and not isinstance(pid, bool) else None,
        username=username if isinstance(username, str) else None,
        hostname=hostname if isinstance(hostname, str) else None,
        taken=taken,
    )


def _parse_time(text: str) -> datetime | None:
    # Go writes RFC 3339 with nanoseconds; Python reads at most microseconds.
    match = re.match(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)$", text.strip())
    if match is None:
        return None
    base, fraction, zone = match.groups()
    micro = (fraction or ".0")[1:7].ljust(6, "0")
    try:
        moment = datetime.fromisoformat(f"{base}.{micro}{'+00:00' if zone == 'Z' else zone}")
    except ValueError:
        return None
    return moment.astimezone(UTC)


def parse_duration(text: str) -> timedelta:
    """`90s`, `15m`, `2h`, `1h30m`, or plain seconds; raises ValueError with a reason."""
    value = text.strip().lower()
    if value.isdigit():
        return timedelta(seconds=int(value))
    match = _DURATION.match(value)
    if not value or match is None or not any(match.groups()):
        raise ValueError(f"'{text}' is not a duration: write e.g. 90s, 15m, 2h or 1h30m")
    hours, minutes, seconds = (int(part or 0) for part in match.groups())
    return timedelta(hours=hours, minutes=minutes, seconds=seconds)


def format_duration(age: timedelta) -> str:
    seconds = int(age.total_seconds())
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    if minutes:
        return f"{minutes}m{seconds:02d}s"
    return f"{seconds}s"


@dataclass(frozen=True)
class UnlockContext:
    """What the unlock rule compares a lock with."""

    now: datetime
    older_than: timedelta
    hostname: str
    """This machine's host name."""
    alive: frozenset[int]
    """Which of the lock holders' pids are live processes on this host."""


def unlock_decision(lock: HeldLock, ctx: UnlockContext) -> tuple[bool, str]:
    """Whether `reconciler unlock` may remove `lock`, and why (pure)."""
    description = lock.describe(ctx.now)
    if lock.hostname == ctx.hostname and lock.pid is not None and lock.pid in ctx.alive:
        return False, f"{description}: that process is still running on this host; stop it first"
    age = lock.age(ctx.now)
    if age is None:
        if ctx.older_than > timedelta(0):
            return False, (
                f"{description}: the lock file does not say when it was taken; "
                "pass --older-than 0 to remove it anyway"
            )
    elif age < ctx.older_than:
        return False, (
            f"{description}: younger than {format_duration(ctx.older_than)}, the holder may "
            "still be working; wait, or pass a smaller --older-than"
        )
    return True, f"removed the lock ({description})"


def unlock_context(lock: HeldLock, older_than: timedelta) -> UnlockContext:
    """The unlock rule's view of this machine: its name, and whether the holder still runs."""
    here = socket.gethostname()
    alive = frozenset(
        {lock.pid}
        if lock.pid is not None and lock.hostname == here and _holder_running(lock.pid, lock.taken)
        else ()
    )
    return UnlockContext(datetime.now(UTC), older_than, here, alive)


_START_SLACK = timedelta(seconds=2)
"""/proc gives a process's start to the boot second: allow that much, and a little more."""


def _holder_running(pid: int, taken: datetime | None) -> bool:
    """Whether `pid` is a running process that can be the one that took the lock at `taken`.

    Not a process that was killed and is waiting to be reaped (a zombie: `kill(pid, 0)`
    still succeeds; an orphaned Pulumi CLI stays one until its new parent reaps it), and
    not a later process that was given the same pid. Without /proc (macOS), any process
    with that pid counts as the holder, which only ever keeps a lock.
    """
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # someone else's process: it exists
    state, started = _proc_state(pid)
    if state in ("Z", "X"):
        return False
    return not (started and taken and started > taken + _START_SLACK)


def _proc_state(pid: int) -> tuple[str | None, datetime | None]:
    """A process's state letter and start time, from /proc/<pid>/stat (Linux)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        boot = next(
            int(line.split()[1])
            for line in Path("/proc/stat").read_text().splitlines()
            if line.startswith("btime ")
        )
        ticks = int(fields[19])  # field 22, starttime, in clock ticks after boot
        started = datetime.fromtimestamp(boot + ticks / os.sysconf("SC_CLK_TCK"), UTC)
    except (OSError, IndexError, ValueError, StopIteration):
        return None, None
    return fields[0], started


def lock_refusal(held: HeldLock | None, tenant: str, now: datetime | None = None) -> str:
    """What a run refused by another run's lock says: who holds it (as `plan` does) and how
    to remove a lock whose run is gone."""
    who = held.describe(now or datetime.now(UTC)) if held else "locked by another run"
    return (
        f"the stack is {who}; if that run is gone (a killed or timed-out job), remove its "
        f"lock with `reconciler unlock {tenant}` (docs/operations.md)"
    )
