"""Fixtures for the sandbox cloud's tests: one Auth emulator per session, a fresh SQLite
file and project per test, and (for e2e) the pinned Pulumi CLI with an isolated home.

Nothing skips: a missing Node.js, firebase-tools or Pulumi CLI fails the test and says how
to install it.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from sandbox import REPO_ROOT, emulator
from sandbox.provider.identitytoolkit import IdentityToolkit
from sandbox.provider.resource import Cloud, ProviderConfig
from sandbox.provider.store import Store

SANDBOX_BIN = REPO_ROOT / "sandbox" / "bin"
PULUMI_BIN = REPO_ROOT / ".tools" / "bin" / "pulumi"


@pytest.fixture(scope="session")
def auth_emulator() -> Iterator[emulator.Emulator]:
    """The Firebase Auth emulator for this session (fails loudly if it is not installed)."""
    try:
        running = emulator.start("demo-sandbox-tests")
    except emulator.EmulatorError as error:
        pytest.fail(f"the Firebase Auth emulator did not start: {error}", pytrace=False)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def project() -> str:
    """A project id of its own per test, so tests never see each other's tenants."""
    return f"demo-t{secrets.token_hex(4)}"


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "sandbox.db")


@pytest.fixture
def toolkit(auth_emulator: emulator.Emulator) -> IdentityToolkit:
    return IdentityToolkit(auth_emulator.host)


@pytest.fixture
def cloud(project: str, store: Store, toolkit: IdentityToolkit) -> Cloud:
    """The sandbox cloud as a provider process sees it, configured for `project`."""
    return Cloud(ProviderConfig(project=project), store, toolkit)


@pytest.fixture
def offline_cloud(project: str, store: Store) -> Cloud:
    """The SQLite half only: touching the emulator from it fails the test."""
    return Cloud(ProviderConfig(project=project), store, IdentityToolkit("127.0.0.1:9"))


@pytest.fixture
def pulumi_env(tmp_path: Path, auth_emulator: emulator.Emulator) -> dict[str, str]:
    """Environment for an Automation API run against the sandbox (file backend, passphrase)."""
    if not PULUMI_BIN.exists():
        pytest.fail(
            f"the pinned Pulumi CLI is missing at {PULUMI_BIN}: run `scripts/bootstrap`",
            pytrace=False,
        )
    (tmp_path / "backend").mkdir()
    return {
        "PATH": os.pathsep.join(
            [str(SANDBOX_BIN), str(PULUMI_BIN.parent), os.environ.get("PATH", "")]
        ),
        "PULUMI_HOME": str(tmp_path / "pulumi-home"),
        "PULUMI_BACKEND_URL": f"file://{tmp_path / 'backend'}",
        "PULUMI_CONFIG_PASSPHRASE": f"pass-{secrets.token_hex(8)}",
        "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
        "PULUMI_SKIP_UPDATE_CHECK": "true",
        "FIREBASE_AUTH_EMULATOR_HOST": auth_emulator.host,
        "SANDBOX_STATE_DB": str(tmp_path / "sandbox.db"),
        "SANDBOX_FAULTS": "",
    }
