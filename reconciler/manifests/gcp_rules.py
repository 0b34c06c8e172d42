"""Values GCP would refuse, or take literally and then fail on, checked before any deploy.

- OIDC issuers (`spec.identityProviders[*].issuer`): OpenID Connect Discovery 1.0 section 4
  ("the issuer ... using the https scheme with no query or fragment components"); the
  discovery document lives at `<issuer>/.well-known/openid-configuration`, so writing that
  URL as the issuer breaks every sign-in. Identity Platform fetches the document from
  Google's servers, so loopback, private and link-local hosts can never work: refused.
  Credentials in the URL are a committed secret (`leaks.py` reports them).
- Storage locations: one of the GCS locations in `locations.py` (any case, as GCS takes it).
- Object Versioning and a retention policy: GCS refuses a bucket with both, so
  `versioning: true` with `retentionDays` is refused here, before the identity tenant the
  same `up` would create first (terraform-google-modules/terraform-example-foundation
  `1-org/README.md`: "Bucket policy retention and object versioning are mutually
  exclusive"; google/exposure-notifications-verification-server PR #877 "Retention policy
  and versioning are mutually exclusive"). The provider has no `ConflictsWith` between
  them (terraform-provider-google-beta `services/storage/resource_storage_bucket.go`), so
  the refusal comes from GCS at insert, after the tenant's identity resources exist.

Each check skips values of the wrong type: the schema reports those.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator
from urllib.parse import urlsplit

from reconciler.manifests.characters import unusual_note
from reconciler.manifests.issues import Issue, PathPart, shown
from reconciler.manifests.loader import LoadedYaml
from reconciler.manifests.locations import closest_location, is_gcs_location

LOCATIONS_DOC = "https://cloud.google.com/storage/docs/locations"
_DISCOVERY = "/.well-known/openid-configuration"
_LOCAL_SUFFIXES = (".localhost", ".local", ".internal", ".lan", ".home.arpa")
_ORDINARY_ISSUER = re.compile(r"https://[a-z][a-z0-9-]*(?:\.[a-z0-9-]+)+(?:/[A-Za-z0-9._~-]+)*/?\Z")
_SUSPECT = (".well-known", "localhost", *_LOCAL_SUFFIXES)
"""Words that send even an ordinary-looking issuer through every check."""


def gcp_issues(loaded: LoadedYaml) -> list[Issue]:
    """Issues of the OIDC issuers and the storage location of one manifest."""
    spec = loaded.document.get("spec") if isinstance(loaded.document, dict) else None
    if not isinstance(spec, dict):
        return []
    issues = []
    providers = spec.get("identityProviders")
    for index, provider in enumerate(providers if isinstance(providers, list) else ()):
        issuer = provider.get("issuer") if isinstance(provider, dict) else None
        if isinstance(issuer, str) and issuer.startswith("https://"):
            path: list[PathPart] = ["spec", "identityProviders", index, "issuer"]
            issues += _at(loaded, path, _issuer_problems(issuer))
    storage = spec.get("storage")
    location = storage.get("location") if isinstance(storage, dict) else None
    if isinstance(location, str):
        issues += _at(loaded, ["spec", "storage", "location"], location_problems(location))
    if isinstance(storage, dict):
        issues += _versioning_with_retention(loaded, storage)
    return issues


def _versioning_with_retention(loaded: LoadedYaml, storage: dict[str, object]) -> list[Issue]:
    """`versioning: true` beside `retentionDays`: GCS creates neither bucket."""
    retention = storage.get("retentionDays")
    if storage.get("versioning") is not True or retention is None or isinstance(retention, bool):
        return []
    line, _ = loaded.locate(["spec", "storage", "retentionDays"], key=True)
    message = (
        f"versioning: true and retentionDays (line {line}) cannot both be set: GCS refuses "
        "Object Versioning on a bucket with a retention policy"
    )
    hint = (
        "choose one: keep retentionDays (no object can be deleted or replaced before it is "
        "that old) and remove `versioning: true`, or keep versioning (replaced and deleted "
        "objects stay as noncurrent versions) and remove retentionDays"
    )
    return [loaded.issue_at(["spec", "storage", "versioning"], message, hint)]


def location_problems(location: str) -> Iterator[tuple[str, str | None]]:
    """(message, hint) when `location` is not a GCS location (also used for platform.yaml)."""
    if is_gcs_location(location):
        return
    near = closest_location(location)
    hint = f"did you mean '{near}'?" if near else f"see {LOCATIONS_DOC} for the list"
    yield f"{shown(location)} is not a GCS location", hint


def _issuer_problems(issuer: str) -> Iterator[tuple[str, str | None]]:
    if _ORDINARY_ISSUER.match(issuer) and not any(word in issuer for word in _SUSPECT):
        return  # a public host name and a plain path, as nearly every issuer is
    note = unusual_note(issuer)
    if note is not None:
        yield f"the issuer has a character no URL may hold: {note}", "retype the URL"
        return
    try:
        parts = urlsplit(issuer)
        port = parts.port
    except ValueError:
        yield f"{shown(issuer)} has an invalid port", "a port is a number from 1 to 65535"
        return
    if parts.password is not None:
        return  # credentials in the URL: leaks.py reports them without showing them
    if parts.username is not None:
        yield (
            "the issuer has a user name (user@host) in it; an issuer is a plain https:// URL",
            "remove the part before '@'",
        )
        return
    if port == 0:
        yield f"{shown(issuer)} has an invalid port", "a port is a number from 1 to 65535"
    if parts.query or parts.fragment or "?" in issuer or "#" in issuer:
        yield (
            f"{shown(issuer)} has a query or fragment; an OIDC issuer has neither",
            "write the issuer exactly as the provider's discovery document states it",
        )
    if parts.path.rstrip("/").endswith(_DISCOVERY):
        base = issuer[: issuer.index(_DISCOVERY)]
        yield (
            f"{shown(issuer)} is the discovery document's URL, not the issuer",
            f"write the issuer: {shown(base)}",
        )
    host = (parts.hostname or "").rstrip(".")
    if _is_local(host):
        yield (
            f"{shown(issuer)} points at a local or private address",
            "Identity Platform reads the issuer from Google's servers: use a public HTTPS host",
        )


def _is_local(host: str) -> bool:
    if (
        host == "localhost"
        or host.endswith(_LOCAL_SUFFIXES)
        or ("." not in host and ":" not in host)
    ):
        return True
    if not (host[:1].isdigit() or ":" in host):
        return False  # a name, not an address (parsing one as an address is slow to fail)
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return not address.is_global


def _at(
    loaded: LoadedYaml, path: list[PathPart], problems: Iterator[tuple[str, str | None]]
) -> list[Issue]:
    # The common case, no problem, needs no position.
    return [loaded.issue_at(path, message, hint) for message, hint in problems]
