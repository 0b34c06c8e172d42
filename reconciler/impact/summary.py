"""The impact for people: one fleet line, tenants grouped by identical change, details.

`fleet_line` is the one-line summary ("updates 812 of 1,000 tenants: bucket labels;
replaces nothing"); `groups` puts tenants whose changes are the same (resource names
aside) together, largest first; `render_markdown` is the pull-request comment's section
(the first tenants in detail, bounded), `render_full` the job summary's (every tenant),
`render_text` the terminal's. Every string from the document is escaped.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from reconciler.impact.diff import (
    ADDED,
    CHANGED,
    CREATE,
    DELETE,
    FAILED,
    REMOVED,
    REPLACE,
    ResourceChange,
    TenantImpact,
)
from reconciler.impact.document import Impact
from reconciler.report.markdown import escape

MARKER = "<!-- tenant-gitops-impact -->"
TITLE = "Impact of this pull request's code on the fleet"
DETAIL_TENANTS = 5
"""Tenants shown in detail in the comment; the job summary has them all."""
GROUP_ROWS = 20
NAMES_PER_GROUP = 8
COMMENT_BUDGET = 16_000
"""Characters the impact may take of the comment (the preview's report needs the rest)."""
SUMMARY_BUDGET = 900_000
"""GitHub keeps at most 1 MiB of a step's job summary."""
VALUE_SHOWN = 60

FRIENDLY = {
    "gcp:identityplatform/tenant:Tenant": "identity tenant",
    "pulumi-python:dynamic/identityplatform:TenantSignInSettings": "sign-in settings",
    "pulumi-python:dynamic/identityplatform:TenantOidcFlow": "OIDC code flow",
    "pulumi-python:dynamic/identityplatform:TenantMfaConfig": "MFA settings",
    "gcp:identityplatform/tenantDefaultSupportedIdpConfig:TenantDefaultSupportedIdpConfig": (
        "sign-in provider"
    ),
    "gcp:identityplatform/tenantOauthIdpConfig:TenantOauthIdpConfig": "OIDC provider",
    "gcp:identityplatform/tenantInboundSamlConfig:TenantInboundSamlConfig": "SAML provider",
    "gcp:storage/bucket:Bucket": "bucket",
    "gcp:storage/bucketIAMMember:BucketIAMMember": "bucket grant",
    "gcp:serviceaccount/account:Account": "service account",
    "gcp:serviceaccount/iAMMember:IAMMember": "service-account grant",
}

NOTICE = (
    "Computed by running this pull request's own code under Pulumi's mocks, with no "
    "credential, secret or state: an aid to honest review, **not a control**. A malicious "
    "change can misreport itself; the controls are the owners' approval and the rollout's "
    "waves after merge (docs/security.md)."
)


def friendly(resource_type: str) -> str:
    """A resource type as people say it (`bucket`), else its last word, spaced out."""
    if resource_type in FRIENDLY:
        return FRIENDLY[resource_type]
    last = resource_type.rsplit(":", 1)[-1]
    words = "".join(f" {c.lower()}" if c.isupper() else c for c in last).strip()
    return words or resource_type


def _phrases(change: ResourceChange) -> list[str]:
    """What one resource change does, as short phrases (replacements apart)."""
    name = friendly(change.type)
    if change.op == CREATE:
        return [f"adds a {name}"]
    if change.op == DELETE:
        return [f"removes a {name}"]
    if change.op == REPLACE:
        return []
    return [f"{name} {field}" for field in (*change.fields, *change.options)]


def _replacement(change: ResourceChange) -> str:
    return f"{friendly(change.type)} ({', '.join(change.replace_fields)})"


def _count(number: int, noun: str) -> str:
    return f"{number:,} {noun}{'' if number == 1 else 's'}"


def _top(counts: Counter[str], most: int = 3) -> str:
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    shown = [phrase for phrase, _ in ranked[:most]]
    if len(ranked) > most:
        shown.append(f"and {len(ranked) - most} more")
    return ", ".join(shown)


def fleet_line(impact: Impact) -> str:
    """The whole impact in one line."""
    if not impact.code_changed:
        return "no change to the program, the platform settings or the pinned provider"
    if impact.error:
        return f"not computed: {impact.error}"
    total = len([t for t in impact.tenants if t.state != REMOVED])
    touched = [t for t in impact.tenants if t.state in (CHANGED, ADDED, REMOVED)]
    failed = [t for t in impact.tenants if t.state == FAILED]
    parts = []
    if touched:
        what: Counter[str] = Counter()
        for tenant in touched:
            what.update({p for c in tenant.changes for p in _phrases(c)})
        line = f"updates {len(touched):,} of {_count(total, 'tenant')}"
        parts.append(f"{line}: {_top(what)}" if what else line)
    elif not failed:
        parts.append(f"changes nothing on {_count(total, 'tenant')}")
    replaced: Counter[str] = Counter()
    lost = 0
    for tenant in impact.tenants:
        replaced.update({_replacement(c) for c in tenant.changes if c.op == REPLACE})
        lost += any(c.loses_state for c in tenant.changes)
    if replaced:
        ranked = sorted(replaced.items(), key=lambda item: (-item[1], item[0]))
        text = ", ".join(f"the {what} of {_count(n, 'tenant')}" for what, n in ranked[:3])
        parts.append(f"replaces {text}")
    elif touched:
        parts.append("replaces nothing")
    if lost:
        parts.append(f"⚠️ loses users or data on {_count(lost, 'tenant')}")
    if failed:
        parts.append(f"the program fails for {_count(len(failed), 'tenant')}")
    return "; ".join(parts)


def groups(tenants: Iterable[TenantImpact]) -> list[tuple[TenantImpact, list[str]]]:
    """Tenants with an identical change, one example each, largest group first."""
    found: dict[Any, tuple[TenantImpact, list[str]]] = {}
    for tenant in tenants:
        if tenant.state == "unchanged":
            continue
        found.setdefault(tenant.signature(), (tenant, []))[1].append(tenant.tenant)
    return sorted(found.values(), key=lambda group: (-len(group[1]), group[1][0]))


def describe(tenant: TenantImpact) -> str:
    """What a tenant's change is, resource names left out."""
    if tenant.state == FAILED:
        return f"the program fails: {tenant.error}"
    counts: Counter[str] = Counter()
    for change in tenant.changes:
        if change.op == REPLACE:
            counts[f"replaces the {_replacement(change)}"] += 1
        else:
            counts.update(_phrases(change))
    text = ", ".join(f"{p} (x{n})" if n > 1 else p for p, n in sorted(counts.items()))
    prefix = {ADDED: "new tenant: ", REMOVED: "tenant removed: "}.get(tenant.state, "")
    return prefix + (text or "no resource")


def _shown(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value)
    text = text if len(text) <= VALUE_SHOWN else text[: VALUE_SHOWN - 1] + "…"
    return f"<code>{escape(text)}</code>"


def _resource_lines(change: ResourceChange) -> list[str]:
    head = f"- `{change.op}` {escape(friendly(change.type))} <code>{escape(change.name)}</code>"
    if change.replace_fields:
        head += f" (forced by {escape(', '.join(change.replace_fields))})"
    lines = [head]
    for detail in change.details:
        if detail.secret:
            lines.append(f"  - <code>{escape(detail.path)}</code>: changed (secret)")
        else:
            before, after = _shown(detail.before), _shown(detail.after)
            lines.append(f"  - <code>{escape(detail.path)}</code>: {before} → {after}")
    lines += [f"  - {escape(option)} changed" for option in change.options]
    if change.more:
        lines.append(f"  - …and {change.more} more changed input(s)")
    return lines


def _details(tenant: TenantImpact) -> str:
    body = [f"<details><summary><code>{escape(tenant.tenant)}</code>: "]
    body[0] += f"{escape(describe(tenant))}</summary>\n"
    for change in tenant.changes:
        body += _resource_lines(change)
    return "\n".join(body) + "\n\n</details>"


def _group_rows(grouped: Sequence[tuple[TenantImpact, list[str]]], names: int) -> list[str]:
    rows = ["| Change | Tenants | Which |", "|---|---:|---|"]
    for example, members in grouped:
        shown = ", ".join(f"`{escape(n)}`" for n in members[:names])
        if len(members) > names:
            shown += f", …{len(members) - names:,} more"
        rows.append(f"| {escape(describe(example))} | {len(members):,} | {shown} |")
    return rows


def _head(impact: Impact) -> list[str]:
    lines = [MARKER, f"### {TITLE}", "", f"**{escape(fleet_line(impact))}**", ""]
    if impact.code_changed:
        span = f"`{escape(impact.base)}` → `{escape(impact.head)}`"
        lines += [f"> ⚠️ {NOTICE} ({span})", ""]
    lines += [f"> {escape(note)}" for note in impact.notes]
    return lines + ([""] if impact.notes else [])


def render_markdown(impact: Impact, budget: int = COMMENT_BUDGET) -> str:
    """The comment's section: the fleet line, the groups, the first tenants in detail."""
    lines = _head(impact)
    grouped = groups(impact.tenants)
    if not grouped:
        return "\n".join(lines) + "\n"
    lines += _group_rows(grouped[:GROUP_ROWS], NAMES_PER_GROUP)
    if len(grouped) > GROUP_ROWS:
        lines.append(f"\n_…and {len(grouped) - GROUP_ROWS:,} more groups in the job summary._")
    touched = [t for t in impact.tenants if t.state != "unchanged"]
    shown = 0
    text = "\n".join(lines)
    for tenant in touched[:DETAIL_TENANTS]:
        block = _details(tenant)
        if len(text) + len(block) + 200 > budget:
            break
        text += "\n\n" + block
        shown += 1
    if len(touched) > shown:
        text += (
            f"\n\n_The other {len(touched) - shown:,} changed tenant(s) are in the job summary._"
        )
    return text + "\n"


def render_full(impact: Impact, budget: int = SUMMARY_BUDGET) -> str:
    """The job summary's section: every group, every changed tenant in detail (bounded)."""
    lines = _head(impact)
    grouped = groups(impact.tenants)
    lines += _group_rows(grouped, 10**9) if grouped else []
    text = "\n".join(lines)
    touched = [t for t in impact.tenants if t.state != "unchanged"]
    for index, tenant in enumerate(touched):
        block = _details(tenant)
        if len(text) + len(block) + 200 > budget:
            text += f"\n\n_…{len(touched) - index:,} more tenant(s) left out (size limit)._"
            break
        text += "\n\n" + block
    return text + "\n"


def render_text(impact: Impact) -> str:
    """For a terminal: the fleet line, then one line per group."""
    lines = [fleet_line(impact)]
    for example, members in groups(impact.tenants):
        names = ", ".join(members[:NAMES_PER_GROUP])
        more = f" (+{len(members) - NAMES_PER_GROUP})" if len(members) > NAMES_PER_GROUP else ""
        lines.append(f"  {len(members):>6,}  {describe(example)}: {names}{more}")
    lines += [f"note: {note}" for note in impact.notes]
    return "\n".join(lines) + "\n"
