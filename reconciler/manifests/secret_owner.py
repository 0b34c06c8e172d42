"""Secret references are owned: a tenant may only reference its own secrets.

Without this rule, tenant B's manifest could wire tenant A's OAuth client secret, or a CI
variable such as `ACTIONS_ID_TOKEN_REQUEST_TOKEN`, into its own IdP config, and the deploy
job would hand it over. Every reference of tenant `<name>` must be in that tenant's
namespace (docs/security.md, "Secrets"):
- `fromEnv`: a variable named `<NAME>_...`, the tenant name in upper snake case
  (`tenant-one` -> `TENANT_ONE_GOOGLE_CLIENT_SECRET`);
- `fromSecretManager.secret`: an id starting `tenant-<name>-`, the namespace of CI's naming
  convention `tenant-<name>-<idp>-client-secret` (reconciler/program/secrets.py);
- `fromSecretManager.project`: left out, so the secret is read in the platform's project.

Values of the wrong type and invalid tenant names are left to the schema.
"""

from __future__ import annotations

from typing import Any

from reconciler.manifests.issues import Issue, PathPart, shown
from reconciler.manifests.keywords import ecma_regex
from reconciler.manifests.loader import LoadedYaml
from reconciler.program.secrets import conventional_secret_id, idp_slug

_TENANT_NAME = ecma_regex(r"^[a-z][a-z0-9-]{1,26}[a-z0-9]$")
_NOT_OWNED = "a tenant may only reference its own secrets"


def env_prefix(tenant: str) -> str:
    """The variables tenant `tenant` owns start with this: `tenant-one` -> `TENANT_ONE_`."""
    return tenant.upper().replace("-", "_") + "_"


def secret_prefix(tenant: str) -> str:
    """The Secret Manager ids tenant `tenant` owns start with this."""
    return f"tenant-{tenant}-"


def secret_owner_issues(loaded: LoadedYaml) -> list[Issue]:
    """Every secret reference of the manifest that is not in the tenant's namespace."""
    document = loaded.document
    metadata = document.get("metadata") if isinstance(document, dict) else None
    spec = document.get("spec") if isinstance(document, dict) else None
    name = metadata.get("name") if isinstance(metadata, dict) else None
    providers = spec.get("identityProviders") if isinstance(spec, dict) else None
    if not isinstance(name, str) or not _TENANT_NAME.search(name):
        return []
    if not isinstance(providers, list):
        return []
    issues: list[Issue] = []
    for index, provider in enumerate(providers):
        if not isinstance(provider, dict) or not isinstance(provider.get("clientSecret"), dict):
            continue
        idp_id = provider.get("id") if isinstance(provider.get("id"), str) else "IDP"
        base: tuple[PathPart, ...] = ("spec", "identityProviders", index, "clientSecret")
        issues += _reference_issues(loaded, name, str(idp_id), base, provider["clientSecret"])
    return issues


def _reference_issues(
    loaded: LoadedYaml, tenant: str, idp_id: str, base: tuple[PathPart, ...], ref: dict[str, Any]
) -> list[Issue]:
    found = []
    variable = ref.get("fromEnv")
    if isinstance(variable, str) and not variable.startswith(env_prefix(tenant)):
        example = f"{env_prefix(tenant)}{idp_slug(idp_id).upper().replace('-', '_')}_CLIENT_SECRET"
        found.append(
            _issue(
                loaded,
                (*base, "fromEnv"),
                f"{shown(variable)} is not {tenant}'s: {_NOT_OWNED}",
                f"name the variable {env_prefix(tenant)}..., e.g. {example}",
            )
        )
    manager = ref.get("fromSecretManager")
    if not isinstance(manager, dict):
        return found
    secret = manager.get("secret")
    if isinstance(secret, str) and not secret.startswith(secret_prefix(tenant)):
        found.append(
            _issue(
                loaded,
                (*base, "fromSecretManager", "secret"),
                f"{shown(secret)} is not {tenant}'s: {_NOT_OWNED}",
                f"use a secret id starting {secret_prefix(tenant)}, e.g. "
                f"{conventional_secret_id(tenant, idp_id)}",
            )
        )
    if "project" in manager:
        found.append(
            _issue(
                loaded,
                (*base, "fromSecretManager", "project"),
                f"{shown(manager['project'])}: a tenant's secrets live in the platform's project",
                "leave out `project`: the secret is read in the platform's project",
            )
        )
    return found


def _issue(loaded: LoadedYaml, path: tuple[PathPart, ...], what: str, hint: str) -> Issue:
    return loaded.issue_at(path, what, hint)
