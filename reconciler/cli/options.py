"""What the command line asked for, as frozen typed objects: one per command family.

`parse_options` turns argparse's `Namespace` into these at the edge, so nothing below
`reconciler/cli/` ever sees a Namespace, and nothing reads an option with a `getattr`
default: an option a command does not have is not in its object, and a value the user gave
(`--lock-wait 0`) is the value that arrives. `Globals` lives in `option_globals.py`, the
GitHub-facing commands' options in `github_options.py`; both are re-exported here.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import timedelta
from functools import partial
from pathlib import Path

from reconciler.cli import github_options
from reconciler.cli.github_options import ApprovalOptions as ApprovalOptions
from reconciler.cli.github_options import CodeownersOptions as CodeownersOptions
from reconciler.cli.github_options import DoctorOptions as DoctorOptions
from reconciler.cli.option_globals import Globals as Globals
from reconciler.engine.port import DEFAULT_RETRY_WAIT


@dataclass(frozen=True)
class SelectOptions:
    """Which tenants a fleet command acts on (`--tenant`, `--changed-since`, ...)."""

    tenants: tuple[str, ...] = ()
    changed_since: str | None = None
    shard: tuple[int, int] | None = None
    actions: tuple[str, ...] = ()


@dataclass(frozen=True)
class OutputOptions:
    """The report's format on stdout, and the files it is also written to."""

    format: str = "text"
    json_out: Path | None = None
    markdown_out: Path | None = None


@dataclass(frozen=True)
class ValidateOptions:
    globals: Globals
    paths: tuple[Path, ...] = ()
    format: str = "text"
    markdown_out: Path | None = None
    changed_since: str | None = None
    cache_dir: Path | None = None
    no_cache: bool = False


@dataclass(frozen=True)
class PlanOptions:
    globals: Globals
    select: SelectOptions = SelectOptions()
    output: OutputOptions = OutputOptions()
    matrix: int | None = None
    """Print a GitHub Actions matrix of at most this many shards instead of the report."""
    exit_code: bool = False


@dataclass(frozen=True)
class StageOptions:
    """`preview`, `apply` and `drift`: the stages that drive the engine."""

    stage: str
    """The act stage: `preview`, `apply` or `drift`."""
    globals: Globals
    select: SelectOptions = SelectOptions()
    output: OutputOptions = OutputOptions()
    parallel: int | None = None
    """Engine operations at once; None: platform.yaml's `reconcile.parallelism`."""
    allow_replace: frozenset[str] = frozenset()
    force: bool = False
    refresh: bool = False
    lock_wait: float = DEFAULT_RETRY_WAIT
    """Seconds to keep retrying a stack locked by another run (0: never retry)."""
    skip_waves: bool = False
    """apply: the selected tenants go ahead of their rollout wave."""
    wave_start: float | None = None
    """apply on a shard: when the run's plan was made (the shards meet after each wave)."""

    @property
    def drift(self) -> bool:
        return self.stage == "drift"


@dataclass(frozen=True)
class OutputsOptions:
    globals: Globals
    tenants: tuple[str, ...] = ()
    format: str = "text"


@dataclass(frozen=True)
class AdoptOptions:
    globals: Globals
    tenants: tuple[str, ...] = ()
    from_stack: str | None = None
    output: OutputOptions = OutputOptions()
    write_manifests: bool = False
    """Write tenants/<name>.yaml for every live tenant that has none, instead of adopting."""
    owner: str | None = None
    """metadata.owner of the written manifests (required with `write_manifests`)."""


@dataclass(frozen=True)
class UnlockOptions:
    globals: Globals
    name: str
    older_than: timedelta


@dataclass(frozen=True)
class ReportOptions:
    globals: Globals
    reports: tuple[Path, ...]
    format: str = "markdown"
    out: Path | None = None
    """`html`: where the fleet page goes (None: stdout)."""


@dataclass(frozen=True)
class ImpactOptions:
    """`impact`: compute a code change's impact (`base`), or render one (`from_file`)."""

    globals: Globals
    base: str | None = None
    from_file: Path | None = None
    format: str = "text"
    json_out: Path | None = None
    markdown_out: Path | None = None
    summary_out: Path | None = None
    sequential: bool = False


@dataclass(frozen=True)
class RolloutOptions:
    """`rollout status|resume`."""

    globals: Globals
    action: str
    parallel: int | None = None
    output: OutputOptions = OutputOptions()


@dataclass(frozen=True)
class NewOptions:
    globals: Globals
    name: str
    owner: str
    google_client_id: str | None = None
    force: bool = False


@dataclass(frozen=True)
class SchemaOptions:
    globals: Globals


@dataclass(frozen=True)
class InitOptions:
    """`init`: the answers platform.yaml is written from."""

    globals: Globals
    project: str
    repository: str
    """`owner/name`."""
    repository_id: int
    location: str = "EU"
    kms_location: str = "global"
    state_bucket: str | None = None
    control_project: str | None = None
    reviewers: tuple[str, ...] = ()
    """`team:SLUG` or `user:LOGIN`."""
    platform_state: str | None = None
    """setup.platformState: the platform stack's own backend."""
    pool: str | None = None
    provider: str | None = None
    """Workload Identity ids (setup.workloadIdentity); None: the defaults."""
    keep_examples: bool = False
    force: bool = False


