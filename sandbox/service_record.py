"""The record a sandbox stand-in server leaves in a state folder, and stopping what it names.

Shared by the Secret Manager stand-in and the Identity Toolkit front (each writes a JSON record
with at least its `pid` and `host`). Stopping goes by the record and the process, never by
whether the server still answers: `sandbox down` stops the emulator first, and a front whose
emulator is gone, or a hung stand-in, no longer answers yet must not be left running.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sandbox.emulator import _locked, _reap_if_child, _stop_group


def is_ours(pid: int, module: str) -> bool:
    """Guard against pid reuse: only `python -m <module>` counts as the recorded server."""
    try:
        return module.encode() in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def read_record(state_dir: Path, name: str, module: str) -> dict[str, Any] | None:
    """The record `name` in `state_dir` while its process is still ours, answering or not."""
    try:
        record = json.loads((state_dir / name).read_text())
        pid = int(record["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return record if isinstance(record, dict) and is_ours(pid, module) else None


def stop_recorded(state_dir: Path, name: str, module: str) -> bool:
    """Stop the server recorded as `name` in `state_dir`; False when none was running."""
    with _locked(state_dir):
        record = read_record(state_dir, name, module)
        (state_dir / name).unlink(missing_ok=True)
        if record is None:
            return False
        pid = int(record["pid"])
        _stop_group(pid, None, 5.0)
        _reap_if_child(pid)
        return True
