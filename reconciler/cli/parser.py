"""The command line's grammar: every subcommand, its options and their checks (argparse).

Global options (`--root`, `--quiet`) are accepted before or after the subcommand. What is
parsed here becomes typed options in `options.py` before any command runs.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from datetime import timedelta
from pathlib import Path

from reconciler.cli import impact, platform_parser, rollout, rollout_command
from reconciler.cli.install import version_text
from reconciler.engine.port import DEFAULT_RETRY_WAIT
from reconciler.reconcile.plan import Action
from reconciler.report.renderers import REPORTERS
from reconciler.report.status import EXIT_CODES_HELP
from reconciler.report.validation import REPORTERS as VALIDATION_REPORTERS

ACTIONS = tuple(action.value for action in Action)
REPORT_FORMATS = tuple(REPORTERS)
"""`--format` of the commands that report on tenants: the run report's reporters."""
VALIDATE_FORMATS = tuple(name for name in VALIDATION_REPORTERS if name != "markdown")
"""`validate --format`: the validation reporters (its Markdown goes to --markdown-out)."""


class _VersionAction(argparse.Action):
    """`--version`, with the metadata read only when asked for."""

    def __init__(self, option_strings: Sequence[str], dest: str, help: str | None = None):
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, help=help)

    def __call__(self, parser: argparse.ArgumentParser, *_args: object, **_kw: object) -> None:
        print(version_text())
        parser.exit()


def _add_globals(parser: argparse.ArgumentParser, root: Path | None) -> None:
    """Options every subcommand takes, before or after its name.

    On the subcommands (`root` None) the defaults are suppressed, so a value given before
    the subcommand is not overwritten by the subcommand's default.
    """
    top = root is not None
    parser.add_argument(
        "--root",
        type=Path,
        default=root if top else argparse.SUPPRESS,
        help="repository root holding platform.yaml and tenants/ (default: current directory)",
    )
    parser.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        default=False if top else argparse.SUPPRESS,
        help="no progress lines on stderr (the report on stdout is unchanged)",
    )


