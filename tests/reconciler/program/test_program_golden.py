"""Golden resource graphs of the example tenants, compared exactly.

`golden/<tenant>.json` beside this file holds what the program declares for `tenants/<tenant>.yaml`
under the test mocks: every resource's type, logical name, parent, dependencies, protect
flag and inputs (sorted, secrets as "[secret]"), plus the stack outputs. A difference is
a change to deployed infrastructure: review it like one.

To accept an intended change, regenerate the files and review the diff in git:

    UPDATE_GOLDEN=1 .venv/bin/pytest tests/reconciler/program/test_program_golden.py
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from program_harness import Harness

GOLDEN_DIR = Path(__file__).resolve().parent / "golden"
GOLDEN_TENANTS = ["tenant-one", "tenant-two"]


def render(graph: dict) -> str:
    """The golden file's text: stable key order, one value per line, trailing newline."""
    return json.dumps(graph, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


@pytest.mark.parametrize("tenant", GOLDEN_TENANTS)
def test_resource_graph_matches_golden_file(harness: Harness, tenant: str):
    actual = render(harness.run(harness.tenant(tenant)).graph())
    path = GOLDEN_DIR / f"{tenant}.json"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
    assert path.exists(), f"{path} is missing: run with UPDATE_GOLDEN=1 to create it"
    # Compare parsed documents first for a readable diff, then the text for exactness.
    assert json.loads(actual) == json.loads(path.read_text(encoding="utf-8"))
    assert actual == path.read_text(encoding="utf-8")


def test_golden_files_hold_no_secret_value(harness: Harness):
    text = "".join((GOLDEN_DIR / f"{t}.json").read_text(encoding="utf-8") for t in GOLDEN_TENANTS)
    for value in harness.environment.values():
        assert value not in text
    assert '"clientSecret": "[secret]"' in text
