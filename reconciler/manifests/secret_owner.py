"""Secret references are owned: a tenant may only reference its own secrets.

Without this rule, tenant B's manifest could wire tenant A's OAuth client secret, or a CI
variable such as `ACTIONS_ID_TOKEN_REQUEST_TOKEN`, into its own IdP config (or make it a
test phone number's code), and the deploy job would hand it over. Every reference of tenant
`<name>` must be in that tenant's namespace (docs/security.md, "Secrets"):
- `fromEnv`: a variable named `<NAME>_...`, the tenant name in upper snake case
  (`tenant-one` -> `TENANT_ONE_GOOGLE_CLIENT_SECRET`);
- `fromSecretManager.secret`: an id starting `tenant-<name>-`, the namespace of CI's naming
  convention `tenant-<name>-<idp>-client-secret` (reconciler/program/secrets.py);
- `fromSecretManager.project`: left out, so the secret is read in the platform's project.

A prefix alone is not ownership: tenant names contain hyphens, so `tenant-acme-eu-...` starts
with acme's prefix too, and `ACME_EU_...` with `ACME_`. Across the fleet
(`foreign_secret_issues`), a reference belongs to the tenant with the *longest* name whose
namespace holds it, so acme may not read acme-eu's secrets. The same goes for the Secret
Manager id CI derives from a `fromEnv` reference (`tenant-<name>-<idp>-client-secret`):
acme's `oidc.google` provider derives `tenant-acme-oidc-google-client-secret`, which is
tenant acme-oidc's Google secret.

Values of the wrong type and invalid tenant names are left to the schema.
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from reconciler.manifests.issues import Issue, PathPart, dotted, json_path, shown
from reconciler.manifests.keywords import ecma_regex
from reconciler.manifests.loader import LoadedYaml
from reconciler.names import conventional_secret_id, is_phone_key

_TENANT_NAME = ecma_regex(r"^[a-z][a-z0-9-]{1,26}[a-z0-9]$")
_NOT_OWNED = "a tenant may only reference its own secrets"


def env_prefix(tenant: str) -> str:
    """The variables tenant `tenant` owns start with this: `tenant-one` -> `TENANT_ONE_`."""
    return tenant.upper().replace("-", "_") + "_"


def secret_prefix(tenant: str) -> str:
    """The Secret Manager ids tenant `tenant` owns start with this."""
    return f"tenant-{tenant}-"


@dataclass(frozen=True)
class SecretClaim:
    """One secret name a manifest makes the deploy job read, and where it is written."""

    tenant: str
    """The manifest's tenant."""
    kind: str
    """`env` (a variable), `secret` (a Secret Manager id), or `derived` (the id CI reads a
    `fromEnv` reference from)."""
    value: str
    idp_id: str
    line: int
    column: int
    path: tuple[PathPart, ...]

    def prefix(self, tenant: str) -> str:
        """How the names of `tenant`'s namespace start, in this claim's kind of name."""
        return env_prefix(tenant) if self.kind == "env" else secret_prefix(tenant)


def secret_claims(loaded: LoadedYaml) -> tuple[SecretClaim, ...]:
    """Every secret name the manifest claims, for the fleet rule (empty for a bad name)."""
    name, references = _name_and_references(loaded.document)
    if name is None:
        return ()
    claims = []
    for key, base, ref in references:
        variable = ref.get("fromEnv")
        manager = ref.get("fromSecretManager")
        secret = manager.get("secret") if isinstance(manager, dict) else None
        found: list[tuple[str, str, tuple[PathPart, ...]]] = []
        if isinstance(variable, str):
            found.append(("env", variable, (*base, "fromEnv")))
            found.append(("derived", conventional_secret_id(name, key), (*base, "fromEnv")))
        if isinstance(secret, str):
            found.append(("secret", secret, (*base, "fromSecretManager", "secret")))
        for kind, value, path in found:
            line, column = loaded.locate(path)
            claims.append(SecretClaim(name, kind, value, key, line, column, path))
    return tuple(claims)


def foreign_secret_issues(
    claims: Iterable[SecretClaim], tenants: Mapping[str, tuple[str, int, int]]
) -> list[Issue]:
    """Each claim on a name that belongs to another tenant of the fleet, reported on both
    manifests (so a check of either file alone finds it).

    `tenants` maps every tenant name of the fleet to its file and the line and column of
    its `metadata.name`. A name belongs to the tenant with the longest name whose
    namespace holds it; a claim outside its own tenant's namespace altogether is
    `secret_owner_issues`' to report.
    """
    issues = []
    for claim in claims:
        if claim.tenant not in tenants or not claim.value.startswith(claim.prefix(claim.tenant)):
            continue  # not its own at all: `secret_owner_issues` says so
        owner = _owner(claim, tenants.keys())
        if owner is None or owner == claim.tenant:
            continue
        file = tenants[claim.tenant][0]
        issues.append(_foreign(file, claim, owner, tenants[owner][0]))
        issues.append(_taken(claim, file, owner, tenants[owner]))
    return issues


