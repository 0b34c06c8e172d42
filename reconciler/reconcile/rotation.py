"""Secret rotation: which unchanged tenants read a Secret Manager secret that has a newer
version than the one their last apply used. Version ids are compared, never values.

Apply records, per IdP, the version id each `latest` read resolved to (`secretVersions`
in the stack record, reconciler/engine/backend/records.py). Plan asks Secret Manager for
the metadata of each such secret's `latest` version (gcp/secret_manager.py) and compares:
- newer → a `SecretFinding(rotated=True)`: the tenant's plan line becomes an `update`
  that apply performs without --force (the manifest asks for `latest`, so the deployed
  config is behind what git describes; CI's plan-then-apply picks it up by itself);
- cannot tell (permission, not found, unreachable), or the newest is disabled or destroyed
  → a note on the line; the tenant stays `unchanged`, and plan never fails for it.

Only unchanged tenants are asked about (any other action runs the engine, which reads
`latest` anyway), only secrets the record lists, concurrently on a small thread pool. A
`fromEnv` reference counts when the apply read it from Secret Manager by the naming
convention (RECONCILER_CLIENT_SECRETS=secret-manager, CI's apply); read from the
environment (local runs), it is not recorded and its rotation needs `apply --force`.

Pure parts (`queries`, `finding`) are tested by tables; `check` does the I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from reconciler.gcp.secret_manager import LookupFailed, VersionMetadata
from reconciler.names import conventional_secret_id
from reconciler.program.secrets import used_secret_refs
from reconciler.reconcile.plan import Action, Change, SecretFinding

WORKERS = 8
"""Concurrent metadata calls at most: enough for a fleet, gentle on the API quota."""

Lookup = Callable[[str, str], VersionMetadata]
"""(project, secret id) -> the newest version's metadata; raises LookupFailed."""


@dataclass(frozen=True)
class SecretQuery:
    """One secret to look at: whose, which, and the version last applied."""

    tenant: str
    idp: str
    project: str
    secret: str
    applied: str
    """The version id the last successful apply read."""


def queries(changes: Iterable[Change], project: str) -> tuple[SecretQuery, ...]:
    """The recorded secrets of the unchanged tenants among `changes` (pure).

    Where each secret lives comes from the manifest, which is the one last applied (the
    tenant is unchanged): a `fromSecretManager` reference names it; a recorded `fromEnv`
    reference was read by the naming convention, in the platform's project.
    """
    found = []
    for change in changes:
        recorded = change.deployed.record.secret_versions if change.deployed else ()
        if change.action is not Action.UNCHANGED or change.desired is None or not recorded:
            continue  # (cheap tests first: a fleet's no-op plan passes here per tenant)
        refs = dict(used_secret_refs(change.desired.tenant))
        for idp, applied in recorded:
            ref = refs.get(idp)
            if ref is None:
                continue
            manager = ref.secret_manager
            if manager is not None and manager.version != "latest":
                continue  # pinned: a newer version is not what the manifest asks for
            secret = manager.secret if manager else conventional_secret_id(change.tenant, idp)
            where = (manager.project if manager else None) or project
            found.append(SecretQuery(change.tenant, idp, where, secret, applied))
    return tuple(found)


def finding(query: SecretQuery, newest: VersionMetadata | LookupFailed) -> SecretFinding | None:
    """What plan says about one secret, given Secret Manager's answer (pure)."""
    if isinstance(newest, LookupFailed):
        return SecretFinding(
            False, f"could not check the client secret of {query.idp} for a rotation: {newest}"
        )
    if newest.state != "ENABLED":
        return SecretFinding(
            False,
            f"the newest version ({newest.version}) of secret {query.secret} is "
            f"{newest.state}: an apply would fail to read it; enable it or add a version",
        )
    if newest.version == query.applied:
        return None
    return SecretFinding(
        True,
        f"client secret of {query.idp} rotated in Secret Manager: "
        f"version {query.applied} → {newest.version}",
    )


def unrecorded_notes(changes: Iterable[Change]) -> dict[str, list[SecretFinding]]:
    """Unchanged tenants whose last apply read secrets whose versions did not fit the record."""
    note = SecretFinding(
        False,
        "the secret versions of the last apply were not recorded (too many for the stack "
        "tag): rotations are not shown for this tenant; after one, apply with --force",
    )
    return {
        c.tenant: [note]
        for c in changes
        if c.action is Action.UNCHANGED and c.deployed and c.deployed.record.versions_unrecorded
    }


def check(
    changes: Iterable[Change], project: str, lookup: Callable[[], Lookup]
) -> dict[str, list[SecretFinding]]:
    """Findings per tenant for `changes`; `lookup()` is called only if there is a query."""
    chosen = list(changes)
    found = unrecorded_notes(chosen)
    asked = queries(chosen, project)
    if not asked:
        return found
    ask = lookup()

    def answer(query: SecretQuery) -> VersionMetadata | LookupFailed:
        try:
            return ask(query.project, query.secret)
        except LookupFailed as failed:
            return failed
        except Exception as error:  # a bug in a lookup must not cost the plan
            return LookupFailed(f"unexpected {type(error).__name__}: {error}")

    with ThreadPoolExecutor(max_workers=min(WORKERS, len(asked))) as pool:
        answers = list(pool.map(answer, asked))
    for query, newest in zip(asked, answers, strict=True):
        result = finding(query, newest)
        if result is not None:
            found.setdefault(query.tenant, []).append(result)
    return found
