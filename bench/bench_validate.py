"""Benchmark: validating N tenant manifests, ours against check-jsonschema on the same files.

    .venv/bin/python bench/bench_validate.py [--sizes 100,1000,10000] [--repeat 3] [--pin 0]
                                             [--json FILE]

For each N, a throw-away repository root gets N generated manifests that are all valid
but not alike: zero to three identity providers of every kind (default, OIDC with either
flow, SAML with a certificate), both kinds of secret reference, zero to eight labels, one
to twelve principals, and optional storage settings. Before timing, the script checks that
both tools accept every file: a run that fails is no figure.

Timed, wall clock, median of --repeat runs after one warm-up:
- ours, CLI: `reconciler validate --root DIR` as a user runs it (interpreter start and
  imports included: this is the number CI pays);
- ours, in-process: `validate_tree(DIR)` in this process (schemas already compiled);
- check-jsonschema: `check-jsonschema --schemafile schema/tenant.schema.json FILES...`
  (schema only: no duplicate-key, cross-file or layout checks, no line for each error);
- ours, cached, one changed: `reconciler validate` with its cache filled by an earlier run,
  after one manifest was edited (a new label each time): what a second run costs;
- the physical limit of a cold run: reading every file and composing its YAML nodes
  (what any validator that reports lines must do), in this process.

"ours CLI" is `reconciler validate --no-cache`: a cold, full run. With --pin CPU, every
command runs under `taskset -c CPU`, so a shared machine's other work competes less and
our worker processes cannot use the second core: the fair one-core comparison. Each
figure carries the 1-minute load average when it was taken.

Prints figures only; nothing here asserts on time.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from reconciler.manifests.validate import validate_tree  # noqa: E402 (needs the path above)

BIN = Path(sys.executable).parent
SCHEMA = REPO / "schema" / "tenant.schema.json"
CERTIFICATE = [
    "          - |",
    "            -----BEGIN CERTIFICATE-----",
    "            MIIBFDCBu6ADAgECAgEBMAoGCCqGSM49BAMCMBMxETAPBgNVBAMMCGFjbWUtaWRw",
    "            MCAXDTI2MDEwMTAwMDAwMFoYDzIxMjYwMTAxMDAwMDAwWjATMREwDwYDVQQDDAhh",
    "            Y21lLWlkcDBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABKghnLAUoDolCpBaCb1u",
    "            W8wpGS64TnvOT9pO/7tHwbAugjjH0JMHkgZtOozI7tn/gIp/YtjZf1Tjkv8TBtll",
    "            090wCgYIKoZIzj0EAwIDSAAwRQIhANV+r16VAKvLQJKHjTDj6hsUo4/XZJY0ZkG6",
    "            tLNAqtirAiAB5f2mcR9lOJi6HeFOfXUFRCdDLsHx//l96F6bgB0NTw==",
    "            -----END CERTIFICATE-----",
]


@dataclass(frozen=True)
class Figures:
    """One size's figures, in seconds."""

    manifests: int
    bytes_total: int
    ours_cli: float
    ours_cli_cpu: float
    """User + system CPU of the CLI and its workers: less sensitive to a busy machine."""
    ours_cli_max_rss_mib: float
    ours_in_process: float
    check_jsonschema: float
    check_jsonschema_cpu: float
    cached_one_changed: float
    cached_one_changed_cpu: float
    read_and_compose: float
    """In-process CPU seconds to read every file and compose its YAML (the physical limit)."""
    load_average_1m: float
    pinned: str | None

    @property
    def ratio(self) -> float:
        """How many times faster our CLI is than check-jsonschema."""
        return self.check_jsonschema / self.ours_cli if self.ours_cli else float("inf")

    @property
    def cached_ratio(self) -> float:
        """A cached run with one file changed, as a fraction of a cold full run."""
        return self.cached_one_changed / self.ours_cli if self.ours_cli else float("inf")


