"""The local sandbox cloud: a Firebase Auth emulator plus a stand-in `gcp` Pulumi provider.

`sandbox.emulator` starts and stops the emulator; `sandbox.provider` holds the provider's
logic (served by `sandbox/bin/pulumi-resource-gcp`); `python -m sandbox` is the CLI for people.
"""

from pathlib import Path

SANDBOX_DIR = Path(__file__).resolve().parent
"""The `sandbox/` folder of the checkout (package.json, firebase.json, node_modules, bin/)."""

REPO_ROOT = SANDBOX_DIR.parent
"""The checkout's root, where `.sandbox/` (the default state folder) lives."""

DEFAULT_STATE_DIR = REPO_ROOT / ".sandbox"
"""Where the CLI keeps the emulator record, its logs and the provider's SQLite file."""

BIN_DIR = SANDBOX_DIR / "bin"
"""Holds `pulumi-resource-gcp`, the sandbox's provider plugin (found by the engine on PATH)."""


def engine_env(
    emulator_host: str, state_db: Path, path: str, secret_manager: str | None = None
) -> dict[str, str]:
    """Every variable the engine (and plan) needs to work against the sandbox.

    The emulator's address and the provider's state file (read by the plugin), PATH with
    the plugin first, and automatic plugin downloads off: nothing is fetched from the
    internet, and the real pulumi-gcp plugin is never picked by mistake. With
    `secret_manager` (the stand-in's URL, sandbox/secretmanager_api.py), plan's rotation
    check asks it instead of Google.
    """
    import os

    env = {
        "FIREBASE_AUTH_EMULATOR_HOST": emulator_host,
        "SANDBOX_STATE_DB": str(state_db),
        "PATH": os.pathsep.join([str(BIN_DIR), path]) if path else str(BIN_DIR),
        "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
    }
    if secret_manager:
        env["RECONCILER_SECRET_MANAGER_ENDPOINT"] = secret_manager
    return env
