"""The GitHub-facing subcommands: `approval`, `codeowners`, `doctor`.

- `reconciler approval --commit SHA [--before SHA] [--workflow FILE] [--accepted-through
  SHA]`: the deploy's own check, run by the apply workflow's plan, apply, destroy and
  replace jobs before they take a credential. Exit 0 when every pull request merged since
  the last successful deploy, up to SHA (`reconciler.github.history`), was approved as
  `reconciler.github.approval` requires; exit 4 (blocked) naming each unapproved commit or
  pull request and what is missing otherwise, and when GitHub or git cannot be read (fail
  closed).
- `reconciler codeowners [--check]`: writes `.github/CODEOWNERS` from the manifests'
  `metadata.reviewers` and platform.yaml's `github.platformReviewers`; `--check` exits 1
  when the file is stale (CI).
- `reconciler doctor`: the repository's settings and the GCP set-up, one named check at a
  time (`reconciler.doctor`); exit 1 when any check found a problem or could not look.

Each takes its typed options (`options.py`; the grammar is `parser.py`'s) and the settings
read at the edge: GITHUB_TOKEN, GITHUB_REPOSITORY, GITHUB_API_URL and
RECONCILER_GITHUB_TEAMS_TOKEN (`Settings.github`).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

from reconciler.cli.options import ApprovalOptions, CodeownersOptions, DoctorOptions
from reconciler.report.status import EXIT_BLOCKED, EXIT_INVALID, EXIT_OK, EXIT_USAGE
from reconciler.settings import Settings

if TYPE_CHECKING:
    from reconciler.github.api import GitHub
    from reconciler.github.approval import Lookups
    from reconciler.github.history import Landed

CODEOWNERS_PATH = Path(".github") / "CODEOWNERS"
REFUSED = "Refused: not approved"


def _err(message: str) -> None:
    print(message, file=sys.stderr)


# --- approval ------------------------------------------------------------------------


def run_approval(options: ApprovalOptions, settings: Settings) -> int:
    from reconciler.github.api import GitHubError, from_settings, teams_client
    from reconciler.github.evidence import lookups
    from reconciler.github.git import Git, GitError
    from reconciler.github.history import RangeRefused, check

    run = settings.github
    github = from_settings(run)
    if isinstance(github, str):
        _err(f"reconciler approval: {github}")
        return EXIT_USAGE
    commit = options.commit
    if options.only_commit:
        return _approve_commit(
            options, github, lookups(github, teams_client(github, run.teams_token))
        )
    try:
        checked = check(
            github,
            Git(options.globals.root.resolve()),
            commit,
            lookups(github, teams_client(github, run.teams_token)),
            workflow=options.workflow,
            accepted=options.accepted,
            base=options.base,
        )
    except RangeRefused as error:
        return _refuse(options, [str(error)])
    except (GitHubError, GitError) as error:
        return _refuse(options, [f"could not read the approval of {commit[:12]}: {error}"])
    print(f"since: {checked.since.said}")
    if not checked.verdicts:
        print(f"approved: nothing reached {options.base} after it; {commit[:12]} was deployed")
        return EXIT_OK
    reasons = []
    for landed, verdict in checked.verdicts:
        what = _landed(landed, verdict.pull)
        if verdict.approved:
            approvers = ", ".join(f"@{login}" for login in verdict.approvers)
            print(
                f"approved: {what} was approved at its last push by {approvers}, with a code "
                "owner of every changed path"
            )
        else:
            reasons += [f"{what}: {reason}" for reason in verdict.missing]
    return _refuse(options, reasons) if reasons else EXIT_OK


def _approve_commit(options: ApprovalOptions, github: GitHub, asked: Lookups) -> int:
    """`--only-commit`: the pull request that merged as the commit, and nothing before it."""
    from reconciler.github.api import GitHubError
    from reconciler.github.approval import decide
    from reconciler.github.evidence import read_evidence
    from reconciler.github.git import Git, GitError

    commit = options.commit
    git = Git(options.globals.root.resolve())
    try:
        evidence = read_evidence(github, git, commit, options.before, options.base)
    except (GitHubError, GitError) as error:
        return _refuse(options, [f"could not read the approval of {commit[:12]}: {error}"])
    verdict = decide(evidence, asked, options.base)
    if not verdict.approved:
        what = f"pull request #{verdict.pull}" if verdict.pull else f"commit {commit[:12]}"
        return _refuse(options, [f"{what}: {reason}" for reason in verdict.missing])
    approvers = ", ".join(f"@{login}" for login in verdict.approvers)
    print(f"approved: pull request #{verdict.pull} (merged as {commit[:12]}) by {approvers}")
    return EXIT_OK


def _landed(landed: Landed, pull: int | None) -> str:
    commits = f"{len(landed.commits)} commits ending {landed.merge[:12]}"
    where = landed.merge[:12] if len(landed.commits) == 1 else commits
    return f"pull request #{pull} (merged as {where})" if pull else f"commit {where}"


def _refuse(options: ApprovalOptions, reasons: list[str]) -> int:
    for reason in reasons:
        if options.format == "github":
            print(f"::error title={REFUSED}::{_annotation(reason)}")
        else:
            print(f"refused: {reason}")
    print(
        f"{options.commit[:12]} is not deployed: nothing was applied or destroyed. Every "
        f"commit that reached {options.base} since the last successful deploy needs its own "
        "approved pull request (a code owner of each path, after its last push). A code "
        "owner may still approve a merged pull request at its last push: then re-run. A "
        "revert does not take a commit out of the range: see docs/security.md, "
        '"When the deploy refuses a merge", for the way forward.'
    )
    return EXIT_BLOCKED


def _annotation(text: str) -> str:
    """A workflow command's message: `%`, CR and LF escaped (`%` first)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


