"""Every sign-in setting of a tenant as code, end to end (issue 24): manifest → real engine →
the settings and OIDC-flow dynamic resources → the sandbox (the Firebase Auth emulator, behind
the front that holds what it cannot: test phone numbers, IdP configs).

Per setting, in as few engine runs as the story allows (each setting is checked on its own):
set, changed in place (same tenant, users kept), changed in the console → `drift` reports
it → `apply --refresh` repairs it; the state file never holds a code or client secret in
plain text. Where the emulator enforces a setting (anonymous sign-up), the check is the way
an application meets it.
"""

from __future__ import annotations

import json
import secrets
from typing import Any

import pytest

from reconciler.manifests.signin import auth_from_document
from reconciler.program import signin
from tests.e2e import identity
from tests.e2e.harness import PROJECT, TenantRepo

pytestmark = pytest.mark.e2e

SETTINGS_TYPE = "pulumi-python:dynamic/identityplatform:TenantSignInSettings"
FLOW_TYPE = "pulumi-python:dynamic/identityplatform:TenantOidcFlow"
ONLY_PASSWORD = "  auth:\n    allowPasswordSignup: true\n"

FIRST = {
    "allowPasswordSignup": True,
    "enableAnonymousUser": True,
    "autodeleteAnonymousUsers": True,
    "mfa": {"state": "ENABLED", "factors": ["PHONE_SMS"]},
    "passwordPolicy": {"enforcementState": "ENFORCE", "minLength": 10, "requireNumeric": True},
    "smsRegions": {"allowedRegions": ["US", "CA"]},
    "recaptcha": {
        "emailPasswordEnforcementState": "AUDIT",
        "managedRules": [{"endScore": 0.3, "action": "BLOCK"}],
    },
    "enableImprovedEmailPrivacy": True,
    "testPhoneNumbers": {"+15555550100": {"fromEnv": "TENANT_ONE_TEST_PHONE_CODE"}},
    "inheritEmailSending": True,
    "requestLogging": True,
    "mobileLinksDomain": "HOSTING_DOMAIN",
}
SECOND = {
    "allowPasswordSignup": True,
    "mfa": {"state": "MANDATORY", "factors": ["PHONE_SMS", "TOTP"], "totpAdjacentIntervals": 2},
    "passwordPolicy": {"enforcementState": "ENFORCE", "minLength": 12, "maxLength": 64,
                       "requireUppercase": True},
    "smsRegions": {"disallowedRegions": ["KP"]},
    "recaptcha": {"phoneEnforcementState": "AUDIT", "useSmsBotScore": True},
    "testPhoneNumbers": {
        "+15555550100": {"fromEnv": "TENANT_ONE_TEST_PHONE_CODE"},
        "+447700900123": {"fromEnv": "TENANT_ONE_TEST_PHONE_CODE_UK"},
    },
    "requestLogging": False,
    "mobileLinksDomain": "FIREBASE_DYNAMIC_LINK_DOMAIN",
}  # fmt: skip
"""Every setting of FIRST changed; anonymous sign-in, its clean-up, email privacy and
inheritance back to the API's default by leaving them out."""

OKTA = """\
    - id: oidc.acme-okta
      displayName: Acme Okta
      issuer: https://acme.okta.example.com
      clientId: 0oa1acme
      responseType: {flow}
      clientSecret:
        fromEnv: TENANT_ONE_OKTA_CLIENT_SECRET
"""


