"""The tenant's sign-in settings: the catalogue (manifest -> API and back), the dynamic
resource the program declares, and its provider against an in-memory Identity Toolkit.

tests/e2e/test_sign_in.py runs the same code through the real engine and the sandbox.
"""

from __future__ import annotations

import base64
import copy
from typing import Any

import dill
import pytest
from program_harness import IDENTITY_TENANT, SIGN_IN, Harness
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.runtime import rpc

from reconciler.gcp.identitytoolkit import IdentityToolkitError
from reconciler.gcp.retry import TransientError
from reconciler.manifests.signin import (
    Auth,
    Mfa,
    PasswordPolicy,
    Recaptcha,
    SmsRegions,
    auth_from_document,
)
from reconciler.program import signin
from reconciler.program.tenant_settings import (
    InvalidTestCodeError,
    TenantSettingsProvider,
    request,
    settings_diff,
)

ALL_DEFAULT_OWNED = [
    "enableAnonymousUser",
    "autodeleteAnonymousUsers",
    "mfaConfig",
    "passwordPolicyConfig",
    "smsRegionConfig",
    "emailPrivacyConfig",
    "inheritance",
    "testPhoneNumbers",
]

# --- the catalogue ------------------------------------------------------------------------


def test_an_empty_auth_owns_every_setting_whose_absence_means_the_default():
    assert list(signin.owned_fields(Auth())) == ALL_DEFAULT_OWNED


def test_settings_kept_when_absent_are_owned_only_when_written():
    auth = Auth(request_logging=False, mobile_links_domain="HOSTING_DOMAIN")
    owned = signin.owned_fields(auth)
    assert "monitoring" in owned and "mobileLinksConfig" in owned
    assert signin.desired_config(auth)["monitoring"] == {"requestLogging": {"enabled": False}}


def test_recaptcha_is_owned_only_when_the_manifest_writes_it():
    """A project without reCAPTCHA Enterprise set up may refuse even an all-OFF
    `recaptchaConfig` (review 22-24, finding 6): a manifest without `recaptcha:` sends none."""
    assert "recaptchaConfig" not in signin.owned_fields(auth_from_document({}))
    assert not any(p.startswith("recaptchaConfig") for p in signin.update_mask(ALL_DEFAULT_OWNED))
    written = auth_from_document({"recaptcha": {"emailPasswordEnforcementState": "OFF"}})
    assert "recaptchaConfig" in signin.owned_fields(written)
    assert signin.desired_config(written)["recaptchaConfig"] == signin.recaptcha_config(Recaptcha())


def test_the_mask_names_exactly_the_owned_settings_and_never_server_fields():
    mask = signin.update_mask(signin.owned_fields(Auth()))
    assert "recaptchaConfig.recaptchaKeys" not in mask
    assert not any(path.startswith(("monitoring", "mobileLinksConfig")) for path in mask)
    assert "passwordPolicyConfig.lastUpdateTime" not in mask
    assert "smsRegionConfig" in mask  # whole: its two policies exclude each other
    assert mask[-1] == "testPhoneNumbers"
    # Nothing pulumi-gcp's Tenant owns.
    for field in ("displayName", "allowPasswordSignup", "enableEmailLinkSignin", "disableAuth"):
        assert not any(path.split(".")[0] == field for path in mask)
    assert not any(path.startswith("client") for path in mask)


def test_defaults_read_back_from_a_new_tenant_are_no_change():
    """A tenant that never had a setting answers without it: that is the default, not drift."""
    owned = signin.owned_fields(Auth())
    assert signin.normalized_config({}, owned) == signin.desired_config(Auth())
    assert signin.default_config(owned) == signin.desired_config(Auth())


def test_every_setting_round_trips_through_the_apis_answer():
    auth = auth_from_document(
        {
            "enableAnonymousUser": True,
            "autodeleteAnonymousUsers": True,
            "mfa": {"state": "MANDATORY", "factors": ["TOTP", "PHONE_SMS"]},
            "passwordPolicy": {"enforcementState": "ENFORCE", "minLength": 12, "maxLength": 64},
            "smsRegions": {"allowedRegions": ["US", "CA"]},
            "recaptcha": {
                "emailPasswordEnforcementState": "AUDIT",
                "managedRules": [{"endScore": 0.7, "action": "BLOCK"}],
            },
            "enableImprovedEmailPrivacy": True,
            "inheritEmailSending": True,
            "requestLogging": True,
            "mobileLinksDomain": "HOSTING_DOMAIN",
        }
    )
    owned = signin.owned_fields(auth)
    desired = signin.desired_config(auth)
    assert signin.normalized_config(copy.deepcopy(desired), owned) == desired
    assert desired["smsRegionConfig"] == {"allowlistOnly": {"allowedRegions": ["CA", "US"]}}


