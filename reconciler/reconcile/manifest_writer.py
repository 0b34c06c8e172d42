"""Manifests for tenants that already exist: the live settings, written as `tenants/<name>.yaml`.

A pure module: `manifest_document` turns the Identity Toolkit's answers (a Tenant and its
IdP configs, as projects.tenants.get / *.list return them) into a manifest that `validate`
accepts and `adopt` takes over unchanged. Tables, not code, say which API field becomes
which manifest field (`TENANT_FIELDS`, `IDP_FIELDS`), so a new `spec.auth` setting is one
row. Every sign-in setting is written with its live value, defaults included (the posture
shows in review, and adopt finds nothing to change); the three that an absent key leaves as
they are (`requestLogging`, `mobileLinksDomain`: operations switches; `recaptcha`: it needs
reCAPTCHA Enterprise set up; docs/sign-in.md) only when the tenant has them on, so the
manifest does not take over one nobody chose. The sign-in settings are spelled as
adoption's hints spell them (`reconcile/adopt_signin.py`, from the catalogue in
`program/signin.py`).

Never written: a client secret's or a test phone code's value. Each provider that has a
secret gets a reference the tenant owns (`fromSecretManager: tenant-<name>-<idp>-client-secret`),
each test phone number one too (`tenant-<name>-test-phone-<digits>-code`), and `secret_ids`
lists them so the next steps can say where to store the live values.

API shapes (Identity Toolkit v2 reference): Tenant `{name, displayName, allowPasswordSignup,
enableEmailLinkSignin, disableAuth, client.permissions, mfaConfig, enableAnonymousUser,
autodeleteAnonymousUsers, passwordPolicyConfig, smsRegionConfig, recaptchaConfig,
emailPrivacyConfig, testPhoneNumbers, inheritance, monitoring, mobileLinksConfig}`
(shapes in `program/signin.py`); DefaultSupportedIdpConfig
`{name, enabled, clientId, clientSecret}`; OAuthIdpConfig `{name, displayName, enabled,
clientId, issuer, clientSecret, responseType{idToken, code}}`; InboundSamlConfig `{name,
displayName, enabled, idpConfig{idpEntityId, ssoUrl, signRequest,
idpCertificates[{x509Certificate}]}, spConfig{spEntityId, callbackUri}}`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from reconciler.names import conventional_secret_id
from reconciler.program.signin import BY_FIELD, TEST_PHONE_NUMBERS
from reconciler.reconcile.adopt_signin import manifest_spelling

HEADER = "# yaml-language-server: $schema=../schema/tenant.schema.json\n"
_NAME = re.compile(r"^[a-z][a-z0-9-]{1,26}[a-z0-9]$")
_PHONE_SMS, _TOTP = "PHONE_SMS", "TOTP"


@dataclass(frozen=True)
class Field:
    """One API field that becomes one manifest field."""

    manifest: tuple[str, ...]
    """Where it goes under `spec`."""
    api: tuple[str, ...]
    """Where it is in the API's document."""
    convert: Callable[[Any], Any] = bool
    """API value (None when absent) to manifest value; None leaves the key out."""


def _get(document: Mapping[str, Any], path: Sequence[str]) -> Any:
    value: Any = document
    for key in path:
        value = value.get(key) if isinstance(value, Mapping) else None
    return value


def _put(document: dict[str, Any], path: Sequence[str], value: Any) -> None:
    for key in path[:-1]:
        document = document.setdefault(key, {})
    document[path[-1]] = value


def mfa_from_api(config: Any) -> dict[str, Any]:
    """`auth.mfa` from the API's `mfaConfig` (the inverse of `desired_mfa_config`): SMS is
    an enabled provider, TOTP an ENABLED provider config; absent means DISABLED."""
    config = config if isinstance(config, Mapping) else {}
    state = str(config.get("state") or "DISABLED")
    state = "DISABLED" if state == "STATE_UNSPECIFIED" else state
    factors = [_PHONE_SMS] if _PHONE_SMS in (config.get("enabledProviders") or []) else []
    mfa: dict[str, Any] = {"state": state}
    for item in config.get("providerConfigs") or []:
        totp = item.get("totpProviderConfig")
        if totp is not None and item.get("state") == "ENABLED":
            factors.append(_TOTP)
            intervals = int(totp.get("adjacentIntervals", 5) or 0)
            if intervals != 5:
                mfa["totpAdjacentIntervals"] = intervals
    mfa["factors"] = sorted(factors)
    return mfa