def _owner(claim: SecretClaim, tenants: Container[str]) -> str | None:
    """The tenant with the longest name whose namespace holds the claimed name.

    Each separator in the name ends a candidate tenant name, looked up in `tenants`: a
    lookup per separator, not a comparison per tenant (the fleet may hold thousands)."""
    if claim.kind == "env":
        words = claim.value.split("_")
    else:
        words = claim.value.removeprefix("tenant-").split("-")
    candidates = ("-".join(words[:n]).lower() for n in range(len(words) - 1, 0, -1))
    return next(
        (n for n in candidates if n in tenants and claim.value.startswith(claim.prefix(n))),
        None,
    )


def _foreign(file: str, claim: SecretClaim, owner: str, owner_file: str) -> Issue:
    whose = f"tenant {owner}'s namespace ({owner_file})"
    if claim.kind == "derived":
        message = (
            f"CI reads this client secret from Secret Manager as {shown(claim.value)}, "
            f"a name in {whose}"
        )
        hint = (
            "give this provider another id (CI names the secret after the tenant and the "
            "provider), or read a secret of your own with fromSecretManager"
        )
    else:
        message = f"{shown(claim.value)} is in {whose}: {_NOT_OWNED}"
        own = conventional_secret_id(claim.tenant, claim.idp_id)
        if claim.kind == "env":
            own = _env_example(claim.tenant, claim.idp_id)
        owned = claim.prefix(owner)
        hint = f"use a name that is {claim.tenant}'s alone, e.g. {own} ({owned}... is {owner}'s)"
    return Issue(
        file,
        claim.line,
        claim.column,
        json_path(claim.path),
        f"{dotted(claim.path)}: {message}",
        hint,
    )


def _taken(claim: SecretClaim, file: str, owner: str, at: tuple[str, int, int]) -> Issue:
    owner_file, line, column = at
    return Issue(
        owner_file,
        line,
        column,
        json_path(("metadata", "name")),
        f"metadata.name: {shown(owner)} makes {shown(claim.value)} this tenant's, but "
        f"tenant {claim.tenant} reads it ({file}:{claim.line})",
        f"change that reference in {file} to a name that is {claim.tenant}'s alone, or "
        "choose another tenant name here",
    )


def _name_and_references(
    document: Any,
) -> tuple[str | None, list[tuple[str, tuple[PathPart, ...], dict[str, Any]]]]:
    """The tenant name, and each secret reference as (key, path, reference): IdP client
    secrets keyed by the IdP id, test phone codes by the number (`+` first)."""
    metadata = document.get("metadata") if isinstance(document, dict) else None
    spec = document.get("spec") if isinstance(document, dict) else None
    name = metadata.get("name") if isinstance(metadata, dict) else None
    if not isinstance(name, str) or not _TENANT_NAME.search(name):
        return None, []
    found: list[tuple[str, tuple[PathPart, ...], dict[str, Any]]] = []
    providers = spec.get("identityProviders") if isinstance(spec, dict) else None
    for index, provider in enumerate(providers if isinstance(providers, list) else ()):
        if not isinstance(provider, dict) or not isinstance(provider.get("clientSecret"), dict):
            continue
        idp_id = provider.get("id") if isinstance(provider.get("id"), str) else "IDP"
        path: tuple[PathPart, ...] = ("spec", "identityProviders", index, "clientSecret")
        found.append((str(idp_id), path, provider["clientSecret"]))
    auth = spec.get("auth") if isinstance(spec, dict) else None
    phones = auth.get("testPhoneNumbers") if isinstance(auth, dict) else None
    for number, ref in phones.items() if isinstance(phones, dict) else ():
        if isinstance(number, str) and is_phone_key(number) and isinstance(ref, dict):
            found.append((number, ("spec", "auth", "testPhoneNumbers", number), ref))
    return name, found


def secret_owner_issues(loaded: LoadedYaml) -> list[Issue]:
    """Every secret reference of the manifest that is not in the tenant's namespace."""
    name, references = _name_and_references(loaded.document)
    if name is None:
        return []
    issues: list[Issue] = []
    for key, base, ref in references:
        issues += _reference_issues(loaded, name, key, base, ref)
    return issues


def _reference_issues(
    loaded: LoadedYaml, tenant: str, idp_id: str, base: tuple[PathPart, ...], ref: dict[str, Any]
) -> list[Issue]:
    found = []
    variable = ref.get("fromEnv")
    if isinstance(variable, str) and not variable.startswith(env_prefix(tenant)):
        example = _env_example(tenant, idp_id)
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


def _env_example(tenant: str, key: str) -> str:
    """The conventional variable for a secret: `TENANT_ONE_GOOGLE_CLIENT_SECRET`."""
    return conventional_secret_id(tenant, key).removeprefix("tenant-").upper().replace("-", "_")


def _issue(loaded: LoadedYaml, path: tuple[PathPart, ...], what: str, hint: str) -> Issue:
    return loaded.issue_at(path, what, hint)
