"""A composed YAML node tree turned into plain JSON-like data, collecting issues on the way.

Refused with an issue at the node's position: duplicate keys (PyYAML keeps the last one
without a word), tags outside the JSON-like core (`!!python/...`, `!Ref`, `!!binary`,
`!!set`, merge keys), values the core schema cannot read, NaN and infinities, keys that are
not text, alias bombs and recursive aliases (an expanded size limit), and deep nesting.
"""

from __future__ import annotations

import math
from typing import Any

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from reconciler.manifests.issues import Issue, PathPart, json_path, shown
from reconciler.manifests.yaml_schema import (
    BOOL,
    INT,
    MAP,
    MERGE,
    SCALAR_TAGS,
    SEQ,
    STR,
    TAG,
    UNREADABLE,
    core_scalar,
)

MAX_NODES = 100_000
"""Upper bound on values in one document, counting every expansion of an alias."""
MAX_DEPTH = 64
"""Nesting deeper than this is not a manifest."""


class DataBuilder:
    """Turns a composed node tree into plain data, collecting issues on the way."""

    def __init__(self, display: str) -> None:
        self.display = display
        self.issues: list[Issue] = []
        self._built: dict[int, Any] = {}  # id(node) -> value, so aliases share the value
        self._sizes: dict[int, int] = {}  # id(node) -> expanded size, for the alias limit
        self._open: set[int] = set()  # nodes being built, to catch recursive aliases
        self._first_alias: Node | None = None  # only aliases can outgrow the file-size limit
        self._path: list[PathPart] = []

    def build(self, root: Node) -> Any:
        value = self._node(root, 0)
        if self._first_alias is not None and not self.issues:
            size = self._size(root)
            if size > MAX_NODES:
                self._path = []
                self._issue(
                    self._first_alias,
                    f"aliases expand the document to {size} values (at most {MAX_NODES})",
                    "an alias (*name) repeats its anchor's content each time; write the values out",
                )
        return value

    def _issue(self, node: Node, message: str, hint: str | None = None) -> None:
        mark = node.start_mark
        self.issues.append(
            Issue(
                self.display, mark.line + 1, mark.column + 1, json_path(self._path), message, hint
            )
        )

    def _node(self, node: Node, depth: int, key_node: Node | None = None) -> Any:
        key = id(node)
        if key in self._built:
            self._first_alias = self._first_alias or node
            return self._built[key]
        if key in self._open:
            # The node is the anchor's; the key that holds the alias says where it was used.
            self._issue(key_node or node, "recursive alias: a value contains itself")
            return None
        if depth > MAX_DEPTH:
            self._issue(node, f"nesting is deeper than {MAX_DEPTH} levels")
            return None
        self._open.add(key)
        try:
            if isinstance(node, ScalarNode):
                value = self._scalar(node)
            elif isinstance(node, SequenceNode):
                value = self._sequence(node, depth)
            elif isinstance(node, MappingNode):
                value = self._mapping(node, depth)
            else:  # pragma: no cover - the composer makes no other kind of node
                value = None
        finally:
            self._open.discard(key)
        self._built[key] = value
        return value

    def _scalar(self, node: ScalarNode) -> Any:
        tag, text = node.tag, node.value
        if tag not in SCALAR_TAGS:
            self._bad_tag(node)
            return None
        value = core_scalar(tag, text)
        if value is UNREADABLE:
            kind = {BOOL: "true or false", INT: "a whole number"}.get(tag, "a number")
            self._issue(node, f"'{text[:40]}' cannot be read as {kind}")
            return None
        if isinstance(value, float) and not math.isfinite(value):
            # JSON (and so the schema, and every setting) has no NaN or infinity; left in,
            # `minimum`/`maximum` compare false and the value slips through to the program.
            self._issue(
                node,
                f"'{text[:40]}' is not a finite number",
                "write a number such as 0.25 (YAML's .nan and .inf are not allowed)",
            )
            return None
        return value

    def _sequence(self, node: SequenceNode, depth: int) -> Any:
        if node.tag != SEQ:
            self._bad_tag(node)
            return None
        items = []
        for index, item in enumerate(node.value):
            if item.tag == STR and type(item) is ScalarNode:  # the common case, fast
                items.append(item.value)
                continue
            self._path.append(index)
            items.append(self._node(item, depth + 1))
            self._path.pop()
        return items

    def _mapping(self, node: MappingNode, depth: int) -> Any:
        if node.tag != MAP:
            self._bad_tag(node)
            return None
        mapping: dict[str, Any] = {}
        first: dict[str, Node] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode):
                self._issue(key_node, "a key must be plain text, not a list or a mapping")
                continue
            if key_node.tag == MERGE:
                self._issue(key_node, "merge keys (<<) are not supported", "write the keys out")
                continue
            if key_node.tag not in SCALAR_TAGS:
                self._bad_tag(key_node)
                continue
            # Keys are always text: `on:` or `1:` mean the words, whatever YAML 1.1 says.
            name = key_node.value
            if name in first:
                self._path.append(name)
                first_line = first[name].start_mark.line + 1
                self._issue(
                    key_node,
                    f"duplicate key {shown(name)} (first at line {first_line})",
                    "YAML would silently keep only the last one; keep one",
                )
                self._path.pop()
            first.setdefault(name, key_node)
            if value_node.tag == STR and type(value_node) is ScalarNode:  # the common case
                mapping[name] = value_node.value
                continue
            self._path.append(name)
            mapping[name] = self._node(value_node, depth + 1, key_node)
            self._path.pop()
        return mapping

    def _bad_tag(self, node: Node) -> None:
        tag = node.tag
        shown = "!!" + tag[len(TAG) :] if tag.startswith(TAG) else tag
        self._issue(
            node,
            f"YAML tag '{shown}' is not allowed: manifests are plain data",
            "remove the tag; quote the value if it is meant as text",
        )

    def _size(self, root: Node) -> int:
        """Values in the document once every alias is expanded (memoised, so bombs are cheap)."""
        stack: list[tuple[Node, bool]] = [(root, False)]
        while stack:
            node, children_done = stack.pop()
            key = id(node)
            if key in self._sizes:
                continue
            children: list[Node] = []
            if isinstance(node, SequenceNode):
                children = list(node.value)
            elif isinstance(node, MappingNode):
                children = [value for _, value in node.value]
            if children_done:
                self._sizes[key] = 1 + sum(self._sizes.get(id(child), 0) for child in children)
            else:
                stack.append((node, True))
                stack.extend((child, False) for child in children if id(child) not in self._sizes)
        return self._sizes[id(root)]
