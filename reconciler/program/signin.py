"""The tenant's sign-in settings as Identity Toolkit v2 sends and answers them: a catalogue.

pulumi-gcp's `identityplatform.Tenant` carries five of the Tenant resource's settings
(displayName, allowPasswordSignup, enableEmailLinkSignin, disableAuth, client). Every other
writable one is here, one entry per top-level field of the Tenant
(https://cloud.google.com/identity-platform/docs/reference/rest/v2/projects.tenants; shapes
and enums as in the discovery document firebase-tools 15.34.2 generates
`lib/emulator/auth/apiSpec.js` from, schema `GoogleCloudIdentitytoolkitAdminV2Tenant`):
what the manifest asks for, the update-mask paths that set it, the API's default, and one
canonical form of what the API answers, so its omissions never look like drift.

Masks name leaf paths where a field has server-owned siblings (`recaptchaConfig.recaptchaKeys`,
`passwordPolicyConfig.lastUpdateTime`), and the whole field where its parts are exclusive
(`smsRegionConfig`: `allowByDefault` or `allowlistOnly`, never both). Values are always sent
explicitly (`false`, `[]`, `OFF`): AIP-134 clears a masked field that is absent from the body,
but the Auth emulator skips it, so an explicit value is what both take the same way.

Test phone numbers are not here: their codes are secrets, sent by `tenant_settings.py` from
a secret input. Pure functions, no Pulumi import: adoption and the tests use them too.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from reconciler.manifests.signin import Auth, PasswordPolicy, Recaptcha, SmsRegions
from reconciler.program.mfa import DEFAULT_MFA_CONFIG, desired_mfa_config
from reconciler.program.mfa import UPDATE_MASK as MFA_MASK
from reconciler.program.mfa import normalized as normalized_mfa

TEST_PHONE_NUMBERS = "testPhoneNumbers"
"""The Tenant field holding test numbers and their codes (mask: the whole map)."""


def _flag(value: Any) -> bool:
    return bool(value)


def _state(value: Any, unspecified: str, default: str = "OFF") -> str:
    return default if value in (None, "", unspecified) else str(value)


def _score(value: Any) -> float:
    # `format: float` in the API: a float32 reads back as 0.30000001192092896.
    return round(float(value or 0), 1)


def password_policy_config(policy: PasswordPolicy) -> dict[str, Any]:
    """`passwordPolicyConfig`: one policy version, all its options explicit (as
    firebase-admin-node's `PasswordPolicyAuthConfig.buildServerRequest` sends it)."""
    return {
        "passwordPolicyEnforcementState": policy.enforcement_state,
        "passwordPolicyVersions": [
            {
                "customStrengthOptions": {
                    "minPasswordLength": policy.min_length,
                    "maxPasswordLength": policy.max_length,
                    "containsLowercaseCharacter": policy.require_lowercase,
                    "containsUppercaseCharacter": policy.require_uppercase,
                    "containsNumericCharacter": policy.require_numeric,
                    "containsNonAlphanumericCharacter": policy.require_non_alphanumeric,
                }
            }
        ],
        "forceUpgradeOnSignin": policy.force_upgrade_on_signin,
    }


def _normalized_password_policy(live: Any) -> dict[str, Any]:
    live = live if isinstance(live, dict) else {}
    versions = live.get("passwordPolicyVersions") or [{}]
    options = (versions[0] or {}).get("customStrengthOptions") or {}
    state = _state(
        live.get("passwordPolicyEnforcementState"), "PASSWORD_POLICY_ENFORCEMENT_STATE_UNSPECIFIED"
    )
    return password_policy_config(
        PasswordPolicy(
            enforcement_state=state,
            min_length=int(options.get("minPasswordLength") or 6),
            # "No default max length": an unset one reads as the SDK's default, 4096.
            max_length=int(options.get("maxPasswordLength") or 4096),
            require_uppercase=_flag(options.get("containsUppercaseCharacter")),
            require_lowercase=_flag(options.get("containsLowercaseCharacter")),
            require_numeric=_flag(options.get("containsNumericCharacter")),
            require_non_alphanumeric=_flag(options.get("containsNonAlphanumericCharacter")),
            force_upgrade_on_signin=_flag(live.get("forceUpgradeOnSignin")),
        )
    )


def sms_region_config(regions: SmsRegions) -> dict[str, Any]:
    """`smsRegionConfig`; "every region" is sent as an empty blocklist, a valid policy."""
    if regions.allowlist_only:
        return {"allowlistOnly": {"allowedRegions": list(regions.regions)}}
    return {"allowByDefault": {"disallowedRegions": list(regions.regions)}}


def _normalized_sms_regions(live: Any) -> dict[str, Any]:
    live = live if isinstance(live, dict) else {}
    if "allowlistOnly" in live:
        allowed = (live.get("allowlistOnly") or {}).get("allowedRegions") or []
        return sms_region_config(SmsRegions(True, tuple(sorted(set(allowed)))))
    blocked = (live.get("allowByDefault") or {}).get("disallowedRegions") or []
    return sms_region_config(SmsRegions(False, tuple(sorted(set(blocked)))))


def recaptcha_config(recaptcha: Recaptcha) -> dict[str, Any]:
    """`recaptchaConfig` without `recaptchaKeys` (Identity Platform's own)."""
    return {
        "emailPasswordEnforcementState": recaptcha.email_password_enforcement_state,
        "phoneEnforcementState": recaptcha.phone_enforcement_state,
        "managedRules": [{"endScore": s, "action": "BLOCK"} for s in recaptcha.managed_rules],
        "tollFraudManagedRules": [
            {"startScore": s, "action": "BLOCK"} for s in recaptcha.toll_fraud_managed_rules
        ],
        "useAccountDefender": recaptcha.use_account_defender,
        "useSmsBotScore": recaptcha.use_sms_bot_score,
        "useSmsTollFraudProtection": recaptcha.use_sms_toll_fraud_protection,
    }


def _normalized_recaptcha(live: Any) -> dict[str, Any]:
    live = live if isinstance(live, dict) else {}
    unspecified = "RECAPTCHA_PROVIDER_ENFORCEMENT_STATE_UNSPECIFIED"

    def rules(key: str, score: str) -> list[dict[str, Any]]:
        found = [
            {"endScore" if score == "endScore" else "startScore": _score(rule.get(score)),
             "action": _state(rule.get("action"), "", "RECAPTCHA_ACTION_UNSPECIFIED")}
            for rule in live.get(key) or []
            if isinstance(rule, dict)
        ]  # fmt: skip
        return sorted(found, key=lambda rule: rule[score])

    return {
        "emailPasswordEnforcementState": _state(
            live.get("emailPasswordEnforcementState"), unspecified
        ),
        "phoneEnforcementState": _state(live.get("phoneEnforcementState"), unspecified),
        "managedRules": rules("managedRules", "endScore"),
        "tollFraudManagedRules": rules("tollFraudManagedRules", "startScore"),
        "useAccountDefender": _flag(live.get("useAccountDefender")),
        "useSmsBotScore": _flag(live.get("useSmsBotScore")),
        "useSmsTollFraudProtection": _flag(live.get("useSmsTollFraudProtection")),
    }


def _nested_flag(*path: str) -> Callable[[Any], dict[str, Any]]:
    """Normaliser of a boolean at `path` inside a field (`monitoring.requestLogging.enabled`)."""

    def normalize(live: Any) -> dict[str, Any]:
        value = live
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        return _wrap(path, bool(value))

    return normalize


def _wrap(path: Sequence[str], value: Any) -> Any:
    for key in reversed(path):
        value = {key: value}
    return value


@dataclass(frozen=True)
class Setting:
    """One top-level field of the Tenant that the settings resource may own."""

    field: str
    """The Tenant field, e.g. `passwordPolicyConfig`."""
    manifest_key: str
    """Its key under `spec.auth`."""
    mask: tuple[str, ...]
    """Update-mask paths that set it."""
    default: Any
    """The API's default, in canonical form: what a new tenant has and delete restores."""
    normalize: Callable[[Any], Any]
    """The API's answer (or None) in canonical form."""
    desired: Callable[[Auth], Any]
    """What the manifest asks for, in canonical form."""
    kept_when_absent: bool = False
    """An absent manifest key leaves the setting as it is (else: the API's default)."""


def _leaves(field: str, *names: str) -> tuple[str, ...]:
    return tuple(f"{field}.{name}" for name in names)


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "enableAnonymousUser",
        "enableAnonymousUser",
        ("enableAnonymousUser",),
        False,
        _flag,
        lambda auth: auth.enable_anonymous_user,
    ),
    Setting(
        "autodeleteAnonymousUsers",
        "autodeleteAnonymousUsers",
        ("autodeleteAnonymousUsers",),
        False,
        _flag,
        lambda auth: auth.autodelete_anonymous_users,
    ),
    Setting(
        "mfaConfig",
        "mfa",
        tuple(MFA_MASK),
        normalized_mfa(DEFAULT_MFA_CONFIG),
        normalized_mfa,
        lambda auth: normalized_mfa(desired_mfa_config(auth.mfa)),
    ),
    Setting(
        "passwordPolicyConfig",
        "passwordPolicy",
        _leaves(
            "passwordPolicyConfig",
            "passwordPolicyEnforcementState",
            "passwordPolicyVersions",
            "forceUpgradeOnSignin",
        ),
        password_policy_config(PasswordPolicy()),
        _normalized_password_policy,
        lambda auth: password_policy_config(auth.password_policy),
    ),
    Setting(
        "smsRegionConfig",
        "smsRegions",
        ("smsRegionConfig",),
        sms_region_config(SmsRegions()),
        _normalized_sms_regions,
        lambda auth: sms_region_config(auth.sms_regions),
    ),
    Setting(
        "recaptchaConfig",
        "recaptcha",
        _leaves(
            "recaptchaConfig",
            "emailPasswordEnforcementState",
            "phoneEnforcementState",
            "managedRules",
            "tollFraudManagedRules",
            "useAccountDefender",
            "useSmsBotScore",
            "useSmsTollFraudProtection",
        ),
        recaptcha_config(Recaptcha()),
        _normalized_recaptcha,
        lambda auth: recaptcha_config(auth.recaptcha or Recaptcha()),
        # Kept when absent: a project without the reCAPTCHA Enterprise integration set up
        # may refuse even an all-OFF write (review 22-24, finding 6), so only a manifest
        # that writes `recaptcha:` sends it.
        kept_when_absent=True,
    ),
    Setting(
        "emailPrivacyConfig",
        "enableImprovedEmailPrivacy",
        ("emailPrivacyConfig.enableImprovedEmailPrivacy",),
        {"enableImprovedEmailPrivacy": False},
        _nested_flag("enableImprovedEmailPrivacy"),
        lambda auth: {"enableImprovedEmailPrivacy": auth.enable_improved_email_privacy},
    ),
    Setting(
        "inheritance",
        "inheritEmailSending",
        ("inheritance.emailSendingConfig",),
        {"emailSendingConfig": False},
        _nested_flag("emailSendingConfig"),
        lambda auth: {"emailSendingConfig": auth.inherit_email_sending},
    ),
    Setting(
        "monitoring",
        "requestLogging",
        ("monitoring.requestLogging.enabled",),
        {"requestLogging": {"enabled": False}},
        _nested_flag("requestLogging", "enabled"),
        lambda auth: {"requestLogging": {"enabled": bool(auth.request_logging)}},
        kept_when_absent=True,
    ),
    Setting(
        "mobileLinksConfig",
        "mobileLinksDomain",
        ("mobileLinksConfig.domain",),
        {"domain": "DOMAIN_UNSPECIFIED"},
        lambda live: {
            "domain": _state((live or {}).get("domain"), "DOMAIN_UNSPECIFIED", "DOMAIN_UNSPECIFIED")
        },
        lambda auth: {"domain": auth.mobile_links_domain},
        kept_when_absent=True,
    ),
)
BY_FIELD: Mapping[str, Setting] = {setting.field: setting for setting in SETTINGS}


