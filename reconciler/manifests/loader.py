"""Safe YAML loading that keeps every node's position.

Manifests are parsed by libyaml (`yaml.CSafeLoader`) into a node tree, which carries the
line and column of every key and value; this module turns that tree into plain JSON-like
data itself, so it can refuse what PyYAML would accept silently or dangerously:

- here: syntax errors, bytes that are not UTF-8, files over `MAX_FILE_BYTES`, empty
  files, several documents in one file, a top level that is not a mapping;
- in `yaml_data.py`, while the tree becomes data: duplicate keys (PyYAML keeps the last
  one without a word), tags outside the JSON-like core (`!!python/...`, `!Ref`,
  `!!binary`, `!!set`, merge keys), alias bombs and recursive aliases (an expanded size
  limit), and deep nesting.

Scalars are typed by the YAML 1.2 core schema (`yaml_schema.py`), as editors read them.
The result keeps the node tree so any JSON path can be mapped back to (line, column)
(`LoadedYaml.locate`).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from reconciler.manifests.issues import ERROR, Issue, PathPart, dotted, json_path
from reconciler.manifests.yaml_data import DataBuilder
from reconciler.manifests.yaml_schema import CoreSchemaLoader

MAX_FILE_BYTES = 256 * 1024
"""Manifests are small; anything bigger is a mistake (or an attack on the runner)."""


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
    builder = DataBuilder(display)
    document = builder.build(root)
    return LoadedYaml(display, document, tuple(builder.issues), root, text)


def _compose(text: str, display: str) -> tuple[Node | None, Issue | None]:
    """libyaml's node tree of the single document in `text`, or the issue that stops it."""
    loader = CoreSchemaLoader(text)
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


def _failed(
    display: str, line: int, column: int, message: str, hint: str | None = None
) -> LoadedYaml:
    return LoadedYaml(display, issues=(Issue(display, line, column, "$", message, hint),))
