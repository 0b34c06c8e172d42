"""The reconciler's record on each stack: one stack tag, written after every engine run.

Kept apart from the engine so the light paths (plan, observe) can read it without Pulumi.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

STATUS_TAG = "tenant-gitops"
"""Stack tag name (Pulumi allows letters, digits, `-_.:`)."""


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

    def encode(self) -> str:
        body = {
            "fingerprint": self.fingerprint,
            "result": self.result,
            "protected": self.protected,
            "shape": self.shape,
            "displayName": self.display_name,
        }
        return json.dumps(body, sort_keys=True, separators=(",", ":"))


def decode_record(value: str | None) -> StackRecord:
    """Parse a tag value; anything unreadable counts as 'never recorded' (and protected)."""
    try:
        body: Any = json.loads(value) if value else {}
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    fingerprint, result, shape = body.get("fingerprint"), body.get("result"), body.get("shape")
    display_name = body.get("displayName")
    return StackRecord(
        fingerprint=fingerprint if isinstance(fingerprint, str) else None,
        result=result if result in ("succeeded", "failed") else None,
        protected=body.get("protected") is not False,
        shape=shape if isinstance(shape, str) else None,
        display_name=display_name if isinstance(display_name, str) else None,
    )
