"""Take in a pull request's manifests, uploaded by the unprivileged tenant-pr.yml, as data.

Run by tenant-preview.yml with main's code. Everything in `UNTRUSTED` was written by a job
the pull request controls, so this reads it as bytes and refuses (exit 1, one `::error::`
per problem, nothing copied) unless it is only what a tenants/ folder may hold: at most
MAX_FILES regular files named `<tenant>.yaml` (the schema's name rule), none larger than
MAX_FILE_BYTES, MAX_TOTAL_BYTES in all; no folder, link or other name. Accepted files go
to `CANDIDATE/tenants/` next to a copy of main's platform.yaml, so that main's validator
(`reconciler --root CANDIDATE validate`) reads them before anything else does. Nothing
here parses, imports or executes what it copies.

Usage: python .github/scripts/intake.py UNTRUSTED TRUSTED_ROOT CANDIDATE
Standard library only.
"""

from __future__ import annotations

import os
import re
import stat
import sys
from pathlib import Path

MAX_FILES = 2000
MAX_FILE_BYTES = 256 * 1024
MAX_TOTAL_BYTES = 16 * 1024 * 1024
TENANT_FILE = re.compile(r"^[a-z][a-z0-9-]{1,26}[a-z0-9]\.yaml$")


def problems(untrusted: Path) -> list[str]:
    """Why `untrusted` is not a plain folder of tenant manifests (empty list: it is)."""
    if not untrusted.is_dir():
        return []  # no manifest at all: every tenant file was deleted
    found: list[str] = []
    total = 0
    entries = sorted(os.scandir(untrusted), key=lambda e: e.name)
    if len(entries) > MAX_FILES:
        return [f"{len(entries)} entries: more than {MAX_FILES} manifests"]
    for entry in entries:
        shown = ascii(entry.name)[1:-1]
        mode = entry.stat(follow_symlinks=False).st_mode
        if not stat.S_ISREG(mode):
            found.append(f"{shown}: not a regular file (folders and links are refused)")
            continue
        if not TENANT_FILE.fullmatch(entry.name):
            found.append(f"{shown}: not a tenant file name (tenants/<name>.yaml)")
            continue
        size = entry.stat(follow_symlinks=False).st_size
        total += size
        if size > MAX_FILE_BYTES:
            found.append(f"{shown}: {size} bytes, more than {MAX_FILE_BYTES}")
    if total > MAX_TOTAL_BYTES:
        found.append(f"{total} bytes in all, more than {MAX_TOTAL_BYTES}")
    return found


def take_in(untrusted: Path, trusted_root: Path, candidate: Path) -> list[str]:
    """Copy the accepted manifests and main's platform.yaml into `candidate`."""
    refused = problems(untrusted)
    if refused:
        return refused
    tenants = candidate / "tenants"
    tenants.mkdir(parents=True, exist_ok=False)
    (candidate / "platform.yaml").write_bytes((trusted_root / "platform.yaml").read_bytes())
    if untrusted.is_dir():
        for entry in sorted(untrusted.iterdir()):
            # Read through a descriptor that refuses links (checked above, checked again).
            fd = os.open(entry, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
            with os.fdopen(fd, "rb") as source:
                data = source.read(MAX_FILE_BYTES + 1)
            if len(data) > MAX_FILE_BYTES:
                return [f"{entry.name}: grew while being read"]
            (tenants / entry.name).write_bytes(data)
    return []


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print(__doc__.strip().splitlines()[-2], file=sys.stderr)
        return 2
    untrusted, trusted_root, candidate = map(Path, argv)
    refused = take_in(untrusted, trusted_root, candidate)
    for problem in refused:
        print(f"::error title=Pull request manifests refused::{problem}")
    if refused:
        print("intake: nothing was taken in; the preview stops here", file=sys.stderr)
        return 1
    count = len(list((candidate / "tenants").iterdir()))
    print(f"intake: {count} manifest(s) taken in as data, to be validated by main's validator")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
