"""Benchmark: the schema gate alone, the hand-written gate against jsonschema-rs, same documents.

    .venv/bin/python bench/bench_gate.py [--count 10000] [--repeat 5] [--json FILE]

The gate answers "valid?" for a document already loaded from YAML; an invalid document
then goes to `jsonschema` for the messages either way. The hand-written gate was measured,
lost and was removed: it is loaded here from git (`reconciler/manifests/compiled.py` at
commit HAND_WRITTEN_AT) so the comparison can be repeated. Both candidates get
the same loaded documents: N generated valid manifests (bench_validate.py's generator) and
every invalid fixture. Timed in this process, median of --repeat passes over all N; the
build (compiling the schema) is timed once. Before timing, both must agree with the
reference `jsonschema` on every document: a gate that disagrees is no candidate.
Prints figures only; nothing here asserts on time.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import time
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.bench_validate import manifest  # noqa: E402
from bench.machine import describe, render  # noqa: E402
from reconciler.manifests.loader import load_yaml_bytes, load_yaml_text  # noqa: E402
from reconciler.manifests.schema import SCHEMA_DIR, checker  # noqa: E402

FIXTURES = REPO / "tests" / "fixtures" / "manifests" / "invalid"
HAND_WRITTEN_AT = "121eb93"
"""The last commit with the hand-written gate (`compile_gate`)."""


def hand_written_gate() -> Callable[[Any], Callable[[Any], bool]]:
    """`compile_gate` from `reconciler/manifests/compiled.py` at HAND_WRITTEN_AT."""
    source = subprocess.run(
        ["git", "show", f"{HAND_WRITTEN_AT}:reconciler/manifests/compiled.py"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    module = types.ModuleType("hand_written_gate")
    sys.modules[module.__name__] = module  # dataclasses look their module up
    exec(compile(source, "compiled.py@" + HAND_WRITTEN_AT, "exec"), module.__dict__)
    gate: Callable[[Any], Callable[[Any], bool]] = module.compile_gate
    return gate


def documents(count: int) -> tuple[list[Any], list[Any]]:
    rng = random.Random(count)
    valid = [load_yaml_text(manifest(i, rng), f"t-{i}.yaml").document for i in range(count)]
    invalid = []
    for path in sorted(FIXTURES.glob("*.yaml")):
        loaded = load_yaml_bytes(path.read_bytes(), path.name)
        if isinstance(loaded.document, dict) and not loaded.issues:
            invalid.append(loaded.document)
    return valid, invalid


def timed(repeat: int, check: Callable[[Any], bool], docs: list[Any]) -> float:
    passes = []
    for _ in range(repeat):
        start = time.process_time()
        for doc in docs:
            check(doc)
        passes.append(time.process_time() - start)
    return statistics.median(passes)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=10000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", type=Path, metavar="FILE")
    args = parser.parse_args(argv)
    machine = describe()
    print(render(machine), flush=True)
    import jsonschema_rs

    schema = json.loads((SCHEMA_DIR / "tenant.schema.json").read_text())
    reference = checker("tenant").validator
    compile_gate = hand_written_gate()
    start = time.process_time()
    ours = compile_gate(schema)
    ours_build = time.process_time() - start
    start = time.process_time()
    theirs = jsonschema_rs.validator_for(schema)
    theirs_build = time.process_time() - start

    valid, invalid = documents(args.count)
    disagree: dict[str, list[int]] = {"ours": [], "jsonschema-rs": []}
    for index, doc in enumerate(valid + invalid):
        truth = reference.is_valid(doc)
        if ours(doc) != truth:
            disagree["ours"].append(index)
        if theirs.is_valid(doc) != truth:
            disagree["jsonschema-rs"].append(index)
    figures: dict[str, Any] = {
        "documents": len(valid),
        "invalidFixtures": len(invalid),
        "oursBuildSeconds": ours_build,
        "jsonschemaRsBuildSeconds": theirs_build,
        "oursSeconds": timed(args.repeat, ours, valid),
        "jsonschemaRsSeconds": timed(args.repeat, theirs.is_valid, valid),
        "disagreementsWithJsonschema": {k: len(v) for k, v in disagree.items()},
        "jsonschemaRsVersion": getattr(jsonschema_rs, "__version__", "unknown"),
    }
    per_doc = {k: figures[k] / len(valid) * 1e6 for k in ("oursSeconds", "jsonschemaRsSeconds")}
    print(
        f"gate over {len(valid)} loaded manifests (CPU s, median of {args.repeat}): "
        f"hand-written {figures['oursSeconds']:.3f} ({per_doc['oursSeconds']:.1f} us/doc, "
        f"build {ours_build * 1000:.1f} ms); jsonschema-rs {figures['jsonschemaRsSeconds']:.3f} "
        f"({per_doc['jsonschemaRsSeconds']:.1f} us/doc, build {theirs_build * 1000:.1f} ms)"
    )
    print(
        f"disagreements with jsonschema over {len(valid)} valid + {len(invalid)} invalid: "
        f"hand-written {len(disagree['ours'])}, jsonschema-rs {len(disagree['jsonschema-rs'])}"
    )
    if args.json:
        body = {"benchmark": "gate", "machine": machine, "figures": figures}
        args.json.write_text(json.dumps(body, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
