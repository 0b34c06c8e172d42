"""Every input the program sends has its row in the round-trip contract (sandbox/contract.py):
what the real provider (or, for our own dynamic resources, the Identity Toolkit API) validates,
sends, reads back and replaces for it. A new input fails here until someone reads upstream and
writes its row; our dynamic resources' force-new column is checked against their own diff."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from program_harness import Harness, Registration
from pulumi.dynamic import DiffResult
from pulumi.runtime import rpc

from reconciler.program.oidc_flow import flow_diff
from reconciler.program.tenant_settings import settings_diff
from sandbox import contract

LEAVES = {"labels"}
"""Maps whose keys are data, not fields."""
MANIFESTS = ("every-field", "tenant-one", "tenant-two")
DIFFS = {contract.SIGN_IN: settings_diff, contract.OIDC_FLOW: flow_diff}
"""Each dynamic resource's diff, as its provider runs it."""


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


def _covers(field: str, path: str) -> bool:
    """A row covers its path and, for a field sent whole (an update-mask path of our dynamic
    resources: `smsRegionConfig`, `mfaConfig.providerConfigs`), everything under it."""
    return path == field or path.startswith((f"{field}.", f"{field}["))


def _inputs(registration: Registration) -> dict[str, Any]:
    return {k: v for k, v in registration.inputs.items() if not k.startswith("__")}


def test_every_input_the_program_sends_has_a_contract_row(harness: Harness):
    sent: set[tuple[str, str]] = set()
    for name in MANIFESTS:
        for registration in harness.run(harness.tenant(name)).registrations:
            sent |= {(registration.type, path) for path in _paths(_inputs(registration))}
    rows = [(row.resource, row.field) for row in contract.ROWS]
    uncovered = sorted(
        (kind, path)
        for kind, path in sent
        if not any(r == kind and _covers(field, path) for r, field in rows)
    )
    assert uncovered == []
    # And no row describes an input the program never sends.
    unsent = [
        (r, field) for r, field in rows if not any(k == r and _covers(field, p) for k, p in sent)
    ]
    assert unsent == []


def _plain(value: Any) -> Any:
    """Secrets unwrapped, as the dynamic provider receives its inputs."""
    if rpc.is_rpc_secret(value):
        return _plain(value["value"])
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def _changed(inputs: dict[str, Any], field: str) -> dict[str, Any]:
    news = copy.deepcopy(inputs)
    *parents, leaf = field.split(".")
    where = news
    for key in parents:
        where = where[key]
    assert leaf in where, f"{field} is not among the inputs"
    where[leaf] = "something else"
    return news


@pytest.mark.parametrize(
    "row",
    [row for row in contract.ROWS if row.resource in contract.DYNAMIC],
    ids=lambda r: f"{contract.short_type(r.resource)}:{r.field}",
)
def test_force_new_of_our_resources_is_their_diffs_replacement(harness: Harness, row: contract.Row):
    """A change of any setting is PATCHed in place; only another object (project, tenant,
    config) replaces. A field the API is sent is a change; one never sent may be none."""
    (registration, *_) = harness.run(harness.tenant("every-field")).of_type(row.resource)
    olds = _plain(_inputs(registration))
    diff: DiffResult = DIFFS[row.resource](olds, _changed(olds, row.field))
    assert bool(diff.replaces) is row.force_new, diff.replaces
    if not row.empty_sent.startswith("never"):
        assert diff.changes, f"a change of {row.field} is no change"
