"""A local HTTP stand-in for the Google APIs the doctor reads, answering as they do.

Every service lives under `/<service>/` (what `reconciler.gcp.rest.roots` makes of
RECONCILER_GOOGLE_APIS_ENDPOINT). What it holds is a `World`: JSON bodies by resource path,
the enabled services per project. The behaviours the doctor's correctness rests on, each
from the API reference:

- Service Usage `services.list` pages (`pageSize`, `nextPageToken`), here two per page so
  paging is exercised (https://cloud.google.com/service-usage/docs/reference/rest/v1/services/list);
- `getIamPolicy` below version 3 hides conditions: a conditional binding comes back with
  its role suffixed `_withcond_<hash>` and no condition ("Policy versions",
  https://cloud.google.com/iam/docs/policies#versions), so a reader that forgets to ask
  for version 3 cannot see them;
- Identity Toolkit's config of a project without Identity Platform: 404 `CONFIGURATION_NOT_FOUND`;
- a refused read: 403 with `{"error": {"code": 403, "status": "PERMISSION_DENIED"}}`;
- a call whose quota project has the API off (or user credentials with no quota project
  for a client-based API such as Identity Toolkit): 403 PERMISSION_DENIED whose
  `details` hold a `google.rpc.ErrorInfo` with `reason: SERVICE_DISABLED` and the
  `consumer` project (the error quoted in golang/oauth2#702 and pulumi/pulumi-gcp#2169);
- a missing resource: 404 `NOT_FOUND`;
- Cloud Storage `objects.list` (`GET storage/v1/b/{bucket}/o?prefix=`) answers `items[]`
  with each object's `name` (https://cloud.google.com/storage/docs/json_api/v1/objects/list;
  whether `items` is left out or empty when nothing matches is unverified: the reader
  takes both).
"""

from __future__ import annotations

import copy
import hashlib
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

PAGE = 2


@dataclass
class World:
    """What the project holds: `resources[path]` is the JSON a GET of `path` answers
    (`path` without the service prefix); policies are stored under `<resource>:getIamPolicy`
    (storage: `<bucket>/iam`)."""

    resources: dict[str, Any] = field(default_factory=dict)
    services: dict[str, set[str]] = field(default_factory=dict)
    denied: set[str] = field(default_factory=set)
    """Paths answered 403."""
    disabled: dict[str, str] = field(default_factory=dict)
    """Paths answered 403 SERVICE_DISABLED, with the consumer (quota) project named."""
    objects: dict[str, list[str]] = field(default_factory=dict)
    """Object names by bucket, for `objects.list` with a `prefix`."""


def _error(code: int, status: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "status": status, "message": message}}


def _service_disabled(service: str, consumer: str) -> dict[str, Any]:
    body = _error(
        403,
        "PERMISSION_DENIED",
        f"{service}.googleapis.com API has not been used in project {consumer} before or "
        "it is disabled.",
    )
    body["error"]["details"] = [
        {
            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
            "reason": "SERVICE_DISABLED",
            "domain": "googleapis.com",
            "metadata": {
                "consumer": f"projects/{consumer}",
                "service": f"{service}.googleapis.com",
            },
        }
    ]
    return body


def _hidden_conditions(policy: dict[str, Any]) -> dict[str, Any]:
    shown = copy.deepcopy(policy)
    for binding in shown.get("bindings", []):
        condition = binding.pop("condition", None)
        if condition is not None:
            digest = hashlib.sha256(json.dumps(condition).encode()).hexdigest()[:16]
            binding["role"] = f"{binding['role']}_withcond_{digest}"
    shown["version"] = 1
    return shown


class GoogleStandIn:
    def __init__(self, world: World) -> None:
        self.world = world
        self.requests: list[tuple[str, str]] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> GoogleStandIn:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def answer(
        self, method: str, path: str, query: dict[str, list[str]], body: Any
    ) -> tuple[int, Any]:
        self.requests.append((method, path))
        service, _, rest = path.lstrip("/").partition("/")
        if rest in self.world.denied:
            return 403, _error(403, "PERMISSION_DENIED", f"Permission denied on {rest}")
        if rest in self.world.disabled:
            return 403, _service_disabled(service, self.world.disabled[rest])
        if service == "serviceusage" and rest.endswith("/services") and method == "GET":
            return self._services(rest, query)
        if service == "storage" and rest.endswith("/o") and method == "GET":
            return self._objects(rest, query)
        if rest.endswith(":getIamPolicy") or (service == "storage" and rest.endswith("/iam")):
            return self._policy(rest, query, body)
        if method != "GET":
            return 404, _error(404, "NOT_FOUND", rest)
        if rest in self.world.resources:
            return 200, self.world.resources[rest]
        if service == "identitytoolkit" and rest.endswith("/config"):
            return 404, _error(404, "NOT_FOUND", "CONFIGURATION_NOT_FOUND")
        return 404, _error(404, "NOT_FOUND", f"{rest} not found")

    def _services(self, path: str, query: dict[str, list[str]]) -> tuple[int, Any]:
        project = path.split("/")[2]
        if query.get("filter") != ["state:ENABLED"]:
            return 400, _error(400, "INVALID_ARGUMENT", "this stand-in serves state:ENABLED")
        names = sorted(self.world.services.get(project, set()))
        start = int(query.get("pageToken", ["0"])[0])
        page = names[start : start + PAGE]
        body: dict[str, Any] = {
            "services": [
                {"name": f"projects/1/services/{n}", "config": {"name": n}, "state": "ENABLED"}
                for n in page
            ]
        }
        if start + PAGE < len(names):
            body["nextPageToken"] = str(start + PAGE)
        return 200, body

    def _objects(self, path: str, query: dict[str, list[str]]) -> tuple[int, Any]:
        bucket = path.removesuffix("/o")
        if bucket not in self.world.resources:
            return 404, _error(404, "NOT_FOUND", f"{bucket} not found")
        prefix = query.get("prefix", [""])[0]
        names = [
            n for n in self.world.objects.get(bucket.rsplit("/", 1)[-1], []) if n.startswith(prefix)
        ]
        return 200, {"kind": "storage#objects", "items": [{"name": n} for n in names]}

    def _policy(self, path: str, query: dict[str, list[str]], body: Any) -> tuple[int, Any]:
        resource = path.removesuffix(":getIamPolicy").removesuffix("/iam")
        if resource not in self.world.resources:
            return 404, _error(404, "NOT_FOUND", f"{resource} not found")
        policy = self.world.resources.get(path, {"version": 1, "bindings": []})
        version = (
            (body or {}).get("options", {}).get("requestedPolicyVersion")
            or query.get("optionsRequestedPolicyVersion", [None])[0]
            or query.get("options.requestedPolicyVersion", [None])[0]
        )
        if str(version) != "3":
            return 200, _hidden_conditions(policy)
        return 200, {**copy.deepcopy(policy), "version": 3}


def _handler(standin: GoogleStandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            url = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            status, payload = standin.answer(
                self.command, url.path, parse_qs(url.query), json.loads(raw) if raw else None
            )
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = _serve

        def log_message(self, *args: Any) -> None:
            pass

    return Handler
