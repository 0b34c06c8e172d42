"""A fast yes/no check compiled from a JSON Schema, used as a gate before `jsonschema`.

`jsonschema` walks the schema anew for every document and costs about half a millisecond
per manifest; thousands of manifests need better. `compile_gate` turns the schema once into
one closure per subschema that only answers "valid?": it looks at the value's type once,
then runs only the keywords that apply to that type. Valid documents (nearly all of them)
stop there; an invalid one goes to `jsonschema`, which remains the reference and says what
is wrong (`schema.py`).

Only the keywords our schemas use are compiled, with JSON Schema 2020-12 semantics (bools
are not numbers, 1 == 1.0, `pattern` searches, `format` is an annotation). Any other
keyword raises `Unsupported`, and the caller then uses `jsonschema` for every document:
a gate that does not understand a schema must never say "valid".
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

Check = Callable[[Any], bool]

ANNOTATIONS = frozenset(
    {
        "$schema",
        "$id",
        "$defs",
        "$comment",
        "title",
        "description",
        "default",
        "examples",
        "format",
        "deprecated",
        "readOnly",
        "writeOnly",
        "patternErrorMessage",
        "x-errors",
        "then",
        "else",  # read with `if`
    }
)
_OBJECT_KEYWORDS = frozenset(
    {
        "properties",
        "additionalProperties",
        "required",
        "propertyNames",
        "minProperties",
        "maxProperties",
    }
)


class Unsupported(Exception):
    """The schema uses a keyword this compiler does not implement."""


def compile_gate(schema: Mapping[str, Any]) -> Check:
    """A function telling whether a document is valid against `schema` (local `$ref`s only)."""
    return _Compiler(schema).compile(schema)


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


@dataclass
class _Parts:
    """The checks of one subschema, sorted by the type of value they apply to."""

    types: frozenset[str] | None = None
    always: list[Check] = field(default_factory=list)
    string: list[Check] = field(default_factory=list)
    number: list[Check] = field(default_factory=list)
    array: list[Check] = field(default_factory=list)
    obj: dict[str, Any] = field(default_factory=dict)


class _Compiler:
    def __init__(self, root: Mapping[str, Any]) -> None:
        self.root = root
        self.refs: dict[str, Check] = {}

    def compile(self, schema: Any) -> Check:
        if schema is True:
            return _yes
        if schema is False:
            return _no
        if not isinstance(schema, Mapping):
            raise Unsupported(f"schema {schema!r}")
        parts = _Parts()
        for keyword, value in schema.items():
            if keyword in ANNOTATIONS:
                continue
            if keyword in _OBJECT_KEYWORDS:
                parts.obj[keyword] = value
                continue
            adder = getattr(self, "_" + keyword.replace("$", "dollar_"), None)
            if adder is None:
                raise Unsupported(keyword)
            adder(value, schema, parts)
        return _assemble(parts, self._object(parts.obj) if parts.obj else None)

    # --- any type -------------------------------------------------------------------

    def _dollar_ref(self, ref: str, _: Mapping[str, Any], parts: _Parts) -> None:
        if not ref.startswith("#/$defs/"):
            raise Unsupported(f"$ref {ref}")
        name = ref[len("#/$defs/") :]
        if name not in self.refs:
            # A recursive reference meets the cell while its definition is compiled.
            cell: list[Check] = []
            self.refs[name] = lambda v: cell[0](v)
            cell.append(self.compile(self.root["$defs"][name]))
            self.refs[name] = cell[0]
        parts.always.append(self.refs[name])

    def _type(self, value: str | list[str], _: Mapping[str, Any], parts: _Parts) -> None:
        parts.types = frozenset([value] if isinstance(value, str) else value)

    def _enum(self, values: list[Any], _: Mapping[str, Any], parts: _Parts) -> None:
        if all(isinstance(option, str) for option in values):
            options = frozenset(values)  # the common case: a set lookup, same answer
            parts.always.append(lambda v: isinstance(v, str) and v in options)
        else:
            parts.always.append(lambda v: any(json_equal(v, option) for option in values))

    def _const(self, const: Any, schema: Mapping[str, Any], parts: _Parts) -> None:
        self._enum([const], schema, parts)

    def _allOf(self, schemas: list[Any], _: Mapping[str, Any], parts: _Parts) -> None:
        parts.always.extend(self.compile(sub) for sub in schemas)

    def _anyOf(self, schemas: list[Any], _: Mapping[str, Any], parts: _Parts) -> None:
        options = [self.compile(sub) for sub in schemas]
        parts.always.append(lambda v: any(option(v) for option in options))

    def _oneOf(self, schemas: list[Any], _: Mapping[str, Any], parts: _Parts) -> None:
        options = [self.compile(sub) for sub in schemas]
        parts.always.append(lambda v: sum(1 for option in options if option(v)) == 1)

    def _not(self, schema: Any, _: Mapping[str, Any], parts: _Parts) -> None:
        negated = self.compile(schema)
        parts.always.append(lambda v: not negated(v))

    def _if(self, schema: Any, parent: Mapping[str, Any], parts: _Parts) -> None:
        condition = self.compile(schema)
        then = self.compile(parent.get("then", True))
        otherwise = self.compile(parent.get("else", True))
        parts.always.append(lambda v: then(v) if condition(v) else otherwise(v))

    # --- strings, numbers, arrays -----------------------------------------------------

    def _pattern(self, pattern: str, _: Mapping[str, Any], parts: _Parts) -> None:
        search = ecma_regex(pattern).search
        parts.string.append(lambda v: search(v) is not None)

    # Lengths go first: a pattern never runs on a string already too long.
    def _minLength(self, n: int, _: Mapping[str, Any], parts: _Parts) -> None:
        parts.string.insert(0, lambda v: len(v) >= n)

    def _maxLength(self, n: int, _: Mapping[str, Any], parts: _Parts) -> None:
        parts.string.insert(0, lambda v: len(v) <= n)

    def _minimum(self, n: float, _: Mapping[str, Any], parts: _Parts) -> None:
        parts.number.append(lambda v: v >= n)

    def _maximum(self, n: float, _: Mapping[str, Any], parts: _Parts) -> None:
        parts.number.append(lambda v: v <= n)

    def _minItems(self, n: int, _: Mapping[str, Any], parts: _Parts) -> None:
        parts.array.append(lambda v: len(v) >= n)

    def _maxItems(self, n: int, _: Mapping[str, Any], parts: _Parts) -> None:
        parts.array.append(lambda v: len(v) <= n)

    def _uniqueItems(self, unique: bool, _: Mapping[str, Any], parts: _Parts) -> None:
        if unique:
            parts.array.append(_unique)

    def _items(self, schema: Any, _: Mapping[str, Any], parts: _Parts) -> None:
        item = self.compile(schema)
        parts.array.append(lambda v: all(map(item, v)))

    # --- objects: one pass over the keys ------------------------------------------------

    def _object(self, keywords: dict[str, Any]) -> Check:
        properties = {k: self.compile(s) for k, s in keywords.get("properties", {}).items()}
        extra_schema = keywords.get("additionalProperties", True)
        closed = extra_schema is False
        extra = None if extra_schema is True or closed else self.compile(extra_schema)
        names = self.compile(keywords["propertyNames"]) if "propertyNames" in keywords else None
        required = frozenset(keywords.get("required", ()))
        low, high = keywords.get("minProperties", 0), keywords.get("maxProperties")

        def check(v: dict[str, Any]) -> bool:
            if not required.issubset(v) or len(v) < low or (high is not None and len(v) > high):
                return False
            for key, value in v.items():
                test = properties.get(key)
                if test is None:
                    if closed or (extra is not None and not extra(value)):
                        return False
                elif not test(value):
                    return False
                if names is not None and not names(key):
                    return False
            return True

        return check


def _assemble(parts: _Parts, obj: Check | None) -> Check:
    """One closure: dispatch on the value's type once, then run what applies to it."""
    return _specialised(parts, obj) or _general(parts, obj)


