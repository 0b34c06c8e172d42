"""Names for a tenant's resources: logical (Pulumi) names and physical (GCP) names.

Every name here is a pure function of stable facts — the tenant name, the GCP project,
an IdP id, an IAM role and member — never of list positions or anything that changes
from run to run. Renaming a logical name makes Pulumi delete and recreate the resource,
and renaming a physical name replaces a bucket full of data, so these rules are part of
the stack's contract: change them only together with aliases.

Pure Python with no Pulumi import, so the planner can show names cheaply.
"""

from __future__ import annotations

import hashlib
import re

BUCKET_NAME_MAX = 63
"""GCS bucket names are 3-63 characters."""
ACCOUNT_ID_MIN, ACCOUNT_ID_MAX = 6, 30
"""Service-account ids are 6-30 characters."""
ACCOUNT_ID_PATTERN = re.compile(r"^[a-z](?:[-a-z0-9]{4,28}[a-z0-9])$")
"""The rule GCP applies to service-account ids."""
LABEL_VALUE_MAX = 63
"""GCP label values are at most 63 characters."""

_NOT_LABEL_CHAR = re.compile(r"[^a-z0-9_-]")
_NOT_NAME_CHAR = re.compile(r"[^A-Za-z0-9._-]+")
# GCS refuses bucket names that begin with "goog" or contain "google" or a close
# misspelling such as "g00gle" (Cloud Storage "Bucket naming" rules,
# https://cloud.google.com/storage/docs/buckets#naming).
_GOOGLE_LOOKALIKE = re.compile(r"g[o0]{2}g(?:[l1]e)?")


def short_hash(text: str, length: int = 6) -> str:
    """The first `length` hex digits of the SHA-256 of `text`."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:length]


def _fit(prefix: str, room: int) -> str:
    """`prefix` cut to `room` characters, without a dangling hyphen."""
    return prefix[:room].rstrip("-")


# --- physical names (what GCP sees) -------------------------------------------------


def bucket_name(project: str, tenant: str) -> str:
    """The tenant's data bucket: `<tenant>-data-<6 hex of sha256(project/tenant)>`.

    Bucket names are global across all of GCS, so the hash of project and tenant keeps
    two platforms (or two projects) from colliding while staying the same on every run.
    """
    suffix = f"-data-{short_hash(f'{project}/{tenant}')}"
    return _fit(_without_google(tenant.lower()), BUCKET_NAME_MAX - len(suffix)) + suffix


def _without_google(text: str) -> str:
    """`text` with every "google" look-alike broken up, until none is left.

    One pass is not enough: breaking up one match can join its neighbours into a new one
    ("googoogle" -> "g-goog..."), so the rewrite repeats until the text is stable. Each
    pass removes at least one "goog" and adds none, so it ends. Names that never held a
    look-alike are unchanged (deployed bucket names stay the same).
    """
    while True:
        rewritten = _GOOGLE_LOOKALIKE.sub("g-g", text)
        if rewritten == text:
            return text
        text = rewritten


def service_account_id(tenant: str) -> str:
    """The workload service account's id: `t-<tenant>`, or cut + hashed to fit 6-30 chars."""
    candidate = f"t-{tenant.lower()}"
    if ACCOUNT_ID_MIN <= len(candidate) <= ACCOUNT_ID_MAX and ACCOUNT_ID_PATTERN.match(candidate):
        return candidate
    # Too long (or too short): keep a readable prefix and make it unique with a hash.
    suffix = f"-{short_hash(tenant)}"
    return _fit(candidate, ACCOUNT_ID_MAX - len(suffix)) + suffix


def label_value(text: str) -> str:
    """`text` as a GCP label value: lowercase letters, digits, `_` and `-`, at most 63."""
    lowered = text.strip().lower().replace("@", "_at_")
    return _NOT_LABEL_CHAR.sub("_", lowered)[:LABEL_VALUE_MAX]


# --- logical names (what Pulumi sees) -----------------------------------------------


def identity_tenant_name(tenant: str) -> str:
    """The Identity Platform tenant."""
    return f"{tenant}-identity"


def mfa_config_name(tenant: str) -> str:
    """The tenant's multi-factor settings, before they became part of its sign-in settings
    (the name stacks deployed then hold; the sign-in settings alias it)."""
    return f"{tenant}-mfa"


def sign_in_settings_name(tenant: str) -> str:
    """The Identity Platform tenant's sign-in settings beyond pulumi-gcp's Tenant."""
    return f"{tenant}-sign-in"


def oidc_flow_name(tenant: str, idp_id: str) -> str:
    """An OIDC provider's flow (response type and client secret)."""
    return f"{idp_name(tenant, idp_id)}-flow"


def idp_name(tenant: str, idp_id: str) -> str:
    """An IdP config, by its provider id (unique within a tenant)."""
    return f"{tenant}-idp-{idp_id}"


def bucket_resource_name(tenant: str) -> str:
    """The data bucket."""
    return f"{tenant}-data"


def service_account_resource_name(tenant: str) -> str:
    """The workload service account."""
    return f"{tenant}-workload"


def iam_member_name(scope: str, role: str, member: str) -> str:
    """One IAM grant on `scope` (a logical name): readable slug plus a hash of the exact pair.

    The slug makes previews readable; the hash keeps two members whose slugs coincide
    (`user:a.b@x` and `user:a-b@x`) apart.
    """
    role_slug = role.removeprefix("roles/")
    member_slug = _NOT_NAME_CHAR.sub("-", member.replace("@", "-at-").replace(":", "-"))
    return f"{scope}-{role_slug}-{member_slug.strip('-')}-{short_hash(f'{role} {member}')}"


SECRET_VERSIONS_OUTPUT = "secretVersions"
"""The stack output holding the version ids of the secrets an apply read at `latest`."""


def idp_slug(idp_id: str) -> str:
    """The IdP's part of a secret name: `google.com` -> `google`, `oidc.sso` -> `oidc-sso`."""
    return idp_id.removesuffix(".com").replace(".", "-").replace("_", "-").lower()


def is_phone_key(key: str) -> bool:
    """Whether a secret's key is a test phone number (E.164, `+` first) rather than an IdP id."""
    return key.startswith("+")


def conventional_secret_id(tenant: str, key: str) -> str:
    """The Secret Manager id CI reads a tenant's secret from.

    `tenant-<name>-<idp>-client-secret` for an IdP's client secret, and
    `tenant-<name>-test-phone-<digits>-code` for a test phone number's code (`key` is then
    the number): the `tenant-<name>-` prefix is the tenant's own namespace (the ownership
    rule in reconciler/manifests/secret_owner.py), and the `tenant-` namespace lets an IAM
    condition limit the deploy identity to tenant secrets.
    """
    if is_phone_key(key):
        return f"tenant-{tenant}-test-phone-{key[1:]}-code"
    return f"tenant-{tenant}-{idp_slug(key)}-client-secret"
