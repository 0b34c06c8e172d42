"""Where client secrets come from: `env` locally, Secret Manager by convention in CI's
acting jobs, `unread` ("not compared") in previews, which never run outside a preview."""

from __future__ import annotations

import pytest
from program_harness import (
    DEFAULT_IDP,
    FINGERPRINT,
    GCP_PROJECT,
    OIDC_FLOW,
    SIGN_IN,
    Harness,
    execute,
    secret_manager_value,
)

from reconciler.program.secrets import (
    NOT_COMPARED,
    SecretSourceError,
    conventional_secret_id,
    resolve_secrets,
    secret_source,
)
from reconciler.program.tenant import tenant_program
from reconciler.settings import read_settings

SOURCE = "RECONCILER_CLIENT_SECRETS"


@pytest.mark.parametrize(
    ("environ", "source"),
    [
        ({}, "env"),
        ({SOURCE: ""}, "env"),
        ({SOURCE: "env"}, "env"),
        ({SOURCE: "secret-manager"}, "secret-manager"),
        ({SOURCE: " unread "}, "unread"),
    ],
)
def test_secret_source(environ: dict[str, str], source: str) -> None:
    assert secret_source(read_settings(environ).client_secrets) == source


def test_an_unknown_source_is_refused_with_the_choices() -> None:
    with pytest.raises(SecretSourceError, match="env, secret-manager, unread"):
        secret_source(read_settings({SOURCE: "vault"}).client_secrets)


@pytest.mark.parametrize(
    ("tenant", "idp", "secret"),
    [
        ("acme", "google.com", "tenant-acme-google-client-secret"),
        ("tenant-one", "github.com", "tenant-tenant-one-github-client-secret"),
        ("acme", "microsoft.com", "tenant-acme-microsoft-client-secret"),
        ("acme", "oidc.corp-sso", "tenant-acme-oidc-corp-sso-client-secret"),
        ("acme", "facebook.com", "tenant-acme-facebook-client-secret"),
        ("acme", "+15555550100", "tenant-acme-test-phone-15555550100-code"),
    ],
)
def test_the_naming_convention(tenant: str, idp: str, secret: str) -> None:
    assert conventional_secret_id(tenant, idp) == secret


def test_in_ci_a_from_env_reference_reads_secret_manager_by_convention(mocked: Harness) -> None:
    tenant = mocked.tenant("tenant-one")  # fromEnv: TENANT_ONE_GOOGLE_CLIENT_SECRET
    secrets = resolve_secrets(tenant, {}, source="secret-manager")  # no variable needed
    assert "secret-manager:projects/<platform project>/secrets/tenant-tenant-one-google" in (
        repr(secrets)
    )
    run = execute(tenant_program(tenant, mocked.platform, FINGERPRINT, secrets), "tenant-one")
    [call] = run.calls
    assert call.args["secret"] == "tenant-tenant-one-google-client-secret"
    idp = run.one(DEFAULT_IDP)
    expected = secret_manager_value("tenant-tenant-one-google-client-secret", "latest", GCP_PROJECT)
    assert idp.inputs["clientSecret"]["value"] == expected  # a secret, as sent


def test_a_preview_reads_no_secret_and_marks_it_not_compared(harness: Harness) -> None:
    tenant = harness.tenant("every-field")
    secrets = resolve_secrets(tenant, {}, source="unread")  # no variable, no Secret Manager
    assert secrets.not_compared() == (
        "+15555550100",
        "+447700900123",
        "google.com",
        "microsoft.com",
        "oidc.acme-okta",
    )
    assert secrets.ignored_properties("google.com") == ["clientSecret"]
    assert f"google.com={NOT_COMPARED}" in repr(secrets)
    run = execute(
        tenant_program(tenant, harness.platform, FINGERPRINT, secrets), "every-field", preview=True
    )
    assert run.calls == []  # Secret Manager was never asked
    assert run.of_type(DEFAULT_IDP)  # every other part of the tenant is still declared
    # The codes and the OIDC flow's secret are kept as deployed, like the IdP configs' secrets.
    assert run.one(SIGN_IN).ignore_changes == ("testPhoneNumbers",)
    assert run.one(OIDC_FLOW).ignore_changes == ("clientSecret",)


def test_read_secrets_leave_nothing_ignored_on_the_dynamic_resources(harness: Harness) -> None:
    run = harness.run(harness.tenant("every-field"))
    assert run.one(SIGN_IN).ignore_changes == ()
    assert run.one(OIDC_FLOW).ignore_changes == ()


def test_unread_secrets_never_reach_an_update(harness: Harness) -> None:
    tenant = harness.tenant("tenant-one")
    secrets = resolve_secrets(tenant, {}, source="unread")
    program = tenant_program(tenant, harness.platform, FINGERPRINT, secrets)
    with pytest.raises(Exception, match="was not read"):
        execute(program, "tenant-one", preview=False)


def test_resolved_secrets_keep_nothing_to_ignore_when_read(harness: Harness) -> None:
    secrets = resolve_secrets(harness.tenant("tenant-one"), {}, source="secret-manager")
    assert secrets.ignored_properties("google.com") == []
    assert secrets.not_compared() == ()
