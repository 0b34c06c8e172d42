"""`reconciler new NAME`: a valid starting manifest, with the schema line for editors."""

from __future__ import annotations

import re
from pathlib import Path

from reconciler.program.secrets import conventional_secret_id

_NAME = re.compile(r"^[a-z][a-z0-9-]{1,26}[a-z0-9]$")

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
  auth:
    allowPasswordSignup: false
    # Multi-factor authentication: state DISABLED, ENABLED (users may enrol a second
    # factor) or MANDATORY; ENABLED and MANDATORY need factors: PHONE_SMS and/or TOTP.
    mfa:
      state: DISABLED
      factors: []
  # Sign-in providers: google.com, github.com, ... , oidc.<id>, saml.<id>.
  # Secrets are references, never values, and only this tenant's (docs/security.md):
  # Secret Manager ids start tenant-{name}-, variables (local runs) {env}_.
  identityProviders:
    - id: google.com
      clientId: REPLACE-ME.apps.googleusercontent.com
      clientSecret:
        fromSecretManager:
          secret: {secret}
  storage:
    versioning: true
  access:
    admins:
      - user:{owner}
    members: []
"""


class ScaffoldError(Exception):
    """The manifest cannot be written (bad name, file exists)."""


def display_name_for(name: str) -> str:
    """A display name that satisfies Identity Platform's rule, derived from the tenant name."""
    words = [w for w in name.split("-") if w]
    display = "-".join(w.capitalize() for w in words)[:20].rstrip("-")
    if len(display) < 4:
        display = (display + "-Tenant")[:20]
    return display


def write_manifest(root: Path, name: str, owner: str, force: bool = False) -> Path:
    if not _NAME.match(name):
        raise ScaffoldError(
            f"'{name}' is not a tenant name: use 3-28 lowercase letters, digits and hyphens, "
            "starting with a letter and not ending with a hyphen"
        )
    path = root / "tenants" / f"{name}.yaml"
    if path.exists() and not force:
        raise ScaffoldError(f"{path} already exists (use --force to overwrite it)")
    path.parent.mkdir(parents=True, exist_ok=True)
    env = name.upper().replace("-", "_")
    secret = conventional_secret_id(name, "google.com")
    path.write_text(
        TEMPLATE.format(
            name=name, owner=owner, display=display_name_for(name), env=env, secret=secret
        ),
        encoding="utf-8",
    )
    return path
