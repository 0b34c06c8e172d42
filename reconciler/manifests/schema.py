"""The JSON Schemas in `schema/` as checkers that answer with `Issue`s at lines and columns.

The schema is the contract: this module adds no rule of its own. It loads a schema once,
compiles a fast gate for valid documents (jsonschema-rs), and for an invalid document turns
each `jsonschema` error into a one-line message at the offending node. Messages come from
the schema where it says more than a generic sentence could (`x-errors`, VS Code's
`patternErrorMessage`), and hints suggest the nearest allowed word for typos.
"""

from __future__ import annotations

import difflib
import functools
import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from yaml.nodes import ScalarNode

from reconciler.manifests.characters import unusual_note
from reconciler.manifests.issues import Issue, PathPart, dotted, json_path, shown
from reconciler.manifests.keywords import ecma_regex, repeated_items
from reconciler.manifests.loader import LoadedYaml

Check = Callable[[Any], bool]

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError


def _schema_dir() -> Path:
    in_checkout = Path(__file__).resolve().parents[2] / "schema"
    if in_checkout.is_dir():
        return in_checkout
    # Installed from a wheel (e.g. pre-commit's environment): the copy inside the package.
    # reconciler/_schema has no __init__.py, so importlib.resources would hand back a
    # namespace MultiplexedPath whose str() is not a path: name the folder directly.
    return Path(__file__).resolve().parents[1] / "_schema"


MAX_ISSUES = 100
"""Schema issues reported per file; the rest are summed up in one issue."""
SCHEMA_DIR = _schema_dir()
"""Where `tenant.schema.json` and `platform.schema.json` live (the repository's schema/)."""

_NUMBER = re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$")
_YAML11_BOOLEANS = {"yes": True, "no": False, "on": True, "off": False, "y": True, "n": False}
_EXPECTED = {
    "object": "a mapping",
    "array": "a list",
    "string": "text",
    "boolean": "true or false",
    "integer": "a whole number",
    "number": "a number",
    "null": "empty",
}


@dataclass(frozen=True)
class SchemaChecker:
    """One compiled schema."""

    schema: Mapping[str, Any]
    """The schema document (tests check it against the 2020-12 metaschema)."""
    gate: Check
    """Fast validity check (jsonschema-rs); `jsonschema` explains what it refuses."""

    @functools.cached_property
    def validator(self) -> Draft202012Validator:
        """The reference validator, made (and `jsonschema` imported) on the first bad file."""
        from jsonschema import Draft202012Validator, validators
        from jsonschema.exceptions import ValidationError

        # jsonschema compares list items pairwise; a 256 KiB list of distinct mappings
        # would take minutes. Same rule, linear: items keyed by their JSON value.
        def unique_items(validator: Any, unique: Any, instance: Any, schema: Any) -> Any:
            if unique and validator.is_type(instance, "array") and repeated_items(instance):
                yield ValidationError("has non-unique elements")

        # Patterns as editors read them (see `ecma_regex`), and never on a string that is
        # already too long: maxLength reports that, and a long string is where a regex
        # can take quadratic time.
        def pattern(validator: Any, regex: str, instance: Any, schema: Any) -> Any:
            if not validator.is_type(instance, "string"):
                return
            if len(instance) > schema.get("maxLength", len(instance)):
                return
            if ecma_regex(regex).search(instance) is None:
                yield ValidationError(f"does not match {regex!r}")

        extended = validators.extend(
            Draft202012Validator, {"uniqueItems": unique_items, "pattern": pattern}
        )
        return extended(self.schema)

    def check(self, loaded: LoadedYaml) -> list[Issue]:
        """Every schema issue of a loaded document, at its node; none when it is valid."""
        document = loaded.document
        if self.gate(document):
            return []
        found: dict[tuple[str, str], Issue] = {}
        for error in self.validator.iter_errors(document):
            for issue in _Explainer(self.schema, loaded, error).issues():
                found.setdefault((issue.path, issue.message), issue)
                if len(found) == MAX_ISSUES:
                    # A file this broken is rarely one mistake many times: fix the first ones.
                    more = f"more than {MAX_ISSUES} schema issues; the first {MAX_ISSUES} are shown"
                    return [*found.values(), Issue(loaded.file, 1, 1, "$", more)]
        return list(found.values())


@functools.cache
def checker(name: str) -> SchemaChecker:
    """The checker for `schema/<name>.schema.json`, built once per process."""
    schema = json.loads((SCHEMA_DIR / f"{name}.schema.json").read_text(encoding="utf-8"))
    return SchemaChecker(schema, _gate(schema))


