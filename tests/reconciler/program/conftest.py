"""Fixtures for the program tests (the harness itself is in `program_harness`)."""

from __future__ import annotations

from collections.abc import Iterator

import pulumi
import pytest
from program_harness import Harness, execute


@pytest.fixture
def harness() -> Iterator[Harness]:
    """A program harness; the Pulumi runtime is reset after the test."""
    yield Harness()
    # Mocks are process-global: leave no mock monitor behind for other tests.
    pulumi.runtime.reset_options()


@pytest.fixture
def mocked(harness: Harness) -> Harness:
    """The harness with mocks installed, for tests that resolve Outputs directly."""
    execute(lambda: None, "mocked")
    return harness
