"""Start, find and stop the Firebase Auth emulator that stands in for Identity Platform.

The emulator is `firebase emulators:start --only auth` from the npm package pinned in
`sandbox/package.json` (installed by `npm ci` in `sandbox/`). It is plain Node.js (no Java)
and runs offline for `demo-*` project ids. Each emulator gets its own state folder holding
its generated firebase.json (with the chosen port), its log and the emulator hub's locator
file (firebase-tools writes that into TMPDIR, so two emulators never see each other).

Two ways to use it:
- `start()` for tests: the caller owns the process and calls `Emulator.stop()`.
- `ensure_running(state_dir)` for people and the local demo: the first call starts a detached
  emulator and records it in `state_dir/emulator.json`; later calls (other processes) reuse it
  until `stop_recorded(state_dir)`.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from sandbox import SANDBOX_DIR

DEFAULT_PROJECT_ID = "demo-sandbox"
"""The project id `ensure_running` starts the emulator with (any `demo-*` id runs offline)."""

START_TIMEOUT_SECONDS = 180.0
"""How long to wait for the emulator to answer: it starts in ~10 s idle, 20-30 s under load."""

RECORD_NAME = "emulator.json"
LOCK_NAME = "emulator.lock"
LOG_NAME = "emulator.log"

_FIREBASE_JS = SANDBOX_DIR / "node_modules" / "firebase-tools" / "lib" / "bin" / "firebase.js"
_INSTALL_HINT = (
    "run `scripts/bootstrap --sandbox` (it runs `npm ci` in sandbox/; needs Node.js >= 20)"
)


class EmulatorError(RuntimeError):
    """The emulator could not be started, reached or stopped."""


class EmulatorNotInstalled(EmulatorError):
    """Node.js or the firebase-tools npm package is missing."""


@dataclass
class Emulator:
    """A running Firebase Auth emulator."""

    host: str
    """`127.0.0.1:PORT`, the value for FIREBASE_AUTH_EMULATOR_HOST."""
    project_id: str
    """The `demo-*` project id it was started with (requests may name other projects too)."""
    pid: int
    """The firebase CLI process; it leads its own process group."""
    state_dir: Path
    """Folder with its firebase.json, log and hub locator."""
    _process: subprocess.Popen[bytes] | None = field(default=None, repr=False, compare=False)
    _owns_state_dir: bool = field(default=False, repr=False, compare=False)

    @property
    def url(self) -> str:
        """Base URL of the emulator's REST endpoints."""
        return f"http://{self.host}"

    @property
    def log_path(self) -> Path:
        """The emulator's combined stdout/stderr."""
        return self.state_dir / LOG_NAME

    def stop(self, timeout: float = 15.0) -> None:
        """Stop the emulator's whole process group: SIGTERM, then SIGKILL after `timeout`."""
        _stop_group(self.pid, self._process, timeout)
        if self._owns_state_dir:
            shutil.rmtree(self.state_dir, ignore_errors=True)


def firebase_command() -> list[str]:
    """The argv prefix that runs the pinned firebase CLI, or EmulatorNotInstalled."""
    node = shutil.which("node")
    if node is None:
        raise EmulatorNotInstalled(f"Node.js is not on PATH: {_INSTALL_HINT}")
    if not _FIREBASE_JS.is_file():
        raise EmulatorNotInstalled(f"firebase-tools is not installed in sandbox/: {_INSTALL_HINT}")
    return [node, str(_FIREBASE_JS)]


def start(
    project_id: str,
    port: int | None = None,
    state_dir: Path | None = None,
    *,
    timeout: float = START_TIMEOUT_SECONDS,
    detached: bool = False,
) -> Emulator:
    """Start an emulator for `project_id` (must be `demo-*`) and wait until it answers.

    Unless `detached`, the kernel also stops the emulator when the thread that started it
    ends without stopping it (Linux), so a killed test run leaves no emulator behind: call
    it from a thread that lives as long as the emulator should (the main thread, say).
    """
    if not project_id.startswith("demo-"):
        raise EmulatorError(
            f"project id {project_id!r}: the emulator runs offline only for demo-* ids"
        )
    command = firebase_command()
    owns_dir = state_dir is None
    folder = Path(tempfile.mkdtemp(prefix="sandbox-emulator-")) if state_dir is None else state_dir
    folder.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    config = _write_config(folder, port)
    # Own session: the emulator leads a process group we can stop as a whole, and a
    # Ctrl-C in the terminal that started it does not reach it.
    with open(folder / LOG_NAME, "ab") as log:
        process = subprocess.Popen(
            [
                *command,
                "emulators:start",
                "--only",
                "auth",
                "--project",
                project_id,
                "--config",
                str(config),
            ],
            cwd=folder,
            env=_emulator_env(folder),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=None if detached else _die_with_parent,
        )
    emulator = Emulator(f"127.0.0.1:{port}", project_id, process.pid, folder, process, owns_dir)
    try:
        _wait_ready(emulator, process, timeout)
    except BaseException:
        _stop_group(process.pid, process, 5.0)
        raise
    return emulator


