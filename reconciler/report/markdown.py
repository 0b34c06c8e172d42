"""What GitHub renders: its comment size limit, our report marker, and escaping for text
that GitHub renders as Markdown with inline HTML. Every Markdown reporter (the run report,
the validation report) and the comment poster share these.

Every value that can come from a manifest or from an engine error (a provider's message
quotes what it was sent) reaches pull-request comments, the drift issue and job summaries.
Unescaped, such a value can close the report's `<details>`, inject HTML or links, break
the table, or `@`-mention a team. `escape` makes it inert text: HTML's special characters
become entities, Markdown's become backslash escapes, `@` cannot start a mention, and a
newline cannot end a table row.
"""

from __future__ import annotations

COMMENT_LIMIT = 65_536
"""GitHub's longest comment or issue body, in characters: a Markdown report fits in it
(the poster still cuts what does not, as a last guard)."""
MARKER = "<!-- tenant-gitops-report -->"
"""First line of every Markdown report: lets CI find and edit its own sticky comment."""

_ENTITIES = {
    "&": "&amp;",
    "<": "&lt;",
    ">": "&gt;",
    '"': "&quot;",
    "`": "&#96;",
    # An entity, not a backslash: GitHub links `@name` before it reads escapes.
    "@": "&#64;",
}
_MARKDOWN = set("\\*[]|~")
"""Emphasis, links (no `[`, no link), table cells. `_` is left: GitHub ignores it inside
words (error codes like INVALID_DISPLAY_NAME stay readable) and `*` covers emphasis."""


def escape(text: str) -> str:
    """`text` as inert inline Markdown: renders as itself, one line, no HTML, no mention."""
    out = []
    for char in text.replace("\r\n", " ").replace("\n", " ").replace("\r", " "):
        if char in _ENTITIES:
            out.append(_ENTITIES[char])
        elif char in _MARKDOWN:
            out.append("\\" + char)
        else:
            out.append(char)
    return "".join(out)
