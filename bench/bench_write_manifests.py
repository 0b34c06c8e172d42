"""Benchmark: onboarding existing tenants: `reconciler adopt --write-manifests` over N live
tenants, then `reconciler validate` over what it wrote.

    .venv/bin/python bench/bench_write_manifests.py [--sizes 50,200]

N tenants are created in the Firebase Auth emulator (every third with password sign-in,
every fifth with SMS MFA), as a console or a script would; the CLI lists them and writes one
manifest each. The emulator serves no IdP config lists (501), so per tenant the command
makes one failed call per IdP kind: against Google it makes the same calls, with the API's
latency. A wrong count of written or valid manifests stops the script: a wrong setup is no
figure.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sandbox import emulator

REPO = Path(__file__).resolve().parent.parent
RECONCILER = Path(sys.executable).parent / "reconciler"


def create(host: str, project: str, count: int) -> None:
    url = f"http://{host}/identitytoolkit.googleapis.com/v2/projects/{project}/tenants"
    for index in range(count):
        body: dict[str, object] = {"displayName": f"Onboard-{index:04d}"}
        if index % 3 == 0:
            body["allowPasswordSignup"] = True
        if index % 5 == 0:
            body["mfaConfig"] = {"state": "ENABLED", "enabledProviders": ["PHONE_SMS"]}
        request = urllib.request.Request(
            url,
            data=json.dumps(body).encode(),
            method="POST",
            headers={"Authorization": "Bearer owner", "Content-Type": "application/json"},
        )
        urllib.request.urlopen(request, timeout=30).read()


def timed(root: Path, env: dict[str, str], *args: str) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run(
        [str(RECONCILER), "--root", str(root), *args],
        env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"reconciler {args[0]} exited {done.returncode}: {done.stderr[-2000:]}")
    return seconds, done.stdout


def measure(host: str, count: int) -> None:
    project = f"demo-onboard-{count}"
    root = Path(tempfile.mkdtemp(prefix="bench-onboard-"))
    shutil.copytree(REPO / "schema", root / "schema")
    (root / "tenants").mkdir()
    platform = (
        (REPO / "platform.yaml").read_text().replace("project: demo-mlaas", f"project: {project}")
    )
    (root / "platform.yaml").write_text(platform)
    create(host, project, count)
    env = {**os.environ, "FIREBASE_AUTH_EMULATOR_HOST": host}
    written, out = timed(root, env, "adopt", "--write-manifests", "--owner", "ml@acme.io")
    files = len(list((root / "tenants").glob("*.yaml")))
    if files != count or out.count("wrote tenants/") != count:
        raise SystemExit(f"N={count}: {files} manifests written, {count} expected")
    checked, _ = timed(root, env, "validate", "--no-cache")
    print(
        f"{count:5d} tenants  write-manifests {written:6.2f} s ({count / written:5.0f}/s)  "
        f"validate {checked:5.2f} s"
    )
    shutil.rmtree(root)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="50,200")
    sizes = [int(n) for n in parser.parse_args().sizes.split(",")]
    running = emulator.start("demo-onboard")
    try:
        for count in sizes:
            measure(running.host, count)
    finally:
        running.stop()


if __name__ == "__main__":
    main()
