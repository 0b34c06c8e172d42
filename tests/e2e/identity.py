"""Talking to the Firebase Auth emulator the way an application would (Identity Toolkit REST)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

ADMIN = {"Authorization": "Bearer owner", "Content-Type": "application/json"}


def call(
    host: str, method: str, path: str, body: dict | None = None, admin: bool = True
) -> tuple[int, Any]:
    request = urllib.request.Request(
        f"http://{host}/{path}",
        method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers=ADMIN if admin else {"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def _all_tenants(host: str, project: str) -> list[dict]:
    """Every page of tenants.list (its default page is 20 tenants; a session holds more)."""
    found: list[dict] = []
    token = ""
    while True:
        query = f"?pageSize=1000&pageToken={token}" if token else "?pageSize=1000"
        status, body = call(
            host, "GET", f"identitytoolkit.googleapis.com/v2/projects/{project}/tenants{query}"
        )
        assert status == 200, body
        found += body.get("tenants", [])
        token = body.get("nextPageToken") or ""
        if not token:
            return found


def tenants(host: str, project: str) -> dict[str, dict]:
    """Every identity tenant in the emulator, by display name."""
    return {t["displayName"]: t for t in _all_tenants(host, project)}


def tenant_ids(host: str, project: str) -> set[str]:
    """Ids of every identity tenant in the emulator."""
    return {t["name"].rsplit("/", 1)[-1] for t in _all_tenants(host, project)}


def get_tenant(host: str, project: str, tenant_id: str) -> dict | None:
    status, body = call(
        host, "GET", f"identitytoolkit.googleapis.com/v2/projects/{project}/tenants/{tenant_id}"
    )
    return body if status == 200 else None


def sign_up(host: str, tenant: str, email: str, password: str) -> tuple[int, Any]:
    return call(
        host,
        "POST",
        "identitytoolkit.googleapis.com/v1/accounts:signUp?key=fake-key",
        {"email": email, "password": password, "tenantId": tenant, "returnSecureToken": True},
        admin=False,
    )


def sign_in(host: str, tenant: str, email: str, password: str) -> tuple[int, Any]:
    return call(
        host,
        "POST",
        "identitytoolkit.googleapis.com/v1/accounts:signInWithPassword?key=fake-key",
        {"email": email, "password": password, "tenantId": tenant, "returnSecureToken": True},
        admin=False,
    )