def flow_yaml(value: Any, indent: int) -> str:
    """A small YAML writer (block mappings, flow lists), enough for these manifests."""
    pad = " " * indent
    lines = []
    for key, item in value.items():
        name = f'"{key}"' if key.startswith("+") else key
        if isinstance(item, dict):
            lines.append(f"{pad}{name}:\n{flow_yaml(item, indent + 2)}")
        elif isinstance(item, list) and item and isinstance(item[0], dict):
            rows = "".join(
                f"{pad}  - {{{', '.join(f'{k}: {v}' for k, v in row.items())}}}\n" for row in item
            )
            lines.append(f"{pad}{name}:\n{rows}".rstrip("\n"))
        elif isinstance(item, list):
            lines.append(f"{pad}{name}: [{', '.join(item)}]")
        else:
            lines.append(f"{pad}{name}: {str(item).lower() if isinstance(item, bool) else item}")
    return "\n".join(lines) + "\n"


def write_manifest(repo: TenantRepo, auth: dict[str, Any], flow: str) -> None:
    text = repo.manifest("tenant-one").read_text()
    start, end = text.index("  auth:\n"), text.index("  identityProviders:\n")
    text = text[:start] + "  auth:\n" + flow_yaml(auth, 4) + text[end:]
    okta_start = text.find("    - id: oidc.acme-okta\n")
    if okta_start >= 0:
        text = text[:okta_start] + text[text.index("  storage:\n") :]
    text = text.replace("  storage:\n", OKTA.format(flow=flow) + "  storage:\n", 1)
    repo.manifest("tenant-one").write_text(text)


def tenant_path(tenant_id: str) -> str:
    return f"identitytoolkit.googleapis.com/v2/projects/{PROJECT}/tenants/{tenant_id}"


def live_tenant(host: str, tenant_id: str) -> dict[str, Any]:
    status, body = identity.call(host, "GET", tenant_path(tenant_id))
    assert status == 200, body
    return dict(body)


def live_okta(host: str, tenant_id: str) -> dict[str, Any]:
    status, body = identity.call(
        host, "GET", f"{tenant_path(tenant_id)}/oauthIdpConfigs/oidc.acme-okta"
    )
    assert status == 200, body
    return dict(body)


def assert_live_is(host: str, tenant_id: str, auth: dict[str, Any], codes: dict[str, str]):
    """The live tenant says what the manifest says, setting by setting."""
    wanted = auth_from_document(auth)
    live = live_tenant(host, tenant_id)
    owned = signin.owned_fields(wanted)
    got = signin.normalized_config(live, owned)
    for field, value in signin.desired_config(wanted).items():
        assert got[field] == value, (field, got[field], value)
    assert live.get("testPhoneNumbers", {}) == codes


def anonymous_sign_up(host: str, tenant_id: str) -> tuple[int, Any]:
    return identity.call(
        host,
        "POST",
        "identitytoolkit.googleapis.com/v1/accounts:signUp?key=fake-key",
        {"tenantId": tenant_id, "returnSecureToken": True},
        admin=False,
    )


def steps_of(result: Any, tenant: str = "tenant-one") -> list[dict[str, Any]]:
    return {t["tenant"]: t for t in result.json()["tenants"]}[tenant]["steps"]


def state_text(repo: TenantRepo) -> str:
    return (repo.state / ".pulumi" / "stacks" / "mlaas-tenants" / "tenant-one.json").read_text()


def plaintext_in_state(repo: TenantRepo, values: Any) -> list[str]:
    """The values the stack's state file holds as plain JSON strings (a secret is ciphertext)."""
    text = state_text(repo)
    return [value for value in values if f'"{value}"' in text]


def plaintext_in_backend(repo: TenantRepo, values: list[str]) -> list[str]:
    """`file: value` for each value any file of the backend (checkpoints, history, backups)
    holds as a plain JSON string."""
    return [
        f"{path.relative_to(repo.state)}: {value}"
        for path in sorted(repo.state.rglob("*.json"))
        for value in values
        if f'"{value}"' in path.read_text()
    ]


SECRET_SIG = "4dabf18193072939515e22adb298388d"
"""The key Pulumi's checkpoint marks a secret value with (sdk/go/common/resource/sig)."""


