"""The real APIs' documented input rules, each a pure function: None when valid, else the
reason, worded as the real API or provider words it (error code first where there is one).

Sources: Identity Platform (tenant display names, IdP ids), Cloud Storage bucket naming,
IAM service account ids (the Terraform provider's RFC 1035 regexp) and IAM member forms.
"""

from __future__ import annotations

import ipaddress
import re
import urllib.parse

TENANT_DISPLAY_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9-]{3,19}$")

DEFAULT_SUPPORTED_IDP_IDS = (
    "apple.com",
    "facebook.com",
    "gc.apple.com",
    "github.com",
    "google.com",
    "linkedin.com",
    "microsoft.com",
    "playgames.google.com",
    "twitter.com",
    "yahoo.com",
)
"""The ids pulumi-gcp documents for TenantDefaultSupportedIdpConfig.idpId."""

_OIDC_ID = re.compile(r"^oidc\.[^\s/]+$")
"""magic-modules mmv1/products/identityplatform/TenantOauthIdpConfig.yaml, `name`: "Must start
with `oidc.`" (firebase-admin-node src/auth/auth-config.ts: "a valid non-empty string prefixed
with oidc."); nothing more is stated. The id is one segment of the config's resource name,
so it holds no '/' (nor whitespace)."""
_SAML_ID = re.compile(r"^saml\.[a-z][A-Za-z0-9_.-]*[A-Za-z0-9]$")
"""magic-modules mmv1/products/identityplatform/TenantInboundSamlConfig.yaml, `name`: "Must start
with 'saml.' and can only have alphanumeric characters, hyphens, underscores or periods. The
part after 'saml.' must also start with a lowercase letter, end with an alphanumeric
character, and have at least 2 characters." No maximum length is stated."""

SERVICE_ACCOUNT_ID = re.compile(r"^[a-z](?:[-a-z0-9]{4,28}[a-z0-9])$")

_BUCKET_CHARS = re.compile(r"^[a-z0-9_.-]+$")
_GOOGLE_LOOKALIKE = re.compile(r"g[o0][o0]g[l1]e")

_EMAIL = r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"
_MEMBER_FORMS = (
    re.compile(r"^allUsers$"),
    re.compile(r"^allAuthenticatedUsers$"),
    re.compile(rf"^(user|serviceAccount|group):{_EMAIL}$"),
    re.compile(r"^domain:[A-Za-z0-9.-]+\.[A-Za-z]{2,}$"),
    re.compile(r"^(projectOwner|projectEditor|projectViewer):[a-z][-a-z0-9]{4,28}[a-z0-9]$"),
    re.compile(r"^principal(Set)?://\S+$"),
    re.compile(rf"^deleted:(user|serviceAccount|group):{_EMAIL}\?uid=\d+$"),
)
MEMBER_FORMS_TEXT = (
    "user:EMAIL, serviceAccount:EMAIL, group:EMAIL, domain:DOMAIN, allUsers, "
    "allAuthenticatedUsers, projectOwner|projectEditor|projectViewer:PROJECT, principal://..., "
    "principalSet://... or deleted:KIND:EMAIL?uid=ID"
)
_ROLE = re.compile(
    r"^(roles/[A-Za-z0-9_.]+|(projects|organizations)/[^/\s]+/roles/[A-Za-z0-9_.]+)$"
)

STORAGE_CLASSES = ("STANDARD", "NEARLINE", "COLDLINE", "ARCHIVE", "MULTI_REGIONAL", "REGIONAL")
PUBLIC_ACCESS_PREVENTION = ("inherited", "enforced")
DELETION_POLICIES = ("DELETE", "ABANDON", "PREVENT")
MAX_RETENTION_SECONDS = 3_155_760_000


VERSIONING_WITH_RETENTION = (
    "Object Versioning cannot be enabled on a bucket with a retention policy (they are "
    "mutually exclusive): remove the retention policy or disable versioning"
)
"""GCS refuses a bucket with both (terraform-google-modules/terraform-example-foundation
1-org/README.md: "Bucket policy retention and object versioning are mutually exclusive";
google/exposure-notifications-verification-server PR #877). GCS's own error text was not
found in any source: this wording is the sandbox's."""