def _shard(text: str) -> tuple[int, int]:
    try:
        index, total = (int(part) for part in text.split("/"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a shard: write I/N, e.g. 1/4") from None
    if not 1 <= index <= total:
        raise argparse.ArgumentTypeError(f"shard {text}: I must be between 1 and N")
    return index, total


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _duration(text: str) -> timedelta:
    from reconciler.engine.backend.locks import parse_duration

    try:
        return parse_duration(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _add_unlock(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from reconciler.engine.backend.locks import DEFAULT_OLDER_THAN

    help_text = "remove a stale stack lock left by a killed run (see docs/operations.md)"
    p = sub.add_parser("unlock", help=help_text, description=help_text)
    p.add_argument("name", help="the tenant whose stack lock to remove")
    p.add_argument(
        "--older-than",
        type=_duration,
        default=DEFAULT_OLDER_THAN,
        metavar="DURATION",
        help="only a lock at least this old (e.g. 90s, 15m, 2h; default 30m); a lock held by "
        "a live process on this host is never removed",
    )


def _add_selection(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--tenant",
        action="append",
        default=[],
        metavar="NAME",
        help="only this tenant (repeatable)",
    )
    parser.add_argument(
        "--changed-since",
        metavar="GIT_REF",
        help="only tenants whose manifest changed since this git ref (plus any program change)",
    )
    parser.add_argument(
        "--shard",
        type=_shard,
        metavar="I/N",
        help="only the I-th of N shards of the selected tenants (for parallel CI jobs)",
    )
    parser.add_argument(
        "--action",
        action="append",
        default=[],
        choices=ACTIONS,
        metavar="ACTION",
        help=f"only tenants whose planned action is this (repeatable: {', '.join(ACTIONS)})",
    )


def _add_output(parser: argparse.ArgumentParser, formats: Sequence[str]) -> None:
    parser.add_argument("--format", choices=formats, default="text", help="output format")
    parser.add_argument(
        "--json-out", type=Path, metavar="FILE", help="also write the machine-readable report here"
    )
    parser.add_argument(
        "--markdown-out",
        type=Path,
        metavar="FILE",
        help="also write the Markdown report here (pull-request comment, job summary)",
    )


def _add_github(add: Callable[[str, str], argparse.ArgumentParser]) -> None:
    """`approval`, `codeowners` and `doctor` (run by `github_commands.py`)."""
    p = add(
        "approval",
        "refuse unless every pull request merged since the last deploy, up to COMMIT, was "
        "approved by a code owner of each path it changed, after its last push, by someone "
        "other than its author",
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
    p.add_argument(
        "--workflow",
        default="tenant-apply.yml",
        metavar="FILE",
        help="the apply workflow: its last successful push run on the base branch is the last "
        "deploy, and every merge since then is checked (default: tenant-apply.yml)",
    )
    p.add_argument(
        "--accepted-through",
        default="",
        metavar="SHA",
        help="commits up to SHA were accepted by an approved pull request: check only the "
        "merges after it (the recovery after a refusal, docs/security.md)",
    )
    p.add_argument(
        "--only-commit",
        action="store_true",
        help="check only the pull request that merged as COMMIT, not every merge since the "
        "last deploy (the acting jobs, after the plan job checked the range)",
    )
    p = add("codeowners", "write .github/CODEOWNERS from the manifests' reviewers")
    p.add_argument("--check", action="store_true", help="only check that the file is current")
    p = add(
        "doctor",
        "check the set-up, read-only: the repository's protection and environments, and the "
        "GCP project(s) platform.yaml describes",
    )
    p.add_argument("--branch", default="main", help="the protected branch (default: main)")


def build_parser(root: Path = Path(".")) -> argparse.ArgumentParser:
    """The parser; `root` is `--root`'s default (RECONCILER_ROOT, from the settings)."""
    parser = argparse.ArgumentParser(
        prog="reconciler",
        description="GitOps for ML-platform tenants: one manifest in tenants/, one Pulumi stack.",
        epilog=EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--version",
        action=_VersionAction,
        help="print the package version and the pinned Pulumi versions, then exit",
    )
    _add_globals(parser, root)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(
            name,
            help=help_text,
            description=help_text,
            epilog=EXIT_CODES_HELP,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        _add_globals(p, None)
        return p

    p = add("validate", "check tenant manifests against the schema and the cross-file rules")
    p.add_argument(
        "paths",
        nargs="*",
        type=Path,
        metavar="PATH",
        help="manifests to check (default: every file under tenants/)",
    )
    p.add_argument("--format", choices=VALIDATE_FORMATS, default="text")
    p.add_argument(
        "--markdown-out",
        type=Path,
        metavar="FILE",
        help="also write every error as Markdown here (pull-request comment); with "
        "--format github the list also goes to the job summary ($GITHUB_STEP_SUMMARY)",
    )
    p.add_argument(
        "--changed-since",
        metavar="GIT_REF",
        help="check deeply only the manifests changed since this git ref (every file when "
        "the schema or the validator changed); the cross-file rules still read every name",
    )
    p.add_argument(
        "--cache-dir",
        type=Path,
        metavar="DIR",
        help="where per-file results are kept between runs (default: <root>/.reconciler/cache)",
    )
    p.add_argument("--no-cache", action="store_true", help="check every file again")

    p = add("plan", "compare tenants/ with the deployed stacks; runs no engine")
    _add_selection(p)
    _add_output(p, REPORT_FORMATS)
    p.add_argument(
        "--matrix",
        type=_positive,
        metavar="N",
        help="print a GitHub Actions matrix of at most N shards of tenants to change",
    )
    p.add_argument(
        "--exit-code",
        action="store_true",
        help="exit 6 when changes are pending (like terraform plan -detailed-exitcode); "
        "0 then means nothing to do",
    )

    p = add("preview", "preview the tenants that will change, in parallel")
    _add_selection(p)
    _add_output(p, REPORT_FORMATS)
    p.add_argument("--parallel", type=_positive, metavar="N", help="engine operations at once")

    p = add("apply", "bring the deployed stacks into line with tenants/")
    _add_selection(p)
    _add_output(p, REPORT_FORMATS)
    p.add_argument("--parallel", type=_positive, metavar="N", help="engine operations at once")
    p.add_argument(
        "--allow-replace",
        action="append",
        default=[],
        metavar="NAME",
        help="allow replacing or deleting this tenant's identity tenant or data bucket "
        "(its users or data are lost)",
    )
    p.add_argument(
        "--force",
        action="store_true",
        help="also re-apply selected tenants that are unchanged (e.g. after rotating a secret)",
    )
    p.add_argument(
        "--refresh",
        action="store_true",
        help="read the cloud before updating, so changes made outside git are undone",
    )
    p.add_argument(
        "--lock-wait",
        type=float,
        default=DEFAULT_RETRY_WAIT,
        metavar="SECONDS",
        help=f"how long to retry a stack locked by another run (default {DEFAULT_RETRY_WAIT:g})",
    )
    rollout.add_apply_arguments(p)

    p = add("drift", "refresh (preview only) and report resources changed outside git")
    _add_selection(p)
    _add_output(p, REPORT_FORMATS)
    p.add_argument("--parallel", type=_positive, metavar="N", help="engine operations at once")

    p = add("outputs", "show the deployed stacks' outputs (secrets masked)")
    p.add_argument("--tenant", action="append", default=[], metavar="NAME")
    p.add_argument("--format", choices=("text", "json"), default="text")

    p = add("report", "merge JSON reports (e.g. from CI shards) into one, or write the fleet page")
    p.add_argument("reports", nargs="*", type=Path, metavar="FILE")
    p.add_argument("--format", choices=(*REPORT_FORMATS, "html"), default="markdown")
    p.add_argument(
        "--out",
        type=Path,
        metavar="FILE",
        help="html: write the fleet page here (every tenant's state, program, wave, drift, "
        "lock and sign-in; the reports given add drift and the last run)",
    )

    p = add("new", "write a valid starting manifest for a new tenant, then print next steps")
    p.add_argument("name", help="tenant name (lowercase letters, digits, hyphens)")
    p.add_argument(
        "--owner",
        required=True,
        metavar="EMAIL",
        help="email of the person or group accountable for the tenant (required: no "
        "example address is written for you)",
    )
    p.add_argument(
        "--google-client-id",
        metavar="ID",
        help="OAuth client id for Google sign-in (…apps.googleusercontent.com); without it "
        "the manifest starts with no sign-in provider",
    )
    p.add_argument("--force", action="store_true", help="overwrite an existing file")

    p = add(
        "adopt",
        "bring existing tenants (spec.adopt) under their stacks by import, or move them "
        "from a multi-tenant stack (--from-stack); never recreates a tenant",
    )
    p.add_argument("--tenant", action="append", default=[], metavar="NAME", help="only this tenant")
    p.add_argument(
        "--from-stack",
        metavar="PROJECT/STACK",
        help="migrate from this stack of the same backend (pulumi state move) instead of "
        "importing from the cloud",
    )
    p.add_argument(
        "--write-manifests",
        action="store_true",
        help="write tenants/<name>.yaml for every live tenant that has none (then adopt)",
    )
    p.add_argument("--owner", metavar="EMAIL", help="metadata.owner of the written manifests")
    _add_output(p, REPORT_FORMATS)

    add("schema", "print the tenant manifest JSON Schema")
    _add_unlock(sub)
    _add_github(add)
    platform_parser.register(sub, add, lambda step: _add_globals(step, None))
    impact.add_arguments(add("impact", impact.HELP))
    rollout_command.add_arguments(add("rollout", rollout_command.HELP))
    return parser
