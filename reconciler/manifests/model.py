"""The typed tenant model: frozen dataclasses built from a schema-valid manifest.

The JSON Schema (`schema/tenant.schema.json`) is the contract; this module does not
re-check its rules. `tenant_from_document` assumes the document already passed the
schema and the semantic rules, applies the documented defaults, and returns a
`Tenant` the Pulumi program and the planner can trust.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reconciler.manifests.refs import SecretManagerRef, SecretRef, secret_ref, whole
from reconciler.manifests.signin import (
    Auth,
    ClientPermissions,
    Mfa,
    PasswordPolicy,
    Recaptcha,
    SmsRegions,
    TestPhoneNumber,
    auth_from_document,
)

__all__ = [
    "Auth",
    "ClientPermissions",
    "Mfa",
    "PasswordPolicy",
    "Recaptcha",
    "SecretManagerRef",
    "SecretRef",
    "SmsRegions",
    "TestPhoneNumber",
]

API_VERSION = "mlaas.dev/v1"
KIND = "Tenant"


@dataclass(frozen=True)
class DefaultIdp:
    """A default supported IdP (google.com, github.com, ...)."""

    id: str
    """Documented IdP id, e.g. `google.com`."""
    client_id: str
    """OAuth client id issued by the IdP."""
    client_secret: SecretRef
    """Reference to the OAuth client secret."""
    enabled: bool = True
    """Whether users may sign in with it."""


@dataclass(frozen=True)
class OidcIdp:
    """An OpenID Connect IdP (`oidc.*`)."""

    id: str
    """Provider id, starting with `oidc.`."""
    display_name: str
    """Name shown on sign-in pages."""
    issuer: str
    """HTTPS issuer URL."""
    client_id: str
    """OAuth client id."""
    response_type: str = "idToken"
    """`code` (needs a client secret) or `idToken`."""
    client_secret: SecretRef | None = None
    """Reference to the client secret (code flow only)."""
    enabled: bool = True
    """Whether users may sign in with it."""


@dataclass(frozen=True)
class SamlIdp:
    """A SAML IdP (`saml.*`)."""

    id: str
    """Provider id, starting with `saml.`."""
    display_name: str
    """Name shown on sign-in pages."""
    idp_entity_id: str
    """The IdP's entity id."""
    sso_url: str
    """The IdP's HTTPS single-sign-on URL."""
    certificates: tuple[str, ...]
    """PEM X.509 certificates the IdP signs assertions with."""
    sp_entity_id: str
    """Our service-provider entity id."""
    callback_uri: str
    """Where the IdP posts assertions back (HTTPS)."""
    sign_request: bool = False
    """Whether outgoing authentication requests are signed."""
    enabled: bool = True
    """Whether users may sign in with it."""


IdentityProvider = DefaultIdp | OidcIdp | SamlIdp


@dataclass(frozen=True)
class Storage:
    """The tenant's private data bucket."""

    location: str | None = None
    """GCS location; None means the platform's default location."""
    storage_class: str = "STANDARD"
    """GCS storage class."""
    versioning: bool = True
    """Keep noncurrent object versions; when the manifest says nothing, on unless a retention
    policy is set (GCS refuses both on one bucket: `gcp_rules.py`)."""
    retention_days: int | None = None
    """Minimum days an object is kept before it may be deleted or replaced."""


@dataclass(frozen=True)
class Access:
    """The tenant's people, as IAM principals (`user:`, `group:`, `serviceAccount:`, `domain:`)."""

    admins: tuple[str, ...] = ()
    """Administer the tenant's bucket and act as its workload service account."""
    members: tuple[str, ...] = ()
    """Read and write objects in the tenant's bucket."""


@dataclass(frozen=True)
class Adopt:
    """An existing Identity Platform tenant this manifest takes over (`spec.adopt`)."""

    tenant_id: str | None = None
    """Its id; None: find it by display name (exactly one tenant must have it)."""