def _gate(schema: Mapping[str, Any]) -> Check:
    """jsonschema-rs's yes/no answer: about 5 us a manifest, against 27 us for the
    hand-written gate it replaced and ~500 us for `jsonschema` (bench/bench_gate.py)."""
    import jsonschema_rs

    validator = jsonschema_rs.validator_for(dict(schema))

    def gate(document: Any) -> bool:
        try:
            return bool(validator.is_valid(document))
        except (ValueError, TypeError, OverflowError):
            return False  # a value JSON has no type for: `jsonschema` says what is wrong

    return gate


class _Explainer:
    """Turns one `jsonschema` error into issues people can act on."""

    def __init__(self, root: Mapping[str, Any], loaded: LoadedYaml, error: ValidationError):
        self.root = root
        self.loaded = loaded
        self.error = error
        self.path: list[PathPart] = list(error.absolute_path)
        self.schema: Mapping[str, Any] = error.schema if isinstance(error.schema, Mapping) else {}
        self.where = dotted(self.path)

    def issues(self) -> Iterator[Issue]:
        keyword: Any = self.error.validator
        value: Any = self.error.instance
        schema_path = list(self.error.absolute_schema_path)
        if len(schema_path) >= 2 and schema_path[-2] == "propertyNames":
            yield self._at([*self.path, value], True, *self._message(keyword, value, value))
        elif keyword == "additionalProperties" and isinstance(value, dict):
            allowed = list(self.schema.get("properties", {}))
            for key in value:
                if key not in allowed:
                    yield self._at(
                        [*self.path, key],
                        True,
                        self._prefixed(f"unknown key {shown(key)}"),
                        self._unknown_key_hint(key, allowed),
                    )
        elif keyword == "required" and isinstance(value, dict):
            required: Any = self.error.validator_value
            for key in required:
                if key not in value:
                    custom = self._custom("required", value, key)
                    message = custom[0] or self._prefixed(f"missing required key {shown(key)}")
                    yield self._at([*self.path, key], None, message, custom[1])
        elif keyword == "uniqueItems" and isinstance(value, list):
            for index in repeated_items(value):
                message = self._prefixed(f"{shown(value[index])} is listed twice")
                yield self._at([*self.path, index], False, message, "remove the repeated entry")
        else:
            yield self._at(self.path, False, *self._message(keyword, value, None))

    def _at(
        self, path: Sequence[PathPart], key: bool | None, message: str, hint: str | None
    ) -> Issue:
        # A missing key (key=None) is reported at its parent's key: `spec:` lacks displayName.
        if key is None:
            line, column = self.loaded.locate(path[:-1], key=True)
        else:
            line, column = self.loaded.locate(path, key=key)
        return Issue(self.loaded.file, line, column, json_path(path), message, hint)

    def _prefixed(self, text: str) -> str:
        return f"{self.where}: {text}" if self.where else text

    def _custom(self, keyword: str, value: Any, key: Any) -> tuple[str | None, str | None]:
        """The schema's own message and hint for this keyword (`x-errors`), if any."""
        spec = self.schema.get("x-errors", {}).get(keyword)
        if not spec:
            return None, None
        last = (
            str(key)
            if key is not None
            else next((p for p in reversed(self.path) if isinstance(p, str)), "value")
        )

        def fill(template: str) -> str:
            # Plain replacement, so braces in YAML examples need no escaping in the schema.
            return template.replace("{value}", shown(value, quoted=False)).replace("{key}", last)

        return self._prefixed(fill(spec["message"])), fill(spec["hint"]) if "hint" in spec else None

    def _message(self, keyword: str | None, value: Any, key: Any) -> tuple[str, str | None]:
        message, hint = self._custom(keyword or "", value, key)
        want: Any = self.error.validator_value
        if keyword == "pattern":
            hint = hint or _as_hint(self.schema.get("patternErrorMessage"))
            message = message or self._prefixed(f"{shown(value)} does not have the expected form")
            # A look-alike or invisible character is what people cannot find by reading.
            note = unusual_note(value) if isinstance(value, str) else None
            message += f": {note}" if note else ""
        elif keyword in ("enum", "const", "anyOf", "oneOf"):
            options = [want] if keyword == "const" else self._options(self.schema)
            hint = _did_you_mean(value, options) or hint
            if message is None and keyword == "const":
                message = self._prefixed(f"must be {shown(want)}, not {shown(value)}")
            elif message is None and keyword == "enum":
                choices = ", ".join(str(option) for option in want)
                message = self._prefixed(f"{shown(value)} is not one of: {choices}")
        elif keyword == "type" and message is None:
            actual = _actual(value)
            if isinstance(value, float) and not isinstance(value, bool):
                actual = json.dumps(value)  # "a whole number, not 2.5", never "not a number"
            message = self._prefixed(f"must be {_expected(want)}, not {actual}")
            hint = self._type_hint(want, value)
        return message or self._prefixed(_generic(keyword, want, value)), hint

    def _options(self, schema: Mapping[str, Any]) -> list[Any]:
        """Allowed words for did-you-mean: `enum`s, also inside `anyOf`/`oneOf` branches."""
        schema = self._resolve(schema)
        options = list(schema.get("enum", ()))
        for branch in [*schema.get("anyOf", ()), *schema.get("oneOf", ())]:
            options += self._options(branch)
        return options

    def _resolve(self, schema: Any) -> Mapping[str, Any]:
        if isinstance(schema, Mapping) and str(schema.get("$ref", "")).startswith("#/$defs/"):
            return {**self.root["$defs"][schema["$ref"][len("#/$defs/") :]], **schema}
        return schema if isinstance(schema, Mapping) else {}

    def _unknown_key_hint(self, key: str, allowed: list[str]) -> str:
        suggestion = _did_you_mean(key, allowed)
        if suggestion:
            return suggestion
        # A key written one level too high, e.g. `displayName:` next to `spec:`.
        for parent in allowed:
            child = self._resolve(self.schema["properties"][parent])
            if key in child.get("properties", {}):
                return f"{shown(key)} belongs under '{parent}'"
        return f"allowed here: {', '.join(allowed)}" if allowed else "no keys are allowed here"

    def _type_hint(self, want: Any, value: Any) -> str | None:
        node = self.loaded.node_at(self.path)
        wants = [want] if isinstance(want, str) else list(want)
        if "string" in wants and isinstance(node, ScalarNode) and not node.style and node.value:
            return f'YAML reads {node.value} as {_actual(value)}; write "{node.value}" for the text'
        if "boolean" in wants and isinstance(value, str) and value.lower() in _YAML11_BOOLEANS:
            meant = str(_YAML11_BOOLEANS[value.lower()]).lower()
            return f"YAML 1.2 (editors, and this tool) reads {value} as text: write {meant}"
        numbers = {"integer", "number"} & set(wants)
        if isinstance(value, str) and numbers and _NUMBER.match(value):
            return f"write {value} without quotes"
        if isinstance(value, str) and numbers and _NUMBER.match(value.replace("_", "")):
            return f"YAML 1.2 reads {value} as text: write {value.replace('_', '')}"
        if isinstance(value, str) and "boolean" in wants and value.lower() in ("true", "false"):
            return f"write {value.lower()} without quotes"
        if "array" in wants:
            return "write a list: one `- item` per line"
        return None


