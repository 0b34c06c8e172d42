"""Fixtures for the program tests (the harness itself is in `program_harness`)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pulumi
import pytest
from program_harness import Harness, execute


@pytest.fixture
def harness() -> Iterator[Harness]:
    """A program harness; the Pulumi runtime is reset after the test."""
    # Pulumi's mocks run on the thread's current event loop; a test elsewhere that used
    # asyncio.run() leaves none set, so each program test starts with a fresh one.
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    yield Harness()
    # Mocks are process-global: leave no mock monitor behind for other tests.
    pulumi.runtime.reset_options()
    asyncio.set_event_loop(None)
    loop.close()


@pytest.fixture
def mocked(harness: Harness) -> Harness:
    """The harness with mocks installed, for tests that resolve Outputs directly."""
    execute(lambda: None, "mocked")
    return harness
