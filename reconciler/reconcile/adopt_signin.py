"""Adoption compares every sign-in setting the manifest owns, and names the line to write.

`reconciler adopt` never changes the cloud: the `up` that finishes it PATCHes the tenant's
sign-in settings (`program/tenant_settings.py`) and each OIDC provider's flow
(`program/oidc_flow.py`) with what the manifest says, so before anything runs, every owned
setting must already say the same in the live tenant. A difference is refused with the
manifest path, both values, and the YAML that makes the manifest say what the cloud has.

Test phone numbers are compared by number: their codes are secrets, read only inside the
program, so a code that differs is put right by the adoption's `up` (docs/sign-in.md).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from reconciler.manifests.model import OidcIdp, Tenant
from reconciler.names import conventional_secret_id
from reconciler.program.signin import BY_FIELD, SETTINGS, TEST_PHONE_NUMBERS, owned_fields

PHONES_PATH = "auth.testPhoneNumbers"


def live_settings(document: Mapping[str, Any]) -> dict[str, Any]:
    """Manifest path (`auth.passwordPolicy`) -> the live tenant's value, in canonical form."""
    found = {f"auth.{s.manifest_key}": s.normalize(document.get(s.field)) for s in SETTINGS}
    found[PHONES_PATH] = sorted(document.get(TEST_PHONE_NUMBERS) or {})
    return found


def desired_sign_in(tenant: Tenant) -> dict[str, Any]:
    """The same paths, from the manifest, for the settings it owns."""
    auth = tenant.auth
    found = {
        f"auth.{BY_FIELD[field].manifest_key}": BY_FIELD[field].desired(auth)
        for field in owned_fields(auth)
        if field in BY_FIELD
    }
    found[PHONES_PATH] = sorted(phone.number for phone in auth.test_phone_numbers)
    return found


def is_sign_in_path(path: str) -> bool:
    """Whether a settings path is one of the catalogue's (its hint comes from here)."""
    return path == PHONES_PATH or any(path == f"auth.{s.manifest_key}" for s in SETTINGS)


def what_to_write(tenant: Tenant, path: str, live: Any) -> str:
    """The manifest line that says what the live tenant has, under spec.auth."""
    key = path.removeprefix("auth.")
    value = _manifest_value(tenant, key, live)
    if value is None:
        return f"remove `{key}` from spec.auth (the tenant has the API's default)"
    return f"write `{key}: {_flow(value)}` under spec.auth"


def _manifest_value(tenant: Tenant, key: str, live: Any) -> Any:
    """The live value as the manifest spells it; None for the API's default."""
    setting = next((s for s in SETTINGS if s.manifest_key == key), None)
    if key == "testPhoneNumbers":
        variable = {n: conventional_secret_id(tenant.name, n) for n in live}
        return {
            n: {"fromEnv": v.removeprefix("tenant-").upper().replace("-", "_")}
            for n, v in variable.items()
        } or None
    if setting is None or live == setting.default:
        return None
    return manifest_spelling(key, live)


def manifest_spelling(key: str, live: Any) -> Any:
    """A live setting, in the catalogue's canonical form (`Setting.normalize`), as
    `spec.auth.<key>` spells it (`manifest_writer.py` writes manifests with it too)."""
    return _READERS.get(key, lambda value: value)(live)


def _mfa(live: dict[str, Any]) -> dict[str, Any]:
    factors = list(live["enabledProviders"])
    totp = [c for c in live["providerConfigs"] if c["state"] != "DISABLED"]
    written: dict[str, Any] = {"state": live["state"], "factors": factors + ["TOTP"] * bool(totp)}
    if totp:
        written["totpAdjacentIntervals"] = totp[0]["totpProviderConfig"]["adjacentIntervals"]
    return written


def _password_policy(live: dict[str, Any]) -> dict[str, Any]:
    options = live["passwordPolicyVersions"][0]["customStrengthOptions"]
    names = {
        "minLength": ("minPasswordLength", 6),
        "maxLength": ("maxPasswordLength", 4096),
        "requireUppercase": ("containsUppercaseCharacter", False),
        "requireLowercase": ("containsLowercaseCharacter", False),
        "requireNumeric": ("containsNumericCharacter", False),
        "requireNonAlphanumeric": ("containsNonAlphanumericCharacter", False),
    }
    written = {"enforcementState": live["passwordPolicyEnforcementState"]}
    written.update({k: options[a] for k, (a, default) in names.items() if options[a] != default})
    if live["forceUpgradeOnSignin"]:
        written["forceUpgradeOnSignin"] = True
    return written


def _sms_regions(live: dict[str, Any]) -> dict[str, Any]:
    if "allowlistOnly" in live:
        return {"allowedRegions": live["allowlistOnly"]["allowedRegions"]}
    return {"disallowedRegions": live["allowByDefault"]["disallowedRegions"]}


def _recaptcha(live: dict[str, Any]) -> dict[str, Any]:
    defaults = BY_FIELD["recaptchaConfig"].default
    return {key: value for key, value in live.items() if value != defaults[key]}


_READERS = {
    "mfa": _mfa,
    "passwordPolicy": _password_policy,
    "smsRegions": _sms_regions,
    "recaptcha": _recaptcha,
    "enableImprovedEmailPrivacy": lambda live: live["enableImprovedEmailPrivacy"],
    "inheritEmailSending": lambda live: live["emailSendingConfig"],
    "requestLogging": lambda live: live["requestLogging"]["enabled"],
    "mobileLinksDomain": lambda live: live["domain"],
}


def _flow(value: Any) -> str:
    """A YAML flow value: `{state: ENABLED, factors: [PHONE_SMS]}`."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        items = ", ".join(f"{_key(k)}: {_flow(v)}" for k, v in value.items())
        return "{" + items + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_flow(item) for item in value) + "]"
    return str(value)


def _key(key: str) -> str:
    return json.dumps(key) if key.startswith("+") else key


def flow_differences(tenant: Tenant, configs: Mapping[str, Mapping[str, Any] | None]) -> list[str]:
    """Each OIDC provider whose live response type is not the manifest's.

    `configs` maps an OIDC provider id to its live config (None: it does not exist, which
    the IdP checks report)."""
    from reconciler.program.oidc_flow import response_type

    found = []
    for index, idp in enumerate(tenant.identity_providers):
        config = configs.get(idp.id) if isinstance(idp, OidcIdp) else None
        if config is None or not isinstance(idp, OidcIdp):
            continue
        # A config made without a response type uses the implicit flow, the default.
        live = "idToken" if response_type(config) == "unset" else response_type(config)
        if live == idp.response_type:
            continue
        hint = (
            "write `responseType: code` and its clientSecret reference"
            if live == "code"
            else "write `responseType: idToken` (or leave responseType out)"
        )
        found.append(
            f"spec.identityProviders[{index}].responseType: the provider {idp.id} has {live}, "
            f"the manifest says {idp.response_type}; {hint}"
        )
    return found


def oidc_configs(directory: Any, tenant: Tenant, project: str, tenant_id: str) -> dict[str, Any]:
    """The live config of each OIDC provider the manifest lists (a directory that cannot
    read IdP configs, as in the unit tests' fakes, reads none)."""
    find = getattr(directory, "find_oauth_idp_config", None)
    if find is None:
        return {}
    return {
        idp.id: find(project, tenant_id, idp.id)
        for idp in tenant.identity_providers
        if isinstance(idp, OidcIdp)
    }
