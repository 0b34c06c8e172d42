"""End-to-end fixtures: the real Pulumi CLI and engine, a `file://` backend in a temporary
folder, a passphrase secrets provider, an isolated PULUMI_HOME, and the sandbox cloud (the
Firebase Auth emulator, started once per session, plus the sandbox's `gcp` plugin).

Nothing here skips: a missing tool fails the run and says how to install it.
"""

from __future__ import annotations

import os
import secrets
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from sandbox import engine_env
from tests.e2e.harness import PROJECT, REPO, GcsTenantRepo, TenantRepo
from tests.gcs_emulator import GcsEmulator, GcsEmulatorError
from tests.gcs_emulator import start as start_gcs


def _require_pulumi() -> Path:
    binary = REPO / ".tools" / "bin" / "pulumi"
    if not binary.exists():
        pytest.fail(
            "the pinned Pulumi CLI is missing: run `scripts/bootstrap --sandbox` "
            "(the README's test command does)",
            pytrace=False,
        )
    return binary


@pytest.fixture(scope="session")
def emulator_host() -> Iterator[str]:
    from sandbox import emulator

    try:
        running = emulator.start(PROJECT)
    except emulator.EmulatorError as error:
        pytest.fail(f"the Firebase Auth emulator did not start: {error}", pytrace=False)
    try:
        yield running.host
    finally:
        running.stop()


@pytest.fixture(scope="session")
def pulumi_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pulumi-home")


@pytest.fixture
def identity_host(tmp_path: Path, emulator_host: str) -> Iterator[str]:
    """The sandbox's Identity Toolkit front (sandbox/identity_api.py) for this test's state
    file: the emulator, plus the IdP configs and test phone numbers it cannot hold."""
    from sandbox.identity_api import make_server

    server = make_server(tmp_path / "sandbox.db", emulator_host)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def tenant_repo(tmp_path: Path, identity_host: str, pulumi_home: Path) -> TenantRepo:
    pulumi = _require_pulumi()
    root = tmp_path / "repo"
    (root / "tenants").mkdir(parents=True)
    for name in ("tenant-one", "tenant-two"):
        shutil.copy(REPO / "tenants" / f"{name}.yaml", root / "tenants")
    platform = (REPO / "platform.yaml").read_text()
    platform = platform.replace("project: demo-mlaas", f"project: {PROJECT}")
    (root / "platform.yaml").write_text(platform)
    shutil.copytree(REPO / "schema", root / "schema")
    values = [f"s3cr3t-{secrets.token_hex(12)}" for _ in range(2)]
    path = os.pathsep.join([str(pulumi.parent), os.environ.get("PATH", "")])
    env = {
        **os.environ,
        # What `python -m sandbox exec` exports: the emulator, the state file, the plugin.
        **engine_env(identity_host, tmp_path / "sandbox.db", path),
        "PULUMI_HOME": str(pulumi_home),
        "PULUMI_CONFIG_PASSPHRASE": f"pass-{secrets.token_hex(8)}",
        "PULUMI_SKIP_UPDATE_CHECK": "true",
        "TENANT_ONE_GOOGLE_CLIENT_SECRET": values[0],
        "TENANT_TWO_GITHUB_CLIENT_SECRET": values[1],
        "RECONCILER_PARALLELISM": "2",
    }
    for name in ("RECONCILER_DEBUG", "SANDBOX_FAULTS"):
        env.pop(name, None)
    return TenantRepo(root=root, env=env, secret_values=values)


@pytest.fixture(scope="session")
def gcs_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GcsEmulator]:
    """fake-gcs-server on a loopback port, for the `gs://` backend (started here, never
    assumed running; scripts/bootstrap builds the pinned version)."""
    try:
        running = start_gcs(tmp_path_factory.mktemp("gcs") / "objects")
    except GcsEmulatorError as error:
        pytest.fail(str(error), pytrace=False)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def gcs_repo(tenant_repo: TenantRepo, gcs_emulator: GcsEmulator, tmp_path: Path) -> GcsTenantRepo:
    """`tenant_repo` on a `gs://` backend, as production runs it: the Pulumi CLI (gocloud.dev
    gcsblob) and the bulk reader both reach fake-gcs-server through STORAGE_EMULATOR_HOST."""
    bucket = f"tenant-state-{secrets.token_hex(4)}"
    gcs_emulator.create_bucket(bucket)
    env = {
        **tenant_repo.env,
        **gcs_emulator.env(tmp_path),
        "RECONCILER_BACKEND_URL": f"gs://{bucket}/state",
    }
    env.pop("PULUMI_BACKEND_URL", None)
    return GcsTenantRepo(
        root=tenant_repo.root,
        env=env,
        secret_values=tenant_repo.secret_values,
        emulator=gcs_emulator,
        bucket=bucket,
        prefix="state",
    )
