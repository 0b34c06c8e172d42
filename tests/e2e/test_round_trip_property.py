"""Perpetual-diff detector: generated valid manifests, applied on the real engine and the
sandbox, must then show no change and no drift, and a tenant made in the console with the
API's defaults must adopt without one.

A value the provider does not round-trip (sent but never read back, read back in another
form) shows as an update on every `up` and as drift on every `drift` run: here, as a
failing forced apply or a drifted tenant. The generator is seeded (random.Random(SEED)), so
a failure is reproducible; its manifests are printed with the failure. It draws issue 24's
sign-in settings and OIDC flows too: those are sent by the reconciler's own dynamic
resources, whose read must answer what they sent.
"""

from __future__ import annotations

import random
import secrets

import pytest

from tests.e2e.harness import PROJECT, TenantRepo
from tests.e2e.identity import call
from tests.repo import MANIFEST_FIXTURES

pytestmark = pytest.mark.e2e

SEED = 1191
"""The first seed from 21 whose tenants together draw every kind of input (`DRAWN`)."""
COUNT = 3
"""Generated tenants per run: a handful, so the test stays within about two minutes."""
DRAWN = (
    "labels:", "disabledUser", "enableAnonymousUser: true", "autodeleteAnonymousUsers",
    "enableImprovedEmailPrivacy: true", "inheritEmailSending: true", "requestLogging",
    "mobileLinksDomain", "TOTP", "enforcementState: ENFORCE", "allowedRegions",
    "disallowedRegions", "emailPasswordEnforcementState", "phoneEnforcementState",
    "testPhoneNumbers", "google.com", "oidc.", "responseType: code", "responseType: idToken",
    "saml.", "storageClass", "versioning: true", "retentionDays", "members:",
)  # fmt: skip
"""What the seeded manifests must contain between them: each setting the program sends,
on and off its default (checked below, so a change to the generator cannot quietly drop
one)."""

_CERTIFICATE = (MANIFEST_FIXTURES / "valid" / "every-field.yaml").read_text()
_CERTIFICATE = _CERTIFICATE[
    _CERTIFICATE.index("-----BEGIN CERTIFICATE-----") : _CERTIFICATE.index(
        "-----END CERTIFICATE-----"
    )
    + len("-----END CERTIFICATE-----")
]


def _flag(rng: random.Random) -> str | None:
    return rng.choice([None, "true", "false"])


def _variable(name: str, what: str = "GOOGLE") -> str:
    """The tenant's own variable for a secret (`<NAME>_...`, as ownership requires)."""
    suffix = "TEST_PHONE_CODE" if what == "PHONE" else f"{what}_CLIENT_SECRET"
    return f"{name.upper().replace('-', '_')}_{suffix}"


def _phone_number(name: str) -> str:
    return f"+1555555{int(name.rsplit('-', 1)[-1]):04d}"


_CHOICES = {
    "mfa": [
        "{state: DISABLED}",
        "{state: ENABLED, factors: [PHONE_SMS]}",
        "{state: MANDATORY, factors: [PHONE_SMS, TOTP], totpAdjacentIntervals: 3}",
    ],
    "passwordPolicy": [
        "{enforcementState: OFF}",
        "{enforcementState: ENFORCE, minLength: 12, maxLength: 64, requireNumeric: true}",
    ],
    "smsRegions": ["{allowedRegions: [US, CA]}", "{disallowedRegions: [KP]}"],
    "recaptcha": [
        "{emailPasswordEnforcementState: AUDIT, managedRules: [{endScore: 0.3, action: BLOCK}]}",
        "{phoneEnforcementState: ENFORCE, useSmsBotScore: true, useSmsTollFraudProtection: true,"
        " tollFraudManagedRules: [{startScore: 0.8, action: BLOCK}], useAccountDefender: true}",
    ],
    "mobileLinksDomain": ["HOSTING_DOMAIN", "FIREBASE_DYNAMIC_LINK_DOMAIN"],
}
"""Values of issue 24's sign-in settings (docs/sign-in.md), each drawn or left out."""


def _sign_in_settings(rng: random.Random, name: str) -> list[str]:
    """spec.auth's sign-in settings, each present or absent (absent: the API's default, or
    left as it is), and a test phone number whose code is a secret reference."""
    lines = []
    for key in (
        "enableAnonymousUser",
        "autodeleteAnonymousUsers",
        "enableImprovedEmailPrivacy",
        "inheritEmailSending",
        "requestLogging",
    ):
        if (value := _flag(rng)) is not None:
            lines.append(f"    {key}: {value}")
    for key, values in _CHOICES.items():
        if rng.random() < 0.6:
            lines.append(f"    {key}: {rng.choice(values)}")
    if rng.random() < 0.5:
        number, variable = _phone_number(name), _variable(name, "PHONE")
        lines.append(f'    testPhoneNumbers: {{"{number}": {{fromEnv: {variable}}}}}')
    return lines


def generated_manifest(rng: random.Random, name: str, display: str) -> str:
    """One valid manifest drawing every field the program turns into an input (pulumi-gcp's and
    the sign-in settings' and OIDC flow's, sandbox/contract.py)."""
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
    lines += _sign_in_settings(rng, name)
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
        flow = rng.choice([None, "idToken", "code"])
        if flow is not None:
            providers.append(f"      responseType: {flow}")
        if flow == "code":
            providers.append(f"      clientSecret: {{fromEnv: {_variable(name, 'OKTA')}}}")
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


def _generated() -> dict[str, str]:
    rng = random.Random(SEED)
    return {
        f"gen-{index}": generated_manifest(rng, f"gen-{index}", f"Gen-{secrets.token_hex(3)}")
        for index in range(COUNT)
    }


def test_the_seeded_manifests_draw_every_kind_of_input():
    drawn = "".join(_generated().values())
    assert [what for what in DRAWN if what not in drawn] == []


def _steps(result) -> dict[str, list]:
    return {t["tenant"]: t.get("steps", []) for t in result.json()["tenants"]}


def test_generated_manifests_apply_then_show_no_change_and_no_drift(tenant_repo: TenantRepo):
    repo = tenant_repo
    for old in ("tenant-one", "tenant-two"):
        repo.manifest(old).unlink()
    manifests = _generated()
    for name, manifest in manifests.items():
        repo.manifest(name).write_text(manifest)
        repo.env[_variable(name)] = f"s3cr3t-{secrets.token_hex(8)}"
        repo.env[_variable(name, "OKTA")] = f"okta-{secrets.token_hex(8)}"
        repo.env[_variable(name, "PHONE")] = f"{secrets.randbelow(10**6):06d}"
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
