"""The doctor's building blocks: named checks, the problems they find, the runner."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from reconciler.github.api import GitHub, GitHubError


class CannotCheck(Exception):
    """A check cannot look (no token, no access): its message says what to set up."""


@dataclass(frozen=True)
class Problem:
    """One missing or wrong setting: what it is, and how to fix it."""

    what: str
    fix: str


@dataclass(frozen=True)
class Context:
    """What a check may read. Built once at the CLI's edge."""

    root: Path
    environ: Mapping[str, str] = field(default_factory=dict)
    github: GitHub | None = None
    """None when no token and repository were given (`github_missing` says what)."""
    github_missing: str = ""
    branch: str = "main"


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

    @property
    def ok(self) -> bool:
        return not self.problems and not self.error


def run_checks(checks: Sequence[Check], context: Context) -> list[Result]:
    """Every check, each on its own: one that fails to run does not stop the others."""
    results = []
    for check in checks:
        try:
            results.append(Result(check, tuple(check.run(context))))
        except (CannotCheck, GitHubError) as error:
            results.append(Result(check, (), str(error)))
        except Exception as error:  # a check's own failure is reported, never a traceback
            results.append(Result(check, (), f"{type(error).__name__}: {error}"))
    return results


def render(results: Sequence[Result]) -> str:
    """One line per check, then each problem with its fix; ends with a summary."""
    lines = []
    for result in results:
        mark = "ok  " if result.ok else "FAIL"
        lines.append(f"{mark} {result.check.name}: {result.check.summary}")
        if result.error:
            lines.append(f"     could not check: {result.error}")
        for problem in result.problems:
            lines.append(f"     - {problem.what}")
            lines.append(f"       fix: {problem.fix}")
    failed = sum(not r.ok for r in results)
    lines.append(
        f"{len(results)} checks, {failed} with problems" if failed else f"{len(results)} checks ok"
    )
    return "\n".join(lines) + "\n"
