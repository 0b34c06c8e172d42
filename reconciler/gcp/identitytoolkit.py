"""A minimal Identity Toolkit v2 client for the tenant settings pulumi-gcp cannot manage.

Used by the dynamic providers of `reconciler/program/` (the tenant's sign-in settings, the
OIDC code flow) inside the provider process the Pulumi engine starts, and by `reconciler
adopt` to read what exists. Where it talks to and as whom is decided
there, at call time, from the environment — never from anything stored in the stack's state:

- `FIREBASE_AUTH_EMULATOR_HOST` set (the sandbox): the Firebase Auth emulator at that host,
  authorised as `Bearer owner`, the emulator's administrator token.
- otherwise (production): https://identitytoolkit.googleapis.com with Google application-default
  credentials (`google.auth.default`), the same credentials pulumi-gcp uses for the rest of
  the program (in CI: the workload-identity file google-github-actions/auth points
  GOOGLE_APPLICATION_CREDENTIALS at).

Every call is retried as pulumi-gcp retries its own (`retry.py`: 429/500/502/503 and network
errors, Fibonacci backoff from 0.5 s, for 90 s); only GETs and masked PATCHes are sent, which
are safe to repeat.

One emulator quirk shapes reads (firebase-tools 15.x, `lib/emulator/auth/state.js`): a GET or
PATCH on a tenant id it does not know *creates* that tenant, so in the emulator a tenant's
existence is decided by listing first.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

from reconciler.gcp.retry import RETRYABLE_STATUSES, RetryPolicy, TransientError
from reconciler.settings import read_settings

PRODUCTION_ROOT = "https://identitytoolkit.googleapis.com"
SCOPES = ("https://www.googleapis.com/auth/cloud-platform",)
"""One of the scopes projects.tenants.patch accepts (API reference, Authorization scopes)."""
_PAGE_SIZE = 1000


class IdentityToolkitError(Exception):
    """An error answer from the API: HTTP status, Google status word and message."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"Identity Toolkit answered {status} {code}: {message}")
        self.status = status
        self.code = code


def retryable(error: BaseException) -> bool:
    """The provider's predicate: a 429/500/502/503 answer, or the network failing."""
    if isinstance(error, IdentityToolkitError):
        return error.status in RETRYABLE_STATUSES
    return isinstance(error, TransientError)


@dataclass(frozen=True)
class Endpoint:
    """Where the API is and whether it is the emulator."""

    root: str
    """URL the `v2/...` paths hang from."""
    emulator: bool
    """Talking to the Firebase Auth emulator (admin token, list-before-get)."""


def endpoint(emulator_host: str) -> Endpoint:
    """The emulator when `FIREBASE_AUTH_EMULATOR_HOST` is set, else Google's production API."""
    host = emulator_host.strip()
    if host:
        return Endpoint(root=f"http://{host}/identitytoolkit.googleapis.com", emulator=True)
    return Endpoint(root=PRODUCTION_ROOT, emulator=False)


