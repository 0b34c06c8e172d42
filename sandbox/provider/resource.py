"""What every emulated resource type shares: its field table, check, diff and delete guard.

A resource type (`ResourceKind`) declares its input fields once — which replace on change
(Terraform's ForceNew), which are secret, which the cloud computes when absent — and
implements create/read/update/delete against the sandbox cloud (`Cloud`). The generic
`check` and `diff` below turn that table into the engine's answers, so the per-type modules
only hold what is specific to them.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from pulumi.provider.experimental.provider import PropertyDiffKind

from sandbox.provider.identitytoolkit import IdentityToolkit
from sandbox.provider.store import Store
from sandbox.provider.validation import DELETION_POLICIES, one_of
from sandbox.provider.values import UNKNOWN, is_blank, same


class ProviderError(Exception):
    """An operation failed the way the real API or provider would refuse it."""


class CloudError(ProviderError):
    """An HTTP error from a Google API, as googleapi.Error carries it: code, message, reason.

    `status` is the RPC status (e.g. RESOURCE_EXHAUSTED) and `reason` the ErrorInfo reason
    (e.g. RATE_LIMIT_EXCEEDED); the provider's retry predicates look at both.
    """

    def __init__(self, code: int, message: str, status: str = "", reason: str = "") -> None:
        self.code = code
        self.status = status
        self.reason = reason
        suffix = f", {reason or status}" if reason or status else ""
        super().__init__(f"googleapi: Error {code}: {message}{suffix}")


DEFAULTS_KEY = "__defaults"
"""Where the bridge records which inputs it filled in (defaults and auto-names)."""


@dataclass(frozen=True)
class Failure:
    """One input problem, reported by `check` against the property it concerns."""

    property: str
    reason: str


@dataclass(frozen=True)
class ProviderConfig:
    """The provider's own configuration (`gcp:project`, `gcp:region`)."""

    project: str | None = None
    region: str | None = None


class Cloud:
    """What resource operations reach: provider config, the SQLite store and the emulator."""

    def __init__(
        self, config: ProviderConfig, store: Store, toolkit: IdentityToolkit | None = None
    ):
        self.config = config
        self.store = store
        self._toolkit = toolkit
        self.visibility_lag = 0.0
        """Seconds a new service account stays invisible to IAM (the `lag` fault)."""

    def lagging(self, seconds: float) -> Cloud:
        """This cloud, but new service accounts take `seconds` to become visible."""
        copy = Cloud(self.config, self.store, self._toolkit)
        copy.visibility_lag = seconds
        return copy

    @property
    def identity_toolkit(self) -> IdentityToolkit:
        # Resolved on first use: a stack without tenants needs no emulator.
        if self._toolkit is None:
            self._toolkit = IdentityToolkit.from_environment()
        return self._toolkit


@dataclass(frozen=True)
class Field:
    """One input property of a resource type."""

    name: str
    """camelCase, as on the wire."""
    replaces: bool = False
    """A change replaces the resource (ForceNew in the Terraform schema)."""
    secret: bool = False
    """Always returned as a secret output."""
    computed: bool = False
    """Optional+Computed: when absent from the inputs, the cloud's value stands (no diff)."""
    required: bool = False
    canonical: Callable[[Any], Any] | None = None
    """Maps equivalent spellings to one before comparing (e.g. `b/NAME` and `NAME`)."""
    default: Any = None
    """The Terraform schema's Default: filled in at check (and listed in `__defaults`)."""
    autonamed: bool = False
    """pulumi-gcp auto-names it (`prov.SetAutonaming` in provider/resources.go): optional."""


@dataclass(frozen=True)
class CheckRequest:
    """What `check` needs: the resource's logical name, its inputs and the provider config."""

    name: str
    news: dict[str, Any]
    olds: dict[str, Any]
    random_seed: bytes
    config: ProviderConfig


@dataclass(frozen=True)
class Diff:
    """The answer to the engine's Diff, in plain terms."""

    changes: bool
    replaces: tuple[str, ...] = ()
    detailed: dict[str, PropertyDiffKind] = field(default_factory=dict)
    delete_before_replace: bool = False


