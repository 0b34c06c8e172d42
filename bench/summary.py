"""The benchmarks' figures as Markdown tables (what the README's Performance section shows).

.venv/bin/python bench/summary.py [bench/results.json]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
TIMES = "\N{MULTIPLICATION SIGN}"


def machine_line(machine: dict[str, Any]) -> str:
    return (
        f"{machine.get('cores')} cores ({machine.get('cpu')}), {machine.get('memoryGiB')} GiB, "
        f"{machine.get('os')}, Python {machine.get('python')}, Pulumi {machine.get('pulumi')}; "
        f"1-minute load average {machine.get('loadAverage1m')} at the start"
    )


def _seconds(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def validate_table(body: dict[str, Any]) -> list[str]:
    lines = [
        "| manifests | ours, cold CLI (s) | CPU (s) | ours, in-process (s) "
        "| check-jsonschema (s) | CPU (s) | check-jsonschema / ours | cached, 1 changed (s) "
        "| CPU (s) | cached / cold | read + compose CPU (s) | load (1 min) |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in body["figures"]:
        cached = r.get("cached_one_changed")
        lines.append(
            f"| {r['manifests']:,} | {r['ours_cli']:.2f} | {_seconds(r.get('ours_cli_cpu'))} "
            f"| {r['ours_in_process']:.2f} | {r['check_jsonschema']:.2f} "
            f"| {_seconds(r.get('check_jsonschema_cpu'))} | {r['ratio']:.1f}{TIMES} "
            f"| {_seconds(cached)} | {_seconds(r.get('cached_one_changed_cpu'))} "
            f"| {_seconds(r.get('cached_ratio'), 3)} | {_seconds(r.get('read_and_compose'))} "
            f"| {_seconds(r.get('load_average_1m'))} |"
        )
    if body["figures"] and body["figures"][0].get("pinned"):
        lines += ["", f"Every command ran under `{body['figures'][0]['pinned']}`."]
    return lines


def plan_table(body: dict[str, Any]) -> list[str]:
    lines = [
        "| deployed stacks | `reconciler plan` (s) | CPU (s) | Pulumi processes | max RSS (MiB) "
        "| naive: CLI call per stack (s) | CPU (s) | Pulumi processes | naive / ours |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in body["figures"]:
        guessed = "" if r["naive_measured"] else " (extrapolated)"
        lines.append(
            f"| {r['stacks']:,} | {r['ours_seconds']:.2f} | {_seconds(r.get('ours_cpu_seconds'))} "
            f"| {r['ours_pulumi_starts']} | {r['ours_max_rss_mib']:.0f} "
            f"| {r['naive_seconds']:.1f}{guessed} | {_seconds(r.get('naive_cpu_seconds'), 1)} "
            f"| {r['naive_pulumi_starts']:,} | {r['speedup']:.0f}{TIMES}{guessed} |"
        )
    for r in body["figures"]:
        if r.get("changed_seconds") is not None:
            lines.append("")
            lines.append(
                f"With 10 of the {r['stacks']:,} manifests edited, `reconciler plan` took "
                f"{r['changed_seconds']:.2f} s (no edits: {r['ours_seconds']:.2f} s)."
            )
    return lines


def _apply_row(r: dict[str, Any], label: str, speed: str) -> str:
    target = r.get("starts_target")
    starts = f"{r['pulumi_starts']}" + (f" (≤ {target})" if target and r["changed"] else "")
    return (
        f"| {label} | {r['parallel']} | {r['seconds']:.1f} | {_seconds(r.get('cpu_seconds'), 1)} "
        f"| {r['engine_operations']} | {starts} | {_seconds(r.get('up_seconds'))} "
        f"| {_seconds(r.get('overhead_seconds'))} (≤ {_seconds(r.get('overhead_target'), 1)}) "
        f"| {_seconds(r.get('overhead_cpu_seconds'))} "
        f"| {_seconds(r.get('load_average_1m'))} | {len(r['failures'])} | {speed} |"
    )


def apply_table(body: dict[str, Any]) -> list[str]:
    figures = body["figures"]
    naive = figures.get("naive_seconds")
    lines = [
        f"| changed of {figures['stacks']} | `--parallel` | `reconciler apply` (s) | CPU (s) "
        "| engineOperations | Pulumi processes | `up` processes (s) | other (s) | other, CPU (s) "
        "| load (1 min) | failed | naive / ours |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    if figures.get("initial"):
        lines.append(_apply_row(figures["initial"], "all (first apply)", "-"))
    for r in figures["runs"]:
        speed = f"{naive / r['seconds']:.0f}{TIMES}" if naive else "-"
        lines.append(_apply_row(r, str(r["changed"]), speed))
    if naive is not None:
        lines.append("")
        lines.append(
            f"Naive reference: the engine's `up` on all {figures['stacks']} stacks at parallel "
            f"{figures['naive_parallel']}: {naive:.1f} s "
            f"({_seconds(figures.get('naive_cpu_seconds'), 0)} s CPU), "
            f"{figures['naive_engine_operations']} engine operations, "
            f"{len(figures['naive_failures'])} failed."
        )
    return lines


def render(results: dict[str, Any]) -> str:
    lines = [f"Machine: {machine_line(results.get('machine', {}))}."]
    measured = results.get("checkout")
    if measured:
        extra = len(measured.get("uncommittedCodeFiles", ()))
        lines.append(
            f"Code: commit {str(measured.get('commit'))[:10]}"
            + (f" with {extra} uncommitted code file(s)" if extra else "")
            + f"; `{results.get('command')}`, {results.get('minutes')} min."
        )
    for name, table in (("validate", validate_table), ("plan", plan_table), ("apply", apply_table)):
        if results.get(name):
            lines += ["", f"**{name}**", "", *table(results[name])]
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    source = Path(argv[0]) if argv else HERE / "results.json"
    print(render(json.loads(source.read_text())), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
