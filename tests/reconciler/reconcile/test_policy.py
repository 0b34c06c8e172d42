"""Act's retry decisions, by table (the replacement decisions are in test_act.py)."""

from __future__ import annotations

import pytest

from reconciler.reconcile.policy import MAX_RETRY_DELAY, retry_allowed, retry_delay


@pytest.mark.parametrize(
    ("previous", "suggested", "delay"),
    [
        (None, 2.0, 2.0),  # the engine's suggestion first
        (2.0, 2.0, 4.0),  # then doubling
        (4.0, 2.0, 8.0),
        (20.0, 2.0, MAX_RETRY_DELAY),  # never longer than the cap
        (MAX_RETRY_DELAY, 2.0, MAX_RETRY_DELAY),
    ],
)
def test_retry_delay(previous: float | None, suggested: float, delay: float) -> None:
    assert retry_delay(previous, suggested) == delay


@pytest.mark.parametrize(
    ("now", "delay", "deadline", "cancelled", "allowed"),
    [
        (0.0, 2.0, 120.0, False, True),
        (118.0, 2.0, 120.0, False, True),  # ends exactly at the deadline
        (119.0, 2.0, 120.0, False, False),  # would end past it
        (0.0, 2.0, 0.0, False, False),  # --lock-wait 0: never retried
        (0.0, 2.0, 120.0, True, False),  # cancelled: no new try
    ],
)
def test_retry_allowed(now, delay, deadline, cancelled, allowed) -> None:
    assert retry_allowed(now, delay, deadline, cancelled) is allowed
