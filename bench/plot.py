"""The benchmarks' plot: time against N, log-log, ours and the reference, validate and plan;
and for apply, the Pulumi processes per changed tenant against the budget of issue #15.

    .venv/bin/python bench/plot.py [bench/results.json] [bench/plot.png]

Reads the results run_all.py wrote; an extrapolated reference is drawn dashed with hollow
markers, so it is never mistaken for a measurement.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
OURS, REFERENCE = "tab:blue", "tab:red"


def _validate_panel(axes: Any, body: dict[str, Any]) -> None:
    rows = body["figures"]
    sizes = [r["manifests"] for r in rows]
    axes.plot(
        sizes, [r["ours_cli"] for r in rows], "o-", color=OURS, label="reconciler validate (CLI)"
    )
    axes.plot(
        sizes,
        [r["check_jsonschema"] for r in rows],
        "s-",
        color=REFERENCE,
        label="check-jsonschema",
    )
    cached = [r for r in rows if r.get("cached_one_changed") is not None]
    if cached:
        axes.plot(
            [r["manifests"] for r in cached],
            [r["cached_one_changed"] for r in cached],
            "^-",
            color="tab:green",
            label="reconciler validate, cache filled, 1 file changed",
        )
    axes.plot([10_000], [3.0], "v", color="gray", label="target: 10,000 under 3 s")
    axes.set_title("validate N manifests")
    axes.set_xlabel("manifests (N)")


def _plan_panel(axes: Any, body: dict[str, Any]) -> None:
    rows = body["figures"]
    sizes = [r["stacks"] for r in rows]
    axes.plot(
        sizes,
        [r["ours_seconds"] for r in rows],
        "o-",
        color=OURS,
        label="reconciler plan (0 Pulumi processes)",
    )
    measured = [r for r in rows if r["naive_measured"]]
    axes.plot(
        [r["stacks"] for r in measured],
        [r["naive_seconds"] for r in measured],
        "s-",
        color=REFERENCE,
        label="pulumi stack output per stack (measured)",
    )
    guessed = [r for r in rows if not r["naive_measured"]]
    if guessed:
        # Join the extrapolated points to the last measured one with a dashed line.
        tail = measured[-1:] + guessed
        axes.plot(
            [r["stacks"] for r in tail],
            [r["naive_seconds"] for r in tail],
            "s--",
            color=REFERENCE,
            markerfacecolor="none",
            label="pulumi stack output per stack (extrapolated)",
        )
    axes.plot([1000], [10.0], "v", color="gray", label="target: 1,000 under 10 s")
    axes.set_title("no-op plan over N deployed stacks")
    axes.set_xlabel("deployed stacks (N)")


def _apply_panel(axes: Any, body: dict[str, Any]) -> None:
    rows = [r for r in body["figures"]["runs"] if r["changed"] > 0]
    first = body["figures"].get("initial")
    if first:
        # New stacks cost a `stack init` and a first `up` that finds no stack: apart.
        axes.plot(
            [first["changed"]],
            [first["pulumi_starts"] / first["changed"]],
            "D",
            color="tab:purple",
            label=f"first apply, {first['changed']} new stacks",
        )
    for parallel in sorted({r["parallel"] for r in rows}):
        mine = sorted((r for r in rows if r["parallel"] == parallel), key=lambda r: r["changed"])
        axes.plot(
            [r["changed"] for r in mine],
            [r["pulumi_starts"] / r["changed"] for r in mine],
            "o-",
            label=f"reconciler apply --parallel {parallel}",
        )
    changed = sorted({r["changed"] for r in rows})
    axes.plot(
        changed,
        [(2 * k + 1) / k for k in changed],
        "v--",
        color="gray",
        label="budget: 2 per tenant + 1 per run",
    )
    axes.set_title("Pulumi processes per changed tenant")
    axes.set_xlabel("changed tenants (K)")


def plot(results: dict[str, Any], target: Path) -> Path | None:
    """Draw the panels the results have; None when there is nothing to plot."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter, NullFormatter

    plain = FuncFormatter(lambda value, _: f"{value:g}")

    panels = [
        (name, draw)
        for name, draw in (
            ("validate", _validate_panel),
            ("plan", _plan_panel),
            ("apply", _apply_panel),
        )
        if results.get(name)
    ]
    if not panels:
        return None
    figure, axes_list = plt.subplots(1, len(panels), figsize=(6 * len(panels), 4.6), squeeze=False)
    for axes, (name, draw) in zip(axes_list[0], panels, strict=True):
        draw(axes, results[name])
        axes.set_xscale("log")
        if name == "apply":
            axes.set_ylim(0, 5)
        else:
            axes.set_yscale("log")
        for axis in (axes.xaxis, axes.yaxis):
            axis.set_major_formatter(plain)
            axis.set_minor_formatter(NullFormatter())
        axes.set_ylabel("processes per tenant" if name == "apply" else "wall time (s)")
        axes.grid(True, which="both", alpha=0.3)
        axes.legend(fontsize="small")
    machine = results.get("machine", {})
    figure.suptitle(
        f"tenant-gitops benchmarks ({results.get('generated', '')})\n"
        f"{machine.get('cores')} cores, {machine.get('cpu')}, Python {machine.get('python')}, "
        f"Pulumi {machine.get('pulumi')}",
        fontsize="small",
    )
    figure.tight_layout()
    figure.savefig(target, dpi=110)
    plt.close(figure)
    return target


def main(argv: list[str]) -> int:
    source = Path(argv[0]) if argv else HERE / "results.json"
    target = Path(argv[1]) if len(argv) > 1 else HERE / "plot.png"
    written = plot(json.loads(source.read_text()), target)
    print(f"wrote {written}" if written else "nothing to plot")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
