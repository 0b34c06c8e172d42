"""Between the engine's property values and the plain Python the resource modules work on.

The resource modules see plain dicts, lists, str, bool, int/float and None. Two things of the
wire format survive as markers: `UNKNOWN` (a value the engine does not know yet, during
preview) and the set of top-level property names that held a secret, so outputs can be
marked secret again on the way back.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pulumi.provider.experimental.property_value import Computed, PropertyValue

UNKNOWN_WIRE_STRING = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
"""How the engine spells an unknown value in gRPC property maps."""


class _Unknown:
    """A value only known after an earlier resource is created (preview only)."""

    _instance: _Unknown | None = None

    def __new__(cls) -> _Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "<unknown>"


UNKNOWN = _Unknown()


def to_plain(value: PropertyValue) -> Any:
    """One property value as plain Python (secret-ness dropped, unknowns as UNKNOWN)."""
    raw = value.value
    if raw is None:
        return None
    if isinstance(raw, Computed) or raw == UNKNOWN_WIRE_STRING:
        return UNKNOWN
    if isinstance(raw, bool | str):
        return raw
    if isinstance(raw, float):
        return int(raw) if raw.is_integer() else raw
    if isinstance(raw, Mapping):
        return {key: to_plain(item) for key, item in raw.items()}
    if isinstance(raw, Sequence):
        return [to_plain(item) for item in raw if isinstance(item, PropertyValue)]
    raise TypeError(f"the sandbox does not handle {type(raw).__name__} property values")


def props_to_plain(props: Mapping[str, PropertyValue]) -> tuple[dict[str, Any], frozenset[str]]:
    """A property map as (plain dict, names of the top-level properties holding a secret)."""
    plain = {key: to_plain(value) for key, value in props.items()}
    secret = frozenset(key for key, value in props.items() if value.contains_secret())
    return plain, secret


def from_plain(value: Any, secret: bool = False) -> PropertyValue:
    """Plain Python back to a property value; `secret` marks it (and so all it holds)."""
    if value is UNKNOWN:
        wire = PropertyValue(UNKNOWN_WIRE_STRING)
    elif value is None or isinstance(value, bool | str | float):
        wire = PropertyValue(value)
    elif isinstance(value, int):
        wire = PropertyValue(float(value))
    elif isinstance(value, Mapping):
        wire = PropertyValue({key: from_plain(item) for key, item in value.items()})
    elif isinstance(value, list | tuple):
        wire = PropertyValue([from_plain(item) for item in value])
    else:
        raise TypeError(f"cannot send a {type(value).__name__} to the engine")
    return wire.with_secret(True) if secret else wire


def plain_to_props(
    values: Mapping[str, Any], secret: frozenset[str] | set[str]
) -> dict[str, PropertyValue]:
    """A plain dict back to a property map, marking the named top-level properties secret."""
    return {key: from_plain(value, secret=key in secret) for key, value in values.items()}


def contains_unknown(value: Any) -> bool:
    """Whether `value` is, or holds anywhere inside, an UNKNOWN."""
    if value is UNKNOWN:
        return True
    if isinstance(value, Mapping):
        return any(contains_unknown(item) for item in value.values())
    if isinstance(value, list | tuple):
        return any(contains_unknown(item) for item in value)
    return False


def is_blank(value: Any) -> bool:
    """Absent in Terraform's sense: None, False, "", or an empty/blank-only container."""
    if value is None or value is False or value == "":
        return True
    if isinstance(value, Mapping):
        return all(is_blank(item) for item in value.values())
    if isinstance(value, list | tuple):
        return len(value) == 0
    return False


def same(old: Any, new: Any) -> bool:
    """Equal as Terraform would judge: unknowns never equal, blanks equal one another."""
    if old is UNKNOWN or new is UNKNOWN:
        return False
    if is_blank(old) and is_blank(new):
        return True
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        return all(same(old.get(key), new.get(key)) for key in {*old, *new})
    if isinstance(old, list | tuple) and isinstance(new, list | tuple):
        return len(old) == len(new) and all(same(a, b) for a, b in zip(old, new, strict=True))
    return bool(old == new)
