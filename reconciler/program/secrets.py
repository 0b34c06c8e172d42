"""Resolving a tenant's secret references before the engine starts.

`resolve_secrets` runs first, with no Pulumi import: every `fromEnv` reference is read
from the environment there, so a missing or empty variable is one clear per-tenant
error (`MissingSecretError`, naming every variable, IdP and file) instead of an engine
failure halfway through an update, and never an empty string sent to GCP.
`fromSecretManager` references cannot be read without credentials and a provider, so
they are looked up inside the Pulumi program with pulumi-gcp's `getSecretVersion`.

Either way the program only ever sees `pulumi.Output.secret(...)` values, so the state
file holds ciphertext, and `ResolvedSecrets` never shows a value in its repr.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from reconciler.manifests.model import OidcIdp, SecretManagerRef, SecretRef, Tenant

if TYPE_CHECKING:
    import pulumi

MASK = "[secret]"
"""What a secret looks like in any text this module produces."""


class _Sealed:
    """A secret string whose repr and str are masked, so it cannot leak through a log line."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return MASK

    __str__ = __repr__


@dataclass(frozen=True)
class MissingSecret:
    """One environment variable a tenant needs that is unset or empty."""

    variable: str
    """The variable's name."""
    idp_id: str
    """The IdP whose client secret it holds."""
    empty: bool
    """Set but empty (rather than unset)."""

    def describe(self) -> str:
        state = "is set but empty" if self.empty else "is not set"
        return f"{self.variable} {state} (client secret of identity provider {self.idp_id})"


class MissingSecretError(Exception):
    """A tenant's manifest refers to environment variables that hold no value.

    A permanent error for this tenant: retrying cannot help until the variables are set.
    """

    def __init__(self, tenant: str, source: Path, missing: tuple[MissingSecret, ...]) -> None:
        self.tenant = tenant
        self.source = source
        self.missing = missing
        lines = "".join(f"\n  - {item.describe()}" for item in missing)
        count = f"{len(missing)} secret{'s' if len(missing) != 1 else ''}"
        super().__init__(f"{source}: tenant {tenant} is missing {count}:{lines}")


def used_secret_refs(tenant: Tenant) -> tuple[tuple[str, SecretRef], ...]:
    """The secret references the program sends to GCP, keyed by IdP id.

    An OIDC client secret is only used by the code flow; an `idToken` provider never
    needs one, so its reference (if any) is neither resolved nor required.
    """
    id_token_only = {
        idp.id
        for idp in tenant.identity_providers
        if isinstance(idp, OidcIdp) and idp.response_type != "code"
    }
    return tuple(
        (idp_id, ref) for idp_id, ref in tenant.secret_refs() if idp_id not in id_token_only
    )


class ResolvedSecrets:
    """A tenant's client secrets, ready for the program; values never appear in repr/str."""

    def __init__(
        self,
        tenant: str,
        from_env: Mapping[str, tuple[str, str]],
        from_secret_manager: Mapping[str, SecretManagerRef],
    ) -> None:
        """`from_env` maps IdP id to (variable, value); `from_secret_manager` to a reference."""
        self.tenant = tenant
        self._env = {idp: (var, _Sealed(value)) for idp, (var, value) in from_env.items()}
        self._secret_manager = dict(from_secret_manager)

    def idp_ids(self) -> tuple[str, ...]:
        """The IdPs that have a client secret, sorted."""
        return tuple(sorted({*self._env, *self._secret_manager}))

    def client_secret(self, idp_id: str, default_project: str) -> pulumi.Output[str]:
        """The IdP's client secret as a secret Output (call inside the Pulumi program).

        Secret Manager references without a project look in `default_project`.
        """
        import pulumi
        import pulumi_gcp as gcp

        if idp_id in self._env:
            return pulumi.Output.secret(self._env[idp_id][1].reveal())
        if idp_id in self._secret_manager:
            ref = self._secret_manager[idp_id]
            # Looked up at run time by the provider: the value never passes through git or CI.
            version = gcp.secretmanager.get_secret_version_output(
                secret=ref.secret, version=ref.version, project=ref.project or default_project
            )
            return pulumi.Output.secret(version.secret_data)
        raise KeyError(f"tenant {self.tenant}: no client secret was resolved for {idp_id}")

    def __repr__(self) -> str:
        # Where each secret comes from, never what it is.
        sources = [f"{idp}=env:{var}" for idp, (var, _) in self._env.items()]
        sources += [f"{idp}=secret-manager:{r.path()}" for idp, r in self._secret_manager.items()]
        return f"ResolvedSecrets(tenant={self.tenant!r}, {', '.join(sorted(sources))})"

    __str__ = __repr__


def resolve_secrets(tenant: Tenant, environ: Mapping[str, str]) -> ResolvedSecrets:
    """Read the tenant's `fromEnv` secrets from `environ`; defer Secret Manager ones.

    Raises `MissingSecretError` listing every unset or empty variable at once.
    """
    from_env: dict[str, tuple[str, str]] = {}
    from_secret_manager: dict[str, SecretManagerRef] = {}
    missing: list[MissingSecret] = []
    for idp_id, ref in used_secret_refs(tenant):
        if ref.secret_manager is not None:
            from_secret_manager[idp_id] = ref.secret_manager
            continue
        assert ref.from_env is not None
        value = environ.get(ref.from_env)
        # An empty (or blank) value is as wrong as a missing one: GCP would store it as is.
        if value is None or not value.strip():
            missing.append(MissingSecret(ref.from_env, idp_id, empty=value is not None))
        else:
            from_env[idp_id] = (ref.from_env, value)
    if missing:
        raise MissingSecretError(tenant.name, tenant.source, tuple(missing))
    return ResolvedSecrets(tenant.name, from_env, from_secret_manager)
