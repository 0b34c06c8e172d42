"""A local Cloud Storage for the `gs://` backend: fake-gcs-server on a loopback port.

The tests and the benchmark start their own (never assume one running); `scripts/bootstrap`
builds the pinned version into `.tools/bin`. Both clients the reconciler drives find it
through `STORAGE_EMULATOR_HOST`: the Pulumi CLI (gocloud.dev's gcsblob, which wants
`host:port`) and the bulk reader (reconciler/engine/backend/gcs.py, which adds the
scheme). The CLI still looks for Application Default Credentials first, so a dummy
`authorized_user` file stands in for them; the emulator checks none.

`-public-host` must be the address clients use: the Go client downloads objects through the
XML path (`/BUCKET/OBJECT`), which fake-gcs-server routes only for its public host.
"""

from __future__ import annotations

import json
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from tests.repo import REPO

BINARY = REPO / ".tools" / "bin" / "fake-gcs-server"
VERSION = "v1.56.1"
"""Pinned in scripts/bootstrap (FAKE_GCS_SERVER_VERSION)."""


class GcsEmulatorError(Exception):
    """fake-gcs-server is missing or did not start."""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class GcsEmulator:
    """A running fake-gcs-server; `stop()` ends it (the process is ours alone)."""

    process: subprocess.Popen[bytes]
    host: str
    """`127.0.0.1:PORT`, as STORAGE_EMULATOR_HOST takes it."""
    root: Path

    @property
    def url(self) -> str:
        """The JSON API's root, as the bulk reader takes it (`Settings.storage_emulator`)."""
        return f"http://{self.host}"

    def create_bucket(self, name: str) -> None:
        request = urllib.request.Request(
            f"http://{self.host}/storage/v1/b?project=demo-e2e",
            data=json.dumps({"name": name}).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            response.read()

    def object_names(self, bucket: str, prefix: str = "") -> list[str]:
        """Every object under `prefix` (paged), straight from the JSON API."""
        names: list[str] = []
        token = ""
        while True:
            query = urllib.parse.urlencode({"prefix": prefix, "pageToken": token})
            url = f"http://{self.host}/storage/v1/b/{bucket}/o?{query}"
            with urllib.request.urlopen(url, timeout=10) as response:
                page = json.loads(response.read())
            names += [item["name"] for item in page.get("items", [])]
            token = page.get("nextPageToken", "")
            if not token:
                return names

    def env(self, credentials_dir: Path) -> dict[str, str]:
        """What a process needs to use this emulator as production uses GCS."""
        credentials = credentials_dir / "application-default-credentials.json"
        credentials.write_text(
            json.dumps(
                {
                    "type": "authorized_user",
                    "client_id": "emulator",
                    "client_secret": "emulator",
                    "refresh_token": "emulator",
                }
            )
        )
        return {
            "STORAGE_EMULATOR_HOST": self.host,
            "GOOGLE_APPLICATION_CREDENTIALS": str(credentials),
        }

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def start(root: Path, public_host: str | None = None, port: int | None = None) -> GcsEmulator:
    """Start fake-gcs-server on a loopback port, storing objects under `root`.

    `public_host` is the `host:port` clients will use (default: the emulator's own); a
    proxy in front of it passes its own address.
    """
    if not BINARY.exists():
        raise GcsEmulatorError(
            f"fake-gcs-server is missing at {BINARY}: run `scripts/bootstrap` (it builds "
            f"github.com/fsouza/fake-gcs-server@{VERSION} from its Go module)"
        )
    port = port or free_port()
    host = f"127.0.0.1:{port}"
    root.mkdir(parents=True, exist_ok=True)
    log = (root.parent / f"{root.name}.log").open("wb")
    process = subprocess.Popen(
        [
            str(BINARY),
            "-scheme",
            "http",
            "-backend",
            "filesystem",
            "-filesystem-root",
            str(root),
            "-host",
            "127.0.0.1",
            "-port",
            str(port),
            "-public-host",
            public_host or host,
            "-log-level",
            "warn",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    emulator = GcsEmulator(process, host, root)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise GcsEmulatorError(f"fake-gcs-server exited ({process.returncode}); see {log.name}")
        try:
            with urllib.request.urlopen(f"http://{host}/storage/v1/b", timeout=2):
                return emulator
        except (urllib.error.URLError, ConnectionError, OSError):
            time.sleep(0.1)
    emulator.stop()
    raise GcsEmulatorError(f"fake-gcs-server did not answer on {host} within 30 s")
