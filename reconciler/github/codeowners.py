"""GitHub's CODEOWNERS file: parse it, find a path's owners, and write one (pure).

The rules, from GitHub's "About code owners"
(https://docs.github.com/repositories/managing-your-repositorys-settings-and-features/customizing-your-repository/about-code-owners,
github/docs `content/repositories/.../customizing-your-repository/about-code-owners.md`):

- GitHub uses the first of `.github/CODEOWNERS`, `CODEOWNERS`, `docs/CODEOWNERS` it finds,
  on the pull request's base branch (`LOCATIONS`).
- "follows most of the same rules used in gitignore files"
  (https://git-scm.com/docs/gitignore#_pattern_format), except that `\\#` escaping, `!`
  negation and `[ ]` ranges do not work. A line that uses them is invalid, and "If any line
  in your CODEOWNERS file contains invalid syntax, that line will be skipped."
- "Order is important; the last matching pattern takes the most precedence."
- A line's owners are `@username`, `@org/team-name` or an email address; any one of them
  may approve. A matching line with no owners leaves the path without owners.
- `docs/*` matches `docs/getting-started.md` but "not further nested files like
  `docs/build-app/troubleshooting.md`"; `apps/` matches an `apps` directory anywhere;
  `/docs/` only the root one; `**/logs` any `logs` directory. Paths are case sensitive;
  inline comments follow `#`.

Matching (`_translate`): a leading `/` or a `/` inside the pattern anchors it at the root,
otherwise it matches at any depth; a trailing `/` matches everything below a directory; a
literal last segment also matches everything below it (a directory of that name), a
wildcard last segment does not; `*` and `?` never cross `/`; `**` spans directories.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

LOCATIONS = (".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS")
"""Where GitHub looks, in order; the first file found is the one used."""

_USER = r"@[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})"
_TEAM = r"@[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9_.-]+"
_EMAIL = r"[^@\s]+@[^@\s]+\.[^@\s]+"
OWNER = re.compile(rf"^(?:{_TEAM}|{_USER}|{_EMAIL})$")
"""A valid owner: `@user`, `@org/team` or an email address."""


@dataclass(frozen=True)
class Rule:
    """One CODEOWNERS line that GitHub reads."""

    pattern: str
    owners: tuple[str, ...]
    line: int
    regex: re.Pattern[str]

    def matches(self, path: str) -> bool:
        return self.regex.fullmatch(path) is not None


@dataclass(frozen=True)
class Skipped:
    """A line GitHub skips as invalid, and why."""

    line: int
    text: str
    reason: str


@dataclass(frozen=True)
class CodeOwners:
    """A parsed CODEOWNERS file: the rules GitHub reads, and the lines it skips."""

    rules: tuple[Rule, ...]
    skipped: tuple[Skipped, ...] = ()

    def rule_for(self, path: str) -> Rule | None:
        """The rule that decides `path`'s owners: the last one that matches."""
        for rule in reversed(self.rules):
            if rule.matches(path):
                return rule
        return None

    def owners_of(self, path: str) -> tuple[str, ...]:
        """`path`'s owners (empty: nobody owns it)."""
        rule = self.rule_for(path)
        return rule.owners if rule else ()


def parse(text: str) -> CodeOwners:
    """Every rule of a CODEOWNERS file, in order; invalid lines are skipped, as GitHub does."""
    rules: list[Rule] = []
    skipped: list[Skipped] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        words = _words(raw)
        if not words:
            continue
        pattern, owners = words[0], tuple(words[1:])
        reason = _invalid(pattern, owners)
        if reason:
            skipped.append(Skipped(number, raw, reason))
            continue
        rules.append(Rule(pattern, owners, number, re.compile(_translate(pattern))))
    return CodeOwners(tuple(rules), tuple(skipped))


def _words(line: str) -> list[str]:
    """A line's pattern and owners, without its comment; `\\ ` keeps a space in a pattern."""
    words: list[str] = []
    current = ""
    escaped = False
    for char in line:
        if escaped:
            current += "\\" + char
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "#" and not current:
            break  # a comment: the whole line, or after the owners
        elif char.isspace():
            if current:
                words.append(current)
            current = ""
        else:
            current += char
    if current:
        words.append(current)
    return words


def _invalid(pattern: str, owners: Sequence[str]) -> str:
    if pattern.startswith("\\#"):
        # "Escaping a pattern starting with `#` using `\` so it is treated as a pattern and
        # not a comment" does not work (About code owners): the line is not a rule.
        return "`\\#` escaping does not work in CODEOWNERS (a pattern cannot start with `#`)"
    if pattern.startswith("!"):
        return "`!` negation does not work in CODEOWNERS"
    if "[" in pattern or "]" in pattern:
        return "`[ ]` character ranges do not work in CODEOWNERS"
    if "***" in pattern:
        return "`***` is not a pattern"
    bad = [owner for owner in owners if not OWNER.fullmatch(owner)]
    if bad:
        return f"not an owner: {', '.join(bad)} (write @user, @org/team or an email)"
    return ""


def _translate(pattern: str) -> str:
    """The regular expression a CODEOWNERS pattern stands for (matched against whole paths
    relative to the repository root, without a leading `/`)."""
    directory = pattern.endswith("/")
    anchored = pattern.startswith("/") or "/" in pattern.rstrip("/")
    body = pattern.strip("/")
    if not anchored:
        body = "**/" + body
    segments = body.split("/")
    regex = ""
    for index, segment in enumerate(segments):
        final = index == len(segments) - 1
        if segment == "**":
            regex += ".*" if final else "(?:.*/)?"
            continue
        regex += _segment(segment) + ("" if final else "/")
    last = segments[-1]
    if directory:
        regex += "/.*"
    elif last != "**" and not any(c in last for c in "*?"):
        regex += "(?:/.*)?"  # a literal name is a file, or a directory and what it holds
    return regex


def _segment(segment: str) -> str:
    out = ""
    chars = iter(segment)
    for char in chars:
        if char == "\\":
            out += re.escape(next(chars, "\\"))
        elif char == "*":
            out += "[^/]*"
        elif char == "?":
            out += "[^/]"
        else:
            out += re.escape(char)
    return out


# --- Writing one ---------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """One line to write: a path (from the repository root) and who owns it."""

    path: str
    owners: tuple[str, ...]
    comment: str = ""


HEADER = (
    "# Generated by `reconciler codeowners` from tenants/*.yaml (metadata.reviewers) and\n"
    "# platform.yaml (github.platformReviewers). Do not edit: edit those, then run it again;\n"
    "# CI fails while this file is stale. GitHub reads it from the pull request's base\n"
    "# branch, and the deploy checks the same owners approved the merged pull request\n"
    '# (docs/security.md, "Approval is the control").\n'
)


def render(default_owners: Sequence[str], entries: Iterable[Entry]) -> str:
    """A CODEOWNERS file: every path to `default_owners` first, then `entries` in order (a
    later line wins, so the specific lines come last)."""
    lines = [HEADER, f"* {' '.join(default_owners)}"]
    for entry in entries:
        if entry.comment:
            lines.append(f"# {entry.comment}")
        lines.append(f"/{_escape(entry.path.lstrip('/'))} {' '.join(entry.owners)}".rstrip())
    return "\n".join(lines) + "\n"


def _escape(path: str) -> str:
    """A literal path as a CODEOWNERS pattern (wildcards and spaces made literal)."""
    return "".join("\\" + c if c in "*? \\#" else c for c in path)
