"""`reconciler init`, `reconciler platform preview|up` and `reconciler upgrade`: a team's first
run and its later releases, as commands.

- `init` writes platform.yaml from flags (so it runs unattended) and removes the example
  tenants (`platform_setup.first_run`).
- `platform preview` shows the whole set-up: the platform stack's Pulumi preview and, with
  a GitHub token, what the repository would get; nothing is written.
- `platform up` creates it: the stack (`engine/automation/platform_stack.py`), then the
  repository side with the stack's outputs (`platform_setup.github`). Both are safe to run
  again: the stack converges, the GitHub side writes only what differs.

Environment read here, in `github_credentials` only: GITHUB_TOKEN or GH_TOKEN (the admin's
token for the repository's settings) and GITHUB_API_URL (GitHub Enterprise, or the test
harness's stand-in). Nothing of the GitHub token reaches the Pulumi program.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reconciler.report.status import (
    EXIT_ENVIRONMENT,
    EXIT_FAILED,
    EXIT_INVALID,
    EXIT_OK,
    EXIT_USAGE,
)

if TYPE_CHECKING:
    from reconciler.engine.automation.platform_stack import PlatformStack
    from reconciler.manifests.setup import PlatformSetup
    from reconciler.report.comment import GitHub
    from reconciler.report.results import StackRun

DEFAULT_PLATFORM_STATE = ".reconciler/platform-state"
"""Where the platform stack's own state goes unless --backend says (under the root)."""
PLATFORM_STACK = "platform"

Adder = Callable[[str, str], argparse.ArgumentParser]


def _err(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], add: Adder) -> None:
    """Add `init` and `platform` to the command line."""
    p = add("init", "write platform.yaml for your project and repository; remove the examples")
    p.add_argument("--project", required=True, help="GCP project for the tenants' resources")
    p.add_argument("--repository", required=True, metavar="OWNER/NAME", help="this repository")
    p.add_argument(
        "--repository-id",
        required=True,
        type=int,
        metavar="ID",
        help="its numeric id (gh api repos/OWNER/NAME --jq .id): the only id the "
        "Workload Identity provider will accept",
    )
    p.add_argument("--location", default="EU", help="bucket location (default EU)")
    p.add_argument(
        "--kms-location", default="global", help="Cloud KMS key ring location (default global)"
    )
    p.add_argument("--state-bucket", metavar="NAME", help="default: <project>-tenant-state")
    p.add_argument(
        "--control-project",
        metavar="PROJECT",
        help="a separate project for state, key, pool and CI accounts (recommended)",
    )
    p.add_argument(
        "--reviewer",
        action="append",
        default=[],
        metavar="team:SLUG|user:LOGIN",
        help="approves deletions and adoptions (repeatable, at most six)",
    )
    p.add_argument("--keep-examples", action="store_true", help="keep tenant-one and tenant-two")
    p.add_argument("--force", action="store_true", help="replace a platform.yaml that has setup")

    from reconciler.cli import upgrade

    upgrade.add_arguments(add("upgrade", upgrade.HELP))

    help_text = "the platform's own set-up (GCP and GitHub), as code: preview it, or create it"
    p = sub.add_parser("platform", help=help_text, description=help_text)
    steps = p.add_subparsers(dest="platform_command", required=True, metavar="ACTION")
    for name, text in (("preview", "show what would be created"), ("up", "create or update")):
        q = steps.add_parser(name, help=text, description=text)
        q.add_argument(
            "--backend",
            metavar="URL",
            help=f"the platform stack's own state (default file://<root>/{DEFAULT_PLATFORM_STATE})",
        )
        q.add_argument(
            "--existing-identity-platform",
            action="store_true",
            help="Identity Platform is already on in the project: import it, never initialise",
        )
        q.add_argument("--skip-github", action="store_true", help="leave the repository alone")


