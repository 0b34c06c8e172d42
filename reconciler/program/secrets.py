"""Resolving a tenant's secret references before the engine starts.

`resolve_secrets` runs first, with no Pulumi import. Where client secrets come from is
one setting, `RECONCILER_CLIENT_SECRETS` (docs/security.md, "Secrets"). Test phone numbers'
codes (`spec.auth.testPhoneNumbers`) are secrets of the same kind, keyed by the number
instead of an IdP id (a `+` first tells them apart), and must be six digits:
- `env` (the default, local runs): every `fromEnv` reference is read from the environment
  here, so a missing or empty variable is one clear per-tenant error
  (`MissingSecretError`, naming every variable, IdP and file) instead of an engine failure
  halfway through an update, and never an empty string sent to GCP.
- `secret-manager` (CI's apply and destroy): a `fromEnv` reference is read from Secret
  Manager instead, by the naming convention `tenant-<name>-<idp>-client-secret`
  (`conventional_secret_id`), so adding a tenant never edits a workflow.
- `unread` (CI's previews): no value is read at all. The IdP configs keep the deployed
  secret (`ignored_properties`), the preview shows every other change, and the secret is
  "not compared". The program refuses to run outside a preview in this mode.

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
from reconciler.names import conventional_secret_id, is_phone_key

if TYPE_CHECKING:
    import pulumi
    from pulumi_gcp.secretmanager import GetSecretVersionResult

MASK = "[secret]"
"""What a secret looks like in any text this module produces."""

SOURCE_VARIABLE = "RECONCILER_CLIENT_SECRETS"
"""The setting that says where client secrets come from (one of SOURCES)."""
FROM_ENV, FROM_SECRET_MANAGER, UNREAD = "env", "secret-manager", "unread"
SOURCES = (FROM_ENV, FROM_SECRET_MANAGER, UNREAD)

NOT_COMPARED = "not compared"
"""How a preview describes a client secret it did not read."""

_PLACEHOLDER = "unread-in-preview"
"""Stands for an unread secret in a preview; `ignore_changes` keeps it out of the diff."""
SNAPSHOT_PLACEHOLDER = "[secret: not read by previews]"
"""What every secret reads as in the copy of a stack's state CI's preview runs on
(`reconciler/engine/backend/snapshot.py`): a dynamic provider's diff that meets it among
the old outputs cannot know the deployed value, so it does not compare it."""


class SecretSourceError(ValueError):
    """`RECONCILER_CLIENT_SECRETS` names no known source."""


def secret_source(setting: str) -> str:
    """Where client secrets come from on this run: the setting's value (`Settings.
    client_secrets`), `env` when it is empty; refused when it names no source."""
    source = setting.strip() or FROM_ENV
    if source not in SOURCES:
        raise SecretSourceError(
            f"{SOURCE_VARIABLE}={source!r}: use one of {', '.join(SOURCES)} "
            "(docs/security.md, Secrets)"
        )
    return source


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
    """One environment variable a tenant needs that is unset, empty or unusable."""

    variable: str
    """The variable's name."""
    idp_id: str
    """What uses it: an IdP (its client secret) or a test phone number (its code)."""
    empty: bool
    """Set but empty (rather than unset)."""
    malformed: bool = False
    """Set, but not a six-digit code (test phone numbers only)."""

    def describe(self) -> str:
        if self.malformed:
            state = "does not hold a six-digit code"
        else:
            state = "is set but empty" if self.empty else "is not set"
        return f"{self.variable} {state} ({describe_use(self.idp_id)})"


def describe_use(key: str) -> str:
    """What a secret is for, from its key: `client secret of identity provider google.com`."""
    if is_phone_key(key):
        return f"code of test phone number {key}"
    return f"client secret of identity provider {key}"


def is_test_code(value: str) -> bool:
    """A test phone number's code is six digits (firebase-admin-node
    `src/auth/auth-config.ts` `validateTestPhoneNumbers`: `/^[\\d]{6}$/`)."""
    return len(value) == 6 and value.isascii() and value.isdigit()


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
        unread: frozenset[str] = frozenset(),
    ) -> None:
        """`from_env` maps IdP id to (variable, value); `from_secret_manager` to a reference;
        `unread` names the IdPs whose secret a preview does not read (not compared)."""
        self.tenant = tenant
        self._env = {idp: (var, _Sealed(value)) for idp, (var, value) in from_env.items()}
        self._secret_manager = dict(from_secret_manager)
        self._unread = frozenset(unread)
        self._reads: dict[str, pulumi.Output[GetSecretVersionResult]] = {}

    def idp_ids(self) -> tuple[str, ...]:
        """The IdPs that have a client secret, sorted."""
        return tuple(sorted({*self._env, *self._secret_manager, *self._unread}))

    def not_compared(self) -> tuple[str, ...]:
        """The IdPs whose client secret this run does not read (a preview's "not compared")."""
        return tuple(sorted(self._unread))

    def ignored_properties(self, idp_id: str, name: str = "clientSecret") -> list[str]:
        """`ignore_changes` for what holds the secret keyed `idp_id` (its property `name`):
        the deployed secret stays when unread."""
        return [name] if idp_id in self._unread else []

    def for_run(self) -> ResolvedSecrets:
        """The same secrets with no Secret Manager reads yet: one per engine run (a read's
        Output belongs to the run that made it)."""
        fresh = ResolvedSecrets(self.tenant, {}, self._secret_manager, self._unread)
        fresh._env = self._env
        return fresh

    def client_secret(self, idp_id: str, default_project: str) -> pulumi.Output[str]:
        """The secret keyed `idp_id` (an IdP's client secret, or a test phone number's code)
        as a secret Output (call inside the Pulumi program).

        Secret Manager references without a project look in `default_project`.
        """
        import pulumi

        if idp_id in self._unread:
            # Fail closed: an unread secret may stand in a preview, never in an update.
            if not pulumi.runtime.is_dry_run():
                raise RuntimeError(
                    f"tenant {self.tenant}: the {describe_use(idp_id)} was not read "
                    f"({SOURCE_VARIABLE}={UNREAD} is for previews only)"
                )
            return pulumi.Output.secret(_PLACEHOLDER)
        if idp_id in self._env:
            return pulumi.Output.secret(self._env[idp_id][1].reveal())
        if idp_id in self._secret_manager:
            return pulumi.Output.secret(self._read(idp_id, default_project).secret_data)
        raise KeyError(f"tenant {self.tenant}: no client secret was resolved for {idp_id}")

    def version_ids(self, default_project: str) -> pulumi.Output[dict[str, str]]:
        """IdP id -> the version id each `latest` Secret Manager reference resolved to.

        From the very read whose value the IdP config got (one read per reference and run),
        so the recorded version is the applied one even if a rotation lands mid-run. Pinned
        versions are left out: a newer version is no rotation for them.
        """
        import pulumi

        latest = sorted(i for i, ref in self._secret_manager.items() if ref.version == "latest")
        # The read's result is secret as a whole (it holds the payload); its version id is
        # not, and the record must hold it in plain text.
        ids = [pulumi.Output.unsecret(self._read(i, default_project).version) for i in latest]
        return pulumi.Output.all(*ids).apply(lambda found: dict(zip(latest, found, strict=True)))

    def _read(self, idp_id: str, default_project: str) -> pulumi.Output[GetSecretVersionResult]:
        import pulumi_gcp as gcp

        if idp_id not in self._reads:
            ref = self._secret_manager[idp_id]
            # Looked up at run time by the provider: the value never passes through git or CI.
            self._reads[idp_id] = gcp.secretmanager.get_secret_version_output(
                secret=ref.secret, version=ref.version, project=ref.project or default_project
            )
        return self._reads[idp_id]

    def __repr__(self) -> str:
        # Where each secret comes from, never what it is.
        sources = [f"{idp}=env:{var}" for idp, (var, _) in self._env.items()]
        sources += [f"{idp}=secret-manager:{r.path()}" for idp, r in self._secret_manager.items()]
        sources += [f"{idp}={NOT_COMPARED}" for idp in self._unread]
        return f"ResolvedSecrets(tenant={self.tenant!r}, {', '.join(sorted(sources))})"

    __str__ = __repr__


def resolve_secrets(
    tenant: Tenant, environ: Mapping[str, str], source: str = FROM_ENV
) -> ResolvedSecrets:
    """The tenant's client secrets from `source` (the `RECONCILER_CLIENT_SECRETS` setting);
    `environ` holds the variables a `fromEnv` may name (`Settings.secret_env`).

    `env`: read `fromEnv` secrets from `environ`, defer Secret Manager ones; raises
    `MissingSecretError` listing every unset or empty variable at once.
    `secret-manager`: every reference is a Secret Manager one (`fromEnv` by convention).
    `unread`: nothing is read (previews). Raises `SecretSourceError` for another value.
    """
    source = secret_source(source)
    used = used_secret_refs(tenant)
    if source == UNREAD:
        return ResolvedSecrets(tenant.name, {}, {}, frozenset(idp for idp, _ in used))
    from_env: dict[str, tuple[str, str]] = {}
    from_secret_manager: dict[str, SecretManagerRef] = {}
    missing: list[MissingSecret] = []
    for idp_id, ref in used:
        if ref.secret_manager is not None:
            from_secret_manager[idp_id] = ref.secret_manager
            continue
        assert ref.from_env is not None
        if source == FROM_SECRET_MANAGER:
            from_secret_manager[idp_id] = SecretManagerRef(
                conventional_secret_id(tenant.name, idp_id)
            )
            continue
        value = environ.get(ref.from_env)
        # An empty (or blank) value is as wrong as a missing one: GCP would store it as is.
        if value is None or not value.strip():
            missing.append(MissingSecret(ref.from_env, idp_id, empty=value is not None))
        elif is_phone_key(idp_id) and not is_test_code(value.strip()):
            missing.append(MissingSecret(ref.from_env, idp_id, empty=False, malformed=True))
        else:
            from_env[idp_id] = (ref.from_env, value.strip() if is_phone_key(idp_id) else value)
    if missing:
        raise MissingSecretError(tenant.name, tenant.source, tuple(missing))
    return ResolvedSecrets(tenant.name, from_env, from_secret_manager)