PROJECT_ID = re.compile(r"^[a-z][-a-z0-9]{4,28}[a-z0-9]$")


def project_id(project: str) -> str | None:
    """Google Cloud project ids: 6-30 lowercase letters, digits, hyphens; a letter first."""
    if PROJECT_ID.match(project):
        return None
    return (
        f"invalid project id {project!r}: 6-30 lowercase letters, digits and hyphens, starting "
        "with a letter and not ending with a hyphen"
    )


def tenant_display_name(name: str) -> str | None:
    """Identity Platform: 4-20 characters, a letter first, then letters, digits, hyphens."""
    if TENANT_DISPLAY_NAME.match(name):
        return None
    return (
        f"INVALID_DISPLAY_NAME : {name!r}: a tenant display name must be 4-20 characters long, "
        "start with a letter and contain only letters, digits and hyphens"
    )


def default_idp_id(idp_id: str) -> str | None:
    if idp_id in DEFAULT_SUPPORTED_IDP_IDS:
        return None
    return (
        f"INVALID_PROVIDER_ID : {idp_id!r} is not a default supported IdP; expected one of "
        + ", ".join(DEFAULT_SUPPORTED_IDP_IDS)
    )


def oidc_provider_id(name: str) -> str | None:
    """An OIDC config's id, as upstream states the rule (`_OIDC_ID`)."""
    if _OIDC_ID.match(name):
        return None
    return f"INVALID_PROVIDER_ID : {name!r} must be 'oidc.' followed by a name (no spaces or '/')"


def saml_provider_id(name: str) -> str | None:
    """A SAML config's id, as upstream states the rule (`_SAML_ID`)."""
    if _SAML_ID.match(name):
        return None
    return (
        f"INVALID_PROVIDER_ID : {name!r} must be 'saml.' followed by at least 2 letters, digits, "
        "'-', '_' or '.', a lowercase letter first and a letter or digit last"
    )


def url(value: str, *, https_only: bool = False) -> str | None:
    parsed = urllib.parse.urlparse(value)
    schemes = ("https",) if https_only else ("http", "https")
    if parsed.scheme in schemes and parsed.netloc:
        return None
    return f"{value!r} is not a valid {' or '.join(schemes)} URL"


def bucket_name(name: str) -> str | None:
    """Cloud Storage bucket naming rules."""
    why = _bucket_name_problem(name)
    return None if why is None else f"Invalid bucket name: {name!r}: {why}"


def _bucket_name_problem(name: str) -> str | None:
    if not _BUCKET_CHARS.match(name):
        return "only lowercase letters, digits, dashes, underscores and dots are allowed"
    if not (name[0].isalnum() and name[-1].isalnum()):
        return "it must start and end with a letter or a digit"
    if "." in name:
        if len(name) > 222:
            return "names with dots are at most 222 characters"
        if any(not 1 <= len(part) <= 63 for part in name.split(".")):
            return "each dot-separated component is 1-63 characters"
    elif not 3 <= len(name) <= 63:
        return "it must be 3-63 characters long"
    if len(name) < 3:
        return "it must be at least 3 characters long"
    try:
        ipaddress.IPv4Address(name)
    except ValueError:
        pass
    else:
        return "it cannot be an IP address in dotted-decimal notation"
    if name.startswith("goog"):
        return "it cannot begin with the 'goog' prefix"
    if _GOOGLE_LOOKALIKE.search(name):
        return "it cannot contain 'google' or close misspellings of it"
    return None


def service_account_id(account_id: str) -> str | None:
    if SERVICE_ACCOUNT_ID.match(account_id):
        return None
    return (
        f"{account_id!r} doesn't match regexp {SERVICE_ACCOUNT_ID.pattern!r}: a service account "
        "id is 6-30 characters: lowercase letters, digits and hyphens, starting with a letter "
        "and not ending with a hyphen"
    )


