"""The options every command takes (`--root`, `--quiet`), shared by every options module."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Globals:
    """Options every command takes, before or after its name."""

    root: Path
    """The repository root, as given (resolved where it is used)."""
    quiet: bool = False
    """No progress lines on stderr."""
