"""Platform settings: one `platform.yaml` at the repository root, overridable from the environment.

The file is validated against `schema/platform.schema.json`; environment variables
(`RECONCILER_*`) override single settings so CI can point the same repository at a real
backend and project without editing the file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

PLATFORM_FILE = "platform.yaml"
TARGETS = ("sandbox", "gcp")


@dataclass(frozen=True)
class Platform:
    """Settings shared by every tenant stack."""

    root: Path
    """Repository root (where platform.yaml lives)."""
    target: str
    """`sandbox` (the local stand-in cloud) or `gcp`."""
    gcp_project: str
    """GCP project that holds every tenant's resources."""
    default_location: str
    """Bucket location for tenants that do not set one."""
    pulumi_project: str
    """Pulumi project name; stacks are `<pulumi_project>/<tenant>`."""
    backend_url: str
    """Pulumi state backend (`file://...`, `gs://...`)."""
    secrets_provider: str
    """`passphrase` or a KMS URL such as `gcpkms://...`."""
    default_deletion_protection: bool
    """Deletion protection for tenants whose manifest does not say."""
    max_delete_fraction: float
    """A run deleting more than this share of deployed tenants is refused."""
    parallelism: int
    """Engine operations run at once."""

    @property
    def sandbox(self) -> bool:
        return self.target == "sandbox"

    def resolved_backend_url(self) -> str:
        """The backend URL with a relative `file://` path made absolute against the root."""
        url = self.backend_url
        if url.startswith("file://"):
            path = Path(url[len("file://") :]).expanduser()
            if not path.is_absolute():
                path = self.root / path
            return "file://" + str(path)
        return url
