"""Reporters: text (yamllint style), json, and GitHub workflow commands."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reconciler.manifests.issues import Issue, json_path
from reconciler.manifests.validate import ValidationResult
from reconciler.report.validation import escape_data, escape_property, render_issues

ISSUES = (
    Issue(
        "tenants/a.yaml",
        3,
        9,
        "$.metadata.name",
        "metadata.name: 'A' is not a valid tenant name",
        "use lowercase letters",
    ),
    Issue(
        "tenants/a.yaml",
        12,
        11,
        "$.spec.identityProviders[0].id",
        "spec.identityProviders[0].id: 'googel.com' is not a supported identity-provider id",
        "did you mean 'google.com'?",
    ),
    Issue("tenants/b,c:d.yaml", 1, 1, "$", "50% of\nthe file\r is odd"),
)
FILES = tuple(Path(f"tenants/{name}.yaml") for name in ("a", "b,c:d", "e", "f", "g"))
RESULT = ValidationResult(ISSUES, (), FILES)
CLEAN = ValidationResult((), (), FILES)


def test_text_is_file_line_column_message_with_indented_hints() -> None:
    assert render_issues(RESULT, "text") == (
        "tenants/a.yaml:3:9: metadata.name: 'A' is not a valid tenant name\n"
        "    hint: use lowercase letters\n"
        "tenants/a.yaml:12:11: spec.identityProviders[0].id: 'googel.com' is not a supported "
        "identity-provider id\n"
        "    hint: did you mean 'google.com'?\n"
        "tenants/b,c:d.yaml:1:1: 50% of\nthe file\r is odd\n"
        "2 of 5 manifests invalid, 3 errors\n"
    )


def test_text_summary_when_everything_is_valid() -> None:
    assert render_issues(CLEAN, "text") == "5 manifests valid\n"
    one = ValidationResult((), (), FILES[:1])
    assert render_issues(one, "text") == "1 manifest valid\n"


def test_summary_counts_files_with_issues_even_when_they_were_not_listed() -> None:
    # A PlatformError wrapped in a result has issues but no manifest files.
    result = ValidationResult(ISSUES[:1], (), ())
    assert render_issues(result, "text").splitlines()[-1] == "1 of 1 manifest invalid, 1 error"


def test_json_is_one_versioned_object_with_the_issues() -> None:
    body = json.loads(render_issues(RESULT, "json"))
    assert {k: body[k] for k in ("schemaVersion", "command", "ok", "summary")} == {
        "schemaVersion": 1,
        "command": "validate",
        "ok": False,
        "summary": "2 of 5 manifests invalid, 3 errors",
    }
    assert body["files"][:2] == ["tenants/a.yaml", "tenants/b,c:d.yaml"]
    data = body["issues"]
    assert data[0] == {
        "file": "tenants/a.yaml",
        "line": 3,
        "column": 9,
        "path": "$.metadata.name",
        "message": "metadata.name: 'A' is not a valid tenant name",
        "hint": "use lowercase letters",
        "severity": "error",
    }
    assert [d["hint"] for d in data] == [
        "use lowercase letters",
        "did you mean 'google.com'?",
        None,
    ]
    clean = json.loads(render_issues(CLEAN, "json"))
    assert (clean["ok"], clean["issues"]) == (True, [])


def _many(count: int) -> ValidationResult:
    issues = tuple(
        Issue("tenants/a.yaml", line, 3, "$.x", f"error number {line}", None)
        for line in range(1, count + 1)
    )
    return ValidationResult(issues, (), FILES[:1])


def test_github_annotates_every_error_when_they_fit() -> None:
    lines = render_issues(_many(10), "github").splitlines()
    assert sum(line.startswith("::error ") for line in lines) == 10
    assert not any(line.startswith("::error::") for line in lines)


def test_github_annotation_overflow_says_how_many_more_and_logs_every_error() -> None:
    # The issue's repro: 12 errors in one file, GitHub shows 10 annotations per step.
    lines = render_issues(_many(12), "github").splitlines()
    annotations = [line for line in lines if line.startswith("::error")]
    assert len(annotations) == 10  # nothing beyond what GitHub shows
    assert annotations[-1].startswith("::error::3 more error(s) not annotated")
    assert "job summary" in annotations[-1]
    # The three left out are still in the log, with their location.
    assert "tenants/a.yaml:10:3: error number 10" in lines
    assert "tenants/a.yaml:12:3: error number 12" in lines


def test_markdown_lists_every_error_for_the_summary_and_the_comment() -> None:
    md = render_issues(_many(12), "markdown")
    assert md.startswith("<!-- tenant-gitops-report -->\n")
    for line in range(1, 13):
        assert f"| `tenants/a.yaml:{line}:3` | error number {line} |" in md
    assert "1 of 1 manifest invalid, 12 errors" in md


def test_markdown_is_bounded_and_says_what_it_left_out() -> None:
    from reconciler.report.validation import markdown

    md = markdown(_many(500), limit=3_000)
    assert len(md) <= 3_000
    assert "more: run `reconciler validate`" in md


def test_github_workflow_commands_are_escaped() -> None:
    lines = render_issues(RESULT, "github").splitlines()
    assert lines[0] == (
        "::error file=tenants/a.yaml,line=3,col=9::metadata.name: 'A' is not a valid tenant "
        "name%0Ahint: use lowercase letters"
    )
    # Properties escape `,` and `:` too; the message escapes `%`, CR and LF (`%` first).
    assert (
        lines[2]
        == "::error file=tenants/b%2Cc%3Ad.yaml,line=1,col=1::50%25 of%0Athe file%0D is odd"
    )
    assert lines[3] == "2 of 5 manifests invalid, 3 errors"


@pytest.mark.parametrize(
    ("text", "data", "prop"),
    [("a%0A", "a%250A", "a%250A"), ("x:y,z", "x:y,z", "x%3Ay%2Cz"), ("\r\n", "%0D%0A", "%0D%0A")],
)
def test_escaping_rules(text: str, data: str, prop: str) -> None:
    assert (escape_data(text), escape_property(text)) == (data, prop)


def test_an_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown format 'xml'"):
        render_issues(RESULT, "xml")


@pytest.mark.parametrize(
    ("parts", "path"),
    [
        ([], "$"),
        (["spec", "identityProviders", 0, "id"], "$.spec.identityProviders[0].id"),
        (["metadata", "labels", "cost-center"], "$.metadata.labels['cost-center']"),
        (["a", "it's"], "$.a['it\\'s']"),
    ],
)
def test_json_paths(parts: list[str | int], path: str) -> None:
    assert json_path(parts) == path


def test_json_paths_escape_what_would_break_a_line() -> None:
    assert json_path(["abc\n", "a\tb"]) == "$['abc\\n']['a\\tb']"
