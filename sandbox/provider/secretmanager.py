"""Secret Manager, read side: the `gcp:secretmanager/getSecretVersion:getSecretVersion` invoke.

Versions are added with `put_secret` (or `python -m sandbox secret put NAME`, value on stdin)
into the same SQLite file the provider reads. The result mirrors pulumi-gcp's
GetSecretVersionResult; `secretData` is always returned as a secret.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

from sandbox.provider.resource import Cloud, ProviderError, project_number
from sandbox.provider.store import SecretVersion, Store, state_db_path

GET_SECRET_VERSION = "gcp:secretmanager/getSecretVersion:getSecretVersion"
SECRET_OUTPUTS = frozenset({"secretData"})


def put_secret(project: str, secret: str, data: str, db_path: Path | None = None) -> SecretVersion:
    """Add a version of `secret` in `project` to the sandbox state (tests and the CLI)."""
    if not secret or "/" in secret:
        raise ValueError(f"secret name {secret!r}: give the short name, e.g. tenant-one-google")
    return Store(db_path or state_db_path()).put_secret_version(project, secret, data)


def get_secret_version(cloud: Cloud, args: dict[str, Any]) -> dict[str, Any]:
    """The invoke's result for `args` (secret, version, project, fetchSecretData, ...)."""
    project, secret = _secret_ref(
        str(args.get("secret") or ""), args.get("project") or cloud.config.project
    )
    version = _version_number(args.get("version"))
    found = cloud.store.secret_version(project, secret, version)
    number = project_number(project)
    if found is None:
        wanted = "latest" if version is None else str(version)
        raise ProviderError(
            f"Error 404: Secret Version [projects/{number}/secrets/{secret}/versions/{wanted}] "
            "not found."
        )
    name = f"projects/{number}/secrets/{secret}/versions/{found.version}"
    fetch = args.get("fetchSecretData") is not False
    as_base64 = bool(args.get("isSecretDataBase64"))
    data = found.data if not as_base64 else base64.b64encode(found.data.encode()).decode()
    return {
        "createTime": found.create_time,
        "destroyTime": "",
        "enabled": True,
        "fetchSecretData": fetch,
        "id": name,
        "isSecretDataBase64": as_base64,
        "name": name,
        "project": project,
        "secret": secret,
        "secretData": data if fetch else "",
        "version": str(found.version),
    }


def _secret_ref(secret: str, default_project: str | None) -> tuple[str, str]:
    """(project, short name) from `NAME` or `projects/P/secrets/NAME`."""
    parts = secret.split("/")
    if len(parts) == 4 and parts[0] == "projects" and parts[2] == "secrets":
        return parts[1], parts[3]
    if len(parts) == 1 and parts[0]:
        if not default_project:
            raise ProviderError("getSecretVersion: project is not set (set gcp:project or project)")
        return default_project, parts[0]
    raise ProviderError(f"getSecretVersion: cannot parse secret {secret!r}")


def _version_number(version: Any) -> int | None:
    if version in (None, "", "latest"):
        return None
    try:
        return int(str(version))
    except ValueError:
        raise ProviderError(
            f"getSecretVersion: version {version!r} is not a number or 'latest'"
        ) from None
