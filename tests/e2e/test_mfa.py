"""Multi-factor authentication per tenant, end to end: manifest → real engine → the dynamic
provider (through the `pulumi-resource-pulumi-python` shim) → the Firebase Auth emulator.

The emulator enforces a tenant's `mfaConfig` in its MFA flows: starting SMS enrolment is
refused with OPERATION_NOT_ALLOWED unless the state is ENABLED or MANDATORY with PHONE_SMS.
That is the behavioural check here, the way an application would meet it.
"""

from __future__ import annotations

import pytest

from tests.e2e import identity
from tests.e2e.harness import PROJECT, TenantRepo

pytestmark = pytest.mark.e2e

MFA_TYPE = "pulumi-python:dynamic/identityplatform:TenantSignInSettings"
SMS_ON = "".join(
    f"{line}\n"
    for line in (
        "    allowPasswordSignup: true",
        "    mfa:",
        "      state: ENABLED",
        "      factors: [PHONE_SMS]",
    )
)
PASSWORD_ONLY = "    allowPasswordSignup: true\n"


def apply(repo: TenantRepo, *args: str):
    return repo.run("apply", "--format", "json", *args)


def by_tenant(report: dict) -> dict[str, dict]:
    return {t["tenant"]: t for t in report["tenants"]}


def tenant_url(tenant_id: str, mask: str = "") -> str:
    path = f"identitytoolkit.googleapis.com/v2/projects/{PROJECT}/tenants/{tenant_id}"
    return f"{path}?updateMask={mask}" if mask else path


def verified_user(host: str, tenant_id: str, email: str) -> str:
    """A user of the tenant with a verified email (SMS enrolment needs one); its id token."""
    status, body = identity.sign_up(host, tenant_id, email, "correct-horse-1")
    assert status == 200, body
    tenant_path = f"identitytoolkit.googleapis.com/v1/projects/{PROJECT}/tenants/{tenant_id}"
    status, answer = identity.call(
        host,
        "POST",
        f"{tenant_path}/accounts:update",
        {"localId": body["localId"], "emailVerified": True, "tenantId": tenant_id},
    )
    assert status == 200, answer
    return str(body["idToken"])


def start_sms_enrolment(host: str, tenant_id: str, id_token: str) -> tuple[int, dict]:
    """What an app does when a signed-in user adds a phone as second factor."""
    return identity.call(
        host,
        "POST",
        "identitytoolkit.googleapis.com/v2/accounts/mfaEnrollment:start?key=fake-key",
        {
            "idToken": id_token,
            "tenantId": tenant_id,
            "phoneEnrollmentInfo": {"phoneNumber": "+15555550100"},
        },
        admin=False,
    )


def mfa_of(host: str, tenant_id: str) -> dict:
    tenant = identity.get_tenant(host, PROJECT, tenant_id)
    assert tenant is not None
    return tenant.get("mfaConfig", {})


def test_mfa_in_the_manifest_governs_sms_enrolment_and_changes_in_place(
    tenant_repo: TenantRepo, emulator_host: str
):
    tenant_repo.edit("tenant-one", "    allowPasswordSignup: true\n", SMS_ON)
    tenant_repo.edit("tenant-two", "    allowPasswordSignup: false\n", PASSWORD_ONLY)
    first = apply(tenant_repo)
    assert first.code == 0, first.stderr
    ids = tenant_repo.tenant_ids()
    one, two = ids["tenant-one"], ids["tenant-two"]
    assert mfa_of(emulator_host, one)["state"] == "ENABLED"
    assert mfa_of(emulator_host, one)["enabledProviders"] == ["PHONE_SMS"]
    assert mfa_of(emulator_host, two)["state"] == "DISABLED"

    # With MFA on, a verified user may start SMS enrolment; without, the tenant refuses it.
    ada = verified_user(emulator_host, one, "ada@example.com")
    status, body = start_sms_enrolment(emulator_host, one, ada)
    assert status == 200, body
    assert body["phoneSessionInfo"]["sessionInfo"]
    bob = verified_user(emulator_host, two, "bob@example.com")
    status, body = start_sms_enrolment(emulator_host, two, bob)
    assert status == 400 and "OPERATION_NOT_ALLOWED" in str(body), body

    # Switching MFA off in the manifest updates the settings in place: same tenant, same users.
    tenant_repo.edit("tenant-one", SMS_ON, PASSWORD_ONLY)
    plan = tenant_repo.run("plan", "--format", "json")
    assert {t["tenant"]: t["action"] for t in plan.json()["tenants"]} == {
        "tenant-one": "update",
        "tenant-two": "unchanged",
    }
    second = apply(tenant_repo)
    assert second.code == 0, second.stderr
    steps = by_tenant(second.json())["tenant-one"]["steps"]
    assert [(s["op"], s["type"]) for s in steps] == [("update", MFA_TYPE)]
    assert tenant_repo.tenant_ids()["tenant-one"] == one
    assert mfa_of(emulator_host, one)["state"] == "DISABLED"
    assert identity.sign_in(emulator_host, one, "ada@example.com", "correct-horse-1")[0] == 200
    status, body = start_sms_enrolment(emulator_host, one, ada)
    assert status == 400 and "OPERATION_NOT_ALLOWED" in str(body), body


