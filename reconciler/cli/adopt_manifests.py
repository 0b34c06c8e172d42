"""`reconciler adopt --write-manifests --owner EMAIL`: a manifest for every live tenant that
has none, so onboarding 200 tenants is one command, one review and one `adopt`.

Fails closed like every command: the existing manifests must be valid first; the written
ones are validated with them, and if any is refused they are all taken back. An existing
file is never overwritten. Reads only (the project's tenant and IdP lists, the backend's
records and each deployed stack's state, for the tenant id it holds); `adopt` itself then
takes the tenants over.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from reconciler.cli import session
from reconciler.cli.options import AdoptOptions
from reconciler.cli.session import check_validation, err
from reconciler.report.status import (
    EXIT_ENVIRONMENT,
    EXIT_FAILED,
    EXIT_INVALID,
    EXIT_OK,
    EXIT_USAGE,
)
from reconciler.settings import Settings


def run_write_manifests(options: AdoptOptions, settings: Settings) -> int:
    """`adopt --write-manifests` (`state.run_adopt` hands it on)."""
    from reconciler.cli.scaffold import NewTenant, refusal
    from reconciler.engine.port import EngineError, NoAccess
    from reconciler.gcp.identitytoolkit import TenantApi, endpoint
    from reconciler.manifests.validate import validate_tree
    from reconciler.reconcile.discover import discover, held_tenants, read_live
    from reconciler.reconcile.manifest_writer import manifest_text, secret_ids
    from reconciler.reconcile.observe import observe_desired
    from reconciler.report.validation import render_issues

    owner = options.owner
    if not owner:
        err("reconciler: --write-manifests needs --owner EMAIL (who is accountable for them)")
        return EXIT_USAGE
    why = refusal(NewTenant("adopted", owner))
    if why:
        err(f"reconciler: {why}; nothing was written")
        return EXIT_USAGE
    platform = session.platform_of(options.globals, settings)
    desired = observe_desired(platform)
    check_validation(desired.validation)
    engine = session.engine_factory(platform, settings)
    deployed = session.deployed_stacks(platform, engine, settings)
    try:
        held = held_tenants(engine(), deployed) if deployed else []
    except EngineError as error:
        err(f"reconciler: cannot tell which tenants the stacks hold: {error.message}")
        return EXIT_ENVIRONMENT if isinstance(error, NoAccess) else EXIT_FAILED
    directory = TenantApi(endpoint(settings.emulator_host))
    live, idps, notes = read_live(directory, platform.gcp_project, directory.where.emulator)
    found = discover(live, idps, [d.tenant for d in desired.desired], held, owner)
    for line in (*notes, *(f"skipped {s}" for s in found.skipped)):
        err(line)
    written = _write(platform.root, found.manifests, manifest_text)
    if not written:
        print(f"no tenant of project {platform.gcp_project} lacks a manifest")
        return EXIT_OK
    check = validate_tree(platform.root)
    if not check.ok:
        err(render_issues(check, "text"))
        for path in written:
            path.unlink()
        err("reconciler: a written manifest was refused (a bug: please report it); removed them")
        return EXIT_INVALID
    secrets = sorted({s for document in found.manifests.values() for s in secret_ids(document)})
    for path in written:
        print(f"wrote {path.relative_to(platform.root)}")
    print(_next_steps(len(written), secrets))
    return EXIT_OK


def _write(
    root: Path, manifests: Mapping[str, Mapping[str, Any]], text: Callable[[Any], str]
) -> list[Path]:
    written = []
    for name, document in sorted(manifests.items()):
        path = root / "tenants" / f"{name}.yaml"
        if path.exists():
            err(f"skipped {name}: tenants/{name}.yaml exists (a tenant of another name?)")
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text(document), encoding="utf-8")
        written.append(path)
    return written


def _next_steps(count: int, secrets: list[str]) -> str:
    steps = [f"Review the {count} manifest(s): they say what each tenant has now"]
    if secrets:
        shown = ", ".join(secrets[:5]) + (
            f" and {len(secrets) - 5} more" if len(secrets) > 5 else ""
        )
        steps.append(
            f"Store each provider's live client secret and each test phone number's code in "
            f"Secret Manager ({shown}): adopt refuses a provider whose secret differs from the "
            "live one, and sets the test codes from what is stored"
        )
    steps.append(
        "Open a pull request; after the merge run the Tenant adopt workflow (a reviewer "
        "approves it), or `reconciler adopt` with the deploy account's credentials"
    )
    return "\nNext steps:\n" + "\n".join(f"  {n}. {s}" for n, s in enumerate(steps, start=1))
