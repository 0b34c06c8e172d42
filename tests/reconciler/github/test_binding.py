"""Which pull request a preview run is for: asked of GitHub (the stand-in answers with
GitHub's shapes), never taken from the event alone."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from reconciler.github.api import GitHub
from reconciler.github.binding import find_binding
from tests.workflows.act.github_api import FakeGitHub

REPO, TOKEN, HEAD, OLD = "acme-ml/tenants", "t", "a" * 40, "b" * 40


@pytest.fixture
def fake() -> Iterator[FakeGitHub]:
    server = FakeGitHub(REPO, TOKEN).start()
    try:
        yield server
    finally:
        server.stop()


def listed(number: int, sha: str = HEAD) -> list[dict]:
    return [{"number": number, "head": {"sha": sha}, "base": {"ref": "main"}}]


def bind(fake: FakeGitHub, event: list[dict]):
    return find_binding(GitHub(REPO, TOKEN, fake.url), event, HEAD)


def test_an_open_pull_request_into_main_at_the_run_head_is_bound(fake: FakeGitHub) -> None:
    fake.open_pull_request(3, "x", head=HEAD)
    assert bind(fake, listed(3)).number == 3


def test_another_base_is_not_previewed(fake: FakeGitHub) -> None:
    # The event's own list says main (GitHub lists any open pull request with this head).
    fake.open_pull_request(3, "x", head=HEAD, base="release")
    binding = bind(fake, listed(3))
    assert not binding.bound
    assert binding.reason.startswith("#3's base is `release`, not main")


def test_a_moved_head_is_left_to_the_newer_run(fake: FakeGitHub) -> None:
    fake.open_pull_request(3, "x", head=OLD)
    binding = bind(fake, listed(3))
    assert not binding.bound and "the run for the newer head previews it" in binding.reason


def test_a_closed_or_forked_pull_request_is_not_previewed(fake: FakeGitHub) -> None:
    fake.open_pull_request(3, "x", head=HEAD, head_repo="mallory/tenants")
    fake.open_pull_request(4, "y", head=HEAD)
    fake.state.pulls[4].state = "closed"
    binding = bind(fake, listed(3) + listed(4))
    assert not binding.bound
    assert "#3 comes from mallory/tenants" in binding.reason and "#4 is closed" in binding.reason


def test_an_empty_event_list_asks_for_the_commit_s_open_pull_requests(fake: FakeGitHub) -> None:
    fake.open_pull_request(5, "x", head=HEAD)
    assert bind(fake, []).number == 5


def test_a_listed_number_with_another_head_is_not_a_candidate(fake: FakeGitHub) -> None:
    fake.open_pull_request(3, "x", head=HEAD)
    fake.open_pull_request(6, "y", head=OLD)
    assert bind(fake, listed(6, OLD) + listed(3)).number == 3
