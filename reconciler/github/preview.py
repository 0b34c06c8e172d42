"""`python -m reconciler.github.preview`: tenant-preview.yml's steps that touch the pull
request, kept out of the workflow file so they are tested.

- `bind`: the pull request the run belongs to (`binding.find_binding`); writes
  `number=N` to `--output` (the step's outputs file; empty when unbound, with a notice
  saying why).
- `read`: fetch the pull request's head commit as git objects and put its `tenants/` in a
  candidate folder next to main's platform.yaml (`pull_tree`); refuses with one `::error::`
  per problem.
- `compare`: the pull request run's upload against the commit; writes a Markdown note for
  the comment when they differ.
- `outside`: how many paths the pull request changes outside tenants/.

Its `main` is a process's edge: it reads the settings once (`reconciler/settings.py`:
GITHUB_TOKEN, GITHUB_REPOSITORY, GITHUB_API_URL); the token also authenticates the fetch of
a private repository.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from reconciler.github import pull_tree
from reconciler.github.api import GitHubError, from_settings
from reconciler.github.binding import find_binding
from reconciler.github.git import Git, GitError
from reconciler.settings import GitHubRun, read_settings

MISMATCH = (
    "> ❌ **The pull request's own run uploaded manifests that differ from its commit** "
    "({count} file(s)): its code changed them before the upload. This preview shows the "
    "commit, which is what would merge; nothing from the upload was used.\n"
)


def _bind(args: argparse.Namespace, run: GitHubRun) -> int:
    github = from_settings(run)
    if isinstance(github, str):
        print(f"::error::{github}")
        return 1
    try:
        listed = json.loads(args.pulls or "[]")
        binding = find_binding(github, listed if isinstance(listed, list) else [], args.head_sha)
    except (GitHubError, ValueError) as error:
        print(f"::error title=No preview::cannot tell which pull request this run is for: {error}")
        return 1
    if binding.bound:
        print(f"bound to pull request {binding.reason}")
    else:
        print(f"::notice title=No preview::{binding.reason}: nothing is previewed or posted")
    with open(args.output, "a", encoding="utf-8") as output:
        output.write(f"number={binding.number if binding.bound else ''}\n")
    return 0


def _fetch(git: Git, sha: str, number: str, token: str) -> None:
    """The pull request's head commit, by id, or through `refs/pull/N/head` (read-only)."""
    if git.has_commit(sha):
        return
    try:
        git.fetch(sha, token)
    except GitError:
        if number.isdigit():
            git.fetch(f"+refs/pull/{number}/head:refs/remotes/pull/{number}", token)
    if not git.has_commit(sha):
        raise GitError(f"commit {sha[:12]} is not in the repository")


def _read(args: argparse.Namespace, run: GitHubRun) -> int:
    git = Git(Path(args.repository).resolve())
    try:
        _fetch(git, args.head_sha, args.pull, run.token)
        manifests, problems = pull_tree.read_manifests(git, args.head_sha)
    except GitError as error:
        problems = [str(error)]
        manifests = {}
    for problem in problems:
        print(f"::error title=Pull request manifests refused::{problem}")
    if problems:
        print("nothing was taken in; the preview stops here", file=sys.stderr)
        return 1
    pull_tree.write_candidate(manifests, Path(args.repository), Path(args.into))
    print(f"{len(manifests)} manifest(s) read from {args.head_sha[:12]} as data")
    return 0


def _compare(args: argparse.Namespace, _run: GitHubRun) -> int:
    committed = {p.name: p.read_bytes() for p in sorted(Path(args.candidate).glob("*.yaml"))}
    uploaded, odd = pull_tree.read_uploaded(Path(args.uploaded))
    differences = pull_tree.compare(committed, uploaded, odd)
    for difference in differences:
        print(f"::warning title=Upload differs from the commit::{difference}")
    if differences:
        Path(args.note_out).write_text(MISMATCH.format(count=len(differences)), encoding="utf-8")
    else:
        print("the pull request's upload is its commit's tenants/, byte for byte")
    return 0


def _outside(args: argparse.Namespace, _run: GitHubRun) -> int:
    git = Git(Path(args.repository).resolve())
    try:
        print(len(pull_tree.changed_outside_tenants(git, args.base, args.head_sha)))
    except GitError as error:
        print(f"::warning::cannot tell what the pull request changes: {error}", file=sys.stderr)
        print("unknown")
    return 0


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    """The workflow steps' entry: settings from `environ` (tests), else the environment."""
    parser = argparse.ArgumentParser(prog="python -m reconciler.github.preview")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("bind", help="print the pull request number this run previews")
    p.add_argument("--head-sha", required=True)
    p.add_argument("--pulls", default="[]", help="the event's workflow_run.pull_requests (JSON)")
    p.add_argument(
        "--output", required=True, help="append `number=N` here (the step's outputs file)"
    )
    p = sub.add_parser("read", help="the pull request's tenants/ from git objects")
    p.add_argument("--head-sha", required=True)
    p.add_argument("--pull", default="", help="its number (to fetch refs/pull/N/head)")
    p.add_argument("--repository", default=".", help="main's clone (default: .)")
    p.add_argument("--into", required=True, help="the candidate folder to create")
    p = sub.add_parser("compare", help="the run's upload against the commit")
    p.add_argument("--candidate", required=True, help="CANDIDATE/tenants from `read`")
    p.add_argument("--uploaded", required=True, help="where the artifact was downloaded")
    p.add_argument("--note-out", required=True, help="Markdown note written when they differ")
    p = sub.add_parser("outside", help="count the changed paths outside tenants/")
    p.add_argument("--head-sha", required=True)
    p.add_argument("--base", default="HEAD", help="main (default: the checkout, HEAD)")
    p.add_argument("--repository", default=".")
    args = parser.parse_args(argv)
    handler = {"bind": _bind, "read": _read, "compare": _compare, "outside": _outside}
    return handler[args.command](args, read_settings(environ).github)


if __name__ == "__main__":
    sys.exit(main())
