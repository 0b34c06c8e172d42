"""SIGINT/SIGTERM during act: start no new work, cancel running engine operations gracefully.

A first signal cancels: running operations stop and release their locks, what completed is
still reported. Ctrl-C typed in our terminal already reached the engine's processes (they
are in our process group), so only a signal sent to us alone is forwarded. A second signal
leaves at once.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

from reconciler.engine.port import Engine
from reconciler.report.status import EXIT_INTERRUPTED


def _from_our_terminal(signum: int) -> bool:
    """A Ctrl-C typed in our terminal: it reached the engine's processes (our process group)
    as well, and a second SIGINT would make them quit without releasing their locks."""
    if signum != signal.SIGINT:
        return False
    try:
        return os.tcgetpgrp(sys.stdin.fileno()) == os.getpgrp()
    except (OSError, ValueError):
        return False  # no terminal: the signal was sent to us alone


@contextmanager
def cancel_on_signals(engine: Engine) -> Iterator[None]:
    """SIGINT/SIGTERM: stop starting work and cancel running operations gracefully."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    received: list[int] = []

    def handler(signum: int, _frame: FrameType | None) -> None:
        received.append(signum)
        if len(received) > 1:
            # A second signal: the user or the runner will not wait. Leave at once and
            # quietly (no interpreter shutdown racing the SDK's threads, so no "Exception
            # ignored" tracebacks); each CLI already got its one SIGINT and releases its
            # lock on its own.
            os.write(2, b"reconciler: second signal: exiting now, without a report\n")
            os._exit(EXIT_INTERRUPTED)
        engine.cancel(interrupt_running=not _from_our_terminal(signum))

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
