"""Where CI shards meet between two waves: the state backend's records.

Each shard applies its part of a wave, then waits until every other tenant of the wave has
been recorded *since the run's plan was made* (`since`: the plan job's clock; the record's
time is the backend's, and the two only need to agree to well within a job's start-up):
then every shard reads the same records and takes the same decision on the wave. A tenant
that is not recorded before the time limit stops the rollout on every shard that waits
for it (its shard is late, or gone); nothing is guessed.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from reconciler.engine.backend.state import DeployedStack
from reconciler.reconcile.rollout import WaveState
from reconciler.reconcile.waves import WaveSettled

POLL_SECONDS = 5.0
DEFAULT_TIMEOUT = 3600.0


def settled(
    records: Mapping[str, DeployedStack], tenants: Sequence[str], since: float
) -> WaveSettled:
    """Which of `tenants` are recorded since `since`, and which of those failed (pure)."""
    failed: dict[str, str] = {}
    waiting = []
    for name in tenants:
        stack = records.get(name)
        if stack is None or stack.recorded_at is None or stack.recorded_at <= since:
            waiting.append(name)
        elif stack.record.result != "succeeded":
            failed[name] = "failed on another shard (its report says why)"
    return WaveSettled(failed, tuple(waiting))


@dataclass(frozen=True)
class Barrier:
    """Waits, for a wave, until the other shards' tenants are recorded (or time runs out)."""

    read: Callable[[], Mapping[str, DeployedStack]]
    """The backend's records now (a bulk read: no Pulumi process)."""
    since: float
    timeout: float = DEFAULT_TIMEOUT
    poll: float = POLL_SECONDS
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    progress: Callable[[str], None] = lambda _: None
    cancelled: Callable[[], bool] = lambda: False

    def __call__(self, wave: WaveState, tenants: Sequence[str]) -> WaveSettled:
        deadline = self.clock() + self.timeout
        told = False
        while True:
            found = settled(self.read(), tenants, self.since)
            if not found.unsettled or self.clock() >= deadline or self.cancelled():
                return found
            if not told:
                self.progress(
                    f"rollout: wave {wave.label}: waiting for {len(found.unsettled)} tenant(s) "
                    "of other shards"
                )
                told = True
            self.sleep(self.poll)
