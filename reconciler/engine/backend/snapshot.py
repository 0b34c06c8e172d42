"""A stack's state, copied for a preview that must neither lock nor decrypt it.

A DIY backend's checkpoint (`.pulumi/stacks/<project>/<stack>.json`, optionally gzipped:
pulumi/pkg/backend/diy/stack.go) is `{"version": 3, "checkpoint": {"stack", "latest"}}`;
`latest` is the deployment: `manifest`, `secrets_providers`, `resources`. Every secret
value in it is an object `{"4dabf18193072939515e22adb298388d":
"1b47061264138c4ac30d75fd1eb44270", "ciphertext": "..."}` (pulumi/pulumi
sdk/go/common/resource/sig/sig.go: `Key`, `Secret`), encrypted with the stack's secrets
provider: the data key in `secrets_providers.state`, itself encrypted with the KMS key
(`gcpkms://`) or a passphrase.

`placeholder_deployment` makes the copy: every ciphertext replaced by one ciphertext of a
placeholder made under the scratch stack's own key, and `secrets_providers` replaced by the
scratch stack's passphrase provider. The original ciphertexts are never decrypted, so the
preview needs no KMS decrypt; the copy lives in a scratch backend, so the preview takes no
lock and writes nothing to the real one. Reading the checkpoint is one object read
(roles/storage.objectViewer on a `gs://` backend).

What a placeholder costs: a secret's value is unknown, so a change to one is not shown
(the preview already says client secrets are not compared), and a secret of another type
(a map of labels the provider marks secret) becomes a string in the copy; the program's
inputs for those are compared by the provider against the copy's outputs as usual.
"""

from __future__ import annotations

import copy
import gzip
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from reconciler.engine.backend.state import BackendError, Bucket
from reconciler.program.secrets import SNAPSHOT_PLACEHOLDER

SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
PLACEHOLDER = SNAPSHOT_PLACEHOLDER
"""The plaintext every secret of the copy decrypts to (a dynamic provider's diff knows it:
`reconciler/program/secrets.py`)."""


@dataclass(frozen=True)
class Copy:
    """The deployment to import into the scratch stack, and how many secrets it masks."""

    deployment: dict[str, Any]
    secrets: int


def read_checkpoint(bucket: Bucket, project: str, stack: str) -> dict[str, Any] | None:
    """The stack's checkpoint from the backend (None: no such stack)."""
    base = f".pulumi/stacks/{project}/{stack}"
    data = bucket.read(f"{base}.json")
    if data is None:
        zipped = bucket.read(f"{base}.json.gz")
        data = gzip.decompress(zipped) if zipped is not None else None
    if data is None:
        if bucket.read(f"{base}.json.zst") is not None:
            raise BackendError(f"{base}.json.zst: zstd checkpoints are not read here")
        return None
    try:
        checkpoint = json.loads(data)
    except ValueError as error:
        raise BackendError(f"{base}.json is not JSON: {error}") from error
    if not isinstance(checkpoint, dict) or checkpoint.get("version") != 3:
        raise BackendError(f"{base}.json: not a version 3 checkpoint")
    return checkpoint


def is_secret(value: Any) -> bool:
    return isinstance(value, dict) and value.get(SIG_KEY) == SECRET_SIG


def placeholder_deployment(checkpoint: Mapping[str, Any], ciphertext: str, salt: str) -> Copy:
    """The checkpoint's deployment with every secret's ciphertext replaced by `ciphertext`
    (the placeholder, encrypted for the scratch stack) and its secrets provider by the
    scratch stack's passphrase provider (`salt`: its `encryptionsalt`)."""
    latest = (checkpoint.get("checkpoint") or {}).get("latest") or {}
    deployment = copy.deepcopy(dict(latest))
    count = 0

    def mask(value: Any) -> Any:
        nonlocal count
        if is_secret(value):
            count += 1
            return {SIG_KEY: SECRET_SIG, "ciphertext": ciphertext}
        if isinstance(value, dict):
            return {key: mask(item) for key, item in value.items()}
        if isinstance(value, list):
            return [mask(item) for item in value]
        return value

    deployment = mask(deployment)
    deployment["secrets_providers"] = {"type": "passphrase", "state": {"salt": salt}}
    # An update in progress is not this copy's: the preview plans from the last checkpoint.
    deployment.pop("pending_operations", None)
    return Copy(deployment, count)
