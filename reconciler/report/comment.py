"""The sticky pull-request comment and the drift issue, through GitHub's REST API.

CI glue, kept out of the workflow files so it can be tested: `upsert_comment` keeps one
comment per pull request and kind (found by its marker AND its author, the workflow's bot
identity, so nobody else's comment is ever edited; edited in place on every push): the
preview comment, and a separate apply comment after the merge, so the apply result never
overwrites the preview it came from. Each comment ends with the commit it describes and a
link to the workflow run;
`sync_drift_issue` keeps one open issue listing drifted tenants and closes it once a
complete drift check comes back clean. Only `urllib` and the job's `GITHUB_TOKEN`;
`python -m reconciler.report.comment` is the entry the workflows call.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reconciler.report.markdown import COMMENT_LIMIT, MARKER, escape
from reconciler.report.results import Report
from reconciler.report.status import EXIT_OK, EXIT_USAGE, Status
from reconciler.settings import GitHubRun, default, read_settings

DEFAULT_API_URL = default("GITHUB_API_URL")
BOT_LOGIN = "github-actions[bot]"
"""Who writes the comment and the issue: the identity of the workflows' GITHUB_TOKEN."""
DRIFT_LABEL = "tenant-drift"
DRIFT_TITLE = "Tenant drift: deployed resources differ from git"

KINDS = ("preview", "apply")
"""Report comments a pull request carries, each kept up to date on its own."""

OPEN, CLOSE, KEEP = "open", "close", "keep"
"""What a drift report means for the drift issue (see `drift_action`)."""

_NEXT_LINK = re.compile(r'<([^>]+)>;\s*rel="next"')
_TRUNCATED = (
    "\n\n_…cut to fit GitHub's comment limit; the full report is in the run's artifacts._\n"
)


class GitHubError(Exception):
    """The API refused a request or could not be reached; `status` is 0 when unreachable."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"GitHub API: {status or 'unreachable'}: {message}")
        self.status = status
        self.message = message


@dataclass(frozen=True)
class GitHub:
    """One repository on one API endpoint, with the token that may act on it."""

    repo: str
    """`owner/name`."""
    token: str
    api_url: str = DEFAULT_API_URL
    timeout: float = 30.0

    def call(self, method: str, path: str, body: Mapping[str, Any] | None = None) -> Any:
        """One request; `path` is relative to the repository (`/issues/1`) or absolute."""
        payload, _ = self._send(method, self._url(path), body)
        return payload

    def pages(self, path: str) -> Iterator[Any]:
        """Every item of a listing, following `Link: rel="next"` headers."""
        url: str | None = self._url(path)
        while url:
            payload, headers = self._send("GET", url, None)
            yield from payload
            found = _NEXT_LINK.search(headers.get("Link", ""))
            url = found.group(1) if found else None

    def _url(self, path: str) -> str:
        if path.startswith(("http://", "https://")):
            return path
        return f"{self.api_url.rstrip('/')}/repos/{self.repo}{path}"

    def _send(
        self, method: str, url: str, body: Mapping[str, Any] | None
    ) -> tuple[Any, Mapping[str, str]]:
        data = json.dumps(body).encode("utf-8") if body is not None else None
        request = urllib.request.Request(
            url,
            data=data,
            method=method,
            headers={
                "Accept": "application/vnd.github+json",
                "Authorization": f"Bearer {self.token}",
                "X-GitHub-Api-Version": "2022-11-28",
                "User-Agent": "tenant-gitops-reconciler",
                **({"Content-Type": "application/json"} if data is not None else {}),
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                raw = response.read()
                headers = dict(response.headers.items())
        except urllib.error.HTTPError as error:
            raise GitHubError(error.code, _error_message(error)) from None
        except (urllib.error.URLError, OSError) as error:
            raise GitHubError(0, str(getattr(error, "reason", error))) from None
        return (json.loads(raw) if raw.strip() else None), headers


def _error_message(error: urllib.error.HTTPError) -> str:
    try:
        body = json.loads(error.read() or b"{}")
    except ValueError:
        body = {}
    return str(body.get("message") or error.reason)


def fit(body: str, limit: int = COMMENT_LIMIT) -> str:
    """The body cut to GitHub's limit (the reports already fit; this is a last guard)."""
    if len(body) <= limit:
        return body
    return body[: limit - len(_TRUNCATED)] + _TRUNCATED