def unencrypted_secrets(repo: TenantRepo, wanted: dict[str, str]) -> list[str]:
    """`type.property` of each wanted output that is not a secret with its ciphertext in the
    stack's state file (a dynamic provider returns plain values: only its
    additional_secret_outputs make them secret); a wanted type absent is reported too."""
    resources = json.loads(state_text(repo))["checkpoint"]["latest"]["resources"]
    found = [f"no {kind}" for kind in wanted if all(r["type"] != kind for r in resources)]
    for resource in resources:
        key = wanted.get(resource["type"])
        if key is None:
            continue
        for where in ("inputs", "outputs"):
            value = resource.get(where, {}).get(key)
            if not (isinstance(value, dict) and SECRET_SIG in value and "ciphertext" in value):
                found.append(f"{resource['type']}.{where}.{key}")
    return found


def test_every_setting_is_set_changed_in_place_drifts_and_is_repaired(
    tenant_repo: TenantRepo, identity_host: str
):
    repo, host = tenant_repo, identity_host
    codes = {"+15555550100": f"{secrets.randbelow(10**6):06d}"}
    uk_code = f"{secrets.randbelow(10**6):06d}"
    okta_secret = f"okta-{secrets.token_hex(12)}"
    repo.env.update(
        TENANT_ONE_TEST_PHONE_CODE=codes["+15555550100"],
        TENANT_ONE_TEST_PHONE_CODE_UK=uk_code,
        TENANT_ONE_OKTA_CLIENT_SECRET=okta_secret,
    )

    # 1. Set: every setting away from its default, the OIDC provider on the code flow.
    write_manifest(repo, FIRST, "code")
    first = repo.run("apply", "--format", "json")
    assert first.code == 0, first.stdout + first.stderr
    one = repo.tenant_ids()["tenant-one"]
    assert_live_is(host, one, FIRST, codes)
    live = live_tenant(host, one)
    assert live["smsRegionConfig"] == {"allowlistOnly": {"allowedRegions": ["CA", "US"]}}
    assert live["monitoring"] == {"requestLogging": {"enabled": True}}
    okta = live_okta(host, one)
    assert okta["responseType"] == {"code": True, "idToken": False}
    assert okta["clientSecret"] == okta_secret
    # The emulator enforces anonymous sign-in: the manifest allows it.
    assert anonymous_sign_up(host, one)[0] == 200
    status, body = identity.sign_up(host, one, "ada@example.com", "correct-horse-1")
    assert status == 200, body
    assert plaintext_in_state(repo, [*codes.values(), okta_secret]) == []
    # tenant-two's manifest has no `recaptcha:`: nothing about it was sent (a project without
    # reCAPTCHA Enterprise set up may refuse even an all-OFF write; review 22-24, finding 6).
    two = repo.tenant_ids()["tenant-two"]
    assert "recaptchaConfig" not in live_tenant(host, two)
    secret = {SETTINGS_TYPE: "testPhoneNumbers", FLOW_TYPE: "clientSecret"}
    assert unencrypted_secrets(repo, secret) == []

    # 2. Changed in place: same tenant, users kept; only the two dynamic resources update.
    write_manifest(repo, SECOND, "idToken")
    second = repo.run("apply", "--format", "json")
    assert second.code == 0, second.stdout + second.stderr
    assert sorted((s["op"], s["type"]) for s in steps_of(second)) == [
        ("update", FLOW_TYPE),
        ("update", SETTINGS_TYPE),
    ]
    assert repo.tenant_ids()["tenant-one"] == one
    both = {**codes, "+447700900123": uk_code}
    assert_live_is(host, one, SECOND, both)
    assert "clientSecret" not in live_okta(host, one)  # the implicit flow carries none
    assert live_okta(host, one)["responseType"] == {"code": False, "idToken": True}
    status, body = anonymous_sign_up(host, one)
    assert status == 400 and "ADMIN_ONLY_OPERATION" in str(body), body
    assert identity.sign_in(host, one, "ada@example.com", "correct-horse-1")[0] == 200

    # 3. Someone changes every setting in the console, and the provider's flow.
    console_code = f"{secrets.randbelow(10**6):06d}"
    console = {
        "enableAnonymousUser": True,
        "autodeleteAnonymousUsers": True,
        "mfaConfig": {"state": "DISABLED", "enabledProviders": []},
        "passwordPolicyConfig": {"passwordPolicyEnforcementState": "OFF"},
        "smsRegionConfig": {"allowlistOnly": {"allowedRegions": ["FR"]}},
        "recaptchaConfig": {"phoneEnforcementState": "OFF", "useSmsBotScore": False},
        "emailPrivacyConfig": {"enableImprovedEmailPrivacy": True},
        "inheritance": {"emailSendingConfig": True},
        "monitoring": {"requestLogging": {"enabled": True}},
        "mobileLinksConfig": {"domain": "HOSTING_DOMAIN"},
        "testPhoneNumbers": {"+15555550199": console_code},
    }
    mask = ",".join(
        [
            "enableAnonymousUser", "autodeleteAnonymousUsers", "mfaConfig.state",
            "mfaConfig.enabledProviders", "passwordPolicyConfig.passwordPolicyEnforcementState",
            "smsRegionConfig", "recaptchaConfig.phoneEnforcementState",
            "recaptchaConfig.useSmsBotScore", "emailPrivacyConfig.enableImprovedEmailPrivacy",
            "inheritance.emailSendingConfig", "monitoring.requestLogging.enabled",
            "mobileLinksConfig.domain", "testPhoneNumbers",
        ]
    )  # fmt: skip
    status, body = identity.call(host, "PATCH", f"{tenant_path(one)}?updateMask={mask}", console)
    assert status == 200, body
    status, body = identity.call(
        host,
        "PATCH",
        f"{tenant_path(one)}/oauthIdpConfigs/oidc.acme-okta"
        "?updateMask=responseType.code,responseType.idToken,clientSecret",
        {"responseType": {"code": True, "idToken": False}, "clientSecret": "console-secret"},
    )
    assert status == 200, body
    # reCAPTCHA set up by hand on tenant-two, whose manifest leaves it as it is: no drift.
    enforced = {"recaptchaConfig": {"emailPasswordEnforcementState": "ENFORCE"}}
    mask = "recaptchaConfig.emailPasswordEnforcementState"
    status, body = identity.call(host, "PATCH", f"{tenant_path(two)}?updateMask={mask}", enforced)
    assert status == 200, body
    drift = repo.run("drift", "--format", "json")
    assert drift.code == 3, drift.stdout + drift.stderr
    outcomes = {t["tenant"]: t for t in drift.json()["tenants"]}
    assert (outcomes["tenant-one"]["status"], outcomes["tenant-two"]["status"]) == (
        "drifted",
        "in-sync",
    )
    drifted = {s["type"]: set(s.get("diffs") or ()) for s in steps_of(drift)}
    assert set(drifted) == {SETTINGS_TYPE, FLOW_TYPE}
    # Each changed setting is named (they are top-level properties of the resource); the
    # codes' map is a secret, masked in events: the numbers name that change.
    named = set(console) - {"testPhoneNumbers"} | {"testPhones"}
    assert named <= drifted[SETTINGS_TYPE], drifted
    assert "responseType" in drifted[FLOW_TYPE]

    # 4. The documented repair: re-apply from git, reading the cloud first.
    repair = repo.run("apply", "--tenant", "tenant-one", "--force", "--refresh")
    assert repair.code == 0, repair.stdout + repair.stderr
    assert_live_is(host, one, SECOND, both)
    assert live_okta(host, one)["responseType"] == {"code": False, "idToken": True}
    assert "clientSecret" not in live_okta(host, one)
    assert repo.run("drift").code == 0
    everything = repo.run("apply", "--force", "--refresh")
    assert everything.code == 0, everything.stdout + everything.stderr
    assert live_tenant(host, two)["recaptchaConfig"]["emailPasswordEnforcementState"] == "ENFORCE"
    secrets_seen = [*both.values(), okta_secret, console_code, "console-secret"]
    assert plaintext_in_state(repo, secrets_seen) == []
    # Nor any checkpoint the backend kept on the way (the refresh read the console's secret
    # and code before the update put git's back): a dynamic provider's outputs are secret
    # where its input was, and the console's secret met an implicit flow's plain "" input.
    assert plaintext_in_backend(repo, ["console-secret", console_code]) == []


