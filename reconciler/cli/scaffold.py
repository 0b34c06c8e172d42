"""`reconciler new NAME`: a starting manifest that holds only real values, and the next steps.

A placeholder that passes validation (`owner@example.com`, `REPLACE-ME.apps...`) would reach
production unnoticed, so `new` never writes one: the owner is a required option, the Google
sign-in provider is written only when its client id is given, and values that are plainly
placeholders (reserved example domains, REPLACE-ME, TODO, ...) are refused. What `new` cannot
know (the client secret's value) is never in the manifest: the next steps say how to store
it where the manifest's reference points.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from reconciler.names import conventional_secret_id

_NAME = re.compile(r"^[a-z][a-z0-9-]{1,26}[a-z0-9]$")
_EMAIL = re.compile(r"^[^@\s]+@([^@\s.]+(?:\.[^@\s.]+)+)$")
_PLACEHOLDER = re.compile(r"replace|change-?me|todo|fixme|fill-?in|placeholder|xxx", re.I)
# RFC 2606 / RFC 6761: names reserved for documentation and testing, never a real owner.
_RESERVED_DOMAINS = ("example.com", "example.net", "example.org")
_RESERVED_SUFFIXES = (".example", ".invalid", ".test", ".localhost")

TEMPLATE = """\
# yaml-language-server: $schema=../schema/tenant.schema.json
apiVersion: mlaas.dev/v1
kind: Tenant
metadata:
  name: {name}
  owner: {owner}
  labels: {{}}
spec:
  # 4-20 characters: a letter first, then letters, digits and hyphens.
  displayName: {display}
  # The sign-in posture (docs/sign-in.md). A setting left out means the API's default, and
  # a change made by hand in the console is reported as drift and put back by apply.
  auth:
    allowPasswordSignup: false
    enableEmailLinkSignin: false
    enableAnonymousUser: false
    # Multi-factor authentication: state DISABLED, ENABLED (users may enrol a second
    # factor) or MANDATORY; ENABLED and MANDATORY need factors: PHONE_SMS and/or TOTP.
    mfa:
      state: DISABLED
      factors: []
    # With password sign-up: enforcementState ENFORCE, minLength 6-30, maxLength up to 4096,
    # requireUppercase/requireLowercase/requireNumeric/requireNonAlphanumeric.
    passwordPolicy:
      enforcementState: "OFF"
    # Where SMS codes may be sent: allowedRegions: [US, CA] (only these) or
    # disallowedRegions: [...] (all but these); empty: every region.
    smsRegions:
      disallowedRegions: []
    # reCAPTCHA Enterprise: absent leaves it as it is. Set the project up first
    # (docs/sign-in.md), then write OFF, AUDIT or ENFORCE, e.g.
    # recaptcha: {{emailPasswordEnforcementState: AUDIT, phoneEnforcementState: "OFF"}}
    # Generic errors, no email enumeration: the API reference recommends turning it on.
    enableImprovedEmailPrivacy: true
    # Numbers that sign in with a fixed code; a code is a credential, so a reference:
    #   "+15555550100": {{fromSecretManager: {{secret: tenant-{name}-test-phone-15555550100-code}}}}
    testPhoneNumbers: {{}}
  # Sign-in providers: google.com, github.com, ... , oidc.<id>, saml.<id>.
  # Secrets are references, never values, and only this tenant's (docs/security.md):
  # Secret Manager ids start tenant-{name}-, variables (local runs) {env_prefix}_.
{providers}
  storage:
    versioning: true
  access:
    admins:
      - user:{owner}
    members: []
