"""Outcome statuses and exit codes: the one place that ranks how a run went.

A `Status` knows its rank (best to worst), its icon and whether it fails a command; merging
reports, the exit code, the Markdown icons and the drift issue all read it from here. The
CLI and the command handlers both import this module, and it imports nothing of ours, so
there is no import cycle between them.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

EXIT_OK = 0
EXIT_INVALID = 1
EXIT_USAGE = 2
EXIT_DRIFT = 3
EXIT_BLOCKED = 4
EXIT_FAILED = 5
EXIT_CHANGES = 6
"""`plan --exit-code` only: changes are pending (terraform's `-detailed-exitcode` uses 2)."""
EXIT_ENVIRONMENT = 7
"""The cloud or the state backend refused or could not be reached (credentials, permissions,
network): nothing is wrong with the repository or the command."""
EXIT_INTERRUPTED = 130
"""Cancelled by SIGINT/SIGTERM: after the report of what finished, or before any engine
operation (nothing changed), or at once on a second signal."""

EXIT_CODES_HELP = """\
exit codes:
  0  success: everything valid, converged, or no drift
  1  invalid manifests or platform settings: nothing was deployed or destroyed
  2  usage, setup or internal error
  3  drift: deployed resources differ from git (drift only)
  4  blocked: a change needs explicit approval (protected delete, replacement of an
     identity tenant or data bucket, fleet delete guard); the rest of the run went ahead
  5  an engine operation failed or was cancelled for at least one tenant (the others
     went ahead)
  6  plan --exit-code only: changes are pending (0 then means there is nothing to do)
  7  no access: missing or invalid Google credentials, permission denied, or the state
     backend unreachable; the one-line message names what to set up
  130 cancelled by SIGINT/SIGTERM: the report lists what finished and what was cancelled
     (`reconciler report` counts a cancelled tenant as 5)
"""


class Status(StrEnum):
    """How one tenant's part of a command ended, declared from best to worst."""

    SUCCEEDED = "succeeded"
    UNCHANGED = "unchanged"
    PLANNED = "planned"
    IN_SYNC = "in-sync"
    DRIFTED = "drifted"
    BLOCKED = "blocked"
    CANCELLED = "cancelled"
    FAILED = "failed"

    @property
    def rank(self) -> int:
        """Position from best (0) to worst: a merge keeps a tenant's worst line."""
        return list(Status).index(self)

    @property
    def icon(self) -> str:
        return _ICONS[self]

    @property
    def exit_code(self) -> int:
        """What this status alone makes the command exit with."""
        return _EXIT_CODES.get(self, EXIT_OK)

    @property
    def needs_attention(self) -> bool:
        """Listed first in reports: something failed, was refused, or differs from git."""
        return self.exit_code != EXIT_OK

    @property
    def incomplete(self) -> bool:
        """The tenant was not fully checked: a drift issue must not be closed on it."""
        return self in (Status.CANCELLED, Status.FAILED)


_ICONS = {
    Status.SUCCEEDED: "✅",
    Status.UNCHANGED: "⚪",
    Status.PLANNED: "🔵",
    Status.IN_SYNC: "✅",
    Status.DRIFTED: "🟠",
    Status.BLOCKED: "⛔",
    Status.CANCELLED: "⏹️",
    Status.FAILED: "❌",
}

_EXIT_CODES = {
    Status.DRIFTED: EXIT_DRIFT,
    Status.BLOCKED: EXIT_BLOCKED,
    Status.CANCELLED: EXIT_FAILED,
    Status.FAILED: EXIT_FAILED,
}


def worst(statuses: Iterable[Status]) -> Status | None:
    return max(statuses, key=lambda status: status.rank, default=None)


def exit_code(statuses: Iterable[Status], guard: str | None = None) -> int:
    """The exit code for a command's outcomes: the worst status decides.

    The fleet delete guard counts as a blocked change even when no tenant was selected.
    """
    found = worst(statuses)
    code = found.exit_code if found is not None else EXIT_OK
    if guard and code == EXIT_OK:
        return EXIT_BLOCKED
    return code
