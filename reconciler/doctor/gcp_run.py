"""The GCP checks for a repository root: platform.yaml's set-up against the live project(s).

`gcp_problems(root, settings)` is what `reconciler doctor` runs for its GCP part;
`python -m reconciler.doctor.gcp_run [ROOT]` runs it alone: one line per problem
(`check: problem` and `  fix: ...`), exit 0 when there is none, 1 when there is any, 2 when
platform.yaml does not describe a set-up. Its `main` is a process's edge: it reads the
settings (`reconciler/settings.py`) once.
"""

from __future__ import annotations

import sys
from pathlib import Path

from reconciler.doctor.gcp import GcpTarget, run_checks
from reconciler.doctor.gcp_reader import RestProjectReader
from reconciler.doctor.problems import Problem
from reconciler.gcp.rest import GoogleRest, roots
from reconciler.manifests.setup import load_setup
from reconciler.platform_setup.blueprint import blueprint
from reconciler.settings import Settings, read_settings


def gcp_problems(root: Path, settings: Settings) -> list[Problem]:
    """Every GCP problem of the set-up platform.yaml under `root` describes, in CHECKS'
    order; empty when there is none. Reads only. Raises PlatformError when platform.yaml
    describes no set-up, ValueError for a RECONCILER_GOOGLE_APIS_ENDPOINT that is not a
    loopback stand-in; a refused or failed read is a problem of its check, never raised."""
    setup = load_setup(root, settings.platform_overrides)
    reader = RestProjectReader(GoogleRest(roots(settings.google_apis_endpoint)))
    return run_checks(GcpTarget(reader, blueprint(setup)))


def render(problems: list[Problem]) -> str:
    return "".join(f"{p.check}: {p.problem}\n  fix: {p.fix}\n" for p in problems)


def main(argv: list[str] | None = None) -> int:
    from reconciler.manifests.platform import PlatformError

    args = sys.argv[1:] if argv is None else argv
    root = Path(args[0] if args else ".").resolve()
    try:
        problems = gcp_problems(root, read_settings())
    except (PlatformError, ValueError) as error:
        print(f"reconciler doctor: {error}", file=sys.stderr)
        return 2
    print(render(problems) or "gcp: no problem found", end="" if problems else "\n")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
