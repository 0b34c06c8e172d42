"""The Secret Manager metadata stand-in: the answers it gives, its lifecycle beside the
emulator, and the reconciler's real client talking to it."""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path

import pytest

from reconciler.gcp.secret_manager import LookupFailed, SecretVersions
from sandbox import secretmanager_api
from sandbox.provider.resource import project_number
from sandbox.provider.store import Store


def test_latest_is_the_newest_version_with_the_project_number(store: Store, project: str):
    store.put_secret_version(project, "tenant-a-google", "first")
    store.put_secret_version(project, "tenant-a-google", "second")
    status, body = secretmanager_api.version_resource(
        store, f"/v1/projects/{project}/secrets/tenant-a-google/versions/latest"
    )
    number = project_number(project)
    assert status == 200
    assert body["name"] == f"projects/{number}/secrets/tenant-a-google/versions/2"
    assert body["state"] == "ENABLED" and body["createTime"]
    assert "first" not in str(body) and "second" not in str(body)  # metadata only


def test_a_project_may_be_named_by_its_number(store: Store, project: str):
    store.put_secret_version(project, "s", "v")
    number = project_number(project)
    status, body = secretmanager_api.version_resource(
        store, f"/v1/projects/{number}/secrets/s/versions/1"
    )
    assert (status, body["name"]) == (200, f"projects/{number}/secrets/s/versions/1")


@pytest.mark.parametrize(
    ("path", "status", "code"),
    [
        ("/v1/projects/P/secrets/missing/versions/latest", 404, "NOT_FOUND"),
        ("/v1/projects/P/secrets/s/versions/latest:access", 501, "UNIMPLEMENTED"),
        ("/v1/projects/P/secrets/s/versions/new", 400, "INVALID_ARGUMENT"),
        ("/v1/projects/P/secrets", 404, "NOT_FOUND"),
    ],
    ids=["no-secret", "payload-never", "bad-version", "other-method"],
)
def test_errors_have_google_shape(store: Store, path: str, status: int, code: str):
    got, body = secretmanager_api.version_resource(store, path)
    assert (got, body["error"]["status"], body["error"]["code"]) == (status, code, status)


def test_ensure_running_starts_once_reuses_and_stop_recorded_stops(tmp_path: Path, project: str):
    state, db = tmp_path / "state", tmp_path / "sandbox.db"
    Store(db).put_secret_version(project, "tenant-a-google", "value-never-served")
    first = secretmanager_api.ensure_running(state, db)
    try:
        again = secretmanager_api.ensure_running(state, db)
        assert (again.pid, again.host) == (first.pid, first.host)
        assert secretmanager_api.running(state) == again
        # The reconciler's own client, over HTTP, against it.
        found = SecretVersions(first.url).latest(project, "tenant-a-google")
        assert found.version == "1"
        with pytest.raises(LookupFailed, match="does not exist or has no version"):
            SecretVersions(first.url).latest(project, "tenant-a-missing")
    finally:
        assert secretmanager_api.stop_recorded(state) is True
    with pytest.raises(ProcessLookupError):
        os.killpg(first.pid, 0)
    assert secretmanager_api.running(state) is None
    assert secretmanager_api.stop_recorded(state) is False
    log = (state / secretmanager_api.LOG_NAME).read_text()
    assert "versions/latest" in log and "value-never-served" not in log


def test_a_recorded_server_that_no_longer_answers_is_stopped_all_the_same(tmp_path: Path):
    """A hung stand-in (here: its record names an address nothing answers at) is not
    `running`, yet `stop_recorded` must stop it rather than leave it behind."""

    state = tmp_path / "state"
    api = secretmanager_api.ensure_running(state, tmp_path / "sandbox.db")
    record_path = state / secretmanager_api.RECORD_NAME
    record = json.loads(record_path.read_text())
    record["host"] = "127.0.0.1:1"
    record_path.write_text(json.dumps(record) + "\n")
    try:
        assert secretmanager_api.running(state) is None
        assert secretmanager_api.stop_recorded(state) is True
        with pytest.raises(ProcessLookupError):
            os.killpg(api.pid, 0)
    finally:
        if not record_path.exists():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(api.pid, 9)


def test_another_state_file_gets_its_own_server(tmp_path: Path):
    state = tmp_path / "state"
    first = secretmanager_api.ensure_running(state, tmp_path / "one.db")
    try:
        second = secretmanager_api.ensure_running(state, tmp_path / "two.db")
        assert second.pid != first.pid and second.db_path == tmp_path / "two.db"
        with pytest.raises(ProcessLookupError):
            os.killpg(first.pid, 0)
    finally:
        secretmanager_api.stop_recorded(state)


def test_the_sandbox_cli_starts_reports_and_stops_it_beside_the_emulator(tmp_path: Path):
    import subprocess
    import sys

    state = tmp_path / "state"
    env = {k: v for k, v in os.environ.items() if k != "SANDBOX_STATE_DB"}

    def sandbox(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "sandbox", "--state-dir", str(state), *args]
        return subprocess.run(command, capture_output=True, text=True, env=env, timeout=240)

    try:
        up = sandbox("up", "--project", "demo-cli-sm")
        assert up.returncode == 0, up.stderr
        exports = dict(
            line.removeprefix("export ").split("=", 1) for line in up.stdout.splitlines()
        )
        endpoint = exports["RECONCILER_SECRET_MANAGER_ENDPOINT"]
        assert "FIREBASE_AUTH_EMULATOR_HOST" in exports
        assert secretmanager_api.is_ready(endpoint.removeprefix("http://"))
        status = sandbox("status")
        assert status.returncode == 0, status.stdout
        assert f"secret manager stand-in: running at {endpoint}" in status.stdout
    finally:
        down = sandbox("down")
    assert "secret manager stand-in stopped" in down.stderr
    assert "emulator stopped" in down.stderr
    # The Identity Toolkit front is stopped too, though it no longer answers once the
    # emulator behind it is gone (it was left running by every `sandbox down`).
    assert "identity toolkit front stopped" in down.stderr
    assert secretmanager_api.running(state) is None
