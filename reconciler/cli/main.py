"""The `reconciler` command: settings and options read at the edge, then one command run.

At the top of the import graph. Exit codes live in `reconciler.report.status`. Each
subcommand imports what it needs when it runs, so `reconciler validate` stays light and
never imports Pulumi (see `install.py` for what needs the `deploy` extra). The grammar is
`parser.py`; the typed options every command receives, `options.py`.
"""

from __future__ import annotations

import signal
import sys
from collections.abc import Sequence
from types import FrameType

from reconciler.cli.install import from_the_deploy_extra, missing_extra, missing_extra_for_module
from reconciler.cli.options import parse_options
from reconciler.cli.parser import build_parser
from reconciler.report.status import EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE
from reconciler.settings import read_settings


def _interrupt(signum: int, _frame: FrameType | None) -> None:
    """SIGTERM before act takes over (observing, planning): stop like Ctrl-C, exit 130."""
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    settings = read_settings()
    args = build_parser(settings.root).parse_args(argv)
    missing = missing_extra(args.command)
    if missing:
        print(missing, file=sys.stderr)
        return EXIT_USAGE
    # A CI runner's SIGTERM that lands before any engine operation must not kill us with
    # 143 and no word: it is a cancellation like any other (act installs its own handler).
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        from reconciler.cli import commands

        handler = getattr(commands, f"run_{args.command}")
        return int(handler(parse_options(args), settings))
    except KeyboardInterrupt:
        print("reconciler: interrupted; no report was written", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return EXIT_OK
    except OSError as error:  # e.g. --json-out into a folder that does not exist
        print(f"reconciler: {error}", file=sys.stderr)
        return EXIT_USAGE
    except Exception as error:  # the last line of defence: no traceback for users
        if from_the_deploy_extra(error):
            # A command outside ENGINE_COMMANDS that still reached for the engine.
            print(
                missing_extra_for_module(args.command, str(getattr(error, "name", ""))),
                file=sys.stderr,
            )
            return EXIT_USAGE
        if settings.debug:
            raise
        print(
            f"reconciler: internal error: {type(error).__name__}: {error}\n"
            "  This is a bug; run again with RECONCILER_DEBUG=1 for the traceback.",
            file=sys.stderr,
        )
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
