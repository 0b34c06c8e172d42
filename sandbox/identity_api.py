"""The sandbox's Identity Toolkit front: the Auth emulator, plus stand-ins for what it lacks.

The reconciler's own Identity Toolkit client (its dynamic resources: a tenant's sign-in
settings, an OIDC provider's flow) talks to `FIREBASE_AUTH_EMULATOR_HOST`; in the sandbox that
is this server, which passes every request to the Firebase Auth emulator except two things the
emulator cannot do (firebase-tools 15.34.2, `lib/emulator/auth/`):

- **IdP configs.** `projects.tenants.oauthIdpConfigs.get|patch` answer 501 in the emulator
  (`server.js`: unimplemented operations). Here they are served from the sandbox's SQLite
  store, from the very documents the sandbox's `gcp` plugin writes for
  `TenantOauthIdpConfig` (`provider/idpconfigs.py`), so a client secret the flow sets is the
  one pulumi-gcp's config reads back, as in GCP. `responseType` and `clientSecret` follow the
  update mask (a masked field absent from the body is cleared, AIP-134); "You can set either
  `id_token` or `code` to true, but not both" (`GoogleCloudIdentitytoolkitAdminV2OAuthResponseType`)
  is refused with 400 INVALID_ARGUMENT.
- **Test phone numbers.** The emulator camel-cases every key of a request body
  (`server.js` `convertKeysToCamelCase`, lodash `camelCase`), so `+15555550100` is stored as
  `15555550100`. Here a tenant PATCH's `testPhoneNumbers` is taken out of the mask and body
  and kept in the store under the tenant, with the API's rules ("E.164 format ... a maximum
  of 10 pairs", and six-digit codes as firebase-admin-node's `validateTestPhoneNumbers`), and
  put back into every tenant the emulator answers.

Everything else (sign-up, sign-in, tenants, `/` readiness) is the emulator's, unchanged.
Started by `python -m sandbox up|exec` beside the emulator (`ensure_running`), or in a thread by
the tests (`make_server`).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from sandbox import REPO_ROOT, service_record
from sandbox.emulator import (
    EmulatorError,
    _locked,
    _stop_group,
    free_port,
    is_ready,
)
from sandbox.provider.store import Store

RECORD_NAME = "identity-api.json"
LOG_NAME = "identity-api.log"
START_TIMEOUT_SECONDS = 30.0
_MODULE = "sandbox.identity_api"

OIDC_KIND = "gcp:identityplatform/tenantOauthIdpConfig:TenantOauthIdpConfig"
"""Where the plugin keeps OIDC configs (provider/idpconfigs.py `TenantOauthIdpConfig.token`)."""
PHONES_KIND = "identitytoolkit:testPhoneNumbers"
"""Where this front keeps a tenant's test phone numbers (under the tenant)."""
MAX_TEST_PHONE_NUMBERS = 10
_PREFIX = "/identitytoolkit.googleapis.com/v2/"
_TENANT = re.compile(r"^projects/([^/]+)/tenants/([^/:]+)$")
_TENANTS = re.compile(r"^projects/([^/]+)/tenants$")
_OIDC = re.compile(r"^projects/([^/]+)/tenants/([^/]+)/oauthIdpConfigs/([^/]+)$")
_E164 = re.compile(r"^\+[1-9][0-9]{1,14}$")
_FLOW_FIELDS = ("clientSecret", "clientId", "displayName", "enabled", "issuer")

Answer = tuple[int, dict[str, Any]]


def error(status: int, code: str, message: str) -> Answer:
    return status, {"error": {"code": status, "message": message, "status": code}}


