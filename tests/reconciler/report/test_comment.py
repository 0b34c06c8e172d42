"""The sticky comment and the drift issue against a fake GitHub API on 127.0.0.1.

The fake keeps issues and comments in memory, pages listings two items at a time (so
pagination is exercised) and records every request, so each test can assert both the
resulting state and the exact calls made.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from reconciler.report import comment as gc
from reconciler.report.renderers import COMMENT_LIMIT, MARKER
from reconciler.report.results import Outcome, Report

PREVIEW = gc.comment_marker("preview")
APPLY = gc.comment_marker("apply")
REPO = "acme/tenants"
TOKEN = "test-token"
PAGE = 2
BOT = "github-actions[bot]"  # who the workflow's token writes as


@dataclass
class FakeGitHub:
    """In-memory issues, comments and commit→PR links, plus a log of requests."""

    issues: dict[int, dict[str, Any]] = field(default_factory=dict)
    comments: dict[int, dict[str, Any]] = field(default_factory=dict)
    commit_pulls: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    requests: list[tuple[str, str, dict[str, Any] | None]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    fail_with: int | None = None
    url: str = ""

    def add_issue(self, number: int, body: str, user: str = BOT, **extra: Any) -> None:
        self.issues[number] = {
            "number": number,
            "body": body,
            "state": "open",
            "labels": [{"name": gc.DRIFT_LABEL}],
            "user": {"login": user},
            **extra,
        }

    def add_comment(self, issue: int, body: str, user: str = BOT) -> int:
        cid = 1000 + len(self.comments)
        self.comments[cid] = {"id": cid, "issue": issue, "body": body, "user": {"login": user}}
        return cid

    def writes(self) -> list[tuple[str, str, dict[str, Any] | None]]:
        return [r for r in self.requests if r[0] != "GET"]


def _handler(fake: FakeGitHub) -> type[BaseHTTPRequestHandler]:
    prefix = f"/repos/{REPO}"

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:  # keep test output quiet
            pass

        def _reply(self, status: int, payload: Any, link: str = "") -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            if link:
                self.send_header("Link", link)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _page(self, items: list[Any], query: dict[str, list[str]], path: str) -> None:
            page = int(query.get("page", ["1"])[0])
            chunk = items[(page - 1) * PAGE : page * PAGE]
            link = ""
            if page * PAGE < len(items):
                rest = "&".join(f"{k}={v[0]}" for k, v in query.items() if k != "page")
                link = f'<{fake.url}{path}?{rest}&page={page + 1}>; rel="next"'
            self._reply(200, chunk, link)

        def _handle(self, method: str) -> None:
            parts = urlsplit(self.path)
            query = parse_qs(parts.query)
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length)) if length else None
            fake.requests.append((method, parts.path, body))
            fake.headers.append(dict(self.headers.items()))
            if fake.fail_with:
                self._reply(fake.fail_with, {"message": "Resource not accessible by integration"})
                return
            path = parts.path.removeprefix(prefix)
            segments = path.strip("/").split("/")
            if method == "GET" and segments[0] == "issues" and len(segments) == 3:
                number = int(segments[1])
                items = [c for c in fake.comments.values() if c["issue"] == number]
                self._page(items, query, parts.path)
            elif method == "POST" and segments[0] == "issues" and len(segments) == 3:
                cid = fake.add_comment(int(segments[1]), body["body"])
                self._reply(201, {**fake.comments[cid], "html_url": f"https://x/c/{cid}"})
            elif method == "PATCH" and segments[:2] == ["issues", "comments"]:
                comment = fake.comments[int(segments[2])]
                comment["body"] = body["body"]
                self._reply(200, comment)
            elif method == "GET" and path == "/issues":
                label = query.get("labels", [""])[0]
                items = [
                    i
                    for i in fake.issues.values()
                    if i["state"] == "open" and any(lab["name"] == label for lab in i["labels"])
                ]
                self._page(items, query, parts.path)
            elif method == "POST" and path == "/issues":
                number = max(fake.issues, default=0) + 1
                fake.issues[number] = {
                    "number": number,
                    "state": "open",
                    "title": body["title"],
                    "body": body["body"],
                    "labels": [{"name": n} for n in body["labels"]],
                    "user": {"login": BOT},
                }
                self._reply(201, fake.issues[number])
            elif method == "PATCH" and segments[0] == "issues" and len(segments) == 2:
                fake.issues[int(segments[1])].update(body)
                self._reply(200, fake.issues[int(segments[1])])
            elif method == "GET" and segments[0] == "commits":
                self._reply(200, fake.commit_pulls.get(segments[1], []))
            else:
                self._reply(404, {"message": "Not Found"})

        def do_GET(self) -> None:
            self._handle("GET")

        def do_POST(self) -> None:
            self._handle("POST")

        def do_PATCH(self) -> None:
            self._handle("PATCH")

    return Handler


@pytest.fixture
def fake() -> Iterator[FakeGitHub]:
    state = FakeGitHub()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def report(**statuses: str) -> Report:
    return Report(
        "drift",
        tuple(
            Outcome(tenant=name.replace("_", "-"), action="unchanged", status=status, reason="r")
            for name, status in statuses.items()
        ),
    )


# --- The sticky comment --------------------------------------------------------------


def test_first_report_creates_the_comment(fake: FakeGitHub) -> None:
    gc.upsert_comment(REPO, 7, f"{MARKER}\nfirst", TOKEN, fake.url)
    assert [c["body"] for c in fake.comments.values()] == [f"{PREVIEW}\n{MARKER}\nfirst"]
    assert fake.writes() == [
        ("POST", f"/repos/{REPO}/issues/7/comments", {"body": f"{PREVIEW}\n{MARKER}\nfirst"})
    ]


def test_later_reports_edit_the_same_comment_in_place(fake: FakeGitHub) -> None:
    gc.upsert_comment(REPO, 7, f"{MARKER}\nfirst", TOKEN, fake.url)
    gc.upsert_comment(REPO, 7, f"{MARKER}\nsecond", TOKEN, fake.url)
    assert [c["body"] for c in fake.comments.values()] == [f"{PREVIEW}\n{MARKER}\nsecond"]
    assert fake.writes()[-1][0] == "PATCH"


def test_the_marked_comment_is_found_past_the_first_page(fake: FakeGitHub) -> None:
    for n in range(5):
        fake.add_comment(7, f"review remark {n}")
    mine = fake.add_comment(7, f"{PREVIEW}\n{MARKER}\nold table")
    gc.upsert_comment(REPO, 7, f"{MARKER}\nnew table", TOKEN, fake.url)
    assert fake.comments[mine]["body"] == f"{PREVIEW}\n{MARKER}\nnew table"
    assert len(fake.comments) == 6
    assert sum(1 for r in fake.requests if r[0] == "GET") == 3  # 6 comments, 2 per page


def test_a_quote_of_the_marker_is_not_our_comment(fake: FakeGitHub) -> None:
    quoted = fake.add_comment(7, f"> {MARKER}\n> the table said failed, why?")
    gc.upsert_comment(REPO, 7, f"{MARKER}\ntable", TOKEN, fake.url)
    assert fake.comments[quoted]["body"].startswith("> ")
    assert len(fake.comments) == 2


def test_someone_elses_comment_with_the_marker_is_not_edited(fake: FakeGitHub) -> None:
    planted = fake.add_comment(7, f"{MARKER}\nlooks like the report", user="mallory")
    gc.upsert_comment(REPO, 7, f"{MARKER}\ntable", TOKEN, fake.url)
    assert fake.comments[planted]["body"] == f"{MARKER}\nlooks like the report"
    assert [c["body"] for c in fake.comments.values() if c["user"]["login"] == BOT] == [
        f"{gc.comment_marker('preview')}\n{MARKER}\ntable"
    ]


@pytest.mark.parametrize(
    ("login", "body", "ours"),
    [
        (BOT, f"{MARKER}\ntable", True),
        ("mallory", f"{MARKER}\ntable", False),
        (BOT, f"> {MARKER}", False),
        (None, f"{MARKER}\ntable", False),
    ],
)
def test_is_ours_needs_the_marker_and_the_bot(login: str | None, body: str, ours: bool) -> None:
    item = {"body": body, **({"user": {"login": login}} if login else {})}
    assert gc.is_ours(item) is ours


def test_the_drift_issue_title_escapes_what_the_report_says(fake: FakeGitHub) -> None:
    gc.sync_drift_issue(REPO, report(**{"<b>@team": "drifted"}), "table", TOKEN, fake.url)
    [issue] = fake.issues.values()
    assert "&lt;b&gt;&#64;team" in issue["title"] and "@team" not in issue["title"]


def test_comments_on_other_pull_requests_are_left_alone(fake: FakeGitHub) -> None:
    other = fake.add_comment(8, f"{MARKER}\nanother PR's table")
    gc.upsert_comment(REPO, 7, f"{MARKER}\ntable", TOKEN, fake.url)
    assert fake.comments[other]["body"] == f"{MARKER}\nanother PR's table"


def test_a_body_without_the_marker_gets_it(fake: FakeGitHub) -> None:
    gc.upsert_comment(REPO, 7, "plain text", TOKEN, fake.url)
    assert next(iter(fake.comments.values()))["body"] == f"{PREVIEW}\n{MARKER}\nplain text"


def test_an_oversized_body_is_cut_to_the_limit(fake: FakeGitHub) -> None:
    gc.upsert_comment(REPO, 7, MARKER + "x" * (COMMENT_LIMIT * 2), TOKEN, fake.url)
    body = next(iter(fake.comments.values()))["body"]
    assert len(body) <= COMMENT_LIMIT
    assert body.startswith(f"{PREVIEW}\n{MARKER}") and "cut to fit" in body


def test_a_comment_from_before_kinds_is_taken_over_as_the_preview(fake: FakeGitHub) -> None:
    legacy = fake.add_comment(7, f"{MARKER}\nold table")
    gc.upsert_comment(REPO, 7, f"{MARKER}\nnew table", TOKEN, fake.url)
    assert fake.comments[legacy]["body"] == f"{PREVIEW}\n{MARKER}\nnew table"
    assert len(fake.comments) == 1


def test_the_apply_result_gets_its_own_comment_and_keeps_the_preview(fake: FakeGitHub) -> None:
    # The issue's repro: the apply result overwrote the preview.
    gc.upsert_comment(REPO, 7, f"{MARKER}\npreview table", TOKEN, fake.url)
    gc.upsert_comment(REPO, 7, f"{MARKER}\napplied", TOKEN, fake.url, kind="apply")
    gc.upsert_comment(REPO, 7, f"{MARKER}\napplied again", TOKEN, fake.url, kind="apply")
    bodies = sorted(c["body"] for c in fake.comments.values())
    assert bodies == sorted(
        [f"{PREVIEW}\n{MARKER}\npreview table", f"{APPLY}\n{MARKER}\napplied again"]
    )


def test_the_footer_survives_cutting(fake: FakeGitHub) -> None:
    footer = gc.provenance("0123456789abcdef0123", "https://github.com/acme/tenants/actions/runs/5")
    gc.upsert_comment(REPO, 7, MARKER + "x" * (COMMENT_LIMIT * 2), TOKEN, fake.url, footer=footer)
    body = next(iter(fake.comments.values()))["body"]
    assert len(body) <= COMMENT_LIMIT and body.endswith(footer)


@pytest.mark.parametrize(
    ("sha", "run", "expected"),
    [
        (
            "0123456789abcdef",
            "https://x/runs/5",
            "For commit `0123456789ab` · [workflow run](https://x/runs/5).",
        ),
        ("0123456789abcdef", "", "For commit `0123456789ab`."),
        ("", "https://x/runs/5", "For [workflow run](https://x/runs/5)."),
    ],
)
def test_provenance_names_the_commit_and_the_run(sha: str, run: str, expected: str) -> None:
    assert expected in gc.provenance(sha, run)
    assert gc.provenance("", "") == ""


def test_requests_carry_the_token_and_api_version(fake: FakeGitHub) -> None:
    gc.upsert_comment(REPO, 7, "x", TOKEN, fake.url)
    for sent in fake.headers:
        lowered = {k.lower(): v for k, v in sent.items()}
        assert lowered["authorization"] == f"Bearer {TOKEN}"
        assert lowered["x-github-api-version"] == "2022-11-28"
        assert lowered["accept"] == "application/vnd.github+json"


def test_an_api_refusal_is_an_error_with_status_and_message(fake: FakeGitHub) -> None:
    fake.fail_with = 403
    with pytest.raises(gc.GitHubError) as caught:
        gc.upsert_comment(REPO, 7, "x", TOKEN, fake.url)
    assert caught.value.status == 403
    assert caught.value.message == "Resource not accessible by integration"


def test_an_unreachable_api_is_an_error() -> None:
    with pytest.raises(gc.GitHubError) as caught:
        gc.upsert_comment(REPO, 7, "x", TOKEN, "http://127.0.0.1:9")
    assert caught.value.status == 0


def test_the_merged_pull_request_of_a_commit(fake: FakeGitHub) -> None:
    fake.commit_pulls["abc"] = [
        {"number": 3, "merged_at": None},
        {"number": 4, "merged_at": "2026-01-01T00:00:00Z"},
    ]
    assert gc.pull_request_for_commit(REPO, "abc", TOKEN, fake.url) == 4
    assert gc.pull_request_for_commit(REPO, "direct-push", TOKEN, fake.url) is None


# --- The drift issue -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        ({"a": "in-sync", "b": "in-sync"}, gc.CLOSE),
        ({"a": "in-sync", "b": "drifted"}, gc.OPEN),
        ({"a": "drifted", "b": "failed"}, gc.OPEN),
        ({"a": "in-sync", "b": "failed"}, gc.KEEP),
        ({"a": "in-sync", "b": "cancelled"}, gc.KEEP),
        ({"a": "in-sync", "b": "planned"}, gc.CLOSE),  # not deployed yet: nothing to drift
        ({}, gc.CLOSE),
    ],
)
def test_drift_action(statuses: dict[str, str], expected: str) -> None:
    assert gc.drift_action(report(**statuses)) == expected


def test_drift_opens_one_labelled_issue(fake: FakeGitHub) -> None:
    done = gc.sync_drift_issue(REPO, report(a="drifted", b="in-sync"), "table", TOKEN, fake.url)
    assert done == "opened #1"
    issue = fake.issues[1]
    assert issue["labels"] == [{"name": gc.DRIFT_LABEL}]
    assert issue["body"] == f"{MARKER}\ntable"
    assert "(a)" in issue["title"]


def test_drift_again_updates_the_open_issue(fake: FakeGitHub) -> None:
    fake.add_issue(5, f"{MARKER}\nold", title="t")
    done = gc.sync_drift_issue(
        REPO, report(a="drifted", c="drifted"), f"{MARKER}\nnew", TOKEN, fake.url
    )
    assert done == "updated #5"
    assert list(fake.issues) == [5]
    assert fake.issues[5]["body"] == f"{MARKER}\nnew"
    assert fake.issues[5]["title"].endswith("(a, c)")


def test_a_clean_check_closes_the_issue_with_a_note(fake: FakeGitHub) -> None:
    fake.add_issue(5, f"{MARKER}\nold")
    done = gc.sync_drift_issue(REPO, report(a="in-sync"), "clean", TOKEN, fake.url)
    assert done == "closed #5"
    assert fake.issues[5]["state"] == "closed"
    assert fake.issues[5]["state_reason"] == "completed"
    assert [c["issue"] for c in fake.comments.values()] == [5]


def test_a_clean_check_without_an_issue_writes_nothing(fake: FakeGitHub) -> None:
    gc.sync_drift_issue(REPO, report(a="in-sync"), "clean", TOKEN, fake.url)
    assert fake.writes() == []


def test_a_partial_check_never_closes_the_issue(fake: FakeGitHub) -> None:
    fake.add_issue(5, f"{MARKER}\nold")
    gc.sync_drift_issue(REPO, report(a="in-sync", b="failed"), "partial", TOKEN, fake.url)
    assert fake.writes() == []
    assert fake.issues[5]["state"] == "open"


def test_someone_elses_labelled_issue_is_not_taken_over(fake: FakeGitHub) -> None:
    fake.add_issue(4, f"{MARKER}\na planted look-alike", user="mallory")
    fake.add_issue(5, "a person's notes about drift")
    fake.add_issue(6, f"{MARKER}\nold", pull_request={"url": "x"})
    gc.sync_drift_issue(REPO, report(a="drifted"), "table", TOKEN, fake.url)
    assert fake.issues[4]["body"] == f"{MARKER}\na planted look-alike"
    assert fake.issues[5]["body"] == "a person's notes about drift"
    assert fake.issues[7]["body"] == f"{MARKER}\ntable"


# --- Command line --------------------------------------------------------------------


def env(fake: FakeGitHub, **extra: str) -> dict[str, str]:
    return {"GITHUB_TOKEN": TOKEN, "GITHUB_REPOSITORY": REPO, "GITHUB_API_URL": fake.url, **extra}


def test_cli_posts_the_body_file(fake: FakeGitHub, tmp_path: Path) -> None:
    body = tmp_path / "comment.md"
    body.write_text(f"{MARKER}\n| table |\n", encoding="utf-8")
    environ = env(
        fake, GITHUB_SERVER_URL="https://github.com", GITHUB_RUN_ID="42", GITHUB_SHA="f" * 40
    )
    head = "a1b2c3d4e5f6" + "0" * 28
    assert gc.main(["comment", "--pr", "7", "--body-file", str(body), "--sha", head], environ) == 0
    posted = next(iter(fake.comments.values()))["body"]
    assert posted.startswith(f"{PREVIEW}\n{MARKER}\n| table |\n")
    # The commit it describes (the pull request's head, not the merge ref) and the run.
    assert "commit `a1b2c3d4e5f6`" in posted
    assert f"[workflow run](https://github.com/{REPO}/actions/runs/42)" in posted


def test_cli_posts_a_note_when_the_run_made_no_report(fake: FakeGitHub, tmp_path: Path) -> None:
    environ = env(fake, GITHUB_SERVER_URL="https://github.com", GITHUB_RUN_ID="42")
    missing = tmp_path / "none.md"
    assert gc.main(["comment", "--pr", "7", "--body-file", str(missing)], environ) == 0
    body = next(iter(fake.comments.values()))["body"]
    assert body.startswith(f"{PREVIEW}\n{MARKER}")
    assert "No report was produced" in body
    assert f"https://github.com/{REPO}/actions/runs/42" in body


def test_cli_comments_on_the_merged_pull_request(fake: FakeGitHub, tmp_path: Path) -> None:
    fake.commit_pulls["abc"] = [{"number": 9, "merged_at": "2026-01-01T00:00:00Z"}]
    body = tmp_path / "apply.md"
    body.write_text(f"{MARKER}\napplied", encoding="utf-8")
    fake.add_comment(9, f"{PREVIEW}\n{MARKER}\npreview")
    assert gc.main(["comment", "--commit", "abc", "--body-file", str(body)], env(fake)) == 0
    applied = [c for c in fake.comments.values() if c["body"].startswith(APPLY)]
    assert [c["issue"] for c in applied] == [9]
    assert "commit `abc`" in applied[0]["body"]
    assert f"{PREVIEW}\n{MARKER}\npreview" in [c["body"] for c in fake.comments.values()]
    assert gc.main(["comment", "--commit", "zzz", "--body-file", str(body)], env(fake)) == 0
    assert len(fake.comments) == 2


def test_cli_syncs_the_drift_issue(fake: FakeGitHub, tmp_path: Path) -> None:
    drift = tmp_path / "drift.json"
    drift.write_text(json.dumps(report(a="drifted").to_json()), encoding="utf-8")
    body = tmp_path / "drift.md"
    body.write_text(f"{MARKER}\ndrift table", encoding="utf-8")
    argv = ["drift-issue", "--report", str(drift), "--body-file", str(body)]
    assert gc.main(argv, env(fake)) == 0
    assert fake.issues[1]["body"] == f"{MARKER}\ndrift table"


def test_cli_needs_a_token(fake: FakeGitHub, tmp_path: Path) -> None:
    environ = env(fake)
    del environ["GITHUB_TOKEN"]
    assert gc.main(["comment", "--pr", "7"], environ) == 2
    assert fake.requests == []


def test_cli_reports_api_errors_with_exit_2(
    fake: FakeGitHub, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.fail_with = 404
    assert gc.main(["comment", "--pr", "7"], env(fake)) == 2
    assert "404" in capsys.readouterr().err


def test_cli_rejects_an_unreadable_report(fake: FakeGitHub, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    argv = ["drift-issue", "--report", str(bad), "--body-file", str(bad)]
    assert gc.main(argv, env(fake)) == 2
    assert fake.writes() == []
