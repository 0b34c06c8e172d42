"""The impact as a document: what the unprivileged job writes and the privileged one reads.

The pull request's own code computes it, so the privileged workflow reads it as untrusted
data with `Impact.from_json`: every field is type-checked, every string and list is
bounded, tenant names must be tenant names, and anything else refuses the whole document
(`ImpactFormatError`), which the comment then says. Nothing in it is executed; every
string reaches Markdown only through `reconciler.report.markdown.escape`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from reconciler.impact.diff import (
    ADDED,
    CHANGED,
    CREATE,
    DELETE,
    FAILED,
    MAX_DETAILS,
    REMOVED,
    REPLACE,
    UNCHANGED,
    UPDATE,
    FieldChange,
    ResourceChange,
    TenantImpact,
)

IMPACT_SCHEMA = 1
MAX_BYTES = 32 * 1024 * 1024
"""The largest impact file the privileged side reads."""
MAX_TENANTS = 20_000
MAX_CHANGES = 1_000
"""Resource changes kept per tenant."""
MAX_TEXT = 300
"""Characters kept of any string (names, types, paths, errors, values)."""
_TENANT = re.compile(r"^[a-z][a-z0-9-]{1,26}[a-z0-9]$")
_STATES = (CHANGED, UNCHANGED, ADDED, REMOVED, FAILED)
_OPS = (CREATE, DELETE, UPDATE, REPLACE)


class ImpactFormatError(ValueError):
    """The file is not an impact document this reconciler reads."""


@dataclass(frozen=True)
class Impact:
    """A code change's effect on every tenant."""

    base: str
    """The base commit (short id) or a label."""
    head: str
    code_changed: bool
    """False: the pull request changes no code or platform setting; nothing was computed."""
    tenants: tuple[TenantImpact, ...] = ()
    notes: tuple[str, ...] = ()
    """What the reader should know about how it was computed (e.g. changed dependencies)."""
    error: str | None = None
    """A side could not be computed at all (its manifests are invalid, its code fails)."""

    def to_json(self) -> dict[str, Any]:
        return {
            "schemaVersion": IMPACT_SCHEMA,
            "kind": "impact",
            "base": self.base,
            "head": self.head,
            "codeChanged": self.code_changed,
            "error": self.error,
            "notes": list(self.notes),
            "tenants": [_tenant_json(t) for t in self.tenants],
        }

    @classmethod
    def from_json(cls, body: Any) -> Impact:
        """Read an untrusted impact document; raises ImpactFormatError on anything odd."""
        body = _object(body, "the document")
        if body.get("schemaVersion") != IMPACT_SCHEMA or body.get("kind") != "impact":
            raise ImpactFormatError(f"not an impact document of version {IMPACT_SCHEMA}")
        tenants = _list(body.get("tenants", []), "tenants", MAX_TENANTS)
        parsed = tuple(_tenant(item) for item in tenants)
        if len({t.tenant for t in parsed}) != len(parsed):
            raise ImpactFormatError("a tenant is listed twice")
        error = body.get("error")
        return cls(
            base=_text(body.get("base", ""), "base"),
            head=_text(body.get("head", ""), "head"),
            code_changed=_bool(body.get("codeChanged"), "codeChanged"),
            tenants=parsed,
            notes=tuple(_text(n, "a note") for n in _list(body.get("notes", []), "notes", 20)),
            error=None if error is None else _text(error, "error"),
        )

    @classmethod
    def read(cls, text: str | bytes) -> Impact:
        if len(text) > MAX_BYTES:
            raise ImpactFormatError(f"larger than {MAX_BYTES // (1024 * 1024)} MiB")
        try:
            return cls.from_json(json.loads(text))
        except (ValueError, RecursionError) as error:
            if isinstance(error, ImpactFormatError):
                raise
            raise ImpactFormatError(f"not JSON: {error}") from None


def _tenant_json(impact: TenantImpact) -> dict[str, Any]:
    return {
        "tenant": impact.tenant,
        "state": impact.state,
        "error": impact.error,
        "changes": [
            {
                "op": c.op,
                "type": c.type,
                "name": c.name,
                "fields": list(c.fields),
                "options": list(c.options),
                "replaceFields": list(c.replace_fields),
                "details": [
                    {"path": d.path, "before": d.before, "after": d.after, "secret": d.secret}
                    for d in c.details
                ],
                "more": c.more,
            }
            for c in impact.changes
        ],
    }


def _tenant(body: Any) -> TenantImpact:
    body = _object(body, "a tenant")
    name = _text(body.get("tenant"), "a tenant name")
    if not _TENANT.match(name):
        raise ImpactFormatError(f"{name!r} is not a tenant name")
    state = body.get("state")
    if state not in _STATES:
        raise ImpactFormatError(f"{name}: unknown state {state!r}")
    changes = tuple(_change(c) for c in _list(body.get("changes", []), "changes", MAX_CHANGES))
    return TenantImpact(name, state, changes, _text(body.get("error", ""), "an error"))


def _change(body: Any) -> ResourceChange:
    body = _object(body, "a change")
    op = body.get("op")
    if op not in _OPS:
        raise ImpactFormatError(f"unknown operation {op!r}")
    details = tuple(_detail(d) for d in _list(body.get("details", []), "details", MAX_DETAILS))
    more = body.get("more", 0)
    if not isinstance(more, int) or isinstance(more, bool) or not 0 <= more <= 10**6:
        raise ImpactFormatError("'more' must be a small whole number")
    return ResourceChange(
        op=op,
        type=_text(body.get("type"), "a type"),
        name=_text(body.get("name"), "a name"),
        fields=_texts(body.get("fields", []), "fields"),
        options=_texts(body.get("options", []), "options"),
        replace_fields=_texts(body.get("replaceFields", []), "replaceFields"),
        details=details,
        more=more,
    )


def _detail(body: Any) -> FieldChange:
    body = _object(body, "a detail")
    secret = _bool(body.get("secret", False), "secret")
    # Values are shown as text, cut short; a secret's never (there should be none).
    before, after = (
        (None, None) if secret else (_value(body.get("before")), _value(body.get("after")))
    )
    return FieldChange(_text(body.get("path"), "a path"), before, after, secret)


def _value(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float):
        return value
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    return text[:MAX_TEXT]


def _object(value: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ImpactFormatError(f"{what} must be an object")
    return value


def _list(value: Any, what: str, most: int) -> list[Any]:
    if not isinstance(value, list):
        raise ImpactFormatError(f"'{what}' must be a list")
    if len(value) > most:
        raise ImpactFormatError(f"'{what}' has more than {most} entries")
    return value


def _text(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise ImpactFormatError(f"{what} must be a string")
    return value[:MAX_TEXT]


def _texts(value: Any, what: str) -> tuple[str, ...]:
    return tuple(_text(item, what) for item in _list(value, what, 200))


def _bool(value: Any, what: str) -> bool:
    if not isinstance(value, bool):
        raise ImpactFormatError(f"'{what}' must be true or false")
    return value