@pytest.mark.parametrize(
    ("field", "live", "expected"),
    [
        # A float32 score reads back with noise.
        (
            "recaptchaConfig",
            {"managedRules": [{"endScore": 0.30000001192092896, "action": "BLOCK"}]},
            signin.recaptcha_config(Recaptcha(managed_rules=(0.3,))),
        ),
        (
            "recaptchaConfig",
            {"emailPasswordEnforcementState": "RECAPTCHA_PROVIDER_ENFORCEMENT_STATE_UNSPECIFIED"},
            signin.recaptcha_config(Recaptcha()),
        ),
        # Output-only parts and an unset maximum.
        (
            "passwordPolicyConfig",
            {
                "passwordPolicyEnforcementState": "ENFORCE",
                "passwordPolicyVersions": [
                    {"customStrengthOptions": {"minPasswordLength": 10}, "schemaVersion": 1}
                ],
                "lastUpdateTime": "2026-01-01T00:00:00Z",
            },
            signin.password_policy_config(PasswordPolicy("ENFORCE", 10)),
        ),
        ("smsRegionConfig", {}, signin.sms_region_config(SmsRegions())),
        (
            "smsRegionConfig",
            {"allowByDefault": {"disallowedRegions": ["RU", "KP", "RU"]}},
            signin.sms_region_config(SmsRegions(False, ("KP", "RU"))),
        ),
        ("mobileLinksConfig", {}, {"domain": "DOMAIN_UNSPECIFIED"}),
        ("monitoring", {"requestLogging": {}}, {"requestLogging": {"enabled": False}}),
        ("emailPrivacyConfig", None, {"enableImprovedEmailPrivacy": False}),
    ],
)
def test_normalized_reads_the_apis_omissions_as_defaults(field: str, live: Any, expected: Any):
    assert signin.BY_FIELD[field].normalize(live) == expected


# --- the resource as the program declares it ------------------------------------------------


def test_every_tenant_declares_its_sign_in_settings_bound_to_the_server_assigned_tenant(
    harness: Harness,
):
    run = harness.run(harness.tenant("tenant-one"))
    settings = run.one(SIGN_IN)
    assert settings.name == "tenant-one-sign-in"
    assert settings.inputs["tenant"] == run.outputs["tenantId"]
    assert settings.property_dependencies["tenant"] == (f"{IDENTITY_TENANT}::tenant-one-identity",)
    # tenant-one's manifest says nothing about these settings: the API's defaults.
    assert settings.inputs["owned"] == ALL_DEFAULT_OWNED
    assert {k: settings.inputs[k] for k in ALL_DEFAULT_OWNED[:-1]} == signin.desired_config(Auth())
    assert settings.inputs["testPhoneNumbers"] == {}


def test_the_manifests_mfa_reaches_the_resource(harness: Harness):
    run = harness.run(harness.tenant("every-field"))
    assert run.one(SIGN_IN).inputs["mfaConfig"]["state"] == "MANDATORY"


def test_the_pickled_provider_is_a_secret_reference_to_its_module(harness: Harness):
    run = harness.run(harness.tenant("tenant-one"))
    pickled = run.one(SIGN_IN).inputs["__provider"]
    assert rpc.is_rpc_secret(pickled)
    raw = base64.b64decode(rpc.unwrap_rpc_secret(pickled))
    # By reference (module and class name), so it carries no code, endpoint or credential.
    assert len(raw) < 200
    assert b"reconciler.program.tenant_settings" in raw
    assert isinstance(dill.loads(raw), TenantSettingsProvider)
    assert raw == base64.b64decode(serialize_provider(TenantSettingsProvider()))


# --- the provider, against an in-memory API ------------------------------------------------


