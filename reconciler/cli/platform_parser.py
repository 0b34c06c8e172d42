"""The grammar of the platform's own commands: `init`, `upgrade`, `platform preview|up`.

Kept beside `parser.py` (which calls `register`) so that file stays the tenant commands'
grammar; what is parsed here becomes `InitOptions`, `UpgradeOptions` and `PlatformOptions`
(`options.py`), run by `platform_commands.py` and `upgrade.py`.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

DEFAULT_PLATFORM_STATE = ".reconciler/platform-state"
"""Where the platform stack's own state goes unless --backend says (under the root)."""
UPGRADE_HELP = "take a tenant-gitops release into this repository (docs/upgrading.md)"

Adder = Callable[[str, str], argparse.ArgumentParser]
"""Adds a subcommand that takes the global options (`parser.py`'s `add`)."""


def register(
    sub: argparse._SubParsersAction[argparse.ArgumentParser],
    add: Adder,
    add_globals: Callable[[argparse.ArgumentParser], None],
) -> None:
    """Add `init`, `upgrade` and `platform` to the command line."""
    _add_init(
        add("init", "write platform.yaml for your project and repository; remove the examples")
    )

    p = add("upgrade", UPGRADE_HELP)
    p.add_argument(
        "--from", dest="source", required=True, metavar="URL", help="tenant-gitops' repository"
    )
    p.add_argument("--to", required=True, metavar="TAG", help="the release, e.g. v0.3.0")
    p.add_argument("--force", action="store_true", help="overwrite your changes to our files")

    p = add(
        "platform", "the platform's own set-up (GCP and GitHub), as code: preview it, or create it"
    )
    steps = p.add_subparsers(dest="platform_command", required=True, metavar="ACTION")
    for name, text in (("preview", "show what would be created"), ("up", "create or update")):
        q = steps.add_parser(name, help=text, description=text)
        add_globals(q)
        q.add_argument(
            "--backend",
            metavar="URL",
            help="the platform stack's own state (default: setup.platformState, else "
            f"file://<root>/{DEFAULT_PLATFORM_STATE}); somewhere only admins can write",
        )
        q.add_argument(
            "--existing-identity-platform",
            action="store_true",
            help="Identity Platform is already on in the project: import it, never initialise",
        )
        q.add_argument("--skip-github", action="store_true", help="leave the repository alone")


def _add_init(p: argparse.ArgumentParser) -> None:
    p.add_argument("--project", required=True, help="GCP project for the tenants' resources")
    p.add_argument("--repository", required=True, metavar="OWNER/NAME", help="this repository")
    p.add_argument(
        "--repository-id",
        required=True,
        type=int,
        metavar="ID",
        help="its numeric id (gh api repos/OWNER/NAME --jq .id): the only id the "
        "Workload Identity provider will accept",
    )
    p.add_argument("--location", default="EU", help="bucket location (default EU)")
    p.add_argument(
        "--kms-location", default="global", help="Cloud KMS key ring location (default global)"
    )
    p.add_argument("--state-bucket", metavar="NAME", help="default: <project>-tenant-state")
    p.add_argument(
        "--control-project",
        metavar="PROJECT",
        help="a separate project for state, key, pool and CI accounts (recommended)",
    )
    p.add_argument(
        "--pool",
        metavar="ID",
        help="the Workload Identity pool's id (default tenant-gitops; 0.1.0's guide: github)",
    )
    p.add_argument(
        "--provider",
        metavar="ID",
        help="the provider's id in the pool (default github; 0.1.0's guide: tenant-gitops)",
    )
    p.add_argument(
        "--platform-state",
        metavar="URL",
        help="where `platform up` keeps the platform stack's state, e.g. "
        "gs://<control project>-platform-state: a bucket only admins can write, never "
        f"the tenant state bucket (default file://<root>/{DEFAULT_PLATFORM_STATE})",
    )
    p.add_argument(
        "--reviewer",
        action="append",
        default=[],
        metavar="team:SLUG|user:LOGIN",
        help="approves deletions and adoptions (repeatable, at most six)",
    )
    p.add_argument("--keep-examples", action="store_true", help="keep tenant-one and tenant-two")
    p.add_argument("--force", action="store_true", help="replace a platform.yaml that has setup")
