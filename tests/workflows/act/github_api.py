"""A fake GitHub REST API on 127.0.0.1: the calls the workflows make, with GitHub's shapes.

The workflows reach it through `GITHUB_API_URL` (act passes `--env GITHUB_API_URL=...` on
to every step). It keeps issues, comments, pull requests with their reviews, files and
commits, collaborators' permissions, teams, branch protection, rulesets and environments
(github_repo.py holds the state and the shapes). It checks the bearer token, answers as
GitHub does where the workflows' token may not read (403 "Resource not accessible by
integration" for organisation teams and classic branch protection: the token has no
organisation or administration scope), pages listings with `per_page`/`page` and a
`Link: rel="next"` header (https://docs.github.com/rest/using-the-rest-api/using-pagination-in-the-rest-api),
and records every request so a test can assert what was posted, edited or read, and with
which token.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from tests.workflows.act.github_repo import BOT, Pull, Repository, user

__all__ = ["BOT", "ApiError", "FakeGitHub", "Identity", "Request"]

NOT_ACCESSIBLE = "Resource not accessible by integration"


@dataclass
class Request:
    """One call as the server saw it."""

    method: str
    path: str
    body: Any
    token: str


@dataclass(frozen=True)
class Identity:
    """Who a token writes as, and what it may read beyond the repository."""

    login: dict[str, Any]
    org_members: bool = False
    """The organisation's Members: read (a GitHub App's token; never GITHUB_TOKEN)."""
    administration: bool = False
    """The repository's Administration: read (never GITHUB_TOKEN)."""