def _author(item: Mapping[str, Any]) -> str | None:
    user = item.get("user")
    return user.get("login") if isinstance(user, Mapping) else None


def is_ours(item: Mapping[str, Any], author: str = BOT_LOGIN) -> bool:
    """Whether a comment or issue is the report's: it starts with the marker AND the bot
    wrote it. Anyone can paste the marker; only the workflow's token writes as the bot."""
    return _author(item) == author and str(item.get("body") or "").startswith(MARKER)


def comment_marker(kind: str) -> str:
    """The first line of a report comment of this kind (hidden in the rendered comment)."""
    return f"<!-- tenant-gitops-comment:{kind} -->"


def is_comment_of(item: Mapping[str, Any], kind: str, author: str = BOT_LOGIN) -> bool:
    """The bot's report comment of this kind. A comment from before kinds existed (it starts
    with the report marker itself) was the preview comment. Never someone else's comment,
    whatever marker they pasted."""
    if _author(item) != author:
        return False
    body = str(item.get("body") or "")
    return body.startswith(comment_marker(kind)) or (kind == "preview" and body.startswith(MARKER))


def provenance(sha: str, run_url: str) -> str:
    """The comment's last line: which commit it describes and which run produced it."""
    parts = []
    if sha:
        parts.append(f"commit `{sha[:12]}`")
    if run_url:
        parts.append(f"[workflow run]({run_url})")
    return f"\n---\n<sub>For {' · '.join(parts)}.</sub>\n" if parts else ""


# --- The sticky pull-request comment -------------------------------------------------


def upsert_comment(
    repo: str,
    pr_number: int,
    body: str,
    token: str,
    api_url: str = DEFAULT_API_URL,
    kind: str = "preview",
    footer: str = "",
) -> dict[str, Any]:
    """Edit the pull request's report comment of `kind` in place, or create it the first time.

    The comment is the first one whose body starts with the kind's marker, so a quote
    of it in someone's reply is never mistaken for it. `footer` (see `provenance`) is kept
    whole when the body is cut to fit. Returns the comment.
    """
    github = GitHub(repo, token, api_url)
    marker = comment_marker(kind)
    report = body if body.startswith(MARKER) else f"{MARKER}\n{body}"
    text = fit(f"{marker}\n{report}", COMMENT_LIMIT - len(footer)) + footer
    mine = next(
        (
            c
            for c in github.pages(f"/issues/{pr_number}/comments?per_page=100")
            if is_comment_of(c, kind)
        ),
        None,
    )
    if mine is None:
        return dict(github.call("POST", f"/issues/{pr_number}/comments", {"body": text}))
    return dict(github.call("PATCH", f"/issues/comments/{mine['id']}", {"body": text}))


def pull_request_for_commit(
    repo: str, sha: str, token: str, api_url: str = DEFAULT_API_URL
) -> int | None:
    """The merged pull request that brought `sha` in, if any (a direct push has none)."""
    pulls = GitHub(repo, token, api_url).call("GET", f"/commits/{sha}/pulls") or []
    merged = [p for p in pulls if p.get("merged_at")]
    chosen = (merged or pulls or [None])[0]
    return int(chosen["number"]) if chosen else None


# --- The drift issue -----------------------------------------------------------------


def drift_action(report: Report) -> str:
    """OPEN when a tenant drifted; CLOSE only when every tenant was checked and is in sync.

    A tenant whose check failed or was cancelled leaves the question open (KEEP): an issue
    is never closed on a partial picture.
    """
    if report.count(Status.DRIFTED):
        return OPEN
    if any(o.status.incomplete for o in report.outcomes):
        return KEEP
    return CLOSE


def drifted_tenants(report: Report) -> list[str]:
    return sorted(o.tenant for o in report.outcomes if o.status == Status.DRIFTED)


