"""`reconciler impact`: a code change's effect on every tenant, with no credential.

Two uses, one per side of the trust boundary:
- `reconciler impact --base REF` (the unprivileged pull-request job, or a laptop): runs
  the program of the merge base and of the working tree under Pulumi's mocks and writes
  the impact document (`--json-out`); never reads a credential, a secret or the backend.
- `reconciler impact --from FILE` (the privileged workflow): reads a document another job
  computed, as untrusted data, and renders it (`--markdown-out` for the comment,
  `--summary-out` for the job summary). A document it cannot read is said in both.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from reconciler.report.status import EXIT_OK, EXIT_USAGE

if TYPE_CHECKING:
    from reconciler.cli.options import ImpactOptions
    from reconciler.settings import Settings

HELP = "show what a code change does to every tenant's resources (mocks; no credential)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--base",
        metavar="GIT_REF",
        help="compare the working tree's code with the merge base of this ref and HEAD",
    )
    source.add_argument(
        "--from",
        dest="from_file",
        type=Path,
        metavar="FILE",
        help="render an impact document computed elsewhere (read as untrusted data)",
    )
    parser.add_argument("--format", choices=("text", "json", "markdown"), default="text")
    parser.add_argument("--json-out", type=Path, metavar="FILE", help="also write the document")
    parser.add_argument(
        "--markdown-out", type=Path, metavar="FILE", help="also write the comment's section"
    )
    parser.add_argument(
        "--summary-out",
        type=Path,
        metavar="FILE",
        help="also write the job summary's section (every tenant)",
    )
    parser.add_argument(
        "--sequential", action="store_true", help="capture the two sides one after the other"
    )


def _unreadable(reason: str) -> str:
    from reconciler.impact.summary import MARKER, TITLE
    from reconciler.report.markdown import escape

    return f"{MARKER}\n### {TITLE}\n\n> ❌ The impact could not be read: {escape(reason)}\n"


def _untrusted_bytes(path: Path) -> bytes:
    """A file another job wrote: a regular file (no link), no larger than the reader takes."""
    import os
    import stat

    from reconciler.impact.document import MAX_BYTES, ImpactFormatError

    # O_NOFOLLOW: a link planted in the artifact must not make us read another file.
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise ImpactFormatError("not a regular file")
        if info.st_size > MAX_BYTES:
            raise ImpactFormatError(f"larger than {MAX_BYTES // (1024 * 1024)} MiB")
        return handle.read(MAX_BYTES + 1)


def run_impact(options: ImpactOptions, _settings: Settings) -> int:
    import json

    from reconciler.impact.document import Impact, ImpactFormatError
    from reconciler.impact.runner import ImpactError, ImpactRequest, compute_impact
    from reconciler.impact.summary import render_full, render_markdown, render_text

    if options.from_file is not None:
        try:
            impact = Impact.read(_untrusted_bytes(options.from_file))
        except (OSError, ImpactFormatError) as error:
            text = _unreadable(str(error))
            for out in (options.markdown_out, options.summary_out):
                if out is not None:
                    out.write_text(text, encoding="utf-8")
            print(f"reconciler: {options.from_file}: {error}", file=sys.stderr)
            return EXIT_USAGE
    else:
        assert options.base is not None  # the parser requires one of the two
        root = options.globals.root.resolve()
        request = ImpactRequest(root, options.base, parallel=not options.sequential)
        quiet = options.globals.quiet
        progress = (lambda _: None) if quiet else (lambda line: print(line, file=sys.stderr))
        try:
            impact = compute_impact(request, progress)
        except ImpactError as error:
            print(f"reconciler: {error}", file=sys.stderr)
            return EXIT_USAGE
    document = json.dumps(impact.to_json(), indent=1, sort_keys=True) + "\n"
    rendered = {"json": document, "markdown": render_markdown(impact)}
    print(rendered.get(options.format) or render_text(impact), end="", flush=True)
    if options.json_out:
        options.json_out.write_text(document, encoding="utf-8")
    if options.markdown_out:
        options.markdown_out.write_text(render_markdown(impact), encoding="utf-8")
    if options.summary_out:
        options.summary_out.write_text(render_full(impact), encoding="utf-8")
    return EXIT_OK
