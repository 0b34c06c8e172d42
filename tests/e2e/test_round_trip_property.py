"""Perpetual-diff detector: generated valid manifests, applied on the real engine and the
sandbox, must then show no change and no drift, and a tenant made in the console with the
API's defaults must adopt without one.

A value the provider does not round-trip (sent but never read back, read back in another
form) shows as an update on every `up` and as drift on every `drift` run: here, as a
failing forced apply or a drifted tenant. The generator is seeded (random.Random(SEED)), so
a failure is reproducible; its manifests are printed with the failure.
"""

from __future__ import annotations

import random
import secrets

import pytest

from tests.e2e.harness import PROJECT, TenantRepo
from tests.e2e.identity import call
from tests.repo import MANIFEST_FIXTURES

pytestmark = pytest.mark.e2e

SEED = 21
COUNT = 3
"""Generated tenants per run: a handful, so the test stays within about two minutes."""

_CERTIFICATE = (MANIFEST_FIXTURES / "valid" / "every-field.yaml").read_text()
_CERTIFICATE = _CERTIFICATE[
    _CERTIFICATE.index("-----BEGIN CERTIFICATE-----") : _CERTIFICATE.index(
        "-----END CERTIFICATE-----"
    )
    + len("-----END CERTIFICATE-----")
]


def _flag(rng: random.Random) -> str | None:
    return rng.choice([None, "true", "false"])


def _variable(name: str) -> str:
    return name.upper().replace("-", "_") + "_GOOGLE_CLIENT_SECRET"


def generated_manifest(rng: random.Random, name: str, display: str) -> str:
    """One valid manifest drawing every field the program turns into an input."""
    lines = [
        "apiVersion: mlaas.dev/v1",
        "kind: Tenant",
        "metadata:",
        f"  name: {name}",
        "  owner: ml-platform@example.com",
    ]
    if rng.random() < 0.6:
        lines += ["  labels:", f"    tier: {rng.choice(['standard', 'gold'])}"]
    lines += ["spec:", f"  displayName: {display}", "  auth:"]
    for key in ("allowPasswordSignup", "enableEmailLinkSignin", "disableAuth"):
        if (value := _flag(rng)) is not None:
            lines.append(f"    {key}: {value}")
    permissions = [
        f"      {key}: {value}"
        for key in ("disabledUserSignup", "disabledUserDeletion")
        if (value := _flag(rng)) is not None
    ]
    if permissions or rng.random() < 0.3:
        lines += ["    clientPermissions:" + ("" if permissions else " {}"), *permissions]
    mfa = rng.choice([None, "DISABLED", "ENABLED"])
    if mfa == "ENABLED":
        lines += ["    mfa:", "      state: ENABLED", "      factors: [PHONE_SMS]"]
    elif mfa == "DISABLED":
        lines += ["    mfa: {state: DISABLED}"]
    providers = []
    if rng.random() < 0.7:
        providers += [
            "    - id: google.com",
            f"      clientId: {rng.randrange(10**11, 10**12)}-{name}.apps.googleusercontent.com",
            f"      clientSecret: {{fromEnv: {_variable(name)}}}",
        ]
        if rng.random() < 0.3:
            providers.append("      enabled: false")
    if rng.random() < 0.6:
        providers += [
            f"    - id: oidc.{rng.choice(['acme-okta', 'Acme_Okta.eu'])}",
            "      displayName: Acme Okta",
            "      issuer: https://acme.okta.example.com",
            "      clientId: 0oa1acme",
        ]
        if rng.random() < 0.3:
            providers.append("      enabled: false")
    if rng.random() < 0.6:
        certificate = "\n".join("            " + line for line in _CERTIFICATE.splitlines())
        providers += [
            f"    - id: saml.{rng.choice(['acme-adfs', 'acme.corp'])}",
            "      displayName: Acme ADFS",
            "      idp:",
            "        entityId: https://adfs.acme.example.com/adfs/services/trust",
            "        ssoUrl: https://adfs.acme.example.com/adfs/ls/",
            f"        signRequest: {rng.choice(['true', 'false'])}",
            "        certificates:",
            "          - |",
            certificate,
            "      sp:",
            "        entityId: https://mlaas.example.com/saml/acme",
            "        callbackUri: https://mlaas.example.com/__/auth/handler",
        ]
    if providers:
        lines += ["  identityProviders:", *providers]
    lines += ["  storage:", f"    location: {rng.choice(['EU', 'eu', 'europe-west4', 'US'])}"]
    if rng.random() < 0.5:
        lines.append(f"    storageClass: {rng.choice(['STANDARD', 'NEARLINE'])}")
    retention = rng.random() < 0.5
    versioning = rng.choice([None, "false"] if retention else [None, "true", "false"])
    if versioning is not None:
        lines.append(f"    versioning: {versioning}")
    if retention:
        lines.append(f"    retentionDays: {rng.choice([1, 30])}")
    lines += ["  access:", "    admins: [user:alice@example.com]"]
    if rng.random() < 0.5:
        lines.append("    members: [group:Data-Scientists@example.com]")
    return "\n".join(lines) + "\n"


