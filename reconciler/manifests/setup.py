"""The platform's own set-up, as platform.yaml describes it: names, from one place.

`reconciler platform preview|up` builds the platform stack from this, and the doctor checks
a live project against the same names. One source of truth, no second file:

- the tenant project and the bucket location: `gcp.project`, `gcp.defaultLocation`;
- the state bucket: the bucket of `pulumi.backendUrl` (`gs://BUCKET[/PREFIX]`);
- the KMS key: `pulumi.secretsProvider` (`gcpkms://projects/P/locations/L/keyRings/R/cryptoKeys/K`);
- the repository, the reviewers, the Workload Identity ids and where the platform stack's
  own state lives: the `setup` section.

A production platform.yaml says all of this (`reconciler init` writes one); the sandbox's
(`file://`, `passphrase`) has no platform to set up, and `load_setup` says which setting
to change, at its line.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reconciler.manifests.issues import Issue, json_path
from reconciler.manifests.platform import PLATFORM_FILE, Platform, PlatformError, load_platform

PREVIEW_ACCOUNT = "tenant-gitops-preview"
"""Plan, preview and drift: reads state and the tenants' resources, writes nothing but locks."""
DEPLOY_ACCOUNT = "tenant-gitops-deploy"
"""Apply, destroy and adopt, only in the deploy environments on main."""
ENVIRONMENTS = ("tenant-apply", "tenant-destroy", "tenant-adopt")
"""The GitHub environments the deploy identity may be used from."""
REVIEWED_ENVIRONMENTS = ("tenant-destroy", "tenant-adopt")
"""Those whose jobs wait for a reviewer (applies never wait for a person)."""
DEFAULT_POOL, DEFAULT_PROVIDER = "tenant-gitops", "github"

_BUCKET_URL = re.compile(r"^gs://(?P<bucket>[a-z0-9][a-z0-9._-]*[a-z0-9])(?:/(?P<prefix>.*))?$")
_KMS_URL = re.compile(
    r"^gcpkms://projects/(?P<project>[^/]+)/locations/(?P<location>[^/]+)/"
    r"keyRings/(?P<ring>[^/]+)/cryptoKeys/(?P<key>[^/?]+)$"
)


@dataclass(frozen=True)
class KmsKey:
    """The Cloud KMS key that encrypts the tenant stacks' secrets."""

    project: str
    location: str
    key_ring: str
    key: str

    @property
    def ring_name(self) -> str:
        return f"projects/{self.project}/locations/{self.location}/keyRings/{self.key_ring}"

    @property
    def name(self) -> str:
        """Its resource name, `projects/P/locations/L/keyRings/R/cryptoKeys/K`."""
        return f"{self.ring_name}/cryptoKeys/{self.key}"


@dataclass(frozen=True)
class PlatformSetup:
    """Everything the platform stack creates, named."""

    project: str
    """The tenant project: Identity Platform tenants, tenant buckets and accounts, secrets."""
    control_project: str
    """State bucket, KMS key, Workload Identity pool and the CI accounts (may be `project`)."""
    location: str
    """Where the state bucket lives (gcp.defaultLocation)."""
    state_bucket: str
    kms: KmsKey
    repository: str
    """owner/name on GitHub."""
    repository_id: int
    """Its numeric id: what the Workload Identity provider accepts."""
    reviewers: tuple[str, ...] = ()
    """`team:SLUG` / `user:LOGIN` approving deletions and adoptions."""
    pool: str = DEFAULT_POOL
    provider: str = DEFAULT_PROVIDER
    platform_state: str | None = None
    """Where the platform stack keeps its own state (`setup.platformState`), or None for
    the default (a folder under the root); must be somewhere only admins can write."""
    state_prefix: str = ""
    """The folder of `pulumi.backendUrl` in the bucket (`gs://BUCKET/PREFIX`), no slashes
    around it; empty for the bucket's root. Pulumi keeps every stack under it
    (pulumi/pulumi pkg/backend/diy/backend.go: `blob.PrefixedBucket(bucket, path + "/")`)."""

    @property
    def owner(self) -> str:
        return self.repository.split("/", 1)[0]

    def account_email(self, account_id: str) -> str:
        return f"{account_id}@{self.control_project}.iam.gserviceaccount.com"

    @property
    def preview_account(self) -> str:
        return self.account_email(PREVIEW_ACCOUNT)

    @property
    def deploy_account(self) -> str:
        return self.account_email(DEPLOY_ACCOUNT)

    def provider_name(self, project_number: str) -> str:
        """The value of GCP_WORKLOAD_IDENTITY_PROVIDER (IAM wants the project *number*)."""
        return f"{self.pool_name(project_number)}/providers/{self.provider}"

    def pool_name(self, project_number: str) -> str:
        return f"projects/{project_number}/locations/global/workloadIdentityPools/{self.pool}"

    @property
    def backend_url(self) -> str:
        """The tenant stacks' backend, prefix included: what CI must use to see them."""
        return f"gs://{self.state_bucket}/{self.state_prefix}".rstrip("/")

    @property
    def state_objects(self) -> str:
        """The object-name prefix of the backend's files: `PREFIX/` or empty."""
        return f"{self.state_prefix}/" if self.state_prefix else ""

    def in_state_bucket(self, url: str) -> bool:
        """Whether a backend URL lies in the tenant state bucket, which the deploy account
        writes (`roles/storage.objectUser`)."""
        bucket = _BUCKET_URL.match(url.strip())
        return bucket is not None and bucket.group("bucket") == self.state_bucket

    @property
    def secrets_provider(self) -> str:
        return f"gcpkms://{self.kms.name}"


