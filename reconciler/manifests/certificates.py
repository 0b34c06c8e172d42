"""SAML signing certificates, parsed for real: a PEM block that holds no X.509 certificate
is refused, an expired one is refused, one expiring soon is a warning.

The schema only checks the PEM armour (the BEGIN/END lines and base64 lines); behind it
there can be anything: a truncated body, a public key, random base64. Identity Platform
stores such a value and every sign-in then fails to verify the IdP's signature, so the
body is parsed here with `cryptography` (imported only when a manifest has a certificate,
so `validate` of a fleet without SAML pays nothing). The Identity Toolkit API takes
`idpCertificates[].x509Certificate` as "the x509 certificate" (magic-modules
`mmv1/products/identityplatform/TenantInboundSamlConfig.yaml`).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

from reconciler.manifests.issues import WARNING, Issue, PathPart
from reconciler.manifests.loader import LoadedYaml

EXPIRY_WARNING_DAYS = 30
"""A certificate expiring within this many days is reported as a warning."""

_ARMOURED = re.compile(r"-----BEGIN CERTIFICATE-----")


def certificate_issues(loaded: LoadedYaml, now: dt.datetime | None = None) -> list[Issue]:
    """Issues of every PEM certificate under `spec.identityProviders[*].idp.certificates`."""
    found = list(_certificates(loaded.document))
    if not found:
        return []
    from cryptography import x509  # only when there is a certificate to read

    now = now or dt.datetime.now(dt.UTC)
    issues = []
    for path, text in found:
        try:
            certificate = x509.load_pem_x509_certificate(text.encode("ascii"))
            expires = certificate.not_valid_after_utc
        except (ValueError, UnicodeEncodeError):
            issues.append(
                loaded.issue_at(
                    path,
                    "not an X.509 certificate (the PEM block does not parse)",
                    "copy the signing certificate again from the IdP's SAML metadata "
                    "(<X509Certificate>); it may be truncated",
                )
            )
            continue
        day = expires.date().isoformat()
        if expires <= now:
            issues.append(
                loaded.issue_at(
                    path,
                    f"the certificate expired on {day}",
                    "Identity Platform would reject every sign-in: add the IdP's current "
                    "signing certificate and remove this one",
                )
            )
        elif expires - now <= dt.timedelta(days=EXPIRY_WARNING_DAYS):
            days = (expires - now).days
            issues.append(
                loaded.issue_at(
                    path,
                    f"the certificate expires on {day} (in {days} days)",
                    "add the IdP's next signing certificate now, before sign-ins start to fail",
                    WARNING,
                )
            )
    return issues


def _certificates(document: object) -> Iterator[tuple[list[PathPart], str]]:
    spec = document.get("spec") if isinstance(document, dict) else None
    providers = spec.get("identityProviders") if isinstance(spec, dict) else None
    if not isinstance(providers, list):
        return
    for index, provider in enumerate(providers):
        idp = provider.get("idp") if isinstance(provider, dict) else None
        certificates = idp.get("certificates") if isinstance(idp, dict) else None
        if not isinstance(certificates, list):
            continue
        for number, text in enumerate(certificates):
            # Armour-less text is the schema's to report ("not a PEM certificate").
            if isinstance(text, str) and _ARMOURED.search(text) and "PRIVATE KEY" not in text:
                path: list[PathPart] = [
                    "spec",
                    "identityProviders",
                    index,
                    "idp",
                    "certificates",
                    number,
                ]
                yield path, text
