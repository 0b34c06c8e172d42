"""Read-only calls on Google's REST APIs, for checks that look at a live project.

One client for several services, each at its root (`https://<service>.googleapis.com`).
Over https every call carries Google application-default credentials (google-auth's
`AuthorizedSession`, imported on first use: it refreshes the token and adds
`x-goog-user-project` when the credentials name a quota project, which Identity Toolkit
needs for user credentials). A plain `http://` root is a local stand-in and gets no
credentials, so a token never travels unencrypted (as `secret_manager.py` does).

Answers are `(status, JSON body)`; errors are Google's `{"error": {"code", "message",
"status"}}`, which `Answer.reason` reads.
"""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

SCOPES = ("https://www.googleapis.com/auth/cloud-platform",)
SERVICES = (
    "cloudkms",
    "cloudresourcemanager",
    "iam",
    "identitytoolkit",
    "serviceusage",
    "storage",
)
ENDPOINT_VARIABLE = "RECONCILER_GOOGLE_APIS_ENDPOINT"
"""A loopback stand-in serving every service under `<endpoint>/<service>` (tests)."""


@dataclass(frozen=True)
class Answer:
    status: int
    body: Any

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def reason(self) -> str:
        """Google's error status and message, e.g. `PERMISSION_DENIED: ...`."""
        error = self.body.get("error", {}) if isinstance(self.body, dict) else {}
        said = f"{error.get('status', '')}: {error.get('message', '')}".strip(": ")
        return f"{self.status} {said}".strip()

    def disabled_service(self) -> tuple[str, str] | None:
        """(service, consumer project) when Google refused because the API is off in the
        project the call is billed to: an `ErrorInfo` detail with reason SERVICE_DISABLED
        and `metadata.consumer`/`service` (googleapis `google/api/error_reason.proto`,
        SERVICE_DISABLED; the error quoted in golang/oauth2#702). For a client-based API
        (Identity Toolkit) that project is the credentials' quota project, not the
        resource's."""
        error = self.body.get("error", {}) if isinstance(self.body, dict) else {}
        for detail in error.get("details") or []:
            if isinstance(detail, dict) and detail.get("reason") == "SERVICE_DISABLED":
                meta = detail.get("metadata") or {}
                return str(meta.get("service", "")), str(meta.get("consumer", ""))
        return None


class Unreachable(Exception):
    """No answer (network, credentials); the message says which and what to do."""


def roots(endpoint: str = "") -> dict[str, str]:
    """Where each service answers: Google, or every service under a local stand-in.

    `endpoint` is `Settings.google_apis_endpoint` (`RECONCILER_GOOGLE_APIS_ENDPOINT`):
    loopback `http://` only, so credentials can never be sent elsewhere."""
    local = endpoint.strip().rstrip("/")
    if local:
        host = urllib.parse.urlsplit(local).hostname
        if not local.startswith("http://") or host not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError(f"{ENDPOINT_VARIABLE}={local!r}: only a loopback http:// stand-in")
        return {service: f"{local}/{service}" for service in SERVICES}
    return {service: f"https://{service}.googleapis.com" for service in SERVICES}


class GoogleRest:
    """GET and POST on `<root of service>/<path>`."""

    def __init__(self, service_roots: Mapping[str, str], timeout: float = 30.0) -> None:
        self.roots = dict(service_roots)
        self.timeout = timeout
        self._credentials: Any = None
        self._lock = threading.Lock()

    def get(self, service: str, path: str, query: Mapping[str, str] | None = None) -> Answer:
        return self._call("GET", service, path, query, None)

    def post(
        self,
        service: str,
        path: str,
        body: Mapping[str, Any],
        query: Mapping[str, str] | None = None,
    ) -> Answer:
        return self._call("POST", service, path, query, body)

    def _call(
        self,
        method: str,
        service: str,
        path: str,
        query: Mapping[str, str] | None,
        body: Mapping[str, Any] | None,
    ) -> Answer:
        url = f"{self.roots[service]}/{path.lstrip('/')}"
        if query:
            url += "?" + urllib.parse.urlencode(query)
        if url.startswith("http://"):
            return self._local(method, url, body)
        return self._google(method, url, body)

    def _local(self, method: str, url: str, body: Mapping[str, Any] | None) -> Answer:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(url, data=data, method=method)
        request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return Answer(int(response.status), _json(response.read()))
        except urllib.error.HTTPError as error:
            return Answer(int(error.code), _json(error.read()))
        except (urllib.error.URLError, OSError) as error:
            raise Unreachable(f"{url}: {getattr(error, 'reason', error)}") from None

    def _google(self, method: str, url: str, body: Mapping[str, Any] | None) -> Answer:
        from google.auth import exceptions
        from google.auth.transport.requests import AuthorizedSession

        try:
            session = AuthorizedSession(self._credentials_once())
            response = session.request(method, url, json=body, timeout=self.timeout)
        except exceptions.GoogleAuthError as error:
            raise Unreachable(
                f"Google credentials: {error}; run `gcloud auth application-default login`"
            ) from None
        except OSError as error:
            raise Unreachable(f"{url}: {error}") from None
        return Answer(int(response.status_code), _json(response.content))

    def _credentials_once(self) -> Any:
        with self._lock:
            if self._credentials is None:
                import google.auth

                self._credentials, _ = google.auth.default(scopes=list(SCOPES))
            return self._credentials


def _json(payload: bytes) -> Any:
    try:
        return json.loads(payload) if payload.strip() else {}
    except ValueError:
        return {"error": {"message": payload[:200].decode(errors="replace")}}
