"""A fake GitHub REST API on 127.0.0.1: the calls the workflows make, with GitHub's shapes.

The workflows reach it through `GITHUB_API_URL` (act passes `--env GITHUB_API_URL=...` on
to every step). It keeps issues, pull-request comments and which pull requests a commit
belongs to, checks the bearer token (the run's `github.token`), and records every request
so a test can assert what was posted, edited, opened or closed, and by which token.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

BOT = {"login": "github-actions[bot]", "id": 41898282, "type": "Bot"}


@dataclass
class Request:
    """One call as the server saw it."""

    method: str
    path: str
    body: Any
    token: str


@dataclass
class Repository:
    """What one repository holds: issues and pull requests share numbers, as on GitHub."""

    issues: dict[int, dict[str, Any]] = field(default_factory=dict)
    comments: dict[int, dict[str, Any]] = field(default_factory=dict)
    pulls_of_commit: dict[str, list[int]] = field(default_factory=dict)
    statuses: list[dict[str, Any]] = field(default_factory=list)


class FakeGitHub:
    """The server; `url` goes into GITHUB_API_URL, `token` into the run's GITHUB_TOKEN."""

    def __init__(self, repo: str, token: str) -> None:
        self.repo = repo
        self.token = token
        self.state = Repository()
        self.requests: list[Request] = []
        self._ids = itertools.count(1000)
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> FakeGitHub:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    # --- What a scenario sets up ------------------------------------------------------

    def open_pull_request(self, number: int, title: str) -> None:
        with self._lock:
            self.state.issues[number] = self._issue(number, title, "", [], pull=True)

    def merge_pull_request(self, number: int, commit: str) -> None:
        with self._lock:
            self.state.issues[number]["pull_request"]["merged_at"] = "2026-01-01T00:00:00Z"
            self.state.pulls_of_commit.setdefault(commit, []).append(number)

    # --- What a scenario asserts --------------------------------------------------------

    def comments_on(self, number: int) -> list[dict[str, Any]]:
        return [c for c in self.state.comments.values() if c["issue"] == number]

    def issues(self, state: str = "all") -> list[dict[str, Any]]:
        found = [i for i in self.state.issues.values() if "pull_request" not in i]
        return [i for i in found if state == "all" or i["state"] == state]

    def writes(self) -> list[Request]:
        return [r for r in self.requests if r.method != "GET"]

    # --- The API ----------------------------------------------------------------------

    def handle(self, method: str, path: str, query: dict[str, list[str]], body: Any) -> Any:
        prefix = f"/repos/{self.repo}"
        if not path.startswith(prefix + "/"):
            raise _NotFound(path)
        route = path[len(prefix) :]
        with self._lock:
            for pattern, verb, action in self._routes():
                found = re.fullmatch(pattern, route)
                if found and verb == method:
                    return action(*found.groups(), query=query, body=body)
        raise _NotFound(path)

    def _routes(self) -> list[tuple[str, str, Any]]:
        return [
            (r"/issues/(\d+)/comments", "GET", self._list_comments),
            (r"/issues/(\d+)/comments", "POST", self._create_comment),
            (r"/issues/comments/(\d+)", "PATCH", self._edit_comment),
            (r"/commits/([0-9a-f]+)/pulls", "GET", self._pulls_of_commit),
            (r"/issues", "GET", self._list_issues),
            (r"/issues", "POST", self._create_issue),
            (r"/issues/(\d+)", "PATCH", self._edit_issue),
            (r"/statuses/([0-9a-f]{40})", "POST", self._create_status),
        ]

    def _create_status(self, sha: str, body: Any, **_: Any) -> dict[str, Any]:
        status = {"sha": sha, **{k: body.get(k) for k in ("state", "context", "description")}}
        self.state.statuses.append(status)
        return status

    def add_comment(self, number: int, body: str, user: dict[str, Any]) -> int:
        """A comment someone else wrote (e.g. one that quotes the report marker)."""
        with self._lock:
            comment_id = next(self._ids)
            self.state.comments[comment_id] = {
                "id": comment_id,
                "issue": number,
                "body": body,
                "user": dict(user),
                "html_url": f"https://github.invalid/{self.repo}/issues/{number}#c{comment_id}",
            }
            return comment_id

    def _list_comments(self, number: str, **_: Any) -> list[dict[str, Any]]:
        return self.comments_on(self._existing(number)["number"])

    def _create_comment(self, number: str, body: Any, **_: Any) -> dict[str, Any]:
        issue = self._existing(number)
        comment_id = next(self._ids)
        comment = {
            "id": comment_id,
            "issue": issue["number"],
            "body": str(body["body"]),
            "user": BOT,
            "html_url": f"https://github.invalid/{self.repo}/issues/{number}#c{comment_id}",
        }
        self.state.comments[comment_id] = comment
        return comment

    def _edit_comment(self, comment_id: str, body: Any, **_: Any) -> dict[str, Any]:
        comment = self.state.comments.get(int(comment_id))
        if comment is None:
            raise _NotFound(comment_id)
        comment["body"] = str(body["body"])
        return comment

    def _pulls_of_commit(self, sha: str, **_: Any) -> list[dict[str, Any]]:
        numbers = self.state.pulls_of_commit.get(sha, [])
        return [{**self.state.issues[n], **self.state.issues[n]["pull_request"]} for n in numbers]

    def _list_issues(self, query: dict[str, list[str]], **_: Any) -> list[dict[str, Any]]:
        state = query.get("state", ["open"])[0]
        labels = set(filter(None, query.get("labels", [""])[0].split(",")))
        return [
            i
            for i in self.state.issues.values()
            if (state == "all" or i["state"] == state) and labels <= set(i["labels"])
        ]

    def _create_issue(self, body: Any, **_: Any) -> dict[str, Any]:
        number = max(self.state.issues, default=0) + 1
        issue = self._issue(number, body["title"], body.get("body", ""), body.get("labels", []))
        self.state.issues[number] = issue
        return issue

    def _edit_issue(self, number: str, body: Any, **_: Any) -> dict[str, Any]:
        issue = self._existing(number)
        for key in ("title", "body", "state", "state_reason"):
            if key in body:
                issue[key] = body[key]
        return issue

    def _existing(self, number: str) -> dict[str, Any]:
        issue = self.state.issues.get(int(number))
        if issue is None:
            raise _NotFound(number)
        return issue

    @staticmethod
    def _issue(
        number: int, title: str, body: str, labels: list[str], pull: bool = False
    ) -> dict[str, Any]:
        issue: dict[str, Any] = {
            "number": number,
            "title": title,
            "body": body,
            "labels": list(labels),
            "state": "open",
            "user": BOT,
        }
        if pull:
            issue["pull_request"] = {"merged_at": None}
        return issue


class _NotFound(Exception):
    pass


class ApiError(Exception):
    """An error answer with GitHub's shape (`{"message": ...}`) and status (409, 422, ...)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _handler(api: FakeGitHub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            url = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            body = json.loads(raw) if raw else None
            token = self.headers.get("Authorization", "").removeprefix("Bearer ").strip()
            api.requests.append(Request(self.command, url.path, body, token))
            if token != api.token:
                return self._reply(401, {"message": "Bad credentials"})
            try:
                self._reply(200, api.handle(self.command, url.path, parse_qs(url.query), body))
            except _NotFound:
                self._reply(404, {"message": "Not Found"})
            except ApiError as error:
                self._reply(error.status, {"message": error.message})

        def _reply(self, status: int, payload: Any) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PATCH = do_PUT = _serve

        def log_message(self, *args: Any) -> None:  # quiet: the requests list is the log
            pass

    return Handler
