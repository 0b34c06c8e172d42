"""The naive apply, the reference of bench_apply: the engine's `up` on every stack, changed or not.

    python -m bench.naive_apply --root ROOT [--parallel 4]

What a CI job does without fingerprints: run `pulumi up` for each of the N stacks. Here
through the reconciler's own engine adapter and tenant program (so both sides pay the
same per-operation cost), on a pool of --parallel workers. Prints one JSON line:
seconds, engine operations, failures.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path


def _load_provider_modules() -> None:
    """Load pulumi-gcp's lazily imported submodules before the worker threads start.

    Python 3.11's LazyLoader is not thread-safe: two programs touching `gcp.storage` for
    the first time at once can see a half-loaded module (see the README, Performance).
    """
    import pulumi_gcp as gcp

    for module in (gcp.storage, gcp.serviceaccount, gcp.identityplatform, gcp.secretmanager):
        getattr(module, "__all__", None)  # an attribute other than __file__ etc. loads it


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--root", type=Path, required=True)
    parser.add_argument("--parallel", type=int, default=4)
    args = parser.parse_args(argv)

    from reconciler.cli.runtime import engine_settings
    from reconciler.engine.automation import AutomationEngine
    from reconciler.engine.port import EngineError
    from reconciler.manifests.platform import load_platform
    from reconciler.program.secrets import resolve_secrets
    from reconciler.program.tenant import tenant_program
    from reconciler.reconcile.observe import observe_desired
    from reconciler.settings import read_settings

    start = time.perf_counter()
    settings = read_settings()
    platform = load_platform(args.root.resolve(), settings.platform_overrides)
    desired = observe_desired(platform).desired
    engine = AutomationEngine(engine_settings(platform, settings))
    _load_provider_modules()

    def up(name_and_program: tuple[str, object]) -> str | None:
        name, program = name_and_program
        try:
            engine.up(name, program)  # type: ignore[arg-type]
        except EngineError as error:
            return f"{name}: {error.message}"
        return None

    work = [
        (
            d.tenant.name,
            tenant_program(
                d.tenant,
                platform,
                d.fingerprint,
                resolve_secrets(d.tenant, settings.secret_env, settings.client_secrets),
            ),
        )
        for d in desired
    ]
    with ThreadPoolExecutor(max_workers=args.parallel) as pool:
        failures = [failure for failure in pool.map(up, work) if failure]
    seconds = time.perf_counter() - start
    print(
        json.dumps(
            {
                "seconds": seconds,
                "engineOperations": engine.operations,
                "failures": failures,
            }
        )
    )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
