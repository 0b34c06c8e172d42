"""A fast yes/no check compiled from a JSON Schema, used as a gate before `jsonschema`.

`jsonschema` walks the schema anew for every document and costs about half a millisecond
per manifest; thousands of manifests need better. `compile_gate` turns the schema once into
nested closures that only answer "valid?". Valid documents (nearly all of them) stop there;
an invalid one goes to `jsonschema`, which remains the reference and says what is wrong.

Only the keywords our schemas use are compiled, with JSON Schema 2020-12 semantics (bools
are not numbers, 1 == 1.0, `pattern` searches, `format` is an annotation). Any other
keyword raises `Unsupported`, and the caller then uses `jsonschema` for every document:
a gate that does not understand a schema must never say "valid".
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
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
    }
)


class Unsupported(Exception):
    """The schema uses a keyword this compiler does not implement."""


def compile_gate(schema: Mapping[str, Any]) -> Check:
    """A function telling whether a document is valid against `schema` (local `$ref`s only)."""
    return _Compiler(schema).compile(schema)


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
    return bool(type(left) is type(right) or (_is_number(left) and _is_number(right))) and (
        left == right
    )


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


_TYPES: dict[str, Check] = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
    "number": _is_number,
    "integer": lambda v: (
        (isinstance(v, int) and not isinstance(v, bool))
        or (isinstance(v, float) and v.is_integer())
    ),
}


class _Compiler:
    def __init__(self, root: Mapping[str, Any]) -> None:
        self.root = root
        self.refs: dict[str, Check] = {}

    def compile(self, schema: Any) -> Check:
        if schema is True:
            return lambda _: True
        if schema is False:
            return lambda _: False
        if not isinstance(schema, Mapping):
            raise Unsupported(f"schema {schema!r}")
        checks: list[Check] = []
        for keyword, value in schema.items():
            if keyword in ANNOTATIONS or keyword in ("then", "else"):
                continue
            compiler = getattr(self, "_" + keyword.replace("$", "dollar_"), None)
            if compiler is None:
                raise Unsupported(keyword)
            checks.append(compiler(value, schema))
        return _all(checks)

    def _dollar_ref(self, ref: str, _: Mapping[str, Any]) -> Check:
        if not ref.startswith("#/$defs/"):
            raise Unsupported(f"$ref {ref}")
        name = ref[len("#/$defs/") :]
        if name not in self.refs:
            # Compile each definition once; a recursive reference finds it through the cell.
            cell: list[Check] = []
            self.refs[name] = lambda v: cell[0](v)
            cell.append(self.compile(self.root["$defs"][name]))
        return self.refs[name]

    def _type(self, value: str | list[str], _: Mapping[str, Any]) -> Check:
        tests = [_TYPES[name] for name in ([value] if isinstance(value, str) else value)]
        if len(tests) == 1:
            return tests[0]
        return lambda v: any(test(v) for test in tests)

    def _enum(self, values: list[Any], _: Mapping[str, Any]) -> Check:
        if all(isinstance(option, str) for option in values):
            # The common case, and the hot one: a set lookup gives the same answer.
            options = frozenset(values)
            return lambda v: isinstance(v, str) and v in options
        return lambda v: any(json_equal(v, option) for option in values)

    def _const(self, const: Any, schema: Mapping[str, Any]) -> Check:
        return self._enum([const], schema)

    def _pattern(self, pattern: str, _: Mapping[str, Any]) -> Check:
        search = re.compile(pattern).search
        return lambda v: not isinstance(v, str) or search(v) is not None

    def _minLength(self, n: int, _: Mapping[str, Any]) -> Check:
        return lambda v: not isinstance(v, str) or len(v) >= n

    def _maxLength(self, n: int, _: Mapping[str, Any]) -> Check:
        return lambda v: not isinstance(v, str) or len(v) <= n

    def _minimum(self, n: float, _: Mapping[str, Any]) -> Check:
        return lambda v: not _is_number(v) or v >= n

    def _maximum(self, n: float, _: Mapping[str, Any]) -> Check:
        return lambda v: not _is_number(v) or v <= n

    def _minItems(self, n: int, _: Mapping[str, Any]) -> Check:
        return lambda v: not isinstance(v, list) or len(v) >= n

    def _maxItems(self, n: int, _: Mapping[str, Any]) -> Check:
        return lambda v: not isinstance(v, list) or len(v) <= n

    def _minProperties(self, n: int, _: Mapping[str, Any]) -> Check:
        return lambda v: not isinstance(v, dict) or len(v) >= n

    def _maxProperties(self, n: int, _: Mapping[str, Any]) -> Check:
        return lambda v: not isinstance(v, dict) or len(v) <= n

    def _uniqueItems(self, unique: bool, _: Mapping[str, Any]) -> Check:
        if not unique:
            return lambda _: True

        def check(v: Any) -> bool:
            if not isinstance(v, list):
                return True
            return all(not json_equal(a, b) for i, a in enumerate(v) for b in v[i + 1 :])

        return check

    def _items(self, schema: Any, _: Mapping[str, Any]) -> Check:
        item = self.compile(schema)
        return lambda v: not isinstance(v, list) or all(map(item, v))

    def _required(self, names: list[str], _: Mapping[str, Any]) -> Check:
        needed = frozenset(names)
        return lambda v: not isinstance(v, dict) or needed.issubset(v)

    def _properties(self, properties: Mapping[str, Any], _: Mapping[str, Any]) -> Check:
        compiled = {name: self.compile(sub) for name, sub in properties.items()}

        def check(v: Any) -> bool:
            if isinstance(v, dict):
                for name, value in v.items():
                    test = compiled.get(name)
                    if test is not None and not test(value):
                        return False
            return True

        return check

    def _additionalProperties(self, schema: Any, parent: Mapping[str, Any]) -> Check:
        if "patternProperties" in parent:
            raise Unsupported("patternProperties")
        known = frozenset(parent.get("properties", ()))
        extra = self.compile(schema)

        def check(v: Any) -> bool:
            if isinstance(v, dict):
                for key, value in v.items():
                    if key not in known and not extra(value):
                        return False
            return True

        return check

    def _propertyNames(self, schema: Any, _: Mapping[str, Any]) -> Check:
        name = self.compile(schema)
        return lambda v: not isinstance(v, dict) or all(map(name, v))

    def _allOf(self, schemas: list[Any], _: Mapping[str, Any]) -> Check:
        return _all([self.compile(sub) for sub in schemas])

    def _anyOf(self, schemas: list[Any], _: Mapping[str, Any]) -> Check:
        options = [self.compile(sub) for sub in schemas]
        return lambda v: any(option(v) for option in options)

    def _oneOf(self, schemas: list[Any], _: Mapping[str, Any]) -> Check:
        options = [self.compile(sub) for sub in schemas]
        return lambda v: sum(1 for option in options if option(v)) == 1

    def _not(self, schema: Any, _: Mapping[str, Any]) -> Check:
        negated = self.compile(schema)
        return lambda v: not negated(v)

    def _if(self, schema: Any, parent: Mapping[str, Any]) -> Check:
        condition = self.compile(schema)
        then = self.compile(parent.get("then", True))
        otherwise = self.compile(parent.get("else", True))
        return lambda v: then(v) if condition(v) else otherwise(v)


def _all(checks: list[Check]) -> Check:
    if not checks:
        return lambda _: True
    if len(checks) == 1:
        return checks[0]

    def check(v: Any) -> bool:
        # A plain loop: this is the hottest function of the gate, and `all(<genexpr>)` is slower.
        for one in checks:  # noqa: SIM110
            if not one(v):
                return False
        return True

    return check