def _specialised(parts: _Parts, obj: Check | None) -> Check | None:
    """Shorter closures for the shapes most subschemas have (one call per value, not two).

    A subschema with a single `type` needs no dispatch: check the type, then its keywords,
    then the type-independent ones (`$ref`, `enum`, `if`, ...).
    """
    types, always = parts.types, parts.always
    if types is None:
        if not (parts.string or parts.number or parts.array or obj) and len(always) == 1:
            return always[0]  # a bare `$ref`, `enum` or `const`
        return None
    if len(types) != 1 or parts.number:
        return None
    (kind,) = types
    own = {"string": parts.string, "array": parts.array, "object": [obj] if obj else []}.get(
        kind, []
    )
    others = [p for name, p in (("string", parts.string), ("array", parts.array)) if name != kind]
    if any(others) or (obj is not None and kind != "object") or kind not in _IS_KIND:
        return None
    checks = [_IS_KIND[kind], *own, *always]
    if len(checks) == 1:
        return checks[0]
    if len(checks) == 2:
        first, second = checks
        return lambda v: first(v) and second(v)
    if len(checks) == 3:
        first, second, third = checks
        return lambda v: first(v) and second(v) and third(v)

    def check(v: Any) -> bool:
        for one in checks:  # noqa: SIM110 (a loop is faster than all(<genexpr>) here)
            if not one(v):
                return False
        return True

    return check


_IS_KIND: dict[str, Check] = {
    "string": lambda v: isinstance(v, str),
    "array": lambda v: isinstance(v, list),
    "object": lambda v: isinstance(v, dict),
    "boolean": lambda v: v is True or v is False,
    "null": lambda v: v is None,
}


def _general(parts: _Parts, obj: Check | None) -> Check:
    types, always = parts.types, parts.always
    string, number, array = parts.string, parts.number, parts.array
    accepts = {
        name: types is None or name in types
        for name in ("string", "boolean", "null", "array", "object", "number")
    }
    integer_only = types is not None and "integer" in types and "number" not in types
    accepts["number"] = accepts["number"] or (types is not None and "integer" in types)

    def check(v: Any) -> bool:
        if isinstance(v, str):
            if not accepts["string"]:
                return False
            for one in string:
                if not one(v):
                    return False
        elif isinstance(v, dict):
            if not accepts["object"] or (obj is not None and not obj(v)):
                return False
        elif isinstance(v, bool):
            if not accepts["boolean"]:
                return False
        elif isinstance(v, (int, float)):
            if not accepts["number"]:
                return False
            if integer_only and isinstance(v, float) and not v.is_integer():
                return False
            for one in number:
                if not one(v):
                    return False
        elif isinstance(v, list):
            if not accepts["array"]:
                return False
            for one in array:
                if not one(v):
                    return False
        elif v is None:
            if not accepts["null"]:
                return False
        else:
            return False  # not a JSON value at all
        # A plain loop, not all(<genexpr>): this runs for every value of every manifest.
        for one in always:  # noqa: SIM110
            if not one(v):
                return False
        return True

    return check


def _unique(v: list[Any]) -> bool:
    return not repeated_items(v)


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


def _yes(_: Any) -> bool:
    return True


def _no(_: Any) -> bool:
    return False
