"""The tenant's sign-in settings (`spec.auth`) as frozen dataclasses, with their defaults.

Every field maps to one writable setting of Identity Toolkit v2's Tenant resource
(https://cloud.google.com/identity-platform/docs/reference/rest/v2/projects.tenants); the
schema (`$defs/auth`) holds the rules and says, per setting, what an absent key means:

- most settings: absent is **the API's default** (e.g. no password policy, no test phone
  numbers, anonymous sign-in off), so a setting made by hand in the console is drift;
- `requestLogging` and `mobileLinksDomain` (operations, not sign-in posture): absent is
  **left as it is**; they are `None` here and the program does not touch them.

`reconciler/program/signin.py` turns an `Auth` into the API's request body.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from reconciler.manifests.refs import SecretRef, secret_ref, whole


@dataclass(frozen=True)
class ClientPermissions:
    """What end users may do to their own accounts from client apps."""

    disabled_user_signup: bool = False
    """Users cannot sign themselves up."""
    disabled_user_deletion: bool = False
    """Users cannot delete their own accounts."""


@dataclass(frozen=True)
class Mfa:
    """Multi-factor authentication for the tenant's users."""

    state: str = "DISABLED"
    """`DISABLED`, `ENABLED` (users may enrol a second factor) or `MANDATORY`."""
    factors: tuple[str, ...] = ()
    """Second factors users may enrol: `PHONE_SMS`, `TOTP` (sorted)."""
    totp_adjacent_intervals: int = 5
    """TOTP codes accepted from this many 30-second intervals either side (clock skew)."""


@dataclass(frozen=True)
class PasswordPolicy:
    """Password strength rules (`passwordPolicyConfig`)."""

    enforcement_state: str = "OFF"
    """`OFF` or `ENFORCE`."""
    min_length: int = 6
    """Minimum length, 6-30."""
    max_length: int = 4096
    """Maximum length, min_length-4096."""
    require_uppercase: bool = False
    require_lowercase: bool = False
    require_numeric: bool = False
    require_non_alphanumeric: bool = False
    force_upgrade_on_signin: bool = False
    """Users whose password breaks the policy must change it to sign in."""


@dataclass(frozen=True)
class SmsRegions:
    """Where SMS codes may be sent (`smsRegionConfig`), by the destination's region."""

    allowlist_only: bool = False
    """True: only `regions` may get SMS (`allowlistOnly`); False: all but `regions`."""
    regions: tuple[str, ...] = ()
    """Two-letter CLDR region codes, sorted."""


@dataclass(frozen=True)
class Recaptcha:
    """reCAPTCHA Enterprise protection of sign-in (`recaptchaConfig`)."""

    email_password_enforcement_state: str = "OFF"
    """`OFF`, `AUDIT` or `ENFORCE` for email/password flows."""
    phone_enforcement_state: str = "OFF"
    """`OFF`, `AUDIT` or `ENFORCE` for SMS flows."""
    managed_rules: tuple[float, ...] = ()
    """End scores of the BLOCK rules for bot scores, sorted."""
    toll_fraud_managed_rules: tuple[float, ...] = ()
    """Start scores of the BLOCK rules for SMS toll-fraud scores, sorted."""
    use_account_defender: bool = False
    use_sms_bot_score: bool = False
    use_sms_toll_fraud_protection: bool = False


@dataclass(frozen=True)
class TestPhoneNumber:
    """A phone number that signs in with a fixed code and gets no SMS."""

    number: str
    """E.164, e.g. `+15555550100`."""
    code: SecretRef
    """Where the six-digit code lives: it is a credential, never in git."""


@dataclass(frozen=True)
class Auth:
    """The tenant's sign-in settings on Identity Platform."""

    allow_password_signup: bool = False
    """Email and password sign-in."""
    enable_email_link_signin: bool = False
    """Passwordless email-link sign-in."""
    disable_auth: bool = False
    """When true, no user of the tenant can sign in."""
    client_permissions: ClientPermissions = field(default_factory=ClientPermissions)
    """Self-service limits for end users."""
    mfa: Mfa = field(default_factory=Mfa)
    """Multi-factor authentication; absent in the manifest means disabled."""
    enable_anonymous_user: bool = False
    """Anonymous sign-in."""
    autodelete_anonymous_users: bool = False
    """Anonymous users are deleted after 30 days."""
    password_policy: PasswordPolicy = field(default_factory=PasswordPolicy)
    """Password strength rules; absent means none enforced."""
    sms_regions: SmsRegions = field(default_factory=SmsRegions)
    """SMS destinations; absent means every region."""
    recaptcha: Recaptcha | None = None
    """reCAPTCHA Enterprise; None leaves it as it is (a project without reCAPTCHA
    Enterprise set up is never sent it)."""
    enable_improved_email_privacy: bool = False
    """Email-enumeration protection."""
    test_phone_numbers: tuple[TestPhoneNumber, ...] = ()
    """Fixed-code test numbers, sorted by number; absent means none."""
    inherit_email_sending: bool = False
    """Emails use the project's custom domain, templates and SMTP (`inheritance`)."""
    request_logging: bool | None = None
    """Cloud Logging of the tenant's requests; None leaves it as it is."""
    mobile_links_domain: str | None = None
    """`HOSTING_DOMAIN` or `FIREBASE_DYNAMIC_LINK_DOMAIN`; None leaves it as it is."""


