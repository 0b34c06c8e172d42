"""What act's workers share for one run: `ActContext`, and how a tenant's program is made.

The engine comes in through the context (the command line builds it; tests pass an
in-memory fake), with the settings, the approvals and the retry bound the command line
asked for.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Protocol

from reconciler.engine.port import DEFAULT_RETRY_WAIT, Engine, Program
from reconciler.manifests.platform import Platform
from reconciler.reconcile.plan import Change
from reconciler.report.results import Outcome, StackRun
from reconciler.settings import Settings

if TYPE_CHECKING:
    from reconciler.reconcile.waves import RolloutRun


def tenant_program(change: Change, settings: Settings, platform: Platform) -> Program:
    """The tenant's inline program, with its secrets resolved before any engine starts."""
    from reconciler.program.secrets import resolve_secrets
    from reconciler.program.tenant import tenant_program as program

    assert change.desired is not None
    tenant = change.desired.tenant
    if tenant.source.is_absolute() and tenant.source.is_relative_to(platform.root):
        # Messages name files relative to the repository root, like validate's.
        tenant = replace(tenant, source=tenant.source.relative_to(platform.root))
    secrets = resolve_secrets(tenant, settings.secret_env, settings.client_secrets)
    return program(tenant, platform, change.desired.fingerprint, secrets)


def reads_no_secret(settings: Settings) -> bool:
    """This run reads no client secret (`RECONCILER_CLIENT_SECRETS=unread`, CI's previews), so
    it compares none and need not decrypt: its previews may run on a copy of the state whose
    secrets are placeholders (`Engine.preview`'s `snapshot`). A run that reads them must
    preview the stack itself, or each secret would show changed against its placeholder."""
    from reconciler.program.secrets import UNREAD, secret_source

    return secret_source(settings.client_secrets) == UNREAD


def load_program() -> None:
    """Import the program once, in this thread, before the worker threads start."""
    from reconciler.program.tenant import preload

    preload()


class RunListener(Protocol):
    """Told when each tenant's work starts and ends (progress lines, `report/console.py`)."""

    def started(self, tenant: str, action: str) -> None: ...

    def finished(self, outcome: Outcome) -> None: ...


@dataclass(frozen=True)
class ActContext:
    """What every worker needs; one per run."""

    engine: Engine
    platform: Platform
    settings: Settings
    """This run's settings (where client secrets come from, the variables `fromEnv` names)."""
    parallel: int
    progress: Callable[[str], None]
    allow_replace: frozenset[str] = frozenset()
    retry_wait: float = DEFAULT_RETRY_WAIT
    """How long to keep retrying a temporary failure (a locked stack)."""
    refresh: bool = False
    """Refresh from the cloud before each update (repairs drift)."""
    program: Callable[[Change, Settings, Platform], Program] = tenant_program
    """Builds a tenant's program (tests pass a stand-in)."""
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    listener: RunListener | None = None
    """Told of each tenant's start and end; without one, `progress` gets an end line."""
    write_later: Callable[[Callable[[], None]], None] | None = None
    """Runs a record write off the worker (`_run_all` sets it); None writes at once."""
    verify: Callable[[Change, StackRun], None] | None = None
    """Checks a rollout wave's tenant after its up, before its record (`verify.py`)."""
    rollout: RolloutRun | None = None
    """Go wave by wave (`waves.py`); None: every change at once."""


def program_for(change: Change, ctx: ActContext) -> Program:
    return ctx.program(change, ctx.settings, ctx.platform)