class ApiError(Exception):
    """An error answer with GitHub's shape (`{"message": ...}`) and status (409, 422, ...)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


_Status = ApiError


class _NotFound(ApiError):
    """404 "Not Found", whatever was missing (`what` is for the reader of a traceback)."""

    def __init__(self, what: str = "") -> None:
        super().__init__(404, "Not Found")
        self.what = what


@dataclass
class _Page:
    """A listing the server pages."""

    items: list[Any]


class FakeGitHub:
    """The server; `url` goes into GITHUB_API_URL, `token` into the run's GITHUB_TOKEN."""

    def __init__(self, repo: str, token: str) -> None:
        self.repo = repo
        self.token = token
        self.tokens: dict[str, Identity] = {token: Identity(BOT)}
        self.state = Repository(repo)
        self.requests: list[Request] = []
        self.max_per_page = 100
        """GitHub's cap on `per_page`; a scenario lowers it to page every listing."""
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

    def open_pull_request(
        self,
        number: int,
        title: str,
        *,
        author: str = "author",
        head: str = "",
        head_ref: str = "",
        base: str = "main",
        head_repo: str = "",
    ) -> Pull:
        with self._lock:
            self.state.issue(number, title, "", [])
            self.state.issues[number]["pull_request"] = {"merged_at": None}
            self.state.issues[number]["user"] = user(author)
            pull = self.state.pulls.get(number) or Pull(number, title, author)
            pull.head_sha, pull.head_ref = head or pull.head_sha, head_ref or pull.head_ref
            pull.base_ref, pull.head_repo = base, head_repo or self.repo
            self.state.pulls[number] = pull
            return pull

    def push(self, number: int, head: str, files: list[dict[str, Any]], commits: list[str]) -> None:
        """The pull request's branch moved to `head`: what it changes, its commits."""
        with self._lock:
            pull = self.state.pulls[number]
            pull.head_sha, pull.files = head, files
            pull.commits = [
                {"sha": sha, "author": user(pull.author), "committer": user(pull.author)}
                for sha in commits
            ]

    def review(self, number: int, login: str, state: str = "APPROVED", at: str = "") -> int:
        """`login` reviews the pull request (at its current head unless `at` is given)."""
        with self._lock:
            self.state.permissions.setdefault(login, "write")
            return self.state.review(number, login, state, at or None)

    def merge_pull_request(
        self, number: int, commit: str, base_sha: str = "", *landed: str, by: str = "merger"
    ) -> None:
        """Merged as `commit` by `by` on github.com (main's update is a `pr_merge`); a rebase
        merge's earlier commits on main are `landed`."""
        with self._lock:
            pull = self.state.pulls[number]
            ref = f"refs/heads/{pull.base_ref}"
            self.state.update_ref(ref, base_sha or pull.base_sha, commit, by, "pr_merge")
            pull.landed = list(landed)
            pull.state, pull.merged_at = "closed", "2026-01-01T00:00:00Z"
            pull.merge_commit_sha, pull.base_sha = commit, base_sha or pull.base_sha
            self.state.issues[number]["pull_request"]["merged_at"] = pull.merged_at
            self.state.issues[number]["state"] = "closed"

    def pushed(self, before: str, after: str, actor: str = "pusher", kind: str = "push") -> None:
        """Someone pushed main from `before` to `after` (no merge button): a `push` entry."""
        with self._lock:
            self.state.update_ref("refs/heads/main", before, after, actor, kind)

    def add_comment(self, number: int, body: str, author: dict[str, Any]) -> int:
        """A comment someone else wrote (e.g. one that quotes the report marker)."""
        with self._lock:
            return self._comment(number, body, author)["id"]

    # --- What a scenario asserts --------------------------------------------------------

    def comments_on(self, number: int) -> list[dict[str, Any]]:
        return [c for c in self.state.comments.values() if c["issue"] == number]

    def issues(self, state: str = "all") -> list[dict[str, Any]]:
        found = [i for i in self.state.issues.values() if "pull_request" not in i]
        return [i for i in found if state == "all" or i["state"] == state]

    def writes(self) -> list[Request]:
        return [r for r in self.requests if r.method != "GET"]

    # --- The API ----------------------------------------------------------------------

    def handle(
        self, method: str, path: str, query: dict[str, list[str]], body: Any, who: Identity
    ) -> Any:
        prefix = f"/repos/{self.repo}"
        route = path[len(prefix) :] if path.startswith(prefix + "/") else path
        with self._lock:
            for pattern, verb, action in self._routes():
                found = re.fullmatch(pattern, route)
                if found and verb == method:
                    return action(*found.groups(), query=query, body=body, who=who)
        raise _Status(404, "Not Found")

    def _routes(self) -> list[tuple[str, str, Callable[..., Any]]]:
        return [
            (r"/issues/(\d+)/comments", "GET", self._list_comments),
            (r"/issues/(\d+)/comments", "POST", self._create_comment),
            (r"/issues/comments/(\d+)", "PATCH", self._edit_comment),
            (r"/commits/([0-9a-f]+)/pulls", "GET", self._pulls_of_commit),
            (r"/issues", "GET", self._list_issues),
            (r"/issues", "POST", self._create_issue),
            (r"/issues/(\d+)", "PATCH", self._edit_issue),
            (r"/statuses/([0-9a-f]{40})", "POST", self._create_status),
            (r"/pulls/(\d+)", "GET", self._get_pull),
            (r"/pulls/(\d+)/reviews", "GET", self._list_reviews),
            (r"/pulls/(\d+)/files", "GET", self._list_files),
            (r"/pulls/(\d+)/commits", "GET", self._list_commits),
            (r"/collaborators/([^/]+)/permission", "GET", self._permission),
            (r"/orgs/([^/]+)/teams/([^/]+)/memberships/([^/]+)", "GET", self._membership),
            (r"/branches/([^/]+)/protection", "GET", self._protection),
            (r"/rules/branches/([^/]+)", "GET", self._rules),
            (r"/environments/([^/]+)", "GET", self._environment),
            (r"/actions/workflows/([^/]+)/runs", "GET", self.state.list_runs),
            (r"/activity", "GET", lambda query, **_: _Page(self.state.list_activity(query))),
        ]

    # Issues and comments (https://docs.github.com/rest/issues).

    def _comment(self, number: int, body: str, author: dict[str, Any]) -> dict[str, Any]:
        comment_id = next(self.state.ids)
        comment = {
            "id": comment_id,
            "issue": number,
            "body": body,
            "user": dict(author),
            "html_url": f"https://github.invalid/{self.repo}/issues/{number}#c{comment_id}",
        }
        self.state.comments[comment_id] = comment
        return comment

    def _list_comments(self, number: str, **_: Any) -> _Page:
        return _Page(self.comments_on(self._existing(number)["number"]))

    def _create_comment(self, number: str, body: Any, who: Identity, **_: Any) -> dict[str, Any]:
        return self._comment(self._existing(number)["number"], str(body["body"]), who.login)

    def _edit_comment(self, comment_id: str, body: Any, **_: Any) -> dict[str, Any]:
        comment = self.state.comments.get(int(comment_id))
        if comment is None:
            raise _Status(404, "Not Found")
        comment["body"] = str(body["body"])
        return comment

    def _list_issues(self, query: dict[str, list[str]], **_: Any) -> _Page:
        state = query.get("state", ["open"])[0]
        labels = set(filter(None, query.get("labels", [""])[0].split(",")))
        return _Page(
            [
                i
                for i in self.state.issues.values()
                if (state == "all" or i["state"] == state) and labels <= set(i["labels"])
            ]
        )

    def _create_issue(self, body: Any, who: Identity, **_: Any) -> dict[str, Any]:
        number = max(self.state.issues, default=0) + 1
        issue = self.state.issue(
            number, body["title"], body.get("body", ""), body.get("labels", [])
        )
        issue["user"] = who.login
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
            raise _Status(404, "Not Found")
        return issue

    def _create_status(self, sha: str, body: Any, who: Identity, **_: Any) -> dict[str, Any]:
        """https://docs.github.com/rest/commits/statuses#create-a-commit-status: `creator` is
        whoever's token set it."""
        status = {"sha": sha, **{k: body.get(k) for k in ("state", "context", "description")}}
        status["creator"] = who.login
        self.state.statuses.append(status)
        return status

    # Pull requests (https://docs.github.com/rest/pulls, .../rest/commits).

    def _pull(self, number: str) -> Pull:
        pull = self.state.pulls.get(int(number))
        if pull is None:
            raise _Status(404, "Not Found")
        return pull

    def _pulls_of_commit(self, sha: str, **_: Any) -> _Page:
        """The merged pull request that brought `sha` to main; for a commit not on main, the
        open pull requests whose head it is (the endpoint's description)."""
        if self.state.unindexed.get(sha, 0) > 0:
            self.state.unindexed[sha] -= 1
            return _Page([])  # not indexed yet
        merged = [p for p in self.state.pulls.values() if sha in (p.merge_commit_sha, *p.landed)]
        listed = merged or [
            p for p in self.state.pulls.values() if p.state == "open" and p.head_sha == sha
        ]
        return _Page([self.state.pull_simple(p) for p in listed])

    def _get_pull(self, number: str, **_: Any) -> dict[str, Any]:
        return self.state.pull_full(self._pull(number))

    def _list_reviews(self, number: str, **_: Any) -> _Page:
        self._pull(number)
        return _Page(list(self.state.reviews.get(int(number), [])))

    def _list_files(self, number: str, **_: Any) -> _Page:
        pull = self._pull(number)
        files = pull.files if pull.listed_files is None else pull.files[: pull.listed_files]
        return _Page(list(files))

    def _list_commits(self, number: str, **_: Any) -> _Page:
        return _Page(list(self._pull(number).commits))

    def _permission(self, login: str, **_: Any) -> dict[str, Any]:
        """https://docs.github.com/rest/collaborators/collaborators#get-repository-permissions-for-a-user
        (404 for a user who is no collaborator)."""
        level = self.state.permissions.get(login)
        if level is None:
            raise _Status(404, f"{login} is not a user")
        return {"permission": level, "role_name": level, "user": user(login)}

    def _membership(
        self, org: str, slug: str, login: str, who: Identity, **_: Any
    ) -> dict[str, Any]:
        """https://docs.github.com/rest/teams/members#get-team-membership-for-a-user: needs
        the organisation's Members permission, which GITHUB_TOKEN never has."""
        if not who.org_members:
            raise _Status(403, NOT_ACCESSIBLE)
        if login not in self.state.teams.get(f"@{org}/{slug}", set()):
            raise _Status(404, "Not Found")
        return {"url": "", "role": "member", "state": "active"}

    # Settings `reconciler doctor` reads.

    def _protection(self, branch: str, who: Identity, **_: Any) -> dict[str, Any]:
        """https://docs.github.com/rest/branches/branch-protection#get-branch-protection:
        "Administration" repository permission (read); 404 "Branch not protected"."""
        if not who.administration:
            raise _Status(403, NOT_ACCESSIBLE)
        if self.state.protection is None or branch != "main":
            raise _Status(404, "Branch not protected")
        return self.state.protection

    def _rules(self, branch: str, **_: Any) -> _Page:
        """https://docs.github.com/rest/repos/rules#get-rules-for-a-branch (Metadata: read)."""
        return _Page(list(self.state.rules) if branch == "main" else [])

    def _environment(self, name: str, **_: Any) -> dict[str, Any]:
        """https://docs.github.com/rest/deployments/environments#get-an-environment
        ("Anyone with read access to the repository can use this endpoint")."""
        found = self.state.environments.get(name)
        if found is None:
            raise _Status(404, "Not Found")
        return found


def _handler(api: FakeGitHub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            url = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            body = json.loads(raw) if raw else None
            token = self.headers.get("Authorization", "").removeprefix("Bearer ").strip()
            api.requests.append(Request(self.command, url.path, body, token))
            who = api.tokens.get(token)
            if who is None:
                return self._reply(401, {"message": "Bad credentials"})
            query = parse_qs(url.query)
            try:
                answer = api.handle(self.command, url.path, query, body, who)
            except ApiError as error:
                return self._reply(error.status, {"message": error.message})
            if not isinstance(answer, _Page):
                return self._reply(200, answer)
            per_page = min(int(query.get("per_page", ["30"])[0]), api.max_per_page)
            page = int(query.get("page", ["1"])[0])
            items = answer.items[(page - 1) * per_page : page * per_page]
            headers = {}
            if page * per_page < len(answer.items):
                following = {k: v[0] for k, v in query.items()} | {"page": str(page + 1)}
                next_url = f"{api.url}{url.path}?{urlencode(following)}"
                headers["Link"] = f'<{next_url}>; rel="next"'
            self._reply(200, items, headers)

        def _reply(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PATCH = do_PUT = _serve

        def log_message(self, *args: Any) -> None:  # quiet: the requests list is the log
            pass

    return Handler
