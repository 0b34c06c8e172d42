"""What every doctor check returns: one `Problem` per thing wrong, with its fix."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong, with what to do about it."""

    check: str
    """The check's name, e.g. `gcp.state-bucket`."""
    problem: str
    """What is wrong, in one line."""
    fix: str
    """The command or setting that fixes it."""
