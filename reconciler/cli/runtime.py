"""How this run reaches the engine: the CLI binary, the backend, secrets, the sandbox's setup.

Turns the platform settings and this run's `Settings` into `EngineSettings`. The sandbox is wired
from outside: `python -m sandbox exec -- reconciler ...` (or `make demo`) starts the local
stand-in cloud and exports what the engine needs (the emulator host, the state database,
PATH with its `gcp` provider plugin first, automatic plugin downloads off). Here, with
`target: sandbox`, we only check that this happened, so nothing in `reconciler/` imports
the sandbox and an installed reconciler ships none of it.
"""

from __future__ import annotations

import os
import secrets
import shutil
from pathlib import Path

from reconciler.engine.port import EngineSettings
from reconciler.manifests.platform import Platform
from reconciler.settings import Settings

TOOLS_DIR = Path(__file__).resolve().parent.parent / ".tools"
"""Where scripts/bootstrap puts the pinned Pulumi CLI (bin/pulumi) in a checkout."""

SANDBOX_PLUGIN = "pulumi-resource-gcp"
EMULATOR_HOST_ENV = "FIREBASE_AUTH_EMULATOR_HOST"
_SANDBOX_HINT = "run it through `python -m sandbox exec -- reconciler ...` (or `make demo`)"


class SetupError(Exception):
    """The run cannot start: a missing tool or setting, with what to do about it."""


def _pulumi_binary(root: Path, settings: Settings) -> Path:
    candidates = [
        settings.pulumi_binary,
        str(root / ".tools/bin/pulumi"),
        str(TOOLS_DIR / "bin" / "pulumi"),
        shutil.which("pulumi", path=settings.path),
    ]
    for candidate in candidates:
        # Symlinks are kept as they are: the Automation API wants <root>/bin/pulumi.
        if candidate and Path(candidate).is_file() and Path(candidate).parent.name == "bin":
            return Path(candidate).absolute()
    raise SetupError(
        "the Pulumi CLI was not found: run scripts/bootstrap (it finds or builds the pinned "
        "version), or set RECONCILER_PULUMI_BINARY"
    )


def pulumi_binary(root: Path, settings: Settings) -> Path:
    """The pinned Pulumi CLI (`<dir>/bin/pulumi`); SetupError names what to run if none."""
    return _pulumi_binary(root, settings)


def _passphrase_env(platform: Platform, settings: Settings) -> dict[str, str]:
    if platform.secrets_provider != "passphrase":
        return {}
    if settings.passphrase_set:
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


def check_sandbox(settings: Settings) -> dict[str, str]:
    """`target: sandbox` runs only in the sandbox's environment; never download a plugin."""
    if not settings.emulator_host:
        raise SetupError(f"target: sandbox needs {EMULATOR_HOST_ENV}: {_SANDBOX_HINT}")
    if not shutil.which(SANDBOX_PLUGIN, path=settings.path):
        raise SetupError(
            f"target: sandbox needs the sandbox's {SANDBOX_PLUGIN} plugin on PATH: {_SANDBOX_HINT}"
        )
    return {"PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true"}


def engine_settings(platform: Platform, settings: Settings) -> EngineSettings:
    """Everything the engine needs for this run; creates a local file backend's folder.

    `EngineSettings.env` is what the engine's child processes (the Pulumi CLI, its plugins)
    get besides the environment they inherit."""
    url = platform.resolved_backend_url()
    env = {"PULUMI_SKIP_UPDATE_CHECK": "true"}
    if platform.sandbox:
        env.update(check_sandbox(settings))
    env.update(_passphrase_env(platform, settings))
    if url.startswith("file://"):
        Path(url[len("file://") :]).mkdir(parents=True, exist_ok=True)
    return EngineSettings(
        pulumi_project=platform.pulumi_project,
        backend_url=url,
        secrets_provider=platform.secrets_provider,
        workspaces=platform.root / ".reconciler" / "workspaces",
        pulumi_binary=_pulumi_binary(platform.root, settings),
        env=env,
        storage_emulator=settings.storage_emulator,
    )
