"""What every command that reads the fleet shares: the platform, the engine built once (here
and only here), the deployed stacks read, the report written, failures as exit codes.

Observe and act receive the engine; they never construct one.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from reconciler.cli.options import Globals, OutputOptions
from reconciler.engine.backend.state import BackendAccessError, BackendError, DeployedStack
from reconciler.manifests.platform import BackendConflict, Platform, PlatformError, load_platform
from reconciler.manifests.validate import ValidationResult
from reconciler.report.renderers import render, render_json, render_markdown
from reconciler.report.results import Report
from reconciler.report.status import EXIT_ENVIRONMENT, EXIT_INVALID, EXIT_USAGE
from reconciler.report.validation import issue_line, render_issues
from reconciler.settings import Settings

if TYPE_CHECKING:
    from reconciler.engine.port import Engine

Opts = TypeVar("Opts")


class CommandFailed(Exception):
    """Stop the command with this exit code; the message has been printed."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


def err(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def guarded(func: Callable[[Opts, Settings], int]) -> Callable[[Opts, Settings], int]:
    """A command whose `CommandFailed` becomes its exit code."""

    def wrapper(options: Opts, settings: Settings) -> int:
        try:
            return int(func(options, settings))
        except CommandFailed as failed:
            return failed.code

    wrapper.__name__ = func.__name__
    return wrapper


def platform_of(options: Globals, settings: Settings) -> Platform:
    try:
        return load_platform(options.root.resolve(), settings.platform_overrides)
    except PlatformError as error:
        result = ValidationResult(issues=error.issues, tenants=(), files=(Path("platform.yaml"),))
        err(render_issues(result, "text"))
        raise CommandFailed(EXIT_INVALID) from None
    except BackendConflict as error:
        err(f"reconciler: {error}")
        raise CommandFailed(EXIT_USAGE) from None


def check_validation(validation: ValidationResult) -> None:
    """Stop on an invalid manifest; otherwise show its warnings (on stderr) and go on."""
    if validation.ok:
        for warning in validation.warnings:
            err(issue_line(warning))
        return
    err(render_issues(validation, "text"))
    err("reconciler: invalid manifests: nothing was planned, deployed or destroyed")
    raise CommandFailed(EXIT_INVALID)


def engine_factory(platform: Platform, settings: Settings) -> Callable[[], Engine]:
    """The one place an engine is built: on first use, once per command."""
    built: list[Engine] = []

    def engine() -> Engine:
        if not built:
            import reconciler.engine.automation as automation
            from reconciler.cli import runtime

            try:
                how = runtime.engine_settings(platform, settings)
            except runtime.SetupError as error:
                err(f"reconciler: {error}")
                raise CommandFailed(EXIT_USAGE) from None
            built.append(automation.AutomationEngine(how))
        return built[0]

    return engine


def deployed_stacks(
    platform: Platform, engine: Callable[[], Engine], settings: Settings
) -> dict[str, DeployedStack]:
    from reconciler.reconcile.observe import observe_deployed

    try:
        return observe_deployed(platform, engine, settings.inventory, settings.storage_emulator)
    except BackendAccessError as error:
        err(f"reconciler: {error}")
        raise CommandFailed(EXIT_ENVIRONMENT) from None
    except BackendError as error:
        err(f"reconciler: {error}")
        raise CommandFailed(EXIT_USAGE) from None


def emit(report: Report, output: OutputOptions) -> int:
    """The report on stdout in the chosen format, and in the files asked for; its exit code."""
    print(render(report, output.format), end="", flush=True)
    if output.json_out:
        output.json_out.write_text(render_json(report), encoding="utf-8")
    if output.markdown_out:
        output.markdown_out.write_text(render_markdown(report), encoding="utf-8")
    return report.exit_code()