"""

GOOGLE_PROVIDER = """\
  identityProviders:
    - id: google.com
      clientId: {client_id}
      clientSecret:
        fromSecretManager:
          secret: {secret_id}"""

NO_PROVIDER = """\
  # Add one with its client id, e.g. (`reconciler new NAME --google-client-id ID` writes it):
  #   - id: google.com
  #     clientId: <the OAuth client id>
  #     clientSecret:
  #       fromSecretManager:
  #         secret: {secret_id}
  identityProviders: []"""


class ScaffoldError(Exception):
    """The manifest cannot be written (bad name or value, file exists)."""


@dataclass(frozen=True)
class NewTenant:
    """What `reconciler new` was asked to write."""

    name: str
    owner: str
    """Email of the accountable person or group."""
    google_client_id: str | None = None
    """OAuth client id of the Google sign-in provider; None writes no provider."""

    @property
    def secret_id(self) -> str:
        """The Secret Manager secret CI reads the Google client secret from."""
        return conventional_secret_id(self.name, "google.com")


def display_name_for(name: str) -> str:
    """A display name that satisfies Identity Platform's rule, derived from the tenant name."""
    words = [w for w in name.split("-") if w]
    display = "-".join(w.capitalize() for w in words)[:20].rstrip("-")
    if len(display) < 4:
        display = (display + "-Tenant")[:20]
    return display


def refusal(tenant: NewTenant) -> str | None:
    """Why these values must not be written, or None. A pure function (table-tested)."""
    if not _NAME.match(tenant.name):
        return (
            f"'{tenant.name}' is not a tenant name: use 3-28 lowercase letters, digits and "
            "hyphens, starting with a letter and not ending with a hyphen"
        )
    match = _EMAIL.match(tenant.owner)
    if not match:
        return f"--owner '{tenant.owner}' is not an email address"
    domain = match.group(1).lower()
    if (
        domain in _RESERVED_DOMAINS
        or domain.endswith(_RESERVED_SUFFIXES)
        or _PLACEHOLDER.search(tenant.owner)
    ):
        return (
            f"--owner '{tenant.owner}' is a placeholder: give the real email of the person "
            "or group accountable for the tenant"
        )
    client_id = tenant.google_client_id
    if client_id is not None and (not client_id.strip() or _PLACEHOLDER.search(client_id)):
        return (
            f"--google-client-id '{client_id}' is a placeholder: give the OAuth client id "
            "from the Google Cloud console (APIs & Services > Credentials), or leave the "
            "option out to start without a sign-in provider"
        )
    return None


def manifest_text(tenant: NewTenant) -> str:
    if tenant.google_client_id is not None:
        providers = GOOGLE_PROVIDER.format(
            client_id=tenant.google_client_id, secret_id=tenant.secret_id
        )
    else:
        providers = NO_PROVIDER.format(secret_id=tenant.secret_id)
    return TEMPLATE.format(
        name=tenant.name,
        owner=tenant.owner,
        display=display_name_for(tenant.name),
        providers=providers,
        env_prefix=tenant.name.upper().replace("-", "_"),
    )


def write_manifest(root: Path, tenant: NewTenant, force: bool = False) -> Path:
    """Write `tenants/<name>.yaml` under `root`; returns its path relative to `root`."""
    why = refusal(tenant)
    if why:
        raise ScaffoldError(why + "; nothing was written")
    relative = Path("tenants") / f"{tenant.name}.yaml"
    path = root / relative
    if path.exists() and not force:
        raise ScaffoldError(f"{relative} already exists (use --force to overwrite it)")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(manifest_text(tenant), encoding="utf-8")
    return relative


def next_steps(tenant: NewTenant, path: Path) -> str:
    """What to do after `new`: the secret to create, the check, the pull request to open."""
    steps = [f"Review {path} (labels, storage, access) and check it: reconciler validate {path}"]
    if tenant.google_client_id is not None:
        # The manifest says fromSecretManager: Secret Manager is the only place any run
        # reads it (the program's getSecretVersion), local runs included.
        steps.append(
            f"Store the Google client secret in Secret Manager as {tenant.secret_id} "
            f"(gcloud secrets create {tenant.secret_id} --data-file=-, the value on stdin); "
            "every run reads it there, CI and local runs alike (with credentials that may "
            "read it), so no workflow edit is needed (docs/security.md)"
        )
    branch = f"tenant/{tenant.name}"
    steps.append(
        f"Open a pull request: git switch -c {branch} && git add {path} && "
        f'git commit -m "tenant: add {tenant.name}" && git push -u origin {branch}; '
        "CI validates and previews it and comments the result; merging applies it"
    )
    lines = [f"wrote {path}", "", "Next steps:"]
    lines += [f"  {n}. {text}" for n, text in enumerate(steps, start=1)]
    return "\n".join(lines)