def test_mfa_changed_outside_git_is_drift_and_apply_refresh_repairs_it(
    tenant_repo: TenantRepo, emulator_host: str
):
    tenant_repo.edit("tenant-one", "    allowPasswordSignup: true\n", SMS_ON)
    assert apply(tenant_repo).code == 0
    assert tenant_repo.run("drift").code == 0
    one = tenant_repo.tenant_ids()["tenant-one"]

    # Someone switches MFA off in the console.
    status, body = identity.call(
        emulator_host,
        "PATCH",
        tenant_url(one, "mfaConfig.state,mfaConfig.enabledProviders"),
        {"mfaConfig": {"state": "DISABLED", "enabledProviders": []}},
    )
    assert status == 200, body
    drift = tenant_repo.run("drift", "--format", "json")
    assert drift.code == 3, drift.stderr
    outcomes = by_tenant(drift.json())
    assert outcomes["tenant-one"]["status"] == "drifted"
    assert outcomes["tenant-two"]["status"] == "in-sync"
    assert {s["type"] for s in outcomes["tenant-one"]["steps"]} == {MFA_TYPE}

    # The documented repair: re-apply the tenant from git, reading the cloud first.
    repair = apply(tenant_repo, "--tenant", "tenant-one", "--force", "--refresh")
    assert repair.code == 0, repair.stderr
    assert mfa_of(emulator_host, one)["state"] == "ENABLED"
    assert mfa_of(emulator_host, one)["enabledProviders"] == ["PHONE_SMS"]
    assert tenant_repo.run("drift").code == 0
    user = verified_user(emulator_host, one, "eve@example.com")
    assert start_sms_enrolment(emulator_host, one, user)[0] == 200


def test_a_stack_deployed_with_the_mfa_only_resource_moves_to_the_sign_in_settings_in_place(
    tenant_repo: TenantRepo, emulator_host: str, tmp_path
):
    """Stacks deployed before the sign-in settings hold `TenantMfaConfig` (`<tenant>-mfa`).
    The settings resource aliases it, so the next apply is one update: no create of the new
    resource and no delete of the old one, whose delete would switch MFA off."""
    import pulumi
    import pulumi_gcp as gcp
    from pulumi import automation as auto
    from pulumi.dynamic import Resource

    from reconciler.program.auth_settings import MfaSettingsProvider
    from tests.e2e.harness import REPO

    class TenantMfaConfig(Resource, module="identityplatform", name="TenantMfaConfig"):
        """The resource as the program declared it before the sign-in settings."""

    def before() -> None:
        tenant = gcp.identityplatform.Tenant(
            "tenant-one-identity", display_name="Tenant-One", allow_password_signup=True,
            project=PROJECT,
        )  # fmt: skip
        config = {"state": "ENABLED", "enabledProviders": ["PHONE_SMS"], "providerConfigs": []}
        TenantMfaConfig(
            MfaSettingsProvider(),
            "tenant-one-mfa",
            {"project": PROJECT, "tenant": tenant.name, "mfaConfig": config},
        )
        pulumi.export("tenantId", tenant.name)

    repo = tenant_repo
    repo.state.mkdir(exist_ok=True)
    work = tmp_path / "before"
    work.mkdir()
    stack = auto.create_or_select_stack(
        stack_name="tenant-one",
        project_name="mlaas-tenants",
        program=before,
        opts=auto.LocalWorkspaceOptions(
            work_dir=str(work),
            env_vars=repo.env,
            secrets_provider="passphrase",
            pulumi_command=auto.PulumiCommand(root=str(REPO / ".tools")),
            project_settings=auto.ProjectSettings(
                name="mlaas-tenants",
                runtime="python",
                backend=auto.ProjectBackend(url=f"file://{repo.state}"),
            ),
        ),
    )
    stack.set_config("gcp:project", auto.ConfigValue(PROJECT))
    one = str(stack.up(color="never").outputs["tenantId"].value)
    assert mfa_of(emulator_host, one)["state"] == "ENABLED"

    tenant_repo.edit("tenant-one", "    allowPasswordSignup: true\n", SMS_ON)
    repo.manifest("tenant-two").unlink()
    applied = apply(repo)
    assert applied.code == 0, applied.stdout + applied.stderr
    steps = {(s["op"], s["name"]) for s in by_tenant(applied.json())["tenant-one"]["steps"]}
    assert ("update", "tenant-one-sign-in") in steps, steps
    assert not {name for op, name in steps if op in ("create", "delete", "replace")} & {
        "tenant-one-mfa",
        "tenant-one-sign-in",
        "tenant-one-identity",
    }, steps
    assert repo.tenant_ids()["tenant-one"] == one
    assert mfa_of(emulator_host, one)["state"] == "ENABLED"
    assert repo.run("drift").code == 0
