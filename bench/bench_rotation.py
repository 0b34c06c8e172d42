"""Benchmark: plan's secret-rotation check over N unchanged tenants with a recorded secret each.

    .venv/bin/python bench/bench_rotation.py [--sizes 100,1000]

Each tenant's record holds version 1 of its Secret Manager secret; every tenth secret has a
version 2. The check (`reconciler.reconcile.rotation.check`) runs with the real metadata client
(`reconciler.gcp.secret_manager.SecretVersions`) against the sandbox's Secret Manager stand-in
over HTTP (one `versions.get` per secret, 8 at a time). A wrong count of rotations stops
the script: a wrong setup is no figure. Against Google the per-call latency is the API's,
so read the figure as the overhead of the check itself.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from reconciler.engine.backend.records import StackRecord
from reconciler.engine.backend.state import DeployedStack
from reconciler.gcp.secret_manager import SecretVersions
from reconciler.manifests.model import DefaultIdp, SecretManagerRef, SecretRef, Tenant
from reconciler.reconcile import rotation
from reconciler.reconcile.plan import Desired, make_plan
from sandbox import secretmanager_api
from sandbox.provider.store import Store

PROJECT = "demo-bench"


def fleet(store: Store, count: int) -> tuple[list[Desired], dict[str, DeployedStack]]:
    """`count` unchanged tenants; every tenth secret rotated since its apply."""
    wanted, stacks = [], {}
    for index in range(count):
        name = f"bench-{index:05d}"
        secret = f"tenant-{name}-google-client-secret"
        for _ in range(2 if index % 10 == 0 else 1):
            store.put_secret_version(PROJECT, secret, "bench-value")
        ref = SecretRef(secret_manager=SecretManagerRef(secret))
        tenant = Tenant(
            name=name,
            owner="owner@example.com",
            display_name=name,
            identity_providers=(DefaultIdp("google.com", "client", ref),),
        )
        wanted.append(Desired(tenant, f"fp-{index}", True))
        record = StackRecord(
            f"fp-{index}", "succeeded", True, secret_versions=(("google.com", "1"),)
        )
        stacks[name] = DeployedStack(name, record, locked=False)
    return wanted, stacks


def measure(count: int) -> None:
    folder = Path(tempfile.mkdtemp(prefix="bench-rotation-"))
    db = folder / "sandbox.db"
    wanted, stacks = fleet(Store(db), count)
    api = secretmanager_api.start(db, folder / "secretmanager.log")
    try:
        changes = make_plan(wanted, stacks, 1.0).changes
        client = SecretVersions(api.url)
        start = time.perf_counter()
        found = rotation.check(changes, PROJECT, lambda: client.latest)
        seconds = time.perf_counter() - start
    finally:
        api.stop()
    rotated = sum(1 for items in found.values() for item in items if item.rotated)
    expected = len(range(0, count, 10))
    if rotated != expected or len(found) != expected:
        raise SystemExit(f"N={count}: {rotated} rotations found, {expected} expected")
    print(
        f"{count:6d} tenants  {seconds:6.2f} s  "
        f"({count / seconds:6.0f} secrets/s)  {rotated} rotated"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,1000")
    args = parser.parse_args()
    print("rotation check: one versions.get per recorded secret, sandbox stand-in over HTTP")
    for size in (int(s) for s in args.sizes.split(",")):
        measure(size)


if __name__ == "__main__":
    main()