class Front:
    """The routing and the stand-ins, apart from HTTP (tests call `handle` directly)."""

    def __init__(self, store: Store, emulator_host: str) -> None:
        self.store = store
        self.emulator_host = emulator_host

    def handle(self, method: str, target: str, body: bytes, headers: dict[str, str]) -> Answer:
        """(status, JSON body) for one request."""
        path, _, query = target.partition("?")
        rest = path[len(_PREFIX) :] if path.startswith(_PREFIX) else None
        params = urllib.parse.parse_qs(query)
        mask = [p for m in params.get("updateMask", []) for p in m.split(",") if p]
        if rest is not None and (found := _OIDC.match(rest)):
            return self._oidc(method, found.groups(), body, mask)
        if rest is not None and (found := _TENANT.match(rest)) and method == "PATCH":
            return self._patch_tenant(target, found.groups(), body, mask, headers)
        status, answer = self.forward(method, target, body, headers)
        if rest is not None and status == 200 and (_TENANT.match(rest) or _TENANTS.match(rest)):
            if method == "DELETE" and (found := _TENANT.match(rest)):
                self.store.delete(PHONES_KIND, _tenant_path(*found.groups()))
            self._merge_phones(answer)
        return status, answer

    def forward(self, method: str, target: str, body: bytes, headers: dict[str, str]) -> Answer:
        """The emulator's answer to the same request."""
        request = urllib.request.Request(
            f"http://{self.emulator_host}{target}",
            data=body or None,
            method=method,
            headers={k: v for k, v in headers.items() if k in ("Authorization", "Content-Type")},
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status, json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as failed:
            return failed.code, json.loads(failed.read() or b"{}")

    # --- test phone numbers ---------------------------------------------------------------

    def _patch_tenant(
        self,
        target: str,
        ids: tuple[str, ...],
        body: bytes,
        mask: list[str],
        headers: dict[str, str],
    ) -> Answer:
        if "testPhoneNumbers" not in mask:
            status, answer = self.forward("PATCH", target, body, headers)
            self._merge_phones(answer)
            return status, answer
        update = json.loads(body or b"{}")
        phones = update.pop("testPhoneNumbers", None) or {}
        problem = _phone_problem(phones)
        if problem:
            return error(400, "INVALID_ARGUMENT", problem)
        if not self._tenant_exists(*ids):
            return error(404, "NOT_FOUND", f"tenant {ids[1]} not found")
        rest = [path for path in mask if path != "testPhoneNumbers"]
        if rest:
            query = urllib.parse.urlencode({"updateMask": ",".join(rest)}, safe=",")
            forwarded = f"{target.partition('?')[0]}?{query}"
            status, answer = self.forward("PATCH", forwarded, json.dumps(update).encode(), headers)
            if status != 200:
                return status, answer
        else:
            # No mask left: the emulator would read an empty mask as "replace everything".
            status, answer = self.forward("GET", target.partition("?")[0], b"", headers)
        key = _tenant_path(*ids)
        if self.store.get(PHONES_KIND, key) is None:
            self.store.insert(PHONES_KIND, key, {"testPhoneNumbers": phones}, parent=key)
        else:
            self.store.replace(PHONES_KIND, key, {"testPhoneNumbers": phones})
        self._merge_phones(answer)
        return status, answer

    def _merge_phones(self, answer: dict[str, Any]) -> None:
        for tenant in answer.get("tenants", [answer]):
            name = tenant.get("name") if isinstance(tenant, dict) else None
            stored = self.store.get(PHONES_KIND, name) if isinstance(name, str) else None
            if isinstance(tenant, dict) and "name" in tenant:
                tenant.pop("testPhoneNumbers", None)  # the emulator's, with its keys mangled
                if stored and stored.get("testPhoneNumbers"):
                    tenant["testPhoneNumbers"] = stored["testPhoneNumbers"]

    def _tenant_exists(self, project: str, tenant_id: str) -> bool:
        # Listing: the emulator's GET creates a tenant it does not know.
        token = ""
        while True:
            query = f"?pageSize=1000&pageToken={token}" if token else "?pageSize=1000"
            status, page = self.forward(
                "GET", f"{_PREFIX}projects/{project}/tenants{query}", b"", _ADMIN
            )
            if status != 200:
                return False
            if any(t.get("tenantId") == tenant_id for t in page.get("tenants", [])):
                return True
            token = page.get("nextPageToken", "")
            if not token:
                return False

    # --- OIDC configs --------------------------------------------------------------------------

    def _oidc(self, method: str, ids: tuple[str, ...], body: bytes, mask: list[str]) -> Answer:
        project, tenant_id, idp_id = ids
        key = f"{_tenant_path(project, tenant_id)}/oauthIdpConfigs/{idp_id}"
        stored = self.store.get(OIDC_KIND, key) if self._tenant_exists(project, tenant_id) else None
        if stored is None:
            return error(404, "NOT_FOUND", f"CONFIGURATION_NOT_FOUND: {key}")
        if method == "GET":
            return 200, _oidc_resource(key, stored)
        if method != "PATCH":
            return error(501, "NOT_IMPLEMENTED", f"{method} on an IdP config is not in the sandbox")
        if not mask:
            return 200, _oidc_resource(key, stored)  # "Empty update mask ... updating nothing"
        update = json.loads(body or b"{}")
        changed = dict(stored)
        for path in mask:
            head, _, leaf = path.partition(".")
            if head == "responseType" and leaf in ("code", "idToken"):
                flags = dict(changed.get("responseType") or {})
                flags[leaf] = bool((update.get("responseType") or {}).get(leaf))
                changed["responseType"] = flags
            elif path in _FLOW_FIELDS:
                changed[path] = update.get(path)
            else:
                return error(400, "INVALID_ARGUMENT", f"unknown update mask path {path!r}")
        flags = changed.get("responseType") or {}
        if flags.get("code") and flags.get("idToken"):
            return error(
                400,
                "INVALID_ARGUMENT",
                "INVALID_OAUTH_RESPONSETYPE: set either idToken or code to true, not both",
            )
        self.store.replace(OIDC_KIND, key, changed)
        return 200, _oidc_resource(key, changed)


_ADMIN = {"Authorization": "Bearer owner"}


def _tenant_path(project: str, tenant_id: str) -> str:
    return f"projects/{project}/tenants/{tenant_id}"


def _oidc_resource(key: str, stored: dict[str, Any]) -> dict[str, Any]:
    """The OAuthIdpConfig resource as the API answers it (fields it leaves out when empty)."""
    found: dict[str, Any] = {"name": key}
    for name in (*_FLOW_FIELDS, "responseType"):
        value = stored.get(name)
        if value not in (None, "", {}):
            found[name] = value
    return found


def _phone_problem(phones: Any) -> str | None:
    if not isinstance(phones, dict):
        return "testPhoneNumbers must be a map of phone number to code"
    if len(phones) > MAX_TEST_PHONE_NUMBERS:
        return f"INVALID_TEST_PHONE_NUMBER: at most {MAX_TEST_PHONE_NUMBERS} test phone numbers"
    for number, code in phones.items():
        if not _E164.match(str(number)):
            return f"INVALID_TEST_PHONE_NUMBER: {number!r} is not in E.164 format"
        if not (isinstance(code, str) and len(code) == 6 and code.isdigit()):
            return f"INVALID_TEST_PHONE_NUMBER: the code of {number} is not six digits"
    return None


def make_server(db_path: Path, emulator_host: str, port: int = 0) -> ThreadingHTTPServer:
    """A server on 127.0.0.1:`port` in front of the emulator at `emulator_host`."""
    front = Front(Store(db_path), emulator_host)

    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {k: v for k, v in self.headers.items()}
            status, answer = front.handle(self.command, self.path, body, headers)
            payload = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PATCH = do_DELETE = _serve

        def log_message(self, format: str, *args: Any) -> None:
            return  # paths hold tenant ids only, but the tests run many requests

    return ThreadingHTTPServer(("127.0.0.1", port), Handler)


# --- the process (python -m sandbox up) ------------------------------------------------------


@dataclass
class IdentityApi:
    """A running front process."""

    host: str
    """`127.0.0.1:PORT`: the value for FIREBASE_AUTH_EMULATOR_HOST."""
    pid: int
    db_path: Path
    emulator_host: str
    _process: subprocess.Popen[bytes] | None = field(default=None, repr=False, compare=False)


def start(db_path: Path, emulator_host: str, log_path: Path) -> IdentityApi:
    """Start a detached front for `db_path` and the emulator; wait until it answers."""
    port = free_port()
    command = [sys.executable, "-m", _MODULE, "--db", str(db_path)]
    command += ["--emulator", emulator_host, "--port", str(port)]
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            command,
            cwd=REPO_ROOT,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    api = IdentityApi(f"127.0.0.1:{port}", process.pid, db_path, emulator_host, process)
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while not is_ready(api.host):
        if process.poll() is not None or time.monotonic() > deadline:
            _stop_group(process.pid, process, 2.0)
            raise EmulatorError(f"the Identity Toolkit front did not start; see {log_path}")
        time.sleep(0.05)
    return api


def ensure_running(state_dir: Path, db_path: Path, emulator_host: str) -> IdentityApi:
    """Reuse the front recorded in `state_dir` if it serves `db_path` and the emulator,
    else start one (and stop the stale one)."""
    with _locked(state_dir):
        found = running(state_dir)
        if found is not None and (found.db_path, found.emulator_host) == (db_path, emulator_host):
            return found
        if found is not None:
            _stop_group(found.pid, None, 5.0)
        api = start(db_path, emulator_host, state_dir / LOG_NAME)
        api._process = None  # it outlives this process; later ones stop it by pid
        record = {"pid": api.pid, "host": api.host, "db": str(db_path), "emulator": emulator_host}
        (state_dir / RECORD_NAME).write_text(json.dumps(record) + "\n")
        return api


def running(state_dir: Path) -> IdentityApi | None:
    """The front recorded in `state_dir` if it is alive and answering."""
    record = service_record.read_record(state_dir, RECORD_NAME, _MODULE)
    if record is None:
        return None
    try:
        api = IdentityApi(
            record["host"], int(record["pid"]), Path(record["db"]), record["emulator"]
        )
    except (KeyError, TypeError, ValueError):
        return None
    return api if is_ready(api.host) else None


def stop_recorded(state_dir: Path) -> bool:
    """Stop the front recorded in `state_dir`, answering or not; False when none was running."""
    return service_record.stop_recorded(state_dir, RECORD_NAME, _MODULE)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=f"python -m {_MODULE}")
    parser.add_argument("--db", type=Path, required=True, help="the sandbox's SQLite file")
    parser.add_argument("--emulator", required=True, help="the Auth emulator's HOST:PORT")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    server = make_server(args.db, args.emulator, args.port)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
