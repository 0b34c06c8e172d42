"""Set the "Tenant preview" commit status on a pull request's head commit.

tenant-preview.yml runs from the default branch (workflow_run), so its result is not a
check of the pull request; this status is, and branch protection can require it. Reads
GITHUB_TOKEN, GITHUB_REPOSITORY, GITHUB_API_URL, GITHUB_SERVER_URL and GITHUB_RUN_ID.

Usage: python .github/scripts/commit_status.py HEAD_SHA REPORT_EXIT_CODE
Standard library only.
"""

from __future__ import annotations

import json
import os
import re
import sys
import urllib.request

CONTEXT = "Tenant preview"


def status_for(code: str) -> tuple[str, str]:
    """(state, description) for the merged report's exit code."""
    if code == "0":
        return "success", "every changed tenant previewed"
    return "failure", "failed or blocked tenants, or no complete preview: see the comment"


def main(argv: list[str]) -> int:
    if len(argv) != 2 or not re.fullmatch(r"[0-9a-f]{40}", argv[0]):
        print("usage: commit_status.py HEAD_SHA REPORT_EXIT_CODE", file=sys.stderr)
        return 2
    sha, code = argv
    env = os.environ
    state, description = status_for(code)
    run = (
        f"{env['GITHUB_SERVER_URL']}/{env['GITHUB_REPOSITORY']}/actions/runs/{env['GITHUB_RUN_ID']}"
    )
    api = env.get("GITHUB_API_URL") or "https://api.github.com"
    request = urllib.request.Request(
        f"{api}/repos/{env['GITHUB_REPOSITORY']}/statuses/{sha}",
        data=json.dumps(
            {"state": state, "context": CONTEXT, "description": description, "target_url": run}
        ).encode(),
        method="POST",
        headers={
            "Accept": "application/vnd.github+json",
            "Authorization": f"Bearer {env['GITHUB_TOKEN']}",
            "Content-Type": "application/json",
        },
    )
    with urllib.request.urlopen(request, timeout=30):
        pass
    print(f"{CONTEXT}: {state} on {sha}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
