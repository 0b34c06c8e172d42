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
