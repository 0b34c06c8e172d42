"""JSON Schema keywords as editors and the spec mean them, for the reference validator.

The schema gate (is a document valid?) is jsonschema-rs (`schema.py`); an invalid document
goes to `jsonschema`, extended here so it agrees with the gate and with editors: `pattern`
with ECMAScript's `$`, and `uniqueItems` in linear time. `bench/bench_gate.py` measured
jsonschema-rs against the hand-written gate that used to live here (docs/performance.md).
"""

from __future__ import annotations

import functools
import re
from typing import Any


@functools.lru_cache(maxsize=256)
def ecma_regex(pattern: str) -> re.Pattern[str]:
    """A schema pattern compiled to mean what it means in editors (ECMAScript).

    The difference that matters: Python's `$` also matches before a final newline, so
    `^[a-z]+$` would accept "abc\\n" (a tenant name with a newline). A final `$` becomes
    `\\Z`, the end of the text, as in ECMAScript.
    """
    if pattern.endswith("$") and not pattern.endswith("\\$"):
        pattern = pattern[:-1] + r"\Z"
    return re.compile(pattern)


def json_equal(left: Any, right: Any) -> bool:
    """Equality as JSON Schema defines it: `true` is not `1`, `1` is `1.0`."""
    if isinstance(left, bool) or isinstance(right, bool):
        return isinstance(left, bool) and isinstance(right, bool) and left is right
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(map(json_equal, left, right))
    if isinstance(left, dict) and isinstance(right, dict):
        return left.keys() == right.keys() and all(json_equal(left[k], right[k]) for k in left)
    if isinstance(left, (list, dict)) or isinstance(right, (list, dict)):
        return False
    same_kind = type(left) is type(right) or (_is_number(left) and _is_number(right))
    return same_kind and left == right


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def repeated_items(values: list[Any]) -> list[int]:
    """Indexes of the items equal (as JSON) to an earlier one; linear, not quadratic."""
    seen: set[Any] = set()
    repeated = []
    for index, value in enumerate(values):
        key = json_key(value)
        if key in seen:
            repeated.append(index)
        seen.add(key)
    return repeated


def json_key(value: Any) -> Any:
    """A hashable key equal for values JSON Schema calls equal (`1` and `1.0`, not `true`)."""
    if isinstance(value, bool) or value is None:
        return ("literal", value)
    if isinstance(value, (int, float)):
        return ("number", value)  # hash(1) == hash(1.0) and 1 == 1.0, as JSON Schema wants
    if isinstance(value, str):
        return ("string", value)
    if isinstance(value, list):
        return ("array", tuple(json_key(item) for item in value))
    if isinstance(value, dict):
        return ("object", frozenset((key, json_key(item)) for key, item in value.items()))
    return ("other", id(value))