class TenantApi:
    """GET, list and PATCH on `projects/{project}/tenants/{tenant}` and its OIDC configs."""

    def __init__(
        self, where: Endpoint, timeout: float = 60.0, retry: RetryPolicy | None = None
    ) -> None:
        self.where = where
        self.timeout = timeout
        self.retry = retry or RetryPolicy()

    @classmethod
    def from_environment(cls) -> TenantApi:
        """The API this process's settings point at: the dynamic provider's edge (it runs in
        a process the Pulumi engine starts, so it reads its own settings, at call time)."""
        return cls(endpoint(read_settings().emulator_host))

    def list_tenants(self, project: str) -> list[dict[str, Any]]:
        """Every tenant of the project (projects.tenants.list, all pages)."""
        found: list[dict[str, Any]] = []
        token = ""
        while True:
            query = {"pageSize": str(_PAGE_SIZE), **({"pageToken": token} if token else {})}
            page = self._call("GET", f"v2/projects/{project}/tenants", query=query)
            found += [dict(tenant) for tenant in page.get("tenants", [])]
            token = page.get("nextPageToken", "")
            if not token:
                return found

    def list_idp_configs(
        self, project: str, tenant_id: str, collection: str
    ) -> list[dict[str, Any]]:
        """A tenant's IdP configs of one kind, all pages: `collection` is
        `defaultSupportedIdpConfigs`, `oauthIdpConfigs` or `inboundSamlConfigs`
        (projects.tenants.<collection>.list; the answer lists them under the same key)."""
        found: list[dict[str, Any]] = []
        token = ""
        while True:
            query = {"pageSize": "100", **({"pageToken": token} if token else {})}
            path = f"v2/projects/{project}/tenants/{tenant_id}/{collection}"
            page = self._call("GET", path, query=query)
            found += [dict(config) for config in page.get(collection, [])]
            token = page.get("nextPageToken", "")
            if not token:
                return found

    def find_tenant(self, project: str, tenant_id: str) -> dict[str, Any] | None:
        """The tenant, or None when it does not exist."""
        if self.where.emulator:
            # Listing, because the emulator's GET would create the tenant it misses.
            token = ""
            while True:
                query = {"pageSize": str(_PAGE_SIZE), **({"pageToken": token} if token else {})}
                page = self._call("GET", f"v2/projects/{project}/tenants", query=query)
                for tenant in page.get("tenants", []):
                    if tenant.get("name", "").rsplit("/", 1)[-1] == tenant_id:
                        return dict(tenant)
                token = page.get("nextPageToken", "")
                if not token:
                    return None
        try:
            return self._call("GET", f"v2/projects/{project}/tenants/{tenant_id}")
        except IdentityToolkitError as error:
            if error.status == 404:
                return None
            raise

    def patch_tenant(
        self, project: str, tenant_id: str, body: dict[str, Any], update_mask: list[str]
    ) -> dict[str, Any]:
        """projects.tenants.patch: only the fields named in `update_mask` change."""
        return self._call(
            "PATCH",
            f"v2/projects/{project}/tenants/{tenant_id}",
            body=body,
            query={"updateMask": ",".join(update_mask)},
        )

    def find_oauth_idp_config(
        self, project: str, tenant_id: str, idp_id: str
    ) -> dict[str, Any] | None:
        """projects.tenants.oauthIdpConfigs.get, or None when the config does not exist."""
        try:
            return self._call("GET", _oauth_path(project, tenant_id, idp_id))
        except IdentityToolkitError as error:
            if error.status == 404:
                return None
            raise

    def patch_oauth_idp_config(
        self,
        project: str,
        tenant_id: str,
        idp_id: str,
        body: dict[str, Any],
        update_mask: list[str],
    ) -> dict[str, Any]:
        """projects.tenants.oauthIdpConfigs.patch: only the masked fields change."""
        return self._call(
            "PATCH",
            _oauth_path(project, tenant_id, idp_id),
            body=body,
            query={"updateMask": ",".join(update_mask)},
        )

    def _call(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        query: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        url = f"{self.where.root}/{urllib.parse.quote(path)}"
        if query:
            url += "?" + urllib.parse.urlencode(query, safe=",")
        if not self.where.emulator:
            return self.retry.run(lambda: _call_google(method, url, body, self.timeout), retryable)
        return self.retry.run(lambda: _call_emulator(method, url, body, self.timeout), retryable)


def _oauth_path(project: str, tenant_id: str, idp_id: str) -> str:
    return f"v2/projects/{project}/tenants/{tenant_id}/oauthIdpConfigs/{idp_id}"


def _call_emulator(
    method: str, url: str, body: dict[str, Any] | None, timeout: float
) -> dict[str, Any]:
    """One call to the Firebase Auth emulator (or the sandbox's stand-in in front of it)."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Authorization", "Bearer owner")
    request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            payload = response.read()
    except urllib.error.HTTPError as error:
        raise _error(error.code, error.read(), str(error.reason)) from None
    except OSError as error:  # refused, reset, timed out: what the transport retries
        raise TransientError(f"{method} {url}: {error}") from None
    return dict(json.loads(payload)) if payload.strip() else {}


def _call_google(
    method: str, url: str, body: dict[str, Any] | None, timeout: float
) -> dict[str, Any]:
    """One call with application-default credentials (google-auth[requests], the deploy extra)."""
    import google.auth
    import requests
    from google.auth.transport.requests import AuthorizedSession

    credentials, _ = google.auth.default(scopes=list(SCOPES))
    # AuthorizedSession refreshes the token and adds x-goog-user-project when the
    # credentials name a quota project (user credentials need one for this API).
    session = AuthorizedSession(credentials)
    try:
        response = session.request(method, url, json=body, timeout=timeout)
    except (requests.ConnectionError, requests.Timeout) as error:
        raise TransientError(f"{method} {url}: {error}") from None
    if response.status_code >= 400:
        raise _error(response.status_code, response.content, response.reason or "")
    return dict(response.json()) if response.content.strip() else {}


def _error(status: int, payload: bytes, reason: str) -> IdentityToolkitError:
    try:
        detail = json.loads(payload).get("error", {})
    except ValueError:
        detail = {}
    return IdentityToolkitError(
        status, str(detail.get("status", "UNKNOWN")), str(detail.get("message", reason))
    )
