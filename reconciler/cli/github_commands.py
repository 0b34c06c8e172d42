"""The GitHub-facing subcommands: `approval`, `codeowners`, `doctor`.

- `reconciler approval --commit SHA [--before SHA]`: the deploy's own check, run by the
  apply, destroy and replace jobs before they take the deploy credential. Exit 0 when the
  pull request that merged as SHA was approved as `reconciler.github.approval` requires;
  exit 4 (blocked) naming each missing piece otherwise, and when GitHub or git cannot be
  read (fail closed).
- `reconciler codeowners [--check]`: writes `.github/CODEOWNERS` from the manifests'
  `metadata.reviewers` and platform.yaml's `github.platformReviewers`; `--check` exits 1
  when the file is stale (CI).
- `reconciler doctor`: the repository's settings, one named check at a time
  (`reconciler.doctor`); exit 1 when any check found a problem.

Environment read here (the CLI's edge): GITHUB_TOKEN, GITHUB_REPOSITORY, GITHUB_API_URL
(`reconciler.github.api.from_environment`) and RECONCILER_GITHUB_TEAMS_TOKEN
(`api.teams_client`).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path

from reconciler.report.status import EXIT_BLOCKED, EXIT_INVALID, EXIT_OK, EXIT_USAGE

COMMANDS = frozenset({"approval", "codeowners", "doctor"})
CODEOWNERS_PATH = Path(".github") / "CODEOWNERS"
REFUSED = "Refused: not approved"


def add_parsers(add: Callable[[str, str], argparse.ArgumentParser]) -> None:
    """Register the subcommands (`add` is main.py's, with the global options)."""
    p = add(
        "approval",
        "refuse unless the pull request that merged as COMMIT was approved by a code owner of "
        "every changed path, after its last push, by someone other than its author",
    )
    p.add_argument("--commit", required=True, metavar="SHA", help="the merged commit to deploy")
    p.add_argument(
        "--before",
        default="",
        metavar="SHA",
        help="main before the push (the push event's `before`): its CODEOWNERS is the one read",
    )
    p.add_argument("--base", default="main", help="the branch deploys come from (default: main)")
    p.add_argument("--format", choices=("text", "github"), default="text")

    p = add("codeowners", "write .github/CODEOWNERS from the manifests' reviewers")
    p.add_argument("--check", action="store_true", help="only check that the file is current")

    p = add("doctor", "check the repository's settings (branch protection, environments)")
    p.add_argument("--branch", default="main", help="the protected branch (default: main)")


def _err(message: str) -> None:
    print(message, file=sys.stderr)


# --- approval ------------------------------------------------------------------------


def run_approval(args: argparse.Namespace) -> int:
    from reconciler.github.api import GitHubError, from_environment, teams_client
    from reconciler.github.approval import decide
    from reconciler.github.evidence import lookups, read_evidence
    from reconciler.github.git import Git, GitError

    github = from_environment(os.environ)
    if isinstance(github, str):
        _err(f"reconciler approval: {github}")
        return EXIT_USAGE
    try:
        evidence = read_evidence(
            github, Git(args.root.resolve()), args.commit, args.before, args.base
        )
        verdict = decide(evidence, lookups(github, teams_client(github, os.environ)), args.base)
    except (GitHubError, GitError) as error:
        return _refuse(args, [f"could not read the approval of {args.commit[:12]}: {error}"])
    if not verdict.approved:
        pull = f"pull request #{verdict.pull}: " if verdict.pull else ""
        return _refuse(args, [pull + reason for reason in verdict.missing])
    approvers = ", ".join(f"@{login}" for login in verdict.approvers)
    print(
        f"approved: pull request #{verdict.pull} (merged as {args.commit[:12]}) was approved "
        f"at its last push by {approvers}, with a code owner of every changed path"
    )
    return EXIT_OK


def _refuse(args: argparse.Namespace, reasons: list[str]) -> int:
    for reason in reasons:
        if args.format == "github":
            print(f"::error title={REFUSED}::{_annotation(reason)}")
        else:
            print(f"refused: {reason}")
    print(
        f"{args.commit[:12]} is not deployed: nothing was applied or destroyed. Approve the "
        "change in a new pull request (a code owner of each path, after its last push)."
    )
    return EXIT_BLOCKED


def _annotation(text: str) -> str:
    """A workflow command's message: `%`, CR and LF escaped (`%` first)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


# --- codeowners ----------------------------------------------------------------------


def codeowners_text(root: Path) -> str | list[str]:
    """The CODEOWNERS the manifests and platform.yaml ask for, or why it cannot be written."""
    from reconciler.github.codeowners import Entry, render
    from reconciler.manifests.platform import PlatformError, load_platform
    from reconciler.manifests.validate import validate_tree
    from reconciler.report.validation import issue_line

    try:
        platform = load_platform(root, os.environ)
    except PlatformError as error:
        return [str(error)]
    if not platform.platform_reviewers:
        return ["platform.yaml: set github.platformReviewers (who owns the code and workflows)"]
    result = validate_tree(root)
    if not result.ok:
        return [issue_line(issue) for issue in result.errors]
    platform_team = platform.platform_reviewers
    entries = [
        Entry(
            f"tenants/{tenant.source.name}",
            tuple(dict.fromkeys([*tenant.reviewers, *platform_team])),
            f"tenant {tenant.name}",
        )
        for tenant in sorted(result.tenants, key=lambda t: t.source.name)
    ]
    return render(platform_team, entries)


def run_codeowners(args: argparse.Namespace) -> int:
    root = args.root.resolve()
    text = codeowners_text(root)
    if isinstance(text, list):
        for line in text:
            _err(line)
        _err("reconciler codeowners: nothing written; fix the above first")
        return EXIT_INVALID
    target = root / CODEOWNERS_PATH
    current = target.read_text(encoding="utf-8") if target.is_file() else None
    if args.check:
        if current == text:
            print(f"{CODEOWNERS_PATH} is current")
            return EXIT_OK
        state = "missing" if current is None else "stale"
        print(
            f"::error file={CODEOWNERS_PATH},title=CODEOWNERS {state}::{CODEOWNERS_PATH} is "
            "not what the manifests' reviewers ask for: run `reconciler codeowners` and commit it"
        )
        return EXIT_INVALID
    if current != text:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    print(f"wrote {CODEOWNERS_PATH} ({text.count(chr(10))} lines)")
    return EXIT_OK


# --- doctor --------------------------------------------------------------------------


def run_doctor(args: argparse.Namespace) -> int:
    from reconciler.doctor.checks import Context, render, run_checks
    from reconciler.doctor.registry import all_checks
    from reconciler.github.api import from_environment

    github = from_environment(os.environ)
    context = Context(
        root=args.root.resolve(),
        environ=os.environ,
        github=None if isinstance(github, str) else github,
        github_missing=github if isinstance(github, str) else "",
        branch=args.branch,
    )
    results = run_checks(all_checks(), context)
    print(render(results), end="")
    return EXIT_OK if all(result.ok for result in results) else EXIT_INVALID