ADOPTED = """\
apiVersion: mlaas.dev/v1
kind: Tenant
metadata:
  name: console-made
  owner: ml-platform@example.com
spec:
  displayName: {display}
  adopt: {{}}
  auth:
{auth}  storage:
    location: EU
"""


def test_a_console_made_tenant_with_every_setting_is_adopted_unchanged(
    tenant_repo: TenantRepo, identity_host: str
):
    """Adoption compares every owned setting, names the line to write, then adopts the
    tenant without changing any of them."""
    repo, host = tenant_repo, identity_host
    display = f"Console-{secrets.token_hex(4)}"
    code = f"{secrets.randbelow(10**6):06d}"
    status, body = identity.call(
        host,
        "POST",
        f"identitytoolkit.googleapis.com/v2/projects/{PROJECT}/tenants",
        {"displayName": display, "allowPasswordSignup": True},
    )
    assert status == 200, body
    tenant_id = str(body["name"]).rsplit("/", 1)[-1]
    auth = {**SECOND, "testPhoneNumbers": {"+15555550100": {"fromEnv": "CONSOLE_MADE_TEST_CODE"}}}
    wanted = auth_from_document(auth)
    owned = signin.owned_fields(wanted)
    body = {**signin.desired_config(wanted), "testPhoneNumbers": {"+15555550100": code}}
    mask = ",".join(signin.update_mask(owned))
    status, answer = identity.call(
        host, "PATCH", f"{tenant_path(tenant_id)}?updateMask={mask}", body
    )
    assert status == 200, answer
    assert identity.sign_up(host, tenant_id, "grace@example.com", "correct-horse-2")[0] == 200
    before = live_tenant(host, tenant_id)
    for name in ("tenant-one", "tenant-two"):
        repo.manifest(name).unlink()
    repo.env["CONSOLE_MADE_TEST_CODE"] = code

    # One setting the manifest gets wrong: refused, with the line to write; nothing changed.
    wrong = {**auth, "passwordPolicy": {**SECOND["passwordPolicy"], "minLength": 11}}
    text = ADOPTED.format(display=display, auth=flow_yaml(wrong, 4))
    repo.manifest("console-made").write_text(text)
    refused = repo.run("adopt", "--format", "json")
    [line] = refused.json()["tenants"]
    assert refused.code == 5 and line["status"] == "failed", line
    assert (
        "write `passwordPolicy: {enforcementState: ENFORCE, minLength: 12, maxLength: 64, "
        "requireUppercase: true}` under spec.auth"
    ) in line["reason"]
    assert "nothing was changed" in line["reason"]
    assert repo.stacks() == set()

    repo.manifest("console-made").write_text(
        ADOPTED.format(display=display, auth=flow_yaml(auth, 4))
    )
    adopted = repo.run("adopt", "--format", "json")
    assert adopted.code == 0, adopted.stdout + adopted.stderr
    assert live_tenant(host, tenant_id) == before  # every setting, and the codes, unchanged
    plan = repo.run("plan", "--format", "json")
    assert [(t["tenant"], t["status"]) for t in plan.json()["tenants"]] == [
        ("console-made", "unchanged")
    ]
    assert repo.run("drift").code == 0
    assert identity.sign_in(host, tenant_id, "grace@example.com", "correct-horse-2")[0] == 200
