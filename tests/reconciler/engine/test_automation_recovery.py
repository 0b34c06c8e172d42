"""The deployment edit that adopts or drops a killed run's pending creates, and the lock
check that keeps a live run's operations out of it."""

from __future__ import annotations

from pathlib import Path

from reconciler.engine.automation.recovery import adopt_pending, checkpoint_locked
from reconciler.engine.port import EngineSettings

IDP = "urn:pulumi:acme::p::gcp:identityplatform/tenantDefaultSupportedIdpConfig:X::acme-idp"
GRANT = "urn:pulumi:acme::p::gcp:storage/bucketIAMMember:BucketIAMMember::acme-grant"
BUCKET = "urn:pulumi:acme::p::gcp:storage/bucket:Bucket::acme-data"


def entry(kind: str, urn: str) -> dict:
    return {"type": kind, "resource": {"urn": urn, "custom": True, "inputs": {"a": "b"}}}


def test_an_import_becomes_a_resource_with_its_id_other_creates_go_the_rest_stay():
    deployment = {
        "resources": [{"urn": "urn:stack"}],
        "pending_operations": [
            entry("creating", IDP),
            entry("creating", GRANT),
            entry("updating", BUCKET),
        ],
    }
    edited = adopt_pending(deployment, {IDP: "projects/p/tenants/t/x/google.com"})
    assert edited["resources"] == [
        {"urn": "urn:stack"},
        {
            "urn": IDP,
            "custom": True,
            "inputs": {"a": "b"},
            "id": "projects/p/tenants/t/x/google.com",
        },
    ]
    assert edited["pending_operations"] == [entry("updating", BUCKET)]  # the refresh's
    assert deployment["pending_operations"][0]["type"] == "creating"  # the input is untouched


def _settings(root: Path) -> EngineSettings:
    return EngineSettings("p", f"file://{root}", "passphrase", root / "w", root / "pulumi")


def test_a_held_lock_is_seen_and_a_sidecar_alone_is_not_one(tmp_path: Path):
    folder = tmp_path / ".pulumi/locks/organization/p/acme"
    folder.mkdir(parents=True)
    assert checkpoint_locked(_settings(tmp_path), "acme") is False
    (folder / "x.json.attrs").write_text("{}")
    assert checkpoint_locked(_settings(tmp_path), "acme") is False
    (folder / "x.json").write_text("{}")
    assert checkpoint_locked(_settings(tmp_path), "acme") is True
    assert checkpoint_locked(_settings(tmp_path), "other") is False
