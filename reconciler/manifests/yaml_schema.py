"""YAML 1.2 core-schema scalars on libyaml's parser: how a plain value is typed.

Editors (yaml-language-server) and check-jsonschema read YAML 1.2, where `no`, `on` and
`yes` are text, `1_000` is text and 2024-01-31 is text; PyYAML's resolver reads YAML 1.1.
`CoreSchemaLoader` composes a node tree with 1.2 tags, and `core_scalar` gives a scalar
its value under the same schema, so "valid in my editor" and "valid in CI" is one answer.
"""

from __future__ import annotations

import math
import operator
import re
from typing import Any

import yaml
from yaml.nodes import ScalarNode, SequenceNode

TAG = "tag:yaml.org,2002:"
STR, NULL, BOOL = TAG + "str", TAG + "null", TAG + "bool"
INT, FLOAT = TAG + "int", TAG + "float"
SEQ, MAP, MERGE = TAG + "seq", TAG + "map", TAG + "merge"
SCALAR_TAGS = frozenset({STR, NULL, BOOL, INT, FLOAT})
_TRUE, _FALSE = ("true", "True", "TRUE"), ("false", "False", "FALSE")


_WORDS = {
    **dict.fromkeys(("true", "True", "TRUE", "false", "False", "FALSE"), BOOL),
    **dict.fromkeys(("", "~", "null", "Null", "NULL"), NULL),
    "<<": MERGE,  # resolved only to be refused with a clear message
}
_NUMBER_START = frozenset("-+.0123456789")
_INT_FORM = re.compile(r"(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)")
_FLOAT_FORM = re.compile(
    r"(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
    r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))"
)


def _plain_tag(value: str) -> str:
    """The YAML 1.2 core-schema tag of a plain (unquoted, untagged) scalar."""
    word = _WORDS.get(value)
    if word is not None:
        return word
    if value[0] not in _NUMBER_START:
        return STR  # most values: no number starts with a letter
    if _INT_FORM.fullmatch(value):
        return INT
    return FLOAT if _FLOAT_FORM.fullmatch(value) else STR


class CoreSchemaLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """libyaml's parser with YAML 1.2 core-schema scalars instead of PyYAML's YAML 1.1.

    Editors (yaml-language-server) and check-jsonschema read YAML 1.2, where `no`, `on`
    and `yes` are text, `1_000` is text and 2024-01-31 is text. Reading the same file the
    same way everywhere keeps "valid in my editor" and "valid in CI" one answer.
    """

    # The composer calls these for every node, for path-based resolvers we do not use;
    # C built-ins taking the same arguments make the calls nearly free.
    descend_resolver = operator.is_
    ascend_resolver = tuple

    def resolve(self, kind: type, value: str | None, implicit: tuple[bool, bool]) -> str:
        # Called by the composer only for nodes without an explicit tag.
        if kind is ScalarNode:
            return _plain_tag(value or "") if implicit[0] else STR
        return SEQ if kind is SequenceNode else MAP


UNREADABLE = object()


def core_scalar(tag: str, text: str) -> Any:
    """A scalar's value under the YAML 1.2 core schema (also for explicit `!!int` etc.)."""
    if tag == STR:
        return text
    if tag == NULL:
        return None
    if tag == BOOL:
        return True if text in _TRUE else False if text in _FALSE else UNREADABLE
    try:
        if tag == INT:
            sign = -1 if text.startswith("-") else 1
            digits = text.lstrip("+-")
            base = {"0o": 8, "0x": 16}.get(digits[:2], 10)
            return sign * int(digits[2:] if base != 10 else digits, base)
        special = {".inf": math.inf, "+.inf": math.inf, "-.inf": -math.inf, ".nan": math.nan}
        return special[text.lower()] if text.lower() in special else float(text)
    except ValueError:  # not a number, or more digits than Python converts
        return UNREADABLE
