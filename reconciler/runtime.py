"""How this run reaches the engine: the CLI binary, the backend, secrets and the sandbox.

Turns the platform settings and the environment into `EngineSettings`. In sandbox mode it
also makes sure the local stand-in cloud is up and puts its `gcp` provider plugin on PATH,
with automatic plugin downloads off, so nothing is fetched from the internet.
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Mapping
from pathlib import Path

from reconciler.engine import EngineSettings
from reconciler.platform import Platform


class SetupError(Exception):
    """The run cannot start: a missing tool or setting, with what to do about it."""


def _pulumi_binary(root: Path, environ: Mapping[str, str]) -> Path:
    from reconciler.engine import TOOLS_DIR

    candidates = [
        environ.get("RECONCILER_PULUMI_BINARY"),
        str(root / ".tools/bin/pulumi"),
        str(TOOLS_DIR / "bin" / "pulumi"),
        shutil.which("pulumi", path=environ.get("PATH")),
    ]
    for candidate in candidates:
        # Symlinks are kept as they are: the Automation API wants <root>/bin/pulumi.
        if candidate and Path(candidate).is_file() and Path(candidate).parent.name == "bin":
            return Path(candidate).absolute()
    raise SetupError(
        "the Pulumi CLI was not found: run scripts/bootstrap (it finds or builds the pinned "
        "version), or set RECONCILER_PULUMI_BINARY"
    )


def _passphrase_env(platform: Platform, environ: Mapping[str, str]) -> dict[str, str]:
    if platform.secrets_provider != "passphrase":
        return {}
    if environ.get("PULUMI_CONFIG_PASSPHRASE") or environ.get("PULUMI_CONFIG_PASSPHRASE_FILE"):
        return {}
    if not platform.sandbox:
        raise SetupError(
            "the passphrase secrets provider needs PULUMI_CONFIG_PASSPHRASE (or "
            "PULUMI_CONFIG_PASSPHRASE_FILE); in production prefer a KMS secrets provider"
        )
    # Sandbox only: a random passphrase kept beside the local state, readable by us alone.
    path = platform.root / ".reconciler" / "passphrase"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(32))
    return {"PULUMI_CONFIG_PASSPHRASE_FILE": str(path)}


def _sandbox_env(platform: Platform, environ: Mapping[str, str]) -> dict[str, str]:
    from sandbox import SANDBOX_DIR, emulator

    state_dir = platform.root / ".sandbox"
    host = environ.get("FIREBASE_AUTH_EMULATOR_HOST")
    if not host:
        try:
            host = emulator.ensure_running(state_dir, platform.gcp_project).host
        except emulator.EmulatorError as error:
            raise SetupError(f"the sandbox's Auth emulator: {error}") from error
    return {
        "FIREBASE_AUTH_EMULATOR_HOST": host,
        "SANDBOX_STATE_DB": environ.get("SANDBOX_STATE_DB", str(state_dir / "sandbox.db")),
        "PATH": os.pathsep.join([str(SANDBOX_DIR / "bin"), environ.get("PATH", "")]),
        "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
    }


def engine_settings(platform: Platform, environ: Mapping[str, str]) -> EngineSettings:
    """Everything the engine needs for this run; creates a local file backend's folder."""
    url = platform.resolved_backend_url()
    if url.startswith("file://"):
        Path(url[len("file://") :]).mkdir(parents=True, exist_ok=True)
    env = {"PULUMI_SKIP_UPDATE_CHECK": "true", **_passphrase_env(platform, environ)}
    if platform.sandbox:
        env.update(_sandbox_env(platform, environ))
    return EngineSettings(
        pulumi_project=platform.pulumi_project,
        backend_url=url,
        secrets_provider=platform.secrets_provider,
        workspaces=platform.root / ".reconciler" / "workspaces",
        pulumi_binary=_pulumi_binary(platform.root, environ),
        env=env,
    )