class FakeApi:
    """Tenants by (project, id); a PATCH copies the masked paths, as AIP-134 says."""

    def __init__(self, tenants: dict[tuple[str, str], dict[str, Any]]) -> None:
        self.tenants = tenants
        self.patches: list[tuple[str, dict[str, Any], list[str]]] = []

    def find_tenant(self, project: str, tenant_id: str) -> dict[str, Any] | None:
        found = self.tenants.get((project, tenant_id))
        return copy.deepcopy(found) if found is not None else None

    def patch_tenant(
        self, project: str, tenant_id: str, body: dict[str, Any], update_mask: list[str]
    ) -> dict[str, Any]:
        self.patches.append((tenant_id, copy.deepcopy(body), list(update_mask)))
        tenant = self.tenants[(project, tenant_id)]
        for path in update_mask:
            *parents, leaf = path.split(".")
            source, target = body, tenant
            for key in parents:
                source, target = source[key], target.setdefault(key, {})
            target[leaf] = copy.deepcopy(source[leaf])
        return copy.deepcopy(tenant)


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch) -> FakeApi:
    fake = FakeApi({("p", "t-1"): {"name": "projects/p/tenants/t-1", "displayName": "T"}})
    monkeypatch.setattr(
        "reconciler.gcp.identitytoolkit.TenantApi.from_environment", staticmethod(lambda: fake)
    )
    return fake


def props(auth: Auth, codes: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "project": "p",
        "tenant": "t-1",
        "owned": list(signin.owned_fields(auth)),
        **signin.desired_config(auth),
        "testPhoneNumbers": codes or {},
    }


SMS_AND_POLICY = Auth(
    mfa=Mfa(state="ENABLED", factors=("PHONE_SMS",)),
    password_policy=PasswordPolicy("ENFORCE", 12),
)


def test_create_sends_one_patch_of_exactly_the_owned_settings(api: FakeApi):
    result = TenantSettingsProvider().create(props(SMS_AND_POLICY, {"+15555550100": "123456"}))
    assert result.id == "projects/p/tenants/t-1/signInSettings"
    [(tenant, body, mask)] = api.patches
    assert tenant == "t-1"
    assert mask == signin.update_mask(ALL_DEFAULT_OWNED)
    assert body["testPhoneNumbers"] == {"+15555550100": "123456"}
    assert {k: result.outs[k] for k in ALL_DEFAULT_OWNED[:-1]} == signin.desired_config(
        SMS_AND_POLICY
    )
    assert result.outs["testPhoneNumbers"] == {"+15555550100": "123456"}
    assert api.tenants[("p", "t-1")]["displayName"] == "T"  # pulumi-gcp's, untouched


def test_a_code_that_is_not_six_digits_is_refused_before_anything_is_sent(api: FakeApi):
    with pytest.raises(InvalidTestCodeError) as raised:
        TenantSettingsProvider().create(props(Auth(), {"+15555550100": "12345x"}))
    assert "+15555550100" in str(raised.value)
    assert "12345x" not in str(raised.value)
    assert api.patches == []


def test_read_reports_a_change_made_outside_git(api: FakeApi):
    provider = TenantSettingsProvider()
    provider.create(props(SMS_AND_POLICY))
    live = api.tenants[("p", "t-1")]
    live["passwordPolicyConfig"]["passwordPolicyEnforcementState"] = "OFF"
    live["testPhoneNumbers"] = {"+15555550199": "000000"}
    result = provider.read("projects/p/tenants/t-1/signInSettings", props(SMS_AND_POLICY))
    assert result.outs["passwordPolicyConfig"]["passwordPolicyEnforcementState"] == "OFF"
    assert result.outs["testPhoneNumbers"] == {"+15555550199": "000000"}
    assert settings_diff(result.outs, props(SMS_AND_POLICY)).changes


def test_an_unchanged_tenant_is_no_change_and_another_tenant_a_replacement(api: FakeApi):
    provider = TenantSettingsProvider()
    outs = provider.create(props(SMS_AND_POLICY)).outs
    assert not settings_diff(outs, props(SMS_AND_POLICY)).changes
    moved = {**props(SMS_AND_POLICY), "tenant": "t-2"}
    assert settings_diff(outs, moved).replaces == ["tenant"]


