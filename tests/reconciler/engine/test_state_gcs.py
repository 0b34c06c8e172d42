"""The bulk reader on a real `gs://` backend: fake-gcs-server on a loopback port (started
here, never assumed), reached at the address STORAGE_EMULATOR_HOST gives the Pulumi CLI.
The end-to-end tests (tests/e2e/test_gcs_backend.py) read a backend the engine wrote."""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from reconciler.engine.backend import gcs
from reconciler.engine.backend.records import STATUS_TAG, StackRecord
from reconciler.engine.backend.state import BackendAccessError, open_bucket, read_deployed
from reconciler.settings import read_settings
from tests import gcs_emulator


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[gcs_emulator.GcsEmulator]:
    try:
        running = gcs_emulator.start(tmp_path_factory.mktemp("gcs") / "objects")
    except gcs_emulator.GcsEmulatorError as error:
        pytest.fail(str(error), pytrace=False)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def bucket(emulator: gcs_emulator.GcsEmulator, request: pytest.FixtureRequest) -> str:
    name = f"state-{abs(hash(request.node.name)) % 10**8}"
    emulator.create_bucket(name)
    return name


@pytest.fixture
def emulated(
    emulator: gcs_emulator.GcsEmulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> gcs_emulator.GcsEmulator:
    for key, value in emulator.env(tmp_path).items():
        monkeypatch.setenv(key, value)
    return emulator


def put(emulator: gcs_emulator.GcsEmulator, bucket: str, name: str, body: bytes) -> None:
    query = urllib.parse.urlencode({"uploadType": "media", "name": name})
    request = urllib.request.Request(
        f"http://{emulator.host}/upload/storage/v1/b/{bucket}/o?{query}", data=body, method="POST"
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        response.read()


def tags(record: StackRecord) -> bytes:
    return json.dumps({"version": 1, "tags": {STATUS_TAG: record.encode()}}).encode()


def test_gs_backend_is_read_under_its_prefix(emulated, bucket: str):
    for name, body in {
        "state/.pulumi/meta.yaml": b"version: 1\n",
        "state/.pulumi/stacks/p/alpha.json": b"{}",
        "state/.pulumi/stacks/p/alpha.pulumi-tags": tags(StackRecord("f", "succeeded", True)),
        "state/.pulumi/stacks/p/beta.json": b"{}",
        "state/.pulumi/locks/organization/p/alpha/1.json": json.dumps(
            {"pid": 7, "username": "ci", "hostname": "runner"}
        ).encode(),
        "other/.pulumi/stacks/p/gamma.json": b"{}",
    }.items():
        put(emulated, bucket, name, body)
    deployed = read_deployed(open_bucket(f"gs://{bucket}/state", emulated.url), "p")
    assert list(deployed) == ["alpha", "beta"]
    assert deployed["alpha"].record == StackRecord("f", "succeeded", True)
    assert deployed["alpha"].locked and deployed["alpha"].lock is not None
    assert deployed["alpha"].lock.username == "ci"
    assert not deployed["beta"].locked


def test_when_each_record_was_written_comes_with_the_listing(emulated, bucket: str):
    """The rollout's shards meet on these times (reconcile/barrier.py): the objects list
    asks for `updated` and nothing is read for it."""
    import time

    before = time.time() - 5
    put(emulated, bucket, ".pulumi/meta.yaml", b"version: 1\n")
    put(emulated, bucket, ".pulumi/stacks/p/alpha.json", b"{}")
    put(
        emulated,
        bucket,
        ".pulumi/stacks/p/alpha.pulumi-tags",
        tags(StackRecord("f", "succeeded", True)),
    )
    put(emulated, bucket, ".pulumi/stacks/p/beta.json", b"{}")
    state = open_bucket(f"gs://{bucket}", emulated.url)
    asked: list[str] = []
    get = state._get  # type: ignore[attr-defined]
    state._get = lambda url: asked.append(url) or get(url)  # type: ignore[attr-defined]
    deployed = read_deployed(state, "p")
    # Cloud Storage sends only the fields asked for (fake-gcs-server sends all of them).
    listings = [urllib.parse.parse_qs(urllib.parse.urlsplit(u).query) for u in asked if "/o?" in u]
    assert listings and all(q["fields"] == ["items(name,updated),nextPageToken"] for q in listings)
    written = deployed["alpha"].recorded_at
    assert written is not None and before < written < time.time() + 5
    assert deployed["beta"].recorded_at is None  # never recorded


def test_many_stacks_are_read_concurrently_and_all_of_them(emulated, bucket: str):
    count = gcs.GCS_READERS * 2 + 3
    put(emulated, bucket, ".pulumi/meta.yaml", b"version: 1\n")
    for index in range(count):
        put(emulated, bucket, f".pulumi/stacks/p/s{index:03d}.json", b"{}")
        put(emulated, bucket, f".pulumi/stacks/p/s{index:03d}.pulumi-tags",
            tags(StackRecord(f"f{index}", "succeeded", False)))  # fmt: skip
    deployed = read_deployed(open_bucket(f"gs://{bucket}", emulated.url), "p")
    assert len(deployed) == count
    assert {d.record.fingerprint for d in deployed.values()} == {f"f{i}" for i in range(count)}


def test_a_missing_bucket_is_a_setup_error_naming_the_url(emulated):
    with pytest.raises(BackendAccessError, match="gs://no-such-state"):
        read_deployed(open_bucket("gs://no-such-state/x", emulated.url), "p")


def test_the_emulator_address_takes_the_clis_form_or_a_url():
    def url(environ: dict[str, str]) -> str | None:
        return read_settings(environ).storage_emulator

    assert url({"STORAGE_EMULATOR_HOST": "127.0.0.1:4443"}) == "http://127.0.0.1:4443"
    assert url({"STORAGE_EMULATOR_HOST": "https://gcs.local:1"}) == "https://gcs.local:1"
    assert url({"STORAGE_EMULATOR_HOST": " "}) is None
    assert url({}) is None
