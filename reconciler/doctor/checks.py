"""The doctor's building blocks: what a check reads, named checks, their results, the runner.

Every check returns `Problem`s (`problems.py`: the check's name, what is wrong, the fix).
A check that cannot look raises `CannotCheck` (no token, no access: a problem of its own,
since nothing was verified) or `Skip` (nothing to check here, e.g. the GCP checks of a
sandbox platform.yaml: said, and not a problem).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import groupby
from pathlib import Path
from typing import TYPE_CHECKING

from reconciler.doctor.problems import Problem
from reconciler.github.api import GitHub, GitHubError

if TYPE_CHECKING:
    from reconciler.doctor.gcp import GcpTarget


class CannotCheck(Exception):
    """A check cannot look (no token, no access): its message says what to set up."""


class Skip(Exception):
    """Nothing for this check to look at here: its message says why (not a problem)."""


@dataclass(frozen=True)
class Context:
    """What the checks may read. Built once at the CLI's edge."""

    root: Path
    github: GitHub | None = None
    """None when no token and repository were given (`github_missing` says what)."""
    github_missing: str = ""
    branch: str = "main"
    gcp: GcpTarget | None = None
    """The live project(s) and the blueprint to compare them with; None: see `gcp_skipped`."""
    gcp_skipped: str = "no GCP set-up to check"


@dataclass(frozen=True)
class Check:
    """A named check: `run` returns its problems (empty: all is well)."""

    name: str
    summary: str
    run: Callable[[Context], list[Problem]]


@dataclass(frozen=True)
class Result:
    check: Check
    problems: tuple[Problem, ...]
    error: str = ""
    """The check could not run at all (counts as a problem)."""
    skipped: str = ""
    """Why there was nothing to check (not a problem)."""

    @property
    def ok(self) -> bool:
        return not self.problems and not self.error


def run_checks(checks: Sequence[Check], context: Context) -> list[Result]:
    """Every check, each on its own: one that fails to run does not stop the others."""
    results = []
    for check in checks:
        try:
            results.append(Result(check, tuple(check.run(context))))
        except Skip as skip:
            results.append(Result(check, (), skipped=str(skip)))
        except (CannotCheck, GitHubError) as error:
            results.append(Result(check, (), str(error)))
        except Exception as error:  # a check's own failure is reported, never a traceback
            results.append(Result(check, (), f"{type(error).__name__}: {error}"))
    return results


def render(results: Sequence[Result]) -> str:
    """One line per check (skipped ones together, with why), then each problem with its
    fix; ends with a summary."""
    lines = []
    for skipped, group in groupby(results, key=lambda r: r.skipped):
        batch = list(group)
        if skipped:
            lines.append(f"skip {', '.join(r.check.name for r in batch)}: {skipped}")
            continue
        for result in batch:
            mark = "ok  " if result.ok else "FAIL"
            lines.append(f"{mark} {result.check.name}: {result.check.summary}")
            if result.error:
                lines.append(f"     could not check: {result.error}")
            for problem in result.problems:
                lines.append(f"     - {problem.problem}")
                lines.append(f"       fix: {problem.fix}")
    failed = sum(not r.ok for r in results)
    skipped_count = sum(bool(r.skipped) for r in results)
    ran = len(results) - skipped_count
    summary = f"{ran} checks, {failed} with problems" if failed else f"{ran} checks ok"
    lines.append(summary + (f", {skipped_count} skipped" if skipped_count else ""))
    return "\n".join(lines) + "\n"
