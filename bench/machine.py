"""The machine a benchmark ran on: cores, CPU model, memory, OS, Python and Pulumi versions.

Every script prints this with its figures, so a number never travels without its context.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PULUMI = REPO / ".tools" / "bin" / "pulumi"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return None


def _pulumi_version(binary: Path) -> str:
    try:
        return subprocess.run(
            [str(binary), "version"],
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
            env={**os.environ, "PULUMI_SKIP_UPDATE_CHECK": "true"},
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "not found (run scripts/bootstrap)"


def describe(pulumi: Path = PULUMI) -> dict[str, object]:
    """The facts a reader needs to compare figures across machines."""
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {
        "cores": usable,
        "cpu": _cpu_model(),
        "memoryGiB": _memory_gib(),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "pulumi": _pulumi_version(pulumi),
        # Other work on the machine skews every figure: the 1-minute load when we started.
        "loadAverage1m": round(os.getloadavg()[0], 2),
    }


def render(machine: dict[str, object]) -> str:
    return (
        f"machine: {machine['cores']} cores, {machine['cpu']}, {machine['memoryGiB']} GiB, "
        f"{machine['os']}; Python {machine['python']}; Pulumi {machine['pulumi']}; "
        f"load {machine['loadAverage1m']}"
    )


def print_machine() -> dict[str, object]:
    machine = describe()
    print(render(machine), flush=True)
    return machine


if __name__ == "__main__":
    print_machine()
    sys.exit(0)