def ensure_running(state_dir: Path, project_id: str = DEFAULT_PROJECT_ID) -> Emulator:
    """Reuse the emulator recorded in `state_dir`, or start a detached one and record it."""
    state_dir.mkdir(parents=True, exist_ok=True)
    with _locked(state_dir):
        found = running(state_dir)
        if found is not None:
            return found
        emulator = start(project_id, state_dir=state_dir, detached=True)
        # Forget the Popen: the emulator outlives this process and later ones stop it by pid.
        emulator._process = None
        _write_record(state_dir, emulator)
        return emulator


def running(state_dir: Path) -> Emulator | None:
    """The emulator recorded in `state_dir` if it is alive and answering, else None."""
    record = _read_record(state_dir)
    if record is None:
        return None
    if not _is_emulator_pid(record.pid) or not is_ready(record.host):
        return None
    return record


def stop_recorded(state_dir: Path, timeout: float = 15.0) -> bool:
    """Stop the emulator recorded in `state_dir`; False when none was running."""
    with _locked(state_dir):
        record = _read_record(state_dir)
        (state_dir / RECORD_NAME).unlink(missing_ok=True)
        if record is None or not _is_emulator_pid(record.pid):
            return False
        _stop_group(record.pid, None, timeout)
        return True


def is_ready(host: str, timeout: float = 2.0) -> bool:
    """Whether the Auth emulator at `host` answers its readiness document."""
    try:
        with urllib.request.urlopen(f"http://{host}/", timeout=timeout) as response:
            body = json.load(response)
    except (OSError, ValueError):
        return False
    return bool(body.get("authEmulator", {}).get("ready"))


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _write_config(folder: Path, port: int) -> Path:
    config = json.loads((SANDBOX_DIR / "firebase.json").read_text())
    config["emulators"]["auth"]["port"] = port
    # The hub and the logging emulator start too; fixed ports of their own keep two
    # emulators (tests, the demo) from fighting over firebase-tools' defaults 4400/4500.
    for companion in ("hub", "logging"):
        config["emulators"][companion] = {"host": "127.0.0.1", "port": free_port()}
    path = folder / "firebase.json"
    path.write_text(json.dumps(config, indent=2) + "\n")
    return path


def _emulator_env(folder: Path) -> dict[str, str]:
    env = dict(os.environ)
    # Offline: no MOTD fetch, no update check. TMPDIR holds the hub locator per emulator.
    env.update({"CI": "true", "NO_UPDATE_NOTIFIER": "1", "TMPDIR": str(folder)})
    return env


def _die_with_parent() -> None:
    """In the child before exec: SIGTERM when the parent goes (Linux prctl PR_SET_PDEATHSIG)."""
    if sys.platform.startswith("linux"):
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


def _wait_ready(emulator: Emulator, process: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise EmulatorError(
                f"the emulator exited with code {process.returncode} before answering; "
                f"its log ({emulator.log_path}) ends with:\n{_log_tail(emulator.log_path)}"
            )
        if is_ready(emulator.host, timeout=1.0):
            return
        time.sleep(0.2)
    raise EmulatorError(
        f"the emulator did not answer on {emulator.host} within {timeout:.0f} s; "
        f"its log ({emulator.log_path}) ends with:\n{_log_tail(emulator.log_path)}"
    )


def _stop_group(pid: int, process: subprocess.Popen[bytes] | None, timeout: float) -> None:
    for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(pid, sig)
        except ProcessLookupError:
            return
        if _wait_group_gone(pid, process, wait):
            return
    raise EmulatorError(f"the emulator (process group {pid}) did not stop")


def _wait_group_gone(pgid: int, process: subprocess.Popen[bytes] | None, wait: float) -> bool:
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        if process is not None:
            process.poll()  # reap our own child so it does not linger as a zombie
        else:
            _reap_if_child(pgid)
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.1)
    return False


def _reap_if_child(pid: int) -> None:
    """An emulator this process started detached is still its child once it exits."""
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def _is_emulator_pid(pid: int) -> bool:
    """Guard against pid reuse: only a firebase emulators:start process counts."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    return b"emulators:start" in cmdline


def _write_record(state_dir: Path, emulator: Emulator) -> None:
    record = {
        "pid": emulator.pid,
        "host": emulator.host,
        "project_id": emulator.project_id,
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    tmp = state_dir / f".{RECORD_NAME}.tmp"
    tmp.write_text(json.dumps(record, indent=2) + "\n")
    tmp.replace(state_dir / RECORD_NAME)


def _read_record(state_dir: Path) -> Emulator | None:
    try:
        record = json.loads((state_dir / RECORD_NAME).read_text())
        return Emulator(record["host"], record["project_id"], int(record["pid"]), state_dir)
    except (OSError, ValueError, KeyError, TypeError):
        return None


@contextlib.contextmanager
def _locked(state_dir: Path) -> Iterator[None]:
    """Serialise CLI invocations that would otherwise start two emulators at once."""
    state_dir.mkdir(parents=True, exist_ok=True)
    with open(state_dir / LOCK_NAME, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def _log_tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"