def _steps(result) -> dict[str, list]:
    return {t["tenant"]: t.get("steps", []) for t in result.json()["tenants"]}


def test_generated_manifests_apply_then_show_no_change_and_no_drift(tenant_repo: TenantRepo):
    repo = tenant_repo
    rng = random.Random(SEED)
    for old in ("tenant-one", "tenant-two"):
        repo.manifest(old).unlink()
    manifests = {}
    for index in range(COUNT):
        name = f"gen-{index}"
        manifests[name] = generated_manifest(rng, name, f"Gen-{secrets.token_hex(3)}")
        repo.manifest(name).write_text(manifests[name])
        repo.env[_variable(name)] = f"s3cr3t-{secrets.token_hex(8)}"
    shown = "\n---\n".join(manifests.values())
    assert repo.run("validate").code == 0, shown

    applied = repo.run("apply", "--format", "json")
    assert applied.code == 0, applied.stdout + applied.stderr + shown
    # An up with nothing to do changes nothing: no step, for every generated tenant.
    again = repo.run("apply", "--force", "--format", "json")
    assert again.code == 0, again.stdout + again.stderr
    assert _steps(again) == {name: [] for name in manifests}, shown
    drift = repo.run("drift", "--format", "json")
    assert drift.code == 0, drift.stdout + shown
    assert {t["status"] for t in drift.json()["tenants"]} == {"in-sync"}


def test_a_console_made_tenant_with_the_api_defaults_adopts_without_a_change(
    tenant_repo: TenantRepo,
):
    """The console sets only what its form asks for; everything else is the API's default
    (no client block, false flags): the manifest that says nothing more imports cleanly and
    then shows no change."""
    repo = tenant_repo
    host = repo.env["FIREBASE_AUTH_EMULATOR_HOST"]
    display = f"Console-{secrets.token_hex(3)}"
    status, body = call(
        host,
        "POST",
        f"identitytoolkit.googleapis.com/v2/projects/{PROJECT}/tenants",
        {"displayName": display, "allowPasswordSignup": True},
    )
    assert status == 200, body
    for old in ("tenant-one", "tenant-two"):
        repo.manifest(old).unlink()
    repo.manifest("console-made").write_text(
        "apiVersion: mlaas.dev/v1\nkind: Tenant\nmetadata:\n  name: console-made\n"
        f"  owner: ml-platform@example.com\nspec:\n  displayName: {display}\n  adopt: {{}}\n"
        "  auth:\n    allowPasswordSignup: true\n  storage:\n    location: eu\n"
    )
    adopted = repo.run("adopt", "--format", "json")
    assert adopted.code == 0, adopted.stdout + adopted.stderr
    forced = repo.run("apply", "--force", "--format", "json")
    assert forced.code == 0, forced.stdout + forced.stderr
    assert _steps(forced) == {"console-made": []}
    drift = repo.run("drift", "--format", "json")
    assert drift.code == 0, drift.stdout
