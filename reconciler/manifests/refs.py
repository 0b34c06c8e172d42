"""Secret references: where a secret value lives (never the value), and how the manifest
spells them (`{fromEnv: VAR}` or `{fromSecretManager: {secret, version, project}}`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class SecretRef:
    """Where a secret value lives; the value itself is never in git."""

    from_env: str | None = None
    """Name of an environment variable holding the value at run time."""
    secret_manager: SecretManagerRef | None = None
    """A GCP Secret Manager secret version holding the value."""

    def describe(self) -> str:
        """A human description of the reference (never the value)."""
        if self.from_env is not None:
            return f"environment variable {self.from_env}"
        assert self.secret_manager is not None
        return f"Secret Manager secret {self.secret_manager.path()}"


@dataclass(frozen=True)
class SecretManagerRef:
    """A Secret Manager secret version."""

    secret: str
    """Secret id (short name) in the project."""
    version: str = "latest"
    """Version number or `latest`."""
    project: str | None = None
    """Project holding the secret; defaults to the platform project."""

    def path(self) -> str:
        project = self.project or "<platform project>"
        return f"projects/{project}/secrets/{self.secret}/versions/{self.version}"


def whole(value: Any) -> Any:
    """`30.0` as 30: JSON has one number type, so the schema's "integer" accepts 30.0 too."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def secret_ref(raw: dict[str, Any]) -> SecretRef:
    """A schema-valid secret reference as a `SecretRef`."""
    if "fromEnv" in raw:
        return SecretRef(from_env=raw["fromEnv"])
    sm = raw["fromSecretManager"]
    return SecretRef(
        secret_manager=SecretManagerRef(
            secret=sm["secret"],
            version=str(whole(sm.get("version", "latest"))),
            project=sm.get("project"),
        )
    )
