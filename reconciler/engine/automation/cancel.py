"""Graceful cancellation of the Pulumi CLI processes we started, found through Linux /proc.

The CLI answers one SIGINT by cancelling: it stops starting steps, writes its checkpoint
and releases the stack's lock (a second SIGINT kills it, lock held). The SDK's own runner
(`PulumiCommand.run`, used unchanged) starts the CLI in our process group and exposes
neither the process nor a cancel hook, and `Stack.cancel()` only works with the Pulumi
Cloud backend. So, rather than copying the runner, the engine's `cancel()` finds the CLI
processes that are our own children (by parent pid and executable) and sends each exactly
one SIGINT. A terminal's Ctrl-C already reaches the whole foreground process group, the
CLI included, so act asks for that forwarding only when the signal did not come from our
terminal (e.g. a CI runner's SIGTERM). Without `/proc` (macOS), a cancel still starts
nothing new and running operations finish.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence
from pathlib import Path

RECORD_COMMAND = ("stack", "tag", "set")
"""How a record write starts the CLI: a cancel lets it finish (about 0.1 s, no engine run),
so the stacks of what finished before the cancel keep their record."""


def cli_children(binary: Path) -> list[int]:
    """Our child processes running the Pulumi CLI `binary`, record writes left out (empty
    where /proc is missing)."""
    me, found = os.getpid(), []
    target = os.path.realpath(binary)
    for entry in Path("/proc").glob("[0-9]*"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            # The command name may hold spaces or parentheses: the fields after the last ")".
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) != me or os.path.realpath(entry / "exe") != target:
                continue
            args = (entry / "cmdline").read_bytes().decode(errors="replace").split("\0")
            if not _runs(args, RECORD_COMMAND):
                found.append(int(entry.name))
    return found


def _runs(args: Sequence[str], command: Sequence[str]) -> bool:
    """Whether `args` hold `command`'s words in order, one right after the other."""
    width = len(command)
    return any(tuple(args[i : i + width]) == tuple(command) for i in range(len(args)))
