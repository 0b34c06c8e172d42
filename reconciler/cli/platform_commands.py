"""`reconciler init` and `reconciler platform preview|up`: a team's first run, as commands
(`upgrade.py` takes its later releases).

- `init` writes platform.yaml from flags (so it runs unattended) and removes the example
  tenants (`platform_setup.first_run`).
- `platform preview` shows the whole set-up: the platform stack's Pulumi preview and, with
  a GitHub token, what the repository would get; nothing is written.
- `platform up` creates it: the stack (`engine/automation/platform_stack.py`), then the
  repository side with the stack's outputs (`platform_setup.github`). Both are safe to run
  again: the stack converges, the GitHub side writes only what differs.

The settings they use (`reconciler/settings.py`): GITHUB_TOKEN or GH_TOKEN (the admin's
token for the repository's settings), GITHUB_API_URL (GitHub Enterprise, or the test
harness's stand-in), and whether a Pulumi passphrase is set. Nothing of the GitHub token
reaches the Pulumi program. The grammar is `platform_parser.py`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from reconciler.cli.options import InitOptions, PlatformOptions
from reconciler.cli.platform_parser import DEFAULT_PLATFORM_STATE
from reconciler.cli.session import err
from reconciler.report.status import (
    EXIT_ENVIRONMENT,
    EXIT_FAILED,
    EXIT_INVALID,
    EXIT_OK,
    EXIT_USAGE,
)
from reconciler.settings import Settings

if TYPE_CHECKING:
    from reconciler.engine.automation.platform_stack import PlatformStack
    from reconciler.manifests.setup import PlatformSetup
    from reconciler.report.comment import GitHub
    from reconciler.report.results import StackRun

PLATFORM_STACK = "platform"
_ONE_PROJECT = (
    "reconciler: warning: one project for tenants and the control plane. The deploy "
    "account must create, delete and set the IAM of service accounts project-wide (no IAM "
    "condition can narrow that), so it can grant itself the right to act as any service "
    "account in {project}: itself, the preview account and the Compute Engine default "
    "account (Editor unless iam.automaticIamGrantsForDefaultServiceAccounts is enforced) "
    "included. Fine for a trial; the supported production layout is a separate control "
    "project: run init again with --control-project PROJECT --force (docs/security.md)"
)


def run_init(options: InitOptions, _settings: Settings) -> int:
    from reconciler.manifests.platform import PLATFORM_FILE, PlatformError
    from reconciler.manifests.setup import load_setup
    from reconciler.platform_setup.first_run import Answers, example_tenants, platform_yaml, refusal
    from reconciler.report.validation import issue_line

    root = options.globals.root.resolve()
    path = root / PLATFORM_FILE
    earlier = _earlier_settings(path)
    if "setup" in earlier and not options.force:
        err(f"reconciler: {PLATFORM_FILE} already has a setup section; --force replaces it")
        return EXIT_USAGE
    answers = Answers(
        project=options.project,
        repository=options.repository,
        repository_id=options.repository_id,
        location=options.location,
        kms_location=options.kms_location,
        state_bucket=options.state_bucket,
        control_project=options.control_project,
        reviewers=options.reviewers,
        platform_state=options.platform_state,
        pool=options.pool,
        provider=options.provider,
        reconcile=dict(earlier.get("reconcile") or {}),
        pulumi_project=_earlier_pulumi_project(earlier),
    )
    why = refusal(answers)
    if why:
        err(f"reconciler: {why}; nothing was written")
        return EXIT_USAGE
    previous = path.read_text(encoding="utf-8") if path.exists() else None
    path.write_text(platform_yaml(answers), encoding="utf-8")
    try:
        load_setup(root, {})
    except PlatformError as error:  # e.g. a bad location or repository: put the old file back
        for issue in error.issues:
            err(issue_line(issue))
        if previous is None:
            path.unlink()
        else:
            path.write_text(previous, encoding="utf-8")
        err("reconciler: these answers make an invalid platform.yaml; nothing was written")
        return EXIT_INVALID
    print(f"wrote {PLATFORM_FILE} (target gcp, project {answers.project})")
    if not answers.control_project:
        err(_ONE_PROJECT.format(project=answers.project))
    if not options.keep_examples:
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


def _earlier_pulumi_project(earlier: dict[str, Any]) -> str:
    from reconciler.platform_setup.first_run import DEFAULT_PULUMI_PROJECT

    pulumi = earlier.get("pulumi")
    project = pulumi.get("project") if isinstance(pulumi, dict) else None
    return str(project) if isinstance(project, str) and project else DEFAULT_PULUMI_PROJECT


def _earlier_settings(path: Path) -> dict[str, Any]:
    import yaml

    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return {}
    return document if isinstance(document, dict) else {}


def run_platform(options: PlatformOptions, settings: Settings) -> int:
    from reconciler.engine.port import EngineError, NoAccess
    from reconciler.manifests.platform import PlatformError
    from reconciler.manifests.setup import load_setup
    from reconciler.platform_setup.blueprint import blueprint
    from reconciler.platform_setup.program import platform_program
    from reconciler.report.validation import issue_line

    root = options.globals.root.resolve()
    try:
        setup = load_setup(root, settings.platform_overrides)
    except PlatformError as error:
        for issue in error.issues:
            err(issue_line(issue))
        return EXIT_INVALID
    apply = options.apply
    program = platform_program(blueprint(setup), options.existing_identity_platform)
    backend = _backend(options, root, setup)
    if setup.in_state_bucket(backend):
        err(
            f"reconciler: warning: the platform stack's state is in the tenant state bucket "
            f"gs://{setup.state_bucket}, which the deploy account writes: it could change "
            "what `platform up` does with your rights. Move it to a bucket only admins can "
            "write and set setup.platformState (docs/platform-setup.md)"
        )
    try:
        stack = _platform_stack(backend, root, settings)
    except ValueError as error:
        err(f"reconciler: {error}")
        return EXIT_USAGE
    print(f"Platform stack ({backend}):")
    try:
        run = stack.up(program) if apply else stack.preview(program)
    except NoAccess as error:
        err(f"reconciler: {error.message}")
        return EXIT_ENVIRONMENT
    except EngineError as error:
        err(f"reconciler: platform {options.action} failed: {error.message}")
        return EXIT_FAILED
    print(_steps_text(run, apply))
    if options.skip_github:
        return EXIT_OK
    return _github(setup, run, apply, settings)


def _backend(options: PlatformOptions, root: Path, setup: PlatformSetup) -> str:
    """--backend, else setup.platformState, else a folder under the root (git-ignored)."""
    return options.backend or setup.platform_state or f"file://{root / DEFAULT_PLATFORM_STATE}"


def _platform_stack(url: str, root: Path, settings: Settings) -> PlatformStack:
    from reconciler.cli.runtime import SetupError, pulumi_binary
    from reconciler.engine.automation.platform_stack import PlatformStack, PlatformStackSettings
    from reconciler.platform_setup.blueprint import PLATFORM_PROJECT

    if url.startswith("file://"):
        Path(url.removeprefix("file://")).mkdir(parents=True, exist_ok=True)
    try:
        binary = pulumi_binary(root, settings)
    except SetupError as error:
        raise ValueError(str(error)) from None
    # The platform stack holds no secret value: an empty passphrase unless one is given.
    env = {"PULUMI_SKIP_UPDATE_CHECK": "true"}
    if not settings.passphrase_set:
        env["PULUMI_CONFIG_PASSPHRASE"] = ""
    how = PlatformStackSettings(
        project=PLATFORM_PROJECT,
        stack=PLATFORM_STACK,
        backend_url=url,
        work_dir=root / ".reconciler" / "platform-workspace",
        pulumi_binary=binary,
        env=env,
    )
    return PlatformStack(how)


def _steps_text(run: StackRun, applied: bool) -> str:
    counts: dict[str, int] = {}
    lines = []
    for step in run.steps:
        counts[step.op] = counts.get(step.op, 0) + 1
        lines.append(f"  {step.op:<8} {step.type}  {step.name}")
    done = "done" if applied else "to do"
    summary = ", ".join(f"{n} {op}" for op, n in sorted(counts.items())) or "no changes"
    return "\n".join([*lines, f"  {summary} ({done})"])


def _github(setup: PlatformSetup, run: StackRun, apply: bool, settings: Settings) -> int:
    from reconciler.platform_setup.github import SetupRefused, set_up_github, workflow_variables
    from reconciler.report.comment import GitHubError

    token, api_url = settings.admin_token, settings.github.api_url
    print(f"\nGitHub {setup.repository}:")
    if not token:
        message = "no GITHUB_TOKEN or GH_TOKEN: a repository admin's token sets up the repository"
        if apply:
            err(f"reconciler: {message} (or pass --skip-github)")
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
        err(f"reconciler: {error}")
        return EXIT_FAILED
    except GitHubError as error:
        err(f"reconciler: {error}")
        return EXIT_ENVIRONMENT
    if not said:
        print("  nothing to change")
    elif not apply:
        print("  (preview: nothing was written)")
    return EXIT_OK


def _github_api(repository: str, token: str, api_url: str) -> GitHub:
    from reconciler.report.comment import GitHub

    return GitHub(repository, token, api_url=api_url)
