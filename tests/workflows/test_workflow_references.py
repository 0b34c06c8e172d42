"""Every document a workflow's comments point people at exists, with the section named
(tenant-apply.yml once sent readers to README.md's "Adopting it", which was gone)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.repo import REPO

GITHUB = REPO / ".github"
FILES = sorted([*GITHUB.glob("workflows/*.yml"), *GITHUB.glob("actions/*/action.yml")])
REFERENCE = re.compile(r"\(((?:docs/)?[\w./-]+\.md)(?:,\s*\"?([^\")]+)\"?)?\)")


def references() -> list[tuple[str, str, str | None]]:
    found = []
    for path in FILES:
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.lstrip().startswith("#"):
                continue
            for target, section in REFERENCE.findall(line):
                found.append((path.name, target, section.strip() or None))
    return found


def sections(path: Path) -> list[str]:
    """Headings and bold lead-ins (`- **Code changes** ...`) a reference may name."""
    text = path.read_text(encoding="utf-8")
    headings = re.findall(r"^#+\s+(.+)$", text, re.M)
    return headings + re.findall(r"^\s*(?:\d+\.|-)\s+\*\*([^*]+)\*\*", text, re.M)


def test_the_finder_sees_references():
    assert ("tenant-apply.yml", "docs/security.md", "Secrets") in references()


@pytest.mark.parametrize(("workflow", "target", "section"), references())
def test_each_reference_names_an_existing_document_and_section(workflow, target, section):
    path = REPO / target
    assert path.is_file(), f"{workflow} points at {target}, which does not exist"
    if section:
        names = [s.lower() for s in sections(path)]
        assert any(section.lower() in name for name in names), (workflow, target, section)


def sentences(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    text = re.sub(r"^\s*#\s?", "", text, flags=re.M)  # YAML comments read as prose
    # Sentences, table cells and paragraphs each stand alone.
    return [" ".join(s.split()) for s in re.split(r"\.\s|\||\n\s*\n", text)]


def test_only_tenant_pr_check_is_ever_required():
    """tenant-preview.yml once said to require "Tenant preview", adopting.md that it is not
    required: pull requests that touch no tenant path never get it."""
    from reconciler.platform_setup.github import REQUIRED_CHECK

    assert REQUIRED_CHECK == "Tenant PR check"
    pages = [*sorted((REPO / "docs").glob("*.md")), REPO / "README.md", *FILES]
    offending = [
        (path.name, sentence)
        for path in pages
        for sentence in sentences(path)
        if "Tenant preview" in sentence
        and re.search(r"\brequire", sentence)
        and not re.search(r"advisory|not a required|never required", sentence)
    ]
    assert offending == []


def test_no_page_sends_anyone_to_create_a_repository_secret():
    """Client secrets live in Secret Manager; no workflow reads a repository secret (test_
    workflow_lint). docs/cli.md once told `new`'s users to create one, adopting.md's example
    commented a `fromEnv` as coming "from a GitHub secret"."""
    pages = [REPO / "docs" / n for n in ("cli.md", "adopting.md", "platform-setup.md")]
    offending = [
        (path.name, sentence)
        for path in [*pages, REPO / "README.md"]
        for sentence in sentences(path)
        if re.search(r"(?i)(repository|github) secret", sentence)
        and not re.search(r"(?i)\bno\b|\bnever\b|there are no", sentence)
    ]
    assert offending == []
