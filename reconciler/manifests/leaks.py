"""Secrets committed to a manifest: found by shape, reported by path, never echoed.

A manifest is in git, in pull-request annotations and in CI logs; a secret in it is leaked
the moment it is pushed. This module finds values (and mapping keys) shaped like secrets
anywhere in a document, and every literal `clientSecret`, and reports each as "a secret
was committed: rotate it" at its path, without the value. Other issues about the same
value are dropped by the caller (`validate.py`), because their messages would quote it.

Shapes (each with its documented, stable form):
- PEM private keys (`-----BEGIN ... PRIVATE KEY-----`; a service-account key file holds one);
- Google OAuth client secrets (`GOCSPX-` prefix) and Google API keys (`AIza` + 35 characters);
- GitHub tokens (`ghp_`, `gho_`, `ghu_`, `ghs_`, `ghr_`, `github_pat_`) and, in identity-
  provider settings, GitHub OAuth app client secrets (40 lowercase hex digits);
- credentials in a URL (`https://user:password@host`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from reconciler.manifests.issues import Issue, PathPart, dotted, json_path
from reconciler.manifests.loader import LoadedYaml

_SHAPED = re.compile(
    r"-----BEGIN [A-Z ]*PRIVATE KEY-----"
    r"|GOCSPX-[A-Za-z0-9_-]{20,}"
    r"|AIza[0-9A-Za-z_-]{35}"
    r"|\bgh[pousr]_[A-Za-z0-9]{30,}"
    r"|\bgithub_pat_[A-Za-z0-9_]{30,}"
    r"|://[^/\s:@]+:[^/\s@]+@"
)
_HEX40 = re.compile(r"[0-9a-f]{40}")
_LOOSE = re.compile(r"PRIVATE KEY|GOCSPX-|AIza|gh[pousr]_|github_pat_|://[^/\s:@]+:[^/\s@]+@")
"""Matches the raw text of every file holding a `_SHAPED` shape (a superset of it)."""
_SHORTEST = 20
"""No shape above is shorter."""
_COMMITTED = "a secret was committed: rotate it"
_ROTATE = (
    "it is in git history now: rotate it at its issuer, then reference the new one with "
    "{fromEnv: VAR_NAME} or {fromSecretManager: {secret: NAME}}"
)


@dataclass(frozen=True)
class Leak:
    """Where a secret was found: the path to drop other issues under, and the issue."""

    path: str
    """JSON path whose issues would quote the secret (a value's path, or a key's)."""
    issue: Issue


def find_leaks(loaded: LoadedYaml) -> list[Leak]:
    """Every secret-shaped value or key of the document, and every literal clientSecret."""
    hits: list[tuple[list[PathPart], bool]] = []
    if _may_hold_a_shape(loaded.text):
        _walk(loaded.document, [], hits, _looks_secret)
    else:
        # 40 hex digits are a secret only in identity-provider settings (elsewhere, say in
        # a label, they are a commit): searching the whole text for them costs more than
        # visiting the few provider values.
        spec = loaded.document.get("spec") if isinstance(loaded.document, dict) else None
        providers = spec.get("identityProviders") if isinstance(spec, dict) else None
        if isinstance(providers, list):
            _walk(providers, ["spec", "identityProviders"], hits, _looks_hex_secret)
    leaks: list[Leak] = []
    for path, is_key in hits:
        if is_key:
            # The key itself is the secret: name the mapping that holds it, never the key.
            parent = path[:-1]
            line, column = loaded.locate(path, key=True)
            where = dotted(parent) or "the top level"
            message = f"{where}: a key looks like a secret: {_COMMITTED}"
            issue = Issue(loaded.file, line, column, json_path(parent), message, _ROTATE)
        else:
            issue = loaded.issue_at(path, "looks like a secret: " + _COMMITTED, _ROTATE)
        leaks.append(Leak(json_path(path), issue))
    found = {leak.path for leak in leaks}
    leaks.extend(leak for leak in _literal_client_secrets(loaded) if leak.path not in found)
    return leaks


def _may_hold_a_shape(text: str) -> bool:
    """False only when no value or key of the file can match `_SHAPED`: one search, in C.

    Nearly every manifest holds no secret, and one search over the file's text is far
    cheaper than visiting every value. Escapes (`\\x41`, `\\u0041`, a `\\` line
    continuation) can spell a shape the raw text does not show: a file with a backslash,
    or without its text, is always walked.
    """
    return not text or "\\" in text or _LOOSE.search(text) is not None


def _looks_secret(path: list[PathPart], text: str, is_key: bool) -> bool:
    if len(text) < _SHORTEST:
        return False  # every shape is longer; most values are shorter
    if _SHAPED.search(text):
        return True
    in_idp = len(path) > 2 and path[1] == "identityProviders"
    return in_idp and not is_key and _HEX40.fullmatch(text) is not None


def _looks_hex_secret(path: list[PathPart], text: str, is_key: bool) -> bool:
    return not is_key and len(text) == 40 and _HEX40.fullmatch(text) is not None


Test = Callable[[list[PathPart], str, bool], bool]


def _walk(
    value: Any, path: list[PathPart], hits: list[tuple[list[PathPart], bool]], test: Test
) -> None:
    """Append (path, is_key) of every secret-shaped string value and mapping key.

    One shared path list, copied only on a hit: this runs over every value of every
    manifest, and nearly all of them are short, ordinary words.
    """
    is_mapping = isinstance(value, dict)
    if not (is_mapping or isinstance(value, list)):
        return
    for part, item in value.items() if is_mapping else enumerate(value):
        path.append(part)
        if (
            is_mapping
            and isinstance(part, str)
            and len(part) >= _SHORTEST
            and test(path, part, True)
        ):
            hits.append((list(path), True))
        if type(item) is str:
            if len(item) >= _SHORTEST and test(path, item, False):
                hits.append((list(path), False))
        elif isinstance(item, (dict, list)):
            _walk(item, path, hits, test)
        path.pop()


def _literal_client_secrets(loaded: LoadedYaml) -> Iterator[Leak]:
    """A clientSecret written as text is a committed secret, whatever the provider's id says.

    The schema only reaches `clientSecret` once the provider's id is known; checking here
    reports it together with a misspelled id ("every mistake at once").
    """
    spec = loaded.document.get("spec") if isinstance(loaded.document, dict) else None
    providers = spec.get("identityProviders") if isinstance(spec, dict) else None
    if not isinstance(providers, list):
        return
    for index, provider in enumerate(providers):
        if not isinstance(provider, dict):
            continue
        secret = provider.get("clientSecret")
        if isinstance(secret, (str, int, float)) and not isinstance(secret, bool) and secret != "":
            path: list[PathPart] = ["spec", "identityProviders", index, "clientSecret"]
            yield Leak(json_path(path), loaded.issue_at(path, _COMMITTED, _ROTATE))