# --- codeowners ----------------------------------------------------------------------


def codeowners_text(root: Path, settings: Settings) -> str | list[str]:
    """The CODEOWNERS the manifests and platform.yaml ask for, or why it cannot be written."""
    from reconciler.github.codeowners import Entry, render
    from reconciler.manifests.platform import PlatformError, load_platform
    from reconciler.manifests.validate import validate_tree
    from reconciler.report.validation import issue_line

    try:
        platform = load_platform(root, settings.platform_overrides)
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


def run_codeowners(options: CodeownersOptions, settings: Settings) -> int:
    root = options.globals.root.resolve()
    text = codeowners_text(root, settings)
    if isinstance(text, list):
        for line in text:
            _err(line)
        _err("reconciler codeowners: nothing written; fix the above first")
        return EXIT_INVALID
    target = root / CODEOWNERS_PATH
    current = target.read_text(encoding="utf-8") if target.is_file() else None
    if options.check:
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


def run_doctor(options: DoctorOptions, settings: Settings) -> int:
    """Every check of `doctor/registry.py`; exit 1 when any found a problem or could not look."""
    from reconciler.doctor.checks import Context, render, run_checks
    from reconciler.doctor.gcp_run import SetupInvalid, gcp_target
    from reconciler.doctor.registry import all_checks
    from reconciler.github.api import from_settings

    root = options.globals.root.resolve()
    github = from_settings(settings.github)
    try:
        gcp = gcp_target(root, settings)
    except SetupInvalid as error:
        _err(f"reconciler doctor: {error}")
        return EXIT_INVALID
    context = Context(
        root=root,
        github=None if isinstance(github, str) else github,
        github_missing=github if isinstance(github, str) else "",
        branch=options.branch,
        gcp=None if isinstance(gcp, str) else gcp,
        gcp_skipped=gcp if isinstance(gcp, str) else "",
    )
    results = run_checks(all_checks(), context)
    print(render(results), end="")
    return EXIT_OK if all(result.ok for result in results) else EXIT_INVALID
