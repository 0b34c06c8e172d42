"""Secret rotation in plan: what is asked, how an answer reads, and what the plan line becomes."""

from __future__ import annotations

import threading

import pytest

from reconciler.engine.backend.records import StackRecord
from reconciler.engine.backend.state import DeployedStack
from reconciler.gcp.secret_manager import LookupFailed, VersionMetadata
from reconciler.manifests.model import DefaultIdp, SecretManagerRef, SecretRef, Tenant
from reconciler.reconcile import rotation
from reconciler.reconcile.plan import Action, Desired, SecretFinding, make_plan
from reconciler.reconcile.rotation import SecretQuery, finding, queries

PROJECT = "demo-rot"


def sm(secret: str, version: str = "latest") -> SecretRef:
    return SecretRef(secret_manager=SecretManagerRef(secret, version))


def env(variable: str) -> SecretRef:
    return SecretRef(from_env=variable)


def tenant(name: str, **refs: SecretRef) -> Desired:
    idps = tuple(DefaultIdp(idp, f"{idp}-client", ref) for idp, ref in refs.items())
    manifest = Tenant(
        name=name, owner="o@example.com", display_name=name.title(), identity_providers=idps
    )
    return Desired(manifest, fingerprint=f"fp-{name}", protected=True)


def deployed(want: Desired, *versions: tuple[str, str], **record) -> DeployedStack:
    fingerprint = record.pop("fingerprint", want.fingerprint)
    stack_record = StackRecord(
        fingerprint, "succeeded", True, secret_versions=tuple(versions), **record
    )
    return DeployedStack(want.tenant.name, stack_record, locked=False)


def metadata(version: str, state: str = "ENABLED") -> VersionMetadata:
    return VersionMetadata(f"projects/123/secrets/s/versions/{version}", state)


def query(applied: str = "7") -> SecretQuery:
    return SecretQuery("acme", "google.com", PROJECT, "tenant-acme-google", applied)


# --- what plan asks about ----------------------------------------------------------------------


def plan_for(*pairs: tuple[Desired, DeployedStack | None]):
    wanted = [d for d, _ in pairs]
    stacks = {d.tenant.name: s for d, s in pairs if s is not None}
    return make_plan(wanted, stacks, 1.0).changes


def test_only_recorded_secrets_of_unchanged_tenants_are_asked_about():
    a = tenant("acme", **{"google.com": sm("tenant-acme-google")})
    b = tenant("beta", **{"google.com": sm("tenant-beta-google")})
    c = tenant("gamma", **{"google.com": sm("tenant-gamma-google")})
    changes = plan_for(
        (a, deployed(a, ("google.com", "7"))),
        (b, deployed(b, ("google.com", "3"), fingerprint="older")),  # an update anyway
        (c, deployed(c)),  # nothing recorded (e.g. applied before this feature)
    )
    assert queries(changes, PROJECT) == (
        SecretQuery("acme", "google.com", PROJECT, "tenant-acme-google", "7"),
    )


def test_a_recorded_from_env_reference_is_asked_by_the_naming_convention():
    a = tenant("acme", **{"github.com": env("ACME_GITHUB_CLIENT_SECRET")})
    [asked] = queries(plan_for((a, deployed(a, ("github.com", "2")))), PROJECT)
    assert (asked.project, asked.secret) == (PROJECT, "tenant-acme-github-client-secret")


def test_pinned_versions_and_idps_no_longer_in_the_manifest_are_not_asked_about():
    a = tenant("acme", **{"google.com": sm("tenant-acme-google", "3")})
    changes = plan_for((a, deployed(a, ("google.com", "3"), ("gone.com", "1"))))
    assert queries(changes, PROJECT) == ()


# --- how an answer reads -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("newest", "expected"),
    [
        (metadata("7"), None),
        (
            metadata("8"),
            SecretFinding(
                True, "client secret of google.com rotated in Secret Manager: version 7 → 8"
            ),
        ),
        # The secret was deleted and created again: a different version is a rotation too.
        (
            metadata("1"),
            SecretFinding(
                True, "client secret of google.com rotated in Secret Manager: version 7 → 1"
            ),
        ),
        (
            metadata("8", "DISABLED"),
            SecretFinding(
                False,
                "the newest version (8) of secret tenant-acme-google is DISABLED: an apply "
                "would fail to read it; enable it or add a version",
            ),
        ),
        (
            LookupFailed("permission denied"),
            SecretFinding(
                False,
                "could not check the client secret of google.com for a rotation: permission denied",
            ),
        ),
    ],
    ids=["same", "newer", "recreated", "disabled", "cannot-tell"],
)
def test_finding(newest, expected):
    assert finding(query(), newest) == expected


