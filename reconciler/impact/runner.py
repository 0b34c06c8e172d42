"""Compute a code change's impact: the base checkout, two captures, one diff.

The base is `git merge-base BASE HEAD` (a pull request's merge commit gives the base
branch's tip), exported with `git archive` into a temporary folder (no worktree, nothing
left in `.git`); the head is the working tree as it is. Each side runs in its own Python
process (`capture.py`, by path), since both are packages named `reconciler`; the two run
at once. Nothing here reads a credential, a secret or the state backend.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from reconciler.impact.diff import diff_fleet
from reconciler.impact.document import Impact
from reconciler.impact.graph import FleetGraphs, GraphFormatError

CAPTURE = Path(__file__).resolve().with_name("capture.py")
CODE_PATHS = ("reconciler/", "platform.yaml", "schema/", "pyproject.toml", "uv.lock")
"""Paths whose change can change what the program declares for every tenant."""
DEPENDENCY_PATHS = ("pyproject.toml", "uv.lock")
EXPORTED = ("reconciler", "schema", "platform.yaml", "tenants")
"""What the base checkout needs: its code, its schema, its settings, its manifests."""
PASSED_ENV = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT")
"""The only variables a capture process sees: no credential can reach the program."""


class ImpactError(Exception):
    """The impact cannot be computed (git cannot answer, a capture crashed)."""


@dataclass(frozen=True)
class ImpactRequest:
    """What to compare."""

    root: Path
    """The head: a checkout's working tree."""
    base: str
    """A git ref; the merge base of it and HEAD is compared with the working tree."""
    python: str = sys.executable
    parallel: bool = True
    """Capture both sides at once (two processes)."""


def _git(root: Path, *args: str) -> bytes:
    try:
        return subprocess.run(["git", *args], cwd=root, capture_output=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError) as error:
        detail = getattr(error, "stderr", b"") or str(error).encode()
        text = detail.decode("utf-8", "replace").strip() if isinstance(detail, bytes) else detail
        raise ImpactError(f"git {' '.join(args[:2])}: {text}") from None


def changed_code(root: Path, base: str) -> tuple[str, ...]:
    """The code paths that differ between `base` and the working tree."""
    names = _git(root, "diff", "--name-only", "--no-renames", base, "--", *CODE_PATHS)
    return tuple(sorted(line for line in names.decode().splitlines() if line))


def export(root: Path, commit: str, into: Path) -> None:
    """The files of EXPORTED at `commit`, written under `into`."""
    present = _git(root, "ls-tree", "--name-only", commit).decode().splitlines()
    wanted = [name for name in EXPORTED if name in present]
    archive = _git(root, "archive", "--format=tar", commit, "--", *wanted)
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")


def run_capture(python: str, code: Path, out: Path) -> FleetGraphs:
    """One side's graphs, from its own process."""
    done = subprocess.run(
        [python, str(CAPTURE), "--code", str(code), "--out", str(out)],
        capture_output=True,
        text=True,
        env={k: v for k, v in os.environ.items() if k in PASSED_ENV},
        check=False,
    )
    if done.returncode != 0 or not out.is_file():
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return FleetGraphs(error=f"the capture failed: {last[:300]}")
    try:
        return FleetGraphs.from_json(json.loads(out.read_text(encoding="utf-8")))
    except (ValueError, GraphFormatError) as error:
        return FleetGraphs(error=f"the capture wrote no graph: {error}")


def compute_impact(
    request: ImpactRequest, progress: Callable[[str], None] = lambda _: None
) -> Impact:
    """The impact of the working tree's code on every tenant, against the base."""
    root = request.root
    base = _git(root, "merge-base", request.base, "HEAD").decode().strip()
    head = _git(root, "rev-parse", "--short", "HEAD").decode().strip()
    dirty = bool(_git(root, "status", "--porcelain", "--", *CODE_PATHS, "tenants").strip())
    head_label = f"{head} (with uncommitted changes)" if dirty else head
    base_label = base[:12]
    changed = changed_code(root, base)
    if not changed:
        return Impact(base_label, head_label, code_changed=False)
    notes = []
    if any(path in DEPENDENCY_PATHS for path in changed):
        notes.append(
            "The pinned dependencies changed: both sides ran with the head's packages, so a "
            "provider upgrade's own effect (its defaults, what it replaces) is not shown."
        )
    with tempfile.TemporaryDirectory(prefix="impact-") as scratch:
        folder = Path(scratch)
        export(root, base, folder / "base")
        sides = {"base": folder / "base", "head": root}
        started = time.monotonic()
        workers = 2 if request.parallel else 1
        with ThreadPoolExecutor(workers) as pool:
            futures = {
                side: pool.submit(run_capture, request.python, code, folder / f"{side}.json")
                for side, code in sides.items()
            }
            graphs = {side: future.result() for side, future in futures.items()}
        progress(f"impact: both sides captured in {time.monotonic() - started:.1f}s")
    for side, found in graphs.items():
        if found.error is not None:
            return Impact(
                base_label, head_label, True, notes=tuple(notes), error=f"{side}: {found.error}"
            )
    tenants = diff_fleet(graphs["base"].tenants, graphs["head"].tenants)
    return Impact(base_label, head_label, True, tenants, tuple(notes))