def _problem(loaded: Any, path: tuple[str, ...], message: str, hint: str) -> Issue:
    line, column = loaded.locate(path)
    return Issue(PLATFORM_FILE, line, column, json_path(path), message, hint)


def load_setup(root: Path, overrides: Mapping[str, str]) -> PlatformSetup:
    """The set-up platform.yaml describes, with the RECONCILER_* `overrides`
    (`Settings.platform_overrides`); every problem in one `PlatformError`, each at its line."""
    from reconciler.manifests.loader import load_yaml_file

    platform = load_platform(root, overrides)  # validates the file, `setup` included
    loaded = load_yaml_file(root / PLATFORM_FILE, PLATFORM_FILE)
    section = loaded.document.get("setup") if isinstance(loaded.document, dict) else None
    return setup_from(platform, section, loaded)


def setup_from(platform: Platform, section: Any, loaded: Any) -> PlatformSetup:
    """The set-up from validated settings; a pure function (table-tested)."""
    issues = []
    if not isinstance(section, dict):
        issues.append(
            _problem(
                loaded,
                ("setup",),
                "platform.yaml has no setup section: the platform set-up needs the "
                "GitHub repository (and its id) the workflows run in",
                "run `reconciler init` (it writes one), or add setup.github.repository and "
                "setup.github.repositoryId (docs/platform-setup.md)",
            )
        )
        section = {}
    bucket = _BUCKET_URL.match(platform.backend_url)
    if bucket is None:
        issues.append(
            _problem(
                loaded,
                ("pulumi", "backendUrl"),
                f"pulumi.backendUrl is {platform.backend_url!r}: the platform keeps tenant "
                "state in a Cloud Storage bucket it creates",
                "write gs://BUCKET (for example gs://<project>-tenant-state), or run "
                "`reconciler init`; RECONCILER_BACKEND_URL overrides the file",
            )
        )
    kms = _KMS_URL.match(platform.secrets_provider)
    if kms is None:
        issues.append(
            _problem(
                loaded,
                ("pulumi", "secretsProvider"),
                f"pulumi.secretsProvider is {platform.secrets_provider!r}: the platform "
                "encrypts stack secrets with a Cloud KMS key it creates",
                "write gcpkms://projects/P/locations/L/keyRings/R/cryptoKeys/K, or run "
                "`reconciler init`; RECONCILER_SECRETS_PROVIDER overrides the file",
            )
        )
    control = str(section.get("controlProject") or platform.gcp_project)
    if kms is not None and kms.group("project") != control:
        issues.append(
            _problem(
                loaded,
                ("pulumi", "secretsProvider"),
                f"the KMS key is in project {kms.group('project')!r}, the control plane in "
                f"{control!r}",
                "keep the key with the state bucket: name the control-plane project in "
                "the gcpkms:// URL (or set setup.controlProject to the key's project)",
            )
        )
    if issues:
        raise PlatformError(tuple(issues))
    assert bucket is not None and kms is not None
    github = section["github"]
    identity = section.get("workloadIdentity") or {}
    return PlatformSetup(
        project=platform.gcp_project,
        control_project=control,
        location=platform.default_location,
        state_bucket=bucket.group("bucket"),
        state_prefix=(bucket.group("prefix") or "").strip("/"),
        kms=KmsKey(
            kms.group("project"), kms.group("location"), kms.group("ring"), kms.group("key")
        ),
        repository=str(github["repository"]),
        repository_id=int(github["repositoryId"]),
        reviewers=tuple(github.get("reviewers") or ()),
        pool=str(identity.get("pool") or DEFAULT_POOL),
        provider=str(identity.get("provider") or DEFAULT_PROVIDER),
        platform_state=str(section["platformState"]) if section.get("platformState") else None,
    )
