"""Safe YAML loading that keeps every node's position.

Manifests are parsed by libyaml (`yaml.CSafeLoader`) into a node tree, which carries the
line and column of every key and value; this module turns that tree into plain JSON-like
data itself, so it can refuse what PyYAML would accept silently or dangerously:

- syntax errors, bytes that are not UTF-8, files over `MAX_FILE_BYTES`, empty files,
  several documents in one file, a top level that is not a mapping;
- duplicate keys (PyYAML keeps the last one without a word);
- tags outside the JSON-like core (`!!python/...`, `!Ref`, `!!binary`, `!!set`, merge keys);
- alias bombs and recursive aliases (an expanded size limit), and deep nesting.

The result keeps the node tree so any JSON path can be mapped back to (line, column).
"""

from __future__ import annotations

import math
import operator
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from reconciler.manifests.issues import ERROR, Issue, PathPart, dotted, json_path, shown

MAX_FILE_BYTES = 256 * 1024
"""Manifests are small; anything bigger is a mistake (or an attack on the runner)."""
MAX_NODES = 100_000
"""Upper bound on values in one document, counting every expansion of an alias."""
MAX_DEPTH = 64
"""Nesting deeper than this is not a manifest."""

_TAG = "tag:yaml.org,2002:"
_STR, _NULL, _BOOL = _TAG + "str", _TAG + "null", _TAG + "bool"
_INT, _FLOAT = _TAG + "int", _TAG + "float"
_SEQ, _MAP, _MERGE = _TAG + "seq", _TAG + "map", _TAG + "merge"
_SCALAR_TAGS = frozenset({_STR, _NULL, _BOOL, _INT, _FLOAT})
_TRUE, _FALSE = ("true", "True", "TRUE"), ("false", "False", "FALSE")


