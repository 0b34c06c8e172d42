"""One repository on GitHub's REST API, with the token that may read or write it.

Only `urllib`: the CI jobs that call GitHub (comments, the deploy's approval check, the
preview's binding) run on the core install. Requests carry GitHub's recommended headers
(https://docs.github.com/rest/about-the-rest-api/api-versions: `X-GitHub-Api-Version`);
listings follow the `Link: <…>; rel="next"` header
(https://docs.github.com/rest/using-the-rest-api/using-pagination-in-the-rest-api).
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from reconciler.settings import GitHubRun, default

DEFAULT_API_URL = default("GITHUB_API_URL")
API_VERSION = "2022-11-28"

_NEXT_LINK = re.compile(r'<([^>]+)>;\s*rel="next"')
_ABSOLUTE = ("/repos/", "/orgs/", "/user")
"""Paths that name their own resource; every other path is relative to the repository."""


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

    @property
    def owner(self) -> str:
        return self.repo.split("/", 1)[0]

    def call(self, method: str, path: str, body: Mapping[str, Any] | None = None) -> Any:
        """One request; `path` is relative to the repository (`/issues/1`) or absolute
        (`/orgs/...`, `/repos/...`, a full URL)."""
        payload, _ = self._send(method, self._url(path), body)
        return payload

    def get(self, path: str) -> Any:
        return self.call("GET", path)

    def pages(self, path: str) -> Iterator[Any]:
        """Every item of a listing, following `Link: rel="next"` headers."""
        url: str | None = self._url(path)
        while url:
            payload, headers = self._send("GET", url, None)
            yield from payload or ()
            found = _NEXT_LINK.search(_header(headers, "Link"))
            url = found.group(1) if found else None

    def _url(self, path: str) -> str:
        if path.startswith(("http://", "https://")):
            return path
        base = self.api_url.rstrip("/")
        if path.startswith(_ABSOLUTE):
            return f"{base}{path}"
        return f"{base}/repos/{self.repo}{path}"

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
                "X-GitHub-Api-Version": API_VERSION,
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


def _header(headers: Mapping[str, str], name: str) -> str:
    """A response header by name, whatever its case."""
    for key, value in headers.items():
        if key.lower() == name.lower():
            return value
    return ""


def _error_message(error: urllib.error.HTTPError) -> str:
    try:
        body = json.loads(error.read() or b"{}")
    except ValueError:
        body = {}
    return str(body.get("message") or error.reason) if isinstance(body, dict) else str(error)


def from_settings(run: GitHubRun) -> GitHub | str:
    """The client a workflow step gets from its settings (`Settings.github`: GITHUB_TOKEN,
    GITHUB_REPOSITORY, GITHUB_API_URL, read at the process's edge), or what is missing."""
    if not run.token or not run.repository:
        return "GITHUB_TOKEN and GITHUB_REPOSITORY must be set (the workflow's github.token)"
    return GitHub(run.repository, run.token, run.api_url)


def teams_client(github: GitHub, token: str) -> GitHub | None:
    """A client for team membership, when a token that can read it is given
    (`RECONCILER_GITHUB_TEAMS_TOKEN`): a workflow's GITHUB_TOKEN has only repository
    scopes, and team membership needs the organisation's Members: read."""
    return GitHub(github.repo, token, github.api_url) if token else None
