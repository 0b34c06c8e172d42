"""Reports for people and machines: text for terminals, JSON for tools, Markdown for PRs.

Reports hold names, actions, resource steps and masked outputs only; no secret value ever
reaches them. The Markdown form is kept under GitHub's 65,536-character comment limit:
details are dropped first, then rows, and the report says where the full JSON is.

Text and Markdown are for people: fingerprints and long resource names are shortened and
terminal escape codes dropped there. JSON keeps every value whole.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable

from reconciler.report.markdown import COMMENT_LIMIT, MARKER, code, escape
from reconciler.report.results import Outcome, Report, ResourceStep

ATTENTION_LIMIT = 50
REASON_LIMIT = 300

_TITLES = {
    "plan": "Tenant plan",
    "preview": "Tenant preview",
    "apply": "Tenant apply",
    "drift": "Tenant drift check",
    "report": "Tenant report",
}


_FINGERPRINT = re.compile(r"\b[0-9a-f]{16,}\b")
_ESCAPE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07")
FINGERPRINT_SHOWN = 12
"""Hex digits kept of a fingerprint in text output (like git's short hashes, with margin)."""
NAME_LIMIT = 48
"""Longest resource name shown whole in text output; longer ones lose their middle."""


def readable(text: str) -> str:
    """`text` for people: escape codes dropped, long hex fingerprints cut to a prefix."""
    text = _ESCAPE.sub("", text)
    return _FINGERPRINT.sub(lambda m: m.group(0)[:FINGERPRINT_SHOWN] + "…", text)


def short_name(name: str, limit: int = NAME_LIMIT) -> str:
    """A long resource name with its middle elided: both ends tell names apart."""
    if len(name) <= limit:
        return name
    head = (limit - 1) // 2
    return name[:head] + "…" + name[len(name) - (limit - 1 - head) :]


def _counts(steps: Iterable[ResourceStep]) -> str:
    totals: dict[str, int] = {}
    for step in steps:
        totals[step.op] = totals.get(step.op, 0) + 1
    return ", ".join(f"{n} {op}" for op, n in sorted(totals.items())) or "-"


def summary_line(report: Report) -> str:
    totals: dict[str, int] = {}
    for outcome in report.outcomes:
        totals[outcome.status] = totals.get(outcome.status, 0) + 1
    parts = [f"{n} {status}" for status, n in sorted(totals.items())]
    line = f"{len(report.outcomes)} tenant(s): " + (", ".join(parts) or "none")
    return line + f"; {report.engine_operations} engine operation(s); reconciler {report.version}"


def render_text(report: Report) -> str:
    lines = []
    width = max((len(o.tenant) for o in report.outcomes), default=6)
    for o in report.outcomes:
        reason = readable(o.reason)
        where = _where(o)
        lines.append(f"{o.tenant:<{width}}  {o.action:<9}  {o.status:<9}  {reason}{where}")
        for step in o.steps:
            diff = f" ({', '.join(step.diffs)})" if step.diffs else ""
            name = short_name(step.name)
            lines.append(f"{'':<{width}}    {step.op:<18} {step.type}  {name}{diff}")
        for key, value in sorted(o.outputs.items()):
            shown = readable(json.dumps(value))
            lines.append(f"{'':<{width}}    output {key} = {shown}")
    if report.guard:
        lines.append(f"fleet guard: {readable(report.guard)}")
    if report.rollout:
        lines.append(f"rollout: {readable(report.rollout)}")
    lines.append(summary_line(report))
    return "\n".join(lines) + "\n"


def _where(o: Outcome) -> str:
    """A plan line's program version and wave, when the plan knows them."""
    parts = []
    if o.program is not None:
        parts.append(f"program {o.program or 'unrecorded'}")
    if o.wave:
        parts.append(f"wave {o.wave}")
    return f"  [{', '.join(parts)}]" if parts else ""


def render_json(report: Report) -> str:
    return json.dumps(report.to_json(), indent=2, sort_keys=True) + "\n"


def _short(text: str, limit: int = REASON_LIMIT) -> str:
    # Cut first, then escape (never half an entity): a reason quotes manifests and engines.
    text = readable(text)
    if limit <= 0:
        return ""
    return escape(text if len(text) <= limit else text[: limit - 1] + "…")


def _row(o: Outcome, reason_limit: int) -> str:
    icon = o.status.icon
    return (
        f"| {code(o.tenant)} | {escape(o.action)} | {icon} {o.status} | "
        f"{escape(_counts(o.steps))} | {_short(o.reason, reason_limit)}{escape(_where(o))} |"
    )


def _details(o: Outcome) -> str:
    if not o.steps:
        return ""
    body = "\n".join(
        f"- {code(s.op)} {escape(s.type)} {code(s.name)}"
        + (f" ({escape(', '.join(s.diffs))})" if s.diffs else "")
        for s in o.steps
    )
    summary = f"<summary><code>{escape(o.tenant)}</code>: {len(o.steps)} step(s)</summary>"
    return f"<details>{summary}\n\n{body}\n\n</details>\n"


def render_markdown(report: Report, limit: int = COMMENT_LIMIT, artifact: str = "") -> str:
    """The report as a pull-request comment: attention first, then every tenant."""
    attention = [o for o in report.outcomes if o.status.needs_attention]
    head = [
        MARKER,
        f"### {_TITLES.get(report.command, 'Tenant report')}",
        "",
        f"**{summary_line(report)}**",
        "",
    ]
    if report.guard:
        head += [f"> ⛔ **Fleet guard:** {escape(report.guard)}", ""]
    if report.rollout:
        icon = "⛔" if "halted" in report.rollout else "🌊"
        head += [f"> {icon} **Rollout:** {escape(report.rollout)}", ""]
    # Tenants needing attention come first; past a few dozen, the table below still lists them.
    for o in attention[:ATTENTION_LIMIT]:
        head.append(f"- {o.status.icon} {code(o.tenant)} {o.status}: {_short(o.reason)}")
    if len(attention) > ATTENTION_LIMIT:
        more = len(attention) - ATTENTION_LIMIT
        head.append(f"- …and {more} more needing attention (listed first in the table)")
    if attention:
        head.append("")
    table = ["| Tenant | Action | Result | Resources | Why |", "|---|---|---|---|---|"]
    ordered = sorted(report.outcomes, key=lambda o: (-o.status.rank, o.tenant))
    details = [_details(o) for o in ordered if o.steps]
    where = f" (full report: {artifact})" if artifact else " (full report: the JSON artifact)"

    def assemble(rows_kept: int, with_details: bool, reason_limit: int) -> str:
        rows = [_row(o, reason_limit) for o in ordered[:rows_kept]]
        parts = head + table + rows
        if rows_kept < len(ordered):
            parts.append(f"\n_…and {len(ordered) - rows_kept} more tenant(s){where}._")
        if with_details and details:
            parts += ["", *details]
        elif details:
            parts.append(f"\n_Resource details left out to fit the comment limit{where}._")
        return "\n".join(parts) + "\n"

    # Give up, in turn, the resource details, then the length of the reasons (the JSON
    # report keeps them whole), and only then rows: the failed and blocked come first.
    text = assemble(len(ordered), True, REASON_LIMIT)
    if len(text) <= limit:
        return text
    for reason_limit in (REASON_LIMIT, 120, 40, 0):
        text = assemble(len(ordered), False, reason_limit)
        if len(text) <= limit:
            return text
    low, high = 0, len(ordered)
    while low < high:  # the most rows that fit
        mid = (low + high + 1) // 2
        if len(assemble(mid, False, 0)) <= limit:
            low = mid
        else:
            high = mid - 1
    return assemble(low, False, 0)


REPORTERS: dict[str, Callable[[Report], str]] = {
    "text": render_text,
    "json": render_json,
    "markdown": render_markdown,
}
"""The run report's formats, by name (`--format`)."""


def render(report: Report, fmt: str) -> str:
    """The report in format `fmt` (one of `REPORTERS`), ending with a newline."""
    try:
        reporter = REPORTERS[fmt]
    except KeyError:
        raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(REPORTERS)}") from None
    return reporter(report)