@dataclass(frozen=True)
class Run:
    """One finished command: wall time, its own peak memory, exit code, output."""

    seconds: float
    cpu_seconds: float
    max_rss_mib: float
    code: int
    output: str


PIN: list[str] = []
"""`taskset -c CPU` when --pin is given: prefixed to every measured command."""


def run(argv: Sequence[str], cwd: Path) -> Run:
    """Run a command to completion; its output goes to a file, not a pipe we must drain."""
    env = {"PATH": f"{BIN}:/usr/bin:/bin", "HOME": str(cwd), "LANG": "C.UTF-8"}
    argv = [*PIN, *argv]
    with tempfile.TemporaryFile() as out:
        start = time.perf_counter()
        process = subprocess.Popen(list(argv), cwd=cwd, env=env, stdout=out, stderr=out)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - start
        out.seek(0)
        text = out.read().decode("utf-8", "replace")
    cpu = usage.ru_utime + usage.ru_stime  # includes the worker processes it waited for
    return Run(seconds, cpu, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status), text)


def check(result: Run, what: str) -> Run:
    """Stop when a measured command failed: a failed run is no figure."""
    if result.code != 0:
        raise SystemExit(f"{what} failed (exit {result.code}):\n{result.output[-3000:]}")
    return result


def machine() -> dict[str, object]:
    """What a reader needs to compare figures across machines."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    return {
        "cores": cores,
        "cpu": cpu,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "load_average_1min": load,
    }


def manifest(index: int, rng: random.Random) -> str:
    """One valid manifest; the random generator makes each one a little different."""
    name = f"t-{index:05d}"
    lines = [
        "# yaml-language-server: $schema=../schema/tenant.schema.json",
        "apiVersion: mlaas.dev/v1",
        "kind: Tenant",
        "metadata:",
        f"  name: {name}",
        f"  owner: owner-{index}@example.com",
    ]
    labels = rng.randrange(0, 9)
    if labels:
        lines.append("  labels:")
        lines += [f"    label-{k}: value-{rng.randrange(1000)}" for k in range(labels)]
    lines += ["spec:", f"  displayName: Tenant-{index:05d}"]
    if rng.random() < 0.3:
        lines.append(f"  deletionProtection: {rng.choice(['true', 'false'])}")
    if rng.random() < 0.6:
        lines += ["  auth:", f"    allowPasswordSignup: {rng.choice(['true', 'false'])}"]
        if rng.random() < 0.5:
            lines += ["    clientPermissions:", "      disabledUserSignup: true"]
    providers = rng.sample(["google.com", "github.com", "oidc", "saml"], rng.randrange(0, 4))
    if providers:
        lines.append("  identityProviders:")
        for kind in providers:
            lines += _provider(kind, index, rng)
    lines += ["  storage:", f"    location: {rng.choice(['EU', 'US', 'europe-west4'])}"]
    if rng.random() < 0.5:
        lines.append(f"    storageClass: {rng.choice(['STANDARD', 'NEARLINE', 'COLDLINE'])}")
        lines.append(f"    retentionDays: {rng.randrange(1, 400)}")
    lines += ["  access:", "    admins:", f"      - user:admin-{index}@example.com"]
    members = rng.randrange(0, 12)
    if members:
        lines.append("    members:")
        kinds = ("user:u{}-{}@example.com", "group:g{}-{}@example.com", "domain:d{}-{}.example.com")
        lines += [f"      - {rng.choice(kinds).format(index, m)}" for m in range(members)]
    return "\n".join(lines) + "\n"


def _provider(kind: str, index: int, rng: random.Random) -> list[str]:
    secret = (
        # The tenant's own names (t-00001: T_00001_..., tenant-t-00001-...).
        [f"        fromEnv: T_{index:05d}_SECRET"]
        if rng.random() < 0.5
        else ["        fromSecretManager:", f"          secret: tenant-t-{index:05d}-secret"]
    )
    if kind == "oidc":
        code = rng.random() < 0.5
        return [
            f"    - id: oidc.t-{index}",
            f"      displayName: Tenant {index} SSO",
            f"      issuer: https://sso-{index}.example.com",
            f"      clientId: client-{index}",
            *(["      responseType: code", "      clientSecret:", *secret] if code else []),
        ]
    if kind == "saml":
        return [
            f"    - id: saml.t-{index}",
            f"      displayName: Tenant {index} SAML",
            "      idp:",
            f"        entityId: https://idp-{index}.example.com/metadata",
            f"        ssoUrl: https://idp-{index}.example.com/sso",
            "        certificates:",
            *CERTIFICATE,
            "      sp:",
            f"        entityId: https://mlaas.example.com/saml/t-{index}",
            "        callbackUri: https://mlaas.example.com/__/auth/handler",
        ]
    return [f"    - id: {kind}", f"      clientId: client-{index}", "      clientSecret:", *secret]


def write_root(folder: Path, count: int) -> int:
    """A repository root with `count` manifests; returns their total size in bytes."""
    rng = random.Random(count)
    tenants = folder / "tenants"
    tenants.mkdir(parents=True)
    total = 0
    for index in range(count):
        text = manifest(index, rng)
        (tenants / f"t-{index:05d}.yaml").write_text(text)
        total += len(text)
    return total


def timed(runs: int, action: Callable[[], object]) -> list[float]:
    """Wall times of `runs` calls of `action` after one warm-up call."""
    action()
    seconds = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        seconds.append(time.perf_counter() - start)
    return seconds


def read_and_compose(root: Path) -> float:
    """CPU seconds to read every manifest and compose its YAML nodes, nothing else."""
    from reconciler.manifests.loader import load_yaml_file

    start = time.process_time()
    for path in sorted((root / "tenants").glob("*.yaml")):
        load_yaml_file(path, path.name)
    return time.process_time() - start


def cached_runs(root: Path, repeat: int) -> list[Run]:
    """`reconciler validate` on a filled cache, after one manifest was edited each time."""
    cache = root.parent / f"{root.name}-cache"
    shutil.rmtree(cache, ignore_errors=True)
    ours = [str(BIN / "reconciler"), "--root", str(root), "validate", "--cache-dir", str(cache)]
    check(run(ours, root), "reconciler validate (filling the cache)")
    edited = sorted((root / "tenants").glob("*.yaml"))[0]
    original = edited.read_text()
    runs = []
    for index in range(repeat):
        edited.write_text(original.replace("metadata:\n", f"metadata:\n  # edit {index}\n", 1))
        runs.append(check(run(ours, root), "reconciler validate (cached)"))
    edited.write_text(original)
    return runs


def measure(root: Path, count: int, repeat: int) -> Figures:
    size = write_root(root, count)
    files = sorted(str(p.relative_to(root)) for p in (root / "tenants").glob("*.yaml"))

    result = validate_tree(root)
    if not result.ok or len(result.tenants) != count:
        raise SystemExit(f"generated manifests are not all valid: {result.issues[:5]}")
    load = os.getloadavg()[0]
    ours = [str(BIN / "reconciler"), "--root", str(root), "validate", "--no-cache"]
    check(run(ours, root), "reconciler validate")
    cli_runs = [check(run(ours, root), "reconciler validate") for _ in range(repeat)]
    in_process = timed(repeat, lambda: validate_tree(root))
    cached = cached_runs(root, repeat)
    compose = statistics.median(read_and_compose(root) for _ in range(repeat))

    theirs = [str(BIN / "check-jsonschema"), "--schemafile", str(SCHEMA), *files]
    check(run(theirs, root), "check-jsonschema")
    their_runs = [check(run(theirs, root), "check-jsonschema") for _ in range(repeat)]
    return Figures(
        manifests=count,
        bytes_total=size,
        ours_cli=statistics.median([r.seconds for r in cli_runs]),
        ours_cli_cpu=statistics.median([r.cpu_seconds for r in cli_runs]),
        ours_cli_max_rss_mib=max(r.max_rss_mib for r in cli_runs),
        ours_in_process=statistics.median(in_process),
        check_jsonschema=statistics.median([r.seconds for r in their_runs]),
        check_jsonschema_cpu=statistics.median([r.cpu_seconds for r in their_runs]),
        cached_one_changed=statistics.median([r.seconds for r in cached]),
        cached_one_changed_cpu=statistics.median([r.cpu_seconds for r in cached]),
        read_and_compose=compose,
        load_average_1m=round((load + os.getloadavg()[0]) / 2, 2),
        pinned=" ".join(PIN) or None,
    )


def render(figures: list[Figures]) -> str:
    header = (
        f"{'N':>7}  {'ours CLI s':>10}  {'(CPU s)':>7}  {'in-proc s':>9}  "
        f"{'check-jsonschema s':>18}  {'(CPU s)':>7}  {'ratio':>6}  {'cached+1 s':>10}  "
        f"{'(CPU s)':>7}  {'cached/cold':>11}  {'read+compose CPU s':>18}  {'load':>5}"
    )
    rows = [header, "-" * len(header)]
    for f in figures:
        rows.append(
            f"{f.manifests:>7}  {f.ours_cli:>10.3f}  {f.ours_cli_cpu:>7.2f}  "
            f"{f.ours_in_process:>9.3f}  {f.check_jsonschema:>18.3f}  "
            f"{f.check_jsonschema_cpu:>7.2f}  {f.ratio:>5.1f}x  {f.cached_one_changed:>10.3f}  "
            f"{f.cached_one_changed_cpu:>7.2f}  {f.cached_ratio:>10.3f}x  "
            f"{f.read_and_compose:>18.3f}  {f.load_average_1m:>5.2f}"
        )
    rows.append(
        "ratio: check-jsonschema wall / our cold CLI wall (--no-cache); cached+1: a run on a "
        "filled cache with one manifest edited; cached/cold: its wall over the cold wall"
    )
    if figures and figures[0].pinned:
        rows.append(f"every command ran under `{figures[0].pinned}`")
    return "\n".join(rows)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--sizes",
        default="100,1000,10000",
        help="comma-separated manifest counts (default 100,1000,10000)",
    )
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per tool and size")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the figures here")
    parser.add_argument("--keep", action="store_true", help="keep the generated roots")
    parser.add_argument(
        "--pin", metavar="CPU", help="run every command under `taskset -c CPU` (one core)"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    sizes = [int(part) for part in args.sizes.split(",") if part.strip()]
    if args.pin is not None:
        PIN[:] = ["taskset", "-c", args.pin]
        os.sched_setaffinity(0, {int(args.pin)})  # the in-process figures too
    facts = machine()
    print(
        f"machine: {facts['cores']} cores, {facts['cpu']}, {facts['os']}; "
        f"Python {facts['python']}; load average {facts['load_average_1min']}",
        flush=True,
    )
    figures = []
    workdir = Path(tempfile.mkdtemp(prefix="bench-validate-"))
    try:
        for count in sizes:
            print(f"... {count} manifests", file=sys.stderr, flush=True)
            figures.append(measure(workdir / f"n{count}", count, args.repeat))
    finally:
        if args.keep:
            print(f"kept {workdir}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    print(render(figures))
    if args.json:
        body = {
            "benchmark": "validate",
            "machine": {**facts, "load_average_1min_after": os.getloadavg()[0]},
            "repeat": args.repeat,
            "figures": [
                {**asdict(f), "ratio": f.ratio, "cached_ratio": f.cached_ratio} for f in figures
            ],
        }
        args.json.write_text(json.dumps(body, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