def github_credentials(environ: Mapping[str, str]) -> tuple[str, str]:
    """(token, API URL) for the repository's settings; the token may be empty."""
    token = environ.get("GITHUB_TOKEN") or environ.get("GH_TOKEN") or ""
    return token, environ.get("GITHUB_API_URL") or "https://api.github.com"


def run_init(args: argparse.Namespace) -> int:
    from reconciler.manifests.platform import PLATFORM_FILE, PlatformError
    from reconciler.manifests.setup import load_setup
    from reconciler.platform_setup.first_run import Answers, example_tenants, platform_yaml, refusal
    from reconciler.report.validation import issue_line

    root = args.root.resolve()
    path = root / PLATFORM_FILE
    earlier = _earlier_settings(path)
    if "setup" in earlier and not args.force:
        _err(f"reconciler: {PLATFORM_FILE} already has a setup section; --force replaces it")
        return EXIT_USAGE
    answers = Answers(
        project=args.project,
        repository=args.repository,
        repository_id=args.repository_id,
        location=args.location,
        kms_location=args.kms_location,
        state_bucket=args.state_bucket,
        control_project=args.control_project,
        reviewers=tuple(args.reviewer),
        reconcile=dict(earlier.get("reconcile") or {}),
    )
    why = refusal(answers)
    if why:
        _err(f"reconciler: {why}; nothing was written")
        return EXIT_USAGE
    previous = path.read_text(encoding="utf-8") if path.exists() else None
    path.write_text(platform_yaml(answers), encoding="utf-8")
    try:
        load_setup(root, {})
    except PlatformError as error:  # e.g. a bad location or repository: put the old file back
        for issue in error.issues:
            _err(issue_line(issue))
        if previous is None:
            path.unlink()
        else:
            path.write_text(previous, encoding="utf-8")
        _err("reconciler: these answers make an invalid platform.yaml; nothing was written")
        return EXIT_INVALID
    print(f"wrote {PLATFORM_FILE} (target gcp, project {answers.project})")
    if not args.keep_examples:
        for example in example_tenants(root):
            example.unlink()
            print(f"removed the example {example.relative_to(root)} (it would deploy on merge)")
    print(
        "\nNext steps:\n"
        "  1. reconciler platform preview   (the whole set-up, nothing written)\n"
        "  2. reconciler platform up        (as a project owner; GITHUB_TOKEN: a repo admin)\n"
        "  3. commit platform.yaml and tenants/, then add tenants with `reconciler new`"
    )
    return EXIT_OK


def _earlier_settings(path: Path) -> dict[str, Any]:
    import yaml

    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return {}
    return document if isinstance(document, dict) else {}


def run_platform(args: argparse.Namespace) -> int:
    from reconciler.engine.port import EngineError, NoAccess
    from reconciler.manifests.platform import PlatformError
    from reconciler.manifests.setup import load_setup
    from reconciler.platform_setup.blueprint import blueprint
    from reconciler.platform_setup.program import platform_program
    from reconciler.report.validation import issue_line

    root = args.root.resolve()
    try:
        setup = load_setup(root, os.environ)
    except PlatformError as error:
        for issue in error.issues:
            _err(issue_line(issue))
        return EXIT_INVALID
    apply = args.platform_command == "up"
    program = platform_program(blueprint(setup), args.existing_identity_platform)
    try:
        stack = _platform_stack(args, root)
    except ValueError as error:
        _err(f"reconciler: {error}")
        return EXIT_USAGE
    print(f"Platform stack ({_backend(args, root)}):")
    try:
        run = stack.up(program) if apply else stack.preview(program)
    except NoAccess as error:
        _err(f"reconciler: {error.message}")
        return EXIT_ENVIRONMENT
    except EngineError as error:
        _err(f"reconciler: platform {args.platform_command} failed: {error.message}")
        return EXIT_FAILED
    print(_steps_text(run, apply))
    if args.skip_github:
        return EXIT_OK
    return _github(setup, run, apply)


