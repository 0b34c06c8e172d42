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
    assert '--format github --markdown-out "$RUNNER_TEMP/validate.md"' in runs(
        "tenant-pr.yml", "validate"
    )
    uploads = [
        s for s in steps("tenant-pr.yml", "validate") if "upload-artifact" in s.get("uses", "")
    ]
    assert [u["with"]["name"] for u in uploads] == ["tenant-validate"]
    assert uploads[0]["if"] == "${{ !cancelled() }}"  # above all when validation failed
    report = runs("tenant-pr.yml", "report")
    assert "reports/tenant-validate/validate.md" in report and "comment.md" in report


def test_the_preview_comment_names_the_head_commit() -> None:
    (post,) = [s for s in steps("tenant-pr.yml", "report") if "github_comment" in s.get("run", "")]
    assert '--sha "$HEAD_SHA"' in post["run"]
    assert post["env"]["HEAD_SHA"] == "${{ github.event.pull_request.head.sha }}"


def test_the_apply_result_is_posted_by_commit_as_its_own_comment() -> None:
    text = runs("tenant-apply.yml", "report")
    assert "github_comment comment --commit" in text  # --commit means the apply comment