def _mfa(raw: dict[str, Any]) -> Mfa:
    return Mfa(
        state=raw.get("state", "DISABLED"),
        factors=tuple(sorted(set(raw.get("factors", [])))),
        totp_adjacent_intervals=whole(raw.get("totpAdjacentIntervals", 5)),
    )


def _password_policy(raw: dict[str, Any]) -> PasswordPolicy:
    return PasswordPolicy(
        enforcement_state=raw.get("enforcementState", "OFF"),
        min_length=whole(raw.get("minLength", 6)),
        max_length=whole(raw.get("maxLength", 4096)),
        require_uppercase=raw.get("requireUppercase", False),
        require_lowercase=raw.get("requireLowercase", False),
        require_numeric=raw.get("requireNumeric", False),
        require_non_alphanumeric=raw.get("requireNonAlphanumeric", False),
        force_upgrade_on_signin=raw.get("forceUpgradeOnSignin", False),
    )


def _sms_regions(raw: dict[str, Any]) -> SmsRegions:
    if "allowedRegions" in raw:
        return SmsRegions(allowlist_only=True, regions=tuple(sorted(set(raw["allowedRegions"]))))
    return SmsRegions(regions=tuple(sorted(set(raw.get("disallowedRegions", [])))))


def _scores(rules: list[dict[str, Any]], key: str) -> tuple[float, ...]:
    return tuple(sorted(float(rule[key]) for rule in rules))


def _recaptcha(raw: dict[str, Any]) -> Recaptcha:
    return Recaptcha(
        email_password_enforcement_state=raw.get("emailPasswordEnforcementState", "OFF"),
        phone_enforcement_state=raw.get("phoneEnforcementState", "OFF"),
        managed_rules=_scores(raw.get("managedRules", []), "endScore"),
        toll_fraud_managed_rules=_scores(raw.get("tollFraudManagedRules", []), "startScore"),
        use_account_defender=raw.get("useAccountDefender", False),
        use_sms_bot_score=raw.get("useSmsBotScore", False),
        use_sms_toll_fraud_protection=raw.get("useSmsTollFraudProtection", False),
    )


def auth_from_document(auth: dict[str, Any]) -> Auth:
    """`spec.auth` of a schema-valid manifest, with the documented defaults applied."""
    perms = auth.get("clientPermissions", {})
    phones = auth.get("testPhoneNumbers", {})
    return Auth(
        allow_password_signup=auth.get("allowPasswordSignup", False),
        enable_email_link_signin=auth.get("enableEmailLinkSignin", False),
        disable_auth=auth.get("disableAuth", False),
        client_permissions=ClientPermissions(
            disabled_user_signup=perms.get("disabledUserSignup", False),
            disabled_user_deletion=perms.get("disabledUserDeletion", False),
        ),
        mfa=_mfa(auth.get("mfa", {})),
        enable_anonymous_user=auth.get("enableAnonymousUser", False),
        autodelete_anonymous_users=auth.get("autodeleteAnonymousUsers", False),
        password_policy=_password_policy(auth.get("passwordPolicy", {})),
        sms_regions=_sms_regions(auth.get("smsRegions", {})),
        recaptcha=_recaptcha(auth["recaptcha"]) if "recaptcha" in auth else None,
        enable_improved_email_privacy=auth.get("enableImprovedEmailPrivacy", False),
        test_phone_numbers=tuple(
            TestPhoneNumber(number, secret_ref(ref)) for number, ref in sorted(phones.items())
        ),
        inherit_email_sending=auth.get("inheritEmailSending", False),
        request_logging=auth.get("requestLogging"),
        mobile_links_domain=auth.get("mobileLinksDomain"),
    )


def sign_in_posture(auth: Auth) -> dict[str, Any]:
    """The tenant's sign-in posture in a few words per setting, for people and reports
    (the stack output `signInPosture`; never a secret: test numbers are only counted)."""
    mfa = auth.mfa
    policy = auth.password_policy
    required = [
        word
        for word, on in (
            ("upper", policy.require_uppercase),
            ("lower", policy.require_lowercase),
            ("digit", policy.require_numeric),
            ("symbol", policy.require_non_alphanumeric),
        )
        if on
    ]
    regions = ", ".join(auth.sms_regions.regions)
    if auth.sms_regions.allowlist_only:
        sms = f"only {regions}" if regions else "none"
    else:
        sms = f"all but {regions}" if regions else "all"
    recaptcha = auth.recaptcha
    return {
        "passwordSignup": auth.allow_password_signup,
        "emailLinkSignin": auth.enable_email_link_signin,
        "anonymousUsers": auth.enable_anonymous_user,
        "signInDisabled": auth.disable_auth,
        "mfa": f"{mfa.state}" + (f" ({', '.join(mfa.factors)})" if mfa.factors else ""),
        "passwordPolicy": (
            f"ENFORCE {policy.min_length}-{policy.max_length}"
            + (f" ({', '.join(required)})" if required else "")
            if policy.enforcement_state == "ENFORCE"
            else "OFF"
        ),
        "smsRegions": sms,
        "recaptcha": (
            f"email {recaptcha.email_password_enforcement_state}, "
            f"phone {recaptcha.phone_enforcement_state}"
            if recaptcha
            else "left as it is"
        ),
        "improvedEmailPrivacy": auth.enable_improved_email_privacy,
        "testPhoneNumbers": len(auth.test_phone_numbers),
    }
