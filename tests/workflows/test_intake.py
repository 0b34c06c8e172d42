""".github/scripts/intake.py: what crosses from the unprivileged pull-request run into the
trusted preview is taken in only when it is plain, bounded tenant manifests."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest

from tests.repo import REPO

_SPEC = importlib.util.spec_from_file_location("intake", REPO / ".github" / "scripts" / "intake.py")
assert _SPEC and _SPEC.loader
intake = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(intake)


def _folder(tmp_path: Path, files: dict[str, bytes]) -> Path:
    folder = tmp_path / "untrusted"
    folder.mkdir()
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return folder


@pytest.mark.parametrize(
    ("files", "problem"),
    [
        ({"acme.yaml": b"kind: Tenant\n"}, None),
        ({"tenant-one.yaml": b"", "b2c.yaml": b"x"}, None),
        ({"ACME.yaml": b""}, "not a tenant file name"),
        ({"acme.yml": b""}, "not a tenant file name"),
        ({".hidden.yaml": b""}, "not a tenant file name"),
        ({"ab.yaml": b""}, "not a tenant file name"),  # names are 3-28 characters
        ({"acme-.yaml": b""}, "not a tenant file name"),
        ({"run.sh": b"#!/bin/sh\n"}, "not a tenant file name"),
        ({"acme.yaml": b"x" * (256 * 1024 + 1)}, "more than 262144"),
    ],
)
def test_what_is_taken_in(tmp_path: Path, files: dict[str, bytes], problem: str | None) -> None:
    found = intake.problems(_folder(tmp_path, files))
    if problem is None:
        assert found == []
    else:
        assert len(found) == 1 and problem in found[0], found


def test_folders_and_links_are_refused(tmp_path: Path) -> None:
    folder = _folder(tmp_path, {"acme.yaml": b"x"})
    (folder / "nested.yaml").mkdir()
    os.symlink("/etc/passwd", folder / "beta.yaml")
    found = intake.problems(folder)
    assert sorted(found) == [
        "beta.yaml: not a regular file (folders and links are refused)",
        "nested.yaml: not a regular file (folders and links are refused)",
    ]


def test_too_many_files_are_refused(tmp_path: Path) -> None:
    files = {f"t{i:04d}.yaml": b"" for i in range(intake.MAX_FILES + 1)}
    assert "more than" in intake.problems(_folder(tmp_path, files))[0]


def test_an_accepted_set_lands_next_to_mains_platform_and_nothing_else(tmp_path: Path) -> None:
    untrusted = _folder(tmp_path, {"acme.yaml": b"kind: Tenant\n"})
    trusted = tmp_path / "main"
    trusted.mkdir()
    (trusted / "platform.yaml").write_text("kind: Platform\n")
    candidate = tmp_path / "candidate"
    assert intake.main([str(untrusted), str(trusted), str(candidate)]) == 0
    assert sorted(p.relative_to(candidate).as_posix() for p in candidate.rglob("*")) == [
        "platform.yaml",
        "tenants",
        "tenants/acme.yaml",
    ]


def test_a_refused_set_copies_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    untrusted = _folder(tmp_path, {"x.py": b""})
    candidate = tmp_path / "candidate"
    assert intake.main([str(untrusted), str(tmp_path), str(candidate)]) == 1
    assert not candidate.exists()
    assert "::error title=Pull request manifests refused::x.py" in capsys.readouterr().out


def test_no_artifact_means_an_empty_fleet(tmp_path: Path) -> None:
    (tmp_path / "platform.yaml").write_text("kind: Platform\n")
    candidate = tmp_path / "candidate"
    assert intake.main([str(tmp_path / "missing"), str(tmp_path), str(candidate)]) == 0
    assert list((candidate / "tenants").iterdir()) == []
