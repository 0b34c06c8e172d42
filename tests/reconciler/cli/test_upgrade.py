"""`reconciler upgrade`: a release's changes land in a team's copy as working-tree changes,
their tenants and settings untouched, no upstream commit in their history; a file both
sides changed stops the upgrade before anything is written."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from reconciler.cli.main import main
from reconciler.cli.upgrade import upgrade_plan

GIT_ENV = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@t.invalid",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@t.invalid",
}


def git(root: Path, *args: str) -> str:
    import os

    done = subprocess.run(
        ["git", *args], cwd=root, capture_output=True, text=True, env={**os.environ, **GIT_ENV}
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def write(root: Path, files: dict[str, str | None]) -> None:
    for path, text in files.items():
        target = root / path
        if text is None:
            target.unlink()
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)


V2 = {
    "pyproject.toml": '[project]\nname = "tenant-gitops"\nversion = "0.2.0"\n',
    "reconciler/core.py": "VERSION = 2\n",
    ".github/workflows/tenant-apply.yml": "name: Tenant apply\n",
    "docs/old.md": "old\n",
    "platform.yaml": "target: sandbox\n",
    "tenants/tenant-one.yaml": "example\n",
}
V3 = {
    "pyproject.toml": '[project]\nname = "tenant-gitops"\nversion = "0.3.0"\n',
    "reconciler/core.py": "VERSION = 3\n",
    ".github/workflows/tenant-apply.yml": "name: Tenant apply\n# v3\n",
    "docs/old.md": None,
    "docs/new.md": "new\n",
    "platform.yaml": "target: sandbox\n# v3 example\n",
    "tenants/tenant-one.yaml": "example v3\n",
}


@pytest.fixture
def upstream(tmp_path: Path) -> Path:
    root = tmp_path / "upstream"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    write(root, V2)
    git(root, "add", "-A")
    git(root, "commit", "-qm", "0.2.0")
    git(root, "tag", "v0.2.0")
    write(root, V3)
    git(root, "add", "-A")
    git(root, "commit", "-qm", "0.3.0")
    git(root, "tag", "v0.3.0")
    return root


@pytest.fixture
def team(tmp_path: Path) -> Path:
    """A copy of 0.2.0 with its own history, its own tenants and settings."""
    root = tmp_path / "team"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    write(root, V2)
    write(root, {"tenants/tenant-one.yaml": None, "tenants/acme.yaml": "acme\n"})
    write(root, {"platform.yaml": "target: gcp\n", ".github/CODEOWNERS": "* @acme/leads\n"})
    git(root, "add", "-A")
    git(root, "commit", "-qm", "our platform")
    return root


def test_an_upgrade_writes_our_files_and_leaves_theirs(upstream: Path, team: Path, capsys):
    code = main(["--root", str(team), "upgrade", "--from", str(upstream), "--to", "v0.3.0"])
    assert code == 0, capsys.readouterr().err
    assert (team / "reconciler/core.py").read_text() == "VERSION = 3\n"
    assert (team / ".github/workflows/tenant-apply.yml").read_text().endswith("# v3\n")
    assert (team / "docs/new.md").exists() and not (team / "docs/old.md").exists()
    assert 'version = "0.3.0"' in (team / "pyproject.toml").read_text()
    assert (team / "platform.yaml").read_text() == "target: gcp\n"
    assert sorted(p.name for p in (team / "tenants").iterdir()) == ["acme.yaml"]
    assert (team / ".github/CODEOWNERS").exists()
    out = capsys.readouterr().out
    assert "v0.2.0 -> v0.3.0: 4 file(s) written, 1 removed" in out
    # Their history is theirs: one commit, and no upstream commit reachable from it.
    assert git(team, "rev-list", "--count", "HEAD").strip() == "1"
    upstream_head = git(upstream, "rev-parse", "v0.3.0^{commit}").strip()
    done = subprocess.run(["git", "merge-base", "--is-ancestor", upstream_head, "HEAD"], cwd=team)
    assert done.returncode == 1
    assert git(team, "tag").strip() == ""


def test_a_file_changed_on_both_sides_stops_the_upgrade_before_any_write(
    upstream: Path, team: Path, capsys
):
    write(team, {".github/workflows/tenant-apply.yml": "name: Tenant apply\n# ours\n"})
    git(team, "commit", "-qam", "our tweak")
    code = main(["--root", str(team), "upgrade", "--from", str(upstream), "--to", "v0.3.0"])
    assert code == 4
    err = capsys.readouterr().err
    assert ".github/workflows/tenant-apply.yml" in err and "nothing was changed" in err
    assert git(team, "status", "--porcelain") == ""
    assert (team / "reconciler/core.py").read_text() == "VERSION = 2\n"
    forced = ["--root", str(team), "upgrade", "--from", str(upstream), "--to", "v0.3.0", "--force"]
    assert main(forced) == 0
    assert (team / ".github/workflows/tenant-apply.yml").read_text().endswith("# v3\n")


def test_uncommitted_work_and_unknown_tags_are_refused(upstream: Path, team: Path, capsys):
    write(team, {"reconciler/core.py": "VERSION = 'mine'\n"})
    assert main(["--root", str(team), "upgrade", "--from", str(upstream), "--to", "v0.3.0"]) == 2
    assert "uncommitted changes" in capsys.readouterr().err
    git(team, "checkout", "--", "reconciler/core.py")
    assert main(["--root", str(team), "upgrade", "--from", str(upstream), "--to", "latest"]) == 2
    assert "is not a release tag" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("old", "new", "current", "force", "expected"),
    [
        ({"a": "1"}, {"a": "2"}, {"a": "1"}, False, (("a",), (), ())),
        ({"a": "1"}, {"a": "2"}, {"a": "2"}, False, ((), (), ())),  # already there
        ({"a": "1"}, {"a": "2"}, {"a": "9"}, False, ((), (), ("a",))),  # both changed it
        ({"a": "1"}, {"a": "2"}, {"a": "9"}, True, (("a",), (), ())),
        ({"a": "1"}, {"a": "1"}, {"a": "9"}, False, ((), (), ())),  # only theirs changed
        ({"a": "1"}, {}, {"a": "1"}, False, ((), ("a",), ())),
        ({"a": "1"}, {}, {}, False, ((), (), ())),  # already gone
        ({"a": "1"}, {}, {"a": "9"}, False, ((), (), ("a",))),
        ({}, {"b": "1"}, {}, False, (("b",), (), ())),
        ({}, {"b": "1"}, {"b": "7"}, False, ((), (), ("b",))),  # they added one of that name
        ({"tenants/x.yaml": "1"}, {"tenants/x.yaml": "2"}, {}, False, ((), (), ())),
        (
            {"platform.yaml": "1"},
            {"platform.yaml": "2"},
            {"platform.yaml": "1"},
            True,
            ((), (), ()),
        ),
    ],
)
def test_the_upgrade_plan(old, new, current, force, expected):
    plan = upgrade_plan(old, new, current, force)
    assert (plan.write, plan.remove, plan.conflicts) == expected