def _written(setting: Setting, auth: Auth) -> bool:
    """Whether the manifest says something about a setting that is kept when absent."""
    if setting.field == "monitoring":
        return auth.request_logging is not None
    if setting.field == "mobileLinksConfig":
        return auth.mobile_links_domain is not None
    if setting.field == "recaptchaConfig":
        return auth.recaptcha is not None
    return True


def owned_fields(auth: Auth) -> tuple[str, ...]:
    """The Tenant fields the manifest owns: every one whose absence means the API's default,
    and those kept when absent that the manifest writes. Test phone numbers are always
    owned (absent: none)."""
    fields = [s.field for s in SETTINGS if not s.kept_when_absent or _written(s, auth)]
    return (*fields, TEST_PHONE_NUMBERS)


def desired_config(auth: Auth) -> dict[str, Any]:
    """Owned field -> what the manifest asks for (test phone numbers aside)."""
    return {
        field: BY_FIELD[field].desired(auth) for field in owned_fields(auth) if field in BY_FIELD
    }


def normalized_config(tenant: Mapping[str, Any], owned: Sequence[str]) -> dict[str, Any]:
    """Owned field -> the live tenant document's value, in canonical form."""
    return {
        field: BY_FIELD[field].normalize(tenant.get(field)) for field in owned if field in BY_FIELD
    }


def default_config(owned: Sequence[str]) -> dict[str, Any]:
    """Owned field -> the API's default (what delete puts back)."""
    return {field: BY_FIELD[field].default for field in owned if field in BY_FIELD}


def update_mask(owned: Sequence[str]) -> list[str]:
    """The update mask of exactly the owned fields."""
    mask = [path for field in owned if field in BY_FIELD for path in BY_FIELD[field].mask]
    return [*mask, TEST_PHONE_NUMBERS] if TEST_PHONE_NUMBERS in owned else mask