def sync_drift_issue(
    repo: str,
    report: Report,
    body: str,
    token: str,
    api_url: str = DEFAULT_API_URL,
) -> str:
    """Open, update or close the one drift issue to match `report`; returns what it did.

    The issue is the open one labelled `tenant-drift` whose body starts with the report
    marker; `body` (the Markdown drift report) becomes its text.
    """
    github = GitHub(repo, token, api_url)
    action = drift_action(report)
    issue = next(
        (
            i
            for i in github.pages(f"/issues?state=open&labels={DRIFT_LABEL}&per_page=100")
            if "pull_request" not in i and is_ours(i)
        ),
        None,
    )
    text = fit(body if body.startswith(MARKER) else f"{MARKER}\n{body}")
    if action == OPEN:
        title = f"{DRIFT_TITLE} ({escape(', '.join(drifted_tenants(report)))})"[:256]
        if issue is None:
            created = github.call(
                "POST", "/issues", {"title": title, "body": text, "labels": [DRIFT_LABEL]}
            )
            return f"opened #{created['number']}"
        github.call("PATCH", f"/issues/{issue['number']}", {"title": title, "body": text})
        return f"updated #{issue['number']}"
    if action == CLOSE and issue is not None:
        github.call(
            "POST",
            f"/issues/{issue['number']}/comments",
            {"body": "Every tenant is back in sync with git; closing."},
        )
        github.call(
            "PATCH", f"/issues/{issue['number']}", {"state": "closed", "state_reason": "completed"}
        )
        return f"closed #{issue['number']}"
    if action == KEEP:
        return "left as is: some tenants could not be checked"
    return "nothing to do: no drift and no open drift issue"


# --- Command line --------------------------------------------------------------------


def _body(path: Path | None, github: GitHubRun) -> str:
    """The report to post; when the run produced none, a short note that says so."""
    text = path.read_text(encoding="utf-8") if path and path.is_file() else ""
    if text.strip():
        return text
    run = github.run_url
    where = f" See [the workflow run]({run})." if run else ""
    return (
        f"{MARKER}\n### Tenant report\n\n❌ **No report was produced**: validation or planning "
        f"failed before any tenant was previewed.{where}\n"
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m reconciler.report.comment",
        description="Post the sticky pull-request comment or sync the drift issue. Reads "
        "GITHUB_TOKEN, GITHUB_REPOSITORY and GITHUB_API_URL from the environment.",
    )
    parser.add_argument("--repo", help="owner/name (default: $GITHUB_REPOSITORY)")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("comment", help="create or edit the pull request's report comment")
    target = p.add_mutually_exclusive_group(required=True)
    target.add_argument("--pr", type=int, help="pull request number")
    target.add_argument("--commit", help="comment on the pull request that merged this commit")
    p.add_argument("--body-file", type=Path, help="Markdown report (missing or empty: a note)")
    p.add_argument(
        "--kind",
        choices=KINDS,
        help="which comment to keep up to date (default: preview with --pr, apply with --commit)",
    )
    p.add_argument(
        "--sha",
        help="the commit the report describes (default: --commit, else $GITHUB_SHA)",
    )
    p = sub.add_parser("drift-issue", help="open, update or close the drift issue")
    p.add_argument("--report", type=Path, required=True, help="JSON drift report")
    p.add_argument("--body-file", type=Path, required=True, help="Markdown drift report")
    return parser


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    """The workflows' entry: this process's edge, where its settings are read (from
    `environ` in tests, else the environment)."""
    github = read_settings(environ).github
    args = _parser().parse_args(argv)
    token = github.token
    repo = args.repo or github.repository
    api_url = github.api_url
    if not token or not repo:
        print(
            "github_comment: GITHUB_TOKEN and a repository (--repo or GITHUB_REPOSITORY) "
            "are required",
            file=sys.stderr,
        )
        return EXIT_USAGE
    try:
        if args.command == "comment":
            number = args.pr or pull_request_for_commit(repo, args.commit, token, api_url)
            if number is None:
                print(f"no pull request brought in {args.commit}; nothing to comment on")
                return EXIT_OK
            kind = args.kind or ("apply" if args.commit else "preview")
            sha = args.sha or args.commit or github.sha
            comment = upsert_comment(
                repo,
                number,
                _body(args.body_file, github),
                token,
                api_url,
                kind=kind,
                footer=provenance(sha, github.run_url),
            )
            print(f"report comment on #{number}: {comment.get('html_url', comment.get('id'))}")
            return EXIT_OK
        report = Report.from_json(json.loads(args.report.read_text(encoding="utf-8")))
        body = args.body_file.read_text(encoding="utf-8")
        print(f"drift issue: {sync_drift_issue(repo, report, body, token, api_url)}")
        return EXIT_OK
    except GitHubError as error:
        print(f"github_comment: {error}", file=sys.stderr)
    except (OSError, ValueError, KeyError) as error:
        print(f"github_comment: cannot read the report: {error}", file=sys.stderr)
    return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
