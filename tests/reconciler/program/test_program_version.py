"""The program version: stable, sensitive to every source change, and light to compute."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from reconciler.program.version import PROGRAM_DIR, program_version


@pytest.fixture
def sources(tmp_path: Path) -> Path:
    """A private copy of the program's sources to edit."""
    copy = tmp_path / "program"
    shutil.copytree(PROGRAM_DIR, copy, ignore=shutil.ignore_patterns("__pycache__"))
    return copy


def test_version_is_stable_across_calls():
    assert program_version() == program_version()


def test_version_is_a_sha256_hex_digest():
    version = program_version()
    assert len(version) == 64
    int(version, 16)


def test_version_of_an_identical_copy_is_the_same(sources: Path):
    assert program_version(sources) == program_version()


def test_version_ignores_compiled_files(sources: Path):
    (sources / "__pycache__").mkdir()
    (sources / "__pycache__" / "tenant.cpython-311.pyc").write_bytes(b"\0compiled")
    assert program_version(sources) == program_version()


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda d: (d / "tenant.py").write_text("# edited\n", "utf-8"), id="edit"),
        pytest.param(
            lambda d: (d / "tenant.py").write_bytes((d / "tenant.py").read_bytes() + b"\n"),
            id="whitespace",
        ),
        pytest.param(lambda d: (d / "added.py").write_text("", "utf-8"), id="add"),
        pytest.param(lambda d: (d / "isolation.py").unlink(), id="remove"),
        pytest.param(lambda d: (d / "isolation.py").rename(d / "data.py"), id="rename"),
    ],
)
def test_version_changes_when_a_source_file_changes(sources: Path, change):
    before = program_version(sources)
    change(sources)
    assert program_version(sources) != before


def test_version_changes_when_the_resource_names_change(sources: Path, tmp_path: Path):
    """Names live in reconciler/names.py (the gate reads them too); renaming one replaces
    the resource, so it is part of the program's version."""
    names = tmp_path / "names.py"
    names.write_text("A = 1\n", "utf-8")
    before = program_version(sources, (names,))
    names.write_text("A = 2\n", "utf-8")
    assert program_version(sources, (names,)) != before


def test_version_includes_the_provider_version(monkeypatch: pytest.MonkeyPatch):
    import reconciler.program.version as version_module

    before = program_version()
    monkeypatch.setattr(version_module, "package_version", lambda name: "0.0.0-test")
    assert program_version() != before
