"""The Secret Manager metadata client against a local fake server: the one call it makes,
and every error answer turned into one line (never an exception other than LookupFailed)."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from reconciler.gcp.secret_manager import (
    PRODUCTION_ROOT,
    LookupFailed,
    SecretVersions,
)
from reconciler.settings import read_settings


class FakeSecretManager:
    """Answers GET .../versions/latest with whatever the test sets; records every request."""

    def __init__(self) -> None:
        self.status = 200
        self.body: bytes = b""
        self.requests: list[tuple[str, str, str | None]] = []

    def answer(self, status: int, document: object) -> None:
        self.status = status
        self.body = document if isinstance(document, bytes) else json.dumps(document).encode()


@pytest.fixture
def fake() -> Iterator[tuple[FakeSecretManager, str]]:
    state = FakeSecretManager()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.requests.append(("GET", self.path, self.headers.get("Authorization")))
            self.send_response(state.status)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(state.body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def google_error(code: int, status: str, message: str) -> dict[str, object]:
    return {"error": {"code": code, "message": message, "status": status}}


def test_latest_is_one_metadata_get_never_the_payload(fake):
    server, root = fake
    name = "projects/123456789012/secrets/tenant-acme-google/versions/8"
    server.answer(200, {"name": name, "state": "ENABLED", "createTime": "2026-01-01T00:00:00Z"})
    found = SecretVersions(root).latest("demo-x", "tenant-acme-google")
    assert (found.name, found.state, found.version) == (name, "ENABLED", "8")
    assert server.requests == [
        ("GET", "/v1/projects/demo-x/secrets/tenant-acme-google/versions/latest", None)
    ]
    assert not any(":access" in path for _, path, _ in server.requests)


@pytest.mark.parametrize(
    ("status", "document", "expected"),
    [
        (
            403,
            google_error(
                403, "PERMISSION_DENIED", "Permission 'secretmanager.versions.get' denied"
            ),
            "permission denied reading the versions of projects/demo-x/secrets/s (403 "
            "PERMISSION_DENIED: Permission 'secretmanager.versions.get' denied): grant this "
            "identity roles/secretmanager.viewer on it (docs/security.md)",
        ),
        (
            404,
            google_error(
                404, "NOT_FOUND", "Secret [projects/1/secrets/s] not found or has no versions."
            ),
            "projects/demo-x/secrets/s does not exist or has no version (404 NOT_FOUND: Secret "
            "[projects/1/secrets/s] not found or has no versions.): an apply would fail to read it",
        ),
        (401, google_error(401, "UNAUTHENTICATED", "bad token"), "refused our credentials"),
        (503, b"<html>busy</html>", "Secret Manager answered 503 for projects/demo-x/secrets/s"),
        (200, b"not json", "answered no SecretVersion"),
        (200, {"state": "ENABLED"}, "answered no SecretVersion"),
    ],
    ids=["denied", "not-found", "unauthenticated", "unavailable", "garbage", "no-name"],
)
def test_error_answers_are_one_actionable_line(fake, status, document, expected):
    server, root = fake
    server.answer(status, document)
    with pytest.raises(LookupFailed) as raised:
        SecretVersions(root).latest("demo-x", "s")
    assert expected in str(raised.value)
    assert "\n" not in str(raised.value)


def test_an_unreachable_endpoint_is_a_note_not_a_traceback():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed once the block ends: nothing listens
    with pytest.raises(LookupFailed, match=rf"could not reach http://127.0.0.1:{port}"):
        SecretVersions(f"http://127.0.0.1:{port}", timeout=2).latest("demo-x", "s")


def test_the_endpoint_is_one_setting_and_production_by_default():
    endpoint = "RECONCILER_SECRET_MANAGER_ENDPOINT"
    assert SecretVersions(read_settings({}).secret_manager_endpoint).root == PRODUCTION_ROOT
    local = SecretVersions(read_settings({endpoint: "http://127.0.0.1:9/"}).secret_manager_endpoint)
    assert (local.root, local.local) == ("http://127.0.0.1:9", True)
    assert SecretVersions(PRODUCTION_ROOT).local is False


def test_production_without_credentials_says_how_to_set_them_up(monkeypatch):
    import google.auth
    from google.auth import exceptions

    def no_credentials(**_kwargs):
        raise exceptions.DefaultCredentialsError("Your default credentials were not found.")

    monkeypatch.setattr(google.auth, "default", no_credentials)
    with pytest.raises(LookupFailed, match=r"no usable Google credentials .*`gcloud auth"):
        SecretVersions(PRODUCTION_ROOT).latest("demo-x", "s")