class ResourceKind:
    """One emulated resource type. Subclasses set `token`/`fields` and the cloud operations."""

    token: ClassVar[str]
    fields: ClassVar[tuple[Field, ...]]
    output_secrets: ClassVar[frozenset[str]] = frozenset()

    @classmethod
    def field_names(cls) -> frozenset[str]:
        return frozenset(f.name for f in cls.fields)

    @classmethod
    def secret_names(cls) -> frozenset[str]:
        return frozenset(f.name for f in cls.fields if f.secret) | cls.output_secrets

    def defaults(self, inputs: dict[str, Any], request: CheckRequest) -> dict[str, Any]:
        """Fill defaults and generated names (override where the real provider does)."""
        return inputs

    def validate(self, inputs: dict[str, Any]) -> list[Failure]:
        """The rules the real *provider* checks at plan time (ValidateFunc; override).

        Only these fail `check` (and so `pulumi preview`). What the API itself refuses
        belongs in `api_validate`, which runs at create/update time, as in GCP.
        """
        return []

    def api_validate(self, inputs: dict[str, Any]) -> list[Failure]:
        """The rules the real *API* enforces, checked when the resource is created or updated."""
        return []

    def preview(self, cloud: Cloud, inputs: dict[str, Any]) -> dict[str, Any]:
        """Outputs for a planned create: inputs plus unknown computed values."""
        raise NotImplementedError

    def create(self, cloud: Cloud, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        raise NotImplementedError

    def read(self, cloud: Cloud, resource_id: str, state: dict[str, Any]) -> dict[str, Any] | None:
        """Current outputs, or None when the resource no longer exists."""
        raise NotImplementedError

    def update(
        self, cloud: Cloud, resource_id: str, olds: dict[str, Any], news: dict[str, Any]
    ) -> dict[str, Any]:
        raise NotImplementedError

    def delete(self, cloud: Cloud, resource_id: str, state: dict[str, Any]) -> None:
        raise NotImplementedError


def check(kind: ResourceKind, request: CheckRequest) -> tuple[dict[str, Any], list[Failure]]:
    """Validate and complete a resource's inputs; every problem is reported, not the first."""
    names = kind.field_names()
    inputs = {key: value for key, value in request.news.items() if not key.startswith("__")}
    failures = [
        Failure(key, f"the sandbox does not emulate property {key!r} of {kind.token}")
        for key in sorted(inputs)
        if key not in names
    ]
    if "project" in names and inputs.get("project") is None:
        if request.config.project:
            inputs["project"] = request.config.project
        else:
            failures.append(
                Failure("project", "required field is not set (set gcp:project or project)")
            )
    filled = [f.name for f in kind.fields if f.default is not None and inputs.get(f.name) is None]
    for name in filled:
        inputs[name] = next(f.default for f in kind.fields if f.name == name)
    filled += [
        f.name for f in kind.fields if f.autonamed and inputs.get(f.name) is None
    ]  # the kind's `defaults` fills these
    if "deletionPolicy" in names:
        policy = inputs.setdefault("deletionPolicy", "DELETE")
        if isinstance(policy, str) and (why := one_of(policy, DELETION_POLICIES)):
            failures.append(Failure("deletionPolicy", why))
    inputs = kind.defaults(inputs, request)
    failures += [
        Failure(f.name, "required field is not set")
        for f in kind.fields
        if f.required and inputs.get(f.name) is None
    ]
    failures += kind.validate(inputs)
    if any(f.autonamed or f.default is not None for f in kind.fields):
        # Kept across updates: an auto-name stays an auto-name (the engine passes olds back).
        earlier = request.olds.get(DEFAULTS_KEY)
        kept = [n for n in earlier if isinstance(n, str)] if isinstance(earlier, list) else []
        explicit = {f.name for f in kind.fields if request.news.get(f.name) is not None}
        inputs[DEFAULTS_KEY] = sorted({*filled, *(n for n in kept if n not in explicit)})
    return inputs, failures


def api_check(kind: ResourceKind, inputs: dict[str, Any]) -> None:
    """Refuse, as the API would with a 400, inputs that break the API's own rules."""
    failures = kind.api_validate(inputs)
    if failures:
        detail = "; ".join(f"{f.property}: {f.reason}" for f in failures)
        raise CloudError(400, f"{kind.token}: {detail}", reason="invalid")


def known_str(inputs: dict[str, Any], name: str) -> str | None:
    """The input as a string when it is set and known (validation skips unknowns)."""
    value = inputs.get(name)
    return value if isinstance(value, str) else None


def diff(kind: ResourceKind, olds: dict[str, Any], news: dict[str, Any], ignore: list[str]) -> Diff:
    """Compare old outputs with new inputs, field by field, as the real provider would."""
    detailed: dict[str, PropertyDiffKind] = {}
    replaces: list[str] = []
    for f in kind.fields:
        if f.name in ignore:
            continue
        old, new = olds.get(f.name), news.get(f.name)
        if new is None and f.computed:
            continue
        if f.canonical is not None:
            old, new = _canonical(f.canonical, old), _canonical(f.canonical, new)
        if same(old, new):
            continue
        if f.replaces:
            replaces.append(f.name)
        for path, change in _changed_paths(_path_step("", f.name), old, new):
            detailed[path] = _with_replace(change, f.replaces)
    first_delete = bool(replaces) and explicitly_named(kind, news)
    return Diff(bool(detailed), tuple(replaces), detailed, delete_before_replace=first_delete)


def explicitly_named(kind: ResourceKind, news: dict[str, Any]) -> bool:
    """Whether a replacement must delete first, as the bridge decides it.

    pulumi-terraform-bridge (pkg/tfbridge/schema.go, nameRequiresDeleteBeforeReplace):
    a resource with an auto-nameable property whose value the user set (it is not in
    `__defaults`) is deleted before its replacement is created, because the new one may
    need the very same name. Without a `__defaults` list it counts as auto-named.
    """
    defaults = news.get(DEFAULTS_KEY)
    if not isinstance(defaults, list):
        return False
    return any(
        f.autonamed and news.get(f.name) is not None and f.name not in defaults for f in kind.fields
    )


def deletion_allowed(kind: ResourceKind, resource_id: str, state: dict[str, Any]) -> bool:
    """False for ABANDON (forget it, leave it be); raises for PREVENT, as the provider does."""
    policy = state.get("deletionPolicy", "DELETE")
    if policy == "PREVENT":
        raise ProviderError(
            f"cannot destroy {kind.token} {resource_id}: its deletionPolicy is PREVENT; set "
            "deletionPolicy to DELETE and apply that first"
        )
    return policy != "ABANDON"


def _canonical(canonical: Callable[[Any], Any], value: Any) -> Any:
    return value if value is None or value is UNKNOWN else canonical(value)


def _changed_paths(path: str, old: Any, new: Any) -> list[tuple[str, PropertyDiffKind]]:
    if isinstance(old, dict) and isinstance(new, dict):
        found: list[tuple[str, PropertyDiffKind]] = []
        for key in sorted({*old, *new}):
            if not same(old.get(key), new.get(key)):
                found += _changed_paths(_path_step(path, key), old.get(key), new.get(key))
        return found or [(path, PropertyDiffKind.UPDATE)]
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        found = []
        for index, (a, b) in enumerate(zip(old, new, strict=True)):
            if not same(a, b):
                found += _changed_paths(f"{path}[{index}]", a, b)
        return found or [(path, PropertyDiffKind.UPDATE)]
    if _absent(old):
        return [(path, PropertyDiffKind.ADD)]
    if _absent(new):
        return [(path, PropertyDiffKind.DELETE)]
    return [(path, PropertyDiffKind.UPDATE)]


def _absent(value: Any) -> bool:
    """Not there at all (False is a value: false -> true is an update, not an add)."""
    return value is None or value == "" or (isinstance(value, dict | list) and is_blank(value))


_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _path_step(path: str, key: str) -> str:
    """Append a key in Pulumi's property-path syntax (quoted when not an identifier)."""
    if _IDENTIFIER.match(key):
        return f"{path}.{key}" if path else key
    return f'{path}["{key}"]'


_REPLACING = {
    PropertyDiffKind.ADD: PropertyDiffKind.ADD_REPLACE,
    PropertyDiffKind.DELETE: PropertyDiffKind.DELETE_REPLACE,
    PropertyDiffKind.UPDATE: PropertyDiffKind.UPDATE_REPLACE,
}


def _with_replace(change: PropertyDiffKind, replaces: bool) -> PropertyDiffKind:
    return _REPLACING.get(change, change) if replaces else change


BLOCK_MARK = "#"
"""Stands for Terraform's `<block>.#` count in a nested block's canonical form."""


def nested_block(*inner: str) -> Callable[[Any], Any]:
    """The canonical form of a Terraform nested block (TypeList, MaxItems 1) for diffing.

    Terraform compares a block's presence (`client.#`: 0 vs 1) before its contents, so a
    block holding only false values is not the same as no block, unlike a bare false bool
    (helper/schema diffs a TypeList by its count). `inner` names nested blocks within it.
    """

    def canonical(value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        marked = {**value, BLOCK_MARK: 1}
        for key in inner:
            if isinstance(marked.get(key), dict):
                marked[key] = {**marked[key], BLOCK_MARK: 1}
        return marked

    return canonical


def auto_name(resource_name: str, seed: bytes) -> str:
    """The bridge's auto-name: the resource's logical name, '-', 7 random hex digits."""
    return f"{resource_name}-{hashlib.sha256(seed + resource_name.encode()).hexdigest()[:7]}"


def project_number(project: str) -> int:
    """The sandbox's stand-in for a project's number: 12 digits, stable per project id."""
    digest = hashlib.sha256(project.encode()).digest()
    return 100_000_000_000 + int.from_bytes(digest[:8], "big") % 900_000_000_000


def rfc3339_now() -> str:
    """The current time as the Google APIs print it."""
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
