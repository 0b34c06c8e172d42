"""The fleet page: one self-contained HTML file, every tenant on one row.

`render_html(FleetPage)` is pure. The page fetches nothing: styles are inline, there is no
script, no image, no font and no link outside the page, and its Content-Security-Policy
(`default-src 'none'`) tells the browser to refuse any fetch a later edit might add. Every
value is HTML-escaped (tenant names, labels, reasons and lock holders come from manifests
and engines). Rows are sorted with the tenants that need attention first.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from html import escape

CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"
ATTENTION = ("failed", "blocked", "drifted", "locked", "halted", "held")


@dataclass(frozen=True)
class SignIn:
    """How the tenant's users sign in, as its manifest says."""

    providers: tuple[str, ...] = ()
    """`google.com`, `oidc.acme (OIDC)`, `saml.acme (SAML)`; `(off)` when disabled."""
    mfa: str = "DISABLED"
    """`DISABLED`, or the state and its factors: `MANDATORY: PHONE_SMS, TOTP`."""
    password: bool = False
    """Email and password sign-up allowed."""


@dataclass(frozen=True)
class TenantRow:
    """One tenant: what git wants, what the backend holds, what the last runs found."""

    tenant: str
    display_name: str = ""
    action: str = ""
    """The planned action now (create, update, unchanged, retry, delete, blocked)."""
    reason: str = ""
    result: str = "never applied"
    """The recorded result of the last engine run (succeeded, failed, never applied)."""
    last_run: str = ""
    """When the record was last written (UTC), or empty."""
    program: str = ""
    """The program version of the last successful apply (short), or empty."""
    current: bool = False
    """That version is the program this page was made with."""
    wave: str = ""
    """The tenant's rollout wave (`2 early`), or empty without a rollout."""
    drift: str = "not checked"
    lock: str = ""
    """Who holds the stack's lock and since when, or empty."""
    sign_in: SignIn | None = None
    """None: the manifest is gone (a deployed stack only)."""
    labels: Mapping[str, str] = field(default_factory=dict)

    @property
    def flags(self) -> tuple[str, ...]:
        """What about this tenant needs a person's attention."""
        found = []
        if self.result == "failed" or self.action == "retry":
            found.append("failed")
        if self.action == "blocked":
            found.append("held" if "rollout" in self.reason else "blocked")
        if self.drift.startswith("drifted"):
            found.append("drifted")
        if self.lock:
            found.append("locked")
        return tuple(found)


@dataclass(frozen=True)
class FleetPage:
    title: str
    generated: str
    """When the page was made (UTC)."""
    program: str
    """The program version this checkout would apply (short)."""
    rows: tuple[TenantRow, ...]
    notes: tuple[str, ...] = ()
    """Fleet-wide lines: the rollout's state, the delete guard."""


_STYLE = """
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#1f2328;background:#fff}
h1{font-size:22px;margin:0 0 4px}
.meta{color:#59636e;margin:0 0 12px}
.counts span{display:inline-block;margin:0 8px 8px 0;padding:2px 8px;border-radius:10px;
background:#eef1f4}
.notes{margin:8px 0 16px;padding:8px 12px;border-left:4px solid #bf8700;background:#fff8c5}
table{border-collapse:collapse;width:100%}
th,td{border-bottom:1px solid #d1d9e0;padding:6px 8px;text-align:left;vertical-align:top}
th{background:#f6f8fa;position:sticky;top:0}
tr.attention td:first-child{border-left:4px solid #cf222e}
.ok{color:#1a7f37}.bad{color:#cf222e}.warn{color:#9a6700}.dim{color:#59636e}
code{font:12px ui-monospace,monospace;background:#f6f8fa;padding:0 3px;border-radius:3px}
td.tenant code{font-weight:600}
ul{margin:0;padding-left:16px}
""".strip()


def _cell(text: str, css: str = "") -> str:
    klass = f' class="{css}"' if css else ""
    return f"<td{klass}>{text}</td>"


