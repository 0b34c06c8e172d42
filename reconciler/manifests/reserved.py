"""Variable names no tenant may claim: those CI, the runner and the tools read (L2).

A tenant owns the variables named `<NAME>_...` (secret_owner.py). A tenant called `github`
would then own `GITHUB_TOKEN`, and `pulumi-config` would own `PULUMI_CONFIG_PASSPHRASE`:
a manifest could have the deploy job hand such a value to the tenant's identity provider
as its client secret. So a tenant name whose variables would start with one of these
prefixes is refused, and so is a reference to such a variable, whoever writes it.

The prefixes: GitHub Actions' default variables (GITHUB_*, RUNNER_*) and its runtime
tokens (ACTIONS_ID_TOKEN_REQUEST_TOKEN, ACTIONS_RUNTIME_TOKEN), action inputs (INPUT_*),
https://docs.github.com/actions/reference/workflows-and-actions/variables#default-environment-variables;
Pulumi's (its passphrase, its access token: PULUMI_*); Google's client libraries and
gcloud (GOOGLE_APPLICATION_CREDENTIALS, GOOGLE_GHA_CREDS_PATH, CLOUDSDK_AUTH_ACCESS_TOKEN);
this project's (RECONCILER_*, GCP_*, the sandbox's SANDBOX_* and FIREBASE_*); git's
(GIT_CONFIG_*: a job's fetch token travels there) and ssh's; other clouds' credentials
(AWS_*, AZURE_*, ARM_*); and the package tools a job runs (UV_*, PIP_*, NPM_*, NODE_*).
"""

from __future__ import annotations

RESERVED_PREFIXES = (
    "GITHUB_",
    "ACTIONS_",
    "RUNNER_",
    "INPUT_",
    "PULUMI_",
    "GOOGLE_",
    "CLOUDSDK_",
    "RECONCILER_",
    "GCP_",
    "SANDBOX_",
    "FIREBASE_",
    "GIT_",
    "SSH_",
    "AWS_",
    "AZURE_",
    "ARM_",
    "UV_",
    "PIP_",
    "NPM_",
    "NODE_",
)


def reserved_prefix(variable: str) -> str | None:
    """The reserved prefix `variable` starts with, if any."""
    return next((p for p in RESERVED_PREFIXES if variable.startswith(p)), None)


def reserved_tenant_hint(prefix: str) -> str:
    return (
        f"its variables would start with {prefix}, which CI, the runner or the tools read "
        f"for their own settings and credentials; choose another name (reserved: "
        f"{', '.join(p.rstrip('_').lower() for p in RESERVED_PREFIXES)} and names "
        "starting with one of them and a hyphen)"
    )
