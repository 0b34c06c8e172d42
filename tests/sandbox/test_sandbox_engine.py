"""The sandbox plugin under the real Pulumi engine: an inline Automation API program with a
file:// backend, a passphrase, an isolated PULUMI_HOME, and sandbox/bin first on PATH.

PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION is set, so the only `gcp` plugin the engine
can use for pulumi_gcp's v10.2.0 request is the ambient one on PATH.
"""

from __future__ import annotations

import os
import secrets
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pulumi
import pulumi_gcp as gcp
import pytest
from pulumi import automation as auto

from sandbox import REPO_ROOT
from sandbox.provider.identitytoolkit import IdentityToolkit
from sandbox.provider.secretmanager import put_secret
from sandbox.provider.store import Store

pytestmark = pytest.mark.e2e


def make_stack(env: dict[str, str], project: str, program: Callable[[], None]) -> auto.Stack:
    settings = auto.ProjectSettings(
        name="sandbox-e2e",
        runtime="python",
        backend=auto.ProjectBackend(url=env["PULUMI_BACKEND_URL"]),
    )
    options = auto.LocalWorkspaceOptions(
        env_vars=env,
        pulumi_home=env["PULUMI_HOME"],
        pulumi_command=auto.PulumiCommand(root=str(REPO_ROOT / ".tools"), skip_version_check=True),
        project_settings=settings,
    )
    stack = auto.create_or_select_stack(
        "dev", project_name="sandbox-e2e", program=program, opts=options
    )
    stack.set_config("gcp:project", auto.ConfigValue(project))
    return stack


def tenant_and_bucket(display_name: str = "Acme-E2e", **tenant_args: Any) -> Callable[[], None]:
    def program() -> None:
        tenant = gcp.identityplatform.Tenant(
            "acme", display_name=display_name, allow_password_signup=True, **tenant_args
        )
        bucket = gcp.storage.Bucket("acme-data", location="EU", uniform_bucket_level_access=True)
        gcp.storage.BucketIAMMember(
            "acme-admin",
            bucket=bucket.name,
            role="roles/storage.admin",
            member="user:alice@example.com",
        )
        pulumi.export("tenant", tenant.name)
        pulumi.export("bucket", bucket.name)
        pulumi.export("url", bucket.url)

    return program


def test_up_preview_destroy_of_a_tenant_and_a_bucket(
    pulumi_env: dict[str, str], project: str, toolkit: IdentityToolkit
) -> None:
    stack = make_stack(pulumi_env, project, tenant_and_bucket())
    up = stack.up()
    assert "using pulumi-resource-gcp from $PATH" in up.stdout
    assert up.summary.result == "succeeded"
    tenant_id, bucket = up.outputs["tenant"].value, up.outputs["bucket"].value
    assert up.outputs["url"].value == f"gs://{bucket}"
    assert toolkit.find_tenant(project, tenant_id)["displayName"] == "Acme-E2e"
    store = Store(REPO_ROOT / pulumi_env["SANDBOX_STATE_DB"])
    assert store.get("storage.bucket", bucket) is not None
    provider = next(
        r
        for r in stack.export_stack().deployment["resources"]
        if r["type"] == "pulumi:providers:gcp"
    )
    assert provider["inputs"]["version"] == "10.2.0"

    assert stack.preview().change_summary == {"same": 4}

    stack.destroy()
    assert toolkit.find_tenant(project, tenant_id) is None
    assert store.get("storage.bucket", bucket) is None


def test_drift_made_out_of_band_shows_in_a_refreshing_preview(
    pulumi_env: dict[str, str], project: str, toolkit: IdentityToolkit
) -> None:
    stack = make_stack(pulumi_env, project, tenant_and_bucket())
    tenant_id = stack.up().outputs["tenant"].value
    toolkit.patch_tenant(project, tenant_id, {"displayName": "Drifted"}, ["displayName"])
    assert stack.preview().change_summary == {"same": 4}, "without a refresh the state still agrees"
    assert stack.preview(refresh=True).change_summary.get("update") == 1
    stack.up(refresh=True)
    assert toolkit.find_tenant(project, tenant_id)["displayName"] == "Acme-E2e"

    toolkit.delete_tenant(project, tenant_id)
    stack.refresh()
    types = [r["type"] for r in stack.export_stack().deployment["resources"]]
    assert "gcp:identityplatform/tenant:Tenant" not in types
    stack.destroy()


