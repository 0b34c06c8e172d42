"""Every input the program sends has its row in the round-trip contract (sandbox/contract.py):
what the real provider validates, sends, reads back and replaces for it. A new input fails
here until someone reads upstream and writes its row."""

from __future__ import annotations

from typing import Any

from program_harness import Harness
from pulumi.runtime import rpc

from sandbox import contract

LEAVES = {"labels"}
"""Maps whose keys are data, not fields."""
OURS = "pulumi-python:dynamic"
"""Our own dynamic resources (the MFA settings) round-trip through our code, not pulumi-gcp's."""


def _paths(value: Any, prefix: str = "") -> set[str]:
    if rpc.is_rpc_secret(value):
        return {prefix}
    if isinstance(value, dict) and prefix.rsplit(".", 1)[-1] not in LEAVES:
        return {
            p for key, item in value.items() for p in _paths(item, f"{prefix}.{key}".lstrip("."))
        }
    if isinstance(value, list) and value and all(isinstance(item, dict) for item in value):
        return {p for item in value for p in _paths(item, f"{prefix}[]")}
    return {prefix}


def test_every_input_the_program_sends_has_a_contract_row(harness: Harness):
    sent: set[tuple[str, str]] = set()
    for name in ("every-field", "tenant-one", "tenant-two"):
        run = harness.run(harness.tenant(name))
        for registration in run.registrations:
            if registration.type.startswith(OURS):
                continue
            inputs = {k: v for k, v in registration.inputs.items() if not k.startswith("__")}
            sent |= {(registration.type, path) for path in _paths(inputs)}
    rows = {(row.resource, row.field) for row in contract.ROWS}
    assert sorted(sent - rows) == []
    # And no row describes an input the program never sends.
    assert sorted(rows - sent) == []
