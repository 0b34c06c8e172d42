"""Reporters: text (yamllint style), json, and GitHub workflow commands."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reconciler.manifests.issues import Issue, json_path
from reconciler.manifests.report import escape_data, escape_property, render_issues
from reconciler.manifests.validate import ValidationResult

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


def test_json_is_a_list_of_issue_objects() -> None:
    data = json.loads(render_issues(RESULT, "json"))
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
    assert json.loads(render_issues(CLEAN, "json")) == []


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
