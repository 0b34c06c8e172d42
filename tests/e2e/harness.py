"""Helpers for the end-to-end tests: a throw-away tenant repository and its CLI runs."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.gcs_emulator import GcsEmulator
from tests.repo import REPO as _REPO

REPO = _REPO
RECONCILER = [str(Path(sys.executable).parent / "reconciler")]
PROJECT = "demo-e2e"


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str

    def json(self) -> dict:
        return json.loads(self.stdout)


@dataclass
class TenantRepo:
    """A throw-away repository root with platform.yaml, tenants/ and its own state."""

    root: Path
    env: dict[str, str]
    secret_values: list[str] = field(default_factory=list)

    @property
    def state(self) -> Path:
        return self.root / ".state"

    def manifest(self, name: str) -> Path:
        return self.root / "tenants" / f"{name}.yaml"

    def edit(self, name: str, old: str, new: str) -> None:
        path = self.manifest(name)
        text = path.read_text()
        assert old in text, f"{old!r} not in {path}"
        path.write_text(text.replace(old, new, 1))

    def start(self, *args: str, extra_env: dict[str, str] | None = None) -> subprocess.Popen:
        return subprocess.Popen(
            [*RECONCILER, "--root", str(self.root), *args],
            cwd=self.root,
            env={**self.env, **(extra_env or {})},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def copy_tenant(self, source: str, name: str, display: str) -> Path:
        """A new manifest made from `source`'s: its own name, display name and secret
        variables (a tenant may reference only its own secrets), holding the same values."""
        text = self.manifest(source).read_text()
        old_prefix = source.upper().replace("-", "_") + "_"
        new_prefix = name.upper().replace("-", "_") + "_"
        for variable in [v for v in self.env if v.startswith(old_prefix)]:
            self.env[new_prefix + variable[len(old_prefix) :]] = self.env[variable]
        old_display = re.search(r"displayName: (\S+)", text)
        assert old_display is not None
        text = text.replace(f"name: {source}", f"name: {name}").replace(old_prefix, new_prefix)
        text = text.replace(old_display.group(0), f"displayName: {display}", 1)
        path = self.manifest(name)
        path.write_text(text)
        return path

    def run(
        self, *args: str, extra_env: dict[str, str] | None = None, timeout: float = 600
    ) -> Result:
        process = self.start(*args, extra_env=extra_env)
        stdout, stderr = process.communicate(timeout=timeout)
        return Result(process.returncode, stdout, stderr)

    def tenant_ids(self) -> dict[str, str]:
        """Each deployed tenant's identity-tenant id, from its stack outputs."""
        result = self.run("outputs", "--format", "json")
        assert result.code == 0, result.stderr
        tenants = result.json()["tenants"]
        return {t["tenant"]: t["outputs"]["tenantId"] for t in tenants}

    def stacks(self) -> set[str]:
        folder = self.state / ".pulumi" / "stacks" / "mlaas-tenants"
        return (
            {p.name[: -len(".json")] for p in folder.glob("*.json")} if folder.exists() else set()
        )

    def locks(self) -> list[Path]:
        folder = self.state / ".pulumi" / "locks"
        return [p for p in folder.rglob("*.json")] if folder.exists() else []


@dataclass
class GcsTenantRepo(TenantRepo):
    """A tenant repository whose state lives in a `gs://` bucket of fake-gcs-server."""

    emulator: GcsEmulator | None = None
    bucket: str = ""
    prefix: str = ""

    def _objects(self, below: str) -> list[str]:
        assert self.emulator is not None
        prefix = f"{self.prefix}/.pulumi/{below}"
        return [n[len(prefix) :] for n in self.emulator.object_names(self.bucket, prefix)]

    def stacks(self) -> set[str]:
        return {
            name[: -len(".json")]
            for name in self._objects("stacks/mlaas-tenants/")
            if name.endswith(".json") and "/" not in name
        }

    def locks(self) -> list[Path]:
        return [Path(name) for name in self._objects("locks/") if name.endswith(".json")]


def wait_for(predicate, timeout: float = 120.0, every: float = 0.5) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(every)
    raise AssertionError("condition not met in time")