@dataclass(frozen=True)
class Tenant:
    """One customer organisation: one manifest, one Pulumi stack."""

    name: str
    """Stack name and file stem."""
    owner: str
    """Accountable contact (email)."""
    display_name: str
    """Identity Platform display name."""
    labels: tuple[tuple[str, str], ...] = ()
    """Extra labels, sorted by key."""
    auth: Auth = field(default_factory=Auth)
    """Sign-in settings."""
    identity_providers: tuple[IdentityProvider, ...] = ()
    """Sign-in providers, in manifest order."""
    storage: Storage = field(default_factory=Storage)
    """The data bucket."""
    access: Access = field(default_factory=Access)
    """Who may use the tenant's resources."""
    deletion_protection: bool | None = None
    """Refuse deletion; None means the platform default."""
    decommission: bool = False
    """Explicit request to destroy the tenant (reviewed in its pull request)."""
    adopt: Adopt | None = None
    """An existing tenant to take over with `reconciler adopt` (None: create a new one)."""
    renamed_from: str | None = None
    """`metadata.renamedFrom`: the tenant this one was renamed from (plan pairs them)."""
    source: Path = Path()
    """File the tenant was read from."""
    digest: str = ""
    """SHA-256 of the canonical manifest document (comments and key order ignored)."""

    def secret_refs(self) -> tuple[tuple[str, SecretRef], ...]:
        """Every secret reference, keyed by what uses it: an IdP id (its client secret) or
        a test phone number (its code; `+` first, which no IdP id has)."""
        refs = []
        for idp in self.identity_providers:
            secret = getattr(idp, "client_secret", None)
            if secret is not None:
                refs.append((idp.id, secret))
        refs += [(phone.number, phone.code) for phone in self.auth.test_phone_numbers]
        return tuple(refs)


def document_digest(document: dict[str, Any]) -> str:
    """SHA-256 over the canonical JSON form of a manifest document."""
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _identity_provider(raw: dict[str, Any]) -> IdentityProvider:
    idp_id = raw["id"]
    enabled = raw.get("enabled", True)
    if idp_id.startswith("oidc."):
        secret = raw.get("clientSecret")
        return OidcIdp(
            id=idp_id,
            display_name=raw["displayName"],
            issuer=raw["issuer"],
            client_id=raw["clientId"],
            response_type=raw.get("responseType", "idToken"),
            client_secret=secret_ref(secret) if secret is not None else None,
            enabled=enabled,
        )
    if idp_id.startswith("saml."):
        idp, sp = raw["idp"], raw["sp"]
        return SamlIdp(
            id=idp_id,
            display_name=raw["displayName"],
            idp_entity_id=idp["entityId"],
            sso_url=idp["ssoUrl"],
            certificates=tuple(idp["certificates"]),
            sign_request=idp.get("signRequest", False),
            sp_entity_id=sp["entityId"],
            callback_uri=sp["callbackUri"],
            enabled=enabled,
        )
    return DefaultIdp(
        id=idp_id,
        client_id=raw["clientId"],
        client_secret=secret_ref(raw["clientSecret"]),
        enabled=enabled,
    )


def tenant_from_document(document: dict[str, Any], source: Path) -> Tenant:
    """Build a `Tenant` from a manifest document that passed validation."""
    metadata, spec = document["metadata"], document["spec"]
    storage = spec.get("storage", {})
    access = spec.get("access", {})
    return Tenant(
        name=metadata["name"],
        owner=metadata["owner"],
        display_name=spec["displayName"],
        labels=tuple(sorted(metadata.get("labels", {}).items())),
        auth=auth_from_document(spec.get("auth", {})),
        identity_providers=tuple(_identity_provider(i) for i in spec.get("identityProviders", [])),
        storage=Storage(
            location=storage.get("location"),
            storage_class=storage.get("storageClass", "STANDARD"),
            versioning=storage.get("versioning", "retentionDays" not in storage),
            retention_days=whole(storage.get("retentionDays")),
        ),
        access=Access(
            admins=tuple(access.get("admins", [])), members=tuple(access.get("members", []))
        ),
        deletion_protection=spec.get("deletionProtection"),
        decommission=spec.get("decommission", False),
        adopt=Adopt(tenant_id=spec["adopt"].get("tenantId")) if "adopt" in spec else None,
        renamed_from=metadata.get("renamedFrom"),
        source=source,
        digest=document_digest(document),
    )
