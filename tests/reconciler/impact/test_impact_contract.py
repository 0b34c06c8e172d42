"""The impact's force-new rows are the round-trip contract's (sandbox/contract.py, issue 21):
the reconciler may not import the sandbox, so this test holds the two equal."""

from __future__ import annotations

import pytest

from reconciler.impact.contract import FORCE_NEW, NOT_SENT
from sandbox.contract import ROWS, force_new_fields

TYPES = sorted({row.resource for row in ROWS})


def top_level(path: str) -> str:
    return path.split(".")[0].split("[")[0]


@pytest.mark.parametrize("resource_type", TYPES)
def test_the_force_new_rows_are_the_round_trip_contracts(resource_type: str):
    theirs = frozenset(top_level(field) for field in force_new_fields(resource_type))
    assert FORCE_NEW[resource_type] - NOT_SENT == theirs


def test_every_type_of_the_contract_has_a_row_here():
    assert set(TYPES) <= set(FORCE_NEW)