def test_the_mfa_only_resources_state_is_an_update_not_a_replacement():
    legacy = {"project": "p", "tenant": "t-1", "mfaConfig": {"state": "ENABLED"}}
    result = settings_diff(legacy, props(SMS_AND_POLICY))
    assert (result.changes, result.replaces) == (True, [])


def test_read_of_a_deleted_tenant_says_the_settings_are_gone(api: FakeApi):
    result = TenantSettingsProvider().read("id", {**props(Auth()), "tenant": "gone"})
    assert result.id == ""


def test_delete_puts_every_owned_setting_back_to_the_apis_default(api: FakeApi):
    provider = TenantSettingsProvider()
    provider.create(props(SMS_AND_POLICY, {"+15555550100": "123456"}))
    provider.delete("id", props(SMS_AND_POLICY, {"+15555550100": "123456"}))
    _, body, mask = api.patches[-1]
    assert mask == signin.update_mask(ALL_DEFAULT_OWNED)
    assert body == {**signin.default_config(ALL_DEFAULT_OWNED), "testPhoneNumbers": {}}
    live = api.tenants[("p", "t-1")]
    assert signin.normalized_config(live, ALL_DEFAULT_OWNED) == signin.desired_config(Auth())


def test_delete_of_a_deleted_tenant_sends_nothing(api: FakeApi):
    TenantSettingsProvider().delete("id", {**props(Auth()), "tenant": "gone"})
    assert api.patches == []


def refusing(error: Exception) -> Any:
    def call(*_args: Any, **_kwargs: Any) -> Any:
        raise error

    return call


@pytest.mark.parametrize(
    ("error", "warned"),
    [
        # The tenant deleted between the GET and the PATCH: nothing to reset, no warning.
        (IdentityToolkitError(404, "NOT_FOUND", "TENANT_NOT_FOUND"), False),
        # A default refused (e.g. reCAPTCHA on a project without it): the tenant's own
        # deletion must still go ahead (review 22-24, finding 7).
        (IdentityToolkitError(400, "FAILED_PRECONDITION", "reCAPTCHA not set up"), True),
        (IdentityToolkitError(403, "PERMISSION_DENIED", "denied"), True),
        (TransientError("PATCH: connection reset"), True),
    ],
)
def test_delete_never_blocks_the_tenants_deletion(
    api: FakeApi,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    error: Exception,
    warned: bool,
):
    monkeypatch.setattr(api, "patch_tenant", refusing(error))
    TenantSettingsProvider().delete("id", props(SMS_AND_POLICY))
    err = capsys.readouterr().err
    assert ("warning:" in err and "t-1" in err) is warned, err


def test_delete_goes_on_when_the_tenant_cannot_be_read(
    api: FakeApi, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    monkeypatch.setattr(api, "find_tenant", refusing(TransientError("GET: timed out")))
    TenantSettingsProvider().delete("id", props(Auth()))
    assert api.patches == [] and "warning:" in capsys.readouterr().err


def test_delete_raises_what_is_not_the_apis_answer(api: FakeApi, monkeypatch: pytest.MonkeyPatch):
    """A bug is not swallowed: only the API's answers and the network are best effort."""
    monkeypatch.setattr(api, "patch_tenant", refusing(KeyError("bug")))
    with pytest.raises(KeyError):
        TenantSettingsProvider().delete("id", props(Auth()))


def test_request_leaves_test_numbers_alone_when_not_owned():
    body, mask = request({"owned": ["enableAnonymousUser"], "enableAnonymousUser": 1})
    assert (body, mask) == ({"enableAnonymousUser": 1}, ["enableAnonymousUser"])


def test_numbers_the_engine_hands_over_as_floats_are_sent_as_whole_numbers():
    config = signin.desired_config(Auth(password_policy=PasswordPolicy("ENFORCE", 12)))
    options = config["passwordPolicyConfig"]["passwordPolicyVersions"][0]["customStrengthOptions"]
    options["minPasswordLength"] = 12.0  # what the engine passes back
    body, _ = request({"owned": ["passwordPolicyConfig"], **config})
    sent = body["passwordPolicyConfig"]["passwordPolicyVersions"][0]["customStrengthOptions"]
    assert type(sent["minPasswordLength"]) is int