def _result(row: TenantRow) -> str:
    css = {"succeeded": "ok", "failed": "bad"}.get(row.result, "dim")
    when = f'<br><span class="dim">{escape(row.last_run)}</span>' if row.last_run else ""
    return _cell(f'<span class="{css}">{escape(row.result)}</span>{when}')


def _program(row: TenantRow) -> str:
    if not row.program:
        return _cell("—", "dim")
    mark = '<span class="ok">current</span>' if row.current else '<span class="warn">older</span>'
    return _cell(f"<code>{escape(row.program)}</code> {mark}")


def _sign_in(sign_in: SignIn | None) -> str:
    if sign_in is None:
        return _cell("manifest removed", "dim")
    providers = "".join(f"<li>{escape(p)}</li>" for p in sign_in.providers) or "<li>none</li>"
    css = "ok" if not sign_in.mfa.startswith("DISABLED") else "dim"
    password = "password sign-up" if sign_in.password else "no password sign-up"
    body = (
        f'<ul>{providers}</ul><span class="{css}">MFA {escape(sign_in.mfa)}</span>'
        f'<br><span class="dim">{password}</span>'
    )
    return _cell(body)


def _row(row: TenantRow) -> str:
    labels = ", ".join(f"{escape(k)}={escape(v)}" for k, v in sorted(row.labels.items()))
    name = f"<code>{escape(row.tenant)}</code>"
    if row.display_name:
        name += f'<br><span class="dim">{escape(row.display_name)}</span>'
    if labels:
        name += f'<br><span class="dim">{labels}</span>'
    action_css = "bad" if row.flags else ("dim" if row.action == "unchanged" else "")
    state = f'<span class="{action_css}">{escape(row.action or "—")}</span>'
    if row.reason:
        state += f'<br><span class="dim">{escape(row.reason)}</span>'
    drift_css = "bad" if row.drift.startswith("drifted") else "dim"
    cells = [
        _cell(name, "tenant"),
        _cell(state),
        _result(row),
        _program(row),
        _cell(escape(row.wave) or "—", "" if row.wave else "dim"),
        _cell(escape(row.drift), drift_css),
        _cell(escape(row.lock) or "—", "warn" if row.lock else "dim"),
        _sign_in(row.sign_in),
    ]
    klass = ' class="attention"' if row.flags else ""
    return f'<tr id="tenant-{escape(row.tenant)}"{klass}>' + "".join(cells) + "</tr>"


def _counts(rows: Iterable[TenantRow]) -> str:
    rows = list(rows)
    actions = Counter(r.action for r in rows if r.action)
    flags = Counter(flag for r in rows for flag in r.flags)
    current = sum(1 for r in rows if r.current)
    parts = [f"{len(rows):,} tenants", f"{current:,} on the current program"]
    parts += [f"{n:,} {a}" for a, n in sorted(actions.items())]
    parts += [f"{n:,} {flag}" for flag, n in sorted(flags.items())]
    return "".join(f"<span>{escape(p)}</span>" for p in parts)


def render_html(page: FleetPage) -> str:
    """The whole page: a summary, fleet-wide notes, then one row per tenant."""
    ordered = sorted(page.rows, key=lambda r: (not r.flags, r.tenant))
    notes = "".join(f"<div>{escape(n)}</div>" for n in page.notes)
    head = (
        "<tr><th>Tenant</th><th>Plan</th><th>Last run</th><th>Program</th><th>Wave</th>"
        "<th>Drift</th><th>Lock</th><th>Sign-in</th></tr>"
    )
    body = "\n".join(_row(row) for row in ordered)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(page.title)}</title>
<style>{_STYLE}</style>
</head>
<body>
<h1>{escape(page.title)}</h1>
<p class="meta">Made {escape(page.generated)} with program <code>{escape(page.program)}</code>.
Data: the manifests, the state backend's records and locks, and the reports given.</p>
<div class="counts">{_counts(ordered)}</div>
{f'<div class="notes">{notes}</div>' if notes else ""}
<table id="fleet">
<thead>{head}</thead>
<tbody>
{body}
</tbody>
</table>
</body>
</html>
"""
