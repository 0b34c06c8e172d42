"""Previews take no production lock and decrypt nothing (issue 22), on the real engine.

A deployed fleet whose state holds secrets (the IdP client secrets, the dynamic MFA
provider): `reconciler preview` runs with no passphrase at all (the sandbox's stand-in for
the KMS key the preview identity no longer holds), and the state backend is, afterwards,
exactly as before, down to every directory's modification time: no lock was taken, no
file written, not even for a moment. The preview still shows each change, and only the
changes: a tenant whose resources are unchanged previews with no step, on the copy as in
place (a local preview that reads the secrets runs on the stack itself: review 22-24, A5).
"""

from __future__ import annotations

import hashlib
import os
import secrets
from pathlib import Path

import pytest

from tests.e2e.harness import GcsTenantRepo, Result, TenantRepo

pytestmark = pytest.mark.e2e

PASSPHRASES = ("PULUMI_CONFIG_PASSPHRASE", "PULUMI_CONFIG_PASSPHRASE_FILE")
OKTA = """\
    - id: oidc.acme-okta
      displayName: Acme Okta
      issuer: https://acme.okta.example.com
      clientId: 0oa1acme
      responseType: idToken
      clientSecret:
        fromEnv: TENANT_ONE_OKTA_CLIENT_SECRET
"""
TEST_PHONE = """\
    testPhoneNumbers:
      "+15555550100": {fromEnv: TENANT_ONE_TEST_PHONE_CODE}
"""


def tree(root: Path) -> dict[str, tuple[int, int, str]]:
    """Every file and folder under `root`: mtime (a folder's changes when an entry is
    added or removed, so a lock taken and released shows), size and content digest."""
    found = {}
    for path in [root, *sorted(root.rglob("*"))]:
        info = path.stat()
        digest = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "dir"
        found[str(path.relative_to(root))] = (info.st_mtime_ns, info.st_size, digest)
    return found


def preview_without_the_key(repo: TenantRepo) -> Result:
    env = {k: v for k, v in repo.env.items() if k not in PASSPHRASES}
    env["RECONCILER_CLIENT_SECRETS"] = "unread"  # as tenant-preview.yml runs it
    saved, repo.env = repo.env, env
    try:
        return repo.run("preview", "--format", "json")
    finally:
        repo.env = saved


def test_a_preview_needs_neither_the_key_nor_a_write_to_the_state(tenant_repo: TenantRepo) -> None:
    applied = tenant_repo.run("apply", "--format", "json")
    assert applied.code == 0, applied.stderr
    checkpoint = (tenant_repo.state / ".pulumi/stacks/mlaas-tenants/tenant-one.json").read_text()
    assert '"ciphertext"' in checkpoint  # the state does hold secrets
    # Bucket labels: the provider marks the bucket's label maps secret, so the copy holds
    # placeholders where the state has maps, and the change must still show.
    tenant_repo.edit("tenant-two", "tier: standard", "tier: premium")
    tenant_repo.edit("tenant-one", "spec:\n", "spec:\n  decommission: true\n")
    before = tree(tenant_repo.state)

    preview = preview_without_the_key(tenant_repo)

    assert preview.code == 0, preview.stdout + preview.stderr
    outcomes = {t["tenant"]: t for t in preview.json()["tenants"]}
    assert outcomes["tenant-two"]["status"] == "planned"
    assert [(s["op"], s["type"], s["diffs"]) for s in outcomes["tenant-two"]["steps"]] == [
        ("update", "gcp:storage/bucket:Bucket", ["labels"])
    ], preview.stdout
    one = outcomes["tenant-one"]
    assert one["action"] == "delete" and one["status"] == "planned", one
    assert {s["op"] for s in one["steps"]} >= {"delete"}
    assert tree(tenant_repo.state) == before
    assert not (tenant_repo.state / ".pulumi" / "locks").exists() or not any(
        p.is_file() for p in (tenant_repo.state / ".pulumi" / "locks").rglob("*")
    )
    # Nothing of the preview's scratch copy stays behind.
    leftovers = [p for p in Path(os.environ.get("TMPDIR", "/tmp")).glob("reconciler-snapshot-*")]
    assert leftovers == []


def test_a_preview_on_a_gs_backend_copies_the_state_from_the_bucket(gcs_repo: GcsTenantRepo):
    """On a `gs://` backend the copy is read through the same client as plan's bulk read,
    at STORAGE_EMULATOR_HOST when set (fake-gcs-server here): the preview sees the change,
    takes no lock in the bucket and needs no key."""
    applied = gcs_repo.run("apply", "--format", "json")
    assert applied.code == 0, applied.stdout + applied.stderr
    gcs_repo.edit("tenant-two", "tier: standard", "tier: premium")

    preview = preview_without_the_key(gcs_repo)

    assert preview.code == 0, preview.stdout + preview.stderr
    two = {t["tenant"]: t for t in preview.json()["tenants"]}["tenant-two"]
    assert two["status"] == "planned", two
    assert [(s["op"], s["type"]) for s in two["steps"]] == [
        ("update", "gcp:storage/bucket:Bucket")
    ], preview.stdout
    assert gcs_repo.locks() == []


def test_a_tenant_whose_resources_are_unchanged_previews_no_step(tenant_repo: TenantRepo):
    """Every kind of secret the state holds: an IdP's client secret (google.com), an OIDC
    provider on the implicit flow (its flow resource's empty secret output), a test phone
    number's code, and the dynamic providers themselves. A pull request that changes no
    resource (a default written out) previews as planned with no step: on CI's copy (no
    key, secrets unread, placeholders in the old state) and locally, secrets read, on the
    stack itself (a copy would compare each real secret with its placeholder)."""
    repo = tenant_repo
    repo.edit("tenant-one", "  storage:\n", OKTA + "  storage:\n")
    repo.edit(
        "tenant-one",
        "    allowPasswordSignup: true\n",
        "    allowPasswordSignup: true\n" + TEST_PHONE,
    )
    repo.env.update(
        TENANT_ONE_TEST_PHONE_CODE=f"{secrets.randbelow(10**6):06d}",
        TENANT_ONE_OKTA_CLIENT_SECRET=f"okta-{secrets.token_hex(12)}",
    )
    applied = repo.run("apply", "--format", "json")
    assert applied.code == 0, applied.stdout + applied.stderr
    # The manifest changes (so the tenant is planned), what it deploys does not.
    repo.edit("tenant-one", "    - id: google.com\n", "    - id: google.com\n      enabled: true\n")

    for how, preview in (
        ("on the copy", preview_without_the_key(repo)),
        ("in place, secrets read", repo.run("preview", "--format", "json")),
    ):
        assert preview.code == 0, how + preview.stdout + preview.stderr
        outcomes = {t["tenant"]: t for t in preview.json()["tenants"]}
        one = outcomes["tenant-one"]
        assert (one["status"], outcomes["tenant-two"]["status"]) == ("planned", "unchanged"), how
        assert [(s["op"], s["type"], s.get("diffs")) for s in one["steps"]] == [], how
