"""The sandbox's Secret Manager REST stand-in: version *metadata* from the sandbox's SQLite store.

`reconciler plan` asks Secret Manager which version `latest` is (reconciler/gcp/secret_manager.py);
against the sandbox, this server answers that same call from the versions `python -m sandbox
secret put` stored, so the real client code runs in the end-to-end tests. It serves
`GET /v1/projects/{project}/secrets/{secret}/versions/{version}` (the project by id or by the
sandbox's stand-in number) with a SecretVersion resource, as Google does
(https://cloud.google.com/secret-manager/docs/reference/rest/v1/projects.secrets.versions/get):
`name` with the project number, `state`, `createTime`; errors as Google's JSON error body.
It never serves a payload: `:access` answers 501, and every request is logged (paths only).

Started like the emulator (sandbox/emulator.py): `start()` for tests (the caller stops it),
`ensure_running(state_dir, db)` for `python -m sandbox up|exec`, recorded in
`state_dir/secretmanager.json` and stopped by `stop_recorded` (`python -m sandbox down`).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from sandbox import REPO_ROOT, service_record
from sandbox.emulator import (
    EmulatorError,
    _die_with_parent,
    _locked,
    _stop_group,
    free_port,
)
from sandbox.provider.resource import project_number
from sandbox.provider.store import Store

RECORD_NAME = "secretmanager.json"
LOG_NAME = "secretmanager.log"
START_TIMEOUT_SECONDS = 30.0
_MODULE = "sandbox.secretmanager_api"


# --- the server ------------------------------------------------------------------------------


def version_resource(store: Store, path: str) -> tuple[int, dict[str, Any]]:
    """(HTTP status, body) for GET `path` (pure apart from reading the store)."""
    parts = path.split("?", 1)[0].strip("/").split("/")
    if parts[-1].endswith(":access"):
        return _error(501, "UNIMPLEMENTED", "the sandbox never serves secret payloads here")
    shape = ["v1", "projects", "*", "secrets", "*", "versions", "*"]
    if len(parts) != len(shape) or any(
        s not in ("*", p) for s, p in zip(shape, parts, strict=True)
    ):
        return _error(404, "NOT_FOUND", f"no such method: GET /{'/'.join(parts)}")
    project, secret, wanted = _project_id(store, parts[2]), parts[4], parts[6]
    if wanted != "latest" and not wanted.isdigit():
        return _error(400, "INVALID_ARGUMENT", f"version {wanted!r}: a number or 'latest'")
    found = store.secret_version(project, secret, None if wanted == "latest" else int(wanted))
    number = project_number(project)
    if found is None:
        what = f"projects/{number}/secrets/{secret}"
        return _error(404, "NOT_FOUND", f"Secret Version [{what}/versions/{wanted}] not found.")
    return 200, {
        "name": f"projects/{number}/secrets/{secret}/versions/{found.version}",
        "createTime": found.create_time,
        "state": "ENABLED",
        "etag": f'"{found.version}"',
    }


def _project_id(store: Store, given: str) -> str:
    """The project id for a path's project, given by id or by the sandbox's number."""
    if not given.isdigit():
        return given
    for project in store.secret_projects():
        if str(project_number(project)) == given:
            return project
    return given


def _error(status: int, code: str, message: str) -> tuple[int, dict[str, Any]]:
    return status, {"error": {"code": status, "message": message, "status": code}}


def make_server(db_path: Path, port: int = 0) -> ThreadingHTTPServer:
    """A server on 127.0.0.1:`port` answering from the SQLite file `db_path`."""
    store = Store(db_path)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == "/":
                status, body = 200, {"secretManager": {"ready": True}}
            else:
                status, body = version_resource(store, self.path)
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            # The request line only: paths hold names, never values.
            print(f"{self.command} {self.path} -> {args[1] if len(args) > 1 else ''}", flush=True)

    return ThreadingHTTPServer(("127.0.0.1", port), Handler)


# --- the process -----------------------------------------------------------------------------


@dataclass
class SecretManagerApi:
    """A running stand-in server."""

    host: str
    """`127.0.0.1:PORT`."""
    pid: int
    db_path: Path
    log_path: Path
    _process: subprocess.Popen[bytes] | None = field(default=None, repr=False, compare=False)

    @property
    def url(self) -> str:
        """The value for RECONCILER_SECRET_MANAGER_ENDPOINT."""
        return f"http://{self.host}"

    def stop(self, timeout: float = 5.0) -> None:
        _stop_group(self.pid, self._process, timeout)


def start(db_path: Path, log_path: Path, *, detached: bool = False) -> SecretManagerApi:
    """Start a server process for `db_path` and wait until it answers."""
    port = free_port()
    log_path.parent.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", _MODULE, "--db", str(db_path), "--port", str(port)]
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            command,
            cwd=REPO_ROOT,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=None if detached else _die_with_parent,
        )
    api = SecretManagerApi(f"127.0.0.1:{port}", process.pid, db_path, log_path, process)
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while not is_ready(api.host):
        if process.poll() is not None or time.monotonic() > deadline:
            _stop_group(process.pid, process, 2.0)
            raise EmulatorError(f"the Secret Manager stand-in did not start; see {log_path}")
        time.sleep(0.05)
    return api


def is_ready(host: str, timeout: float = 1.0) -> bool:
    try:
        with urllib.request.urlopen(f"http://{host}/", timeout=timeout) as response:
            return bool(json.load(response).get("secretManager", {}).get("ready"))
    except (OSError, ValueError):
        return False


def ensure_running(state_dir: Path, db_path: Path) -> SecretManagerApi:
    """Reuse the server recorded in `state_dir` if it serves `db_path`, else start one."""
    with _locked(state_dir):
        found = running(state_dir)
        if found is not None and found.db_path == db_path:
            return found
        if found is not None:
            _stop_group(found.pid, None, 5.0)  # it serves another state file
        api = start(db_path, state_dir / LOG_NAME, detached=True)
        api._process = None  # it outlives this process; later ones stop it by pid
        record = {"pid": api.pid, "host": api.host, "db": str(db_path)}
        (state_dir / RECORD_NAME).write_text(json.dumps(record) + "\n")
        return api


def running(state_dir: Path) -> SecretManagerApi | None:
    """The server recorded in `state_dir` if it is alive and answering."""
    record = service_record.read_record(state_dir, RECORD_NAME, _MODULE)
    if record is None:
        return None
    try:
        api = SecretManagerApi(
            record["host"], int(record["pid"]), Path(record["db"]), state_dir / LOG_NAME
        )
    except (KeyError, TypeError, ValueError):
        return None
    return api if is_ready(api.host) else None


def stop_recorded(state_dir: Path) -> bool:
    """Stop the server recorded in `state_dir`, answering or not; False when none was running."""
    return service_record.stop_recorded(state_dir, RECORD_NAME, _MODULE)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=f"python -m {_MODULE}")
    parser.add_argument("--db", type=Path, required=True, help="the sandbox's SQLite file")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    server = make_server(args.db, args.port)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