def iam_member(member: str) -> str | None:
    if any(form.match(member) for form in _MEMBER_FORMS):
        return None
    return f"Invalid argument: member {member!r}: expected {MEMBER_FORMS_TEXT}"


def iam_role(role: str) -> str | None:
    if _ROLE.match(role):
        return None
    return (
        f"Invalid argument: role {role!r}: expected roles/NAME, projects/PROJECT/roles/NAME or "
        "organizations/ORG/roles/NAME"
    )


def one_of(value: str, allowed: tuple[str, ...]) -> str | None:
    if value in allowed:
        return None
    return f"expected one of {', '.join(allowed)}, got {value!r}"


def retention_period(value: object) -> str | None:
    """GCS retention: whole seconds, more than 0 and less than 3,155,760,000."""
    try:
        seconds = int(str(value))
    except ValueError:
        return f"retentionPeriod {value!r} is not a whole number of seconds"
    if 0 < seconds < MAX_RETENTION_SECONDS:
        return None
    return (
        f"retentionPeriod must be between 1 and {MAX_RETENTION_SECONDS - 1} seconds, got {seconds}"
    )


_LABEL_KEY = re.compile(r"^[a-z][a-z0-9_-]{0,62}$")
_LABEL_VALUE = re.compile(r"^[a-z0-9_-]{0,63}$")


def label(key: str, value: object) -> str | None:
    """Google Cloud labels: lowercase keys starting with a letter, values up to 63 characters."""
    if not _LABEL_KEY.match(key):
        return (
            f"Invalid argument: label key {key!r}: 1-63 lowercase letters, digits, '_' or '-', "
            "starting with a letter"
        )
    if not isinstance(value, str) or not _LABEL_VALUE.match(value):
        return (
            f"Invalid argument: label value {value!r}: 0-63 lowercase letters, digits, '_' or '-'"
        )
    return None


# --- what the real provider checks at plan time (everything above is the APIs' rules) ---

_PROVIDER_MEMBER = re.compile(
    r"(.+:.+|projectOwners|projectReaders|projectWriters|allUsers|allAuthenticatedUsers)"
)
_PROVIDER_LABEL_KEY = re.compile(r"^[a-z0-9_-]{1,63}$")
DESCRIPTION_MAX_BYTES = 256


def provider_iam_member(member: str) -> str | None:
    """The provider's ValidateFunc for `member` (tpgiamresource/resource_iam_member.go,
    validateIAMMember): no deleted principals, and an unanchored `TYPE:VALUE` shape."""
    if member.startswith("deleted"):
        return (
            f"invalid value for member (Terraform does not support IAM members for deleted "
            f"principals): {member!r}"
        )
    if _PROVIDER_MEMBER.search(member):
        return None
    return (
        f'invalid value "{member}" for member (IAM members must have one of the values '
        "outlined here: https://cloud.google.com/billing/docs/reference/rest/v1/Policy#Binding)"
    )


def provider_label_key(key: str) -> str | None:
    """The bucket's labelKeyValidator (services/storage/resource_storage_bucket.go)."""
    if _PROVIDER_LABEL_KEY.match(key):
        return None
    return (
        f"{key!r} is an invalid label key. See "
        "https://cloud.google.com/storage/docs/tags-and-labels#bucket-labels"
    )


def description_length(value: str) -> str | None:
    """validation.StringLenBetween(0, 256) on the account's description: Go's len, in bytes
    (services/resourcemanager/resource_google_service_account.go)."""
    size = len(value.encode("utf-8"))
    if size <= DESCRIPTION_MAX_BYTES:
        return None
    return f"expected length of description to be in the range (0 - 256), got {value!r}"


def iam_member_case_sensitive(member: str) -> bool:
    """tpgresource/utils.go IamPrincipalIsCaseSensitive: IAM ignores the case of every
    principal but these."""
    return (
        "allAuthenticatedUsers" in member
        or "allUsers" in member
        or member.startswith(("principalSet:", "principal:", "principalHierarchy:"))
    )


def iam_member_key(member: str) -> str:
    """The form two members are compared in (iamMemberCaseDiffSuppress)."""
    return member if iam_member_case_sensitive(member) else member.upper()