# --- what the plan line becomes ----------------------------------------------------------------


def rotated() -> SecretFinding:
    return SecretFinding(True, "client secret of google.com rotated: version 7 → 8")


def test_a_rotation_makes_an_unchanged_tenant_an_update_that_apply_performs():
    a = tenant("acme", **{"google.com": sm("tenant-acme-google")})
    plan = make_plan(
        [a], {"acme": deployed(a, ("google.com", "7"))}, 1.0, secrets={"acme": [rotated()]}
    )
    [change] = plan.changes
    assert (change.action, change.reason) == (
        Action.UPDATE,
        "client secret of google.com rotated: version 7 → 8",
    )


def test_a_note_leaves_the_tenant_unchanged_and_says_why():
    a = tenant("acme", **{"google.com": sm("tenant-acme-google")})
    note = SecretFinding(False, "could not check: unreachable")
    plan = make_plan([a], {"acme": deployed(a, ("google.com", "7"))}, 1.0, secrets={"acme": [note]})
    [change] = plan.changes
    assert (change.action, change.reason) == (
        Action.UNCHANGED,
        "up to date; could not check: unreachable",
    )


def test_findings_never_change_a_tenant_that_has_other_work():
    a = tenant("acme", **{"google.com": sm("tenant-acme-google")})
    stack = deployed(a, ("google.com", "7"), fingerprint="older")
    plan = make_plan([a], {"acme": stack}, 1.0, secrets={"acme": [rotated()]})
    assert plan.changes[0].action is Action.UPDATE
    assert "rotated" not in plan.changes[0].reason


# --- check: the I/O around the pure parts -----------------------------------------------------


def test_check_asks_concurrently_and_turns_every_failure_into_a_note():
    names = [f"t{i}" for i in range(6)]
    wanted = [tenant(n, **{"google.com": sm(f"tenant-{n}-google")}) for n in names]
    changes = plan_for(*[(d, deployed(d, ("google.com", "7"))) for d in wanted])
    asked: list[tuple[str, str]] = []
    threads: set[int] = set()
    barrier = threading.Barrier(2, timeout=5)

    def lookup(project: str, secret: str) -> VersionMetadata:
        asked.append((project, secret))
        threads.add(threading.get_ident())
        if secret in ("tenant-t0-google", "tenant-t1-google"):
            barrier.wait()  # both in flight at once, or this times out
        if secret == "tenant-t2-google":
            raise LookupFailed("permission denied")
        if secret == "tenant-t3-google":
            raise RuntimeError("a bug")
        return metadata("8" if secret == "tenant-t4-google" else "7")

    found = rotation.check(changes, PROJECT, lambda: lookup)
    assert sorted(asked) == sorted((PROJECT, f"tenant-{n}-google") for n in names)
    assert len(threads) > 1
    assert set(found) == {"t2", "t3", "t4"}
    assert found["t2"][0].text.endswith("permission denied")
    assert "unexpected RuntimeError: a bug" in found["t3"][0].text
    assert found["t4"][0].rotated


def test_check_builds_no_client_when_nothing_is_recorded():
    a = tenant("acme", **{"google.com": sm("tenant-acme-google")})

    def no_client():
        raise AssertionError("no lookup may be built")

    assert rotation.check(plan_for((a, deployed(a))), PROJECT, no_client) == {}


def test_versions_that_were_not_recorded_are_a_note():
    a = tenant("acme", **{"google.com": sm("tenant-acme-google")})
    stack = deployed(a, versions_unrecorded=True)
    found = rotation.check(plan_for((a, stack)), PROJECT, lambda: None)  # type: ignore[arg-type,return-value]
    assert "not recorded" in found["acme"][0].text and "--force" in found["acme"][0].text
