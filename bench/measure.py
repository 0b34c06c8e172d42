"""Running one command and measuring it: wall time, peak memory (max RSS), exit code.

The peak memory is the child's own, from `os.wait4`, so runs do not mix (the
`RUSAGE_CHILDREN` high-water mark would keep the largest child of the whole session).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Run:
    """One finished command."""

    seconds: float
    """Wall time from start to exit."""
    cpu_seconds: float
    """User + system CPU of the process and the children it waited for (the Pulumi CLI, its
    plugins): steadier than wall time on a machine other work shares."""
    max_rss_mib: float
    """Peak resident memory of the process (and the children it waited for)."""
    code: int
    """Exit status (negative: killed by that signal)."""
    stdout: str
    stderr: str


def run(argv: Sequence[str], env: Mapping[str, str], cwd: Path) -> Run:
    """Run `argv` to completion; output goes through temporary files, not pipes."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        process = subprocess.Popen(list(argv), env=dict(env), cwd=cwd, stdout=out, stderr=err)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Run(
            seconds=seconds,
            cpu_seconds=usage.ru_utime + usage.ru_stime,
            max_rss_mib=usage.ru_maxrss / 1024,
            code=process.returncode,
            stdout=out.read().decode("utf-8", "replace"),
            stderr=err.read().decode("utf-8", "replace"),
        )


def check(result: Run, what: str) -> Run:
    """Stop the benchmark when a measured command failed: a failed run is no figure."""
    if result.code != 0:
        raise SystemExit(
            f"{what} failed (exit {result.code}):\n{result.stderr[-3000:]}\n{result.stdout[-2000:]}"
        )
    return result


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def ratio(reference: float, ours: float) -> float:
    """How many times faster ours is than the reference."""
    return reference / ours if ours > 0 else float("inf")
