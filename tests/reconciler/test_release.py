"""What a release carries: the version in one place (pyproject.toml) and everywhere it is
shown (the installed package, `--version`, every report, the changelog's newest section),
and the license pyproject.toml names."""

from __future__ import annotations

import json
import re
import tomllib

from reconciler import version
from reconciler.cli.install import version_text
from reconciler.report.renderers import render
from reconciler.report.results import Outcome, Report
from tests.repo import REPO

PROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def test_the_installed_version_is_pyprojects():
    """Bumping pyproject.toml needs `uv sync` (scripts/bootstrap) for the metadata."""
    assert version() == PROJECT["version"]
    assert version_text().splitlines()[0] == f"reconciler (tenant-gitops) {PROJECT['version']}"


def test_the_changelogs_newest_section_is_this_version():
    text = (REPO / "CHANGELOG.md").read_text(encoding="utf-8")
    sections = re.findall(r"^## (\d+\.\d+\.\d+)", text, re.M)
    assert sections and sections[0] == PROJECT["version"]
    assert len(sections) == len(set(sections))


def test_every_report_names_the_release():
    report = Report("plan", (Outcome("acme", "create", "planned", "new"),))
    assert json.loads(render(report, "json"))["reconcilerVersion"] == PROJECT["version"]
    for fmt in ("text", "markdown"):
        assert f"reconciler {PROJECT['version']}" in render(report, fmt)
    # A report read back keeps the version that wrote it.
    body = {**report.to_json(), "reconcilerVersion": "0.1.9"}
    assert Report.from_json(body).version == "0.1.9"


def test_the_license_is_the_one_pyproject_names():
    assert PROJECT["license"] == {"text": "Apache-2.0"}
    text = (REPO / "LICENSE").read_text(encoding="utf-8")
    assert text.split()[:4] == ["Apache", "License", "Version", "2.0,"]
    assert "END OF TERMS AND CONDITIONS" in text
