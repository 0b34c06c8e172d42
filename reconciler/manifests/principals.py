"""IAM principals in `spec.access`: normalised, checked, and compared as IAM compares them.

The schema checks the shape (`user:EMAIL`, `domain:DOMAIN`, ...). What it cannot say well:

- a character that is not ASCII or cannot be seen (a Cyrillic `\u0430`, a zero-width space)
  grants access to a different account, or to none, while looking right in review; a
  non-ASCII domain must be written in its ASCII (IDNA, `xn--`) form, as IAM stores it;
- an address copied with its name or punctuation (`user:Ann <ann@x.com>`, `user:ann@x.com,`);
- two entries equal but for case: IAM ignores the case of email addresses, so both would
  manage one binding member and fight over it (terraform-provider-google-beta reads members
  through `tpgresource.NormalizeIamPrincipalCasing`, `google-beta/tpgresource/`, used by
  `google-beta/tpgiamresource/resource_iam_member.go`, and suppresses case-only diffs);
- `domain:` of a public email provider: everyone with a free mailbox there, as open as the
  public principals (`allUsers`) the schema already refuses.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from reconciler.manifests.characters import describe, first_unusual, looks_like
from reconciler.manifests.issues import Issue, PathPart, shown
from reconciler.manifests.loader import LoadedYaml

PUBLIC_EMAIL_DOMAINS = frozenset(
    {
        "126.com", "163.com", "aol.com", "fastmail.com", "gmail.com", "gmx.com", "gmx.de",
        "gmx.net", "googlemail.com", "hey.com", "hotmail.com", "icloud.com", "live.com",
        "mac.com", "mail.com", "mail.ru", "me.com", "msn.com", "outlook.com", "pm.me",
        "proton.me", "protonmail.com", "qq.com", "tutanota.com", "web.de", "yahoo.com",
        "yandex.com", "yandex.ru", "zoho.com",
    }
)  # fmt: skip
"""Domains where anyone can open a mailbox (a `domain:` grant to them is a public grant)."""

_LISTS = ("admins", "members")
_ORDINARY = re.compile(
    r"(?:user|group|serviceAccount):[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]*[A-Za-z0-9]\Z"
)
"""A principal none of `_problems` can apply to (most of them): skips the full check."""
_TRAILING = ".,;:)]}'\"!?"


def principal_issues(loaded: LoadedYaml) -> list[Issue]:
    """Issues of every principal in `spec.access.admins` and `spec.access.members`."""
    spec = loaded.document.get("spec") if isinstance(loaded.document, dict) else None
    access = spec.get("access") if isinstance(spec, dict) else None
    if not isinstance(access, dict):
        return []
    issues = []
    for name in _LISTS:
        principals = access.get(name)
        if not isinstance(principals, list):
            continue
        seen: dict[str, tuple[int, str]] = {}
        for index, principal in enumerate(principals):
            if not isinstance(principal, str):
                continue
            path: list[PathPart] = ["spec", "access", name, index]
            problem = None if _ORDINARY.match(principal) else next(_problems(principal), None)
            if problem is None:
                problem = _case_duplicate(principal, index, seen)
            if problem is not None:
                issues.append(loaded.issue_at(path, *problem))
    return issues


def _problems(principal: str) -> Iterator[tuple[str, str]]:
    kind, _, rest = principal.partition(":")
    found = first_unusual(principal)
    if found is not None:
        index, char = found
        domain = rest.rpartition("@")[2]
        ascii_form = _idna(domain) if index >= len(principal) - len(domain) else None
        hint = "retype the principal: it must be plain ASCII with no invisible characters"
        if ascii_form:
            written = shown(principal[: len(principal) - len(domain)] + ascii_form)
            hint = f"IAM takes a domain in its ASCII (IDNA) form: {written}"
            if looks_like(char):
                # A look-alike is far more likely a mistake (or a trick) than a real IDN.
                meant = looks_like(char)
                hint = f"retype it as '{meant}'; if the domain really is not ASCII: {written}"
        yield f"{shown(principal)} has {describe(char)} at character {index + 1}", hint
    if "<" in principal or ">" in principal:
        yield (
            f"{shown(principal)} has angle brackets",
            "write only the address, without a name or <...>: user:ann@example.com",
        )
    if principal and principal[-1] in _TRAILING:
        yield (
            f"{shown(principal)} ends with {shown(principal[-1])}",
            "remove the trailing punctuation (copied from a sentence or a list?)",
        )
    if kind == "domain" and rest.lower() in PUBLIC_EMAIL_DOMAINS:
        yield (
            f"{shown(principal)} is not allowed: anyone can open a mailbox at {rest}",
            "that would open the tenant's private data to the public; list the users or "
            "groups who need access",
        )


def _case_duplicate(
    principal: str, index: int, seen: dict[str, tuple[int, str]]
) -> tuple[str, str] | None:
    key = principal.lower()
    if key not in seen:
        seen[key] = (index, principal)
        return None
    first, written = seen[key]
    if written == principal:
        return None  # an exact repeat: the schema's uniqueItems reports it
    return (
        f"{shown(principal)} is item [{first}], {shown(written)}, but for case",
        "IAM ignores the case of addresses; two entries would fight over one binding: keep one",
    )


def _idna(domain: str) -> str | None:
    try:
        return domain.encode("idna").decode("ascii")
    except UnicodeError:
        return None
