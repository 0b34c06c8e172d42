"""Reporters for a `ValidationResult`, chosen by name: `text`, `json`, `github`.

- text: yamllint's `file:line:col: message` (`warning: ` before a warning's message), the
  hint indented below, then a summary;
- json: a list of issues (file, line, column, path, message, hint, severity) for tools;
- github: `::error file=F,line=L,col=C::message` workflow commands (`::warning` for
  warnings), which GitHub Actions turns into annotations on the pull request's diff.

Warnings (a certificate expiring soon) are printed but never fail a run.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from reconciler.manifests.issues import Issue
from reconciler.manifests.validate import ValidationResult

FORMATS = ("text", "json", "github")


def render_issues(result: ValidationResult, fmt: str) -> str:
    """The report of `result` in format `fmt` (one of `FORMATS`), ending with a newline."""
    try:
        reporter = _REPORTERS[fmt]
    except KeyError:
        raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}") from None
    return reporter(result)


def summary(result: ValidationResult) -> str:
    """One line: `2 of 5 manifests invalid, 3 errors` or `5 manifests valid, 1 warning`."""
    errors, warnings = result.errors, result.warnings
    bad = len({issue.file for issue in errors})
    files = max(len(result.files), len({issue.file for issue in result.issues}))
    noun = "manifest" if files == 1 else "manifests"
    warned = f", {_count(len(warnings), 'warning')}" if warnings else ""
    if result.ok:
        return f"{files} {noun} valid{warned}"
    return f"{bad} of {files} {noun} invalid, {_count(len(errors), 'error')}{warned}"


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'s' if number != 1 else ''}"


def _label(issue: Issue) -> str:
    return "" if issue.is_error else "warning: "


def _text(result: ValidationResult) -> str:
    lines = []
    for issue in result.issues:
        lines.append(f"{issue.file}:{issue.line}:{issue.column}: {_label(issue)}{issue.message}")
        if issue.hint:
            lines.append(f"    hint: {issue.hint}")
    lines.append(summary(result))
    return "\n".join(lines) + "\n"


def _json(result: ValidationResult) -> str:
    return json.dumps([_as_dict(issue) for issue in result.issues], indent=2) + "\n"


def _as_dict(issue: Issue) -> dict[str, object]:
    return {
        "file": issue.file,
        "line": issue.line,
        "column": issue.column,
        "path": issue.path,
        "message": issue.message,
        "hint": issue.hint,
        "severity": issue.severity,
    }


def _github(result: ValidationResult) -> str:
    lines = []
    for issue in result.issues:
        message = issue.message + (f"\nhint: {issue.hint}" if issue.hint else "")
        properties = ",".join(
            f"{name}={escape_property(str(value))}"
            for name, value in (("file", issue.file), ("line", issue.line), ("col", issue.column))
        )
        command = "error" if issue.is_error else "warning"
        lines.append(f"::{command} {properties}::{escape_data(message)}")
    lines.append(summary(result))
    return "\n".join(lines) + "\n"


def escape_data(text: str) -> str:
    """Escape a workflow command's message: `%`, CR and LF (in that order, `%` first)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a workflow command's property value: as data, plus `:` and `,`."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


_REPORTERS: dict[str, Callable[[ValidationResult], str]] = {
    "text": _text,
    "json": _json,
    "github": _github,
}
