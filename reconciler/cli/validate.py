"""`reconciler validate`: the gate, on the core install (no Pulumi import)."""

from __future__ import annotations

from pathlib import Path

from reconciler.cli.options import ValidateOptions
from reconciler.cli.session import err
from reconciler.manifests.validate import ValidationResult, validate_tree
from reconciler.report.status import EXIT_INVALID, EXIT_OK, EXIT_USAGE
from reconciler.report.validation import render_issues
from reconciler.settings import Settings


def run_validate(options: ValidateOptions, settings: Settings) -> int:
    from reconciler.manifests.cache import CheckCache
    from reconciler.manifests.changes import ChangedSinceError, changed_manifests

    root = options.globals.root.resolve()
    paths = [p if p.is_absolute() else Path.cwd() / p for p in options.paths] or None
    if options.changed_since:
        if paths:
            err("reconciler: give either PATHs or --changed-since, not both")
            return EXIT_USAGE
        try:
            paths = changed_manifests(root, options.changed_since)
        except ChangedSinceError as error:
            err(f"reconciler: {error}")
            return EXIT_USAGE
    cache_dir = options.cache_dir or root / ".reconciler" / "cache"
    cache = None if options.no_cache else CheckCache(cache_dir)
    result = validate_tree(root, paths, cache)
    print(render_issues(result, options.format), end="", flush=True)
    _validation_markdown(result, options, settings.step_summary)
    return EXIT_OK if result.ok else EXIT_INVALID


def _validation_markdown(
    result: ValidationResult, options: ValidateOptions, summary: Path | None
) -> None:
    """Every error, in Markdown, where the annotations cannot hold them all: the PR comment
    (`--markdown-out`) and, under `--format github`, the job summary."""
    text = render_issues(result, "markdown")
    if options.markdown_out:
        options.markdown_out.write_text(text, encoding="utf-8")
    if options.format == "github" and summary and not result.ok:
        with open(summary, "a", encoding="utf-8") as handle:
            handle.write(text)
