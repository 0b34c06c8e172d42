"""Every Markdown the bot writes, fed hostile text (L1): a table of inputs through every
renderer, and the reproduction (an unknown key that mentions a team, injects HTML and a
link in the validation comment)."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from reconciler.manifests.issues import Issue
from reconciler.manifests.validate import ValidationResult, validate_tree
from reconciler.report.comment import provenance, sync_drift_issue
from reconciler.report.renderers import render_markdown
from reconciler.report.results import Outcome, Report, ResourceStep
from reconciler.report.status import Status
from reconciler.report.validation import markdown
from tests.repo import REPO
from tests.workflows.act.github_api import FakeGitHub
from tests.workflows.manifests import tenant

HOSTILE = [
    "@acme/security <img src=x onerror=1> [Approve](https://evil.example)",
    "</details><script>alert(1)</script>",
    "cell | break\nnew row | x",
    "`code` **bold** ~~gone~~ ![img](x)",
    "<!-- tenant-gitops-report -->",
]


def problems(text: str, hostile: str) -> list[str]:
    """What of `hostile` survived as markup in `text`."""
    found = []
    if "<img" in text or "<script" in text or "</details><" in text:
        found.append("raw HTML")
    if re.search(r"(?<![\w&#])@acme", text):
        found.append("a mention")
    if "[Approve](" in text or "![img](" in text:
        found.append("a link or image")
    if "**bold**" in text or "~~gone~~" in text:
        found.append("emphasis")
    if hostile.startswith("<!--") and text.count("<!-- tenant-gitops-report -->") > 1:
        found.append("a second report marker")
    for row in (line for line in text.splitlines() if line.startswith("| ")):
        cells = re.split(r"(?<!\\)\|", row)
        if len(cells) != len(re.split(r"(?<!\\)\|", text.split("\n| ", 1)[1].split("\n")[0])) + 1:
            found.append(f"a broken table row: {row}")
    return found


def validation(hostile: str) -> str:
    issue = Issue(hostile, 3, 4, "$.x", hostile, hostile)
    return markdown(ValidationResult((issue,), (), ()))


def report(hostile: str) -> str:
    step = ResourceStep(hostile, hostile, hostile, (hostile,))
    outcome = Outcome(hostile, hostile, Status.FAILED, hostile, (step,))
    return render_markdown(Report("preview", (outcome,), guard=hostile))


def footer(hostile: str) -> str:
    return provenance(hostile, "https://github.invalid/run/1")


RENDERERS: dict[str, Callable[[str], str]] = {
    "validation comment": validation,
    "preview/apply comment": report,
    "comment footer": footer,
}


@pytest.mark.parametrize("hostile", HOSTILE)
@pytest.mark.parametrize("renderer", sorted(RENDERERS))
def test_hostile_text_renders_as_text(renderer: str, hostile: str) -> None:
    assert problems(RENDERERS[renderer](hostile), hostile) == []


@pytest.fixture
def fake() -> Iterator[FakeGitHub]:
    server = FakeGitHub("acme-ml/tenants", "t").start()
    try:
        yield server
    finally:
        server.stop()


@pytest.mark.parametrize("hostile", HOSTILE)
def test_the_drift_issue_title_and_body_render_as_text(fake: FakeGitHub, hostile: str) -> None:
    drifted = Report("drift", (Outcome(hostile, "drift", Status.DRIFTED, hostile),))
    sync_drift_issue("acme-ml/tenants", drifted, render_markdown(drifted), "t", fake.url)
    [issue] = fake.issues()
    assert problems(issue["title"], hostile) == [] and "\n" not in issue["title"]
    assert problems(issue["body"], hostile) == []


def test_an_unknown_key_lands_escaped_in_the_validation_comment(tmp_path: Path) -> None:
    # The reproduction: a key that mentions a team, injects HTML and a link.
    key = "@acme/security <img src=x onerror=1> [Approve](https://evil.example)"
    shutil.copy(REPO / "platform.yaml", tmp_path / "platform.yaml")
    (tmp_path / "tenants").mkdir()
    text = tenant("acme").replace("spec:\n", f'spec:\n  "{key}": 1\n')
    (tmp_path / "tenants" / "acme.yaml").write_text(text)
    result = validate_tree(tmp_path)
    assert not result.ok and any("@acme/security" in i.message for i in result.issues)
    comment = markdown(result)
    assert problems(comment, key) == [], comment
    assert "&#64;acme/security &lt;img src=x onerror=1&gt; \\[Approve\\]" in comment
