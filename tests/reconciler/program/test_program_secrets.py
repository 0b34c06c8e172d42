"""Secret references: resolved before the engine starts, secret Outputs inside it, never shown."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pulumi
import pytest
from program_harness import (
    ENVIRONMENT,
    GCP_PROJECT,
    LATEST_VERSION,
    Harness,
    execute,
    secret_manager_value,
    tenant_of,
)

from reconciler.manifests.model import Tenant
from reconciler.program.secrets import (
    MissingSecretError,
    ResolvedSecrets,
    resolve_secrets,
    used_secret_refs,
)
from reconciler.program.tenant import tenant_program


def every_field(harness: Harness, **idp_changes: dict[str, Any]) -> Tenant:
    """The every-field tenant, with some IdPs (by id) changed."""
    document = harness.document("every-field")
    for idp in document["spec"]["identityProviders"]:
        idp.update(idp_changes.get(idp["id"], {}))
    return tenant_of(document)


def test_env_secrets_are_read_and_secret_manager_ones_deferred(harness: Harness):
    secrets = resolve_secrets(harness.tenant("every-field"), ENVIRONMENT)
    assert secrets.tenant == "every-field"
    # Test phone numbers' codes are secrets of the same kind, keyed by the number.
    assert secrets.idp_ids() == (
        "+15555550100",
        "+447700900123",
        "google.com",
        "microsoft.com",
        "oidc.acme-okta",
    )


def test_missing_variable_is_one_error_naming_variable_idp_and_file(harness: Harness):
    tenant = harness.tenant("tenant-one")
    with pytest.raises(MissingSecretError) as raised:
        resolve_secrets(tenant, {})
    error = raised.value
    assert error.tenant == "tenant-one"
    assert error.source == tenant.source
    assert str(error) == (
        f"{tenant.source}: tenant tenant-one is missing 1 secret:\n"
        "  - TENANT_ONE_GOOGLE_CLIENT_SECRET is not set "
        "(client secret of identity provider google.com)"
    )


def test_every_missing_variable_is_listed_at_once(harness: Harness):
    tenant = every_field(
        harness, **{"microsoft.com": {"clientSecret": {"fromEnv": "ACME_MICROSOFT_SECRET"}}}
    )
    with pytest.raises(MissingSecretError) as raised:
        resolve_secrets(tenant, {"ACME_MICROSOFT_SECRET": ""})
    missing = [(m.variable, m.idp_id, m.empty) for m in raised.value.missing]
    assert missing == [
        ("EVERY_FIELD_GOOGLE_CLIENT_SECRET", "google.com", False),
        ("ACME_MICROSOFT_SECRET", "microsoft.com", True),
        ("EVERY_FIELD_TEST_PHONE_CODE", "+15555550100", False),
    ]
    assert "3 secrets" in str(raised.value)
    assert "EVERY_FIELD_TEST_PHONE_CODE is not set (code of test phone number +15555550100)" in (
        str(raised.value)
    )
    assert "ACME_MICROSOFT_SECRET is set but empty" in str(raised.value)


@pytest.mark.parametrize("blank", ["", " ", "\n\t"])
def test_empty_or_blank_variable_is_missing(harness: Harness, blank: str):
    with pytest.raises(
        MissingSecretError, match="TENANT_ONE_GOOGLE_CLIENT_SECRET is set but empty"
    ):
        resolve_secrets(harness.tenant("tenant-one"), {"TENANT_ONE_GOOGLE_CLIENT_SECRET": blank})


@pytest.mark.parametrize("code", ["12345", "1234567", "12a456", "١٢٣٤٥٦"])
def test_a_test_phone_code_that_is_not_six_digits_is_refused_without_showing_it(
    harness: Harness, code: str
):
    environ = {**ENVIRONMENT, "EVERY_FIELD_TEST_PHONE_CODE": code}
    with pytest.raises(MissingSecretError) as raised:
        resolve_secrets(harness.tenant("every-field"), environ)
    assert str(raised.value).endswith(
        "EVERY_FIELD_TEST_PHONE_CODE does not hold a six-digit code "
        "(code of test phone number +15555550100)"
    )
    assert code not in str(raised.value)


def test_secret_manager_references_need_no_environment(harness: Harness):
    tenant = every_field(harness)
    environ = {"EVERY_FIELD_GOOGLE_CLIENT_SECRET": "x", "EVERY_FIELD_TEST_PHONE_CODE": "123456"}
    secrets = resolve_secrets(tenant, environ)
    assert "microsoft.com" in secrets.idp_ids()


def test_id_token_oidc_provider_needs_no_client_secret(harness: Harness):
    change = {"responseType": "idToken", "clientSecret": {"fromEnv": "UNSET_OKTA_SECRET"}}
    tenant = every_field(harness, **{"oidc.acme-okta": change})
    assert "oidc.acme-okta" not in dict(used_secret_refs(tenant))
    assert "oidc.acme-okta" not in resolve_secrets(tenant, ENVIRONMENT).idp_ids()


def test_code_flow_oidc_provider_needs_its_client_secret(harness: Harness):
    change = {"responseType": "code", "clientSecret": {"fromEnv": "UNSET_OKTA_SECRET"}}
    tenant = every_field(harness, **{"oidc.acme-okta": change})
    with pytest.raises(MissingSecretError, match="UNSET_OKTA_SECRET is not set"):
        resolve_secrets(tenant, ENVIRONMENT)


@pytest.mark.parametrize("show", [repr, str, "{}".format, lambda s: f"{s!r} {s}"])
def test_resolved_secrets_never_show_values(harness: Harness, show: Any):
    secrets = resolve_secrets(harness.tenant("every-field"), ENVIRONMENT)
    text = show(secrets)
    assert ENVIRONMENT["EVERY_FIELD_GOOGLE_CLIENT_SECRET"] not in text
    assert "google.com=env:EVERY_FIELD_GOOGLE_CLIENT_SECRET" in text
    assert "microsoft.com=secret-manager:projects/<platform project>/secrets/" in text


def test_resolved_secrets_internals_are_masked_too():
    secrets = ResolvedSecrets("t", {"google.com": ("VAR", "s3cr3t-value")}, {})
    assert "s3cr3t-value" not in repr(vars(secrets))


def test_resolve_reads_only_the_given_mapping(harness: Harness, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("TENANT_ONE_GOOGLE_CLIENT_SECRET", "from-process-environment")
    with pytest.raises(MissingSecretError):
        resolve_secrets(harness.tenant("tenant-one"), {})


def resolve_output(output: pulumi.Output[str]) -> tuple[Any, bool]:
    """An Output's value and secretness, resolved under the test's mocks."""
    result: dict[str, Any] = {}

    @pulumi.runtime.test
    async def _resolve() -> None:
        result["value"] = await output.future()
        result["secret"] = await output.is_secret()

    _resolve()
    return result["value"], result["secret"]


@pytest.mark.parametrize(
    ("idp_id", "expected"),
    [
        ("google.com", ENVIRONMENT["EVERY_FIELD_GOOGLE_CLIENT_SECRET"]),
        (
            "microsoft.com",
            secret_manager_value("tenant-every-field-microsoft-client-secret", "3", GCP_PROJECT),
        ),
        # No project in the reference: the platform project holds the secret.
        (
            "oidc.acme-okta",
            secret_manager_value("tenant-every-field-okta-client-secret", "latest", GCP_PROJECT),
        ),
    ],
)
def test_client_secret_is_a_secret_output_of_the_right_value(
    mocked: Harness, idp_id: str, expected: str
):
    secrets = resolve_secrets(mocked.tenant("every-field"), ENVIRONMENT)
    value, is_secret = resolve_output(secrets.client_secret(idp_id, GCP_PROJECT))
    assert value == expected
    assert is_secret is True


def test_client_secret_of_an_unresolved_idp_is_a_key_error(mocked: Harness):
    secrets = ResolvedSecrets("t", {}, {})
    with pytest.raises(KeyError, match=r"no client secret was resolved for github\.com"):
        secrets.client_secret("github.com", GCP_PROJECT)


def test_missing_secret_error_points_at_the_manifest_file():
    error = MissingSecretError("acme", Path("tenants/acme.yaml"), ())
    assert str(error).startswith("tenants/acme.yaml: tenant acme")


# --- secret rotation: the version each `latest` read resolved to (reconcile/rotation.py) ---


def test_the_program_exports_the_concrete_version_of_each_latest_read_in_plain_text(
    harness: Harness,
):
    run = harness.run(harness.tenant("every-field"))
    # okta follows `latest` (resolved to 7 by the mock); microsoft is pinned to 3, and a
    # newer version is no rotation for it; google is read from the environment. The UK test
    # number's code follows `latest` too: a rotated code is a rotation like any other.
    assert run.outputs["secretVersions"] == {
        "+447700900123": LATEST_VERSION,
        "oidc.acme-okta": LATEST_VERSION,
    }
    assert "secretVersions" not in run.secret_outputs
    assert "latest" not in str(run.outputs["secretVersions"])


def test_the_value_and_the_recorded_version_come_from_one_read(harness: Harness):
    run = harness.run(harness.tenant("every-field"))
    reads = sorted(call.args["secret"] for call in run.calls)
    # One read per reference: a rotation landing between two reads cannot make the record
    # name a version whose value was never applied.
    assert reads == [
        "tenant-every-field-microsoft-client-secret",
        "tenant-every-field-okta-client-secret",
        "tenant-every-field-test-phone-uk-code",
    ]


def test_a_second_run_of_the_same_program_reads_again(harness: Harness):
    tenant = harness.tenant("every-field")
    program = tenant_program(tenant, harness.platform, "fp", harness.secrets(tenant))
    first = execute(program, tenant.name, preview=True)
    second = execute(program, tenant.name)
    assert len(first.calls) == 3 and len(second.calls) == 3
    assert second.outputs["secretVersions"]["oidc.acme-okta"] == LATEST_VERSION


def test_nothing_is_exported_for_environment_or_unread_secrets(harness: Harness):
    assert harness.run(harness.tenant("tenant-one")).outputs["secretVersions"] == {}
    unread = resolve_secrets(harness.tenant("every-field"), {}, source="unread")
    program = tenant_program(harness.tenant("every-field"), harness.platform, "fp", unread)
    assert execute(program, "every-field", preview=True).outputs["secretVersions"] == {}
