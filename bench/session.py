"""A benchmark session: the environment every measured CLI run shares, and its Pulumi count.

Like the end-to-end tests (tests/e2e/conftest.py): the pinned Pulumi CLI, an isolated
PULUMI_HOME, a passphrase, the sandbox cloud (the Firebase Auth emulator, started here
unless FIREBASE_AUTH_EMULATOR_HOST names a running one, and a SQLite file of its own).

Every `pulumi` process is counted and timed: a wrapper script named `pulumi` comes first on
PATH and RECONCILER_PULUMI_BINARY points at it; it runs the real CLI under GNU time, then
appends one line to a log: start and end (epoch seconds), user and system CPU seconds (the
CLI and the plugins it waited for), and the arguments. Each line is one CLI process.
"""

from __future__ import annotations

import os
import secrets
import stat
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench.fleet import SECRET_VARIABLE
from bench.machine import PULUMI, REPO
from bench.measure import Run, run

RECONCILER = Path(sys.executable).parent / "reconciler"
"""The installed `reconciler` command of this virtualenv, run as a user runs it."""
SANDBOX_PROJECT = "demo-mlaas"
"""The checkout's platform.yaml project (any `demo-*` id runs the emulator offline)."""

_WRAPPER = """\
#!/bin/sh
# Counts and times Pulumi CLI processes for the benchmarks: one line per process.
cpu=$(mktemp)
start=$(date +%s.%N)
/usr/bin/time -q -f '%U %S' -o "$cpu" '{real}' "$@"
code=$?
printf '%s %s %s %s\\n' "$start" "$(date +%s.%N)" "$(tail -n 1 "$cpu")" "$*" >> '{log}'
rm -f "$cpu"
exit $code
"""


@dataclass(frozen=True)
class PulumiCall:
    """One Pulumi CLI process: its arguments and wall time."""

    args: str
    seconds: float
    cpu_seconds: float

    @property
    def is_up(self) -> bool:
        return self.args.split()[:2] in (["--non-interactive", "up"], ["up"])


@dataclass(frozen=True)
class Session:
    """Where a benchmark works and the environment of its CLI runs."""

    workdir: Path
    env: Mapping[str, str]
    calls_log: Path

    def reconciler(self, root: Path, *args: str, extra: Mapping[str, str] | None = None) -> Run:
        """`reconciler --root ROOT ARGS...`, measured."""
        env = {**self.env, **(extra or {})}
        return run([str(RECONCILER), "--root", str(root), *args], env, root)

    def pulumi_calls(self) -> list[PulumiCall]:
        """Every Pulumi CLI process so far, with its wall time."""
        if not self.calls_log.exists():
            return []
        calls = []
        for line in self.calls_log.read_text().splitlines():
            start, end, user, system, *args = line.split(" ")
            cpu = float(user) + float(system)
            calls.append(PulumiCall(" ".join(args), float(end) - float(start), cpu))
        return calls

    def reset_calls(self) -> None:
        self.calls_log.unlink(missing_ok=True)


def _wrapper(folder: Path, log: Path) -> Path:
    """A counting `pulumi` in `folder/bin/` (the engine expects `<root>/bin/pulumi`)."""
    if not PULUMI.exists():
        raise SystemExit(f"{PULUMI} is missing: run scripts/bootstrap --sandbox first")
    if not Path("/usr/bin/time").exists():
        raise SystemExit("/usr/bin/time (GNU time) is missing: it times each Pulumi process")
    path = folder / "bin" / "pulumi"
    path.parent.mkdir(parents=True)
    path.write_text(_WRAPPER.format(log=log, real=PULUMI))
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


def _environment(workdir: Path, wrapper: Path, emulator_host: str) -> dict[str, str]:
    from sandbox import engine_env

    env = {k: v for k, v in os.environ.items() if not k.startswith(("RECONCILER_", "PULUMI_"))}
    env.pop("SANDBOX_FAULTS", None)
    path = os.pathsep.join(
        [str(wrapper.parent), str(PULUMI.parent), env.get("PATH", "/usr/bin:/bin")]
    )
    # What `python -m sandbox exec` exports: the emulator, the state file, the plugin on PATH.
    env.update(engine_env(emulator_host, workdir / "sandbox.db", path))
    env.update(
        {
            # The checkout first, so its packages (reconciler, sandbox) are the ones measured.
            "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")])),
            "RECONCILER_PULUMI_BINARY": str(wrapper),
            "PULUMI_HOME": str(workdir / "pulumi-home"),
            "PULUMI_CONFIG_PASSPHRASE": f"bench-{secrets.token_hex(8)}",
            "PULUMI_SKIP_UPDATE_CHECK": "true",
            SECRET_VARIABLE: f"s3cr3t-{secrets.token_hex(12)}",
        }
    )
    return env


@contextmanager
def session(workdir: Path) -> Iterator[Session]:
    """A session in `workdir`, with the sandbox's emulator running for its duration."""
    sys.path.insert(0, str(REPO))
    from sandbox import emulator

    log = workdir / "pulumi-calls.log"
    wrapper = _wrapper(workdir / "wrapper", log)
    host = os.environ.get("FIREBASE_AUTH_EMULATOR_HOST")
    running = None
    if not host:
        print("starting the sandbox's Firebase Auth emulator ...", file=sys.stderr, flush=True)
        running = emulator.start(SANDBOX_PROJECT)
        host = running.host
    try:
        yield Session(workdir=workdir, env=_environment(workdir, wrapper, host), calls_log=log)
    finally:
        if running is not None:
            running.stop()