@dataclass(frozen=True)
class PlatformOptions:
    """`platform preview` and `platform up`."""

    globals: Globals
    action: str
    """`preview` or `up`."""
    backend: str | None = None
    """The platform stack's own state; None: `file://<root>/.reconciler/platform-state`."""
    existing_identity_platform: bool = False
    skip_github: bool = False

    @property
    def apply(self) -> bool:
        return self.action == "up"


@dataclass(frozen=True)
class UpgradeOptions:
    globals: Globals
    source: str
    """The tenant-gitops repository to fetch the releases from (`--from`)."""
    to: str
    """The release tag to take, e.g. `v0.3.0`."""
    force: bool = False


Options = (
    ValidateOptions
    | PlanOptions
    | StageOptions
    | OutputsOptions
    | AdoptOptions
    | UnlockOptions
    | ReportOptions
    | ImpactOptions
    | RolloutOptions
    | NewOptions
    | SchemaOptions
    | InitOptions
    | PlatformOptions
    | UpgradeOptions
    | ApprovalOptions
    | CodeownersOptions
    | DoctorOptions
)


def _globals(args: argparse.Namespace) -> Globals:
    return Globals(root=args.root, quiet=args.quiet)


def _select(args: argparse.Namespace) -> SelectOptions:
    return SelectOptions(
        tenants=tuple(args.tenant),
        changed_since=args.changed_since,
        shard=args.shard,
        actions=tuple(args.action),
    )


def _output(args: argparse.Namespace) -> OutputOptions:
    return OutputOptions(args.format, args.json_out, args.markdown_out)


def _validate(args: argparse.Namespace) -> ValidateOptions:
    return ValidateOptions(
        _globals(args),
        paths=tuple(args.paths),
        format=args.format,
        markdown_out=args.markdown_out,
        changed_since=args.changed_since,
        cache_dir=args.cache_dir,
        no_cache=args.no_cache,
    )


def _plan(args: argparse.Namespace) -> PlanOptions:
    return PlanOptions(_globals(args), _select(args), _output(args), args.matrix, args.exit_code)


def _stage(args: argparse.Namespace) -> StageOptions:
    common = StageOptions(
        args.command, _globals(args), _select(args), _output(args), parallel=args.parallel
    )
    if args.command != "apply":
        return common
    return replace(
        common,
        allow_replace=frozenset(args.allow_replace),
        force=args.force,
        refresh=args.refresh,
        lock_wait=args.lock_wait,
        skip_waves=args.skip_waves,
        wave_start=args.wave_start,
    )


def _outputs(args: argparse.Namespace) -> OutputsOptions:
    return OutputsOptions(_globals(args), tuple(args.tenant), args.format)


def _adopt(args: argparse.Namespace) -> AdoptOptions:
    return AdoptOptions(
        _globals(args),
        tuple(args.tenant),
        args.from_stack,
        _output(args),
        write_manifests=args.write_manifests,
        owner=args.owner,
    )


def _unlock(args: argparse.Namespace) -> UnlockOptions:
    return UnlockOptions(_globals(args), args.name, args.older_than)


def _report(args: argparse.Namespace) -> ReportOptions:
    return ReportOptions(_globals(args), tuple(args.reports), args.format, args.out)


def _impact(args: argparse.Namespace) -> ImpactOptions:
    return ImpactOptions(
        _globals(args),
        args.base,
        args.from_file,
        args.format,
        args.json_out,
        args.markdown_out,
        args.summary_out,
        args.sequential,
    )


def _rollout(args: argparse.Namespace) -> RolloutOptions:
    if args.rollout_command == "status":
        return RolloutOptions(_globals(args), "status")
    return RolloutOptions(_globals(args), "resume", args.parallel, _output(args))


def _new(args: argparse.Namespace) -> NewOptions:
    return NewOptions(_globals(args), args.name, args.owner, args.google_client_id, args.force)


def _init(args: argparse.Namespace) -> InitOptions:
    return InitOptions(
        _globals(args),
        project=args.project,
        repository=args.repository,
        repository_id=args.repository_id,
        location=args.location,
        kms_location=args.kms_location,
        state_bucket=args.state_bucket,
        control_project=args.control_project,
        reviewers=tuple(args.reviewer),
        platform_state=args.platform_state,
        pool=args.pool,
        provider=args.provider,
        keep_examples=args.keep_examples,
        force=args.force,
    )


def _platform(args: argparse.Namespace) -> PlatformOptions:
    return PlatformOptions(
        _globals(args),
        args.platform_command,
        args.backend,
        args.existing_identity_platform,
        args.skip_github,
    )


def _upgrade(args: argparse.Namespace) -> UpgradeOptions:
    return UpgradeOptions(_globals(args), args.source, args.to, args.force)


_BUILDERS: dict[str, Callable[[argparse.Namespace], Options]] = {
    "validate": _validate,
    "plan": _plan,
    "preview": _stage,
    "apply": _stage,
    "drift": _stage,
    "outputs": _outputs,
    "adopt": _adopt,
    "unlock": _unlock,
    "report": _report,
    "impact": _impact,
    "rollout": _rollout,
    "new": _new,
    "schema": lambda args: SchemaOptions(_globals(args)),
    "init": _init,
    "platform": _platform,
    "upgrade": _upgrade,
    **{name: partial(build, _globals) for name, build in github_options.BUILDERS.items()},
}


def parse_options(args: argparse.Namespace) -> Options:
    """The typed options of the command `args` names (argparse checked the values)."""
    return _BUILDERS[args.command](args)
