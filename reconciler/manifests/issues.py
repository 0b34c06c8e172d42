"""What the validation gate reports: one `Issue` per problem, pointing at a line and column.

Every stage (YAML loading, the schema, the semantic and cross-file rules, the file layout
under tenants/) produces `Issue`s and never raises for bad input, so one run reports every
problem at once.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

PathPart = str | int
"""One step of a JSON path: a mapping key or a list index."""

ERROR, WARNING = "error", "warning"
"""Issue severities: only errors fail a run."""

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class Issue:
    """One problem in one file."""

    file: str
    """The file, relative to the repository root when it is inside it (POSIX separators)."""
    line: int
    """1-based line of the offending node (1 for problems with the whole file)."""
    column: int
    """1-based column of the offending node."""
    path: str
    """JSON path of the offending value, e.g. `$.spec.identityProviders[0].id`; `$`: the file."""
    message: str
    """One line saying what is wrong."""
    hint: str | None = None
    """How to fix it, when there is something useful to say."""
    severity: str = ERROR
    """`error` (the run fails) or `warning` (reported, the run goes on)."""

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR


def json_path(parts: Iterable[PathPart]) -> str:
    """`$`-rooted JSON path: `$.spec.identityProviders[0].id`; odd keys as `$['a b']`."""
    text = ["$"]
    for part in parts:
        if isinstance(part, int):
            text.append(f"[{part}]")
        elif _IDENTIFIER.fullmatch(part):
            text.append(f".{part}")
        else:
            quoted = part.replace("\\", "\\\\").replace("'", "\\'")
            text.append("['" + "".join(_printable(c) for c in quoted) + "']")
    return "".join(text)


def _printable(char: str) -> str:
    return char if char.isprintable() else repr(char)[1:-1]


def dotted(parts: Sequence[PathPart]) -> str:
    """The path as people read it in a message: `spec.identityProviders[0]` (empty at the root)."""
    return json_path(parts)[2:] if parts else ""


def sort_key(issue: Issue) -> tuple[str, int, int, str, str]:
    """Order issues by file, then position, so reports read top to bottom."""
    return (issue.file, issue.line, issue.column, issue.path, issue.message)


def shown(value: Any, *, quoted: bool = True) -> str:
    """A value for a one-line message: control characters escaped, long text shortened."""
    if isinstance(value, str):
        text = "".join(_printable(c) for c in value)
        text = text if len(text) <= 60 else text[:57] + "..."
        return f"'{text}'" if quoted else text
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return json.dumps(value)
