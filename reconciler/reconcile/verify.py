"""Verify a tenant right after a rollout wave applied it: can its users still sign in?

Built in (`rollout.verify.identity`, on by default): the tenant's stack is refreshed in
preview (the engine reads every resource back from the cloud through the provider) and
the Identity Platform tenant, its MFA settings and its sign-in providers must read back
exactly as the apply left them, i.e. as the manifest says. Optional
(`rollout.verify.command`): a command per tenant, run from the repository root with the
tenant's name and stack outputs in its environment; exit 0 means healthy.

A failed check raises `VerificationFailed` before act writes the tenant's record, so the
record says `failed` (the last good program kept) and the next run applies and checks the
tenant again; the wave counts it as failed.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reconciler.engine.port import Engine, EngineError, PermanentError
from reconciler.reconcile.plan import Change
from reconciler.report.results import ResourceStep, StackRun

IDENTITY_TYPE = re.compile(r"^gcp:identityplatform/|^pulumi-python:dynamic/identityplatform:")
"""The identity tenant, its providers (gcp:identityplatform/...) and its MFA settings."""
MASKED = "[secret]"
CHILD_ENVIRONMENT = ("PATH", "HOME", "LANG")
"""What the verify command inherits from ours."""
_NOT_NAME = re.compile(r"[^A-Za-z0-9]+")


class VerificationFailed(PermanentError):
    """The apply succeeded but the tenant did not pass its check."""


def output_environment(tenant: str, outputs: Mapping[str, Any]) -> dict[str, str]:
    """TENANT and TENANT_OUTPUT_<NAME> (upper snake case) per output; secret ones left out."""
    env = {"TENANT": tenant}
    for key, value in sorted(outputs.items()):
        if value == MASKED:
            continue
        text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
        env[f"TENANT_OUTPUT_{_NOT_NAME.sub('_', key).strip('_').upper()}"] = text
    return env


def _describe(steps: Sequence[ResourceStep]) -> str:
    return ", ".join(
        f"{s.op} {s.type.rsplit(':', 1)[-1]} {s.name}"
        + (f" ({', '.join(s.diffs)})" if s.diffs else "")
        for s in steps[:5]
    )


@dataclass(frozen=True)
class Verifier:
    """The checks of platform.yaml's `rollout.verify`, for one run."""

    engine: Engine
    identity: bool = True
    command: tuple[str, ...] = ()
    root: Path = Path()
    timeout: float = 300.0
    run: Callable[..., subprocess.CompletedProcess[str]] = subprocess.run

    def __call__(self, change: Change, applied: StackRun) -> None:
        if self.identity:
            self._identity(change.tenant)
        if self.command:
            self._command(change.tenant, applied.outputs)

    def _identity(self, tenant: str) -> None:
        try:
            found = self.engine.drift(tenant)
        except EngineError as error:
            raise VerificationFailed(
                f"applied, but its identity tenant could not be read back: {error.message}"
            ) from error
        wrong = [step for step in found.steps if IDENTITY_TYPE.match(step.type)]
        if wrong:
            raise VerificationFailed(
                "applied, but its identity tenant or sign-in providers do not read back as "
                f"the manifest says: {_describe(wrong)}"
            )

    def _command(self, tenant: str, outputs: Mapping[str, Any]) -> None:
        name = self.command[0]
        try:
            done = self.run(
                list(self.command),
                cwd=self.root,
                # Nothing of ours but the tenant's name and outputs: no credential reaches it.
                env={
                    **{k: v for k, v in os.environ.items() if k in CHILD_ENVIRONMENT},
                    **output_environment(tenant, outputs),
                },
                capture_output=True,
                text=True,
                timeout=self.timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise VerificationFailed(
                f"applied, but the verify command {name} took more than {self.timeout:g}s"
            ) from None
        except OSError as error:
            raise VerificationFailed(f"applied, but the verify command {name}: {error}") from None
        if done.returncode != 0:
            last = (done.stderr.strip() or done.stdout.strip()).splitlines()[-1:] or ["no output"]
            raise VerificationFailed(
                f"applied, but the verify command {name} exited {done.returncode}: {last[0][:200]}"
            )