def _sign_in(field: str) -> Callable[[Any], Any]:
    """A sign-in setting's API value as the manifest spells it (the catalogue's canonical
    form first, so the API's omissions read as its defaults)."""
    setting = BY_FIELD[field]
    return lambda value: manifest_spelling(setting.manifest_key, setting.normalize(value))


def _recaptcha(value: Any) -> dict[str, Any] | None:
    """`recaptcha`, only when the tenant enforces or audits with it (absent leaves it as it
    is, so a project without reCAPTCHA Enterprise is never sent it): both enforcement states,
    the rest when set."""
    live = BY_FIELD["recaptchaConfig"].normalize(value)
    states = ("emailPasswordEnforcementState", "phoneEnforcementState")
    if all(live[key] == "OFF" for key in states):
        return None
    return {**{key: live[key] for key in states}, **manifest_spelling("recaptcha", live)}


def _when_on(value: Any) -> bool | None:
    """A switch an absent key leaves as it is: written only when on."""
    return True if value else None


def _domain(value: Any) -> str | None:
    """`mobileLinksDomain`, when the tenant has chosen one (else left as it is)."""
    return str(value) if value in ("HOSTING_DOMAIN", "FIREBASE_DYNAMIC_LINK_DOMAIN") else None


def _test_phone_numbers(tenant: Mapping[str, Any], name: str) -> dict[str, Any]:
    """Each live test number with a reference to its code, which the tenant owns."""
    numbers = sorted(tenant.get(TEST_PHONE_NUMBERS) or {})
    return {
        number: {"fromSecretManager": {"secret": secret_id(name, number)}} for number in numbers
    }


TENANT_FIELDS: tuple[Field, ...] = (
    Field(("auth", "allowPasswordSignup"), ("allowPasswordSignup",)),
    Field(("auth", "enableEmailLinkSignin"), ("enableEmailLinkSignin",)),
    Field(("auth", "disableAuth"), ("disableAuth",)),
    Field(
        ("auth", "clientPermissions", "disabledUserSignup"),
        ("client", "permissions", "disabledUserSignup"),
    ),
    Field(
        ("auth", "clientPermissions", "disabledUserDeletion"),
        ("client", "permissions", "disabledUserDeletion"),
    ),
    Field(("auth", "mfa"), ("mfaConfig",), mfa_from_api),
    Field(("auth", "enableAnonymousUser"), ("enableAnonymousUser",)),
    Field(("auth", "autodeleteAnonymousUsers"), ("autodeleteAnonymousUsers",)),
    Field(("auth", "passwordPolicy"), ("passwordPolicyConfig",), _sign_in("passwordPolicyConfig")),
    Field(("auth", "smsRegions"), ("smsRegionConfig",), _sign_in("smsRegionConfig")),
    Field(("auth", "recaptcha"), ("recaptchaConfig",), _recaptcha),
    Field(
        ("auth", "enableImprovedEmailPrivacy"), ("emailPrivacyConfig", "enableImprovedEmailPrivacy")
    ),
    Field(("auth", "inheritEmailSending"), ("inheritance", "emailSendingConfig")),
    Field(("auth", "requestLogging"), ("monitoring", "requestLogging", "enabled"), _when_on),
    Field(("auth", "mobileLinksDomain"), ("mobileLinksConfig", "domain"), _domain),
)
"""The tenant's settings the manifest holds (spec.auth), API path -> manifest path."""


def _text(value: Any) -> Any:
    return None if value is None else str(value)


def _enabled(value: Any) -> bool:
    return value is None or bool(value)


def _certificates(value: Any) -> list[str]:
    return [str(c.get("x509Certificate", "")) for c in value or [] if c.get("x509Certificate")]


def _response_type(value: Any) -> str:
    return "code" if isinstance(value, Mapping) and value.get("code") else "idToken"


