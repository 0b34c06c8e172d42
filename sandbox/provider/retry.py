"""Which API errors the real provider retries, and for how long: a pure predicate and a loop.

pulumi-gcp bridges terraform-provider-google-beta, whose HTTP client wraps every request in
a retrying transport (transport/retry_transport.go, `NewTransportWithDefaultRetries`):
errors matching `defaultErrorRetryPredicates` (transport/error_retry_predicates.go) are
retried with backoff for up to `defaultRetryTransportTimeoutSec` = 90 s. Among them,
`isCommonRetryableErrorCode` retries every 429, 500, 502 and 503 — so a rate limit that
clears is invisible to the user, while a hard quota (IAM's 100 service accounts per
project, 429 RESOURCE_EXHAUSTED) is retried for 90 s and then reported. A 409 (a bucket name
taken by someone else) and a 400 ("Service account ... does not exist") are not retried.

`SANDBOX_RETRY_SECONDS` shortens the 90 s window for tests.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import TypeVar

from sandbox.provider.resource import CloudError

RETRY_ENV = "SANDBOX_RETRY_SECONDS"
DEFAULT_RETRY_SECONDS = 90.0
RETRYABLE_CODES = frozenset({429, 500, 502, 503})
FIRST_DELAY, MAX_DELAY = 0.05, 5.0

T = TypeVar("T")


def retryable(error: BaseException) -> bool:
    """isCommonRetryableErrorCode: the provider retries these codes on every request."""
    return isinstance(error, CloudError) and error.code in RETRYABLE_CODES


def retry_budget(environ: dict[str, str] | None = None) -> float:
    value = (os.environ if environ is None else environ).get(RETRY_ENV, "")
    try:
        return max(0.0, float(value)) if value else DEFAULT_RETRY_SECONDS
    except ValueError:
        return DEFAULT_RETRY_SECONDS


def with_retries(
    call: Callable[[], T],
    budget: float,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> T:
    """Call until it succeeds, fails for good, or the budget would be exceeded by waiting."""
    deadline = clock() + budget
    delay = FIRST_DELAY
    while True:
        try:
            return call()
        except CloudError as error:
            if not retryable(error) or clock() + delay > deadline:
                raise
        sleep(delay)
        delay = min(delay * 2, MAX_DELAY)
