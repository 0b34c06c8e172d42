"""The program's version: a hash of its own source and of the provider it drives.

Each tenant's fingerprint combines its manifest digest with this version, so any change
to what the program declares — its code, or the pulumi-gcp release that maps it onto GCP
— marks every tenant as needing an update. Imports nothing heavy (no Pulumi): the
planner and `--changed-since` call it on paths that never start an engine.
"""

from __future__ import annotations

import hashlib
from importlib.metadata import version as package_version
from pathlib import Path

PROGRAM_DIR = Path(__file__).resolve().parent
"""Where the program's modules live."""
SHARED_SOURCES = (
    PROGRAM_DIR.parent / "names.py",
    PROGRAM_DIR.parent / "gcp" / "identitytoolkit.py",
)
"""Modules outside program/ that decide what it declares: the resource names (renaming one
replaces the resource) and the Identity Toolkit client its settings resource calls."""
PROVIDER_PACKAGE = "pulumi-gcp"
"""The provider SDK whose version is part of the program's."""


def program_version(sources: Path = PROGRAM_DIR, shared: tuple[Path, ...] = SHARED_SOURCES) -> str:
    """SHA-256 (hex) over the program's `.py` files, the shared modules it depends on, and
    the pulumi-gcp version.

    Files are read as bytes in sorted path order, each preceded by its relative path, so
    an edit, a rename, an added or a removed module all change the result.
    """
    digest = hashlib.sha256()
    files = [(path.relative_to(sources).as_posix(), path) for path in sources.rglob("*.py")]
    files += [(f"../{path.name}", path) for path in shared]
    for relative, path in sorted(files):
        content = path.read_bytes()
        # Length-prefixed fields: no two different file sets can hash the same stream.
        for field in (relative.encode("utf-8"), content):
            digest.update(len(field).to_bytes(8, "big"))
            digest.update(field)
    provider = f"{PROVIDER_PACKAGE}=={package_version(PROVIDER_PACKAGE)}".encode()
    digest.update(len(provider).to_bytes(8, "big"))
    digest.update(provider)
    return digest.hexdigest()
