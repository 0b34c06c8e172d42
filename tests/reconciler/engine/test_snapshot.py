"""The state copy a preview runs on (reconciler/engine/backend/snapshot.py): every secret's
ciphertext replaced without decrypting it, the secrets provider the scratch stack's."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from reconciler.engine.backend.snapshot import (
    SECRET_SIG,
    SIG_KEY,
    placeholder_deployment,
    read_checkpoint,
)
from reconciler.engine.backend.state import BackendError, FileBucket


def secret(ciphertext: str) -> dict[str, str]:
    return {SIG_KEY: SECRET_SIG, "ciphertext": ciphertext}


CHECKPOINT = {
    "version": 3,
    "checkpoint": {
        "stack": "organization/p/acme",
        "latest": {
            "manifest": {"version": "3.260.0"},
            "secrets_providers": {
                "type": "cloud",
                "state": {"url": "gcpkms://k", "encryptedkey": "KEY"},
            },
            "resources": [
                {
                    "urn": "u1",
                    "inputs": {"clientSecret": secret("ORIGINAL-1")},
                    "outputs": {
                        "labels": secret("ORIGINAL-2"),
                        "deep": [{"x": secret("ORIGINAL-3")}],
                        "plain": "kept",
                    },
                },
            ],
            "pending_operations": [{"type": "updating"}],
        },
    },
}


def test_every_secret_is_replaced_and_nothing_else() -> None:
    copied = placeholder_deployment(CHECKPOINT, "v1:PLACEHOLDER", "v1:SALT")
    text = json.dumps(copied.deployment)
    assert copied.secrets == 3
    assert "ORIGINAL" not in text and "encryptedkey" not in text and "gcpkms" not in text
    assert text.count("v1:PLACEHOLDER") == 3
    assert copied.deployment["secrets_providers"] == {
        "type": "passphrase",
        "state": {"salt": "v1:SALT"},
    }
    assert copied.deployment["resources"][0]["outputs"]["plain"] == "kept"
    assert "pending_operations" not in copied.deployment
    # The checkpoint read from the backend is left as it was.
    assert "ORIGINAL-1" in json.dumps(CHECKPOINT)


def write(root: Path, name: str, data: bytes) -> None:
    path = root / ".pulumi" / "stacks" / "p" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def test_a_checkpoint_is_read_plain_or_gzipped(tmp_path: Path) -> None:
    write(tmp_path, "acme.json", json.dumps(CHECKPOINT).encode())
    write(tmp_path, "beta.json.gz", gzip.compress(json.dumps(CHECKPOINT).encode()))
    bucket = FileBucket(tmp_path)
    assert read_checkpoint(bucket, "p", "acme") == CHECKPOINT
    assert read_checkpoint(bucket, "p", "beta") == CHECKPOINT
    assert read_checkpoint(bucket, "p", "gone") is None


@pytest.mark.parametrize(("data", "says"), [(b"{", "not JSON"), (b'{"version": 1}', "version 3")])
def test_an_unreadable_checkpoint_is_a_backend_error(
    tmp_path: Path, data: bytes, says: str
) -> None:
    write(tmp_path, "acme.json", data)
    with pytest.raises(BackendError, match=says):
        read_checkpoint(FileBucket(tmp_path), "p", "acme")
