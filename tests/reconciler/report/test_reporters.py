"""Two kinds of report (a run's, a validation's), one way to choose a reporter (a table by
name), one comment size limit, one marker for CI to find its comment by."""

from __future__ import annotations

import pytest

from reconciler.manifests.validate import ValidationResult
from reconciler.report import renderers, validation
from reconciler.report.comment import is_ours
from reconciler.report.markdown import COMMENT_LIMIT, MARKER
from reconciler.report.results import Outcome, Report
from tests.repo import REPO

REPORT = Report("plan", (Outcome("a", "create", "planned", "new manifest"),))
RESULT = ValidationResult(issues=(), tenants=(), files=())


def test_the_marker_and_the_limit_are_defined_once() -> None:
    sources = [p.read_text(encoding="utf-8") for p in (REPO / "reconciler").rglob("*.py")]
    assert sum(text.count("tenant-gitops-report -->") for text in sources) == 1
    assert sum(text.count("65_536") for text in sources) == 1


@pytest.mark.parametrize("fmt", sorted(renderers.REPORTERS))
def test_every_run_reporter_is_chosen_by_name(fmt: str) -> None:
    assert renderers.render(REPORT, fmt) == renderers.REPORTERS[fmt](REPORT)


def test_an_unknown_format_names_the_choices() -> None:
    with pytest.raises(ValueError, match="text, json, markdown"):
        renderers.render(REPORT, "xml")


def test_both_markdown_reports_carry_the_marker_the_comment_is_found_by() -> None:
    bot = {"login": "github-actions[bot]"}
    for body in (
        renderers.render(REPORT, "markdown"),
        validation.render_issues(RESULT, "markdown"),
    ):
        assert body.startswith(MARKER)
        assert is_ours({"user": bot, "body": body})


def test_both_markdown_reports_fit_the_one_limit_by_default() -> None:
    many = Report(
        "apply", tuple(Outcome(f"t{i:05}", "update", "failed", "x" * 300) for i in range(3000))
    )
    assert len(renderers.render_markdown(many)) <= COMMENT_LIMIT