def _backend(args: argparse.Namespace, root: Path) -> str:
    return args.backend or f"file://{root / DEFAULT_PLATFORM_STATE}"


def _platform_stack(args: argparse.Namespace, root: Path) -> PlatformStack:
    from reconciler.cli.runtime import SetupError, pulumi_binary
    from reconciler.engine.automation.platform_stack import PlatformStack, PlatformStackSettings
    from reconciler.platform_setup.program import PLATFORM_PROJECT

    url = _backend(args, root)
    if url.startswith("file://"):
        Path(url.removeprefix("file://")).mkdir(parents=True, exist_ok=True)
    try:
        binary = pulumi_binary(root, os.environ)
    except SetupError as error:
        raise ValueError(str(error)) from None
    # The platform stack holds no secret value: an empty passphrase unless one is given.
    env = {"PULUMI_SKIP_UPDATE_CHECK": "true"}
    if not (
        os.environ.get("PULUMI_CONFIG_PASSPHRASE")
        or os.environ.get("PULUMI_CONFIG_PASSPHRASE_FILE")
    ):
        env["PULUMI_CONFIG_PASSPHRASE"] = ""
    settings = PlatformStackSettings(
        project=PLATFORM_PROJECT,
        stack=PLATFORM_STACK,
        backend_url=url,
        work_dir=root / ".reconciler" / "platform-workspace",
        pulumi_binary=binary,
        env=env,
    )
    return PlatformStack(settings)


def _steps_text(run: StackRun, applied: bool) -> str:
    counts: dict[str, int] = {}
    lines = []
    for step in run.steps:
        counts[step.op] = counts.get(step.op, 0) + 1
        lines.append(f"  {step.op:<8} {step.type}  {step.name}")
    done = "done" if applied else "to do"
    summary = ", ".join(f"{n} {op}" for op, n in sorted(counts.items())) or "no changes"
    return "\n".join([*lines, f"  {summary} ({done})"])


def _github(setup: PlatformSetup, run: StackRun, apply: bool) -> int:
    from reconciler.platform_setup.github import SetupRefused, set_up_github, workflow_variables
    from reconciler.report.comment import GitHubError

    token, api_url = github_credentials(os.environ)
    print(f"\nGitHub {setup.repository}:")
    if not token:
        message = "no GITHUB_TOKEN or GH_TOKEN: a repository admin's token sets up the repository"
        if apply:
            _err(f"reconciler: {message} (or pass --skip-github)")
            return EXIT_USAGE
        print(f"  skipped: {message}")
        return EXIT_OK
    api = _github_api(setup.repository, token, api_url)
    variables = workflow_variables(setup, run.outputs)
    said: list[str] = []

    def note(line: str) -> None:
        said.append(line)
        print(f"  {line}")

    try:
        set_up_github(api, setup, variables, apply, note)
    except SetupRefused as error:
        _err(f"reconciler: {error}")
        return EXIT_FAILED
    except GitHubError as error:
        _err(f"reconciler: {error}")
        return EXIT_ENVIRONMENT
    if not said:
        print("  nothing to change")
    elif not apply:
        print("  (preview: nothing was written)")
    return EXIT_OK


def _github_api(repository: str, token: str, api_url: str) -> GitHub:
    from reconciler.report.comment import GitHub

    return GitHub(repository, token, api_url=api_url)


def handler_for(args: argparse.Namespace) -> Callable[[argparse.Namespace], int] | None:
    """The handler of a command this module adds (or `adopt --write-manifests`), for main."""
    if args.command == "adopt" and getattr(args, "write_manifests", False):
        from reconciler.cli.adopt_manifests import run_write_manifests

        return run_write_manifests
    if args.command == "upgrade":
        from reconciler.cli.upgrade import run_upgrade

        return run_upgrade
    return {"init": run_init, "platform": run_platform}.get(args.command)
