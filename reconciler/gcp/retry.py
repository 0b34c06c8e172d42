"""Which Identity Toolkit answers are retried, and for how long: the provider's own rules.

Everything else in a tenant's stack goes through pulumi-gcp, which bridges
terraform-provider-google(-beta); its HTTP client wraps every request in a retrying transport
(magic-modules `mmv1/third_party/terraform/transport/retry_transport.go`, installed by
`NewTransportWithDefaultRetries`). A request is retried when
`defaultErrorRetryPredicates` (`transport/error_retry_predicates.go`) match:
`isCommonRetryableErrorCode` — HTTP 429, 500, 502 and 503 — and network errors (timeouts,
"connection reset by peer", an unexpected EOF). It waits with a Fibonacci backoff starting at
0.5 s (0.5, 1, 1.5, 2.5, 4, 6.5, 10.5 … s) for up to `defaultRetryTransportTimeoutSec` = 90 s,
then reports the last error. This module does the same, so a throttled settings PATCH behaves
like a throttled Tenant update: a 429 that clears is invisible, a hard quota is reported after
90 s. Anything else (400, 403, 404, 409) is reported at once: retrying cannot change it.

Only calls that are safe to repeat go through here: GET, list and the PATCH with an update
mask (it sets the masked fields to the same values however often it runs). AIP-194
(google.aip.dev/194) asks exactly that of automatic retries.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TypeVar

RETRYABLE_STATUSES = frozenset({429, 500, 502, 503})
"""`isCommonRetryableErrorCode` (transport/error_retry_predicates.go)."""
BUDGET_SECONDS = 90.0
"""`defaultRetryTransportTimeoutSec` (transport/retry_transport.go)."""
FIRST_DELAY_SECONDS = 0.5
"""The transport's first wait; each next one is the sum of the two before (Fibonacci)."""

T = TypeVar("T")


class TransientError(Exception):
    """A failure the provider's transport retries: a retryable status or a network error."""


def fibonacci_delays(first: float = FIRST_DELAY_SECONDS) -> Iterator[float]:
    """0.5, 1, 1.5, 2.5, 4, 6.5, … seconds: the retry transport's backoff."""
    current, following = first, 2 * first
    while True:
        yield current
        current, following = following, current + following


@dataclass(frozen=True)
class RetryPolicy:
    """How long to keep retrying, and the clock and sleep to do it with (tests pass fakes)."""

    budget: float = BUDGET_SECONDS
    """Seconds from the first attempt after which no new wait starts."""
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False)
    clock: Callable[[], float] = field(default=time.monotonic, compare=False)

    def run(self, call: Callable[[], T], retryable: Callable[[BaseException], bool]) -> T:
        """`call()` until it succeeds, fails for good, or waiting would pass the budget."""
        deadline = self.clock() + self.budget
        for delay in fibonacci_delays():
            try:
                return call()
            except Exception as error:
                if not retryable(error) or self.clock() + delay > deadline:
                    raise
            self.sleep(delay)
        raise AssertionError("unreachable: the delays never end")
