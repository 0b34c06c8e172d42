"""The typed options of the GitHub-facing commands (`approval`, `codeowners`, `doctor`;
`github_commands.py` runs them), and how each is built from argparse's Namespace."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass

from reconciler.cli.option_globals import Globals


@dataclass(frozen=True)
class ApprovalOptions:
    globals: Globals
    commit: str
    """The merged commit to deploy."""
    before: str = ""
    """main before the push: its CODEOWNERS is the one read ("": the commit's first parent)."""
    base: str = "main"
    format: str = "text"
    workflow: str = "tenant-apply.yml"
    """The apply workflow's file: its last successful push run on `base` is the last deploy."""
    accepted: str = ""
    """Commits up to this one were accepted by an approved pull request (ACCEPTED_THROUGH)."""
    only_commit: bool = False
    """Check only the pull request that merged as `commit` (the acting jobs: the plan job
    checked the whole range)."""


@dataclass(frozen=True)
class CodeownersOptions:
    globals: Globals
    check: bool = False
    """Only compare .github/CODEOWNERS with what the manifests ask for."""


@dataclass(frozen=True)
class DoctorOptions:
    globals: Globals
    branch: str = "main"
    """The protected branch whose rules are read."""


GlobalsOf = Callable[[argparse.Namespace], Globals]


def _approval(globals_of: GlobalsOf, args: argparse.Namespace) -> ApprovalOptions:
    return ApprovalOptions(
        globals_of(args),
        args.commit,
        args.before,
        args.base,
        args.format,
        args.workflow,
        args.accepted_through,
        args.only_commit,
    )


def _codeowners(globals_of: GlobalsOf, args: argparse.Namespace) -> CodeownersOptions:
    return CodeownersOptions(globals_of(args), args.check)


def _doctor(globals_of: GlobalsOf, args: argparse.Namespace) -> DoctorOptions:
    return DoctorOptions(globals_of(args), args.branch)


BUILDERS: dict[
    str,
    Callable[[GlobalsOf, argparse.Namespace], ApprovalOptions | CodeownersOptions | DoctorOptions],
] = {"approval": _approval, "codeowners": _codeowners, "doctor": _doctor}
"""Each command's options from the Namespace, given how `options.py` reads the globals."""
