"""What the workflows post: every validation error reaches the pull-request comment (not only
the first 10 annotations), the comment names its commit, and the apply result is its own."""

from __future__ import annotations

from typing import Any

import yaml

from tests.repo import REPO

WORKFLOWS = REPO / ".github" / "workflows"


def steps(workflow: str, job: str) -> list[dict[str, Any]]:
    data = yaml.safe_load((WORKFLOWS / workflow).read_text(encoding="utf-8"))
    return list(data["jobs"][job]["steps"])


def runs(workflow: str, job: str) -> str:
    return "\n".join(str(s.get("run", "")) for s in steps(workflow, job))


def test_validation_errors_travel_to_the_comment() -> None:
    """main's validator (tenant-preview.yml) writes every error as Markdown; when it fails,
    the report job posts that list instead of a bare "no report"."""
    assert '--markdown-out "$RUNNER_TEMP/validate.md"' in runs("tenant-preview.yml", "plan")
    uploads = [
        s
        for s in steps("tenant-preview.yml", "plan")
        if "upload-artifact" in s.get("uses", "") and s["with"]["name"] == "tenant-validate"
    ]
    assert len(uploads) == 1 and uploads[0]["if"] == "${{ failure() }}"
    report = runs("tenant-preview.yml", "report")
    assert "reports/tenant-validate/validate.md" in report and "comment.md" in report


def test_the_preview_comment_names_the_head_commit() -> None:
    poster = "reconciler.report.comment"
    (post,) = [s for s in steps("tenant-preview.yml", "report") if poster in s.get("run", "")]
    assert '--sha "$HEAD_SHA"' in post["run"]
    data = yaml.safe_load((WORKFLOWS / "tenant-preview.yml").read_text(encoding="utf-8"))
    assert data["jobs"]["report"]["env"]["HEAD_SHA"] == "${{ github.event.workflow_run.head_sha }}"


def test_the_apply_result_is_posted_by_commit_as_its_own_comment() -> None:
    text = runs("tenant-apply.yml", "report")
    assert "reconciler.report.comment comment --commit" in text  # --commit means the apply comment