def _as_hint(sentence: str | None) -> str | None:
    """An editor message ("Use lowercase letters.") in the style of our hints ("use ...")."""
    if not sentence:
        return None
    if len(sentence) > 1 and sentence[1].islower():
        sentence = sentence[0].lower() + sentence[1:]
    return sentence.removesuffix(".")


def _did_you_mean(value: Any, options: Sequence[Any]) -> str | None:
    words = [str(option) for option in options if isinstance(option, str)]
    if not isinstance(value, str) or not words:
        return None
    lowered = {word.lower(): word for word in words}
    close = difflib.get_close_matches(value.lower(), list(lowered), n=1, cutoff=0.6)
    return f"did you mean '{lowered[close[0]]}'?" if close else None


def _generic(keyword: str | None, want: Any, value: Any) -> str:
    size = len(value) if isinstance(value, (str, list, dict)) else 0
    texts = {
        "minLength": f"{shown(value)} is too short (at least {want} characters)",
        "maxLength": f"{shown(value)} is too long ({size} characters; at most {want})",
        "minimum": f"{shown(value)} is less than the minimum, {want}",
        "maximum": f"{shown(value)} is more than the maximum, {want}",
        "minItems": f"needs at least {want} item{'s' if want != 1 else ''}",
        "maxItems": f"has {size} items; at most {want}",
        "minProperties": f"needs at least {want} key{'s' if want != 1 else ''}",
        "maxProperties": f"has {size} keys; at most {want}",
        "const": f"must be {shown(want)}",
        "anyOf": f"{shown(value)} matches none of the allowed forms",
        "oneOf": f"{shown(value)} must match exactly one of the allowed forms",
    }
    return texts.get(keyword or "", f"{shown(value)} is not allowed here")


def _expected(want: Any) -> str:
    names = [want] if isinstance(want, str) else list(want)
    return " or ".join(_EXPECTED.get(name, name) for name in names)


def _actual(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if value is None:
        return "empty"
    kinds: dict[type, str] = {dict: "a mapping", list: "a list", str: "text"}
    return kinds.get(type(value), type(value).__name__)
