"""The Auth emulator: its lifecycle, and the Identity Toolkit v2 tenant API as it serves it.

The REST tests pin down the emulator behaviour the provider relies on (and works around),
so a firebase-tools upgrade that changes it fails here first.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from sandbox import emulator
from sandbox.provider.identitytoolkit import ApiError, IdentityToolkit


def test_ensure_running_starts_once_reuses_and_stop_recorded_stops(tmp_path: Path) -> None:
    state = tmp_path / "state"
    first = emulator.ensure_running(state, project_id="demo-lifecycle")
    try:
        assert emulator.is_ready(first.host)
        assert (state / "emulator.json").exists()
        again = emulator.ensure_running(state, project_id="demo-lifecycle")
        assert (again.pid, again.host) == (first.pid, first.host)
        assert emulator.running(state) == again
    finally:
        assert emulator.stop_recorded(state) is True
    with pytest.raises(ProcessLookupError):
        os.killpg(first.pid, 0)  # the whole process group is gone
    assert not emulator.is_ready(first.host)
    assert emulator.running(state) is None
    assert emulator.stop_recorded(state) is False


def test_only_demo_projects_run_offline() -> None:
    with pytest.raises(emulator.EmulatorError, match="demo-"):
        emulator.start("my-real-project")


def test_a_missing_install_says_how_to_install(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(emulator, "_FIREBASE_JS", tmp_path / "missing.js")
    with pytest.raises(emulator.EmulatorNotInstalled, match="scripts/bootstrap --sandbox"):
        emulator.start("demo-missing")


def test_the_session_emulator_answers(auth_emulator: emulator.Emulator) -> None:
    assert emulator.is_ready(auth_emulator.host)
    assert auth_emulator.host.startswith("127.0.0.1:")


def test_create_assigns_the_tenant_id(toolkit: IdentityToolkit, project: str) -> None:
    created = toolkit.create_tenant(project, {"displayName": "Acme", "allowPasswordSignup": True})
    assert len(created["tenantId"]) == 28
    assert created["name"] == f"projects/{project}/tenants/{created['tenantId']}"
    assert created["allowPasswordSignup"] is True
    assert created["enableEmailLinkSignin"] is False and created["disableAuth"] is False
    assert [t["tenantId"] for t in toolkit.list_tenants(project)] == [created["tenantId"]]


def test_the_emulator_does_not_enforce_the_display_name_rule(
    toolkit: IdentityToolkit, project: str
) -> None:
    # Which is why the provider's check does.
    created = toolkit.create_tenant(project, {"displayName": "1 bad name!!"})
    assert created["displayName"] == "1 bad name!!"


def test_create_drops_client_but_patch_with_a_mask_stores_it(
    toolkit: IdentityToolkit, project: str
) -> None:
    client = {"permissions": {"disabledUserSignup": True, "disabledUserDeletion": False}}
    created = toolkit.create_tenant(project, {"displayName": "Acme", "client": client})
    assert "client" not in created
    mask = ["client.permissions.disabledUserSignup", "client.permissions.disabledUserDeletion"]
    patched = toolkit.patch_tenant(project, created["tenantId"], {"client": client}, mask)
    assert patched["client"] == client
    assert toolkit.get_tenant(project, created["tenantId"])["client"] == client


def test_patch_changes_only_the_masked_fields(toolkit: IdentityToolkit, project: str) -> None:
    tenant_id = toolkit.create_tenant(
        project, {"displayName": "Acme", "allowPasswordSignup": True}
    )["tenantId"]
    patched = toolkit.patch_tenant(
        project, tenant_id, {"displayName": "Acme-2", "disableAuth": True}, ["displayName"]
    )
    assert patched["displayName"] == "Acme-2"
    assert patched["disableAuth"] is False and patched["allowPasswordSignup"] is True


def test_delete_removes_the_tenant(toolkit: IdentityToolkit, project: str) -> None:
    tenant_id = toolkit.create_tenant(project, {"displayName": "Acme"})["tenantId"]
    toolkit.delete_tenant(project, tenant_id)
    assert toolkit.find_tenant(project, tenant_id) is None


def test_get_of_a_missing_tenant_creates_it(toolkit: IdentityToolkit, project: str) -> None:
    # The quirk behind find_tenant listing instead of GETting.
    assert toolkit.find_tenant(project, "nosuchtenant") is None
    toolkit.get_tenant(project, "nosuchtenant")
    assert toolkit.find_tenant(project, "nosuchtenant") is not None


def test_idp_config_methods_are_not_implemented(
    auth_emulator: emulator.Emulator, project: str
) -> None:
    toolkit = IdentityToolkit(auth_emulator.host)
    tenant_id = toolkit.create_tenant(project, {"displayName": "Acme"})["tenantId"]
    with pytest.raises(ApiError) as raised:
        toolkit._call("POST", f"projects/{project}/tenants/{tenant_id}/oauthIdpConfigs", body={})
    assert raised.value.status == 501 and raised.value.code == "NOT_IMPLEMENTED"


def test_requests_without_the_owner_token_are_refused(
    auth_emulator: emulator.Emulator, project: str
) -> None:
    import urllib.error
    import urllib.request

    url = (
        f"http://{auth_emulator.host}/identitytoolkit.googleapis.com/v2/projects/{project}/tenants"
    )
    with pytest.raises(urllib.error.HTTPError) as raised:
        request = urllib.request.Request(url, data=b'{"displayName": "Acme"}', method="POST")
        request.add_header("Content-Type", "application/json")
        urllib.request.urlopen(request, timeout=10)
    assert raised.value.code == 403
