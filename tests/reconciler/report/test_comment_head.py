"""A preview run for an older head never overwrites the newer report (L6): the comment is
posted only while the pull request is open, into main, with the run's commit as its head."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from reconciler.report.comment import main
from tests.workflows.act.github_api import FakeGitHub

REPO, TOKEN, OLD, NEW = "acme-ml/tenants", "t", "a" * 40, "b" * 40


@pytest.fixture
def fake() -> Iterator[FakeGitHub]:
    server = FakeGitHub(REPO, TOKEN).start()
    try:
        yield server
    finally:
        server.stop()


def post(fake: FakeGitHub, tmp_path: Path, sha: str, text: str) -> int:
    body = tmp_path / f"{sha[:4]}.md"
    body.write_text(text)
    environ = {"GITHUB_TOKEN": TOKEN, "GITHUB_REPOSITORY": REPO, "GITHUB_API_URL": fake.url}
    args = ["comment", "--pr", "7", "--sha", sha, "--only-if-head", "--body-file", str(body)]
    return main(args, environ)


def test_a_rerun_for_an_older_head_leaves_the_newer_report(
    fake: FakeGitHub, tmp_path: Path, capsys
) -> None:
    fake.open_pull_request(7, "x", head=NEW)
    assert post(fake, tmp_path, NEW, "the newer report") == 0
    assert post(fake, tmp_path, OLD, "the older report") == 0  # a re-run of the old run
    [comment] = fake.comments_on(7)
    assert "the newer report" in comment["body"] and "the older report" not in comment["body"]
    assert "the run for the newer head previews it" in capsys.readouterr().out


def test_nothing_is_posted_on_a_pull_request_into_another_branch(
    fake: FakeGitHub, tmp_path: Path
) -> None:
    fake.open_pull_request(7, "x", head=NEW, base="release")
    assert post(fake, tmp_path, NEW, "report") == 0
    assert fake.comments_on(7) == []
