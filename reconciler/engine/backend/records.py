"""The reconciler's record on each stack: one stack tag, written after every engine run.

Kept apart from the engine so the light paths (plan, observe) can read it without Pulumi.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from reconciler.names import SECRET_VERSIONS_OUTPUT

STATUS_TAG = "tenant-gitops"
"""Stack tag name (Pulumi allows letters, digits, `-_.:`)."""

MAX_TAG_VALUE = 256
"""Pulumi Cloud refuses longer tag values (DIY backends accept them): the record stays within."""


UNRECORDED = "unrecorded"
"""`secretVersions` when the versions did not fit in the tag (see `StackRecord.encode`)."""

PROGRAM_DIGITS = 12
"""Hex digits of the program version a record keeps (like a short git id, with margin)."""

_HEX = re.compile(r"^(?:[0-9a-f]{32}|[0-9a-f]{64})$")
_COMPACT = re.compile(r"^(?:[A-Za-z0-9_-]{22}|[A-Za-z0-9_-]{43})$")


@dataclass(frozen=True)
class StackRecord:
    """What the reconciler last did to a stack."""

    fingerprint: str | None
    """Fingerprint of the manifest and program last applied successfully."""
    result: str | None
    """`succeeded` or `failed`; None when the reconciler never recorded a run."""
    protected: bool
    """Whether deletion protection was on at the last successful apply."""
    shape: str | None = None
    """Shape key (see fingerprint.shape_key) of the last successful apply."""
    display_name: str | None = None
    """The identity tenant's display name at the last successful apply (renames, and the
    rule that no two tenants share one, compare against deployed tenants with it)."""
    secret_versions: tuple[tuple[str, str], ...] = ()
    """(IdP id, version id) of each client secret the last successful apply read from Secret
    Manager at `latest`, sorted: the concrete version, never the value (see
    reconciler/reconcile/rotation.py). Empty when none was, or when they were not recorded."""
    versions_unrecorded: bool = False
    """The apply read secrets at `latest` but their versions did not fit in the tag."""
    program: str | None = None
    """The program version (first PROGRAM_DIGITS hex digits, see
    reconciler/program/version.py) of the last successful apply; None before it was
    recorded. A rollout (reconciler/reconcile/rollout.py) tells who is on the new one."""

    def encode(self) -> str:
        """The tag value, at most MAX_TAG_VALUE characters.

        Secret versions that would not fit are replaced by a marker, so plan can say it
        cannot tell instead of believing there is nothing to check.
        """
        # Hex digests are kept in base64url (64 hex -> 43 characters, 32 -> 22): the room
        # goes to the program version and the secret versions.
        body: dict[str, Any] = {
            "fingerprint": _compact(self.fingerprint),
            "result": self.result,
            "protected": self.protected,
            "shape": _compact(self.shape),
            "displayName": self.display_name,
        }
        if self.program is not None:
            body["program"] = self.program[:PROGRAM_DIGITS]
        if self.versions_unrecorded:
            body["secretVersions"] = UNRECORDED
        elif self.secret_versions:
            # `idp=version,...`: the compact form leaves room for two or three IdPs.
            body["secretVersions"] = ",".join(f"{idp}={v}" for idp, v in self.secret_versions)
        text = json.dumps(body, sort_keys=True, separators=(",", ":"))
        if len(text) > MAX_TAG_VALUE and self.secret_versions:
            body["secretVersions"] = UNRECORDED
            text = json.dumps(body, sort_keys=True, separators=(",", ":"))
        return text


def decode_record(value: str | None) -> StackRecord:
    """Parse a tag value; anything unreadable counts as 'never recorded' (and protected)."""
    try:
        body: Any = json.loads(value) if value else {}
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    fingerprint, result, shape = body.get("fingerprint"), body.get("result"), body.get("shape")
    display_name, program = body.get("displayName"), body.get("program")
    versions = body.get("secretVersions")
    return StackRecord(
        fingerprint=_expanded(fingerprint) if isinstance(fingerprint, str) else None,
        result=result if result in ("succeeded", "failed") else None,
        protected=body.get("protected") is not False,
        shape=_expanded(shape) if isinstance(shape, str) else None,
        display_name=display_name if isinstance(display_name, str) else None,
        secret_versions=_versions(versions),
        versions_unrecorded=versions == UNRECORDED,
        program=program if isinstance(program, str) and program.isalnum() else None,
    )


def _compact(digest: str | None) -> str | None:
    """A hex digest in base64url (no padding); anything else as it is."""
    if digest is None or not _HEX.match(digest):
        return digest
    return base64.urlsafe_b64encode(bytes.fromhex(digest)).decode("ascii").rstrip("=")


def _expanded(text: str) -> str:
    """`_compact`'s inverse: a base64url digest back to hex; hex (older records) as it is."""
    if not _COMPACT.match(text):
        return text
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).hex()
    except (binascii.Error, ValueError):
        return text


def _versions(value: Any) -> tuple[tuple[str, str], ...]:
    """Only well-formed `idp=version` pairs; anything else is as if never recorded."""
    if not isinstance(value, str) or value == UNRECORDED:
        return ()
    pairs = [item.partition("=") for item in value.split(",")]
    return tuple(sorted((idp, v) for idp, sep, v in pairs if idp and sep and v.isdigit()))


def versions_from_outputs(outputs: Mapping[str, Any]) -> tuple[tuple[str, str], ...] | None:
    """The `secretVersions` stack output (reconciler/program/tenant.py) as record pairs.

    () when the program read nothing at `latest`; None when the output is not readable
    (e.g. masked), so the record says the versions are unknown rather than none.
    """
    value = outputs.get(SECRET_VERSIONS_OUTPUT, {})
    if not isinstance(value, Mapping):
        return None
    pairs = tuple(sorted((str(idp), str(v)) for idp, v in value.items()))
    return pairs if all(v.isdigit() and "=" not in i and "," not in i for i, v in pairs) else None
