"""A pull request's tenants/, read from git objects (reconciler/github/pull_tree.py): the
limits a tenants/ folder has, and the comparison with what the pull request's run uploaded."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from reconciler.github import pull_tree
from reconciler.github.git import Git
from reconciler.github.preview import main as preview


def git(cwd: Path, *args: str) -> str:
    env = {
        "GIT_AUTHOR_NAME": "a",
        "GIT_AUTHOR_EMAIL": "a@x",
        "GIT_COMMITTER_NAME": "a",
        "GIT_COMMITTER_EMAIL": "a@x",
        "HOME": str(cwd),
        "PATH": "/usr/bin:/bin",
    }
    return subprocess.run(
        ["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True
    ).stdout.strip()


def repo(
    tmp_path: Path, files: dict[str, bytes], links: dict[str, str] | None = None
) -> tuple[Git, str]:
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    (root / "platform.yaml").write_text("main's\n")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "main")
    for path, data in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_bytes(data)
    for path, target in (links or {}).items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        os.symlink(target, root / path)
    git(root, "add", "-A")
    git(root, "commit", "-q", "--allow-empty", "-m", "pull request")
    return Git(root), git(root, "rev-parse", "HEAD")


def test_tenant_manifests_are_read_as_bytes(tmp_path: Path) -> None:
    g, head = repo(tmp_path, {"tenants/acme.yaml": b"name: acme\n", "README.md": b"x"})
    manifests, problems = pull_tree.read_manifests(g, head)
    assert problems == [] and manifests == {"acme.yaml": b"name: acme\n"}
    assert pull_tree.changed_outside_tenants(g, "HEAD~1", head) == ["README.md"]


@pytest.mark.parametrize(
    ("files", "links", "problem"),
    [
        ({"tenants/Acme.yaml": b"x"}, {}, "tenants/Acme.yaml: not a tenant file name"),
        ({"tenants/acme.yml": b"x"}, {}, "tenants/acme.yml: not a tenant file name"),
        ({"tenants/sub/acme.yaml": b"x"}, {}, "tenants/sub: a tree of mode 040000"),
        ({}, {"tenants/acme.yaml": "/etc/passwd"}, "tenants/acme.yaml: a blob of mode 120000"),
        ({"tenants/big.yaml": b"x" * (256 * 1024 + 1)}, {}, "tenants/big.yaml: 262145 bytes"),
    ],
)
def test_anything_else_in_tenants_refuses_the_whole_set(
    tmp_path: Path, files: dict[str, bytes], links: dict[str, str], problem: str
) -> None:
    g, head = repo(tmp_path, {"tenants/ok.yaml": b"fine\n", **files}, links)
    manifests, problems = pull_tree.read_manifests(g, head)
    assert manifests == {}
    assert any(p.startswith(problem) for p in problems), problems


def test_the_candidate_platform_is_the_checkout_s_not_the_pull_request_s(tmp_path: Path) -> None:
    g, head = repo(tmp_path, {"tenants/acme.yaml": b"a\n", "platform.yaml": b"the PR's\n"})
    git(g.root, "checkout", "-q", "HEAD~1")  # main's checkout, as the preview has it
    assert (
        preview(
            [
                "read",
                "--head-sha",
                head,
                "--repository",
                str(g.root),
                "--into",
                str(tmp_path / "candidate"),
            ]
        )
        == 0
    )
    assert (tmp_path / "candidate" / "platform.yaml").read_text() == "main's\n"
    assert sorted(p.name for p in (tmp_path / "candidate" / "tenants").iterdir()) == ["acme.yaml"]


def test_an_upload_that_differs_from_the_commit_is_named(tmp_path: Path, capsys) -> None:
    candidate, uploaded = tmp_path / "candidate", tmp_path / "uploaded"
    candidate.mkdir()
    uploaded.mkdir()
    (candidate / "acme.yaml").write_bytes(b"admins: [mallory]\n")
    (candidate / "beta.yaml").write_bytes(b"b\n")
    (uploaded / "acme.yaml").write_bytes(b"admins: []\n")  # what the PR's code made of it
    (uploaded / "gamma.yaml").write_bytes(b"g\n")
    os.symlink("/etc/passwd", uploaded / "link.yaml")
    note = tmp_path / "note.md"
    assert (
        preview(
            [
                "compare",
                "--candidate",
                str(candidate),
                "--uploaded",
                str(uploaded),
                "--note-out",
                str(note),
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    for line in (
        "tenants/gamma.yaml: not in the commit",
        "tenants/beta.yaml: not uploaded",
        "tenants/acme.yaml: other bytes than the commit's",
        "link.yaml: not a regular file",
    ):
        assert line in out
    assert "differ from its commit** (4 file(s))" in note.read_text()


def test_an_identical_upload_writes_no_note(tmp_path: Path) -> None:
    for folder in ("candidate", "uploaded"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "acme.yaml").write_bytes(b"a\n")
    note = tmp_path / "note.md"
    assert (
        preview(
            [
                "compare",
                "--candidate",
                str(tmp_path / "candidate"),
                "--uploaded",
                str(tmp_path / "uploaded"),
                "--note-out",
                str(note),
            ]
        )
        == 0
    )
    assert not note.exists()