def test_check_failures_stop_the_update_naming_the_property(
    pulumi_env: dict[str, str], project: str
) -> None:
    stack = make_stack(pulumi_env, project, tenant_and_bucket(display_name="9 lives"))
    with pytest.raises(auto.CommandError) as raised:
        stack.up()
    assert "INVALID_DISPLAY_NAME" in str(raised.value) and "displayName" in str(raised.value)


def test_an_injected_create_fault_fails_that_resource_only(
    pulumi_env: dict[str, str], project: str
) -> None:
    env = {**pulumi_env, "SANDBOX_FAULTS": "create:acme-admin:fail"}
    stack = make_stack(env, project, tenant_and_bucket())
    with pytest.raises(auto.CommandError) as raised:
        stack.up()
    assert "sandbox fault injected" in str(raised.value)
    types = [r["type"] for r in stack.export_stack().deployment["resources"]]
    assert (
        "gcp:storage/bucket:Bucket" in types
        and "gcp:storage/bucketIAMMember:BucketIAMMember" not in types
    )


def test_prevent_refuses_destroy_and_secrets_stay_encrypted_in_state(
    pulumi_env: dict[str, str], project: str, toolkit: IdentityToolkit
) -> None:
    client_secret = f"s3cr3t-{secrets.token_hex(8)}"

    def program() -> None:
        tenant = gcp.identityplatform.Tenant(
            "guarded", display_name="Guarded", deletion_policy="PREVENT"
        )
        gcp.identityplatform.TenantDefaultSupportedIdpConfig(
            "guarded-google",
            tenant=tenant.name,
            idp_id="google.com",
            client_id="id",
            client_secret=pulumi.Output.secret(client_secret),
        )
        pulumi.export("tenant", tenant.name)

    stack = make_stack(pulumi_env, project, program)
    up = stack.up()
    # export_stack() decrypts (--show-secrets); the backend's own files must not.
    backend = Path(pulumi_env["PULUMI_BACKEND_URL"].removeprefix("file://"))
    state_files = [path for path in backend.rglob("*") if path.is_file()]
    assert state_files and not any(
        client_secret in path.read_text(errors="replace") for path in state_files
    )
    assert any("ciphertext" in path.read_text(errors="replace") for path in state_files)
    assert client_secret not in up.stdout + up.stderr
    with pytest.raises(auto.CommandError) as raised:
        stack.destroy()
    assert "deletionPolicy is PREVENT" in str(raised.value)
    assert toolkit.find_tenant(project, up.outputs["tenant"].value) is not None


def _pulumi_children() -> list[int]:
    """Pulumi CLI processes started by this test process (the Automation API hides them)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        # /proc/PID/stat: "PID (COMM) STATE PPID ..."; COMM may hold spaces and parentheses.
        comm, _, rest = text.partition("(")[2].rpartition(")")
        if comm == "pulumi" and int(rest.split()[1]) == os.getpid():
            found.append(int(stat.parent.name))
    return found


def test_a_hanging_operation_ends_when_the_engine_cancels(
    pulumi_env: dict[str, str], project: str
) -> None:
    env = {**pulumi_env, "SANDBOX_FAULTS": "create:acme-data:hang"}
    stack = make_stack(env, project, tenant_and_bucket())
    hanging = threading.Event()
    outcome: dict[str, str] = {}

    def watch(line: str) -> None:
        if "acme-data creating" in line:
            hanging.set()

    def run() -> None:
        try:
            stack.up(on_output=watch)
            outcome["result"] = "succeeded"
        except auto.CommandError as error:
            outcome["result"] = str(error)

    update = threading.Thread(target=run, daemon=True)
    update.start()
    assert hanging.wait(timeout=120), "the bucket's create never started"
    time.sleep(2)
    assert update.is_alive(), "a hung create must not finish by itself"
    for pid in _pulumi_children():
        os.kill(pid, signal.SIGINT)  # Ctrl-C: the engine cancels and tells the providers
    update.join(timeout=120)
    assert not update.is_alive(), "the update did not end after the engine cancelled"
    assert "hung until cancelled" in outcome["result"]


def test_get_secret_version_reads_what_secret_put_stored(
    pulumi_env: dict[str, str], project: str
) -> None:
    value = f"v-{secrets.token_hex(8)}"
    put_secret(project, "acme-google", value, db_path=Path(pulumi_env["SANDBOX_STATE_DB"]))

    def program() -> None:
        version = gcp.secretmanager.get_secret_version_output(secret="acme-google")
        pulumi.export("data", version.secret_data)
        pulumi.export("version", version.version)

    up = make_stack(pulumi_env, project, program).up()
    assert (up.outputs["data"].value, up.outputs["data"].secret) == (value, True)
    assert up.outputs["version"].value == "1"
    assert value not in up.stdout