IDP_FIELDS: dict[str, tuple[Field, ...]] = {
    "defaultSupportedIdpConfigs": (
        Field(("clientId",), ("clientId",), _text),
        Field(("enabled",), ("enabled",), _enabled),
    ),
    "oauthIdpConfigs": (
        Field(("displayName",), ("displayName",), _text),
        Field(("issuer",), ("issuer",), _text),
        Field(("clientId",), ("clientId",), _text),
        Field(("responseType",), ("responseType",), _response_type),
        Field(("enabled",), ("enabled",), _enabled),
    ),
    "inboundSamlConfigs": (
        Field(("displayName",), ("displayName",), _text),
        Field(("enabled",), ("enabled",), _enabled),
        Field(("idp", "entityId"), ("idpConfig", "idpEntityId"), _text),
        Field(("idp", "ssoUrl"), ("idpConfig", "ssoUrl"), _text),
        Field(("idp", "signRequest"), ("idpConfig", "signRequest"), bool),
        Field(("idp", "certificates"), ("idpConfig", "idpCertificates"), _certificates),
        Field(("sp", "entityId"), ("spConfig", "spEntityId"), _text),
        Field(("sp", "callbackUri"), ("spConfig", "callbackUri"), _text),
    ),
}
"""Per IdP collection, API path -> manifest path of each field."""
COLLECTIONS = tuple(IDP_FIELDS)


def _takes_secret(collection: str, entry: Mapping[str, Any]) -> bool:
    """Default providers always have a client secret; OIDC only in the code flow."""
    return collection == "defaultSupportedIdpConfigs" or (
        collection == "oauthIdpConfigs" and entry.get("responseType") == "code"
    )


@dataclass(frozen=True)
class LiveIdp:
    collection: str
    """`defaultSupportedIdpConfigs`, `oauthIdpConfigs` or `inboundSamlConfigs`."""
    config: Mapping[str, Any]

    @property
    def id(self) -> str:
        return str(self.config.get("name", "")).rsplit("/", 1)[-1]


def tenant_id(tenant: Mapping[str, Any]) -> str:
    return str(tenant.get("tenantId") or str(tenant.get("name", "")).rsplit("/", 1)[-1])


def tenant_name(display_name: str, taken: Iterable[str]) -> str | None:
    """A tenant name (the file stem and stack name) from a display name, not yet taken."""
    base = re.sub(r"[^a-z0-9]+", "-", display_name.lower()).strip("-")[:26].rstrip("-")
    if not base or not base[0].isalpha():
        base = f"t-{base}".rstrip("-")
    taken = set(taken)
    for suffix in ["", *(f"-{n}" for n in range(2, 100))]:
        candidate = f"{base[: 28 - len(suffix)].rstrip('-')}{suffix}"
        if _NAME.match(candidate) and candidate not in taken:
            return candidate
    return None


def manifest_document(
    tenant: Mapping[str, Any], idps: Sequence[LiveIdp], name: str, owner: str
) -> dict[str, Any]:
    """The manifest of a live tenant, adopting it by id."""
    spec: dict[str, Any] = {
        "displayName": str(tenant.get("displayName", "")),
        "adopt": {"tenantId": tenant_id(tenant)},
    }
    for field in TENANT_FIELDS:
        value = field.convert(_get(tenant, field.api))
        if value is not None:
            _put(spec, field.manifest, value)
    _put(spec, ("auth", TEST_PHONE_NUMBERS), _test_phone_numbers(tenant, name))
    providers = []
    for idp in idps:
        entry: dict[str, Any] = {"id": idp.id}
        for field in IDP_FIELDS[idp.collection]:
            _put(entry, field.manifest, field.convert(_get(idp.config, field.api)))
        if _takes_secret(idp.collection, entry):
            entry["clientSecret"] = {"fromSecretManager": {"secret": secret_id(name, idp.id)}}
        providers.append(entry)
    spec["identityProviders"] = providers
    return {
        "apiVersion": "mlaas.dev/v1",
        "kind": "Tenant",
        "metadata": {"name": name, "owner": owner},
        "spec": spec,
    }


def secret_id(name: str, key: str) -> str:
    """The Secret Manager secret the manifest names for a provider's client secret (`key`:
    the IdP id) or a test phone number's code (`key`: the number)."""
    return conventional_secret_id(name, key)


def secret_ids(document: Mapping[str, Any]) -> list[str]:
    """Every Secret Manager id the manifest references (to hold the live secrets): the
    providers' client secrets, then the test phone codes."""
    refs = [p.get("clientSecret") for p in document["spec"]["identityProviders"]]
    phones = _get(document, ("spec", "auth", TEST_PHONE_NUMBERS)) or {}
    refs += [phones[number] for number in sorted(phones)]
    return [
        str(_get(ref, ("fromSecretManager", "secret")))
        for ref in refs
        if _get(ref, ("fromSecretManager", "secret"))
    ]


def manifest_text(document: Mapping[str, Any]) -> str:
    body = yaml.safe_dump(dict(document), sort_keys=False, default_flow_style=False, width=100)
    return HEADER + body
