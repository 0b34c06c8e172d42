"""Which of our Pulumi CLI children a cancel interrupts: every one but a record write, which
ends in about 0.1 s and keeps what finished before the cancel from being retried."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from reconciler.engine.automation.cancel import cli_children

WAIT = "import time; time.sleep(30)"


def test_a_cancel_interrupts_engine_runs_but_lets_record_writes_finish(tmp_path: Path) -> None:
    # Stand-ins for the CLI: this interpreter, under a name, with the CLI's arguments.
    binary = tmp_path / "pulumi"
    binary.symlink_to(Path(sys.executable).resolve())
    started = {
        name: subprocess.Popen([str(binary), "-c", WAIT, *args])
        for name, args in {
            "up": ["up", "--stack", "organization/p/acme", "--yes"],
            "record": ["stack", "tag", "set", "tenant-gitops", "{}", "--stack", "acme"],
            "tag read": ["stack", "tag", "ls", "--stack", "acme"],
        }.items()
    }
    other = subprocess.Popen(["sleep", "30"])  # not the CLI
    try:
        found = set(cli_children(binary))
    finally:
        for process in [*started.values(), other]:
            process.kill()
            process.wait()
    assert found == {started["up"].pid, started["tag read"].pid}
