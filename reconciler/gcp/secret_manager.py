"""Secret Manager, metadata only: which version `latest` is now, for plan's rotation check.

One call, `projects.secrets.versions.get` on `projects/P/secrets/S/versions/latest`: it
answers the SecretVersion resource (name, state, createTime), never the payload, and needs
only `secretmanager.versions.get` (roles/secretmanager.viewer). `versions.access`, the call
that returns the payload, is never made here. References:
- REST: https://cloud.google.com/secret-manager/docs/reference/rest/v1/projects.secrets.versions/get
  ("`projects/*/secrets/*/versions/latest` is an alias to the most recently created
  SecretVersion"; the answer's `name` carries the project *number* and the concrete id);
- terraform-provider-google-beta
  google-beta/services/secretmanager/data_source_secret_manager_secret_version.go, which
  pulumi-gcp's getSecretVersion runs: the same GET on `.../versions/latest`, the version id
  taken from the last segment of `name`, then a separate `:access` for the payload.
Errors are Google's JSON error body `{"error": {"code", "message", "status"}}`.

Where: `RECONCILER_SECRET_MANAGER_ENDPOINT` (the sandbox's stand-in, `python -m sandbox up`)
or https://secretmanager.googleapis.com. Over https the call carries Google
application-default credentials (google-auth, imported on use); a plain `http://` endpoint
is a local stand-in and gets no credentials, so a token never travels unencrypted.
"""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

from reconciler.settings import default

PRODUCTION_ROOT = default("RECONCILER_SECRET_MANAGER_ENDPOINT")
"""https://secretmanager.googleapis.com; the setting overrides it (the sandbox sets it)."""
SCOPES = ("https://www.googleapis.com/auth/cloud-platform",)
"""The scope versions.get requires (API reference, Authorization scopes)."""
TIMEOUT_SECONDS = 10.0

_VIEWER_HINT = "grant this identity roles/secretmanager.viewer on it (docs/security.md)"
_CREDENTIALS_HINT = (
    "set up Application Default Credentials (`gcloud auth application-default login`, or "
    "GOOGLE_APPLICATION_CREDENTIALS; in CI the google-github-actions/auth step)"
)


@dataclass(frozen=True)
class VersionMetadata:
    """A SecretVersion resource, as versions.get answers it (no payload)."""

    name: str
    """`projects/NUMBER/secrets/S/versions/N`."""
    state: str
    """`ENABLED`, `DISABLED` or `DESTROYED`."""

    @property
    def version(self) -> str:
        """The version id, the last segment of `name`."""
        return self.name.rsplit("/", 1)[-1]


class LookupFailed(Exception):
    """Why the newest version could not be told, in one line a user can act on."""


class SecretVersions:
    """`latest(project, secret)`: the metadata of the secret's newest version."""

    def __init__(self, root: str, timeout: float = TIMEOUT_SECONDS) -> None:
        self.root = root.rstrip("/")
        self.timeout = timeout
        self._credentials: Any = None
        self._lock = threading.Lock()

    @property
    def local(self) -> bool:
        """A plain-http stand-in: no credentials are sent to it."""
        return self.root.startswith("http://")

    def latest(self, project: str, secret: str) -> VersionMetadata:
        """The newest version's metadata; raises LookupFailed (never anything else)."""
        path = f"projects/{project}/secrets/{secret}"
        url = f"{self.root}/v1/{urllib.parse.quote(path)}/versions/latest"
        try:
            status, body = self._get_local(url) if self.local else self._get_google(url)
        except LookupFailed:
            raise
        except Exception as error:  # the network, or google-auth's transport: one line
            raise LookupFailed(f"could not reach {self.root}: {_short(error)}") from None
        if status != 200:
            raise LookupFailed(_explain(status, body, path))
        try:
            document = json.loads(body)
            name, state = str(document["name"]), str(document.get("state", "ENABLED"))
        except (ValueError, KeyError, TypeError):
            raise LookupFailed(f"{self.root} answered no SecretVersion") from None
        return VersionMetadata(name=name, state=state)

    def _get_local(self, url: str) -> tuple[int, bytes]:
        request = urllib.request.Request(url, method="GET")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return int(response.status), bytes(response.read())
        except urllib.error.HTTPError as error:
            return int(error.code), bytes(error.read())

    def _get_google(self, url: str) -> tuple[int, bytes]:
        from google.auth import exceptions
        from google.auth.transport.requests import AuthorizedSession

        # One AuthorizedSession per call: requests' sessions are not shared across the
        # plan's threads; the credentials are, and refresh themselves.
        session = AuthorizedSession(self._google_credentials())
        try:
            response = session.get(url, timeout=self.timeout)
        except exceptions.RefreshError as error:
            raise LookupFailed(
                f"the Google credentials are not valid ({_short(error)}): {_CREDENTIALS_HINT}"
            ) from None
        return int(response.status_code), bytes(response.content)

    def _google_credentials(self) -> Any:
        with self._lock:
            if self._credentials is None:
                try:
                    import google.auth
                    from google.auth import exceptions
                except ImportError:
                    raise LookupFailed(
                        "google-auth is not installed: pip install 'tenant-gitops[deploy]'"
                    ) from None
                try:
                    self._credentials, _ = google.auth.default(scopes=list(SCOPES))
                except exceptions.DefaultCredentialsError as error:
                    raise LookupFailed(
                        f"no usable Google credentials ({_short(error)}): {_CREDENTIALS_HINT}"
                    ) from None
            return self._credentials


def _explain(status: int, body: bytes, path: str) -> str:
    """Google's error answer as one actionable line."""
    try:
        error = json.loads(body).get("error", {})
        code, message = str(error.get("status", "")), str(error.get("message", ""))
    except (ValueError, AttributeError):
        code, message = "", ""
    said = f"{status} {code}".strip() + (f": {message}" if message else "")
    if status == 403:
        return f"permission denied reading the versions of {path} ({said}): {_VIEWER_HINT}"
    if status == 401:
        return f"Secret Manager refused our credentials ({said}): {_CREDENTIALS_HINT}"
    if status == 404:
        return f"{path} does not exist or has no version ({said}): an apply would fail to read it"
    return f"Secret Manager answered {said} for {path}"


def _short(error: BaseException) -> str:
    reason = getattr(error, "reason", None)  # URLError wraps the socket error
    text = str(reason if reason is not None else error) or type(error).__name__
    return text.splitlines()[0][:200]
