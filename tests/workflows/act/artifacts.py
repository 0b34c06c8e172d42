"""The rules of actions/upload-artifact and download-artifact v4+, on the filesystem.

Run by the stand-in actions (tests/workflows/standins/*-artifact) with the action's inputs
in INPUT_* variables; an artifact is the folder `$HARNESS_ARTIFACTS/$GITHUB_RUN_ID/<name>/`.
The rules that matter to the workflows, as the real actions have them:
- upload: newline-separated paths and globs (`!` excludes), hidden files left out, files
  stored relative to the least common ancestor of the search paths; no file: `error`,
  `warn` or `ignore`; a name already uploaded in the run fails unless `overwrite`; the
  outputs `artifact-id` and `artifact-url`.
- download: `name` extracts into `path` (with `run-id` and `github-token`: another run's);
  `pattern` (or neither) extracts each artifact
  into `path/<name>/` unless `merge-multiple`; a missing `name` fails.
Standard library only: it runs on whatever Python the job has.
"""

from __future__ import annotations

import fnmatch
import glob
import os
import shutil
import sys
from pathlib import Path

FORBIDDEN_NAME_CHARACTERS = set('":<>|*?\r\n\\/')
GLOB_CHARACTERS = set("*?[")


def search_root(patterns: list[str]) -> Path:
    """The least common ancestor of the search paths, as @actions/glob computes it."""
    roots = []
    for pattern in patterns:
        parts = Path(pattern).parts
        literal = []
        for part in parts:
            if GLOB_CHARACTERS & set(part):
                break
            literal.append(part)
        path = Path(*literal)
        roots.append(path.parent if len(literal) == len(parts) and not path.is_dir() else path)
    return Path(os.path.commonpath([str(r) for r in roots]))


def matched_files(patterns: list[str], hidden: bool) -> list[Path]:
    """Every file the include patterns find, minus the `!` excludes."""
    includes = [p for p in patterns if not p.startswith("!")]
    excludes = [p[1:] for p in patterns if p.startswith("!")]
    found: set[Path] = set()
    for pattern in includes:
        for hit in glob.glob(pattern, recursive=True, include_hidden=hidden):
            path = Path(hit)
            files = [p for p in path.rglob("*") if p.is_file()] if path.is_dir() else [path]
            found.update(p for p in files if p.is_file())
    if not hidden:
        found = {p for p in found if not any(part.startswith(".") for part in p.parts[1:])}
    return sorted(p for p in found if not any(fnmatch.fnmatch(str(p), e) for e in excludes))


def upload(environ: dict[str, str], store: Path) -> int:
    name = environ.get("INPUT_NAME") or "artifact"
    if FORBIDDEN_NAME_CHARACTERS & set(name):
        print(f"::error::The artifact name is not valid: {name}")
        return 1
    patterns = [p.strip() for p in environ.get("INPUT_PATH", "").splitlines() if p.strip()]
    hidden = environ.get("INPUT_INCLUDE_HIDDEN_FILES") == "true"
    files = matched_files(patterns, hidden)
    if not files:
        mode = environ.get("INPUT_IF_NO_FILES_FOUND", "warn")
        message = f"No files were found with the provided path: {' '.join(patterns)}."
        if mode == "error":
            print(f"::error::{message} No artifacts will be uploaded.")
            return 1
        if mode == "warn":
            print(f"::warning::{message} No artifacts will be uploaded.")
        return 0
    target = store / name
    if target.exists():
        if environ.get("INPUT_OVERWRITE") != "true":
            print(f"::error::An artifact with the name {name} already exists on this run")
            return 1
        shutil.rmtree(target)
    root = search_root([p for p in patterns if not p.startswith("!")])
    for file in files:
        destination = target / file.relative_to(root)
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(file, destination)
    print(f"Artifact {name} has been uploaded: {len(files)} file(s)")
    # The real action's outputs (upload-artifact src/shared/upload-artifact.ts).
    artifact_id = sorted(p.name for p in store.iterdir()).index(name) + 1
    url = (
        f"{environ.get('GITHUB_SERVER_URL', '')}/{environ.get('GITHUB_REPOSITORY', '')}"
        f"/actions/runs/{environ.get('GITHUB_RUN_ID', '')}/artifacts/{artifact_id}"
    )
    output = environ.get("GITHUB_OUTPUT")
    if output:
        with open(output, "a", encoding="utf-8") as handle:
            handle.write(f"artifact-id={artifact_id}\nartifact-url={url}\n")
    return 0


def download(environ: dict[str, str], store: Path) -> int:
    name = environ.get("INPUT_NAME", "")
    pattern = environ.get("INPUT_PATTERN", "")
    path = Path(environ.get("INPUT_PATH") or environ["GITHUB_WORKSPACE"])
    merge = environ.get("INPUT_MERGE_MULTIPLE") == "true"
    available = sorted(p.name for p in store.iterdir()) if store.is_dir() else []
    if name:
        if name not in available:
            print(f"::error::Unable to download artifact(s): Artifact not found for name: {name}")
            return 1
        chosen, flat = [name], True
    else:
        chosen = [a for a in available if not pattern or fnmatch.fnmatchcase(a, pattern)]
        flat = merge
    for artifact in chosen:
        destination = path if flat else path / artifact
        shutil.copytree(store / artifact, destination, dirs_exist_ok=True)
    print(f"Total of {len(chosen)} artifact(s) downloaded into {path}")
    return 0


def main() -> int:
    environ = dict(os.environ)
    run_id = environ["GITHUB_RUN_ID"]
    if sys.argv[1] == "download" and environ.get("INPUT_RUN_ID"):
        # Another run's artifacts: the real action needs a token for that.
        if not environ.get("INPUT_GITHUB_TOKEN"):
            print("::error::download-artifact: run-id needs github-token")
            return 1
        run_id = environ["INPUT_RUN_ID"]
    store = Path(environ["HARNESS_ARTIFACTS"]) / run_id
    store.mkdir(parents=True, exist_ok=True)
    return upload(environ, store) if sys.argv[1] == "upload" else download(environ, store)


if __name__ == "__main__":
    sys.exit(main())