_WORDS = {
    **dict.fromkeys(("true", "True", "TRUE", "false", "False", "FALSE"), _BOOL),
    **dict.fromkeys(("", "~", "null", "Null", "NULL"), _NULL),
    "<<": _MERGE,  # resolved only to be refused with a clear message
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
        return _STR  # most values: no number starts with a letter
    if _INT_FORM.fullmatch(value):
        return _INT
    return _FLOAT if _FLOAT_FORM.fullmatch(value) else _STR


class _CoreSchemaLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
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
            return _plain_tag(value or "") if implicit[0] else _STR
        return _SEQ if kind is SequenceNode else _MAP


@dataclass(frozen=True)
class LoadedYaml:
    """One YAML file read as plain data, or the issues that stopped it."""

    file: str
    """Display name of the file (as in `Issue.file`)."""
    document: Any = None
    """The plain data (dicts, lists, str, int, float, bool, None); None when unreadable."""
    issues: tuple[Issue, ...] = ()
    """Problems found while reading; the document is unusable when there is any."""
    root: Node | None = field(default=None, repr=False, compare=False)
    """The composed node tree, for positions."""
    text: str = field(default="", repr=False, compare=False)
    """The file's text (for checks that can rule a whole file out with one search)."""

    @property
    def ok(self) -> bool:
        return not self.issues and self.root is not None

    def node_at(self, path: Sequence[PathPart]) -> Node | None:
        """The node at `path`, or None when the path leads nowhere."""
        node = self.root
        for part in path:
            node = _child(node, part)[1] if node is not None else None
        return node

    def issue_at(
        self, path: Sequence[PathPart], message: str, hint: str | None = None, severity: str = ERROR
    ) -> Issue:
        """An issue about the value at `path`: its position, JSON path, and the message after
        the dotted path (`spec.storage.location: ...`), as every rule reports one."""
        line, column = self.locate(path)
        return Issue(
            self.file, line, column, json_path(path), f"{dotted(path)}: {message}", hint, severity
        )

    def locate(self, path: Sequence[PathPart], *, key: bool = False) -> tuple[int, int]:
        """1-based (line, column) of the node at `path`; of its key when `key` is true.

        A path that leads nowhere (a missing key) stops at the deepest node that exists.
        """
        node = self.root
        if node is None:
            return 1, 1
        mark = node.start_mark
        for index, part in enumerate(path):
            key_node, child = _child(node, part)
            if child is None:
                break
            last = index == len(path) - 1
            mark = (
                key_node.start_mark if key and last and key_node is not None else child.start_mark
            )
            node = child
        return mark.line + 1, mark.column + 1


def _child(node: Node, part: PathPart) -> tuple[Node | None, Node | None]:
    """(key node, value node) of one path step; the last of duplicate keys, as in the data."""
    found: tuple[Node | None, Node | None] = (None, None)
    if isinstance(node, MappingNode) and isinstance(part, str):
        for key_node, value_node in node.value:
            if isinstance(key_node, ScalarNode) and key_node.value == part:
                found = (key_node, value_node)
    elif isinstance(node, SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
        found = (None, node.value[part])
    return found


def load_yaml_file(path: Path, display: str) -> LoadedYaml:
    """Read and load one YAML file; every problem becomes an `Issue`, nothing raises."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            return _failed(
                display, 1, 1, f"file is too large ({size} bytes; at most {MAX_FILE_BYTES})"
            )
        with path.open("rb") as stream:
            data = stream.read(MAX_FILE_BYTES + 1)
    except OSError as error:
        return _failed(display, 1, 1, f"cannot read the file: {error.strerror or error}")
    return load_yaml_bytes(data, display)


def load_yaml_bytes(data: bytes, display: str) -> LoadedYaml:
    """Load one YAML document from bytes (the file's content)."""
    if len(data) > MAX_FILE_BYTES:
        return _failed(display, 1, 1, f"file is too large (more than {MAX_FILE_BYTES} bytes)")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line, column = _text_position(data[: error.start].decode("utf-8", "replace"))
        return _failed(
            display,
            line,
            column,
            f"the file is not UTF-8 (byte 0x{data[error.start]:02x})",
            "save the file as UTF-8",
        )
    return load_yaml_text(text, display)


def load_yaml_text(text: str, display: str) -> LoadedYaml:
    """Load one YAML document from text; the top level must be a mapping."""
    root, issue = _compose(text, display)
    if issue is not None:
        return LoadedYaml(display, issues=(issue,))
    if root is None:
        return _failed(display, 1, 1, "the file is empty", "a manifest is a YAML mapping")
    if not isinstance(root, MappingNode):
        line, column = root.start_mark.line + 1, root.start_mark.column + 1
        stray = _stray_space(text, root.end_mark.line + 1, display)
        if stray is not None:
            return LoadedYaml(display, issues=(stray,), root=root)
        return LoadedYaml(
            display,
            issues=(
                Issue(
                    display,
                    line,
                    column,
                    "$",
                    "the top level must be a mapping of keys",
                    "start with `apiVersion:`, `kind:`, ..., one key per line",
                ),
            ),
            root=root,
        )
    builder = _Builder(display)
    document = builder.build(root)
    return LoadedYaml(display, document, tuple(builder.issues), root, text)


def _compose(text: str, display: str) -> tuple[Node | None, Issue | None]:
    """libyaml's node tree of the single document in `text`, or the issue that stops it."""
    loader = _CoreSchemaLoader(text)
    try:
        if not loader.check_node():
            return None, None
        root = loader.get_node()
        if not loader.check_event(yaml.StreamEndEvent):
            mark = loader.peek_event().start_mark
            return None, Issue(
                display,
                mark.line + 1,
                mark.column + 1,
                "$",
                "the file holds more than one YAML document",
                "one tenant per file: remove the `---` line and what follows",
            )
        return root, None
    except yaml.MarkedYAMLError as error:
        issue = _syntax_issue(display, error)
        return None, _stray_space(text, issue.line, display) or issue
    except yaml.reader.ReaderError as error:
        prefix = text.encode("utf-8")[: error.position].decode("utf-8", "replace")
        line, column = _text_position(prefix)
        return None, Issue(
            display, line, column, "$", f"character not allowed in YAML ({error.reason})"
        )
    except (yaml.YAMLError, ValueError, RecursionError, UnboundLocalError) as error:
        # libyaml and its binding can still fail in ways that carry no position.
        return None, Issue(display, 1, 1, "$", f"cannot read the YAML: {type(error).__name__}")
    finally:
        loader.dispose()


def _syntax_issue(display: str, error: yaml.MarkedYAMLError) -> Issue:
    mark = error.problem_mark or error.context_mark
    line, column = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
    message = f"YAML syntax error: {error.problem or error.context or 'unreadable'}"
    context = error.context_mark
    if error.context and error.problem and context is not None and context.line + 1 != line:
        message += f" ({error.context} at line {context.line + 1})"
    hint = None
    if "\t" in (error.problem or "") or "cannot start any token" in (error.problem or ""):
        hint = "YAML indents with spaces, never tabs"
    elif "found undefined alias" in (error.problem or ""):
        hint = "define the anchor (&name) before using the alias (*name)"
    return Issue(display, line, column, "$", message, hint)


def _stray_space(text: str, last_line: int, display: str) -> Issue | None:
    """A no-break or zero-width space up to `last_line`, where it is the likely cause.

    YAML separates keys and values with plain spaces only: `key:<no-break space>value` is
    one word, and the parser complains a line later about something else. Pasting from a
    web page or a chat brings such characters in; the issue names the character instead.
    """
    if text.isascii():
        return None  # the common case
    for number, line in enumerate(text.split("\n")[:last_line], start=1):
        if line.isascii():
            continue
        for column, char in enumerate(line, start=1):
            if char == " " or unicodedata.category(char) not in ("Zs", "Cf"):
                continue
            if number == 1 and column == 1 and char == "\ufeff":
                continue  # a byte-order mark at the start is allowed
            return Issue(
                display,
                number,
                column,
                "$",
                f"U+{ord(char):04X} {unicodedata.name(char, 'invisible character')} "
                "where YAML expects a plain space",
                "retype it as a space: YAML reads it as part of the text "
                "(pasted from a web page or a chat?)",
            )
    return None


def _text_position(prefix: str) -> tuple[int, int]:
    """1-based (line, column) just after `prefix`."""
    return prefix.count("\n") + 1, len(prefix) - (prefix.rfind("\n") + 1) + 1


_UNREADABLE = object()


def _core_scalar(tag: str, text: str) -> Any:
    """A scalar's value under the YAML 1.2 core schema (also for explicit `!!int` etc.)."""
    if tag == _STR:
        return text
    if tag == _NULL:
        return None
    if tag == _BOOL:
        return True if text in _TRUE else False if text in _FALSE else _UNREADABLE
    try:
        if tag == _INT:
            sign = -1 if text.startswith("-") else 1
            digits = text.lstrip("+-")
            base = {"0o": 8, "0x": 16}.get(digits[:2], 10)
            return sign * int(digits[2:] if base != 10 else digits, base)
        special = {".inf": math.inf, "+.inf": math.inf, "-.inf": -math.inf, ".nan": math.nan}
        return special[text.lower()] if text.lower() in special else float(text)
    except ValueError:  # not a number, or more digits than Python converts
        return _UNREADABLE


def _failed(
    display: str, line: int, column: int, message: str, hint: str | None = None
) -> LoadedYaml:
    return LoadedYaml(display, issues=(Issue(display, line, column, "$", message, hint),))


class _Builder:
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
        if tag not in _SCALAR_TAGS:
            self._bad_tag(node)
            return None
        value = _core_scalar(tag, text)
        if value is _UNREADABLE:
            kind = {_BOOL: "true or false", _INT: "a whole number"}.get(tag, "a number")
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
        if node.tag != _SEQ:
            self._bad_tag(node)
            return None
        items = []
        for index, item in enumerate(node.value):
            if item.tag == _STR and type(item) is ScalarNode:  # the common case, fast
                items.append(item.value)
                continue
            self._path.append(index)
            items.append(self._node(item, depth + 1))
            self._path.pop()
        return items

    def _mapping(self, node: MappingNode, depth: int) -> Any:
        if node.tag != _MAP:
            self._bad_tag(node)
            return None
        mapping: dict[str, Any] = {}
        first: dict[str, Node] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode):
                self._issue(key_node, "a key must be plain text, not a list or a mapping")
                continue
            if key_node.tag == _MERGE:
                self._issue(key_node, "merge keys (<<) are not supported", "write the keys out")
                continue
            if key_node.tag not in _SCALAR_TAGS:
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
            if value_node.tag == _STR and type(value_node) is ScalarNode:  # the common case
                mapping[name] = value_node.value
                continue
            self._path.append(name)
            mapping[name] = self._node(value_node, depth + 1, key_node)
            self._path.pop()
        return mapping

    def _bad_tag(self, node: Node) -> None:
        tag = node.tag
        shown = "!!" + tag[len(_TAG) :] if tag.startswith(_TAG) else tag
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
