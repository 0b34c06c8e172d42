"""A small client for the Identity Toolkit v2 tenant API, as served by the Auth emulator.

The calls are the real API's: POST/GET/PATCH?updateMask=/DELETE on
`projects/{project}/tenants`, authorised as the emulator's `Bearer owner`. Two emulator
quirks shape it (firebase-tools 15.34.2):
- GET, PATCH and DELETE on a tenant id that does not exist *create* it with default
  settings, so existence is always decided by listing first (`find_tenant`).
- POST drops `client`; only PATCH with `updateMask=client.permissions.*` stores it.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

EMULATOR_HOST_ENV = "FIREBASE_AUTH_EMULATOR_HOST"
_API_PREFIX = "identitytoolkit.googleapis.com/v2"
_PAGE_SIZE = 1000


class ApiError(Exception):
    """An error answer from the API: HTTP status, Google status word and message."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"Error {status}: {message} ({code})")
        self.status = status
        self.code = code
        self.message = message


class EmulatorNotConfigured(RuntimeError):
    """FIREBASE_AUTH_EMULATOR_HOST is unset, so there is no Identity Platform to talk to."""


class IdentityToolkit:
    """Tenant CRUD against one emulator host (`127.0.0.1:PORT`)."""

    def __init__(self, host: str, timeout: float = 30.0) -> None:
        self.host = host
        self.timeout = timeout

    @classmethod
    def from_environment(cls) -> IdentityToolkit:
        host = os.environ.get(EMULATOR_HOST_ENV, "").strip()
        if not host:
            raise EmulatorNotConfigured(
                f"{EMULATOR_HOST_ENV} is not set: the sandbox keeps Identity Platform tenants "
                "in the Firebase Auth emulator. Start one with `python -m sandbox up` and export "
                "the host it prints (e.g. FIREBASE_AUTH_EMULATOR_HOST=127.0.0.1:9099)."
            )
        return cls(host)

    def create_tenant(self, project: str, body: dict[str, Any]) -> dict[str, Any]:
        return self._call("POST", f"projects/{project}/tenants", body=body)

    def list_tenants(self, project: str) -> list[dict[str, Any]]:
        tenants: list[dict[str, Any]] = []
        token = ""
        while True:
            query = {"pageSize": str(_PAGE_SIZE), **({"pageToken": token} if token else {})}
            page = self._call("GET", f"projects/{project}/tenants", query=query)
            tenants.extend(page.get("tenants", []))
            token = page.get("nextPageToken", "")
            if not token:
                return tenants

    def find_tenant(self, project: str, tenant_id: str) -> dict[str, Any] | None:
        """The tenant, or None: by listing, because the emulator's GET creates what it misses."""
        for tenant in self.list_tenants(project):
            if tenant.get("tenantId") == tenant_id:
                return tenant
        return None

    def get_tenant(self, project: str, tenant_id: str) -> dict[str, Any]:
        """GET one tenant (only call it for a tenant known to exist)."""
        return self._call("GET", f"projects/{project}/tenants/{tenant_id}")

    def patch_tenant(
        self, project: str, tenant_id: str, body: dict[str, Any], update_mask: list[str]
    ) -> dict[str, Any]:
        query = {"updateMask": ",".join(update_mask)}
        return self._call(
            "PATCH", f"projects/{project}/tenants/{tenant_id}", body=body, query=query
        )

    def delete_tenant(self, project: str, tenant_id: str) -> None:
        self._call("DELETE", f"projects/{project}/tenants/{tenant_id}")

    def _call(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        query: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        url = f"http://{self.host}/{_API_PREFIX}/{urllib.parse.quote(path)}"
        if query:
            url += "?" + urllib.parse.urlencode(query, safe=",")
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(url, data=data, method=method)
        request.add_header("Authorization", "Bearer owner")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                payload = response.read()
        except urllib.error.HTTPError as error:
            raise _api_error(error) from None
        except OSError as error:
            raise ConnectionError(
                f"cannot reach the Firebase Auth emulator at {self.host} ({error}); is it running? "
                "(`python -m sandbox status`)"
            ) from None
        return dict(json.loads(payload)) if payload.strip() else {}


def _api_error(error: urllib.error.HTTPError) -> ApiError:
    try:
        detail = json.loads(error.read()).get("error", {})
    except ValueError:
        detail = {}
    return ApiError(
        error.code, str(detail.get("status", "UNKNOWN")), str(detail.get("message", error.reason))
    )
