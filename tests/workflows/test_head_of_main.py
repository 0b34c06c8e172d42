"""`.github/scripts/head-of-main` on a real clone: it refuses (exit 4) unless it could
fetch main and main's head is this run's commit; a failed fetch never falls back to the
checkout's old view (L6)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.repo import REPO

SCRIPT = REPO / ".github" / "scripts" / "head-of-main"
ENV = {
    "GIT_AUTHOR_NAME": "a",
    "GIT_AUTHOR_EMAIL": "a@x",
    "GIT_COMMITTER_NAME": "a",
    "GIT_COMMITTER_EMAIL": "a@x",
    "PATH": "/usr/bin:/bin",
}


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args],
        cwd=cwd,
        env={**ENV, "HOME": str(cwd)},
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


def clone(tmp_path: Path) -> tuple[Path, Path, str]:
    origin, work = tmp_path / "origin", tmp_path / "work"
    origin.mkdir()
    git(origin, "init", "-q", "-b", "main")
    git(origin, "commit", "-q", "--allow-empty", "-m", "one")
    git(tmp_path, "clone", "-q", str(origin), str(work))
    return origin, work, git(work, "rev-parse", "HEAD")


def run(work: Path, sha: str) -> subprocess.CompletedProcess[str]:
    env = {**ENV, "HOME": str(work), "GITHUB_SHA": sha}
    return subprocess.run([str(SCRIPT)], cwd=work, env=env, capture_output=True, text=True)


def test_the_head_of_main_passes(tmp_path: Path) -> None:
    _, work, sha = clone(tmp_path)
    done = run(work, sha)
    assert done.returncode == 0 and f"still the head of main: {sha}" in done.stdout


def test_main_moved_refuses(tmp_path: Path) -> None:
    origin, work, sha = clone(tmp_path)
    git(origin, "commit", "-q", "--allow-empty", "-m", "two")
    done = run(work, sha)
    assert done.returncode == 4 and "is no longer the head of main" in done.stdout


def test_a_fetch_that_fails_refuses_instead_of_trusting_the_old_checkout(tmp_path: Path) -> None:
    origin, work, sha = clone(tmp_path)
    # main moves on, but this job cannot reach the repository any more: its own clone
    # still says `sha` is the head, which is exactly what must not be believed.
    git(origin, "commit", "-q", "--allow-empty", "-m", "two")
    git(work, "remote", "set-url", "origin", str(tmp_path / "unreachable"))
    done = run(work, sha)
    assert done.returncode == 4, done.stdout + done.stderr
    assert "could not fetch main" in done.stdout
