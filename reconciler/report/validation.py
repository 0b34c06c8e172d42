"""Reporters for a `ValidationResult`, chosen by name: `text`, `json`, `github`, `markdown`.

- text: yamllint's `file:line:col: message` (`warning: ` before a warning's message), the
  hint indented below, then a summary;
- json: one object (`schemaVersion`, `command`, `ok`, `summary`, `files`, `issues`), the
  contract of `docs/report.schema.json`;
- github: `::error file=F,line=L,col=C::message` workflow commands (`::warning` for
  warnings), which GitHub Actions
  turns into annotations on the pull request's diff. GitHub shows at most
  `ANNOTATION_LIMIT` error annotations per step: past that, the last one says how many more
  there are and where the full list is (the job summary, the PR comment), and the rest are
  printed as plain `file:line:col` lines so the log still holds every error;
- markdown: every error in a table, for the job summary and the pull-request comment,
  bounded like the other reports.

Warnings (a certificate expiring soon) are printed but never fail a run.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from reconciler.manifests.issues import Issue
from reconciler.manifests.validate import ValidationResult
from reconciler.report.markdown import COMMENT_LIMIT, MARKER
from reconciler.report.results import SCHEMA_VERSION

ANNOTATION_LIMIT = 10
"""Error annotations GitHub shows per step; more are dropped silently."""


def render_issues(result: ValidationResult, fmt: str) -> str:
    """The report of `result` in format `fmt` (one of `REPORTERS`), ending with a newline."""
    try:
        reporter = REPORTERS[fmt]
    except KeyError:
        raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(REPORTERS)}") from None
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
    body = {
        "schemaVersion": SCHEMA_VERSION,
        "command": "validate",
        "ok": result.ok,
        "summary": summary(result),
        "files": [str(path) for path in result.files],
        "issues": [_as_dict(issue) for issue in result.issues],
    }
    return json.dumps(body, indent=2) + "\n"


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
    issues = result.issues
    # Keep the last annotation slot for "and N more" when the errors do not all fit.
    shown = issues if len(issues) <= ANNOTATION_LIMIT else issues[: ANNOTATION_LIMIT - 1]
    lines = []
    for issue in shown:
        message = issue.message + (f"\nhint: {issue.hint}" if issue.hint else "")
        properties = ",".join(
            f"{name}={escape_property(str(value))}"
            for name, value in (("file", issue.file), ("line", issue.line), ("col", issue.column))
        )
        command = "error" if issue.is_error else "warning"
        lines.append(f"::{command} {properties}::{escape_data(message)}")
    rest = issues[len(shown) :]
    if rest:
        lines.append(
            f"::error::{len(rest)} more error(s) not annotated (GitHub shows "
            f"{ANNOTATION_LIMIT} per step): every error is listed below, in the job summary "
            "and in the pull-request comment"
        )
        lines += [issue_line(issue) for issue in rest]
    lines.append(summary(result))
    return "\n".join(lines) + "\n"


def issue_line(issue: Issue) -> str:
    """One issue on one line: `file:line:col: [warning: ]message (hint: ...)`."""
    hint = f" (hint: {issue.hint})" if issue.hint else ""
    return f"{issue.file}:{issue.line}:{issue.column}: {_label(issue)}{issue.message}{hint}"


def _md_cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def markdown(result: ValidationResult, limit: int = COMMENT_LIMIT) -> str:
    """Every error as a table row (the job summary, the PR comment), cut to `limit`."""
    head = [MARKER, "### Tenant manifests", ""]
    if result.ok:
        return "\n".join([*head, f"✅ **{summary(result)}**", ""])
    head += [f"❌ **{summary(result)}**: nothing was previewed.", ""]
    rows = ["| Where | Error | Hint |", "|---|---|---|"]
    cut = ""
    for number, issue in enumerate(result.issues):
        row = (
            f"| `{_md_cell(issue.file)}:{issue.line}:{issue.column}` | "
            f"{_md_cell(issue.message)} | {_md_cell(issue.hint or '')} |"
        )
        if sum(len(x) + 1 for x in [*head, *rows, row]) > limit - 200:
            cut = f"\n_…and {len(result.issues) - number} more: run `reconciler validate`._"
            break
        rows.append(row)
    return "\n".join([*head, *rows]) + cut + "\n"


def escape_data(text: str) -> str:
    """Escape a workflow command's message: `%`, CR and LF (in that order, `%` first)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a workflow command's property value: as data, plus `:` and `,`."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


REPORTERS: dict[str, Callable[[ValidationResult], str]] = {
    "text": _text,
    "json": _json,
    "github": _github,
    "markdown": markdown,
}
"""The validation report's formats, by name (`validate --format`, `--markdown-out`)."""
